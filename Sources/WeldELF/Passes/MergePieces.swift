#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// Deduplicates the pieces (strings or fixed-size entries) of `os`'s split members and places
/// the unique ones from `start` on; returns where they end and sets `os.mergedBytes`.
///
/// Pieces are partitioned into shards by bits of their hash; each shard gathers its pieces in
/// command-line order and deduplicates them on its own (first occurrence wins), and the shards
/// are laid out one after another. The shard count depends only on the number of pieces, so the
/// output is the same at any thread count; a small section has one shard and keeps its pieces
/// in first-seen order. Shards also keep each hash table small enough to stay in cache.
func mergePieces(_ ctx: Context, _ os: OutputSection, from start: UInt64, parallel: Bool) -> UInt64 {
    // Views of each member's piece arrays. The arrays are held by the members' SectionPieces
    // and not resized while this runs, so pointers into them stay valid; taking the mutable
    // one here, once per member, also makes `outOffsets` uniquely owned before threads write it.
    var members: [MemberPieceViews] = []
    var firstPiece: [Int] = [0]   // global index of each member's first piece, then the total
    var maxAlignLog2: UInt8 = 0
    for m in os.members {
        guard let p = m.pieces else { continue }
        m.outOffset = 0
        let count = p.inOffsets.count
        guard count > 0, p.sizes.count == count, p.hashes.count == count, p.outOffsets.count == count else { continue }
        let alignLog2 = UInt8(m.align.trailingZeroBitCount)
        maxAlignLog2 = max(maxAlignLog2, alignLog2)
        members.append(MemberPieceViews(
            data: m.data,
            inOffsets: p.inOffsets.withUnsafeBufferPointer { $0.baseAddress! },
            sizes: p.sizes.withUnsafeBufferPointer { $0.baseAddress! },
            hashes: p.hashes.withUnsafeBufferPointer { $0.baseAddress! },
            outOffsets: p.outOffsets.withUnsafeMutableBufferPointer { $0.baseAddress! },
            count: count, alignLog2: alignLog2))
        firstPiece.append(firstPiece[firstPiece.count - 1] + count)
    }
    let total = firstPiece[firstPiece.count - 1]
    if total == 0 { return start }
    if total > Int(Int32.max) {
        ctx.diag.error("\(os.name): too many mergeable pieces to merge (\(total))")
        return start
    }

    let shardBits = mergeShardBits(pieces: total)
    let shardCount = 1 << shardBits
    let shardMask = shardCount - 1
    // Contiguous ranges of pieces in global order; their number only spreads the work.
    let chunkCount = parallel && Parallel.threadCount > 1 ? max(1, min(Parallel.threadCount * 4, total / 16384)) : 1
    let memberViews = members, pieceStarts = firstPiece

    /// Runs `body(member, pieces, global index of the member's first piece)` over the members'
    /// piece ranges that chunk `c` covers, in order.
    @inline(__always)
    func forEachRun(inChunk c: Int, _ body: (MemberPieceViews, Range<Int>, Int) -> Void) {
        let lo = total * c / chunkCount, hi = total * (c + 1) / chunkCount
        if lo >= hi { return }
        // The member that holds piece `lo`: the last whose first piece is <= lo.
        var a = 0, b = memberViews.count
        while b - a > 1 { let mid = (a + b) >> 1; if pieceStarts[mid] <= lo { a = mid } else { b = mid } }
        var mi = a, g = lo
        while g < hi {
            let first = pieceStarts[mi]
            let end = min(memberViews[mi].count, hi - first)
            body(memberViews[mi], (g - first)..<end, first)
            g = first + end
            mi += 1
        }
    }
    // Bits 40... pick the shard; the low bits pick hash table slots.
    @inline(__always) func shardOf(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: hash >> 40) & shardMask }

    // 1. Pieces per (chunk, shard), turned into each chunk's first slot in each shard's list:
    // shard by shard, chunk by chunk, so each shard's list is in global order.
    let firstSlots = UnsafeMutablePointer<Int>.allocate(capacity: chunkCount * shardCount)
    firstSlots.initialize(repeating: 0, count: chunkCount * shardCount)
    defer { firstSlots.deallocate() }
    runChunks(chunkCount) { c in
        let counts = firstSlots + c * shardCount
        forEachRun(inChunk: c) { m, run, _ in
            let mix = alignMix(m.alignLog2)
            for k in run { counts[shardOf(m.hashes[k] ^ mix)] += 1 }
        }
    }
    let shardStart = UnsafeMutablePointer<Int>.allocate(capacity: shardCount + 1)
    defer { shardStart.deallocate() }
    var next = 0
    for s in 0..<shardCount {
        shardStart[s] = next
        for c in 0..<chunkCount {
            let n = firstSlots[c * shardCount + s]
            firstSlots[c * shardCount + s] = next
            next += n
        }
    }
    shardStart[shardCount] = next
    let slots = UnsafeMutablePointer<Int>.allocate(capacity: chunkCount * shardCount)
    defer { slots.deallocate() }

    /// Runs `body(member, piece, member's first global piece, piece hash with its alignment
    /// mixed in, shard, position in the shards' lists)` for chunk `c`'s pieces, in order: the
    /// walk that gathers the shards' lists (step 2) and every walk that later finds a piece's
    /// place in them. Each walk starts with `slots` reset to `firstSlots`, and calls this from
    /// its own `runChunks` closure, so that `body` is inlined into the loop (passed on through
    /// one shared closure, it was an indirect call per piece: cxx-debug's merge +5 ms).
    @inline(__always)
    func forEachPieceInShardLists(chunk c: Int, _ body: (MemberPieceViews, Int, Int, UInt64, Int, Int) -> Void) {
        let next = slots + c * shardCount
        forEachRun(inChunk: c) { m, run, firstPiece in
            let mix = alignMix(m.alignLog2)
            for k in run {
                let h = m.hashes[k] ^ mix
                let s = shardOf(h)
                body(m, k, firstPiece, h, s, next[s])
                next[s] += 1
            }
        }
    }

    // 2. Each shard's pieces, gathered: what deduplication needs, not where the bytes are.
    let entriesMemory = ScratchMemory(byteCount: total * MemoryLayout<MergeEntry>.stride, zeroed: false)
    let entries = entriesMemory.base.bindMemory(to: MergeEntry.self, capacity: total)
    slots.update(from: firstSlots, count: chunkCount * shardCount)
    runChunks(chunkCount) { c in
        forEachPieceInShardLists(chunk: c) { m, k, _, h, _, position in
            (entries + position).initialize(to: MergeEntry(hash: h, size: m.sizes[k], alignLog2: m.alignLog2))
        }
    }

    // 3-5 run once trusting 64-bit hashes (with size and alignment) to tell pieces apart, which
    // reads no piece bytes while deduplicating, then check every piece against the bytes placed
    // for it; pieces that differ under one hash (never seen in practice) make them run again
    // comparing bytes.
    let offsetsMemory = ScratchMemory(byteCount: total * 4, zeroed: false)
    let offsets = offsetsMemory.base.bindMemory(to: UInt32.self, capacity: total)
    let shardSize = UnsafeMutablePointer<UInt64>.allocate(capacity: shardCount)
    defer { shardSize.deallocate() }
    let failed = UnsafeMutablePointer<Bool>.allocate(capacity: max(chunkCount, shardCount))
    defer { failed.deallocate() }
    let isFirstMemory = ScratchMemory(byteCount: total)
    let isFirst = isFirstMemory.base.bindMemory(to: Bool.self, capacity: total)
    // The pointers above are into these: keep them to the end (ARC may end a lifetime at its last use).
    defer { withExtendedLifetime((entriesMemory, offsetsMemory, isFirstMemory)) {} }
    // A section of one shard is small: comparing bytes at once costs less than checking after.
    for compareBytes in shardCount > 1 ? [false, true] : [true] {
        // Where each gathered piece's bytes are, for comparing them.
        var pointersMemory: ScratchMemory? = nil
        var pointers: UnsafeMutablePointer<UnsafeRawPointer>? = nil
        if compareBytes {
            let memory = ScratchMemory(byteCount: total * MemoryLayout<UnsafeRawPointer>.stride, zeroed: false)
            let ptrs = memory.base.bindMemory(to: UnsafeRawPointer.self, capacity: total)
            slots.update(from: firstSlots, count: chunkCount * shardCount)
            runChunks(chunkCount) { c in
                forEachPieceInShardLists(chunk: c) { m, k, _, _, _, position in
                    (ptrs + position).initialize(to: m.data + Int(m.inOffsets[k]))
                }
            }
            pointersMemory = memory
            pointers = ptrs
        }

        // 3. Each shard deduplicated: every piece's offset in its shard.
        failed.initialize(repeating: false, count: max(chunkCount, shardCount))
        func dedupShards(_ shards: Range<Int>) {
            var largest = 0
            for s in shards { largest = max(largest, shardStart[s + 1] - shardStart[s]) }
            var capacity = 16
            while capacity < largest * 2 { capacity <<= 1 }
            // Slots hold 1 + the index in the shard of a first occurrence; 0 is empty.
            let table = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
            defer { table.deallocate() }
            for s in shards {
                let lo = shardStart[s], n = shardStart[s + 1] - lo
                var cap = 16
                while cap < n * 2 { cap <<= 1 }
                table.initialize(repeating: 0, count: cap)
                if let size = dedupShard(entries + lo, n, offsets: offsets + lo, table: table, mask: cap - 1, pointers: pointers.map { $0 + lo }) {
                    shardSize[s] = size
                } else {
                    failed[s] = true
                }
            }
        }
        if parallel { Parallel.forEachChunk(shardCount, dedupShards) } else { dedupShards(0..<shardCount) }
        withExtendedLifetime(pointersMemory) {}
        if (0..<shardCount).contains(where: { failed[$0] }) {
            ctx.diag.error("\(os.name): merged contents too large (a shard over \(maxShardSize) bytes)")
            return start
        }

        // 4. Shards one after another, each starting at the largest piece alignment, in one
        // block (which starts zeroed, for the padding).
        let align = UInt64(1) << maxAlignLog2
        let blockStart = alignUp(start, align)
        let shardBase = UnsafeMutablePointer<UInt64>.allocate(capacity: shardCount)
        defer { shardBase.deallocate() }
        var end: UInt64 = 0
        for s in 0..<shardCount {
            end = alignUp(end, align)
            shardBase[s] = end
            end += shardSize[s]
        }
        let block = MergedBytes(count: Int(end), offset: blockStart)
        let bytes = block.bytes

        // 5. Every piece's output offset, walking the pieces in the order step 2 gathered them;
        // first occurrences copied into the block on the way (and marked, so as not to check them).
        slots.update(from: firstSlots, count: chunkCount * shardCount)
        runChunks(chunkCount) { c in
            forEachPieceInShardLists(chunk: c) { m, k, firstPiece, _, s, position in
                let o = offsets[position]
                let off = shardBase[s] + UInt64(o & ~firstOccurrence)
                if o & firstOccurrence != 0 {
                    (bytes + Int(off)).copyMemory(from: m.data + Int(m.inOffsets[k]), byteCount: Int(m.sizes[k]))
                    isFirst[firstPiece + k] = true
                }
                m.outOffsets[k] = blockStart + off
            }
        }
        if compareBytes {
            os.mergedBytes = block
            return blockStart + end
        }

        // 6. Every other piece checked against the bytes at its offset, once all are in place.
        runChunks(chunkCount) { c in
            var bad = false
            forEachRun(inChunk: c) { m, run, firstPiece in
                for k in run where !isFirst[firstPiece + k] {
                    let off = m.outOffsets[k] &- blockStart, size = Int(m.sizes[k])
                    if off + UInt64(size) > end || memcmp(bytes + Int(off), m.data + Int(m.inOffsets[k]), size) != 0 { bad = true }
                }
            }
            failed[c] = bad
        }
        if !(0..<chunkCount).contains(where: { failed[$0] }) {
            os.mergedBytes = block
            return blockStart + end
        }
    }
    return start   // not reached: the second round compares bytes
}

/// Runs `body(c)` for every chunk, in parallel when there is more than one.
@inline(__always)
private func runChunks(_ count: Int, _ body: (Int) -> Void) {
    if count == 1 { body(0) } else { Parallel.forEach(count, body) }
}

/// Shards for `pieces` pieces: one for a small section (first-seen order, no overhead), up to
/// 64 for big ones, with a few thousand pieces or more in each. More shards would balance
/// threads no better and make the passes over all pieces jump between more places.
func mergeShardBits(pieces: Int) -> Int {
    var bits = 0
    while bits < 6 && pieces >> (bits + 12) != 0 { bits += 1 }
    return bits
}

/// Sections with at least this many pieces are merged with all threads, one at a time.
let bigMergePieces = 1 << 15

/// Mixed into a piece's hash so that equal bytes of different alignment are different pieces.
@inline(__always) private func alignMix(_ alignLog2: UInt8) -> UInt64 { UInt64(alignLog2) &* 0x9e37_79b9_7f4a_7c15 }

/// Marks, in a piece's offset in its shard, the first occurrence of its contents.
private let firstOccurrence: UInt32 = 1 << 31
/// Offsets in a shard keep below the flag bit.
private let maxShardSize: UInt64 = UInt64(firstOccurrence)

/// Deduplicates one shard's `n` pieces with open addressing over their hashes (pieces with one
/// hash, size and alignment are the same; given `pointers` to the pieces, their bytes too). Writes each piece's offset in
/// the shard, flagging first occurrences; returns the shard's size, or nil if it is too large.
@inline(__always)
private func dedupShard(_ entries: UnsafeMutablePointer<MergeEntry>, _ n: Int, offsets: UnsafeMutablePointer<UInt32>,
                        table: UnsafeMutablePointer<UInt32>, mask: Int, pointers: UnsafeMutablePointer<UnsafeRawPointer>?) -> UInt64? {
    var off: UInt64 = 0
    for i in 0..<n {
        let e = entries[i]
        var slot = Int(truncatingIfNeeded: e.hash) & mask
        while true {
            let t = table[slot]
            if t == 0 {
                let a = UInt64(1) << e.alignLog2
                off = (off + a - 1) & ~(a - 1)
                if off + UInt64(e.size) > maxShardSize { return nil }
                table[slot] = UInt32(truncatingIfNeeded: i + 1)
                offsets[i] = UInt32(truncatingIfNeeded: off) | firstOccurrence
                off += UInt64(e.size)
                break
            }
            let r = Int(t) - 1
            let other = entries[r]
            if other.hash == e.hash && other.size == e.size && other.alignLog2 == e.alignLog2 && (pointers == nil || memcmp(pointers![r], pointers![i], Int(e.size)) == 0) {
                offsets[i] = offsets[r] & ~firstOccurrence
                break
            }
            slot = (slot + 1) & mask
        }
    }
    return off
}

/// A piece gathered into its shard's list.
struct MergeEntry {
    var hash: UInt64          // the piece's hash, its alignment mixed in
    var size: UInt32
    var alignLog2: UInt8
}

/// One member's piece arrays as raw pointers, for the hot loops.
struct MemberPieceViews: @unchecked Sendable {
    let data: UnsafeRawPointer
    let inOffsets: UnsafePointer<UInt32>
    let sizes: UnsafePointer<UInt32>
    let hashes: UnsafePointer<UInt64>
    let outOffsets: UnsafeMutablePointer<UInt64>
    let count: Int
    let alignLog2: UInt8
}

/// The bytes of a section's unique merged pieces, laid out as in the output.
public final class MergedBytes: @unchecked Sendable {
    private let memory: ScratchMemory
    public var bytes: UnsafeMutableRawPointer { memory.base }
    public let count: Int
    /// Where the bytes start in the output section.
    public var offset: UInt64

    init(count: Int, offset: UInt64) {
        memory = ScratchMemory(byteCount: count)
        self.count = count
        self.offset = offset
    }
}

/// Memory for big temporary arrays, freed with the object; zeroed unless the caller fills it
/// all anyway. Large blocks are mapped (so zero) and backed by huge pages where the kernel
/// allows: faulting 4 KiB pages in one by one costs more than filling them.
final class ScratchMemory: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    private let mappedBytes: Int   // 0: allocated on the heap

    init(byteCount: Int, zeroed: Bool = true) {
        let n = max(byteCount, 1)
        if n >= 1 << 20, let p = mmap(nil, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED {
            madvise(p, n, 14 /* MADV_HUGEPAGE */)
            base = p
            mappedBytes = n
        } else {
            base = .allocate(byteCount: n, alignment: 16)
            if zeroed { memset(base, 0, n) }
            mappedBytes = 0
        }
    }
    deinit { if mappedBytes > 0 { munmap(base, mappedBytes) } else { base.deallocate() } }
}
