#if canImport(Glibc)
import Glibc
#endif
import WeldCore

// Identical code folding (`--icf=all|safe`): read-only code sections with the same bytes, the
// same relocations and equivalent relocation targets are kept once; the others take the kept
// section's place (same output section and offset), so every symbol in them still resolves.
//
// Equivalence is computed by partition refinement, as in the literature on ICF (e.g. Tallam et
// al., "Safe ICF", CGO 2013): candidates are first grouped by what can be compared directly
// (flags, size, alignment, bytes, relocation types, offsets, addends and every target that is
// not itself a candidate); then groups are split, round after round, until the targets that are
// candidates fall in the same group for every member. Each round reads the previous round's
// classes and writes new ones (no member sees a half-updated round), groups are processed in
// parallel, and a class is named by its first member in input order: the result is the same at
// any thread count. The first member of each final group (in input order) is kept.

/// Runs ICF over the live sections; returns how many sections were folded.
@discardableResult
func foldIdenticalCode(_ ctx: Context) -> Int {
    let candidates = icfCandidates(ctx)
    if candidates.count < 2 { return 0 }
    for (i, sec) in candidates.enumerated() { sec.icfIndex = Int32(i) }
    let targets = ICFTargets(ctx)

    // Round 0: group by a hash of everything but candidate targets, then split each run of equal
    // hashes by a full comparison.
    let hashes: [UInt64] = Parallel.map(candidates.count) { i in targets.constantHash(candidates[i]) }
    let byHash = (0..<candidates.count).sorted { (hashes[$0], $0) < (hashes[$1], $1) }
    var runs: [[Int]] = []
    var start = 0
    for k in 1...byHash.count where k == byHash.count || hashes[byHash[k]] != hashes[byHash[start]] {
        if k - start >= 2 { runs.append(Array(byHash[start..<k]).sorted()) }
        start = k
    }
    var groups: [[Int]] = Parallel.map(runs.count) { r in
        split(runs[r]) { a, b in targets.constantEqual(candidates[a], candidates[b]) }
    }.flatMap { $0 }.filter { $0.count >= 2 }

    // Rounds: split groups whose members reach candidate targets of different classes.
    var classOf = [Int32](repeating: -1, count: candidates.count)
    func assign(_ groups: [[Int]]) { for g in groups { for m in g { classOf[m] = Int32(g[0]) } } }
    assign(groups)
    while true {
        let snapshot = classOf
        let refined: [[[Int]]] = Parallel.map(groups.count) { g in
            split(groups[g]) { a, b in targets.variableEqual(candidates[a], candidates[b], classOf: snapshot) }
        }
        if !refined.contains(where: { $0.count != 1 }) { break }
        // Members split off alone can no longer be folded: they leave the classes.
        groups = refined.flatMap { $0 }.filter { $0.count >= 2 }
        classOf = [Int32](repeating: -1, count: candidates.count)
        assign(groups)
    }

    // Fold: the first member (input order) stays.
    groups.sort { $0[0] < $1[0] }
    var folded = 0
    var report = ""
    for g in groups {
        let keep = candidates[g[0]]
        if ctx.options.printICFSections { report += "selected section \(keep.displayName)\n" }
        for m in g.dropFirst() {
            let sec = candidates[m]
            sec.foldedInto = keep
            folded += 1
            if ctx.options.printICFSections { report += "  removing identical section \(sec.displayName)\n" }
        }
    }
    ctx.foldedSections = groups.flatMap { g in g.dropFirst().map { candidates[$0] } }
    if !report.isEmpty { print(report, terminator: "") }
    return folded
}

/// Splits `members` (ascending) into classes of `equal` members, each class in ascending
/// order, classes ordered by their first member. Compares against each class's first member.
private func split(_ members: [Int], _ equal: (Int, Int) -> Bool) -> [[Int]] {
    var classes: [[Int]] = []
    outer: for m in members {
        for c in classes.indices where equal(classes[c][0], m) {
            classes[c].append(m)
            continue outer
        }
        classes.append([m])
    }
    return classes
}

/// The sections ICF may fold: live, allocated, read-only code with contents, not split into
/// pieces, not .init/.fini (their bodies are concatenated, not called), and under --icf=safe
/// not address-significant.
func icfCandidates(_ ctx: Context) -> [InputSection] {
    if ctx.options.icf == .safe { markAddressSignificantSections(ctx) }
    var result: [InputSection] = []
    for obj in ctx.objects {
        for case let sec? in obj.sections where sec.alive {
            let f = sec.flags
            if f & SHF.alloc == 0 || f & SHF.execinstr == 0 || f & SHF.write != 0 { continue }
            if sec.type != SHT.progbits || sec.size == 0 || sec.pieces != nil { continue }
            if sec.name.equals(".init") || sec.name.equals(".fini") { continue }
            if ctx.options.icf == .safe && sec.isAddressSignificant { continue }
            result.append(sec)
        }
    }
    return result
}

/// Marks the sections whose address may be compared (--icf=safe): those named by an object's
/// `.llvm_addrsig`; every section an object without one defines or refers to by symbol (gcc
/// writes no such table, so nothing can be assumed); and exported symbols' sections.
func markAddressSignificantSections(_ ctx: Context) {
    let syms = ctx.symbols
    func mark(_ obj: ObjectFile, _ i: Int) {
        if i <= 0 || i >= obj.symbolCount { return }
        if i < obj.firstGlobal {
            obj.symSection(i)?.isAddressSignificant = true
        } else {
            let s = syms[obj.symbolIds[i - obj.firstGlobal]]
            if s.isDefinedInObject { s.section?.isAddressSignificant = true }
        }
    }
    for obj in ctx.objects {
        if let table = obj.addressSignificance {
            var off = 0
            while off < table.size {
                var v = 0, shift = 0
                while off < table.size {
                    let b = table.bytes.u8(off)
                    off += 1
                    if shift < 63 { v |= Int(b & 0x7f) << shift }
                    shift += 7
                    if b & 0x80 == 0 { break }
                }
                mark(obj, v)
            }
        } else {
            for i in 1..<max(obj.symbolCount, 1) { mark(obj, i) }
            for case let sec? in obj.sections { sec.isAddressSignificant = true }
        }
    }
    // Symbols other modules can see may have their address compared there.
    if ctx.options.outputKind == .sharedLibrary || ctx.options.exportDynamic {
        for id in 0..<Int32(syms.count) {
            let s = syms[id]
            if s.isDefinedInObject && s.visibility == STV.default { s.section?.isAddressSignificant = true }
        }
    }
}

/// How relocation targets compare for ICF.
struct ICFTargets {
    let ctx: Context
    /// A global defined in an object can be compared by place (section and offset) unless a
    /// shared output may see it interposed at run time.
    let globalsArePlaces: Bool

    init(_ ctx: Context) {
        self.ctx = ctx
        globalsArePlaces = ctx.options.outputKind != .sharedLibrary || ctx.options.bsymbolic
    }

    /// A relocation target: a place (section, offset) or a symbol known only by identity.
    enum Target: Equatable {
        case place(InputSection, UInt64)
        case symbol(Int32)
        case absolute(UInt64)
        case none

        static func == (a: Target, b: Target) -> Bool {
            switch (a, b) {
            case let (.place(s, o), .place(t, p)): return s === t && o == p
            case let (.symbol(x), .symbol(y)): return x == y
            case let (.absolute(x), .absolute(y)): return x == y
            case (.none, .none): return true
            default: return false
            }
        }
    }

    @inline(__always)
    func target(_ obj: ObjectFile, _ sym: Int) -> Target {
        if sym == 0 { return .none }
        if sym < obj.firstGlobal {
            if let id = obj.promotedLocals[sym] { return .symbol(id) }
            if obj.symShndx(sym) == UInt32(SHN.abs) { return .absolute(obj.symValue(sym)) }
            guard let sec = obj.symSection(sym) else { return .none }
            return .place(sec, obj.symValue(sym))
        }
        let id = obj.symbolIds[sym - obj.firstGlobal]
        let s = ctx.symbols[id]
        if globalsArePlaces && s.isDefinedInObject && s.kind != .common && !s.isAbsolute,
           s.flags & SymbolFlag.isIfunc == 0, let sec = s.section {
            return .place(sec, ctx.objects[Int(s.fileIndex)].symValue(Int(s.symIndex)))
        }
        return .symbol(id)
    }

    @inline(__always) private func mix(_ h: UInt64, _ v: UInt64) -> UInt64 {
        var x = (h ^ v) &* 0x9e37_79b9_7f4a_7c15
        x ^= x >> 29
        return x &* 0xbf58_476d_1ce4_e5b9
    }

    /// A hash of what constantEqual compares, stable across runs and thread counts (names and
    /// input positions, never symbol ids or addresses).
    func constantHash(_ sec: InputSection) -> UInt64 {
        var h = fastHash(sec.data, Int(sec.size), seed: sec.size)
        h = mix(h, sec.flags)
        h = mix(h, UInt64(sec.relocCount))
        let obj = sec.file
        for r in 0..<sec.relocCount {
            let rel = sec.reloc(r)
            h = mix(h, rel.info & 0xffff_ffff)
            h = mix(h, rel.offset)
            h = mix(h, UInt64(bitPattern: rel.addend))
            switch target(obj, rel.sym) {
            case let .place(t, off):
                if t.icfIndex < 0 { h = mix(mix(h, UInt64(t.file.index) << 32 | UInt64(t.index)), off) }
                else { h = mix(h, off) }
            case let .symbol(id):
                let n = ctx.symbols[id].name
                h = mix(h, fastHash(n.ptr, n.count))
            case let .absolute(v): h = mix(h, v)
            case .none: h = mix(h, 1)
            }
        }
        return h
    }

    /// Everything but the classes of candidate targets is equal.
    func constantEqual(_ a: InputSection, _ b: InputSection) -> Bool {
        if a.flags != b.flags || a.size != b.size || a.align != b.align || a.relocCount != b.relocCount { return false }
        if memcmp(a.data, b.data, Int(a.size)) != 0 { return false }
        for r in 0..<a.relocCount {
            let x = a.reloc(r), y = b.reloc(r)
            if x.info & 0xffff_ffff != y.info & 0xffff_ffff || x.offset != y.offset || x.addend != y.addend { return false }
            let tx = target(a.file, x.sym), ty = target(b.file, y.sym)
            if case let .place(sx, ox) = tx, case let .place(sy, oy) = ty, sx.icfIndex >= 0 && sy.icfIndex >= 0 {
                if ox != oy { return false }   // candidate targets: their classes are compared later
                continue
            }
            if tx != ty { return false }
        }
        return true
    }

    /// Candidate targets fall in the same class (or are the same section).
    func variableEqual(_ a: InputSection, _ b: InputSection, classOf: [Int32]) -> Bool {
        for r in 0..<a.relocCount {
            guard case let .place(sx, _) = target(a.file, a.reloc(r).sym), sx.icfIndex >= 0,
                  case let .place(sy, _) = target(b.file, b.reloc(r).sym) else { continue }
            if sx === sy { continue }
            let cx = classOf[Int(sx.icfIndex)], cy = classOf[Int(sy.icfIndex)]
            if cx < 0 || cx != cy { return false }
        }
        return true
    }
}
