import WeldCore

/// __TEXT,__unwind_info from the live __LD,__compact_unwind entries (through the Unwind
/// component). Every function of __text gets an entry, encoding 0 where the inputs had none,
/// so the unwinder never applies a neighbour's entry to it.

/// Whether the output gets __unwind_info: when any loaded object has compact unwind entries
/// (the size is set once addresses are known, see `buildUnwindInfo`).
func planUnwindInfo(_ ctx: LinkContext) -> UInt64? {
    for f in ctx.objects where f.sections.contains(where: { $0.kind == .compactUnwind && $0.atomCount > 0 }) {
        return 0
    }
    return nil
}

/// Personality routines are reached through GOT slots; asks for them (during the relocation scan).
func scanCompactUnwind(_ ctx: LinkContext, needGOT: (Int32) -> Void) {
    for f in ctx.objects {
        for s in f.sections where s.kind == .compactUnwind {
            for k in 0..<Int(s.atomCount) {
                let atom = ctx.atoms[Int(f.atomBase + s.firstAtom) + k]
                guard atom.live, functionAddressIsLive(ctx, f, atom) else { continue }
                for r in f.relocs[Int(atom.relocStart)..<Int(atom.relocStart + atom.relocCount)] where r.offset == 16 && r.targetIsSymbol {
                    let id = f.symbolIDs[Int(r.target)]
                    if id >= 0 { needGOT(id) }
                }
            }
        }
    }
}

/// Whether a compact unwind entry describes a function that reached the output.
private func functionAddressIsLive(_ ctx: LinkContext, _ f: ObjectFile, _ entry: Atom) -> Bool {
    for r in f.relocs[Int(entry.relocStart)..<Int(entry.relocStart + entry.relocCount)] where r.offset == 0 {
        if r.targetIsSymbol {
            let id = f.symbolIDs[Int(r.target)]
            guard id >= 0 else { return false }
            let s = ctx.symtab.symbols[Int(id)]
            return s.kind == .defined && ctx.atoms[Int(s.atom)].live
        }
        return ctx.atoms[Int(f.atomBase + r.target)].live
    }
    return false
}

let dwarfMode: UInt32 = 0x0300_0000
let modeMask: UInt32 = 0x0f00_0000

/// The compact unwind entries of the output, with final addresses. A DWARF-mode entry carries
/// its FDE's offset in the output __eh_frame: from `fdeOffsets` (function address -> offset)
/// once the output is written, or a distinct placeholder before (the size does not change).
func unwindEntries(_ ctx: LinkContext, fdeOffsets: [UInt64: UInt32]? = nil) throws(LinkError) -> [CompactUnwindEntry] {
    var placeholder: UInt32 = 0
    let base = ctx.layout.imageBase
    var entries: [CompactUnwindEntry] = []
    var covered = Set<UInt64>()
    func target(_ f: ObjectFile, _ r: Reloc) -> UInt64 {
        if r.targetIsSymbol && f.symbolIDs[Int(r.target)] < 0 { return 0 }
        let s: UInt64 = r.targetIsSymbol ? ctx.symtab.symbols[Int(f.symbolIDs[Int(r.target)])].address : ctx.address(ofAtom: f.atomBase + r.target)
        return s &+ UInt64(bitPattern: r.addend)
    }
    for f in ctx.objects {
        for s in f.sections where s.kind == .compactUnwind {
            for k in 0..<Int(s.atomCount) {
                let a = f.atomBase + s.firstAtom + Int32(k)
                let atom = ctx.atoms[Int(a)]
                guard atom.live, functionAddressIsLive(ctx, f, atom), let p = f.contents(ofAtom: atom) else { continue }
                var fn: UInt64 = 0, personality: UInt32 = 0, lsda: UInt32 = 0
                for r in f.relocs[Int(atom.relocStart)..<Int(atom.relocStart + atom.relocCount)] {
                    switch r.offset {
                    case 0: fn = target(f, r)
                    case 16:
                        guard r.targetIsSymbol, f.symbolIDs[Int(r.target)] >= 0 else { throw LinkError("\(ctx.location(atom: a, offset: 16)): personality must name a linkable symbol") }
                        let sym = ctx.symtab.symbols[Int(f.symbolIDs[Int(r.target)])]
                        guard sym.gotSlot >= 0, let got = ctx.layout.got else { throw LinkError("\(ctx.location(atom: a, offset: 16)): personality \(sym.name.string) has no GOT slot") }
                        personality = UInt32(truncatingIfNeeded: got.addr + UInt64(sym.gotSlot) * 8 &- base)
                    case 24: lsda = UInt32(truncatingIfNeeded: target(f, r) &- base)
                    default: break
                    }
                }
                guard fn >= base, fn - base <= UInt64(UInt32.max), !covered.contains(fn) else { continue }
                covered.insert(fn)
                var encoding = p.u32(12)
                if encoding & modeMask == dwarfMode {
                    if let fdeOffsets {
                        guard let fde = fdeOffsets[fn], fde <= 0xff_ffff else {
                            throw LinkError("\(ctx.location(atom: a, offset: 0)): function at 0x\(String(fn, radix: 16)) uses DWARF unwind information but no FDE in __eh_frame describes it")
                        }
                        encoding = (encoding & ~0xff_ffff) | fde
                    } else {
                        ctx.hasDwarfUnwindEntries = true
                        placeholder += 1
                        encoding = (encoding & ~0xff_ffff) | placeholder
                    }
                }
                entries.append(CompactUnwindEntry(functionOffset: UInt32(fn - base), length: p.u32(8), encoding: encoding,
                                                  personality: personality, lsda: lsda))
            }
        }
    }
    // Functions without an entry: encoding 0 ("no unwind information"), one per text atom.
    for sec in ctx.layout.sections where sec.kind == .atoms && sec.flags & MachO.attrPureInstructions != 0 {
        for a in sec.atoms {
            let addr = sec.addr + ctx.atoms[Int(a)].outOffset
            if ctx.atoms[Int(a)].size == 0 || covered.contains(addr) || addr - base > UInt64(UInt32.max) { continue }
            covered.insert(addr)
            entries.append(CompactUnwindEntry(functionOffset: UInt32(addr - base), length: ctx.atoms[Int(a)].size, encoding: 0))
        }
    }
    return entries
}

/// Builds __unwind_info for the final addresses. Its size moves what follows it in __TEXT, so
/// addresses are assigned again until the size is stable (in practice once).
func buildUnwindInfo(_ ctx: LinkContext) throws(LinkError) -> UnwindInfo? {
    guard let sec = ctx.layout.unwindInfo else { return nil }
    for _ in 0..<8 {
        let info = try UnwindInfo(entries: try unwindEntries(ctx))
        if UInt64(info.size) == sec.size { return info }
        sec.size = UInt64(info.size)
        assignAddresses(ctx)
    }
    throw LinkError("__unwind_info: layout did not converge")
}

/// At write time: the final __unwind_info, with DWARF-mode entries pointing at their FDEs in
/// the written __eh_frame (read back with EHFrameReader). Same size as the layout-time build.
func finalUnwindInfo(_ ctx: LinkContext, _ planned: UnwindInfo, output: UnsafeMutableRawPointer) throws(LinkError) -> UnwindInfo {
    guard ctx.hasDwarfUnwindEntries else { return planned }
    var offsets: [UInt64: UInt32] = [:]
    if let eh = ctx.layout.sections.first(where: { $0.sectname == "__eh_frame" && $0.segname == "__TEXT" }) {
        let bytes = UnsafeRawBufferPointer(start: output + Int(eh.fileOffset), count: Int(eh.size))
        for fde in try EHFrameReader.fdes(bytes, sectionAddress: eh.addr, path: ctx.options.output) where offsets[fde.functionAddress] == nil {
            offsets[fde.functionAddress] = fde.offset
        }
    }
    let info = try UnwindInfo(entries: try unwindEntries(ctx, fdeOffsets: offsets))
    guard info.size == planned.size else {
        throw LinkError("__unwind_info changed size (\(planned.size) -> \(info.size)) once FDE offsets were known")
    }
    return info
}
