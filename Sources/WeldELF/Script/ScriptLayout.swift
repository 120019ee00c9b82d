import WeldCore

// Addresses under a SECTIONS command: output sections in script order, orphans beside the
// sections of their kind, the location counter and symbol assignments evaluated in order,
// memory regions, load addresses (AT, AT>), then file offsets and program headers (from
// PHDRS, or made like GNU ld makes them). Passes repeat until addresses stop changing, since
// expressions may name sections or symbols laid out later.

/// What one layout pass walks: a SECTIONS command, or an output section the script does not
/// describe (an orphan or a synthetic section) at the place chosen for it.
enum ScriptPlanItem {
    case command(Int)
    case orphan(OutputSection)
}

/// How alike two sections are for orphan placement: same class goes together.
private func orphanClass(_ os: OutputSection) -> Int {
    if !os.isAlloc { return 100 }
    if os.type == SHT.note { return 1 }
    if os.isTLS { return os.isNoBits ? 31 : 30 }
    if os.isExec { return 10 }
    if os.isWritable { return os.isNoBits ? 40 : 20 }
    return 0
}

/// Orders ctx.outputSections for a scripted link and records the plan the passes walk.
/// Synthetic sections take the place of an empty description of the same name.
func orderSectionsByScript(_ ctx: Context, _ state: ScriptState) -> [OutputSection] {
    let present = Set(ctx.outputSections.map { ObjectIdentifier($0) })
    var descOutput: [OutputSection?] = state.outputs.map { os in os.flatMap { present.contains(ObjectIdentifier($0)) ? $0 : nil } }
    var claimed = Set<ObjectIdentifier>()
    for (d, desc) in state.descriptions.enumerated() where !desc.isDiscard && !state.disabledDescriptions[d] {
        let current = descOutput[d]
        guard current == nil || current!.members.isEmpty else { continue }
        if let synthetic = ctx.outputSections.first(where: {
            if case .synthetic = $0.content { return $0.name == desc.name && !claimed.contains(ObjectIdentifier($0)) }
            return false
        }) {
            if let current, current === ctx.synth.bss { continue }
            descOutput[d] = synthetic
            claimed.insert(ObjectIdentifier(synthetic))
        }
    }
    state.outputs = descOutput
    let described = Set(descOutput.compactMap { $0.map(ObjectIdentifier.init) })
    var plan: [ScriptPlanItem] = state.script.sectionsCommands.indices.map { .command($0) }
    func classOf(_ item: ScriptPlanItem) -> Int? {
        switch item {
        case .orphan(let os): return orphanClass(os)
        case .command(let i):
            guard case .output = state.script.sectionsCommands[i], let d = descriptionIndex(state, command: i),
                  let os = descOutput[d] else { return nil }
            return orphanClass(os)
        }
    }
    // Orphans in the default order, each after the last planned section of its class, else
    // after the last of a lower class, else first.
    let orphans = ctx.outputSections.filter { !described.contains(ObjectIdentifier($0)) }
    let ranked = orphans.enumerated().sorted { (sectionRank($0.element), $0.offset) < (sectionRank($1.element), $1.offset) }.map { $0.element }
    // GNU ld's places: code after .text, read-only data after .rodata, data after .data, …
    let anchors: [Int: String] = [10: ".text", 0: ".rodata", 20: ".data", 30: ".tdata", 31: ".tbss", 40: ".bss"]
    func anchorIndex(_ c: Int) -> Int? {
        guard let name = anchors[c] else { return nil }
        // The statement counts even if its section turned out empty (GNU ld inserts there).
        guard var i = plan.firstIndex(where: {
            guard case .command(let k) = $0, let d = descriptionIndex(state, command: k) else { return false }
            let desc = state.descriptions[d]
            return desc.name == name && !desc.isDiscard && !state.disabledDescriptions[d]
        }) else { return nil }
        // After the anchor and the orphans of this kind already placed after it.
        while i &+ 1 < plan.count, case .orphan(let o) = plan[i &+ 1], orphanClass(o) == c { i &+= 1 }
        return i &+ 1
    }
    for os in ranked {
        let c = orphanClass(os)
        var at: Int? = nil
        if c == 100 {
            at = plan.count
        } else if let a = anchorIndex(c) {
            at = a
        } else {
            if let i = plan.lastIndex(where: { classOf($0) == c }) { at = i &+ 1 }
            // Read-only data with none to join goes after code (GNU ld matches by flags).
            else if c == 0, let i = plan.lastIndex(where: { classOf($0) == 10 }) { at = i &+ 1 }
            // Notes and code with none of their kind to join go first, as GNU ld places them.
            else if c != 1 && c != 10, let i = plan.lastIndex(where: { (classOf($0) ?? 1000) < c }) { at = i &+ 1 }
            else { at = plan.firstIndex(where: { classOf($0) != nil }) ?? plan.count }
        }
        plan.insert(.orphan(os), at: at!)
    }
    state.plan = plan
    var order: [OutputSection] = []
    for item in plan {
        switch item {
        case .orphan(let os): order.append(os)
        case .command(let i):
            if let d = descriptionIndex(state, command: i), let os = descOutput[d] { order.append(os) }
        }
    }
    return dropEmptySections(ctx, state, order)
}

/// GNU ld leaves out an output section that ends up empty (its inputs are all empty, it has
/// no data, and nothing in it moves the location counter). Sizes depend on the layout, so a
/// trial pass decides; symbols defined in a dropped section keep their values.
private func dropEmptySections(_ ctx: Context, _ state: ScriptState, _ order: [OutputSection]) -> [OutputSection] {
    let candidates = order.filter { os in
        if case .synthetic = os.content { return false }
        if os === ctx.synth.bss && (!ctx.commonSymbols.isEmpty || !ctx.synth.copySymbols.isEmpty) { return false }
        return os.members.allSatisfy { $0.size == 0 }
    }
    if candidates.isEmpty { return order }
    let saved = ctx.outputSections
    ctx.outputSections = order
    for (i, os) in order.enumerated() { for m in os.members { m.outputIndex = Int32(i) } }
    try? layoutPass(ctx, state, phnum: estimatePhnum(ctx, state), report: false)
    let hasData = Set(state.dataItems.map { ObjectIdentifier($0.0) })
    let dropped = Set(candidates.filter { $0.size == 0 && !hasData.contains(ObjectIdentifier($0)) && !state.keepsWhenEmpty($0) }
        .map(ObjectIdentifier.init))
    ctx.outputSections = saved
    state.symbolValues = [:]
    state.blockOffsets = [:]
    for os in order { for m in os.members { m.outputIndex = -1 } }
    if dropped.isEmpty { return order }
    state.plan = state.plan.filter { if case .orphan(let os) = $0 { return !dropped.contains(ObjectIdentifier(os)) }; return true }
    // Symbols in a dropped section's (empty) inputs land at the end of the section before it.
    var previous: OutputSection? = nil
    for os in order {
        if dropped.contains(ObjectIdentifier(os)) {
            if os.isAlloc { state.droppedEmpty.append((os, previous)) }
        } else if os.isAlloc {
            previous = os
        }
    }
    return order.filter { !dropped.contains(ObjectIdentifier($0)) }
}

/// After layout: members of dropped empty sections take the end of the section before them.
private func placeDroppedMembers(_ ctx: Context, _ state: ScriptState) {
    for (os, previous) in state.droppedEmpty {
        let index = previous.flatMap { p in ctx.outputSections.firstIndex { $0 === p } }
        for m in os.members {
            m.outputIndex = index.map { Int32($0) } ?? -1
            m.outOffset = previous?.size ?? 0
        }
    }
}

/// Index of the description a SECTIONS command is (nil for assignments and asserts).
func descriptionIndex(_ state: ScriptState, command: Int) -> Int? {
    state.descriptionOfCommand[command]
}

/// Assigns addresses, load addresses, file offsets and program headers for a scripted link.
func assignScriptAddresses(_ ctx: Context, _ state: ScriptState) {
    if !state.script.hasSections {
        // Only symbols and ENTRY: the default layout, then the assignments with `.` at 0.
        assignAddresses(ctx)
        var ev = ScriptEvaluator(ctx: ctx, state: state, sizeofHeaders: UInt64(64 &+ ctx.phnum * 56))
        do {
            for case .assignment(let a) in state.script.sectionsCommands { try assign(a, &ev) }
            for case .assert(let e, let m, let loc) in state.script.sectionsCommands where try ev.evaluate(e).value == 0 {
                ctx.diag.error("\(state.script.sources.describe(loc)): assertion failed: \(m)")
            }
        } catch { ctx.diag.error(error.message) }
        finalizeScriptSymbols(ctx, state)
        return
    }
    var phnum = estimatePhnum(ctx, state)
    var largest = phnum
    var previous: [UInt64] = []
    for pass in 0..<10 {
        do {
            try layoutPass(ctx, state, phnum: phnum, report: false)
        } catch {
            ctx.diag.error(error.message)
            return
        }
        let made = buildSegments(ctx, state, phnum: phnum, report: false)
        largest = max(largest, made)
        let signature = ctx.outputSections.map { $0.addr } + ctx.outputSections.map { $0.size }
        if signature == previous && made == phnum { break }
        previous = signature
        // Headers sized exactly, as GNU ld sizes them; if the count keeps changing, the
        // largest seen leaves room for all (unused entries become PT_NULL).
        phnum = pass >= 6 ? largest : made
    }
    // The final pass reports what only a settled layout can tell (regions, ASSERT, headers).
    do { try layoutPass(ctx, state, phnum: phnum, report: true) } catch { ctx.diag.error(error.message); return }
    _ = buildSegments(ctx, state, phnum: phnum, report: true)
    placeDroppedMembers(ctx, state)
    finalizeScriptSymbols(ctx, state)
    // Sections folded by ICF take their twin's final place.
    for sec in ctx.foldedSections { if let twin = sec.foldedInto { sec.outOffset = twin.outOffset } }
    checkPlacement(ctx, state)
}

/// What a script can get wrong that would make a broken or absurd output: sections that wrap
/// around the address space, overlap one another, or push the file beyond any real size.
private func checkPlacement(_ ctx: Context, _ state: ScriptState) {
    let allocs = ctx.outputSections.filter { $0.isAlloc && !($0.isTLS && $0.isNoBits) }
    for os in ctx.outputSections where os.addr &+ os.size < os.addr || os.offset &+ os.size < os.offset {
        ctx.diag.error("section '\(os.name)' (0x\(hex(os.size)) bytes at 0x\(hex(os.addr))) extends past the end of the address space")
        return
    }
    let sorted = allocs.filter { $0.size > 0 }.sorted { ($0.addr, $0.headerIndex) < ($1.addr, $1.headerIndex) }
    for (a, b) in zip(sorted, sorted.dropFirst()) where b.addr < a.addr + a.size {
        ctx.diag.error("section '\(b.name)' [0x\(hex(b.addr)), 0x\(hex(b.addr + b.size))) overlaps section '\(a.name)' [0x\(hex(a.addr)), 0x\(hex(a.addr + a.size)))")
    }
    // Load addresses of file contents must not overlap either (ROM images).
    func lma(_ os: OutputSection) -> UInt64 { state.loadAddresses[ObjectIdentifier(os)] ?? os.addr }
    let loaded = allocs.filter { $0.size > 0 && !$0.isNoBits }.sorted { (lma($0), $0.headerIndex) < (lma($1), $1.headerIndex) }
    for (a, b) in zip(loaded, loaded.dropFirst()) where lma(b) < lma(a) &+ a.size && (lma(a) != a.addr || lma(b) != b.addr) {
        ctx.diag.error("section '\(b.name)' load address [0x\(hex(lma(b))), 0x\(hex(lma(b) &+ b.size))) overlaps section '\(a.name)' load address [0x\(hex(lma(a))), 0x\(hex(lma(a) &+ a.size)))")
    }
    // Sizes beyond a terabyte come from addresses far apart in one segment or a huge `. +=`.
    if ctx.fileSize > 1 << 40 {
        let big = ctx.outputSections.max { $0.offset &+ $0.size < $1.offset &+ $1.size }
        ctx.diag.error("the output would be \(ctx.fileSize) bytes (section '\(big?.name ?? "")' at file offset 0x\(hex(big?.offset ?? 0))): check the script's addresses")
    }
}

private func assign(_ a: ScriptAssignment, _ ev: inout ScriptEvaluator) throws(LinkError) {
    var v = try ev.evaluate(a.expr)
    // Inside an output section a plain number is relative to the section's start (GNU ld:
    // `__data_start = 0x10;` in .data means .data + 0x10).
    if let os = ev.section, !v.isAddress, os.isAlloc {
        v = ScriptValue(value: os.addr &+ v.value, isAddress: true)
    }
    if a.name == "." {
        ev.dot = v.value
        return
    }
    guard let id = ev.state.symbolIds[a.name] else { return }   // an unused PROVIDE
    ev.state.symbolValues[a.name] = v
    // Assigned inside a section: that section's symbol whatever its value (GNU ld).
    if v.isAddress, let home = ev.section, home.isAlloc { ev.state.symbolSections[id] = home } else { ev.state.symbolSections[id] = nil }
    ev.definedThisPass.insert(a.name)
}

private func estimatePhnum(_ ctx: Context, _ state: ScriptState) -> Int {
    if let phdrs = state.script.phdrs { return phdrs.count }
    return 3
}

/// One pass over the plan: addresses and sizes of every section, member offsets, symbol values.
private func layoutPass(_ ctx: Context, _ state: ScriptState, phnum: Int, report: Bool) throws(LinkError) {
    let script = state.script
    var ev = ScriptEvaluator(ctx: ctx, state: state, sizeofHeaders: UInt64(64 &+ phnum * 56))
    ev.definedThisPass = []
    for r in script.memory {
        ev.regionCursor[r.name] = try ev.evaluate(r.origin).value
    }
    // VMA-to-LMA difference of the last section in each region ("" without MEMORY): a section
    // with no load address of its own keeps it (GNU ld's rule).
    var lmaDelta: [String: UInt64] = [:]
    var previousRegion: String? = nil
    var previousLMARegion: String? = nil
    // The TLS template starts aligned to its largest alignment (TP-relative offsets assume it).
    let tlsAlign = ctx.outputSections.filter { $0.isAlloc && $0.isTLS }.map { $0.align }.max() ?? 1
    var tlsSeen = false
    state.dataItems = []
    state.fillRanges = []
    state.relroEnd = nil
    defer { state.relroPad = state.relroPadNext }
    for item in state.plan {
        var os: OutputSection
        var desc: ScriptOutputSection? = nil
        var d = -1
        switch item {
        case .orphan(let o):
            os = o
        case .command(let i):
            switch script.sectionsCommands[i] {
            case .assignment(let a):
                try assign(a, &ev)
                if let id = state.symbolIds[a.name] { state.symbolCommand[id] = i }
                continue
            case .assert(let e, let m, let loc):
                if report, try ev.evaluate(e).value == 0 { throw script.sources.error(loc, "assertion failed: \(m)") }
                continue
            case .output(let od):
                d = state.descriptionOfCommand[i]!
                desc = od
                guard !od.isDiscard, let o = state.outputs[d], ctx.outputSections.contains(where: { $0 === o }) else {
                    // A description that produced no section: its symbols still get values.
                    if !od.isDiscard && !state.disabledDescriptions[d] { try evaluateEmpty(od, &ev) }
                    continue
                }
                os = o
            }
        }
        if !os.isAlloc {
            os.addr = 0
            state.loadAddresses[ObjectIdentifier(os)] = 0
            if let desc { try placeContents(ctx, state, os, desc, d, start: 0, &ev, report: report, moveDot: false) }
            continue
        }
        // The start address: explicit, the region's cursor, or `.` aligned.
        var align = os.align
        var explicitAlign: UInt64? = nil
        if let a = desc?.align { explicitAlign = try ev.evaluate(a).value; align = max(align, explicitAlign!) }
        if os.isTLS && !tlsSeen { align = max(align, tlsAlign); tlsSeen = true }
        var regionName = desc?.region.map { script.regionName($0.0) }
        if let (name, loc) = desc?.region { _ = try ev.region(name, loc) }
        if regionName == nil && desc?.address == nil && !script.memory.isEmpty {
            regionName = script.memory.first { regionAccepts($0, os) }?.name ?? previousRegion
        }
        var start: UInt64
        if let e = desc?.address {
            start = try ev.evaluate(e).value
        } else if let r = regionName, let cursor = ev.regionCursor[r] {
            start = scriptAlignUp(cursor, align)
        } else {
            start = scriptAlignUp(ev.dot, align)
        }
        os.align = max(os.align, align)
        os.addr = start
        let dotBefore = ev.dot
        ev.dot = start
        if let desc {
            try placeContents(ctx, state, os, desc, d, start: start, &ev, report: report, moveDot: true)
        } else {
            // Not described: its members keep the offsets mergeAndSizeSections gave them.
            ev.dot = start &+ os.size
        }
        // Load address: AT(), AT>region, an explicit address (same as VMA), or the previous
        // section's VMA-to-LMA difference kept.
        var lma: UInt64
        // A section in the same region as the previous one, with no load address of its own,
        // loads into the previous one's load region (GNU ld).
        var lmaRegion = desc?.lmaRegion.map { (script.regionName($0.0), $0.1) }
        if lmaRegion == nil, desc?.lma == nil, desc?.address == nil, let r = regionName, r == previousRegion, let l = previousLMARegion {
            lmaRegion = (l, desc?.loc ?? ScriptLocation(file: 0, line: 0, column: 0))
        }
        if let (name, loc) = lmaRegion {
            _ = try ev.region(name, loc)
            // Aligned only by an explicit ALIGN() of the section, as GNU ld does.
            lma = scriptAlignUp(ev.regionCursor[name] ?? 0, explicitAlign ?? 1)
            if !os.isNoBits { ev.regionCursor[name] = lma &+ os.size }
            // .bss loads nothing: its load address is not checked against the region (GNU ld).
            if report && !os.isNoBits { try checkRegion(ctx, state, name, loc, os, start: lma, end: lma &+ os.size) }
        } else if let e = desc?.lma {
            lma = try ev.evaluate(e).value
        } else if desc?.address != nil {
            lma = os.addr
        } else {
            lma = os.addr &+ (lmaDelta[regionName ?? ""] ?? 0)
        }
        lmaDelta[regionName ?? ""] = lma &- os.addr
        previousLMARegion = lmaRegion?.0
        state.loadAddresses[ObjectIdentifier(os)] = lma
        if let r = regionName {
            ev.regionCursor[r] = os.addr &+ os.size
            previousRegion = r
            if report { try checkRegion(ctx, state, r, desc?.region?.1 ?? desc?.loc, os, start: os.addr, end: os.addr &+ os.size) }
        }
        // .tbss takes no address space outside the TLS template.
        if os.isTLS && os.isNoBits { ev.dot = max(dotBefore, os.addr) }
    }
}

/// Whether a section's flags match a region's attributes (`rwxail`, `!` negates the rest): one
/// listed attribute must hold and no negated one.
private func regionAccepts(_ r: ScriptMemoryRegion, _ os: OutputSection) -> Bool {
    if r.attributes.isEmpty { return false }
    var negated = false
    var positive = false, anyPositive = false
    for c in r.attributes.lowercased() {
        if c == "!" { negated = true; continue }
        let m: Bool
        switch c {
        case "r": m = !os.isWritable
        case "w": m = os.isWritable
        case "x": m = os.isExec
        case "a": m = os.isAlloc
        case "i", "l": m = !os.isNoBits
        default: m = false
        }
        if negated { if m { return false } } else { anyPositive = true; if m { positive = true } }
    }
    // Some attribute must match (GNU ld): a region with only `!` attributes takes nothing.
    return anyPositive && positive
}

private func checkRegion(_ ctx: Context, _ state: ScriptState, _ name: String, _ loc: ScriptLocation?, _ os: OutputSection,
                         start: UInt64, end: UInt64) throws(LinkError) {
    guard let r = state.script.memory.first(where: { $0.name == name }) else { return }
    let ev = ScriptEvaluator(ctx: ctx, state: state, sizeofHeaders: 0)
    let origin = try ev.evaluate(r.origin).value, length = try ev.evaluate(r.length).value
    let prefix = loc.map { state.script.sources.describe($0) + ": " } ?? ""
    if start < origin {
        throw LinkError("\(prefix)section '\(os.name)' starts at 0x\(hex(start)), below region '\(name)' (origin 0x\(hex(origin)))")
    }
    if end > origin &+ length {
        throw LinkError("\(prefix)section '\(os.name)' will not fit in region '\(name)': region '\(name)' overflowed by \(end &- (origin &+ length)) bytes")
    }
}

/// A description whose output section is gone (no inputs, nothing else to keep it): its
/// assignments still run, at the current location.
private func evaluateEmpty(_ desc: ScriptOutputSection, _ ev: inout ScriptEvaluator) throws(LinkError) {
    for c in desc.commands {
        if case .assignment(let a) = c, a.name != "." { try assign(a, &ev) }
    }
}

/// Walks a description's commands: members at aligned offsets, assignments, data; sets size.
private func placeContents(_ ctx: Context, _ state: ScriptState, _ os: OutputSection, _ desc: ScriptOutputSection, _ d: Int,
                           start: UInt64, _ ev: inout ScriptEvaluator, report: Bool, moveDot: Bool) throws(LinkError) {
    let outerDot = ev.dot
    ev.dot = start
    ev.section = os
    defer { ev.section = nil }
    let subalign = try desc.subalign.map { e throws(LinkError) in try ev.evaluate(e).value }
    if let s = subalign { os.align = max(os.align, s) }
    var fill: [UInt8]? = nil
    if let f = desc.fill { fill = fillPattern(try ev.evaluate(f).value, width: desc.fillWidth) }
    // Contents placed as one block (split .eh_frame, merged strings, synthetic sections).
    var block: UInt64? = nil
    switch os.content {
    case .ehFrame, .synthetic: block = os.fixedSize(state)
    case .inputs, .merged: if os.mergedBytes != nil { block = os.fixedSize(state) }
    }
    var blockPlaced = false
    // Commons go after the input description that names COMMON, else after the last one.
    var commonsCommand = -1
    if os === ctx.synth.bss, !ctx.commonSymbols.isEmpty || !ctx.synth.copySymbols.isEmpty {
        for (k, c) in desc.commands.enumerated() {
            guard case .input(let i) = c else { continue }
            if i.sections.contains(where: { $0.pattern == "COMMON" }) { commonsCommand = k; break }
            commonsCommand = k
        }
    }
    let ranges = d >= 0 && d < state.memberRanges.count ? state.memberRanges[d] : []
    var gapStart = start
    func noteGap(_ to: UInt64) {
        if let fill, to > gapStart { state.fillRanges.append((os, gapStart &- start, to &- gapStart, fill)) }
    }
    for (k, c) in desc.commands.enumerated() {
        switch c {
        case .input:
            if let size = block {
                if !blockPlaced, case .synthetic = os.content {
                    // Synthetic contents are written from the section's start.
                    ev.dot = max(ev.dot, start &+ size)
                    blockPlaced = true
                } else if !blockPlaced {
                    ev.dot = scriptAlignUp(ev.dot, os.align)
                    noteGap(ev.dot)
                    os.shiftBlock(state, to: ev.dot &- start)
                    ev.dot &+= size
                    gapStart = ev.dot
                    blockPlaced = true
                }
                continue
            }
            guard k < ranges.count else { continue }
            for i in ranges[k] {
                let m = os.members[i]
                let off = scriptAlignUp(ev.dot, subalign ?? m.align)
                noteGap(off)
                m.outOffset = off &- start
                ev.dot = off &+ (m.pieces != nil ? 0 : m.size)
                gapStart = ev.dot
            }
            if k == commonsCommand { placeCommons(ctx, state, os, start: start, &ev) }
        case .assignment(let a):
            if a.name == "." {
                var v = try ev.evaluate(a.expr)
                // Inside a section a plain number is an offset from its start (GNU ld).
                if !v.isAddress { v.value = start &+ v.value }
                if v.value < ev.dot {
                    throw state.script.sources.error(a.loc, "unable to move the location counter backward in '\(os.name)' (from 0x\(hex(ev.dot)) to 0x\(hex(v.value)))")
                }
                ev.dot = v.value
            } else {
                try assign(a, &ev)
            }
        case .data(let size, let e):
            let v = try ev.evaluate(e).value
            noteGap(ev.dot)
            state.dataItems.append((os, ev.dot &- start, size, v))
            ev.dot &+= UInt64(size)
            gapStart = ev.dot
        case .fill(let e):
            fill = fillPattern(try ev.evaluate(e).value, width: 4)
        case .assert(let e, let m, let loc):
            if report, try ev.evaluate(e).value == 0 { throw state.script.sources.error(loc, "assertion failed: \(m)") }
        }
    }
    // Orphans that joined this section by name come after its commands.
    if block == nil, ranges.count > desc.commands.count {
        for i in ranges[desc.commands.count] {
            let m = os.members[i]
            let off = scriptAlignUp(ev.dot, subalign ?? m.align)
            noteGap(off)
            m.outOffset = off &- start
            ev.dot = off &+ (m.pieces != nil ? 0 : m.size)
            gapStart = ev.dot
        }
    }
    if let size = block, !blockPlaced, case .synthetic = os.content {
        ev.dot = max(ev.dot, start &+ size)
    } else if let size = block, !blockPlaced {
        ev.dot = scriptAlignUp(ev.dot, os.align)
        os.shiftBlock(state, to: ev.dot &- start)
        ev.dot &+= size
    }
    // A synthetic section keeps the size it was made with (commands around it move `.` only).
    if case .synthetic = os.content {} else { os.size = ev.dot &- start }
    if !moveDot { ev.dot = outerDot }
}

/// Commons and copy-relocated symbols at the current location of .bss, as GNU ld places
/// `*(COMMON)`: one block aligned to the largest alignment among them, each symbol at its own
/// alignment in order. Values are offsets in .bss until symbols are finalized.
private func placeCommons(_ ctx: Context, _ state: ScriptState, _ os: OutputSection, start: UInt64, _ ev: inout ScriptEvaluator) {
    func copyAlign(_ id: Int32) -> UInt64 {
        // A copy-relocated object is as aligned as its address in the library (at most 64).
        let s = ctx.symbols[id]
        let v = ctx.shareds[Int(s.fileIndex)].symValue(Int(s.symIndex))
        var align: UInt64 = 1
        while align < 64 && v % (align &* 2) == 0 { align &*= 2 }
        return align
    }
    var blockAlign: UInt64 = 1
    for id in ctx.commonSymbols { blockAlign = max(blockAlign, ctx.symbols[id].commonAlign) }
    for id in ctx.synth.copySymbols { blockAlign = max(blockAlign, copyAlign(id)) }
    os.align = max(os.align, blockAlign)
    var off = scriptAlignUp(ev.dot, blockAlign) &- start
    for id in ctx.commonSymbols {
        let s = ctx.symbols[id]
        off = scriptAlignUp(off, max(s.commonAlign, 1))
        ctx.symbols[id].value = off
        off &+= s.size
    }
    for (k, id) in ctx.synth.copySymbols.enumerated() where k < ctx.synth.commonsOffset.count {
        off = scriptAlignUp(off, copyAlign(id))
        ctx.synth.commonsOffset[k] = off
        off &+= max(ctx.symbols[id].size, 1)
    }
    ev.dot = start &+ off
}

/// A fill value as bytes, big-endian, `width` wide.
func fillPattern(_ v: UInt64, width: Int) -> [UInt8] {
    let w = min(max(width, 1), 8)
    return (0..<w).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64(w &- 1 - $0))) }
}

extension OutputSection {
    /// The size mergeAndSizeSections gave a section whose contents are placed as one block.
    func fixedSize(_ state: ScriptState) -> UInt64 {
        if case .synthetic = content { return size }   // never overwritten by layout
        if let s = state.blockSizes[ObjectIdentifier(self)] { return s }
        state.blockSizes[ObjectIdentifier(self)] = size
        return size
    }

    /// Moves a block's members (and split pieces) so that the block starts at `offset`.
    func shiftBlock(_ state: ScriptState, to offset: UInt64) {
        let old = state.blockOffsets[ObjectIdentifier(self)] ?? 0
        if old == offset { return }
        let delta = offset &- old
        if case .synthetic = content {
            // Synthetic contents are written at the section start: they cannot move.
            return
        }
        for m in members {
            m.outOffset &+= delta
            if let p = m.pieces { for k in p.outOffsets.indices where p.outOffsets[k] != .max { p.outOffsets[k] &+= delta } }
        }
        mergedBytes?.offset &+= delta
        state.blockOffsets[ObjectIdentifier(self)] = offset
    }
}

/// Aligns up without trapping: script addresses are user input and may be anywhere; a result
/// that wraps is caught by the overflow check after layout.
@inline(__always) func scriptAlignUp(_ v: UInt64, _ a: UInt64) -> UInt64 { a <= 1 ? v : (v &+ a &- 1) & ~(a &- 1) }
