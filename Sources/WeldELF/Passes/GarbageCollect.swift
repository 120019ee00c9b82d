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

/// Sections are numbered globally: file f's section s is slot `slotBase[f] + s`. Work items,
/// dependents and symbol targets are slots.
private typealias SlotIndex = Int

/// The marking loop's view of one input section: plain values, no references.
private struct Slot {
    var relocs: UnsafeRawPointer? = nil     // nil: nothing to follow
    var relocCount: Int32 = 0
    var file: Int32 = 0
}

/// The marking loop's view of one object file.
private struct FileView {
    var symtab: UnsafeRawPointer? = nil
    var symtabShndx: UnsafeRawPointer? = nil
    var firstGlobal = 0
    var symbolIds: UnsafePointer<Int32>? = nil
    var slotBase = 0
    /// Dependents (section indexes of this file), CSR by section: nil when there are none.
    var depStart: UnsafePointer<Int32>? = nil
    var depList: UnsafePointer<Int32>? = nil
}

/// What one object contributes besides its slots, computed per file in parallel.
private struct FileGraph {
    /// Sections live from the start (possibly in other files: a CIE's personality routine).
    var roots: [SlotIndex] = []
    /// Dependents of this file's sections, CSR by section index: depStart[s]..<depStart[s+1].
    var depStart: [Int32] = []
    var depList: [Int32] = []
    /// Sections whose names are C identifiers (candidates for __start_/__stop_).
    var cNamed: [Int32] = []
}

/// `symTarget` values: a definition's slot, nothing, or a `__start_`/`__stop_` list.
private let noTarget: Int = .max
private let startStopTag: Int = 1 << 62

/// Raw tables the passes below share; each file writes only its own slot range.
private struct Tables {
    let slotBase: UnsafeMutablePointer<Int>        // first slot of each file; [count] = total
    let marks: UnsafeMutablePointer<Atomic<UInt8>> // 1 = live, or not a candidate
    let slots: UnsafeMutablePointer<Slot>
    let files: UnsafeMutablePointer<FileView>

    @inline(__always) func claim(_ slot: SlotIndex) -> Bool {
        let m = marks + slot
        if m.pointee.load(ordering: .relaxed) != 0 { return false }
        return m.pointee.exchange(1, ordering: .relaxed) == 0
    }
}

private func markAndSweep(_ ctx: Context) {
    let syms = ctx.symbols
    let objects = ctx.objects
    let o = ctx.options

    let slotBase = UnsafeMutablePointer<Int>.allocate(capacity: objects.count + 1)
    slotBase[0] = 0
    for (f, obj) in objects.enumerated() { slotBase[f + 1] = slotBase[f] + obj.sections.count }
    let slotCount = max(slotBase[objects.count], 1)
    let t = Tables(slotBase: slotBase, marks: .allocate(capacity: slotCount), slots: .allocate(capacity: slotCount),
                   files: .allocate(capacity: max(objects.count, 1)))
    defer { slotBase.deallocate(); t.marks.deallocate(); t.slots.deallocate(); t.files.deallocate() }
    if slotBase[objects.count] == 0 { t.marks.initialize(to: Atomic<UInt8>(1)); t.slots.initialize(to: Slot()) }

    // Per file, in one pass over its sections: slots, marks, roots, dependency edges. The
    // file views point into `graphs`, which lives (unchanged) until the sweep.
    let graphs: [FileGraph] = Parallel.map(objects.count) { f in prepareFile(ctx, objects[f], f, t) }
    Parallel.forEach(objects.count) { f in
        if graphs[f].depList.isEmpty { return }
        graphs[f].depStart.withUnsafeBufferPointer { t.files[f].depStart = $0.baseAddress }
        graphs[f].depList.withUnsafeBufferPointer { t.files[f].depList = $0.baseAddress }
    }

    // __start_SEC / __stop_SEC that the linker will define: symbol id → the sections named SEC.
    var startStopIds: [Int32: Int] = [:]
    var startStopLists: [[SlotIndex]] = []
    for (f, g) in graphs.enumerated() {
        for s in g.cNamed {
            let name = objects[f].sections[Int(s)]!.name.string
            for prefix in ["__start_", "__stop_"] {
                guard let id = syms.find(prefix + name), syms[id].isUndefined else { continue }
                if startStopIds[id] == nil { startStopIds[id] = startStopLists.count; startStopLists.append([]) }
                startStopLists[startStopIds[id]!].append(slotBase[f] + Int(s))
            }
        }
    }

    // Where a relocation against each global symbol leads.
    let symCount = syms.count
    let symTarget = UnsafeMutablePointer<Int>.allocate(capacity: max(symCount, 1))
    defer { symTarget.deallocate() }
    Parallel.forEach(symCount, minChunk: 4096) { idx in
        let s = syms[Int32(idx)]
        var target = noTarget
        if s.isDefinedInObject, let sec = s.section, sec.file.index >= 0 { target = slotBase[Int(sec.file.index)] + sec.index }
        (symTarget + idx).initialize(to: target)
    }
    for (id, k) in startStopIds { symTarget[Int(id)] = startStopTag | k }

    // Symbol roots.
    var rootSyms: [Int32] = []
    var rootNames = o.undefined
    if let e = o.entry { rootNames.append(e) } else if o.outputKind == .executable { rootNames.append("_start") }
    rootNames += ["_init", "_fini"]
    rootNames += ctx.script?.referencedNames ?? []
    for (_, expr) in o.defsyms where parseNumber(expr) == nil {
        let base = expr.split(whereSeparator: { $0 == "+" || $0 == "-" }).first.map { String($0).trimmingCharacters() } ?? expr
        rootNames.append(base)
    }
    for n in rootNames { if let id = syms.find(n) { rootSyms.append(id) } }
    if !ctx.isStatic {
        // Everything the output exports to .dynsym (the same test `synthesize` applies).
        let chunks = 64
        let found: [[Int32]] = Parallel.map(chunks) { c in
            var out: [Int32] = []
            let lo = symCount * c / chunks, hi = symCount * (c + 1) / chunks
            for idx in lo..<hi where symTarget[idx] < startStopTag {
                if syms[Int32(idx)].name.count < 0 { continue }
                if ctx.exportsDefinition(Int32(idx)) { out.append(Int32(idx)) }
            }
            return out
        }
        for list in found { rootSyms += list }
    }

    // The first frontier: claimed roots, in a fixed order.
    var frontier: [SlotIndex] = []
    for g in graphs {
        for r in g.roots where t.claim(r) { frontier.append(r) }
    }
    for id in rootSyms {
        let r = symTarget[Int(id)]
        if r < startStopTag && t.claim(r) { frontier.append(r) }
    }

    // Rounds: each chunk walks depth-first up to `budget` sections and hands back the rest.
    let budget = 4096
    while !frontier.isEmpty {
        let work = frontier
        let chunks = min(work.count, max(1, Parallel.threadCount * 4))
        let next: [[SlotIndex]] = Parallel.map(chunks) { c in
            var stack = Array(work[(work.count * c / chunks)..<(work.count * (c + 1) / chunks)])
            var visited = 0
            while visited < budget, let item = stack.popLast() {
                visited += 1
                let slot = t.slots[item]
                let fv = t.files[Int(slot.file)]
                if let ds = fv.depStart {
                    let s = item - fv.slotBase
                    for k in Int(ds[s])..<Int(ds[s + 1]) {
                        let d = fv.slotBase + Int(fv.depList![k])
                        if t.claim(d) { stack.append(d) }
                    }
                }
                guard let relocs = slot.relocs else { continue }
                let symtab = fv.symtab!
                for r in 0..<Int(slot.relocCount) {
                    let info = relocs.u64(r * 24 + 8)
                    let sym = Int(info >> 32)
                    if sym == 0 || UInt32(truncatingIfNeeded: info) == R_X86_64.none { continue }
                    var target: SlotIndex
                    if sym < fv.firstGlobal {
                        // A local symbol: its own section (indexes were validated by parse()).
                        let raw = symtab.u16(sym * 24 + 6)
                        if raw == SHN.xindex { target = fv.slotBase + Int(fv.symtabShndx!.u32(sym * 4)) }
                        else if raw == SHN.undef || raw >= SHN.loreserve { continue }
                        else { target = fv.slotBase + Int(raw) }
                    } else {
                        target = symTarget[Int(fv.symbolIds![sym - fv.firstGlobal])]
                        if target >= startStopTag {
                            if target == noTarget { continue }
                            for x in startStopLists[target & 0xffff_ffff] where t.claim(x) { stack.append(x) }
                            continue
                        }
                    }
                    if t.claim(target) { stack.append(target) }
                }
            }
            return stack
        }
        frontier = next.flatMap { $0 }
    }

    // Sweep: unmarked sections die.
    let dead: [[Int32]] = Parallel.map(objects.count) { f in
        let base = slotBase[f]
        let n = slotBase[f + 1] - base
        var list: [Int32] = []
        for s in 0..<n where t.marks[base + s].load(ordering: .relaxed) == 0 { list.append(Int32(s)) }
        if !list.isEmpty {
            let obj = objects[f]
            for s in list { obj.sections[Int(s)]!.alive = false }
        }
        return list
    }
    withExtendedLifetime(graphs) {}
    if o.printGcSections {
        // Command-line order: files by priority (archive members after their archive's
        // position, by member index), sections by index.
        let order = objects.indices.sorted { (objects[$0].priority, $0) < (objects[$1].priority, $1) }
        var text = ""
        for f in order {
            for s in dead[f] { text += "removing unused section \(objects[f].sections[Int(s)]!.displayName)\n" }
        }
        fputs(text, stderr)
    }
}

/// One pass over an object's sections: fills its slots and marks (sections that are missing
/// or already dropped start marked, so they are never enqueued), and finds its roots and the
/// dependencies that are not relocations.
private func prepareFile(_ ctx: Context, _ obj: ObjectFile, _ f: Int, _ t: Tables) -> FileGraph {
    var g = FileGraph()
    let sections = obj.sections
    let n = sections.count
    let base = t.slotBase[f]
    // The symbol ids array is not mutated while this pass runs, so its storage stays put.
    let ids = obj.symbolIds.withUnsafeBufferPointer { $0.baseAddress }
    (t.files + f).initialize(to: FileView(symtab: obj.symtab, symtabShndx: obj.symtabShndx, firstGlobal: obj.firstGlobal,
                                          symbolIds: ids, slotBase: base))
    var edges: [(from: Int32, to: Int32)] = []

    // COMDAT groups live or die as a unit: each live member leads to the next, in a ring.
    var inGroup = [Bool](repeating: false, count: n)
    for (_, members) in obj.groups {
        var first: Int32 = -1, prev: Int32 = -1
        for m in members where Int(m) < n && sections[Int(m)]?.alive == true {
            inGroup[Int(m)] = true
            if prev >= 0 { edges.append((prev, Int32(m))) } else { first = Int32(m) }
            prev = Int32(m)
        }
        if prev != first { edges.append((prev, first)) }
    }

    let shoff = Int(obj.base.u64(40))
    for s in 0..<n {
        var slot = Slot(file: Int32(f))
        guard let sec = sections[s], sec.alive else {
            (t.marks + base + s).initialize(to: Atomic<UInt8>(1))
            (t.slots + base + s).initialize(to: slot)
            continue
        }
        (t.marks + base + s).initialize(to: Atomic<UInt8>(0))
        let flags = sec.flags
        let alloc = flags & SHF.alloc != 0
        if alloc && sec.relocCount > 0 { slot.relocs = sec.relocs; slot.relocCount = Int32(sec.relocCount) }
        if flags & SHF.gnuRetain != 0 {
            g.roots.append(base + s)
        } else if flags & SHF.linkOrder != 0 {
            // Lives with the section named by sh_link.
            let link = Int(obj.base.u32(shoff + s * 64 + 40))
            if link > 0 && link < n, sections[link] != nil { edges.append((Int32(link), Int32(s))) }
        } else if isEhFrame(sec) {
            // Kept, but its relocations are read record by record, not followed.
            slot.relocs = nil
            g.roots.append(base + s)
            scanEhFrame(ctx, obj, sec, t, f, &g.roots, &edges)
        } else if !alloc {
            if !inGroup[s] { g.roots.append(base + s) }
        } else if isReserved(sec, inGroup: inGroup[s]) || isKeptByScript(ctx, file: f, section: s) {
            g.roots.append(base + s)
        }
        if alloc && isCIdentifier(sec.name) { g.cNamed.append(Int32(s)) }
        (t.slots + base + s).initialize(to: slot)
    }

    // Edges to CSR, by source section.
    if edges.isEmpty { return g }
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
    sec.type == SHT.x86_64Unwind || (sec.type == SHT.progbits && sec.name.count == 9 && sec.name.equals(".eh_frame"))
}

/// Sections the loader or the C runtime uses without a relocation naming them.
private func isReserved(_ sec: InputSection, inGroup: Bool) -> Bool {
    switch sec.type {
    case SHT.initArray, SHT.finiArray, SHT.preinitArray: return true
    case SHT.note: return !inGroup
    default: break
    }
    let n = sec.name
    if n.count < 5 || n.ptr.u8(0) != UInt8(ascii: ".") { return false }
    switch n.ptr.u8(1) {
    case UInt8(ascii: "n"): return n.hasPrefix(".note") && !inGroup
    case UInt8(ascii: "i"): return n.equals(".init") || n.hasPrefix(".init_array")
    case UInt8(ascii: "f"): return n.equals(".fini") || n.hasPrefix(".fini_array")
    case UInt8(ascii: "p"): return n.hasPrefix(".preinit_array")
    case UInt8(ascii: "c"): return n.hasPrefix(".ctors")
    case UInt8(ascii: "d"): return n.hasPrefix(".dtors")
    case UInt8(ascii: "j"): return n.equals(".jcr")
    default: return false
    }
}

/// Walks .eh_frame records: a CIE's relocations (personality routines) are roots; an FDE's
/// first relocation names its function (found as `splitEhFrame` finds it, which decides
/// whether the FDE is kept), and any later ones (the LSDA) become dependents of that
/// function's section. The function reference itself keeps nothing alive.
private func scanEhFrame(_ ctx: Context, _ obj: ObjectFile, _ sec: InputSection, _ t: Tables, _ f: Int,
                         _ roots: inout [SlotIndex], _ edges: inout [(from: Int32, to: Int32)]) {
    guard let relocs = sec.relocs, let symtab = obj.symtab else { return }
    let count = sec.relocCount
    let data = sec.data
    let size = Int(sec.size)
    let base = t.slotBase[f]
    var off = 0
    var r = 0
    while off + 4 <= size && r < count {
        let len = Int(data.u32(off))
        if len == 0 || len == 0xffff_ffff || off + 4 + len > size { break } // splitEhFrame reports it
        let end = UInt64(off + 4 + len)
        let isCIE = len < 4 || data.u32(off + 4) == 0
        while r < count && relocs.u64(r * 24) < UInt64(off) { r += 1 }
        var function = -1     // FDE: the described function's section index; -2: none
        while r < count && relocs.u64(r * 24) < end {
            let info = relocs.u64(r * 24 + 8)
            r += 1
            let sym = Int(info >> 32)
            if UInt32(truncatingIfNeeded: info) == R_X86_64.none || sym == 0 { continue }
            if !isCIE && function == -1 {
                // The section the symbol is defined in, in this file (obj.symSection).
                let raw = symtab.u16(sym * 24 + 6)
                if raw == SHN.xindex { function = Int(obj.symtabShndx!.u32(sym * 4)) }
                else if raw == SHN.undef || raw >= SHN.loreserve { function = -2 }
                else { function = Int(raw) }
                continue
            }
            if function == -2 { continue }  // the FDE is dropped: its LSDA keeps nothing
            guard let target = relocTarget(ctx, obj, t, f, sym) else { continue }
            if !isCIE && target - base >= 0 && target - base < obj.sections.count {
                edges.append((Int32(function), Int32(target - base)))
            } else {
                roots.append(target)
            }
        }
        off += 4 + len
    }
}

/// The slot a relocation against symbol `sym` of file `f` reaches: a local symbol's own
/// section, or the section of the global's resolved definition.
private func relocTarget(_ ctx: Context, _ obj: ObjectFile, _ t: Tables, _ f: Int, _ sym: Int) -> SlotIndex? {
    if sym < obj.firstGlobal { return obj.symSection(sym).map { t.slotBase[f] + $0.index } }
    let s = ctx.symbols[obj.symbolIds[sym - obj.firstGlobal]]
    guard let sec = s.section, s.isDefinedInObject, sec.file.index >= 0 else { return nil }
    return t.slotBase[Int(sec.file.index)] + sec.index
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
