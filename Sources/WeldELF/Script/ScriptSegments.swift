import WeldCore

// File offsets and program headers of a scripted link. Without PHDRS, allocated sections are
// grouped into PT_LOAD segments as GNU ld groups them: a new segment when the permissions
// change, when the load address stops following the address (AT), when a page is skipped,
// or when file contents would follow .bss. With PHDRS, the script names the segments and each
// section goes where its `:phdr` list (or the previous section's) says.

/// Builds ctx.segments and every section's file offset; returns the number of program headers.
func buildSegments(_ ctx: Context, _ state: ScriptState, phnum: Int, report: Bool) -> Int {
    let page = ctx.options.maxPageSize
    let headerSize = UInt64(64 &+ phnum * 56)
    let allocs = ctx.outputSections.filter { $0.isAlloc }
    func lma(_ os: OutputSection) -> UInt64 { state.loadAddresses[ObjectIdentifier(os)] ?? os.addr }
    func pflags(_ os: OutputSection) -> UInt32 { PF.r | (os.isWritable ? PF.w : 0) | (os.isExec ? PF.x : 0) }

    // Which PT_LOAD (index into `loadPlan`) each allocated section belongs to.
    var loadOf = [Int](repeating: -1, count: allocs.count)
    var explicit: [(phdr: ScriptPhdr, members: [Int])] = []
    if let phdrs = state.script.phdrs {
        explicit = phdrs.map { ($0, []) }
        // Walk the script, so that a section without `:phdr` (an orphan, too) takes the list
        // of the statement before it even when that statement's section was dropped.
        var current: [Int] = []
        let allocIndex = Dictionary(uniqueKeysWithValues: allocs.enumerated().map { (ObjectIdentifier($0.element), $0.offset) })
        for item in state.plan {
            var section: OutputSection? = nil
            switch item {
            case .orphan(let os): section = os
            case .command(let c):
                guard let d = state.descriptionOfCommand[c] else { continue }
                let desc = state.descriptions[d]
                if desc.isDiscard || state.disabledDescriptions[d] { continue }
                section = state.outputs[d]
                if !desc.phdrs.isEmpty {
                    current = []
                    for (name, loc) in desc.phdrs where name != "NONE" {
                        guard let k = phdrs.firstIndex(where: { $0.name == name }) else {
                            if report { ctx.diag.error("\(state.script.sources.describe(loc)): section '\(desc.name)' assigned to non-existent program header '\(name)'") }
                            continue
                        }
                        current.append(k)
                    }
                }
            }
            guard let os = section, let i = allocIndex[ObjectIdentifier(os)] else { continue }
            if current.isEmpty, let k = phdrs.firstIndex(where: { $0.type == PT.load }) { current = [k] }
            for k in current { explicit[k].members.append(i) }
        }
        var loadIndex = 0
        for e in explicit where e.phdr.type == PT.load {
            for i in e.members where loadOf[i] < 0 { loadOf[i] = loadIndex }
            loadIndex &+= 1
        }
    } else {
        var current = -1
        var segFlags: UInt32 = 0, segDelta: UInt64 = 0, segEnd: UInt64 = 0
        for (i, os) in allocs.enumerated() {
            let tbss = os.isTLS && os.isNoBits
            if current >= 0 && tbss { loadOf[i] = current; continue }
            let delta = lma(os) &- os.addr
            // A section starting in the segment's last page joins it whatever its flags (two
            // segments cannot map one page); one on a later page starts a new segment if its
            // flags differ or a whole page lies between.
            let lastPage = (max(segEnd, 1) &- 1) & ~(page &- 1)
            let laterPage = (os.addr & ~(page &- 1)) > lastPage
            // Contents after .bss in the same segment give that .bss file space (zeros), as GNU
            // ld does, rather than a second segment mapping the same page.
            let breaks = current < 0 || delta != segDelta || os.addr < segEnd
                || (laterPage && (pflags(os) != segFlags || scriptAlignUp(segEnd, page) < (os.addr & ~(page &- 1))))
            if breaks {
                current &+= 1
                segFlags = pflags(os); segDelta = delta
            } else {
                segFlags |= pflags(os)
            }
            loadOf[i] = current
            segEnd = os.addr &+ os.size
        }
    }

    // Whether the headers are loaded: room for them before the first section, in its page
    // (or FILEHDR asks for it).
    let loadCount = state.script.phdrs.map { $0.filter { $0.type == PT.load }.count } ?? ((loadOf.max() ?? -1) &+ 1)
    var headersLoaded = false
    var headerVaddr: UInt64 = 0
    if let firstIndex = loadOf.firstIndex(of: 0) {
        let first = allocs[firstIndex]
        let base = first.addr & ~(page &- 1)
        let wantsHeaders = state.script.phdrs?.first(where: { $0.type == PT.load })?.fileHeader
        if wantsHeaders ?? (first.addr &- base >= headerSize) {
            if first.addr &- base >= headerSize {
                headersLoaded = true
                headerVaddr = base
            } else if report {
                ctx.diag.error("not enough room for program headers: the first section '\(first.name)' starts at 0x\(hex(first.addr)), \(headerSize) bytes of headers do not fit before it in its page")
            }
        }
    }

    // File offsets: within a segment, congruent with the address; a new segment starts at the
    // next offset congruent with its first address modulo the page size.
    var loads = [Segment](repeating: Segment(type: PT.load, flags: 0), count: loadCount)
    var started = [Bool](repeating: false, count: loadCount)
    var fileEnd: UInt64 = headerSize
    for (i, os) in allocs.enumerated() {
        let l = loadOf[i]
        guard l >= 0 else {
            // In no segment (PHDRS left it out): still given a file place.
            os.offset = fileEnd &+ ((os.addr &- fileEnd) & (page &- 1))
            if !os.isNoBits { fileEnd = os.offset &+ os.size }
            continue
        }
        if !started[l] {
            started[l] = true
            if l == 0 && headersLoaded {
                loads[l].vaddr = headerVaddr
                loads[l].offset = 0
                loads[l].paddr = lma(os) &- (os.addr &- headerVaddr)
            } else {
                let off = fileEnd &+ ((os.addr &- fileEnd) & (page &- 1))
                loads[l].vaddr = os.addr
                loads[l].offset = off
                loads[l].paddr = lma(os)
            }
            loads[l].flags = 0
            loads[l].align = page
        }
        os.offset = loads[l].offset &+ (os.addr &- loads[l].vaddr)
        // .bss takes no file space: its offset is where the file contents end (as GNU ld).
        if os.isNoBits && os.offset > fileEnd && fileEnd >= loads[l].offset { os.offset = fileEnd }
        if !os.isNoBits {
            fileEnd = max(fileEnd, os.offset &+ os.size)
            loads[l].filesz = max(loads[l].filesz, os.offset &+ os.size &- loads[l].offset)
        }
        if !(os.isTLS && os.isNoBits) { loads[l].memsz = max(loads[l].memsz, os.addr &+ os.size &- loads[l].vaddr) }
        loads[l].memsz = max(loads[l].memsz, loads[l].filesz)
        loads[l].flags |= pflags(os)
        loads[l].align = max(loads[l].align, os.align)
    }
    if headersLoaded {
        loads[0].filesz = max(loads[0].filesz, headerSize)
        loads[0].memsz = max(loads[0].memsz, loads[0].filesz)
    }
    for os in ctx.outputSections where !os.isAlloc {
        fileEnd = scriptAlignUp(fileEnd, os.align)
        os.offset = fileEnd
        fileEnd &+= os.size
    }
    ctx.shoff = scriptAlignUp(fileEnd, 8)
    ctx.fileSize = ctx.shoff &+ UInt64(ctx.outputSections.count &+ 1) * 64
    ctx.imageBase = headersLoaded ? headerVaddr : (loads.first?.vaddr ?? 0)

    // TLS template.
    let tls = allocs.filter { $0.isTLS }
    var tlsSegment: Segment? = nil
    if let f = tls.first, let l = tls.last {
        let align = tls.map { $0.align }.max() ?? 1
        let fileEndTLS = tls.filter { !$0.isNoBits }.last.map { $0.offset + $0.size &- f.offset } ?? 0
        tlsSegment = Segment(type: PT.tls, flags: PF.r, offset: f.offset, vaddr: f.addr, filesz: fileEndTLS,
                             memsz: l.addr &+ l.size &- f.addr, align: align)
        tlsSegment!.paddr = lma(f)
        ctx.tlsStart = f.addr
        ctx.tlsAlign = align
        ctx.tlsEnd = f.addr &+ scriptAlignUp(l.addr &+ l.size &- f.addr, align)
    }

    var ph: [Segment] = []
    if !explicit.isEmpty {
        var loadIndex = 0
        for (phdr, members) in explicit {
            var seg: Segment
            if phdr.type == PT.load {
                seg = loads[loadIndex]
                seg.type = PT.load
                if !started[loadIndex] {
                    seg = Segment(type: PT.load, flags: PF.r)
                    if phdr.fileHeader && headersLoaded { seg.vaddr = headerVaddr; seg.filesz = headerSize; seg.memsz = headerSize }
                }
                loadIndex &+= 1
            } else if phdr.type == PT.phdr || (phdr.programHeaders && members.isEmpty) {
                if !headersLoaded && report {
                    ctx.diag.error("\(state.script.sources.describe(phdr.loc)): program header '\(phdr.name)' (PT_PHDR) is not covered by a PT_LOAD: "
                                   + "the headers are loaded only with FILEHDR PHDRS in a PT_LOAD and room before the first section")
                }
                seg = Segment(type: phdr.type, flags: PF.r, offset: 64, vaddr: headerVaddr &+ 64, filesz: headerSize &- 64, memsz: headerSize &- 64, align: 8)
            } else {
                seg = Segment(type: phdr.type, flags: 0)
                let secs = members.map { allocs[$0] }
                if let f = secs.first, let l = secs.last {
                    seg.offset = f.offset; seg.vaddr = f.addr; seg.paddr = lma(f)
                    seg.filesz = secs.filter { !$0.isNoBits }.last.map { $0.offset + $0.size &- f.offset } ?? 0
                    seg.memsz = l.addr &+ l.size &- f.addr
                    seg.align = secs.map { $0.align }.max() ?? 1
                    for s in secs { seg.flags |= pflags(s) }
                } else {
                    seg.flags = PF.r
                    if phdr.type == PT.gnuStack { seg.flags = PF.r | PF.w | (ctx.execStack ? PF.x : 0); seg.memsz = ctx.options.zStackSize; seg.align = 16 }
                }
                if phdr.type == PT.tls, let t = tlsSegment { seg = t }
            }
            if let e = phdr.flags {
                var ev = ScriptEvaluator(ctx: ctx, state: state, sizeofHeaders: headerSize)
                if let v = try? ev.evaluate(e).value { seg.flags = UInt32(truncatingIfNeeded: v) }
                ev.dot = 0
            }
            if let e = phdr.at {
                var ev = ScriptEvaluator(ctx: ctx, state: state, sizeofHeaders: headerSize)
                if let v = try? ev.evaluate(e).value { seg.paddr = v }
                ev.dot = 0
            }
            ph.append(seg)
        }
        ctx.segments = ph
        ctx.phnum = ph.count
        return ph.count
    }

    let interp = ctx.synth.interp.flatMap { i in ctx.outputSections.contains { $0 === i } ? i : nil }
    if interp != nil && headersLoaded {
        ph.append(Segment(type: PT.phdr, flags: PF.r, offset: 64, vaddr: headerVaddr &+ 64, filesz: headerSize &- 64, memsz: headerSize &- 64, align: 8))
    }
    if let i = interp {
        ph.append(Segment(type: PT.interp, flags: PF.r, offset: i.offset, vaddr: i.addr, filesz: i.size, memsz: i.size, align: 1))
    }
    // In load-address order, as GNU ld orders them (the same as address order unless AT moves
    // sections' load addresses around).
    ph += loads.enumerated().sorted { ($0.element.paddr ?? $0.element.vaddr, $0.offset) < ($1.element.paddr ?? $1.element.vaddr, $1.offset) }.map { $0.element }
    if let d = ctx.synth.dynamic, d.isAlloc {
        ph.append(Segment(type: PT.dynamic, flags: PF.r | PF.w, offset: d.offset, vaddr: d.addr, filesz: d.size, memsz: d.size, align: 8))
    }
    if let t = tlsSegment { ph.append(t) }
    if let e = ctx.synth.ehFrameHdr, ctx.outputSections.contains(where: { $0 === e }) {
        ph.append(Segment(type: PT.gnuEhFrame, flags: PF.r, offset: e.offset, vaddr: e.addr, filesz: e.size, memsz: e.size, align: 4))
    }
    ph.append(Segment(type: PT.gnuStack, flags: PF.r | PF.w | (ctx.execStack ? PF.x : 0), offset: 0, vaddr: 0, filesz: 0, memsz: ctx.options.zStackSize, align: 16))
    // PT_GNU_RELRO when the script says where RELRO ends (DATA_SEGMENT_RELRO_END, as GNU ld):
    // from the first RELRO section to that end. The loader protects whole pages inside it.
    if ctx.options.zRelro, let end = state.relroEnd, let first = allocs.first(where: { isRelro($0) }), end > first.addr {
        ph.append(Segment(type: PT.gnuRelro, flags: PF.r, offset: first.offset, vaddr: first.addr,
                          filesz: end &- first.addr, memsz: end &- first.addr, align: 1))
    }
    for n in allocs where n.type == SHT.note && n.size > 0 {
        ph.append(Segment(type: PT.note, flags: PF.r, offset: n.offset, vaddr: n.addr, filesz: n.size, memsz: n.size, align: n.align))
    }
    if let p = allocs.first(where: { $0.name == ".note.gnu.property" }) {
        ph.append(Segment(type: PT.gnuProperty, flags: PF.r, offset: p.offset, vaddr: p.addr, filesz: p.size, memsz: p.size, align: 8))
    }
    // Segment LMAs default to their addresses.
    for k in ph.indices where ph[k].paddr == nil { ph[k].paddr = ph[k].vaddr }
    // The header table was sized for `phnum` entries: pad with PT_NULL if fewer were made
    // (the caller repeats the layout with the real count until both agree).
    let made = ph.count
    while ph.count < phnum { ph.append(Segment(type: PT.null, flags: 0)) }
    ctx.segments = ph
    ctx.phnum = ph.count
    return made
}

/// The load address layout gave an output section (its address when the script says nothing).
func scriptLoadAddress(_ state: ScriptState, _ os: OutputSection) -> UInt64 {
    state.loadAddresses[ObjectIdentifier(os)] ?? os.addr
}
