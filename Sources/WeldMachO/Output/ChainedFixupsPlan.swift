import WeldCore

/// Chained fixups (LC_DYLD_CHAINED_FIXUPS, pointer format 6) through the ChainedFixups
/// component: segments in load-command order, imports in scan order (plus one import per
/// out-of-range bind addend), and one fixup per pointer slot.
struct ChainedFixupsPlan {
    var fixups: ChainedFixups
    var chained: [ChainedFixup]
}

func planChainedFixups(_ ctx: LinkContext, _ fixups: [PointerFixup]) throws(LinkError) -> ChainedFixupsPlan {
    let L = ctx.layout
    var segments: [ChainedFixupSegment] = []
    for seg in L.segments {
        let vmOffset = seg.vmaddr >= L.imageBase ? seg.vmaddr - L.imageBase : 0
        // Only writable data segments hold pointers; __TEXT never (no text relocations).
        let writable = seg.initprot & MachO.protW != 0
        segments.append(ChainedFixupSegment(name: seg.name, vmOffset: seg.name == "__PAGEZERO" ? 0 : vmOffset,
                                            vmSize: seg.name == "__PAGEZERO" ? 0 : seg.vmsize,
                                            fileOffset: seg.fileoff, fileSize: seg.filesize, hasFixups: writable))
    }
    var imports: [ChainedImport] = []
    for id in ctx.imports {
        let s = ctx.symtab.symbols[Int(id)]
        imports.append(ChainedImport(name: s.name.string, libraryOrdinal: chainedOrdinal(ctx, s), isWeak: s.kind != .defined && s.weakRef, addend: 0))
    }
    var extra: [Int64: [Int32: UInt32]] = [:]   // addend -> symbol import -> import index
    var chained: [ChainedFixup] = []
    chained.reserveCapacity(fixups.count)
    var segIndex = 0
    for f in fixups {
        while segIndex < L.segments.count && !(f.address >= L.segments[segIndex].vmaddr && f.address < L.segments[segIndex].vmaddr + L.segments[segIndex].vmsize && L.segments[segIndex].name != "__PAGEZERO") {
            segIndex += 1
        }
        if segIndex >= L.segments.count {
            // Fixups come in address order; start over for safety if they ever do not.
            segIndex = L.segments.firstIndex { f.address >= $0.vmaddr && f.address < $0.vmaddr + $0.vmsize && $0.name != "__PAGEZERO" } ?? 0
        }
        let seg = L.segments[segIndex]
        guard seg.initprot & MachO.protW != 0 else {
            throw LinkError("pointer at 0x\(String(f.address, radix: 16)) in \(seg.name) needs a fixup, but \(seg.name) is read-only (text relocation); compile with -fPIC or move the data to __DATA")
        }
        let offset = f.address - seg.vmaddr
        if f.isBind {
            if f.addend >= 0 && f.addend <= 255 {
                chained.append(ChainedFixup(segmentIndex: segIndex, offset: offset, target: .bind(importIndex: UInt32(f.importIndex), addend: UInt8(f.addend))))
            } else {
                let base = imports[Int(f.importIndex)]
                let index: UInt32
                if let known = extra[f.addend]?[f.importIndex] { index = known } else {
                    index = UInt32(imports.count)
                    imports.append(ChainedImport(name: base.name, libraryOrdinal: base.libraryOrdinal, isWeak: base.isWeak, addend: f.addend))
                    extra[f.addend, default: [:]][f.importIndex] = index
                }
                chained.append(ChainedFixup(segmentIndex: segIndex, offset: offset, target: .bind(importIndex: index, addend: 0)))
            }
        } else {
            // The top byte travels separately (C++ RTTI marks non-unique type names with bit 63).
            let high8 = UInt8(truncatingIfNeeded: f.target >> 56)
            let low = f.target & 0x00ff_ffff_ffff_ffff
            chained.append(ChainedFixup(segmentIndex: segIndex, offset: offset, target: .rebase(vmOffset: low &- L.imageBase, high8: high8)))
        }
    }
    return ChainedFixupsPlan(fixups: try ChainedFixups(segments: segments, imports: imports), chained: chained)
}

/// Ordinal for a chained import: the dylib's, or flat lookup (-2) for names left to run time.
func chainedOrdinal(_ ctx: LinkContext, _ s: Symbol) -> Int {
    if s.kind == .defined { return -3 }   // an exported weak definition: weak lookup
    return s.kind == .dylib ? ctx.dylibs[Int(s.file)].ordinal : -2
}
