/// The classic dyld information (LC_DYLD_INFO_ONLY) for deployment targets before chained
/// fixups: rebase and bind opcode streams. Every import is bound at load time (no lazy
/// binding, so no __stub_helper): stubs jump through __got like with chained fixups.
struct ClassicDyldInfo {
    var rebase: [UInt8] = []
    var bind: [UInt8] = []
    /// Places that refer to exported weak definitions: dyld rebinds them all to the first
    /// definition in load order (coalescing across images). They are rebased as well.
    var weakBind: [UInt8] = []
    /// One record per lazily bound function; the stub helper passes each record's offset.
    var lazyBind: [UInt8] = []
    var lazyBindOffsets: [UInt32] = []
}

private enum RebaseOp {
    static let done: UInt8 = 0x00
    static let setTypeImm: UInt8 = 0x10
    static let setSegmentAndOffsetULEB: UInt8 = 0x20
    static let addAddrULEB: UInt8 = 0x30
    static let doRebaseImmTimes: UInt8 = 0x50
    static let typePointer: UInt8 = 1
}

private enum BindOp {
    static let done: UInt8 = 0x00
    static let setDylibOrdinalImm: UInt8 = 0x10
    static let setDylibOrdinalULEB: UInt8 = 0x20
    static let setDylibSpecialImm: UInt8 = 0x30
    static let setSymbolTrailingFlagsImm: UInt8 = 0x40
    static let setTypeImm: UInt8 = 0x50
    static let setAddendSLEB: UInt8 = 0x60
    static let setSegmentAndOffsetULEB: UInt8 = 0x70
    static let doBind: UInt8 = 0x90
    static let flagWeakImport: UInt8 = 0x1
}

func buildClassicDyldInfo(_ ctx: LinkContext, _ fixups: [PointerFixup]) -> ClassicDyldInfo {
    let segments = ctx.layout.segments
    func segmentOf(_ addr: UInt64) -> (Int, UInt64) {
        for (i, s) in segments.enumerated() where s.name != "__PAGEZERO" && addr >= s.vmaddr && addr < s.vmaddr + s.vmsize {
            return (i, addr - s.vmaddr)
        }
        return (0, addr)
    }
    var info = ClassicDyldInfo()
    // Binds to this image's own weak definitions become rebases plus weak binds.
    var fixups = fixups
    var weak: [PointerFixup] = []
    for i in fixups.indices where fixups[i].isBind {
        let s = ctx.symtab.symbols[Int(ctx.imports[Int(fixups[i].importIndex)])]
        guard s.kind == .defined else { continue }
        weak.append(fixups[i])
        fixups[i] = PointerFixup(address: fixups[i].address, isBind: false, target: s.address &+ UInt64(bitPattern: fixups[i].addend),
                                 importIndex: -1, addend: 0)
    }
    // Rebases: runs of adjacent pointers become one DO_REBASE_IMM_TIMES.
    var r = ByteWriter()
    r.u8(RebaseOp.setTypeImm | RebaseOp.typePointer)
    var curSeg = -1
    var cur: UInt64 = 0
    var run = 0
    func flush() {
        while run > 0 {
            let n = min(run, 15)
            r.u8(RebaseOp.doRebaseImmTimes | UInt8(n))
            run -= n
        }
    }
    for f in fixups where !f.isBind {
        let (seg, off) = segmentOf(f.address)
        if seg == curSeg && off == cur {
            run += 1
        } else {
            flush()
            if seg == curSeg && off > cur {
                r.u8(RebaseOp.addAddrULEB)
                r.uleb(off - cur)
            } else {
                r.u8(RebaseOp.setSegmentAndOffsetULEB | UInt8(seg))
                r.uleb(off)
            }
            curSeg = seg
            run = 1
        }
        cur = off + 8
    }
    flush()
    r.u8(RebaseOp.done)
    r.align(8)
    info.rebase = fixups.contains(where: { !$0.isBind }) ? r.bytes : []
    // Binds: symbol, ordinal, addend and place for each; unchanged state is not repeated.
    var b = ByteWriter()
    var lastOrdinal = Int.min, lastSymbol: Int32 = -1, lastAddend: Int64 = 0
    var typeSet = false
    for f in fixups where f.isBind {
        let id = ctx.imports[Int(f.importIndex)]
        let s = ctx.symtab.symbols[Int(id)]
        let ordinal = s.kind == .dylib ? ctx.dylibs[Int(s.file)].ordinal : -2
        if ordinal != lastOrdinal {
            if ordinal <= 0 { b.u8(BindOp.setDylibSpecialImm | UInt8(ordinal & 0xf)) }
            else if ordinal < 16 { b.u8(BindOp.setDylibOrdinalImm | UInt8(ordinal)) }
            else { b.u8(BindOp.setDylibOrdinalULEB); b.uleb(UInt64(ordinal)) }
            lastOrdinal = ordinal
        }
        if id != lastSymbol {
            b.u8(BindOp.setSymbolTrailingFlagsImm | (s.weakRef ? BindOp.flagWeakImport : 0))
            b.bytes.append(contentsOf: s.name.bytes)
            b.u8(0)
            lastSymbol = id
        }
        if !typeSet { b.u8(BindOp.setTypeImm | 1); typeSet = true }
        if f.addend != lastAddend {
            b.u8(BindOp.setAddendSLEB)
            b.sleb(f.addend)
            lastAddend = f.addend
        }
        let (seg, off) = segmentOf(f.address)
        b.u8(BindOp.setSegmentAndOffsetULEB | UInt8(seg))
        b.uleb(off)
        b.u8(BindOp.doBind)
    }
    if b.count > 0 {
        b.u8(BindOp.done)
        b.align(8)
        info.bind = b.bytes
    }
    // Weak binds: sorted by symbol name, as dyld expects (no ordinals).
    weak.sort { x, y in
        let a = ctx.symtab.symbols[Int(ctx.imports[Int(x.importIndex)])].name.bytes
        let b = ctx.symtab.symbols[Int(ctx.imports[Int(y.importIndex)])].name.bytes
        return a.lexicographicallyPrecedes(b) || (a.elementsEqual(b) && x.address < y.address)
    }
    var w = ByteWriter()
    var lastWeak: Int32 = -1
    var weakAddend: Int64 = 0
    for f in weak {
        let id = ctx.imports[Int(f.importIndex)]
        if id != lastWeak {
            w.u8(BindOp.setSymbolTrailingFlagsImm)
            w.bytes.append(contentsOf: ctx.symtab.symbols[Int(id)].name.bytes)
            w.u8(0)
            w.u8(BindOp.setTypeImm | 1)
            lastWeak = id
        }
        if f.addend != weakAddend {
            w.u8(BindOp.setAddendSLEB)
            w.sleb(f.addend)
            weakAddend = f.addend
        }
        let (seg, off) = segmentOf(f.address)
        w.u8(BindOp.setSegmentAndOffsetULEB | UInt8(seg))
        w.uleb(off)
        w.u8(BindOp.doBind)
    }
    if w.count > 0 {
        w.u8(BindOp.done)
        w.align(8)
        info.weakBind = w.bytes
    }
    // Lazy binds: a self-contained record per symbol (segment and offset of its lazy pointer,
    // ordinal, name, bind, done).
    if let lazy = ctx.layout.lazyPointers {
        var l = ByteWriter()
        for (i, id) in ctx.lazySymbols.enumerated() {
            info.lazyBindOffsets.append(UInt32(l.count))
            let s = ctx.symtab.symbols[Int(id)]
            if s.kind == .defined { continue }   // an exported weak definition: weak-bound instead
            let (seg, off) = segmentOf(lazy.addr + UInt64(i * 8))
            l.u8(BindOp.setSegmentAndOffsetULEB | UInt8(seg))
            l.uleb(off)
            if s.kind == .dylib {
                let ordinal = ctx.dylibs[Int(s.file)].ordinal
                if ordinal < 16 { l.u8(BindOp.setDylibOrdinalImm | UInt8(ordinal)) } else { l.u8(BindOp.setDylibOrdinalULEB); l.uleb(UInt64(ordinal)) }
            } else {
                l.u8(BindOp.setDylibSpecialImm | 0x0e)   // flat lookup (-2)
            }
            l.u8(BindOp.setSymbolTrailingFlagsImm | (s.weakRef ? BindOp.flagWeakImport : 0))
            l.bytes.append(contentsOf: s.name.bytes)
            l.u8(0)
            l.u8(BindOp.doBind)
            l.u8(BindOp.done)
        }
        l.align(8)
        info.lazyBind = l.bytes
    }
    return info
}

extension ByteWriter {
    mutating func sleb(_ v: Int64) {
        var v = v
        while true {
            let byte = UInt8(v & 0x7f)
            v >>= 7
            let done = (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0)
            bytes.append(done ? byte : byte | 0x80)
            if done { return }
        }
    }
}
