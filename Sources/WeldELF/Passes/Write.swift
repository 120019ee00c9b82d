#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// Writes the whole output into the mapped file. The independent parts run as a task graph:
/// headers, input sections (copied and relocated in parallel, one job per input section),
/// merged strings and .eh_frame (then .eh_frame_hdr, which reads .eh_frame back), the symbol
/// table, the other synthetic sections.
func writeOutput(_ ctx: Context, _ out: OutputFile) throws(LinkError) {
    // The tasks below write disjoint parts of the mapping through these pointers.
    nonisolated(unsafe) let buf = out.base
    nonisolated(unsafe) let relaDyn: UnsafeMutableRawPointer? = ctx.synth.relaDyn.map { buf + Int($0.offset) + ctx.synth.staticDynRelocCount * 24 }

    // Jobs carry what the copy needs (the member, borrowed; where it goes): the parallel loop
    // then touches no output section and no member list, whose reference counts both threads
    // would otherwise bounce between them. A big section without relocations (ICU's 30 MB
    // data table in the swift workload) is copied in 1 MiB slices, so one thread does not copy
    // it alone while the others run out of work. The slices get a loop of their own: the main
    // loop splits its jobs by count, which would put all slices of a section in one thread's
    // share again.
    // Built in parallel, in runs of members (reading every member is a cache miss each: 4.5
    // ms of serial work on the swift workload), then joined in order.
    var runs: [(section: Int32, lo: Int32, hi: Int32)] = []
    for (i, os) in ctx.outputSections.enumerated() where !os.isNoBits && os.compressed == nil {
        switch os.content {
        case .inputs, .merged:
            var lo = 0
            while lo < os.members.count { runs.append((Int32(i), Int32(lo), Int32(min(lo + 2048, os.members.count)))); lo += 2048 }
        default: break
        }
    }
    let perRun: [(jobs: [CopyJob], slices: [CopyJob])] = Parallel.map(runs.count) { r in
        let (section, lo, hi) = runs[r]
        var jobs: [CopyJob] = [], slices: [CopyJob] = []
        jobs.reserveCapacity(Int(hi - lo))
        ctx.outputSections.withBorrowed(Int(section)) { os in
            let offset = os.offset, addr = os.addr
            os.members.withUnsafeBufferPointer { members in
                for k in Int(lo)..<Int(hi) {
                    Unmanaged.passUnretained(members[k])._withUnsafeGuaranteedRef { m in
                        guard m.pieces == nil && !m.isNoBits else { return }
                        let n = m.relocCount == 0 ? (Int(m.size) + copySliceSize - 1) / copySliceSize : 1
                        let job = CopyJob(member: .passUnretained(m), offset: Int(offset + m.outOffset), address: addr + m.outOffset, slice: 0)
                        if n <= 1 { jobs.append(job); return }
                        for s in 0..<n { slices.append(CopyJob(member: job.member, offset: job.offset, address: job.address, slice: Int32(s))) }
                    }
                }
            }
        }
        return (jobs, slices)
    }
    let copyJobs = perRun.flatMap { $0.jobs }, sliceJobs = perRun.flatMap { $0.slices }
    let inputPages = InputPages()
    let compressed = ctx.outputSections.filter { $0.compressed != nil }
    let pieceSections = ctx.outputSections.filter { $0.compressed == nil && ($0.mergedBytes != nil || { if case .ehFrame = $0.content { return true }; return false }($0)) }
    let synthetic = ctx.outputSections.filter { if case .synthetic(let k) = $0.content { return k != .symtab }; return false }
    let symtab = ctx.outputSections.first { if case .synthetic(.symtab) = $0.content { return true }; return false }
    let strtab = ctx.outputSections.first { $0.name == ".strtab" && !$0.isAlloc }

    var graph = TaskGraph()
    graph.add("write headers") { writeHeaders(ctx, buf) }
    graph.add("copy and relocate") {
        // Input pages are dropped once read (the output's are all in memory by now), so peak
        // memory is not the sum of both.
        Parallel.forEach(sliceJobs.count) { j in
            let job = sliceJobs[j]
            job.member._withUnsafeGuaranteedRef { m in
                let lo = Int(job.slice) * copySliceSize, n = min(copySliceSize, Int(m.size) - lo)
                (buf + job.offset + lo).copyMemory(from: m.data + lo, byteCount: n)
                var done = InputPageBatch(inputPages)
                done.add(m.data + lo, n)
                done.flush()
            }
        }
        Parallel.forEachChunk(copyJobs.count, minChunk: 16) { range in
            // Contents and relocations apart: an assembler may put all relocations at the end.
            // Contents go after relocation, which reads instructions back to relax them.
            var done = InputPageBatch(inputPages), doneRelocs = InputPageBatch(inputPages)
            for j in range {
                let job = copyJobs[j]
                job.member._withUnsafeGuaranteedRef { m in
                    let dst = buf + job.offset, size = Int(m.size)
                    dst.copyMemory(from: m.data, byteCount: size)
                    if m.relocCount > 0 {
                        applyRelocations(ctx, m, out: dst, outBase: job.address, relaDyn: relaDyn)
                        doneRelocs.add(m.relocs!, m.relocCount * 24)
                    }
                    done.add(m.data, size)
                }
            }
            done.flush()
            doneRelocs.flush()
        }
    }
    graph.add("merged strings and .eh_frame") {
        Parallel.forEach(pieceSections.count) { i in
            let os = pieceSections[i]
            if case .ehFrame = os.content {
                writeEhFrame(ctx, os, buf, relaDyn: relaDyn)
                // Its table right after, on this thread: as a task of its own it became ready
                // after the symbol table had taken the free thread, and ran alone at the end.
                if os === ctx.synth.ehFrame, let hdr = ctx.synth.ehFrameHdr { writeEhFrameHdr(ctx, hdr, buf) }
                return
            }
            // The unique pieces, already laid out: one block, copied in parallel slices.
            guard let block = os.mergedBytes else { return }
            let base = buf + Int(os.offset + block.offset)
            Parallel.forEach((block.count + copySliceSize - 1) / copySliceSize) { s in
                let lo = s * copySliceSize
                (base + lo).copyMemory(from: block.bytes + lo, byteCount: min(copySliceSize, block.count - lo))
            }
        }
    }
    if let symtab, let strtab {
        graph.add("symbol table") {
            let p = buf + Int(symtab.offset)
            memset(p, 0, 24)
            (buf + Int(strtab.offset)).storeBytes(of: 0, as: UInt8.self)
            writeSymbolTable(ctx, symtab: p, strtab: buf + Int(strtab.offset))
        }
    }
    if !compressed.isEmpty {
        graph.add("compressed debug sections") {
            Parallel.forEach(compressed.count) { i in compressed[i].compressed!.write(to: buf + Int(compressed[i].offset)) }
        }
    }
    graph.add("synthetic sections") {
        Parallel.forEach(synthetic.count) { i in writeSynthetic(ctx, synthetic[i], buf) }
    }
    if let s = ctx.script { graph.add("script data and fill") { writeScriptContents(ctx, s, buf) } }
    try graph.run()
}

/// One unit of the parallel copy: an input section, or one slice of a big one. The member is
/// not retained: output sections hold their members until the output is written.
struct CopyJob {
    let member: Unmanaged<InputSection>
    let offset: Int          // in the output file
    let address: UInt64      // the member's output address
    let slice: Int32
}
let copySliceSize = 1 << 20

func writeHeaders(_ ctx: Context, _ buf: UnsafeMutableRawPointer) {
    let secs = ctx.outputSections
    // ELF header.
    buf.w32(0, 0x464c_457f); buf.w8(4, 2); buf.w8(5, 1); buf.w8(6, 1)
    // ELFOSABI_GNU when the output defines IFUNCs or STB_GNU_UNIQUE symbols (as GNU ld does).
    buf.w8(7, ctx.synth.ipltSymbols.isEmpty && !ctx.synth.hasUniqueSymbols ? 0 : 3)
    buf.w16(16, ctx.isPIC ? ET.dyn : ET.exec)
    buf.w16(18, EM_X86_64)
    buf.w32(20, 1)
    buf.w64(24, ctx.entryAddress)
    buf.w64(32, 64)
    buf.w64(40, ctx.shoff)
    buf.w32(48, 0)
    buf.w16(52, 64); buf.w16(54, 56)
    buf.w16(56, UInt16(ctx.segments.count))
    buf.w16(58, 64)
    let shnum = secs.count + 1
    buf.w16(60, shnum < 0xff00 ? UInt16(shnum) : 0)
    let shstrndx = (secs.firstIndex { $0.name == ".shstrtab" } ?? -1) + 1
    buf.w16(62, shstrndx < 0xff00 ? UInt16(shstrndx) : SHN.xindex)
    // Program headers.
    for (i, p) in ctx.segments.enumerated() {
        let h = buf + 64 + i * 56
        h.w32(0, p.type); h.w32(4, p.flags); h.w64(8, p.offset); h.w64(16, p.vaddr); h.w64(24, p.paddr ?? p.vaddr)
        h.w64(32, p.filesz); h.w64(40, p.memsz); h.w64(48, p.align)
    }
    // Section headers (index 0 is null; it holds the real counts when they overflow).
    let sh = buf + Int(ctx.shoff)
    memset(sh, 0, 64)
    if shnum >= 0xff00 { sh.w64(32, UInt64(shnum)) }
    if shstrndx >= 0xff00 { sh.w32(40, UInt32(shstrndx)) }
    for (i, os) in secs.enumerated() {
        let h = sh + (i + 1) * 64
        h.w32(0, os.nameOffset); h.w32(4, os.type); h.w64(8, os.flags & ~(SHF.group))
        h.w64(16, os.addr); h.w64(24, os.offset); h.w64(32, os.size)
        h.w32(40, os.link); h.w32(44, os.info); h.w64(48, os.align); h.w64(56, os.entsize)
    }
}

/// .eh_frame: live records at their new offsets, FDEs' CIE pointers rewritten, relocated.
func writeEhFrame(_ ctx: Context, _ os: OutputSection, _ buf: UnsafeMutableRawPointer, relaDyn: UnsafeMutableRawPointer?) {
    let base = buf + Int(os.offset)
    for m in os.members {
        guard let p = m.pieces else { continue }
        for k in 0..<p.inOffsets.count where p.outOffsets[k] != .max {
            let inOff = Int(p.inOffsets[k])
            let dst = base + Int(p.outOffsets[k])
            dst.copyMemory(from: m.data + inOff, byteCount: Int(p.sizes[k]))
            let id = m.data.u32(inOff + 4)
            if id != 0 {
                // FDE: the CIE pointer is relative to this field; the CIE may have moved.
                let cieIn = UInt64(inOff + 4) - UInt64(id)
                if let c = p.pieceIndex(containing: cieIn), p.outOffsets[c] != .max {
                    dst.w32(4, UInt32(truncatingIfNeeded: p.outOffsets[k] + 4 - p.outOffsets[c]))
                }
            }
        }
        if m.relocCount > 0 { applyRelocations(ctx, m, out: base + Int(m.outOffset), outBase: os.addr + m.outOffset, relaDyn: relaDyn) }
    }
    (base + Int(os.size) - 4).w32(0, 0)
}

/// .eh_frame_hdr: a table of (function start, FDE address) sorted by start, read back from
/// the finished .eh_frame so it sees exactly what was written.
func writeEhFrameHdr(_ ctx: Context, _ hdr: OutputSection, _ buf: UnsafeMutableRawPointer) {
    guard let eh = ctx.synth.ehFrame else { return }
    let p = buf + Int(hdr.offset)
    let ehBase = buf + Int(eh.offset)
    var table: [(Int64, Int64)] = []
    var cieEncodings: [Int: UInt8] = [:]
    var off = 0
    while off + 8 <= Int(eh.size) {
        let len = Int(ehBase.r32(off))
        if len == 0 { break }
        let id = ehBase.r32(off + 4)
        if id == 0 {
            cieEncodings[off] = fdeEncoding(UnsafeRawPointer(ehBase + off), len + 4)
        } else {
            let cie = off + 4 - Int(id)
            let enc = cieEncodings[cie] ?? 0x1b
            let field = off + 8
            var pc: Int64
            switch enc & 0x0f {
            case 0x0b, 0x03: pc = Int64(Int32(bitPattern: ehBase.r32(field)))
            case 0x0c, 0x04, 0x00: pc = Int64(bitPattern: ehBase.r64(field))
            default: pc = Int64(Int32(bitPattern: ehBase.r32(field)))
            }
            if enc & 0x70 == 0x10 { pc += Int64(eh.addr) + Int64(field) }
            table.append((pc, Int64(eh.addr) + Int64(off)))
        }
        off += 4 + len
    }
    table.sort { $0.0 < $1.0 }
    p.w8(0, 1); p.w8(1, 0x1b); p.w8(2, 0x03); p.w8(3, 0x3b)
    p.w32(4, UInt32(truncatingIfNeeded: Int64(eh.addr) - Int64(hdr.addr) - 4))
    p.w32(8, UInt32(table.count))
    for (i, e) in table.enumerated() {
        p.w32(12 + i * 8, UInt32(truncatingIfNeeded: e.0 - Int64(hdr.addr)))
        p.w32(16 + i * 8, UInt32(truncatingIfNeeded: e.1 - Int64(hdr.addr)))
    }
}

/// The FDE pointer encoding from a CIE's augmentation ('R'), 0 (absptr) if none.
func fdeEncoding(_ cie: UnsafeRawPointer, _ size: Int) -> UInt8 {
    var i = 9 // length(4) id(4) version(1)
    guard size > i else { return 0 }
    let augStart = i
    while i < size && cie.u8(i) != 0 { i += 1 }
    let aug = (augStart..<i).map { cie.u8($0) }
    i += 1
    func uleb() -> UInt64 { var r: UInt64 = 0, s: UInt64 = 0; while i < size { let b = cie.u8(i); i += 1; r |= UInt64(b & 0x7f) << s; s += 7; if b & 0x80 == 0 { break } }; return r }
    func sleb() { while i < size { let b = cie.u8(i); i += 1; if b & 0x80 == 0 { break } } }
    _ = uleb(); sleb()            // code and data alignment
    _ = uleb()                    // return address register (version 3) / byte (version 1)
    guard aug.first == UInt8(ascii: "z") else { return 0 }
    _ = uleb()                    // augmentation data length
    for c in aug.dropFirst() {
        switch c {
        case UInt8(ascii: "R"): return i < size ? cie.u8(i) : 0
        case UInt8(ascii: "P"):
            let enc = cie.u8(i); i += 1
            switch enc & 0x0f { case 0x02, 0x0a: i += 2; case 0x03, 0x0b: i += 4; case 0x04, 0x0c, 0x00: i += 8; default: i += 4 }
        case UInt8(ascii: "L"): i += 1
        default: break
        }
    }
    return 0
}
