import WeldCore

/// Linker optimization hints (LC_LINKER_OPTIMIZATION_HINT): clang marks instruction pairs that
/// address one target (adrp + add, adrp + ldr, adrp + ldr of a GOT slot) so the linker can
/// shorten them once addresses are known, as ld64 and lld do. weld uses the two-instruction
/// kinds whose instructions lie in one atom.
struct OptimizationHint {
    var atom: Int32           // file-local atom holding both instructions
    var kind: UInt8
    var first: UInt32         // offsets in the atom
    var second: UInt32
    var third: UInt32 = 0     // the final load of the three-instruction kinds
}

enum LOHKind {
    static let adrpLdr: UInt8 = 2
    static let adrpAddLdr: UInt8 = 3
    static let adrpLdrGotLdr: UInt8 = 4
    static let adrpAdd: UInt8 = 7
    static let adrpLdrGot: UInt8 = 8
}

extension ObjectFile {
    /// Reads the hints (ULEB128 kind, count, then that many addresses), keeping the
    /// two-address kinds weld applies. A malformed stream is ignored: hints are optional.
    func readOptimizationHints(offset: Int, size: Int) -> [OptimizationHint] {
        guard offset >= 0, size > 0, offset + size <= self.size else { return [] }
        var r = DwarfReader(UnsafeRawBufferPointer(start: base + offset, count: size))
        var out: [OptimizationHint] = []
        // No allocation per hint: there are about as many hints as relocations.
        let sectionCount = sections.count
        func place(_ addr: UInt64) -> (Int, UInt32)? {
            for i in 0..<sectionCount {
                let s = sections[i]
                if s.kind == .regular && s.atomCount > 0 && addr >= s.addr && addr + 4 <= s.addr + s.size { return (i, UInt32(addr - s.addr)) }
            }
            return nil
        }
        while r.pos < size && !r.failed {
            let kind = r.uleb()
            if kind == 0 { break }   // padding
            let count = r.uleb()
            guard count <= 4 else { return out }
            var addrs: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            for k in 0..<Int(count) {
                let v = r.uleb()
                switch k { case 0: addrs.0 = v; case 1: addrs.1 = v; case 2: addrs.2 = v; default: addrs.3 = v }
            }
            if r.failed { break }
            let pair = count == 2 && (kind == UInt64(LOHKind.adrpAdd) || kind == UInt64(LOHKind.adrpLdr) || kind == UInt64(LOHKind.adrpLdrGot))
            let triple = count == 3 && (kind == UInt64(LOHKind.adrpAddLdr) || kind == UInt64(LOHKind.adrpLdrGotLdr))
            guard pair || triple else { continue }
            guard let p0 = place(addrs.0), let p1 = place(addrs.1), p0.0 == p1.0 else { continue }
            var p2 = p1
            if triple {
                guard let p = place(addrs.2), p.0 == p0.0 else { continue }
                p2 = p
            }
            let a0 = atomContaining(section: p0.0, offset: p0.1)
            guard atomContaining(section: p1.0, offset: p1.1) == a0, atomContaining(section: p2.0, offset: p2.1) == a0 else { continue }
            let start = atoms[Int(a0)].inputOffset
            out.append(OptimizationHint(atom: a0, kind: UInt8(kind), first: p0.1 - start, second: p1.1 - start,
                                        third: triple ? p2.1 - start : 0))
        }
        out.sort { ($0.atom, $0.first) < ($1.atom, $1.first) }
        return out
    }
}

extension ARM64 {
    /// Applies one hint to relocated code at `p` (the atom's address `place`). Each rewrite
    /// checks the instructions it expects and leaves anything else alone.
    static func applyHint(_ h: OptimizationHint, code p: UnsafeMutableRawPointer, place: UInt64) {
        if h.kind == LOHKind.adrpAddLdr || h.kind == LOHKind.adrpLdrGotLdr {
            applyTripleHint(h, code: p, place: place)
            return
        }
        let i0 = p.get32(Int(h.first)), i1 = p.get32(Int(h.second))
        guard i0 & 0x9f00_0000 == 0x9000_0000 else { return }   // adrp
        let rd = i0 & 0x1f
        let immlo = UInt64((i0 >> 29) & 3), immhi = UInt64((i0 >> 5) & 0x7_ffff)
        var pages = Int64(bitPattern: (immhi << 2 | immlo) << 43) >> 43
        let adrpAddr = place + UInt64(h.first)
        pages = Int64(bitPattern: adrpAddr & ~0xfff) + pages * 4096
        let page = UInt64(bitPattern: pages)
        let second = place + UInt64(h.second)
        if i1 & 0xffc0_0000 == 0x9100_0000 {
            // adrp xd, page; add xd, xd, #off  ->  adr xd, target; nop
            guard i1 & 0x1f == rd, (i1 >> 5) & 0x1f == rd else { return }
            let target = page + UInt64((i1 >> 10) & 0xfff)
            let d = Int64(bitPattern: target &- adrpAddr)
            guard d >= -(1 << 20) && d < (1 << 20) else { return }
            let imm = UInt32(truncatingIfNeeded: d) & 0x1f_ffff
            p.put32(Int(h.first), 0x1000_0000 | ((imm & 3) << 29) | ((imm >> 2) << 5) | rd)
            p.put32(Int(h.second), nop)
            return
        }
        // adrp xd, page; ldr xt|wt, [xd, #off]  ->  nop; ldr xt|wt, target (pc-relative literal)
        let size = i1 >> 30
        guard i1 & 0x3fc0_0000 == 0x3940_0000, size >= 2, (i1 >> 5) & 0x1f == rd else { return }
        let target = page + UInt64((i1 >> 10) & 0xfff) << UInt64(size)
        let d = Int64(bitPattern: target &- second)
        guard d & 3 == 0, d >= -(1 << 20) && d < (1 << 20) else { return }
        let literal: UInt32 = size == 3 ? 0x5800_0000 : 0x1800_0000
        p.put32(Int(h.first), nop)
        p.put32(Int(h.second), literal | ((UInt32(truncatingIfNeeded: d >> 2) & 0x7_ffff) << 5) | (i1 & 0x1f))
    }

    static let nop: UInt32 = 0xd503_201f

    /// The page an `adrp` at `addr` computes, or nil if `insn` is not an adrp.
    static func adrpPage(_ insn: UInt32, at addr: UInt64) -> UInt64? {
        guard insn & 0x9f00_0000 == 0x9000_0000 else { return nil }
        let imm = UInt64((insn >> 5) & 0x7_ffff) << 2 | UInt64((insn >> 29) & 3)
        let pages = Int64(bitPattern: imm << 43) >> 43
        return UInt64(bitPattern: Int64(bitPattern: addr & ~0xfff) + pages * 4096)
    }

    /// adrp + add + ldr (or adrp + ldr of a GOT slot + ldr): the first two collapse into a
    /// literal load of the final address or of the GOT slot when it is within 1 MiB, else
    /// adrp + add becomes adr + nop. The final load keeps its own offset.
    static func applyTripleHint(_ h: OptimizationHint, code p: UnsafeMutableRawPointer, place: UInt64) {
        let a0 = place + UInt64(h.first), a1 = place + UInt64(h.second)
        let i0 = p.get32(Int(h.first)), i1 = p.get32(Int(h.second)), i2 = p.get32(Int(h.third))
        guard let page = adrpPage(i0, at: a0) else { return }
        let rd = i0 & 0x1f
        if i1 & 0xffc0_0000 == 0x9100_0000 {
            // adrp + add: the address the add yields.
            guard (i1 >> 5) & 0x1f == rd, i1 & 0x1f == rd else { return }
            let target = page + UInt64((i1 >> 10) & 0xfff)
            let d = Int64(bitPattern: target &- a0)
            guard d >= -(1 << 20) && d < (1 << 20) else { return }
            let imm = UInt32(truncatingIfNeeded: d) & 0x1f_ffff
            p.put32(Int(h.first), 0x1000_0000 | ((imm & 3) << 29) | ((imm >> 2) << 5) | rd)
            p.put32(Int(h.second), nop)
            _ = i2
            return
        }
        if i1 & 0xffc0_0000 == 0xf940_0000 {
            // adrp + ldr x of a GOT slot: load the slot pc-relative instead.
            guard (i1 >> 5) & 0x1f == rd else { return }
            let slot = page + (UInt64((i1 >> 10) & 0xfff) << 3)
            let d = Int64(bitPattern: slot &- a1)
            guard d & 3 == 0, d >= -(1 << 20) && d < (1 << 20) else { return }
            p.put32(Int(h.first), nop)
            p.put32(Int(h.second), 0x5800_0000 | ((UInt32(truncatingIfNeeded: d >> 2) & 0x7_ffff) << 5) | (i1 & 0x1f))
        }
    }
}
