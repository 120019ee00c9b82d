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
