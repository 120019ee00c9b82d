/// A streaming cryptographic hash: MD5, SHA-1, SHA-256. weld hashes the mapped output in
/// place, so input is always raw memory; `update` may be called any number of times.
/// Generic code over this protocol (the build-id tree hash) is specialized, not dynamic.
public protocol HashFunction {
    /// Digest length in bytes.
    static var digestSize: Int { get }
    init()
    mutating func update(_ data: UnsafeRawBufferPointer)
    /// Writes the `digestSize`-byte digest of everything passed to `update` so far. The hash
    /// itself is not changed.
    func finalize(into out: UnsafeMutableRawPointer)
}

extension HashFunction {
    /// The digest of everything passed to `update` so far.
    public func finalize() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.digestSize) { buf, n in
            finalize(into: UnsafeMutableRawPointer(buf.baseAddress!))
            n = Self.digestSize
        }
    }

    /// The digest of `data`.
    public static func hash(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        var h = Self()
        h.update(data)
        return h.finalize()
    }

    /// The digest of `bytes` (convenience for small inputs and tests).
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0) }
    }
}

/// The 64-byte block framing shared by MD5, SHA-1 and SHA-256 (Merkle–Damgård): whole blocks
/// go to `compress` straight from the caller's memory, several at a time; only a partial block
/// at either end is copied into this inline buffer. No heap allocation.
@usableFromInline
struct BlockBuffer {
    /// 64 bytes, 8-byte aligned.
    var bytes: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    /// Bytes waiting in `bytes` (always < 64 between calls).
    var count = 0
    /// Message length so far, in bytes.
    var total: UInt64 = 0

    init() {}

    /// Feeds `data`; `compress(p, n)` hashes n consecutive 64-byte blocks at p.
    @inline(__always)
    mutating func update(_ data: UnsafeRawBufferPointer, _ compress: (UnsafeRawPointer, Int) -> Void) {
        guard var p = data.baseAddress, data.count > 0 else { return }
        var left = data.count
        total &+= UInt64(left)
        if count > 0 {
            let take = min(64 - count, left)
            let filled = count
            withUnsafeMutableBytes(of: &bytes) { $0.baseAddress!.advanced(by: filled).copyMemory(from: p, byteCount: take) }
            count += take
            p += take
            left -= take
            if count < 64 { return }
            withUnsafeBytes(of: &bytes) { compress($0.baseAddress!, 1) }
            count = 0
        }
        let blocks = left >> 6
        if blocks > 0 {
            compress(p, blocks)
            p += blocks << 6
            left &= 63
        }
        if left > 0 {
            withUnsafeMutableBytes(of: &bytes) { $0.baseAddress!.copyMemory(from: p, byteCount: left) }
            count = left
        }
    }

    /// Pads the message (0x80, zeros, the 64-bit bit length in the given byte order) and
    /// compresses the last one or two blocks.
    @inline(__always)
    mutating func finish(bigEndianLength: Bool, _ compress: (UnsafeRawPointer, Int) -> Void) {
        let bits = total &<< 3
        let count = self.count
        withUnsafeMutableBytes(of: &bytes) { raw in
            let b = raw.baseAddress!
            b.storeBytes(of: 0x80, toByteOffset: count, as: UInt8.self)
            if count + 1 > 56 {
                (b + count + 1).initializeMemory(as: UInt8.self, repeating: 0, count: 64 - count - 1)
                compress(b, 1)
                b.initializeMemory(as: UInt8.self, repeating: 0, count: 56)
            } else {
                (b + count + 1).initializeMemory(as: UInt8.self, repeating: 0, count: 56 - count - 1)
            }
            b.storeBytes(of: bigEndianLength ? bits.bigEndian : bits.littleEndian, toByteOffset: 56, as: UInt64.self)
            compress(b, 1)
        }
    }
}

@inline(__always)
func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &<< n) | (x &>> (32 &- n)) }

@inline(__always)
func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }

@inline(__always)
func loadBE32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
    UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

@inline(__always)
func loadLE32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
    UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}
