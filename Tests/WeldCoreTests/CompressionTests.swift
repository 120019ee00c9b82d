#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import WeldCore

/// ShardedCompressor's streams decompress (through `decompress`, i.e. zlib's inflate with its
/// adler32 check, and ZSTD_decompress) to the input, whatever the shard size and the order the
/// shards were compressed in; `decompress` reports bad data instead of trapping.
@Suite struct CompressionTests {
    /// Compressible bytes (text-like runs) with some noise, `count` long.
    func sample(_ count: Int) -> [UInt8] {
        let noise = pseudoRandomBytes(count, seed: 7)
        return (0..<count).map { i in i % 97 < 80 ? UInt8(ascii: "a") + UInt8((i / 13) % 26) : noise[i] }
    }

    func compress(_ format: CompressionFormat, _ input: [UInt8], shardSize: Int, reversed: Bool = false) -> [UInt8] {
        input.withUnsafeBytes { raw in
            let c = ShardedCompressor(format, input: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, count: input.count, shardSize: shardSize)
            let order = Array(0..<c.shardCount)
            for i in reversed ? order.reversed() : order { c.compressShard(i) }
            let n = c.finish()!
            var out = [UInt8](repeating: 0, count: n)
            out.withUnsafeMutableBytes { c.write(to: $0.baseAddress!) }
            return out
        }
    }

    func roundTrip(_ format: CompressionFormat, _ stream: [UInt8], size: Int) -> (String?, [UInt8]) {
        var out = [UInt8](repeating: 0, count: size)
        let why = stream.withUnsafeBytes { s in
            out.withUnsafeMutableBytes { d in
                decompress(format, from: s.baseAddress!, count: s.count, into: d.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 1)!, count: size)
            }
        }
        return (why, out)
    }

    @Test(arguments: [CompressionFormat.zlib, .zstd], [0, 1, 999, 1000, 1001, 65_536, 300_001])
    func roundTripsAcrossShards(_ format: CompressionFormat, _ size: Int) {
        let input = sample(size)
        for shard in [1000, 4096, 1 << 20] {
            let stream = compress(format, input, shardSize: shard)
            let (why, out) = roundTrip(format, stream, size: size)
            #expect(why == nil, "\(format) size \(size) shard \(shard): \(why ?? "")")
            #expect(out == input, "\(format) size \(size) shard \(shard): wrong bytes")
            if size > 10_000 { #expect(stream.count < size / 2, "\(format) did not compress") }
        }
    }

    @Test(arguments: [CompressionFormat.zlib, .zstd])
    func shardOrderDoesNotMatter(_ format: CompressionFormat) {
        let input = sample(50_000)
        #expect(compress(format, input, shardSize: 3000) == compress(format, input, shardSize: 3000, reversed: true))
    }

    @Test func zlibStreamHasHeaderAndChecksum() {
        let input = sample(10_000)
        let stream = compress(.zlib, input, shardSize: 1000)
        #expect(stream[0] == 0x78 && (UInt16(stream[0]) << 8 | UInt16(stream[1])) % 31 == 0)
        // The trailer is adler32 of the whole input, big-endian.
        var a: UInt32 = 1, b: UInt32 = 0
        for x in input { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        let adler = b << 16 | a
        let t = stream.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        #expect(t == adler)
    }

    @Test(arguments: [CompressionFormat.zlib, .zstd])
    func badDataIsReported(_ format: CompressionFormat) {
        let input = sample(20_000)
        let stream = compress(format, input, shardSize: 5000)
        // Wrong size in either direction.
        #expect(roundTrip(format, stream, size: 19_999).0 != nil)
        #expect(roundTrip(format, stream, size: 20_001).0 != nil)
        // Truncated.
        #expect(roundTrip(format, Array(stream.prefix(stream.count / 2)), size: 20_000).0 != nil)
        // Garbage in the middle.
        var bad = stream
        for k in 10..<min(60, bad.count) { bad[k] = 0xa5 }
        let (why, out) = roundTrip(format, bad, size: 20_000)
        #expect(why != nil || out != input)
        // Not even a header.
        #expect(roundTrip(format, [1, 2, 3], size: 10).0 != nil)
    }

    /// One decoder across many sections of both formats, with corrupt data in between: every
    /// good section still comes out right (the zlib stream and zstd context are reset).
    @Test func decoderIsReusedAcrossSections() {
        let decoder = Decompressor()
        for round in 0..<6 {
            let format: CompressionFormat = round % 2 == 0 ? .zlib : .zstd
            let input = sample(5000 + round * 777)
            var stream = compress(format, input, shardSize: 2000)
            if round == 3 { for k in 8..<min(40, stream.count) { stream[k] ^= 0x5a } }
            var out = [UInt8](repeating: 0, count: input.count)
            let why = stream.withUnsafeBytes { s in
                out.withUnsafeMutableBytes { d in
                    decoder.decompress(format, from: s.baseAddress!, count: s.count, into: d.baseAddress!, count: input.count)
                }
            }
            if round == 3 { #expect(why != nil || out != input) } else {
                #expect(why == nil, "round \(round): \(why ?? "")")
                #expect(out == input, "round \(round)")
            }
        }
    }
}
