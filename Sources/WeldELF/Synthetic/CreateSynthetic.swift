import WeldCore

/// Creates the synthetic output sections this link needs, with their sizes.
func createSyntheticSections(_ ctx: Context) throws(LinkError) {
    let o = ctx.options
    var s = ctx.synth
    var list: [OutputSection] = []
    func make(_ name: String, _ type: UInt32, _ flags: UInt64, _ kind: SyntheticKind, size: Int, align: UInt64, entsize: UInt64 = 0) -> OutputSection {
        let os = OutputSection(name: name, type: type, flags: flags, content: .synthetic(kind))
        os.size = UInt64(size); os.align = align; os.entsize = entsize
        list.append(os)
        return os
    }
    let dynamicOutput = !ctx.isStatic
    if dynamicOutput && !o.noDynamicLinker && !ctx.isShared {
        if let d = o.dynamicLinker { s.interpPath = d }
        s.interp = make(".interp", SHT.progbits, SHF.alloc, .interp, size: s.interpPath.utf8.count + 1, align: 1)
    }
    if o.buildID.digestSize > 0 {
        s.buildID = make(".note.gnu.build-id", SHT.note, SHF.alloc, .buildID, size: 16 + o.buildID.digestSize, align: 4)
    }
    if let f = ctx.x86Features, f != 0 {
        _ = make(".note.gnu.property", SHT.note, SHF.alloc, .gnuProperty, size: 32, align: 8)
    }
    if dynamicOutput {
        let n = s.dynsyms.count + 1
        s.dynsymSection = make(".dynsym", SHT.dynsym, SHF.alloc, .dynsym, size: n * 24, align: 8, entsize: 24)
        s.dynsymSection!.info = 1 // every symbol after the null one is global
        if !s.verneed.isEmpty || !s.verdefNames.isEmpty {
            _ = make(".gnu.version", SHT.gnuVersym, SHF.alloc, .versym, size: n * 2, align: 2, entsize: 2)
        }
        if !s.verdefNames.isEmpty {
            let size = s.verdefNames.count * 28 + s.verdefParents.reduce(0) { $0 + 8 * $1.count }
            let vd = make(".gnu.version_d", SHT.gnuVerdef, SHF.alloc, .verdef, size: size, align: 8)
            vd.info = UInt32(s.verdefNames.count)
        }
        if !s.verneed.isEmpty {
            let count = s.verneed.reduce(0) { $0 + 16 + 16 * $1.versions.count }
            let vn = make(".gnu.version_r", SHT.gnuVerneed, SHF.alloc, .verneed, size: count, align: 8)
            vn.info = UInt32(s.verneed.count)
        }
        if o.hashStyleGNU {
            let exported = n - s.firstExportedDynsym
            _ = make(".gnu.hash", SHT.gnuHash, SHF.alloc, .gnuHash, size: 16 + s.gnuHashBloomWords * 8 + s.gnuHashBuckets * 4 + exported * 4, align: 8)
        }
        if o.hashStyleSysv {
            _ = make(".hash", SHT.hash, SHF.alloc, .sysvHash, size: 8 + 4 * n + 4 * n, align: 8, entsize: 4)
        }
        s.dynstrSection = make(".dynstr", SHT.strtab, SHF.alloc, .dynstr, size: 0, align: 1)
        let gotRelocs = s.got.reduce(0) { n, e in n + (gotDynamicReloc(ctx, e) == nil || isPackedGotSlot(ctx, e) ? 0 : 1) }
        s.staticDynRelocCount = gotRelocs + s.copySymbols.count
        s.relaDyn = make(".rela.dyn", SHT.rela, SHF.alloc, .relaDyn, size: (s.staticDynRelocCount + s.sectionDynRelocCount) * 24, align: 8, entsize: 24)
        if ctx.packsRelativeRelocs {
            // Sized during layout, once addresses are known.
            s.relrDyn = make(".relr.dyn", SHT.relr, SHF.alloc, .relrDyn, size: 0, align: 8, entsize: 8)
        }
        let pltRelocs = s.pltSymbols.count + s.ipltSymbols.count
        if pltRelocs > 0 {
            s.relaPlt = make(".rela.plt", SHT.rela, SHF.alloc | SHF.infoLink, .relaPlt, size: pltRelocs * 24, align: 8, entsize: 24)
        }
    } else if !s.ipltSymbols.isEmpty {
        s.relaPlt = make(".rela.plt", SHT.rela, SHF.alloc, .relaPlt, size: s.ipltSymbols.count * 24, align: 8, entsize: 24)
    }
    let pltSize = (s.pltSymbols.isEmpty ? 0 : 16 + 16 * s.pltSymbols.count) + 16 * s.ipltSymbols.count
    if pltSize > 0 {
        s.plt = make(".plt", SHT.progbits, SHF.alloc | SHF.execinstr, .plt, size: pltSize, align: 16, entsize: 16)
    }
    if !s.got.isEmpty || ctx.symbols.find("_GLOBAL_OFFSET_TABLE_") != nil {
        s.gotSection = make(".got", SHT.progbits, SHF.alloc | SHF.write, .got, size: s.got.count * 8, align: 8, entsize: 8)
    }
    if dynamicOutput {
        s.dynamic = make(".dynamic", SHT.dynamic, SHF.alloc | SHF.write, .dynamic, size: 0, align: 8, entsize: 16)
    }
    if dynamicOutput || ctx.symbols.find("_GLOBAL_OFFSET_TABLE_") != nil {
        s.gotPlt = make(".got.plt", SHT.progbits, SHF.alloc | SHF.write, .gotPlt, size: 24 + 8 * s.pltSymbols.count, align: 8, entsize: 8)
    }
    if o.ehFrameHdr, let eh = ctx.outputSections.first(where: { if case .ehFrame = $0.content { return true }; return false }) {
        s.ehFrame = eh
        // Live FDEs, counted per member in parallel (it reads every record's header).
        let members = eh.members
        let perMember: [Int] = Parallel.map(members.count, minChunk: 256) { i in
            members.withBorrowed(i) { m in
                guard let p = m.pieces else { return 0 }
                var n = 0
                for k in 0..<p.inOffsets.count where p.outOffsets[k] != .max && m.data.u32(Int(p.inOffsets[k]) + 4) != 0 { n += 1 }
                return n
            }
        }
        let fdes = perMember.reduce(0, +)
        s.ehFrameHdr = make(".eh_frame_hdr", SHT.progbits, SHF.alloc, .ehFrameHdr, size: 12 + 8 * fdes, align: 4)
    }
    // Commons and copy relocations live in .bss.
    if !ctx.commonSymbols.isEmpty || !s.copySymbols.isEmpty {
        if let bss = ctx.outputSections.first(where: { $0.name == ".bss" && $0.isNoBits }) { s.bss = bss }
        else {
            let bss = OutputSection(name: ".bss", type: SHT.nobits, flags: SHF.alloc | SHF.write, content: .inputs)
            ctx.outputSections.append(bss)
            s.bss = bss
        }
    }
    ctx.synth = s
    // Finalize .dynamic now that every string it names exists.
    if dynamicOutput { ctx.synth.dynamicEntries = dynamicEntries(ctx) }
    if let d = ctx.synth.dynamic { d.size = UInt64(ctx.synth.dynamicEntries.count * 16) }
    if let d = ctx.synth.dynstrSection { d.size = UInt64(ctx.synth.dynstr.bytes.count) }
    ctx.outputSections.append(contentsOf: list)
}

/// The .dynamic entries, with placeholder values (0) for addresses filled at write time.
func dynamicEntries(_ ctx: Context) -> [(Int64, UInt64)] {
    let s = ctx.synth
    let o = ctx.options
    var e: [(Int64, UInt64)] = []
    for n in s.neededOffsets { e.append((DT.needed, UInt64(n))) }
    if let so = s.sonameOffset { e.append((DT.soname, UInt64(so))) }
    if let r = s.rpathOffset { e.append((o.enableNewDtags ? DT.runpath : DT.rpath, UInt64(r))) }
    let has = { (name: String) in ctx.outputSections.contains { $0.name == name && $0.isAlloc && $0.size > 0 } || ctx.outputSections.contains { $0.name == name && !$0.members.isEmpty } }
    let definedHere = { (name: String) in ctx.symbols.find(name).map { ctx.symbols[$0].isDefinedInObject } ?? false }
    if definedHere("_init") { e.append((DT.`init`, 0)) }
    if definedHere("_fini") { e.append((DT.fini, 0)) }
    if has(".preinit_array") { e.append((DT.preinitArray, 0)); e.append((DT.preinitArraysz, 0)) }
    if has(".init_array") { e.append((DT.initArray, 0)); e.append((DT.initArraysz, 0)) }
    if has(".fini_array") { e.append((DT.finiArray, 0)); e.append((DT.finiArraysz, 0)) }
    if o.hashStyleGNU { e.append((DT.gnuHash, 0)) }
    if o.hashStyleSysv { e.append((DT.hash, 0)) }
    e.append((DT.strtab, 0)); e.append((DT.symtab, 0))
    e.append((DT.strsz, UInt64(s.dynstr.bytes.count))); e.append((DT.syment, 24))
    if !ctx.isShared { e.append((DT.debug, 0)) }
    if s.relaDyn != nil && (s.staticDynRelocCount + s.sectionDynRelocCount) > 0 {
        e.append((DT.rela, 0)); e.append((DT.relasz, 0)); e.append((DT.relaent, 24))
    }
    if s.relrDyn != nil {
        e.append((DT.relr, 0)); e.append((DT.relrsz, 0)); e.append((DT.relrent, 8))
    }
    if s.relaPlt != nil {
        e.append((DT.pltgot, 0)); e.append((DT.pltrelsz, 0)); e.append((DT.pltrel, UInt64(DT.rela))); e.append((DT.jmprel, 0))
    } else if s.gotPlt != nil {
        e.append((DT.pltgot, 0))
    }
    if !s.verdefNames.isEmpty {
        e.append((DT.verdef, 0)); e.append((DT.verdefnum, UInt64(s.verdefNames.count)))
    }
    if !s.verneed.isEmpty {
        e.append((DT.verneed, 0)); e.append((DT.verneednum, UInt64(s.verneed.count)))
    }
    if !s.verneed.isEmpty || !s.verdefNames.isEmpty { e.append((DT.versym, 0)) }
    var flags: UInt64 = 0, flags1: UInt64 = 0
    if o.zNow { flags |= DF.bindNow; flags1 |= DF.one_now }
    if o.zOrigin { flags |= DF.origin; flags1 |= DF.one_origin }
    if s.hasTextRelocs { flags |= DF.textrel; e.append((DT.textrel, 0)) }
    if ctx.needsStaticTLS.load(ordering: .relaxed) { flags |= DF.staticTLS }
    if o.bsymbolic { flags |= DF.symbolic }
    if o.pie && !ctx.isShared { flags1 |= DF.one_pie }
    if o.zNodelete { flags1 |= DF.one_nodelete }
    if o.zInitfirst { flags1 |= DF.one_initfirst }
    if o.zNodlopen { flags1 |= DF.one_noopen }
    if flags != 0 { e.append((DT.flags, flags)) }
    if flags1 != 0 { e.append((DT.flags1, flags1)) }
    e.append((DT.null, 0))
    return e
}

/// The dynamic relocation a GOT slot needs (its type, and whether it names the symbol), or
/// nil if the slot's value is known at link time. Shared by the size computation and the
/// writer so they always agree.
func gotDynamicReloc(_ ctx: Context, _ e: GotEntryKind) -> (type: UInt32, withSymbol: Bool)? {
    if ctx.isStatic { return nil }
    let syms = ctx.symbols
    func preemptible(_ id: Int32) -> Bool { id >= 0 && syms[id].isPreemptible && syms[id].flags & (SymbolFlag.needsCopy | SymbolFlag.isCopyAlias | SymbolFlag.needsCanonicalPlt) == 0 }
    switch e {
    case .address(let id):
        if preemptible(id) { return (R_X86_64.globDat, true) }
        let sym = syms[id]
        if sym.isUndefined || sym.isAbsolute { return nil }
        return ctx.isPIC ? (R_X86_64.relative, false) : nil
    case .tpOffset(let id):
        if preemptible(id) { return (R_X86_64.tpoff64, true) }
        return ctx.isShared ? (R_X86_64.tpoff64, false) : nil
    case .ifunc, .tlsDescHigh:
        return nil // IRELATIVE goes to .rela.plt
    case .tlsModule(let id):
        if preemptible(id) { return (R_X86_64.dtpmod64, true) }
        return ctx.isShared ? (R_X86_64.dtpmod64, false) : nil
    case .tlsOffset(let id):
        return preemptible(id) ? (R_X86_64.dtpoff64, true) : nil
    case .tlsDesc(let id):
        return (R_X86_64.tlsdesc, preemptible(id))
    }
}
