#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// Where an allocated section goes, in the order lld and GNU ld use: read-only data (headers,
/// dynamic tables, .rodata, .eh_frame), then code, then RELRO data, then writable data, then
/// .bss; non-allocated sections (debug info) last.
func sectionRank(_ os: OutputSection) -> Int {
    if !os.isAlloc {
        switch os.name {
        case ".symtab": return 10_001
        case ".strtab": return 10_002
        case ".shstrtab": return 10_003
        default: return 10_000
        }
    }
    let n = os.name
    if !os.isWritable && !os.isExec {
        switch n {
        case ".interp": return 1
        case ".note.gnu.property": return 2
        case ".note.gnu.build-id": return 3
        case _ where os.type == SHT.note: return 4
        case ".dynsym": return 5
        case ".gnu.version": return 6
        case ".gnu.version_d": return 7
        case ".gnu.version_r": return 7
        case ".gnu.hash": return 8
        case ".hash": return 9
        case ".dynstr": return 10
        case ".rela.dyn": return 11
        case ".relr.dyn": return 11
        case ".rela.plt": return 12
        case ".eh_frame_hdr": return 21
        case ".eh_frame": return 22
        case ".gcc_except_table": return 23
        default: return 20
        }
    }
    if os.isExec && !os.isWritable {
        switch n {
        case ".init": return 30
        case ".plt": return 31
        // -z keep-text-section-prefix: cold and once-run code first, hot code next to .text
        // (GNU ld's default script order).
        case ".text.unlikely": return 32
        case ".text.exit": return 33
        case ".text.startup": return 34
        case ".text.hot": return 35
        case ".text": return 36
        case ".fini": return 38
        default: return 37
        }
    }
    if isRelro(os) {
        switch n {
        case ".tdata": return 40
        case ".tbss": return 41
        case ".preinit_array": return 42
        case ".init_array": return 43
        case ".fini_array": return 44
        case ".dynamic": return 46
        case ".got": return 47
        default: return 45
        }
    }
    if os.isNoBits { return n == ".bss" ? 61 : 60 }
    switch n {
    case ".got.plt": return 50
    case ".data": return 51
    default: return 52
    }
}

func isRelro(_ os: OutputSection) -> Bool {
    if !os.isAlloc || !os.isWritable { return false }
    if os.isTLS { return true }
    switch os.name {
    case ".init_array", ".fini_array", ".preinit_array", ".data.rel.ro", ".dynamic", ".got", ".ctors", ".dtors", ".jcr":
        return true
    default:
        return os.name.hasPrefix(".data.rel.ro")
    }
}

@inline(__always) func alignUp(_ v: UInt64, _ a: UInt64) -> UInt64 { a <= 1 ? v : (v + a - 1) & ~(a - 1) }

/// Lays out member offsets inside each output section (merging strings), orders the sections,
/// assigns file offsets and addresses, and builds the program headers.
func layout(_ ctx: Context) {
    PhaseTimer.shared.phase("merge strings") { mergeAndSizeSections(ctx) }
    // Drop empty sections weld would otherwise emit (except ones symbols point into).
    ctx.outputSections = ctx.outputSections.filter { os in
        if case .synthetic = os.content { return true }
        return !os.members.isEmpty || os === ctx.synth.bss || ctx.script?.keepsEmpty(os) == true
    }
    // Non-allocated tables at the end.
    if !ctx.options.stripAll {
        let symtab = OutputSection(name: ".symtab", type: SHT.symtab, flags: 0, content: .synthetic(.symtab))
        symtab.align = 8; symtab.entsize = 24
        let strtab = OutputSection(name: ".strtab", type: SHT.strtab, flags: 0, content: .synthetic(.strtab))
        ctx.outputSections.append(symtab); ctx.outputSections.append(strtab)
    }
    let shstrtab = OutputSection(name: ".shstrtab", type: SHT.strtab, flags: 0, content: .synthetic(.shstrtab))
    ctx.outputSections.append(shstrtab)
    let ranked = ctx.outputSections.enumerated().map { (sectionRank($0.element), $0.offset, $0.element) }
    if let s = ctx.script, s.hasSections { ctx.outputSections = orderSectionsByScript(ctx, s) }
    else { ctx.outputSections = ranked.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { $0.2 } }
    // Section header string table.
    var shstr = StringTableBuilder()
    for os in ctx.outputSections { os.nameOffset = shstr.add(os.name) }
    ctx.shstrtab = shstr.bytes
    shstrtab.size = UInt64(shstr.bytes.count)
    for (i, os) in ctx.outputSections.enumerated() {
        os.headerIndex = i + 1
        for m in os.members { m.outputIndex = Int32(i) }
    }
    // A section folded by ICF takes its twin's place, so its symbols and references land there.
    for sec in ctx.foldedSections {
        sec.outputIndex = sec.foldedInto!.outputIndex
        sec.outOffset = sec.foldedInto!.outOffset
    }
    // The symbol table plan needs every member's output index.
    if let symtab = ctx.outputSections.first(where: { $0.name == ".symtab" }),
       let strtab = ctx.outputSections.first(where: { $0.name == ".strtab" }) {
        ctx.symtabLayout = planSymbolTable(ctx)
        symtab.size = UInt64(ctx.symtabLayout.symbolCount * 24)
        strtab.size = UInt64(ctx.symtabLayout.stringBytes)
        symtab.info = UInt32(ctx.symtabLayout.firstGlobal)
    }
    // Links between sections.
    let index = { (name: String) in UInt32(ctx.outputSections.firstIndex { $0.name == name }.map { $0 + 1 } ?? 0) }
    for os in ctx.outputSections {
        switch os.name {
        case ".dynsym", ".gnu.version_r", ".gnu.version_d": os.link = index(".dynstr")
        case ".gnu.hash", ".hash", ".gnu.version": os.link = index(".dynsym")
        case ".rela.dyn": os.link = index(".dynsym")
        case ".rela.plt":
            // A static link's IRELATIVE table links to .symtab, as GNU ld's does.
            os.link = ctx.isStatic ? index(".symtab") : index(".dynsym")
            os.info = index(ctx.isStatic ? ".got" : ".got.plt")
        case ".dynamic": os.link = index(".dynstr")
        case ".symtab": os.link = index(".strtab")
        default: break
        }
    }
    if let s = ctx.script { assignScriptAddresses(ctx, s) } else { assignAddresses(ctx) }
    if let relr = ctx.synth.relrDyn { sizePackedRelativeRelocs(ctx, relr) }
}

/// Gives the non-allocated sections (debug info, symbol tables) file offsets from `offset` on,
/// then the section header table. Run again when compression changes their sizes.
func placeNonAllocSections(_ ctx: Context, from start: UInt64) {
    var offset = start
    for os in ctx.outputSections where !os.isAlloc {
        offset = alignUp(offset, os.align)
        os.offset = offset
        os.addr = 0
        offset += os.size
    }
    offset = alignUp(offset, 8)
    ctx.shoff = offset
    ctx.fileSize = offset + UInt64(ctx.outputSections.count + 1) * 64
}

/// Computes member offsets and sizes of content sections, deduplicating merged strings
/// (see mergePieces) and placing .eh_frame records.
func mergeAndSizeSections(_ ctx: Context) {
    // Sections with many pieces are merged afterwards, one at a time with all threads.
    var bigMerges = [Bool](repeating: false, count: ctx.outputSections.count)
    bigMerges.withUnsafeMutableBufferPointer { bigMerges in
        Parallel.forEach(ctx.outputSections.count) { i in
            let os = ctx.outputSections[i]
            switch os.content {
            case .synthetic: return
            case .ehFrame:
                var off: UInt64 = 0
                for m in os.members {
                    m.outOffset = off   // where this member's records start (an empty member: its symbols land here)
                    guard let p = m.pieces else { continue }
                    for k in 0..<p.inOffsets.count where p.outOffsets[k] != .max {
                        p.outOffsets[k] = off
                        off += UInt64(p.sizes[k])
                    }
                }
                os.size = off + 4 // a zero terminator
            case .inputs, .merged:
                var off: UInt64 = 0
                var pieces = 0
                for m in os.members {
                    if let p = m.pieces { pieces += p.inOffsets.count; continue }
                    off = alignUp(off, m.align)
                    m.outOffset = off
                    off += m.size
                }
                os.size = off
                if pieces >= bigMergePieces { bigMerges[i] = true; return }
                os.size = mergePieces(ctx, os, from: off, parallel: false)
            }
        }
    }
    for (i, big) in bigMerges.enumerated() where big {
        let os = ctx.outputSections[i]
        os.size = mergePieces(ctx, os, from: os.size, parallel: true)
    }
    // Commons and copy-relocated symbols at the end of .bss.
    if let bss = ctx.synth.bss {
        var off = bss.size
        for id in ctx.commonSymbols {
            let s = ctx.symbols[id]
            let align = max(s.commonAlign, 1)
            off = alignUp(off, align)
            bss.align = max(bss.align, align)
            ctx.symbols[id].value = off   // offset in .bss until addresses are assigned
            off += s.size
        }
        var copyOffsets: [UInt64] = []
        for id in ctx.synth.copySymbols {
            let s = ctx.symbols[id]
            let so = ctx.shareds[Int(s.fileIndex)]
            let v = so.symValue(Int(s.symIndex))
            var align: UInt64 = 1
            while align < 64 && v % (align * 2) == 0 { align *= 2 }
            off = alignUp(off, align)
            bss.align = max(bss.align, align)
            copyOffsets.append(off)
            off += max(s.size, 1)
        }
        ctx.synth.commonsOffset = copyOffsets
        bss.size = off
    }
}

func assignAddresses(_ ctx: Context) {
    let page = ctx.options.maxPageSize
    ctx.imageBase = ctx.isPIC ? 0 : 0x400000
    let secs = ctx.outputSections
    // Which PT_LOAD each allocated section opens: R, RX, RW-relro, RW.
    func loadClass(_ os: OutputSection) -> Int {
        if os.isExec { return 1 }
        if os.isWritable { return isRelro(os) && ctx.options.zRelro ? 2 : 3 }
        return 0
    }
    // Count program headers first: the headers live at the start of the first segment.
    var loadClasses: [Int] = []
    for os in secs where os.isAlloc {
        let c = loadClass(os)
        if loadClasses.last != c { loadClasses.append(c) }
    }
    let hasInterp = ctx.synth.interp != nil
    let hasTLS = secs.contains { $0.isAlloc && $0.isTLS }
    let notes = secs.filter { $0.isAlloc && $0.type == SHT.note }
    var phnum = loadClasses.count + 1 /* GNU_STACK */
    if hasInterp { phnum += 2 }                                  // PHDR, INTERP
    if ctx.synth.dynamic != nil { phnum += 1 }
    if hasTLS { phnum += 1 }
    if ctx.synth.ehFrameHdr != nil { phnum += 1 }
    if ctx.options.zRelro && secs.contains(where: { isRelro($0) }) { phnum += 1 }
    phnum += notes.count
    if secs.contains(where: { $0.name == ".note.gnu.property" }) { phnum += 1 }
    ctx.phnum = phnum

    var offset: UInt64 = 64 + UInt64(phnum) * 56
    var vaddr: UInt64 = ctx.imageBase + offset
    var loads: [Segment] = []
    var current = -1
    var tlsStart: UInt64 = 0, tlsEndAddr: UInt64 = 0, tlsAlign: UInt64 = 1, tlsFile: UInt64 = 0, tlsOffset: UInt64 = 0
    var relroStart: UInt64 = 0, relroEnd: UInt64 = 0, relroOffset: UInt64 = 0
    var tlsSeen = false
    // Each segment's address and offset agree modulo the largest alignment in it (at least a
    // page), so p_align can promise that alignment: glibc aligns a PIE's load address to it.
    let allocs = secs.filter { $0.isAlloc }
    var segmentAlign: [UInt64] = Array(repeating: page, count: allocs.count)
    do {
        var start = 0
        for i in 0...allocs.count {
            if i == allocs.count || (i > start && loadClass(allocs[i]) != loadClass(allocs[start])) {
                let m = allocs[start..<i].reduce(page) { max($0, $1.align) }
                for k in start..<i { segmentAlign[k] = m }
                start = i
            }
        }
    }
    for (ai, os) in allocs.enumerated() {
        let c = loadClass(os)
        if c != current {
            let modulus = segmentAlign[ai]
            if current == 2 {
                // After RELRO: pad its segment to the page end (so mprotect covers it all)
                // and start the next one on a fresh page in the file and in memory.
                loads[loads.count - 1].memsz = alignUp(vaddr, page) - loads[loads.count - 1].vaddr
                offset = alignUp(offset, page)
                vaddr = alignUp(vaddr, modulus) + (offset % modulus)
            } else if current >= 0 {
                // With -z separate-code no file page holds both code and other bytes.
                if ctx.options.zSeparateCode && (c == 1 || current == 1) { offset = alignUp(offset, page) }
                // A new segment starts on a new page; the file offset stays congruent.
                vaddr = alignUp(vaddr, modulus) + (offset % modulus)
            }
            current = c
            var seg = Segment(type: PT.load, flags: [PF.r, PF.r | PF.x, PF.r | PF.w, PF.r | PF.w][c])
            seg.offset = loads.isEmpty ? 0 : offset
            seg.vaddr = loads.isEmpty ? ctx.imageBase : vaddr
            seg.align = page
            loads.append(seg)
        }
        if os.isTLS && !tlsSeen {
            // The TLS block starts aligned to the largest TLS alignment.
            let maxAlign = secs.filter { $0.isAlloc && $0.isTLS }.map { $0.align }.max() ?? 1
            let nv = alignUp(vaddr, maxAlign)
            offset += nv - vaddr; vaddr = nv
            tlsSeen = true; tlsStart = vaddr; tlsOffset = offset; tlsAlign = maxAlign
        }
        if os.isTLS && os.isNoBits {
            // .tbss occupies no address space outside the TLS template: later sections start
            // where they would without it.
            os.addr = alignUp(vaddr, os.align)
            os.offset = offset
            tlsEndAddr = os.addr + os.size
            continue
        }
        let nv = alignUp(vaddr, os.align)
        if !os.isNoBits { offset += nv - vaddr }
        // NOBITS takes no file space; its offset is where the file part ends (as GNU ld).
        os.offset = offset
        vaddr = nv
        os.addr = vaddr
        if c == 2 && relroStart == 0 { relroStart = vaddr; relroOffset = offset }
        if os.isTLS {
            tlsEndAddr = vaddr + os.size
            if !os.isNoBits { tlsFile = offset + os.size - tlsOffset }
        }
        if os.isTLS && os.isNoBits {
            // .tbss takes no room outside the TLS template.
        } else if os.isNoBits {
            vaddr += os.size
        } else {
            offset += os.size; vaddr += os.size
        }
        if c == 2 { relroEnd = vaddr }
        loads[loads.count - 1].filesz = (os.isNoBits ? loads[loads.count - 1].filesz : offset - loads[loads.count - 1].offset)
        loads[loads.count - 1].memsz = vaddr - loads[loads.count - 1].vaddr
        loads[loads.count - 1].align = max(loads[loads.count - 1].align, os.align)
    }
    if current == 2 { loads[loads.count - 1].memsz = alignUp(vaddr, page) - loads[loads.count - 1].vaddr }
    // The RELRO segment's last page belongs to it alone (the next segment starts on a new
    // page), so PT_GNU_RELRO can be rounded up to a page and mprotect covers all of it.
    placeNonAllocSections(ctx, from: offset)

    // Program headers, in the order readers expect.
    var ph: [Segment] = []
    if hasInterp {
        ph.append(Segment(type: PT.phdr, flags: PF.r, offset: 64, vaddr: ctx.imageBase + 64, filesz: UInt64(phnum) * 56, memsz: UInt64(phnum) * 56, align: 8))
        let i = ctx.synth.interp!
        ph.append(Segment(type: PT.interp, flags: PF.r, offset: i.offset, vaddr: i.addr, filesz: i.size, memsz: i.size, align: 1))
    }
    ph.append(contentsOf: loads)
    if let d = ctx.synth.dynamic {
        ph.append(Segment(type: PT.dynamic, flags: PF.r | PF.w, offset: d.offset, vaddr: d.addr, filesz: d.size, memsz: d.size, align: 8))
    }
    if hasTLS {
        ph.append(Segment(type: PT.tls, flags: PF.r, offset: tlsOffset, vaddr: tlsStart, filesz: tlsFile, memsz: tlsEndAddr - tlsStart, align: tlsAlign))
        ctx.tlsStart = tlsStart
        ctx.tlsAlign = tlsAlign
        ctx.tlsEnd = alignUp(tlsEndAddr, tlsAlign)
        // x86-64 variant II: TP is at the aligned end of the block, measured from its start.
        ctx.tlsEnd = tlsStart + alignUp(tlsEndAddr - tlsStart, tlsAlign)
    }
    if let e = ctx.synth.ehFrameHdr {
        ph.append(Segment(type: PT.gnuEhFrame, flags: PF.r, offset: e.offset, vaddr: e.addr, filesz: e.size, memsz: e.size, align: 4))
    }
    ph.append(Segment(type: PT.gnuStack, flags: PF.r | PF.w | (ctx.execStack ? PF.x : 0), offset: 0, vaddr: 0, filesz: 0, memsz: ctx.options.zStackSize, align: 16))
    if ctx.options.zRelro && relroEnd > relroStart {
        ph.append(Segment(type: PT.gnuRelro, flags: PF.r, offset: relroOffset, vaddr: relroStart, filesz: relroEnd - relroStart, memsz: alignUp(relroEnd, page) - relroStart, align: 1))
    }
    for n in notes {
        ph.append(Segment(type: PT.note, flags: PF.r, offset: n.offset, vaddr: n.addr, filesz: n.size, memsz: n.size, align: n.align))
    }
    if let p = secs.first(where: { $0.name == ".note.gnu.property" }) {
        ph.append(Segment(type: PT.gnuProperty, flags: PF.r, offset: p.offset, vaddr: p.addr, filesz: p.size, memsz: p.size, align: 8))
    }
    // The header table was sized before layout; an expected segment that turned out empty
    // (e.g. RELRO holding only .tbss) leaves a PT_NULL entry, which loaders skip.
    while ph.count < phnum { ph.append(Segment(type: PT.null, flags: 0)) }
    precondition(ph.count == phnum, "program header count mismatch: planned \(phnum), built \(ph.count)")
    ctx.segments = ph
}
