#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// A compressed output section's contents: the Elf64_Chdr values and the compressed stream.
public final class CompressedContents: @unchecked Sendable {
    public let format: CompressionFormat
    public let uncompressedSize: UInt64
    public let uncompressedAlign: UInt64
    let stream: ShardedCompressor
    init(format: CompressionFormat, uncompressedSize: UInt64, uncompressedAlign: UInt64, stream: ShardedCompressor) {
        self.format = format; self.uncompressedSize = uncompressedSize; self.uncompressedAlign = uncompressedAlign
        self.stream = stream
    }

    /// Bytes in the output: the 24-byte header, then the stream.
    var size: UInt64 { 24 + UInt64(stream.size) }

    func write(to p: UnsafeMutableRawPointer) {
        p.w32(0, format.rawValue); p.w32(4, 0); p.w64(8, uncompressedSize); p.w64(16, uncompressedAlign)
        stream.write(to: p + 24)
    }
}

/// --compress-debug-sections: renders each non-allocated `.debug_*` output section (copied and
/// relocated exactly as the writer would) into a buffer, compresses all of them in parallel
/// shards, and places the non-allocated sections again with their compressed sizes. Runs once
/// symbol addresses are final (debug info refers to code addresses) and before the output file
/// is created, so the file is made at its final size. The bytes depend only on the inputs: the
/// shards are fixed-size slices, whatever the thread count.
func compressDebugSections(_ ctx: Context, _ format: CompressionFormat) throws(LinkError) {
    let targets = ctx.outputSections.filter { os in
        guard !os.isAlloc, !os.isNoBits, os.size > 0, os.name.hasPrefix(".debug") else { return false }
        switch os.content { case .inputs, .merged: return true; default: return false }
    }
    if targets.isEmpty { return }
    // 1. Render. calloc: alignment padding between members reads as zeros, as in the file.
    var buffers: [UnsafeMutableRawPointer] = []
    for os in targets {
        guard let p = calloc(Int(os.size), 1) else {
            throw LinkError("cannot allocate \(os.size) bytes to compress \(os.name)")
        }
        buffers.append(p)
    }
    var jobs: [(Int32, Int32)] = []   // (target, member)
    for (t, os) in targets.enumerated() {
        for (k, m) in os.members.enumerated() where m.pieces == nil && !m.isNoBits { jobs.append((Int32(t), Int32(k))) }
    }
    let renderBuffers = buffers
    var spanStart = monotonicNanos()
    Parallel.forEach(jobs.count, minChunk: 16) { j in
        let os = targets[Int(jobs[j].0)]
        let m = os.members[Int(jobs[j].1)]
        let dst = renderBuffers[Int(jobs[j].0)] + Int(m.outOffset)
        dst.copyMemory(from: m.data, byteCount: Int(m.size))
        if m.relocCount > 0 { applyRelocations(ctx, m, out: dst, outBase: os.addr + m.outOffset, relaDyn: nil) }
    }
    Parallel.forEach(targets.count) { t in
        let base = renderBuffers[t]
        if let block = targets[t].mergedBytes { (base + Int(block.offset)).copyMemory(from: block.bytes, byteCount: block.count) }
    }
    PhaseTimer.shared.endSpan("compress: render", since: spanStart); spanStart = monotonicNanos()
    // 2. Compress, then new sizes and flags, then the non-allocated sections placed again.
    let streams = try compressInShards(format, targets.enumerated().map { (renderBuffers[$0.offset], Int($0.element.size), $0.element.name) })
    PhaseTimer.shared.endSpan("compress: shards", since: spanStart)
    for p in renderBuffers { free(p) }
    for (t, os) in targets.enumerated() {
        guard let stream = streams[t] else { continue }
        let c = CompressedContents(format: format, uncompressedSize: os.size, uncompressedAlign: os.align, stream: stream)
        os.compressed = c
        os.size = c.size
        os.flags |= SHF.compressed
        // The header holds 64-bit fields: keep it 8-byte aligned, as GNU ld and lld do.
        os.align = 8
    }
    if let first = ctx.outputSections.first(where: { !$0.isAlloc }) {
        placeNonAllocSections(ctx, from: first.offset)
    }
}

/// Compresses buffers (contents, size, section name) in one parallel loop over all their
/// shards. nil for a buffer compression would not shrink (with its 24-byte header): such a
/// section stays as it is, as GNU ld leaves it; readers take either form.
func compressInShards(_ format: CompressionFormat, _ buffers: [(UnsafeMutableRawPointer, Int, String)]) throws(LinkError) -> [ShardedCompressor?] {
    let compressors = buffers.map { ShardedCompressor(format, input: $0.0, count: $0.1) }
    var shards: [(Int32, Int32)] = []
    for (t, c) in compressors.enumerated() { for s in 0..<c.shardCount { shards.append((Int32(t), Int32(s))) } }
    Parallel.forEach(shards.count) { j in compressors[Int(shards[j].0)].compressShard(Int(shards[j].1)) }
    var result: [ShardedCompressor?] = []
    for (t, c) in compressors.enumerated() {
        guard let n = c.finish() else { throw LinkError("cannot compress \(buffers[t].2): out of memory") }
        result.append(24 + n < buffers[t].1 ? c : nil)
    }
    return result
}

/// -r with --compress-debug-sections: each `.debug_*` output section's concatenated contents
/// compressed as they are (its relocations apply to the uncompressed bytes, as the gABI
/// says for SHF_COMPRESSED sections). Returns the compressed contents by output section.
func compressRelocatableDebugSections(_ outs: [RelocatableSection], _ format: CompressionFormat) throws(LinkError) -> [Int: CompressedContents] {
    let targets = outs.indices.filter { o in
        outs[o].flags & SHF.alloc == 0 && outs[o].type != SHT.nobits && outs[o].size > 0 && outs[o].name.hasPrefix(".debug")
    }
    if targets.isEmpty { return [:] }
    var buffers: [(UnsafeMutableRawPointer, Int, String)] = []
    for o in targets {
        guard let p = calloc(Int(outs[o].size), 1) else { throw LinkError("cannot allocate \(outs[o].size) bytes to compress \(outs[o].name)") }
        buffers.append((p, Int(outs[o].size), outs[o].name))
    }
    let rendered = buffers
    Parallel.forEach(targets.count) { t in
        for m in outs[targets[t]].members where m.size > 0 {
            (rendered[t].0 + Int(m.outOffset)).copyMemory(from: m.data, byteCount: Int(m.size))
        }
    }
    let streams = try compressInShards(format, rendered)
    for b in rendered { free(b.0) }
    var result: [Int: CompressedContents] = [:]
    for (t, o) in targets.enumerated() {
        if let stream = streams[t] {
            result[o] = CompressedContents(format: format, uncompressedSize: outs[o].size, uncompressedAlign: outs[o].align, stream: stream)
        }
    }
    return result
}
