/// A fast 64-bit non-cryptographic hash for symbol names (the interned string table) and
/// `--build-id=fast`. The construction is wyhash's (final version 4, public domain): inputs
/// are read as overlapping 32/64-bit loads, never byte by byte, and mixed with 64x64->128-bit
/// multiplies folded by xor. It gives the same values as the reference wyhash with its default
/// secret, which the tests check against its published vectors.
///
/// The short-key path (up to 16 bytes, most symbol names fit in 48) is inlined at the call
/// site; longer keys go to an out-of-line loop.
@inlinable
public func fastHash(_ p: UnsafeRawPointer, _ count: Int, seed: UInt64 = 0) -> UInt64 {
    var seed = seed ^ fastHashMix(seed ^ fastHashSecret0, fastHashSecret1)
    var a: UInt64
    var b: UInt64
    if count <= 16 {
        if count >= 4 {
            // Two overlapping reads from each end cover 4...16 bytes without a loop.
            let q = (count &>> 3) &<< 2
            a = (fastHashRead32(p, 0) &<< 32) | fastHashRead32(p, q)
            b = (fastHashRead32(p, count &- 4) &<< 32) | fastHashRead32(p, count &- 4 &- q)
        } else if count > 0 {
            let bytes = p.assumingMemoryBound(to: UInt8.self)
            a = (UInt64(bytes[0]) &<< 16) | (UInt64(bytes[count &>> 1]) &<< 8) | UInt64(bytes[count &- 1])
            b = 0
        } else {
            a = 0
            b = 0
        }
    } else {
        (a, b, seed) = fastHashLong(p, count, seed)
    }
    a ^= fastHashSecret1
    b ^= seed
    let m = a.multipliedFullWidth(by: b)
    return fastHashMix(m.low ^ fastHashSecret0 ^ UInt64(truncatingIfNeeded: count), m.high ^ fastHashSecret1)
}

/// `fastHash` of a buffer.
@inlinable
public func fastHash(_ data: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
    guard let base = data.baseAddress else { return fastHash(UnsafeRawPointer(bitPattern: 1)!, 0, seed: seed) }
    return fastHash(base, data.count, seed: seed)
}

/// Keys over 16 bytes: three independent lanes over 48-byte stripes (so the multiplies
/// overlap), then 16-byte steps; returns the last 16 bytes as (a, b) and the folded seed.
@usableFromInline
func fastHashLong(_ p: UnsafeRawPointer, _ count: Int, _ seed: UInt64) -> (UInt64, UInt64, UInt64) {
    var seed = seed
    var p = p
    var left = count
    if left > 48 {
        var lane1 = seed, lane2 = seed
        repeat {
            seed = fastHashMix(fastHashRead64(p, 0) ^ fastHashSecret1, fastHashRead64(p, 8) ^ seed)
            lane1 = fastHashMix(fastHashRead64(p, 16) ^ fastHashSecret2, fastHashRead64(p, 24) ^ lane1)
            lane2 = fastHashMix(fastHashRead64(p, 32) ^ fastHashSecret3, fastHashRead64(p, 40) ^ lane2)
            p += 48
            left -= 48
        } while left > 48
        seed ^= lane1 ^ lane2
    }
    while left > 16 {
        seed = fastHashMix(fastHashRead64(p, 0) ^ fastHashSecret1, fastHashRead64(p, 8) ^ seed)
        p += 16
        left -= 16
    }
    // The last 16 bytes of the key, overlapping what was already mixed if need be.
    return (fastHashRead64(p, left &- 16), fastHashRead64(p, left &- 8), seed)
}

/// Multiplies to 128 bits and folds the halves together.
@inlinable @inline(__always)
func fastHashMix(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let m = a.multipliedFullWidth(by: b)
    return m.high ^ m.low
}

@inlinable @inline(__always)
func fastHashRead64(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
    UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
}

@inlinable @inline(__always)
func fastHashRead32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
    UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
}

// wyhash's default secret: odd 64-bit constants with 32 set bits and good avalanche.
// Computed, so they fold into constants at every inlined call site.
@inlinable var fastHashSecret0: UInt64 { 0xa076_1d64_78bd_642f }
@inlinable var fastHashSecret1: UInt64 { 0xe703_7ed1_a0b4_28db }
@inlinable var fastHashSecret2: UInt64 { 0x8ebc_6af0_9c88_c6e3 }
@inlinable var fastHashSecret3: UInt64 { 0x5899_65cc_7537_4cc3 }
