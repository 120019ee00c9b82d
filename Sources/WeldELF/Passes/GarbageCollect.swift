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
    /// Sections live from the start (possibly in other files: a CIE's personality routine).
    var roots: [SectionRef] = []
    /// Sections whose relocations are not followed (non-alloc, .eh_frame).
    var noFollow: [Bool] = []
    /// Dependent sections of the same file, CSR by section index: depStart[s]..<depStart[s+1].
    var depStart: [Int32] = []
    var depList: [Int32] = []
}

/// The marking loop's view of one input section slot: plain values, no references.
private struct Slot {
    var relocs: UnsafeRawPointer? = nil     // nil: nothing to follow
    var relocCount: Int32 = 0
    var depStart: Int32 = 0                 // range in the flat dependents array
    var depEnd: Int32 = 0
}

/// The marking loop's view of one object file.
private struct FileView {
    var symtab: UnsafeRawPointer? = nil
    var symtabShndx: UnsafeRawPointer? = nil
    var firstGlobal = 0
    var symbolIds: UnsafePointer<Int32>? = nil
    var slotBase = 0
}

/// `symTarget` values: a definition's section, nothing, or a `__start_`/`__stop_` list.
private let noTarget: UInt64 = .max
private let startStopTag: UInt64 = 1 << 62

private func markAndSweep(_ ctx: Context) {
    let syms = ctx.symbols
    let objects = ctx.objects
    let o = ctx.options
    var T = monotonicNanos()
    func lap(_ n: String) { let t = monotonicNanos(); fputs("GC \(n) \(Double(t - T) / 1e6)\n", stderr); T = t }

    // One slot per input section; slots of missing or already dropped sections start marked
    // so they are never enqueued.
    var fileBase = [Int](repeating: 0, count: objects.count + 1)
    for (f, obj) in objects.enumerated() { fileBase[f + 1] = fileBase[f] + obj.sections.count }
    let slotCount = max(fileBase[objects.count], 1)
    let marks = UnsafeMutablePointer<Atomic<UInt8>>.allocate(capacity: slotCount)
    let slots = UnsafeMutablePointer<Slot>.allocate(capacity: slotCount)
    let files = UnsafeMutablePointer<FileView>.allocate(capacity: max(objects.count, 1))
    defer { marks.deallocate(); slots.deallocate(); files.deallocate() }
    if fileBase[objects.count] == 0 { marks.initialize(to: Atomic<UInt8>(1)); slots.initialize(to: Slot()) }

    lap("alloc")
    // Per-file roots and dependency edges, and the flat per-slot view.
    let graphs: [FileGraph] = Parallel.map(objects.count) { f in buildFileGraph(ctx, objects[f], f) }
    lap("graphs")
    var depBase = [Int](repeating: 0, count: objects.count + 1)
    for f in 0..<objects.count { depBase[f + 1] = depBase[f] + graphs[f].depList.count }
    let deps = UnsafeMutablePointer<SectionRef>.allocate(capacity: max(depBase[objects.count], 1))
    defer { deps.deallocate() }
    Parallel.forEach(objects.count) { f in
        let obj = objects[f]
        let g = graphs[f]
        let base = fileBase[f]
        // The symbol ids array is not mutated during this pass, so its storage stays put.
        let ids = obj.symbolIds.withUnsafeBufferPointer { $0.baseAddress }
        (files + f).initialize(to: FileView(symtab: obj.symtab, symtabShndx: obj.symtabShndx, firstGlobal: obj.firstGlobal,
                                            symbolIds: ids, slotBase: base))
        for (s, sec) in obj.sections.enumerated() {
            let live = sec?.alive == true
            (marks + base + s).initialize(to: Atomic<UInt8>(live ? 0 : 1))
            var slot = Slot()
            if let sec, live, !g.noFollow[s], sec.relocCount > 0 {
                slot.relocs = sec.relocs
                slot.relocCount = Int32(sec.relocCount)
            }
            slot.depStart = Int32(depBase[f]) + g.depStart[s]
            slot.depEnd = Int32(depBase[f]) + g.depStart[s + 1]
            (slots + base + s).initialize(to: slot)
        }
        for (k, d) in g.depList.enumerated() { (deps + depBase[f] + k).initialize(to: ref(f, Int(d))) }
    }
    lap("slots")
    @inline(__always) func claim(_ r: SectionRef) -> Bool {
        let m = marks + fileBase[Int(r >> 32)] + Int(r & 0xffff_ffff)
        if m.pointee.load(ordering: .relaxed) != 0 { return false }
        return m.pointee.exchange(1, ordering: .relaxed) == 0
    }

    // __start_SEC / __stop_SEC that the linker will define: symbol id → the sections named SEC.
    var startStopIds: [Int32: Int] = [:]
    var startStopLists: [[SectionRef]] = []
    for (f, obj) in objects.enumerated() {
        for case let sec? in obj.sections where sec.alive && sec.flags & SHF.alloc != 0 && isCIdentifier(sec.name) {
            let name = sec.name.string
            for prefix in ["__start_", "__stop_"] {
                guard let id = syms.find(prefix + name), syms[id].isUndefined else { continue }
                if startStopIds[id] == nil { startStopIds[id] = startStopLists.count; startStopLists.append([]) }
                startStopLists[startStopIds[id]!].append(ref(f, sec.index))
            }
        }
    }

    lap("startstop")
    // Where a relocation against each global symbol leads.
    let symCount = syms.count
    let symTarget = UnsafeMutablePointer<UInt64>.allocate(capacity: max(symCount, 1))
    defer { symTarget.deallocate() }
    Parallel.forEach(symCount, minChunk: 4096) { idx in
        let s = syms[Int32(idx)]
        var t = noTarget
        if s.isDefinedInObject, let sec = s.section, sec.file.index >= 0 { t = ref(Int(sec.file.index), sec.index) }
        (symTarget + idx).initialize(to: t)
    }
    for (id, k) in startStopIds { symTarget[Int(id)] = startStopTag | UInt64(k) }

    lap("symtarget")
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
            let lo = symCount * c / chunks, hi = symCount * (c + 1) / chunks
            for idx in lo..<hi where symTarget[idx] < startStopTag {
                let s = syms[Int32(idx)]
                if s.name.count < 0 || s.fileIndex < 0 { continue }
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

    lap("rootsyms")
    // The first frontier: claimed roots, in a fixed order.
    var frontier: [SectionRef] = []
    for g in graphs {
        for r in g.roots where claim(r) { frontier.append(r) }
    }
    for id in rootSyms {
        let t = symTarget[Int(id)]
        if t < startStopTag && claim(t) { frontier.append(t) }
    }

    lap("frontier")
    // Rounds: each chunk walks depth-first up to `budget` sections and hands back the rest.
    let budget = 4096
    while !frontier.isEmpty {
        let work = frontier
        let chunks = min(work.count, max(1, Parallel.threadCount * 4))
        let next: [[SectionRef]] = Parallel.map(chunks) { c in
            var stack = Array(work[(work.count * c / chunks)..<(work.count * (c + 1) / chunks)])
            var visited = 0
            while visited < budget, let item = stack.popLast() {
                visited += 1
                let fv = files[Int(item >> 32)]
                let slot = slots[fv.slotBase + Int(item & 0xffff_ffff)]
                for k in Int(slot.depStart)..<Int(slot.depEnd) where claim(deps[k]) { stack.append(deps[k]) }
                guard let relocs = slot.relocs else { continue }
                let fileTag = item & 0xffff_ffff_0000_0000
                let symtab = fv.symtab!
                for r in 0..<Int(slot.relocCount) {
                    let info = relocs.u64(r * 24 + 8)
                    let sym = Int(info >> 32)
                    if sym == 0 || UInt32(truncatingIfNeeded: info) == R_X86_64.none { continue }
                    var t: SectionRef
                    if sym < fv.firstGlobal {
                        // A local symbol: its own section (indexes were validated by parse()).
                        let raw = symtab.u16(sym * 24 + 6)
                        if raw == SHN.xindex { t = fileTag | UInt64(fv.symtabShndx!.u32(sym * 4)) }
                        else if raw == SHN.undef || raw >= SHN.loreserve { continue }
                        else { t = fileTag | UInt64(raw) }
                    } else {
                        t = symTarget[Int(fv.symbolIds![sym - fv.firstGlobal])]
                        if t >= startStopTag {
                            if t == noTarget { continue }
                            for x in startStopLists[Int(t & 0xffff_ffff)] where claim(x) { stack.append(x) }
                            continue
                        }
                    }
                    if claim(t) { stack.append(t) }
                }
            }
            return stack
        }
        frontier = next.flatMap { $0 }
    }

    lap("mark")
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
    lap("sweep")
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
