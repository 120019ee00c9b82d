#if canImport(Glibc)
import Glibc
#endif
internal import CCompression

/// One buffer compressed in independent shards that can run on any thread, joined into a
/// single valid stream whose bytes depend only on the input (never on the thread count):
///   - zlib: a zlib header, each shard as raw deflate (all but the last end with a sync flush,
///     so the next starts on a byte boundary; the last ends with the final block), and the
///     adler32 of the whole input, combined from the shards' checksums;
///   - zstd: one frame per shard, concatenated (a zstd stream may hold several frames).
/// Use: `init`, `compressShard(i)` for every i in `0..<shardCount` (in parallel), `finish()`,
/// then `size` is known and `write(to:)` copies the stream out.
public final class ShardedCompressor: @unchecked Sendable {
    public let format: CompressionFormat
    public let input: UnsafeRawPointer
    public let inputSize: Int
    public let shardSize: Int
    public let shardCount: Int
    /// Shard i's compressed bytes (malloc'ed), its length and (zlib) its adler32.
    private let outputs: UnsafeMutablePointer<(UnsafeMutableRawPointer?, Int, UInt)>
    public private(set) var size = 0
    private var trailer: UInt32 = 0
    private var failed = false

    /// 1 MiB shards: large enough that a shard boundary costs little ratio, small enough that
    /// a few MiB of debug info already spread over the threads.
    public static let defaultShardSize = 1 << 20
    /// zlib level 1 and zstd level 1: weld favours link time, as lld does by default.
    static let zlibLevel: Int32 = 1
    static let zstdLevel: Int32 = 1

    public init(_ format: CompressionFormat, input: UnsafeRawPointer, count: Int, shardSize: Int = ShardedCompressor.defaultShardSize) {
        self.format = format; self.input = input; self.inputSize = count
        self.shardSize = max(shardSize, 1)
        shardCount = max(1, (count + self.shardSize - 1) / self.shardSize)
        outputs = .allocate(capacity: shardCount)
        outputs.initialize(repeating: (nil, 0, 0), count: shardCount)
    }

    deinit {
        for i in 0..<shardCount { free(outputs[i].0) }
        outputs.deallocate()
    }

    /// Compresses shard `i`. Shards are independent: call from any thread, each index once.
    public func compressShard(_ i: Int) {
        let start = i * shardSize
        let n = min(shardSize, inputSize - start)
        let src = input + start
        switch format {
        case .zlib:
            let cap = weld_deflate_shard_bound(n)
            guard let dst = malloc(cap) else { return }
            let written = weld_deflate_shard(src, n, dst, cap, ShardedCompressor.zlibLevel, i == shardCount - 1 ? 1 : 0)
            outputs[i] = (written > 0 ? dst : nil, written, UInt(weld_adler32(src, n)))
            if written == 0 { free(dst) }
        case .zstd:
            let cap = ZSTD_compressBound(n)
            guard let dst = malloc(cap) else { return }
            let written = ZSTD_compress(dst, cap, src, n, ShardedCompressor.zstdLevel)
            if ZSTD_isError(written) != 0 { free(dst); return }
            outputs[i] = (dst, written, 0)
        }
    }

    /// After every shard: the stream's total size, or nil if a shard failed (out of memory).
    public func finish() -> Int? {
        var total = 0
        var adler: UInt = 1
        for i in 0..<shardCount {
            let (p, n, a) = outputs[i]
            if p == nil { failed = true; return nil }
            total += n
            if format == .zlib {
                let len = min(shardSize, inputSize - i * shardSize)
                adler = i == 0 ? a : UInt(weld_adler32_combine(adler, a, len))
            }
        }
        if format == .zlib { total += 2 + 4; trailer = UInt32(truncatingIfNeeded: adler) }
        size = total
        return total
    }

    /// Copies the finished stream (`size` bytes) to `dst`.
    public func write(to dst: UnsafeMutableRawPointer) {
        var off = 0
        if format == .zlib {
            // CMF 0x78: deflate with a 32 KiB window; FLG 0x01: fastest level, check bits
            // making 0x7801 a multiple of 31.
            dst.storeBytes(of: 0x78, toByteOffset: 0, as: UInt8.self)
            dst.storeBytes(of: 0x01, toByteOffset: 1, as: UInt8.self)
            off = 2
        }
        for i in 0..<shardCount {
            let (p, n, _) = outputs[i]
            (dst + off).copyMemory(from: p!, byteCount: n)
            off += n
        }
        if format == .zlib {
            (dst + off).storeBytes(of: trailer.bigEndian, as: UInt32.self)
        }
    }
}
