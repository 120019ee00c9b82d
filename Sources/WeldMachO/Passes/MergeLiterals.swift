#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// C string and fixed-size literal deduplication (ld64 always merges them): identical contents
/// in the same output section keep one copy. Hashing runs in parallel; the choice of the kept
/// copy (the first in link order) does not depend on threads.
func mergeLiterals(_ ctx: LinkContext) {
    var candidates: [Int32] = []
    for f in ctx.objects {
        for s in f.sections where s.kind == .cstrings || s.kind == .literals {
            for k in 0..<Int(s.atomCount) {
                let a = f.atomBase + s.firstAtom + Int32(k)
                if ctx.atoms[Int(a)].live { candidates.append(a) }
            }
        }
    }
    if candidates.isEmpty { return }
    let hashes = Parallel.map(candidates.count, minChunk: 256) { i -> UInt64 in
        let atom = ctx.atoms[Int(candidates[i])]
        let f = ctx.objects[Int(atom.file)]
        let s = f.sections[Int(atom.section)]
        var h = fastHash(f.contents(ofAtom: atom)!, Int(atom.size))
        // Literals of different kinds or sections never merge.
        h ^= fastHash(s.sectname + "," + s.segname + "\(s.type)")
        return h
    }
    var table: [UInt64: [Int32]] = [:]
    for (i, a) in candidates.enumerated() {
        let atom = ctx.atoms[Int(a)]
        let f = ctx.objects[Int(atom.file)]
        let p = f.contents(ofAtom: atom)!
        let s = f.sections[Int(atom.section)]
        var merged = false
        for other in table[hashes[i], default: []] {
            let oa = ctx.atoms[Int(other)]
            let of = ctx.objects[Int(oa.file)]
            let os = of.sections[Int(oa.section)]
            if oa.size == atom.size && os.sectname == s.sectname && os.segname == s.segname && memcmp(p, of.contents(ofAtom: oa)!, Int(atom.size)) == 0 {
                ctx.atoms[Int(a)].replacedBy = other
                ctx.atoms[Int(a)].live = false
                ctx.atoms[Int(other)].alignLog2 = max(oa.alignLog2, atom.alignLog2)
                merged = true
                break
            }
        }
        if !merged { table[hashes[i], default: []].append(a) }
    }
}

func fastHash(_ s: String) -> UInt64 {
    var s = s
    return s.withUTF8 { fastHash(UnsafeRawBufferPointer($0)) }
}

/// Identical CIEs of different objects (same bytes, same relocation targets) are written once,
/// as ld64 and lld do; FDEs find the kept copy through `replacedBy`. First copy in link order.
func mergeCIEs(_ ctx: LinkContext) {
    var table: [UInt64: [Int32]] = [:]
    for f in ctx.objects where !f.cieOfFDE.isEmpty {
        var isCIE = Set<Int32>()
        for (_, cie) in f.cieOfFDE { isCIE.insert(cie) }
        for si in f.sections.indices where f.sections[si].kind == .ehFrame {
            let s = f.sections[si]
            for k in 0..<Int(s.atomCount) {
                let local = s.firstAtom + Int32(k)
                let a = f.atomBase + local
                let atom = ctx.atoms[Int(a)]
                guard isCIE.contains(local), atom.live, let p = f.contents(ofAtom: atom) else { continue }
                let relocs = f.relocs[Int(atom.relocStart)..<Int(atom.relocStart + atom.relocCount)]
                var h = fastHash(p, Int(atom.size))
                for r in relocs { h = h &* 31 &+ UInt64(r.offset) &+ UInt64(r.type) << 32 &+ UInt64(bitPattern: Int64(target(ctx, f, r))) }
                var merged = false
                for other in table[h, default: []] where sameCIE(ctx, a, other) {
                    ctx.atoms[Int(a)].replacedBy = other
                    ctx.atoms[Int(a)].live = false
                    merged = true
                    break
                }
                if !merged { table[h, default: []].append(a) }
            }
        }
    }
}

/// What a relocation points at, comparable across objects: a global symbol or atom.
private func target(_ ctx: LinkContext, _ f: ObjectFile, _ r: Reloc) -> Int64 {
    r.targetIsSymbol ? Int64(f.symbolIDs[Int(r.target)]) : -2 - Int64(f.atomBase + r.target)
}

private func sameCIE(_ ctx: LinkContext, _ a: Int32, _ b: Int32) -> Bool {
    let x = ctx.atoms[Int(a)], y = ctx.atoms[Int(b)]
    guard x.size == y.size, x.relocCount == y.relocCount else { return false }
    let fx = ctx.objects[Int(x.file)], fy = ctx.objects[Int(y.file)]
    let rx = fx.relocs[Int(x.relocStart)..<Int(x.relocStart + x.relocCount)]
    let ry = fy.relocs[Int(y.relocStart)..<Int(y.relocStart + y.relocCount)]
    for (p, q) in zip(rx, ry) {
        guard p.offset == q.offset, p.type == q.type, p.length == q.length, p.addend == q.addend,
              target(ctx, fx, p) == target(ctx, fy, q) else { return false }
    }
    // The bytes outside relocated fields must match.
    guard let bx = fx.contents(ofAtom: x), let by = fy.contents(ofAtom: y) else { return false }
    for i in 0..<Int(x.size) where bx.u8(i) != by.u8(i) {
        if !rx.contains(where: { Int($0.offset) <= i && i < Int($0.offset) + (1 << Int($0.length)) }) { return false }
    }
    return true
}
