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
        for piece in targets[t].mergedPieces { (base + Int(piece.out)).copyMemory(from: piece.ptr, byteCount: piece.size) }
    }
    PhaseTimer.shared.endSpan("compress: render", since: spanStart); spanStart = monotonicNanos()
    // 2. Compress every shard of every section in one parallel loop.
    let compressors = targets.enumerated().map { ShardedCompressor(format, input: renderBuffers[$0.offset], count: Int($0.element.size)) }
    var shards: [(Int32, Int32)] = []
    for (t, c) in compressors.enumerated() { for s in 0..<c.shardCount { shards.append((Int32(t), Int32(s))) } }
    Parallel.forEach(shards.count) { j in compressors[Int(shards[j].0)].compressShard(Int(shards[j].1)) }
    PhaseTimer.shared.endSpan("compress: shards", since: spanStart)
    for p in renderBuffers { free(p) }
    // 3. New sizes and flags, then the non-allocated sections placed again.
    for (t, os) in targets.enumerated() {
        guard let n = compressors[t].finish() else { throw LinkError("cannot compress \(os.name): out of memory") }
        // A section compression would not shrink stays as it is (as GNU ld does): readers
        // take either form.
        if 24 + UInt64(n) >= os.size { continue }
        let c = CompressedContents(format: format, uncompressedSize: os.size, uncompressedAlign: os.align, stream: compressors[t])
        // The header holds 64-bit fields: keep it 8-byte aligned, as GNU ld and lld do.
        os.compressed = c
        os.size = c.size
        os.flags |= SHF.compressed
        os.align = 8
    }
    if let first = ctx.outputSections.first(where: { !$0.isAlloc }) {
        placeNonAllocSections(ctx, from: first.offset)
    }
}
