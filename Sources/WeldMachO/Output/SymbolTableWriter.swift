import WeldCore

/// The output's LC_SYMTAB contents in LC_DYSYMTAB order (locals, external definitions,
/// undefined), its string table, and the indirect symbol table for __stubs, __got and
/// __thread_ptrs.
struct SymbolTableImage {
    var nlists = ByteWriter()
    var strings = ByteWriter()
    var indirect = ByteWriter()
    var localCount = 0
    var externalCount = 0
    var undefinedCount = 0
    var indirectCount = 0
    var count: Int { localCount + externalCount + undefinedCount }
}

func buildSymbolTable(_ ctx: LinkContext) -> SymbolTableImage {
    var img = SymbolTableImage()
    img.strings.u8(0x20)    // ld64 starts the string table with " \0": no name has offset 0
    img.strings.u8(0)
    var nextIndex: Int32 = 0
    func emit(_ id: Int32, type: UInt8, sect: UInt8, desc: UInt16, value: UInt64) {
        let s = ctx.symtab.symbols[Int(id)]
        img.nlists.u32(UInt32(img.strings.count))
        img.strings.bytes.append(contentsOf: s.name.bytes)
        img.strings.u8(0)
        img.nlists.u8(type)
        img.nlists.u8(sect)
        img.nlists.u16(desc)
        img.nlists.u64(value)
        ctx.symtab.symbols[Int(id)].outputIndex = nextIndex
        nextIndex += 1
    }
    func section(of s: Symbol) -> UInt8 {
        if s.kind != .defined { return 1 }   // the header symbol: __TEXT's first section
        let atom = ctx.atoms[Int(s.atom)]
        return atom.outSection >= 0 ? ctx.layout.sections[Int(atom.outSection)].ordinal : 0
    }
    func isLive(_ s: Symbol) -> Bool {
        switch s.kind {
        case .defined: return ctx.atoms[Int(s.atom)].outSection >= 0
        case .absolute: return true
        default: return false
        }
    }
    // The debug map first (lld's order), then each object's named locals (not assembler temporaries "l..."/"L..."), then
    // private externs, in link order.
    if !ctx.options.stripDebugMap {
        for e in buildDebugMap(ctx) {
            img.nlists.u32(e.name.isEmpty ? 1 : UInt32(img.strings.count))   // offset 1: the empty string
            if !e.name.isEmpty { img.strings.bytes.append(contentsOf: e.name.utf8); img.strings.u8(0) }
            img.nlists.u8(e.type); img.nlists.u8(e.sect); img.nlists.u16(e.desc); img.nlists.u64(e.value)
            nextIndex += 1
        }
    }
    if ctx.dyldPrivateAtom >= 0 {
        // The stub helper's scratch word, named as ld64 and lld name it.
        let atom = ctx.atoms[Int(ctx.dyldPrivateAtom)]
        img.nlists.u32(UInt32(img.strings.count))
        img.strings.bytes.append(contentsOf: "__dyld_private".utf8); img.strings.u8(0)
        img.nlists.u8(MachO.nSect); img.nlists.u8(ctx.layout.sections[Int(atom.outSection)].ordinal); img.nlists.u16(0)
        img.nlists.u64(ctx.address(ofAtom: ctx.dyldPrivateAtom))
        nextIndex += 1
    }
    var privateExterns: [Int32] = []
    var externals: [Int32] = []
    for f in ctx.objects {
        for k in f.nlists.indices {
            let id = f.symbolIDs[k]
            guard id >= 0 else { continue }
            let s = ctx.symtab.symbols[Int(id)]
            guard s.file == f.index, isLive(s) else { continue }
            if !s.external {
                if ctx.options.stripLocals { continue }   // -x
                if s.name.count == 0 || s.name.hasPrefix(UInt8(ascii: "l")) || s.name.hasPrefix(UInt8(ascii: "L")) { continue }
                emit(id, type: s.kind == .absolute ? MachO.nAbs : MachO.nSect, sect: s.kind == .absolute ? 0 : section(of: s), desc: 0, value: s.address)
            } else if f.nlists[k].isExternal && ctx.symtab.symbols[Int(id)].outputIndex == -1 {
                if s.exported { externals.append(id) } else { privateExterns.append(id) }
                ctx.symtab.symbols[Int(id)].outputIndex = -2   // queued
            }
        }
    }
    // -alias names: no object lists them.
    for (_, alias) in ctx.options.aliases {
        if let id = ctx.symtab.find(alias), ctx.symtab.symbols[Int(id)].outputIndex == -1, ctx.symtab.symbols[Int(id)].kind == .defined {
            if ctx.symtab.symbols[Int(id)].exported { externals.append(id) } else { privateExterns.append(id) }
            ctx.symtab.symbols[Int(id)].outputIndex = -2
        }
    }
    // Header symbols appear only when exported (__mh_execute_header): a private one would sit
    // "in" __TEXT's first section at an address before it, which confuses disassemblers.
    for h in ctx.imageBaseSymbols where ctx.symtab.symbols[Int(h)].exported { externals.append(h) }
    for id in privateExterns {
        let s = ctx.symtab.symbols[Int(id)]
        emit(id, type: MachO.nSect | MachO.nPext, sect: section(of: s), desc: 0, value: s.address)
    }
    img.localCount = Int(nextIndex)
    externals.sort { a, b in
        let x = ctx.symtab.symbols[Int(a)].name.bytes, y = ctx.symtab.symbols[Int(b)].name.bytes
        return x.lexicographicallyPrecedes(y)
    }
    for id in externals {
        let s = ctx.symtab.symbols[Int(id)]
        var desc: UInt16 = 0
        if s.weakDef { desc |= MachO.nWeakDef }
        if s.referencedDynamically { desc |= MachO.referencedDynamically }
        let type = (s.kind == .absolute && !ctx.imageBaseSymbols.contains(id) ? MachO.nAbs : MachO.nSect) | MachO.nExt
        emit(id, type: type, sect: type & MachO.nTypeMask == MachO.nAbs ? 0 : section(of: s), desc: desc, value: s.address)
    }
    img.externalCount = Int(nextIndex) - img.localCount
    var undefined = ctx.imports.filter { ctx.symtab.symbols[Int($0)].kind != .defined }
    undefined.sort { a, b in
        ctx.symtab.symbols[Int(a)].name.bytes.lexicographicallyPrecedes(ctx.symtab.symbols[Int(b)].name.bytes)
    }
    for id in undefined {
        let s = ctx.symtab.symbols[Int(id)]
        var desc = UInt16(truncatingIfNeeded: libraryOrdinal(ctx, s)) << 8
        if s.weakRef { desc |= MachO.nWeakRef }
        emit(id, type: MachO.nUndf | MachO.nExt, sect: 0, desc: desc, value: 0)
    }
    img.undefinedCount = Int(nextIndex) - img.localCount - img.externalCount
    img.strings.align(8)
    // Indirect symbols: one per stub, GOT slot and TLV pointer, in section order.
    func indirectEntry(_ id: Int32) -> UInt32 {
        let s = ctx.symtab.symbols[Int(id)]
        if ctx.isBoundAtLoad(s) { return UInt32(s.outputIndex) }
        if s.kind == .absolute { return MachO.indirectSymbolLocal | MachO.indirectSymbolAbs }
        return s.exported && s.outputIndex >= 0 ? UInt32(s.outputIndex) : MachO.indirectSymbolLocal
    }
    for sec in ctx.layout.sections {
        let list: [Int32]
        switch sec.kind {
        case .stubs: list = ctx.stubSymbols
        case .got: list = ctx.gotSymbols
        case .tlvPointers: list = ctx.tlvPointerSymbols
        case .lazyPointers: list = ctx.lazySymbols
        default: continue
        }
        sec.reserved1 = UInt32(img.indirectCount)
        for id in list { img.indirect.u32(indirectEntry(id)) }
        img.indirectCount += list.count
    }
    return img
}

/// The two-level-namespace ordinal a bind uses: the dylib's LC_LOAD_DYLIB position, or the
/// flat-lookup marker for names left to be found at run time (-U, -undefined dynamic_lookup).
func libraryOrdinal(_ ctx: LinkContext, _ s: Symbol) -> Int {
    if s.kind == .dylib { return ctx.dylibs[Int(s.file)].ordinal }
    return 0xfe   // BIND_SPECIAL_DYLIB_FLAT_LOOKUP (-2) as an 8-bit n_desc ordinal
}

/// LC_FUNCTION_STARTS: ULEB128 deltas between the start addresses of functions, from the
/// start of __TEXT, ending with 0.
func buildFunctionStarts(_ ctx: LinkContext) -> [UInt8] {
    var starts: [UInt64] = []
    for s in ctx.symtab.symbols where s.kind == .defined && s.isFunction && ctx.atoms[Int(s.atom)].outSection >= 0 {
        starts.append(s.address)
    }
    starts.sort()
    var w = ByteWriter()
    var prev = ctx.layout.imageBase
    for a in starts where a > prev || (a == prev && w.count == 0 && a != ctx.layout.imageBase) {
        w.uleb(a - prev)
        prev = a
    }
    w.u8(0)
    w.align(8)
    return w.bytes
}
