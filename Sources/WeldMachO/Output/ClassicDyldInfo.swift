import WeldCore

/// The classic dyld information (LC_DYLD_INFO_ONLY) for deployment targets before chained
/// fixups, encoded by the Dyld component (DyldInfoOpcodes): rebases, binds, lazy binds for
/// calls through the stub helper, and weak binds for exported weak definitions, which dyld
/// coalesces across images (they are rebased as well, so an image alone still works).
struct ClassicDyldInfo {
    var rebase: [UInt8] = []
    var bind: [UInt8] = []
    var weakBind: [UInt8] = []
    var lazyBind: [UInt8] = []
    /// Each lazy pointer's record offset, which its stub helper entry passes to dyld.
    var lazyBindOffsets: [UInt32] = []
}

func buildClassicDyldInfo(_ ctx: LinkContext, _ fixups: [PointerFixup]) throws(LinkError) -> ClassicDyldInfo {
    let segments = ctx.layout.segments
    func place(_ addr: UInt64) -> (Int, UInt64) {
        for (i, s) in segments.enumerated() where s.name != "__PAGEZERO" && addr >= s.vmaddr && addr < s.vmaddr + s.vmsize {
            return (i, addr - s.vmaddr)
        }
        return (0, addr)
    }
    func ordinal(_ s: Symbol) -> Int { s.kind == .dylib ? ctx.dylibs[Int(s.file)].ordinal : -2 }   // -2: flat lookup
    var rebases: [DyldRebase] = []
    var binds: [DyldBind] = []
    var weak: [DyldBind] = []
    for f in fixups {
        let (seg, off) = place(f.address)
        guard f.isBind else {
            rebases.append(DyldRebase(segmentIndex: seg, offset: off))
            continue
        }
        let s = ctx.symtab.symbols[Int(ctx.imports[Int(f.importIndex)])]
        if s.kind == .defined {
            // This image's exported weak definition: rebased to itself, weak-bound for dyld.
            rebases.append(DyldRebase(segmentIndex: seg, offset: off))
            weak.append(DyldBind(segmentIndex: seg, offset: off, libraryOrdinal: 0, symbolName: s.name.string,
                                 isWeakImport: false, addend: f.addend))
        } else {
            binds.append(DyldBind(segmentIndex: seg, offset: off, libraryOrdinal: ordinal(s), symbolName: s.name.string,
                                  isWeakImport: s.weakRef, addend: f.addend))
        }
    }
    var info = ClassicDyldInfo()
    info.rebase = try DyldInfoOpcodes.rebase(rebases)
    info.bind = try DyldInfoOpcodes.bind(binds)
    info.weakBind = try DyldInfoOpcodes.weakBind(weak)
    if let lazy = ctx.layout.lazyPointers {
        // One record per stub helper entry, in stub order; exported weak definitions are never
        // bound lazily (their pointer holds the definition and is weak-bound), so their
        // records are never used and point at the first real one.
        var lazyBinds: [DyldBind] = []
        var recordOf: [Int] = []
        for (i, id) in ctx.lazySymbols.enumerated() {
            let s = ctx.symtab.symbols[Int(id)]
            if s.kind == .defined { recordOf.append(-1); continue }
            let (seg, off) = place(lazy.addr + UInt64(i * 8))
            recordOf.append(lazyBinds.count)
            lazyBinds.append(DyldBind(segmentIndex: seg, offset: off, libraryOrdinal: ordinal(s), symbolName: s.name.string,
                                      isWeakImport: s.weakRef, addend: 0))
        }
        let (bytes, offsets) = try DyldInfoOpcodes.lazyBind(lazyBinds)
        info.lazyBind = bytes
        info.lazyBindOffsets = recordOf.map { $0 >= 0 ? offsets[$0] : 0 }
    }
    return info
}
