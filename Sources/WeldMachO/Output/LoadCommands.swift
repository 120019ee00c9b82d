import WeldCore

/// Where each __LINKEDIT table lies in the file (offsets are file offsets).
struct LinkEditPlan {
    var chainedFixups: (offset: UInt64, size: UInt64) = (0, 0)
    var rebase: (offset: UInt64, size: UInt64) = (0, 0)
    var bind: (offset: UInt64, size: UInt64) = (0, 0)
    var weakBind: (offset: UInt64, size: UInt64) = (0, 0)
    var lazyBind: (offset: UInt64, size: UInt64) = (0, 0)
    var exportsTrie: (offset: UInt64, size: UInt64) = (0, 0)
    var functionStarts: (offset: UInt64, size: UInt64) = (0, 0)
    var dataInCode: (offset: UInt64, size: UInt64) = (0, 0)
    var symtab: (offset: UInt64, count: Int) = (0, 0)
    var indirect: (offset: UInt64, count: Int) = (0, 0)
    var strtab: (offset: UInt64, size: UInt64) = (0, 0)
    var codeSignature: (offset: UInt64, size: UInt64) = (0, 0)
    var localCount = 0, externalCount = 0, undefinedCount = 0
}

let dyldPath = "/usr/lib/dyld"

private func padded(_ fixed: Int, _ s: String) -> Int { (fixed + s.utf8.count + 1 + 7) & ~7 }

func loadCommandsSize(_ ctx: LinkContext) -> Int {
    let o = ctx.options
    var size = 0
    for seg in ctx.layout.segments { size += 72 + 80 * seg.sections.count }
    size += o.useChainedFixups ? 16 + 16 : 48         // LC_DYLD_CHAINED_FIXUPS + LC_DYLD_EXPORTS_TRIE, or LC_DYLD_INFO_ONLY
    size += 24 + 80                                   // LC_SYMTAB, LC_DYSYMTAB
    if o.isExecutable { size += padded(12, dyldPath) + 24 }   // LC_LOAD_DYLINKER, LC_MAIN
    if o.outputKind == .dylib { size += padded(24, o.installName ?? o.output) }
    if !o.noUUID { size += 24 }
    size += 32 + 16                                   // LC_BUILD_VERSION (one tool), LC_SOURCE_VERSION
    for d in loadedDylibs(ctx) { size += padded(24, d.installName) }
    for r in o.rpaths { size += padded(12, r) }
    size += 16 + 16                                   // LC_FUNCTION_STARTS, LC_DATA_IN_CODE
    if o.adhocCodesign { size += 16 }
    return size
}

/// The Mach-O header and load commands, in lld's order.
func buildHeaderAndLoadCommands(_ ctx: LinkContext, _ le: LinkEditPlan, uuidOffset: inout Int) -> [UInt8] {
    let o = ctx.options
    var w = ByteWriter()
    var ncmds: UInt32 = 0
    /// A load command's trailing string, NUL-terminated and padded to 8 bytes (every command
    /// starts 8-aligned, so padding the buffer pads the command).
    func str(_ fixed: Int, _ s: String) {
        w.bytes.append(contentsOf: s.utf8)
        w.u8(0)
        w.align(8)
    }
    // Header, flags filled at the end.
    w.u32(MachO.magic64); w.u32(MachO.cpuTypeARM64); w.u32(0)
    w.u32(o.isExecutable ? MachO.mhExecute : (o.outputKind == .dylib ? MachO.mhDylib : MachO.mhBundle))
    w.u32(0); w.u32(0); w.u32(0); w.u32(0)
    for seg in ctx.layout.segments {
        ncmds += 1
        w.u32(MachO.lcSegment64); w.u32(UInt32(72 + 80 * seg.sections.count))
        w.name16(seg.name)
        w.u64(seg.vmaddr); w.u64(seg.vmsize); w.u64(seg.fileoff); w.u64(seg.filesize)
        w.u32(seg.maxprot); w.u32(seg.initprot); w.u32(UInt32(seg.sections.count)); w.u32(seg.flags)
        for s in seg.sections {
            w.name16(s.sectname); w.name16(s.segname)
            w.u64(s.addr); w.u64(s.size)
            w.u32(UInt32(s.fileOffset)); w.u32(UInt32(s.alignLog2)); w.u32(0); w.u32(0)
            w.u32(s.flags); w.u32(s.reserved1); w.u32(s.reserved2); w.u32(0)
        }
    }
    if o.useChainedFixups {
        ncmds += 2
        w.u32(MachO.lcDyldChainedFixups); w.u32(16); w.u32(UInt32(le.chainedFixups.offset)); w.u32(UInt32(le.chainedFixups.size))
        w.u32(MachO.lcDyldExportsTrie); w.u32(16); w.u32(UInt32(le.exportsTrie.offset)); w.u32(UInt32(le.exportsTrie.size))
    } else {
        ncmds += 1
        func span(_ x: (offset: UInt64, size: UInt64)) { w.u32(x.size > 0 ? UInt32(x.offset) : 0); w.u32(UInt32(x.size)) }
        w.u32(MachO.lcDyldInfoOnly); w.u32(48)
        span(le.rebase); span(le.bind); span(le.weakBind); span(le.lazyBind); span(le.exportsTrie)
    }
    ncmds += 2
    w.u32(MachO.lcSymtab); w.u32(24); w.u32(UInt32(le.symtab.offset)); w.u32(UInt32(le.symtab.count))
    w.u32(UInt32(le.strtab.offset)); w.u32(UInt32(le.strtab.size))
    w.u32(MachO.lcDysymtab); w.u32(80)
    w.u32(0); w.u32(UInt32(le.localCount))
    w.u32(UInt32(le.localCount)); w.u32(UInt32(le.externalCount))
    w.u32(UInt32(le.localCount + le.externalCount)); w.u32(UInt32(le.undefinedCount))
    w.u32(0); w.u32(0); w.u32(0); w.u32(0); w.u32(0); w.u32(0)          // toc, modtab, extrefsyms
    w.u32(le.indirect.count > 0 ? UInt32(le.indirect.offset) : 0); w.u32(UInt32(le.indirect.count))
    w.u32(0); w.u32(0); w.u32(0); w.u32(0)                                // extrel, locrel
    if o.isExecutable {
        ncmds += 1
        w.u32(MachO.lcLoadDylinker); w.u32(UInt32(padded(12, dyldPath))); w.u32(12)
        str(12, dyldPath)
    }
    if o.outputKind == .dylib {
        let name = o.installName ?? o.output
        ncmds += 1
        w.u32(MachO.lcIdDylib); w.u32(UInt32(padded(24, name))); w.u32(24); w.u32(2)
        w.u32(o.currentVersion); w.u32(o.compatibilityVersion)
        str(24, name)
    }
    if !o.noUUID {
        ncmds += 1
        w.u32(MachO.lcUUID); w.u32(24)
        uuidOffset = w.count
        w.u64(0); w.u64(0)
    }
    ncmds += 2
    w.u32(MachO.lcBuildVersion); w.u32(32); w.u32(o.platform); w.u32(o.minOS); w.u32(o.sdkVersion); w.u32(1)
    w.u32(MachO.toolLD); w.u32(weldToolVersion)
    w.u32(MachO.lcSourceVersion); w.u32(16); w.u64(0)
    if o.isExecutable {
        ncmds += 1
        let entry = ctx.symtab.symbols[Int(ctx.entrySymbol)]
        w.u32(MachO.lcMain); w.u32(24); w.u64(entry.address &- ctx.layout.imageBase); w.u64(o.stackSize)
    }
    for d in loadedDylibs(ctx) {
        ncmds += 1
        let cmd = d.weak ? MachO.lcLoadWeakDylib : (d.reexported ? MachO.lcReexportDylib : MachO.lcLoadDylib)
        w.u32(cmd); w.u32(UInt32(padded(24, d.installName))); w.u32(24); w.u32(2)
        w.u32(d.currentVersion); w.u32(d.compatibilityVersion)
        str(24, d.installName)
    }
    for r in o.rpaths {
        ncmds += 1
        w.u32(MachO.lcRpath); w.u32(UInt32(padded(12, r))); w.u32(12)
        str(12, r)
    }
    ncmds += 2
    w.u32(MachO.lcFunctionStarts); w.u32(16); w.u32(UInt32(le.functionStarts.offset)); w.u32(UInt32(le.functionStarts.size))
    w.u32(MachO.lcDataInCode); w.u32(16); w.u32(UInt32(le.dataInCode.offset)); w.u32(UInt32(le.dataInCode.size))
    if o.adhocCodesign {
        ncmds += 1
        w.u32(MachO.lcCodeSignature); w.u32(16); w.u32(UInt32(le.codeSignature.offset)); w.u32(UInt32(le.codeSignature.size))
    }
    // Header fields that depend on the commands.
    var flags = MachO.mhDyldLink | MachO.mhTwoLevel
    // Names left to a flat lookup (-U, -undefined dynamic_lookup) are still "defined" as far
    // as the two-level namespace goes; ld64.lld sets the flag for both.
    flags |= MachO.mhNoUndefs
    if o.isExecutable { flags |= MachO.mhPIE }
    if o.outputKind == .dylib && o.deadStrippableDylib { flags |= MachO.mhDeadStrippableDylib }
    if o.applicationExtension { flags |= MachO.mhAppExtensionSafe }
    if o.outputKind == .dylib && !ctx.dylibs.contains(where: { $0.reexported }) { flags |= MachO.mhNoReexportedDylibs }
    if ctx.layout.sections.contains(where: { $0.type == MachO.sThreadLocalVariables }) { flags |= MachO.mhHasTLVDescriptors }
    if ctx.symtab.symbols.contains(where: { $0.exported && $0.weakDef }) { flags |= MachO.mhWeakDefines }
    if ctx.imports.contains(where: { ctx.symtab.symbols[Int($0)].kind == .defined }) { flags |= MachO.mhBindsToWeak }
    let sizeofcmds = UInt32(w.count - 32)
    precondition(Int(sizeofcmds) == ctx.layout.sizeofcmds, "load command size estimate \(ctx.layout.sizeofcmds) != \(sizeofcmds)")
    w.bytes.withUnsafeMutableBytes { b in
        b.baseAddress!.put32(16, ncmds)
        b.baseAddress!.put32(20, sizeofcmds)
        b.baseAddress!.put32(24, flags)
    }
    return w.bytes
}

/// weld's version in LC_BUILD_VERSION's tool entry (xxxx.yy.zz).
let weldToolVersion: UInt32 = 0x0000_0100
