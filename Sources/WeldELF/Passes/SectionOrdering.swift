import WeldCore

// Hot/cold section ordering. Three sources, strongest first (as lld):
//   --symbol-ordering-file FILE      one symbol per line; their sections come first, in order;
//   --call-graph-ordering-file FILE  "caller callee weight" lines;
//   .llvm.call-graph-profile         the same edges, left in objects by clang -fprofile-use
//                                    (used unless --no-call-graph-profile-sort).
// Call graph edges are clustered with the call-chain clustering heuristic (C3, Ottoni & Maher,
// "Optimizing Function Placement for Large-Scale Data-Center Applications", CGO 2017): each
// function joins the cluster of its heaviest caller while clusters stay small and dense, and
// clusters are laid out densest first, so hot callers and callees share pages and cache lines.
// Within each output section, ordered sections come first by priority; the rest keep input
// order. Everything here is keyed by input order, so the result does not depend on threads.

/// Assigns each ordered section its priority and sorts the members of the output sections
/// that hold any.
func orderSections(_ ctx: Context) throws(LinkError) {
    let o = ctx.options
    var priorities: [ObjectIdentifier: Int32] = [:]
    if let path = o.symbolOrderingFile {
        priorities = try prioritiesFromSymbolOrderingFile(ctx, path)
    } else if let path = o.callGraphOrderingFile {
        var graph = CallGraph()
        try graph.readOrderingFile(ctx, path)
        priorities = graph.clusteredPriorities()
    } else if o.callGraphProfileSort && ctx.objects.contains(where: { $0.callGraphProfile != nil }) {
        var graph = CallGraph()
        graph.readProfileSections(ctx)
        priorities = graph.clusteredPriorities()
    }
    if priorities.isEmpty { return }
    for os in ctx.outputSections {
        var any = false
        for m in os.members {
            if let p = priorities[ObjectIdentifier(m)] { m.orderPriority = p; any = true }
        }
        if any { os.members = stableSorted(os.members) { $0.orderPriority < $1.orderPriority } }
    }
}

/// Resolves symbol names to the sections defining them: globals through the symbol table,
/// locals (static functions) by a scan of every object's local symbols for the wanted names.
struct SymbolSectionFinder {
    let ctx: Context
    private var localsByName: [String: [InputSection]] = [:]

    init(_ ctx: Context, wanted names: Set<String>) {
        self.ctx = ctx
        for obj in ctx.objects {
            for i in 1..<max(obj.firstGlobal, 1) {
                let t = obj.symType(i)
                if t != STT.func && t != STT.object && t != STT.notype { continue }
                let name = obj.symName(i)
                if name.count == 0 { continue }
                let s = name.string
                if names.contains(s), let sec = obj.symSection(i), sec.alive { localsByName[s, default: []].append(sec) }
            }
        }
    }

    /// The live sections defining `name` (a global's definition, or every local of that name),
    /// or why there is none.
    func sections(_ name: String) -> (sections: [InputSection], problem: String?) {
        var found: [InputSection] = []
        if let id = ctx.symbols.find(name) {
            let s = ctx.symbols[id]
            if s.isDefinedInObject, let sec = s.section, sec.alive { found.append(sec) }
            else if s.kind == .shared { if localsByName[name] == nil { return ([], "symbol is defined in a shared library: \(name)") } }
            else if s.isUndefined { if localsByName[name] == nil { return ([], "unable to order undefined symbol: \(name)") } }
            else if s.isAbsolute { return ([], "unable to order absolute symbol: \(name)") }
        }
        found += localsByName[name] ?? []
        return found.isEmpty ? ([], "symbol ordering file: no such symbol: \(name)") : (found, nil)
    }
}

func prioritiesFromSymbolOrderingFile(_ ctx: Context, _ path: String) throws(LinkError) -> [ObjectIdentifier: Int32] {
    let names = try readListFile(path, what: "symbol ordering file")
    let finder = SymbolSectionFinder(ctx, wanted: Set(names))
    var priorities: [ObjectIdentifier: Int32] = [:]
    var seen = Set<String>()
    for (i, name) in names.enumerated() {
        if !seen.insert(name).inserted {
            if ctx.options.warnSymbolOrdering { ctx.diag.warning("\(path): symbol ordering file: symbol '\(name)' specified multiple times") }
            continue
        }
        let (sections, problem) = finder.sections(name)
        if let problem, ctx.options.warnSymbolOrdering { ctx.diag.warning("\(path): \(problem)") }
        for sec in sections where priorities[ObjectIdentifier(sec)] == nil {
            priorities[ObjectIdentifier(sec)] = Int32(i)
        }
    }
    return priorities
}

/// A weighted call graph between input sections.
struct CallGraph {
    private var sections: [InputSection] = []
    private var nodeOf: [ObjectIdentifier: Int] = [:]
    private var edgeIndex: [UInt64: Int] = [:]         // (from << 32 | to) → edges index
    private var edges: [(from: Int, to: Int, weight: UInt64)] = []

    /// Upper bound of a cluster: beyond a megabyte, closeness no longer saves cache or TLB.
    static let maxClusterSize: UInt64 = 1 << 20
    /// A merge must not make the caller's cluster this many times less dense.
    static let densityDegradation: UInt64 = 8

    private mutating func node(_ sec: InputSection) -> Int {
        if let n = nodeOf[ObjectIdentifier(sec)] { return n }
        sections.append(sec)
        nodeOf[ObjectIdentifier(sec)] = sections.count - 1
        return sections.count - 1
    }

    mutating func addEdge(_ from: InputSection, _ to: InputSection, weight: UInt64) {
        // Only code is ordered, and a call within one section changes nothing.
        if from === to || weight == 0 || from.flags & SHF.execinstr == 0 || to.flags & SHF.execinstr == 0 { return }
        let a = node(from), b = node(to)
        let key = UInt64(a) << 32 | UInt64(b)
        if let e = edgeIndex[key] { edges[e].weight &+= weight } else {
            edgeIndex[key] = edges.count
            edges.append((a, b, weight))
        }
    }

    /// `caller callee weight` lines.
    mutating func readOrderingFile(_ ctx: Context, _ path: String) throws(LinkError) {
        let lines = try readListFile(path, what: "call graph ordering file")
        var parsed: [(String, String, UInt64)] = []
        var names = Set<String>()
        for (n, line) in lines.enumerated() {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count == 3, let w = UInt64(f[2]) else {
                throw LinkError("\(path): line \(n + 1): expected 'caller callee weight', got '\(line)'")
            }
            parsed.append((String(f[0]), String(f[1]), w))
            names.insert(String(f[0])); names.insert(String(f[1]))
        }
        let finder = SymbolSectionFinder(ctx, wanted: names)
        for (from, to, w) in parsed {
            let a = finder.sections(from), b = finder.sections(to)
            if let p = a.problem ?? b.problem {
                if ctx.options.warnSymbolOrdering { ctx.diag.warning("\(path): \(p)") }
                continue
            }
            addEdge(a.sections[0], b.sections[0], weight: w)
        }
    }

    /// The `.llvm.call-graph-profile` sections: edge k is weight k, with relocations 2k and
    /// 2k+1 naming the caller's and the callee's symbols.
    mutating func readProfileSections(_ ctx: Context) {
        for obj in ctx.objects {
            guard let cg = obj.callGraphProfile, let relocs = cg.relocs else { continue }
            let count = min(cg.count, cg.relocCount / 2)
            if cg.relocCount != cg.count * 2 {
                ctx.diag.warning("\(obj.displayName): .llvm.call-graph-profile has \(cg.count) entries but \(cg.relocCount) relocations; using \(count)")
            }
            func section(_ r: Int) -> InputSection? {
                let sym = Int(relocs.u64(r * cg.relocSize + 8) >> 32)
                if sym == 0 || sym >= obj.symbolCount { return nil }
                if sym < obj.firstGlobal { return obj.symSection(sym).flatMap { $0.alive ? $0 : nil } }
                let s = ctx.symbols[obj.symbolIds[sym - obj.firstGlobal]]
                guard s.isDefinedInObject, let sec = s.section, sec.alive else { return nil }
                return sec
            }
            for k in 0..<count {
                guard let from = section(2 * k), let to = section(2 * k + 1) else { continue }
                addEdge(from, to, weight: cg.weights.u64(k * 8))
            }
        }
    }

    /// C3 clustering; returns each clustered section's place in the final order.
    func clusteredPriorities() -> [ObjectIdentifier: Int32] {
        let n = sections.count
        if n == 0 { return [:] }
        var size = sections.map { max($0.size, 1) }
        var weight = [UInt64](repeating: 0, count: n)
        var bestCaller = [Int](repeating: -1, count: n)
        var bestCallerWeight = [UInt64](repeating: 0, count: n)
        for e in edges {
            weight[e.to] &+= e.weight
            // The heaviest caller; ties go to the caller seen first (input order).
            if e.weight > bestCallerWeight[e.to] { bestCaller[e.to] = e.from; bestCallerWeight[e.to] = e.weight }
        }
        // Each section starts as its own cluster; clusterOf points at the cluster's leader.
        var clusterOf = Array(0..<n)
        var members: [[Int]] = (0..<n).map { [$0] }
        var clusterWeight = weight
        func denser(_ a: Int, _ b: Int, _ wa: [UInt64], _ sa: [UInt64]) -> Bool {
            // wa[a]/sa[a] > wa[b]/sa[b] without division (128-bit products).
            let l = wa[a].multipliedFullWidth(by: sa[b]), r = wa[b].multipliedFullWidth(by: sa[a])
            return l.high != r.high ? l.high > r.high : (l.low != r.low ? l.low > r.low : a < b)
        }
        let byHeat = (0..<n).sorted { denser($0, $1, weight, size) }
        for callee in byHeat {
            let caller = bestCaller[callee]
            if caller < 0 || weight[callee] == 0 { continue }
            let into = clusterOf[caller], from = clusterOf[callee]
            if into == from { continue }
            let mergedSize = size[into] + size[from]
            if mergedSize > Self.maxClusterSize { continue }
            let mergedWeight = clusterWeight[into] &+ clusterWeight[from]
            // Skip merges that would dilute the caller's cluster too much.
            if mergedWeight.multipliedFullWidth(by: size[into] * Self.densityDegradation) < clusterWeight[into].multipliedFullWidth(by: mergedSize) { continue }
            for m in members[from] { clusterOf[m] = into }
            members[into] += members[from]
            members[from] = []
            size[into] = mergedSize
            clusterWeight[into] = mergedWeight
        }
        let leaders = (0..<n).filter { clusterOf[$0] == $0 && !members[$0].isEmpty }
        let ordered = leaders.sorted { denser($0, $1, clusterWeight, size) }
        var priorities: [ObjectIdentifier: Int32] = [:]
        var next: Int32 = 0
        for leader in ordered {
            for m in members[leader] {
                priorities[ObjectIdentifier(sections[m])] = next
                next += 1
            }
        }
        return priorities
    }
}
