import WeldCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `--gc-sections`: marks the input sections the program can reach and drops the rest.
///
/// Runs after symbol resolution and before output sections are made, so a dead section is
/// simply `alive = false` to every later pass (its .eh_frame FDEs are dropped by
/// `splitEhFrame`, its symbols leave .symtab).
///
/// Roots: the entry symbol, `-u` symbols, `--defsym` targets, `_init`/`_fini`, every symbol the
/// output exports to .dynsym, sections the loader runs or reads (`.init_array*`, `.fini_array*`,
/// `.preinit_array*`, `.ctors*`, `.dtors*`, `.init`, `.fini`, `.jcr`, notes outside groups),
/// `SHF_GNU_RETAIN` sections, and non-allocated sections outside groups (debug info is kept,
/// but its relocations keep nothing alive). From a live allocated section every relocation
/// target becomes live: a local symbol's section, or the section of the resolved definition of
/// a global. A reference to an undefined `__start_SEC`/`__stop_SEC` (which the linker will
/// define) keeps every section named SEC (GNU ld's default, `-z nostart-stop-gc`).
///
/// Dependencies that are not relocations: the members of a COMDAT group live and die
/// together; a `SHF_LINK_ORDER` section lives with the section it is linked to; and a
/// function's LSDA (`.gcc_except_table`, named by the function's FDE) lives with the function.
/// `.eh_frame` itself keeps no function alive; its CIEs' personality routines are roots.
///
/// Marking is parallel and in rounds: each round splits the frontier into chunks, each chunk
/// walks depth-first for a bounded number of sections, and sections are claimed with one
/// atomic exchange per section, so each is visited once. The live set is the closure of the
/// roots whatever the schedule; what is printed and dropped is in command-line order.
func garbageCollectSections(_ ctx: Context) {
    PhaseTimer.shared.phase("gc sections") { markAndSweep(ctx) }
}

/// A section as a work item: object index << 32 | section index.
private typealias SectionRef = UInt64
@inline(__always) private func ref(_ file: Int, _ sec: Int) -> SectionRef { UInt64(file) << 32 | UInt64(sec) }

/// What one object contributes before marking, computed per file in parallel.
private struct FileGraph {
    /// Sections live from the start.
    var roots: [SectionRef] = []
    /// Sections whose relocations are not followed (non-alloc, .eh_frame).
    var noFollow: [Bool] = []
    /// Dependent sections, CSR by section index: depStart[s]..<depStart[s+1] in depList.
    var depStart: [Int32] = []
    var depList: [Int32] = []
}

private func markAndSweep(_ ctx: Context) {
    let syms = ctx.symbols
    let objects = ctx.objects
    let o = ctx.options

    // One mark per input section slot; slots of missing or already dropped sections start
    // marked so they are never enqueued.
    var fileBase = [Int](repeating: 0, count: objects.count + 1)
    for (f, obj) in objects.enumerated() { fileBase[f + 1] = fileBase[f] + obj.sections.count }
    let slotCount = max(fileBase[objects.count], 1)
    let marks = UnsafeMutablePointer<Atomic<UInt8>>.allocate(capacity: slotCount)
    defer { marks.deallocate() }
    Parallel.forEach(objects.count) { f in
        let obj = objects[f]
        for (s, sec) in obj.sections.enumerated() {
            (marks + fileBase[f] + s).initialize(to: Atomic<UInt8>(sec?.alive == true ? 0 : 1))
        }
    }
    if fileBase[objects.count] == 0 { marks.initialize(to: Atomic<UInt8>(1)) }
    @inline(__always) func claim(_ f: Int, _ s: Int) -> Bool {
        let m = marks + fileBase[f] + s
        if m.pointee.load(ordering: .relaxed) != 0 { return false }
        return m.pointee.exchange(1, ordering: .relaxed) == 0
    }

    // Per-file roots and dependency edges.
    let graphs: [FileGraph] = Parallel.map(objects.count) { f in buildFileGraph(ctx, objects[f], f) }

    // Symbol roots.
    var rootSyms: [Int32] = []
    var rootNames = o.undefined
    if let e = o.entry { rootNames.append(e) } else if o.outputKind == .executable { rootNames.append("_start") }
    rootNames += ["_init", "_fini"]
    for (_, expr) in o.defsyms where parseNumber(expr) == nil {
        let base = expr.split(whereSeparator: { $0 == "+" || $0 == "-" }).first.map { String($0).trimmingCharacters() } ?? expr
        rootNames.append(base)
    }
    for n in rootNames { if let id = syms.find(n) { rootSyms.append(id) } }
    if !ctx.isStatic {
        // Everything the output exports to .dynsym (the same test `synthesize` applies).
        let exportNames = Set(o.exportDynamicSymbols)
        let local = VersionScriptLocals(ctx)
        let chunks = 64
        let found: [[Int32]] = Parallel.map(chunks) { c in
            var out: [Int32] = []
            let lo = syms.count * c / chunks, hi = syms.count * (c + 1) / chunks
            for idx in lo..<hi {
                let s = syms[Int32(idx)]
                if s.name.count < 0 || s.section == nil || !s.isDefinedInObject || s.fileIndex < 0 { continue }
                if !(s.visibility == STV.default || s.visibility == STV.protected) || s.binding == STB.local { continue }
                let export: Bool
                if ctx.isShared { export = !local.isLocal(s.name) }
                else { export = o.exportDynamic || s.referencedByShared || (!exportNames.isEmpty && exportNames.contains(s.name.string)) }
                if export { out.append(Int32(idx)) }
            }
            return out
        }
        for list in found { rootSyms += list }
    }

    // __start_SEC / __stop_SEC that the linker will define: symbol id → the sections named SEC.
    var startStop: [Int32: [SectionRef]] = [:]
    for (f, obj) in objects.enumerated() {
        for case let sec? in obj.sections where sec.alive && sec.flags & SHF.alloc != 0 && isCIdentifier(sec.name) {
            let name = sec.name.string
            for prefix in ["__start_", "__stop_"] {
                guard let id = syms.find(prefix + name), syms[id].isUndefined else { continue }
                startStop[id, default: []].append(ref(f, sec.index))
            }
        }
    }

    // The first frontier: claimed roots, in a fixed order.
    var frontier: [SectionRef] = []
    for g in graphs {
        for r in g.roots where claim(Int(r >> 32), Int(r & 0xffff_ffff)) { frontier.append(r) }
    }
    for id in rootSyms {
        guard let sec = syms[id].section, syms[id].isDefinedInObject, sec.file.index >= 0 else { continue }
        if claim(Int(sec.file.index), sec.index) { frontier.append(ref(Int(sec.file.index), sec.index)) }
    }

    // Rounds: each chunk walks depth-first up to `budget` sections and hands back the rest.
    let budget = 2048
    while !frontier.isEmpty {
        let work = frontier
        let chunks = min(work.count, max(1, Parallel.threadCount * 4))
        let next: [[SectionRef]] = Parallel.map(chunks) { c in
            var stack = Array(work[(work.count * c / chunks)..<(work.count * (c + 1) / chunks)])
            var visited = 0
            while visited < budget, let item = stack.popLast() {
                visited += 1
                let f = Int(item >> 32), s = Int(item & 0xffff_ffff)
                let obj = objects[f]
                let g = graphs[f]
                @inline(__always) func reach(_ tf: Int, _ ts: Int) { if claim(tf, ts) { stack.append(ref(tf, ts)) } }
                for k in Int(g.depStart[s])..<Int(g.depStart[s + 1]) { reach(f, Int(g.depList[k])) }
                if g.noFollow[s] { continue }
                guard let sec = obj.sections[s], sec.relocCount > 0 else { continue }
                let firstGlobal = obj.firstGlobal
                for r in 0..<sec.relocCount {
                    let rel = sec.reloc(r)
                    let sym = rel.sym
                    if sym == 0 || rel.type == R_X86_64.none { continue }
                    if sym < firstGlobal {
                        if let t = obj.symSection(sym) { reach(f, t.index) }
                        continue
                    }
                    let id = obj.symbolIds[sym - firstGlobal]
                    let target = syms[id]
                    if let t = target.section {
                        if target.isDefinedInObject && t.file.index >= 0 { reach(Int(t.file.index), t.index) }
                    } else if !startStop.isEmpty && target.isUndefined, let secs = startStop[id] {
                        for x in secs { reach(Int(x >> 32), Int(x & 0xffff_ffff)) }
                    }
                }
            }
            return stack
        }
        frontier = next.flatMap { $0 }
    }

    // Sweep: unmarked sections die.
    let dead: [[Int]] = Parallel.map(objects.count) { f in
        let obj = objects[f]
        var list: [Int] = []
        for case let sec? in obj.sections where sec.alive && (marks + fileBase[f] + sec.index).pointee.load(ordering: .relaxed) == 0 {
            sec.alive = false
            list.append(sec.index)
        }
        return list
    }
    if o.printGcSections {
        // Command-line order: files by priority (archive members after their archive's
        // position, by member index), sections by index.
        let order = objects.indices.sorted { (objects[$0].priority, $0) < (objects[$1].priority, $1) }
        var text = ""
        for f in order {
            for s in dead[f] { text += "removing unused section \(objects[f].sections[s]!.displayName)\n" }
        }
        fputs(text, stderr)
    }
}

/// Roots and dependency edges of one object.
private func buildFileGraph(_ ctx: Context, _ obj: ObjectFile, _ f: Int) -> FileGraph {
    var g = FileGraph()
    let n = obj.sections.count
    g.noFollow = [Bool](repeating: false, count: n)
    var inGroup = [Bool](repeating: false, count: n)
    var edges: [(from: Int32, to: Int32)] = []

    // COMDAT groups live or die as a unit: each member leads to the next, in a ring.
    for (_, members) in obj.groups {
        let live = members.compactMap { m -> Int32? in
            guard Int(m) < n, let s = obj.sections[Int(m)], s.alive else { return nil }
            return Int32(m)
        }
        for m in live { inGroup[Int(m)] = true }
        if live.count > 1 {
            for k in 0..<live.count { edges.append((live[k], live[(k + 1) % live.count])) }
        }
    }

    let shoff = Int(obj.base.u64(40))
    for case let sec? in obj.sections where sec.alive {
        let s = sec.index
        let alloc = sec.flags & SHF.alloc != 0
        if !alloc { g.noFollow[s] = true }
        if sec.flags & SHF.gnuRetain != 0 { g.roots.append(ref(f, s)); continue }
        if sec.flags & SHF.linkOrder != 0 {
            // Lives with the section named by sh_link.
            let link = Int(obj.base.u32(shoff + s * 64 + 40))
            if link > 0 && link < n, obj.sections[link] != nil { edges.append((Int32(link), Int32(s))) }
            continue
        }
        if isEhFrame(sec) {
            g.noFollow[s] = true
            g.roots.append(ref(f, s))
            scanEhFrame(ctx, obj, sec, f, &g.roots, &edges)
            continue
        }
        if !alloc {
            if !inGroup[s] { g.roots.append(ref(f, s)) }
            continue
        }
        if isReserved(sec, inGroup: inGroup[s]) { g.roots.append(ref(f, s)) }
    }

    // Edges to CSR.
    g.depStart = [Int32](repeating: 0, count: n + 1)
    for e in edges { g.depStart[Int(e.from) + 1] += 1 }
    for i in 0..<n { g.depStart[i + 1] += g.depStart[i] }
    g.depList = [Int32](repeating: 0, count: edges.count)
    var fill = Array(g.depStart.prefix(n))
    for e in edges {
        g.depList[Int(fill[Int(e.from)])] = e.to
        fill[Int(e.from)] += 1
    }
    return g
}

@inline(__always) private func isEhFrame(_ sec: InputSection) -> Bool {
    (sec.name.equals(".eh_frame") && sec.type == SHT.progbits) || sec.type == SHT.x86_64Unwind
}

/// Sections the loader or the C runtime uses without a relocation naming them.
private func isReserved(_ sec: InputSection, inGroup: Bool) -> Bool {
    switch sec.type {
    case SHT.initArray, SHT.finiArray, SHT.preinitArray: return true
    case SHT.note: return !inGroup
    default: break
    }
    let n = sec.name
    if n.hasPrefix(".note") { return !inGroup }
    return n.equals(".init") || n.equals(".fini") || n.equals(".jcr") || n.hasPrefix(".init_array") ||
        n.hasPrefix(".fini_array") || n.hasPrefix(".preinit_array") || n.hasPrefix(".ctors") || n.hasPrefix(".dtors")
}

/// Walks .eh_frame records: a CIE's relocations (personality routines) are roots; an FDE's
/// first relocation names its function (found as `splitEhFrame` finds it, which decides
/// whether the FDE is kept), and any later ones (the LSDA) become dependents of that
/// function's section. The function reference itself keeps nothing alive.
private func scanEhFrame(_ ctx: Context, _ obj: ObjectFile, _ sec: InputSection, _ f: Int, _ roots: inout [SectionRef],
                         _ edges: inout [(from: Int32, to: Int32)]) {
    let data = sec.data
    let size = Int(sec.size)
    var off = 0
    var r = 0
    while off + 4 <= size {
        let len = Int(data.u32(off))
        if len == 0 || len == 0xffff_ffff || off + 4 + len > size { break } // splitEhFrame reports it
        let end = UInt64(off + 4 + len)
        let isCIE = len < 4 || data.u32(off + 4) == 0
        while r < sec.relocCount && sec.reloc(r).offset < UInt64(off) { r += 1 }
        var first = true
        var function: InputSection? = nil
        while r < sec.relocCount && sec.reloc(r).offset < end {
            let rel = sec.reloc(r)
            r += 1
            if rel.type == R_X86_64.none || rel.sym == 0 { continue }
            if !isCIE && first { first = false; function = obj.symSection(rel.sym); continue }
            guard let t = relocTarget(ctx, obj, f, rel.sym) else { continue }
            if !isCIE, let fn = function, Int(t >> 32) == f {
                edges.append((Int32(fn.index), Int32(t & 0xffff_ffff)))
            } else if isCIE || function != nil {
                roots.append(t)
            }
        }
        off += 4 + len
    }
}

/// The section a relocation against symbol `sym` of file `f` reaches: a local symbol's own
/// section, or the section of the global's resolved definition.
@inline(__always) private func relocTarget(_ ctx: Context, _ obj: ObjectFile, _ f: Int, _ sym: Int) -> SectionRef? {
    if sym < obj.firstGlobal { return obj.symSection(sym).map { ref(f, $0.index) } }
    let s = ctx.symbols[obj.symbolIds[sym - obj.firstGlobal]]
    guard let t = s.section, s.isDefinedInObject, t.file.index >= 0 else { return nil }
    return ref(Int(t.file.index), t.index)
}

/// The `local:` patterns of the version scripts, read here because they decide which
/// definitions of a shared library are exported (and so are roots) before the driver loads
/// them. A script that fails to parse adds nothing here; the driver reports it.
private struct VersionScriptLocals {
    var globals: [String] = []
    var locals: [String] = []
    var localAll = false

    init(_ ctx: Context) {
        for path in ctx.options.versionScripts {
            guard let f = try? MappedFile.open(path) else { continue }
            let text = String(decoding: f.bytes, as: UTF8.self)
            guard let vs = try? parseVersionScript(text, path: path) else { continue }
            globals += vs.globals
            for l in vs.locals { if l == "*" { localAll = true } else { locals.append(l) } }
        }
    }

    func isLocal(_ name: NameRef) -> Bool {
        if !localAll && locals.isEmpty { return false }
        let n = name.string
        if globals.contains(where: { globMatch($0, n) }) { return false }
        return localAll || locals.contains(where: { globMatch($0, n) })
    }
}

@inline(__always) private func isCIdentifier(_ n: NameRef) -> Bool {
    if n.count == 0 { return false }
    for i in 0..<n.count {
        let c = n.ptr.u8(i)
        let letter = c == UInt8(ascii: "_") || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z"))
        if !(letter || (i > 0 && c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))) { return false }
    }
    return true
}
