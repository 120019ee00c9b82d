import WeldCore

// Input sections to output sections under a SECTIONS command: each live input section goes to
// the first input section description (in script order) whose file and section patterns
// match it; /DISCARD/ drops it; sections nothing matches are orphans, grouped into output
// sections as the default layout groups them and placed later beside sections of their kind.

/// What a file pattern is matched against: the path as given; for an archive member, its own
/// name, and for a pattern without wildcards also the archive's path or base name (GNU ld:
/// `libc.a(*)` names every member of libc.a, `*libc.a(*)` matches member names only).
private func matchNames(_ obj: ObjectFile) -> (names: [String], archive: [String]) {
    let n = obj.displayName
    if obj.isFromArchive, n.hasSuffix(")"), let open = n.lastIndex(of: "(") {
        let archive = String(n[..<open])
        let base = archive.lastIndex(of: "/").map { String(archive[archive.index(after: $0)...]) } ?? archive
        return ([String(n[n.index(after: open)..<n.index(before: n.endIndex)])], [archive, base])
    }
    return ([n], [])
}

/// Decides every input section's rule, before garbage collection (KEEP makes roots) and
/// drops what /DISCARD/ matches. Files in parallel; each writes only its own slots.
func placeSectionsByScript(_ ctx: Context, _ state: ScriptState) {
    // ONLY_IF_RO / ONLY_IF_RW: place, check each constrained description against what it got,
    // drop those that fail and place again (a dropped one can only make others fail less).
    var disabled = [Bool](repeating: false, count: state.descriptions.count)
    var placement = placeSections(ctx, state, disabled: disabled)
    let constrained = state.descriptions.contains { $0.constraint != .none }
    while constrained {
        var writable = [Bool](repeating: false, count: state.descriptions.count)
        var readOnly = [Bool](repeating: false, count: state.descriptions.count)
        for (f, obj) in ctx.objects.enumerated() {
            for (s, p) in placement[f].enumerated() where p >= 0 {
                guard let sec = obj.sections[s] else { continue }
                let d = state.rules[Int(p & ~keepPlacementBit)].description
                if sec.flags & SHF.write != 0 { writable[d] = true } else { readOnly[d] = true }
            }
        }
        var changed = false
        for (d, desc) in state.descriptions.enumerated() where !disabled[d] {
            if desc.constraint == .readOnly && writable[d] || desc.constraint == .readWrite && readOnly[d] {
                disabled[d] = true
                changed = true
            }
        }
        if !changed { break }
        placement = placeSections(ctx, state, disabled: disabled)
    }
    // /DISCARD/ kills what it took.
    Parallel.forEach(ctx.objects.count) { f in
        let obj = ctx.objects[f]
        for (s, p) in placement[f].enumerated() where p == discardPlacement { obj.sections[s]?.alive = false }
    }
    state.disabledDescriptions = disabled
    state.placement = placement
}

/// The first rule (in script order) taking each live section of each file.
private func placeSections(_ ctx: Context, _ state: ScriptState, disabled: [Bool]) -> [[Int32]] {
    let rules = state.rules
    let descriptions = state.descriptions
    return Parallel.map(ctx.objects.count) { f in
        let obj = ctx.objects[f]
        var out = [Int32](repeating: orphanPlacement, count: obj.sections.count)
        let fileNames = matchNames(obj)
        func matchesFile(_ g: ScriptGlob) -> Bool {
            fileNames.names.contains { g.matches($0) } || (g.isLiteral && fileNames.archive.contains { g.matches($0) })
        }
        // What depends on the file alone, once per file: which rules it can use at all (file
        // pattern, EXCLUDE_FILE) and which section patterns exclude it.
        var usable: [Int] = []
        var excludedPatterns: Set<Int> = []     // rule * 65536 + pattern: EXCLUDE_FILE names this file
        func ruleMatchesFile(_ r: ScriptRule) -> Bool {
            guard let a = r.archivePattern else { return matchesFile(r.filePattern) }
            if a.bytes.isEmpty { return fileNames.archive.isEmpty && r.filePattern.matches(fileNames.names[0]) }
            return !fileNames.archive.isEmpty && fileNames.archive.contains { a.matches($0) } && r.filePattern.matches(fileNames.names[0])
        }
        for (k, r) in rules.enumerated() where !disabled[r.description] && ruleMatchesFile(r)
            && !r.excludedFiles.contains(where: matchesFile) {
            usable.append(k)
            if r.hasPatternExclusions {
                for (i, p) in r.sections.enumerated() where p.excluded.contains(where: matchesFile) {
                    excludedPatterns.insert(k &* 65536 &+ i)
                }
            }
        }
        for case let sec? in obj.sections where sec.alive {
            let name = sec.name.bytes
            let key = name.count >= 2 ? UInt16(name[0]) | UInt16(name[1]) << 8 : 0
            for k in usable {
                let r = rules[k]
                if let keys = r.leadingKeys, !keys.contains(key) { continue }
                var hit = false
                for (i, p) in r.sections.enumerated() where p.glob.matches(name) {
                    if r.hasPatternExclusions && excludedPatterns.contains(k &* 65536 &+ i) { continue }
                    hit = true
                    break
                }
                guard hit else { continue }
                out[sec.index] = descriptions[r.description].isDiscard ? discardPlacement : Int32(k) | (r.input.keep ? keepPlacementBit : 0)
                break
            }
        }
        return out
    }
}

/// `KEEP(...)`: a garbage collection root.
func isKeptByScript(_ ctx: Context, file: Int, section: Int) -> Bool {
    guard let s = ctx.script, file < s.placement.count, section < s.placement[file].count else { return false }
    let p = s.placement[file][section]
    return p >= 0 && p & keepPlacementBit != 0
}

/// The script's counterpart of `createOutputSections`: one output section per description
/// (members in command order, each command's matches in input order or sorted as asked),
/// then the orphans.
func createScriptOutputSections(_ ctx: Context, _ state: ScriptState) {
    let rules = state.rules
    var perRule = [[InputSection]](repeating: [], count: rules.count)
    var orphanGroups: [OutputSectionKey: Int] = [:]
    var orphans: [OutputSection] = []
    var orphanLists: [[InputSection]] = []
    let stripDebug = ctx.options.stripDebug || ctx.options.stripAll
    // An orphan named like a described output section joins it (GNU ld): the first such
    // description, after all its commands.
    var joinRule: [String: Int] = [:]
    for (d, desc) in state.descriptions.enumerated() where !desc.isDiscard && !state.disabledDescriptions[d] {
        if joinRule[desc.name] == nil { joinRule[desc.name] = d }
    }
    var joined = [[InputSection]](repeating: [], count: state.descriptions.count)
    var joiners: [(Int, InputSection)] = []
    // Strings and constants are deduplicated (SHF_MERGE) in a description whose input section
    // descriptions follow one another: its contents are then laid out as one block, which
    // nothing placed between them could observe.
    let mergeable: [Bool] = state.descriptions.map { d in
        var seenInput = false, gap = false
        for c in d.commands {
            if case .input = c {
                if gap { return false }
                seenInput = true
            } else if seenInput {
                gap = true
            }
        }
        return seenInput
    }
    for (f, obj) in ctx.objects.enumerated() {
        let placement = f < state.placement.count ? state.placement[f] : []
        for case let sec? in obj.sections where sec.alive && sec.foldedInto == nil {
            if stripDebug, sec.name.hasPrefix(".debug") { sec.alive = false; continue }
            let isEh = sec.name.equals(".eh_frame") && sec.type == SHT.progbits || sec.type == SHT.x86_64Unwind
            let p = sec.index < placement.count ? placement[sec.index] : orphanPlacement
            if p >= 0 {
                let k = Int(p & ~keepPlacementBit)
                if isEh { splitEhFrame(ctx, sec) }
                else if mergeable[rules[k].description], sec.flags & SHF.merge != 0, sec.relocCount == 0, sec.entsize > 0,
                        sec.type == SHT.progbits { splitMergeable(sec) }
                perRule[k].append(sec)
                continue
            }
            if !joinRule.isEmpty, let k = joinRule[sec.name.string] {
                if isEh { splitEhFrame(ctx, sec) }
                joiners.append((k, sec))
                continue
            }
            // Orphan: an output section of its own name (GNU ld: `.text.foo` stays `.text.foo`
            // when the script does not place it), shared by every input of that name.
            let name = sec.name
            if name.equals(".init_array") || name.equals(".fini_array") { sec.priority = initPriority(sec.name) }
            if isEh { splitEhFrame(ctx, sec) }
            else if sec.flags & SHF.merge != 0 && sec.relocCount == 0 && sec.entsize > 0 && sec.type == SHT.progbits { splitMergeable(sec) }
            let key = OutputSectionKey(name: name, flags: isEh ? ehFrameKeyBit : 0)
            let sectionFlags = sec.flags & (SHF.write | SHF.execinstr | SHF.alloc | SHF.tls)
            let i: Int
            if let g = orphanGroups[key] { i = g } else {
                let os = OutputSection(name: name.string, type: sec.type == SHT.x86_64Unwind ? SHT.progbits : sec.type,
                                       flags: sectionFlags | (sec.flags & (SHF.merge | SHF.strings)),
                                       content: isEh ? .ehFrame : .inputs)
                os.entsize = sec.entsize
                i = orphans.count
                orphanGroups[key] = i
                orphans.append(os)
                orphanLists.append([])
            }
            let os = orphans[i]
            os.flags |= sectionFlags
            if sec.type != SHT.nobits && os.type == SHT.nobits { os.type = SHT.progbits }
            if sec.flags & SHF.merge == 0 || sec.entsize != os.entsize || sec.pieces == nil && !isEh { os.flags &= ~(SHF.merge | SHF.strings) }
            os.align = max(os.align, sec.align)
            orphanLists[i].append(sec)
        }
    }
    for (i, os) in orphans.enumerated() {
        os.members = orphanLists[i]
        if os.flags & SHF.merge == 0 { os.entsize = 0 } else { os.content = .inputs }
        if os.name == ".init_array" || os.name == ".fini_array" { os.members = stableSorted(os.members) { $0.priority < $1.priority } }
        fixArrayAndNoteTypes(os)
    }
    // Sort each rule's matches as its patterns ask.
    for (k, r) in rules.enumerated() where r.sort != .none && perRule[k].count > 1 {
        switch r.sort {
        case .name: perRule[k] = stableSorted(perRule[k]) { lexicographicallyLess($0.name.bytes, $1.name.bytes) }
        case .alignment: perRule[k] = stableSorted(perRule[k]) { $0.align > $1.align }
        case .initPriority: perRule[k] = stableSorted(perRule[k]) { initPriority($0.name) < initPriority($1.name) }
        case .none: break
        }
    }
    for (d, sec) in joiners { joined[d].append(sec) }
    // One output section per description.
    var outputs: [OutputSection?] = []
    var ranges: [[Range<Int>]] = []
    var ruleIndex = 0
    for (di, d) in state.descriptions.enumerated() {
        var members: [InputSection] = []
        var r: [Range<Int>] = []
        for c in d.commands {
            let start = members.count
            if case .input = c {
                members += perRule[ruleIndex]
                ruleIndex += 1
            }
            r.append(start..<members.count)
        }
        // Joined orphans: one more range, after the last command.
        let start = members.count
        members += joined[di]
        r.append(start..<members.count)
        ranges.append(r)
        if d.isDiscard || state.disabledDescriptions[ranges.count - 1] { outputs.append(nil); continue }
        var flags: UInt64 = 0
        var hasBits = false
        var align: UInt64 = 1
        var allEh = !members.isEmpty
        var type: UInt32 = SHT.progbits
        for m in members {
            flags |= m.flags & (SHF.write | SHF.execinstr | SHF.alloc | SHF.tls)
            if !m.isNoBits {
                if !hasBits { type = m.type == SHT.x86_64Unwind ? SHT.progbits : m.type }
                hasBits = true
            }
            align = max(align, m.align)
            if !(m.pieces != nil && (m.name.equals(".eh_frame") || m.type == SHT.x86_64Unwind)) { allEh = false }
        }
        // An output section with data commands has contents even without inputs.
        let hasData = d.commands.contains { if case .data = $0 { return true }; return false }
        // A section without inputs is read-only data, writable if it moves `.` (GNU ld since
        // 2020: reserved space such as a stack is writable, BYTE/LONG alone are not).
        if members.isEmpty {
            let movesDot = d.commands.contains { if case .assignment(let a) = $0 { return a.name == "." }; return false }
            flags = SHF.alloc | (movesDot ? SHF.write : 0)
        }
        if hasData { hasBits = true }
        if !hasBits { type = SHT.nobits } else if type == SHT.nobits { type = SHT.progbits }
        switch d.kind {
        case .noLoad: type = SHT.nobits
        case .info: flags &= ~SHF.alloc
        case .readOnly: flags &= ~SHF.write
        case .normal: break
        }
        if !allEh {
            // .eh_frame mixed with other contents is copied whole (its records are not split
            // and dead functions' FDEs stay): only an all-.eh_frame section is one.
            for m in members where m.pieces != nil && (m.name.equals(".eh_frame") || m.type == SHT.x86_64Unwind) { m.pieces = nil }
        }
        // Every input merged, with one entry size: the output is mergeable too (as GNU ld says).
        var entsize: UInt64 = 0
        if let first = members.first, !allEh, first.pieces != nil,
           members.allSatisfy({ $0.pieces != nil && $0.flags & SHF.merge != 0 && $0.entsize == first.entsize }) {
            flags |= SHF.merge | (members.allSatisfy { $0.flags & SHF.strings != 0 } ? SHF.strings : 0)
            entsize = first.entsize
        }
        let os = OutputSection(name: d.name, type: type, flags: flags, content: allEh ? .ehFrame : .inputs)
        os.entsize = entsize
        os.align = align
        os.members = members
        fixArrayAndNoteTypes(os)
        outputs.append(os)
    }
    state.outputs = outputs
    state.memberRanges = ranges
    ctx.outputSections = outputs.compactMap { $0 } + orphans
}

/// Arrays and notes get their proper section types whatever the inputs used.
private func fixArrayAndNoteTypes(_ os: OutputSection) {
    switch os.name {
    case ".init_array": os.type = SHT.initArray
    case ".fini_array": os.type = SHT.finiArray
    case ".preinit_array": os.type = SHT.preinitArray
    default: if os.name.hasPrefix(".note") && os.type != SHT.nobits { os.type = SHT.note }
    }
}

private func lexicographicallyLess(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    let n = min(a.count, b.count)
    for i in 0..<n where a[i] != b[i] { return a[i] < b[i] }
    return a.count < b.count
}
