import WeldCore

/// LC_UUID from the output's own bytes (with the UUID field still zero): the same inputs give
/// the same UUID, whatever the thread count. Chunks of a fixed size are hashed in parallel and
/// the chunk hashes are hashed again, so the split never depends on threads.
func writeUUID(_ base: UnsafeMutableRawPointer, uuidOffset: Int, hashedSize: Int) {
    let chunk = 1 << 20
    let n = max(1, (hashedSize + chunk - 1) / chunk)
    var parts = Parallel.map(n) { i -> (UInt64, UInt64) in
        let lo = i * chunk
        let len = min(chunk, hashedSize - lo)
        let p = UnsafeRawPointer(base + lo)
        return (fastHash(p, len, seed: 0x5745_4c44), fastHash(p, len, seed: 0x4d41_4348))
    }
    let (a, b) = parts.withUnsafeMutableBytes { raw in
        (fastHash(UnsafeRawBufferPointer(raw), seed: 1), fastHash(UnsafeRawBufferPointer(raw), seed: 2))
    }
    var hi = a, lo = b
    // An RFC 4122 version-4 style UUID (Apple's tools accept any 16 bytes; this matches what
    // ld64 and lld produce in form).
    hi = (hi & ~0xf000) | 0x4000
    lo = (lo & ~0xc0) | 0x80
    let p = base + uuidOffset
    withUnsafeBytes(of: hi.bigEndian) { p.copyMemory(from: $0.baseAddress!, byteCount: 8) }
    withUnsafeBytes(of: lo.bigEndian) { (p + 8).copyMemory(from: $0.baseAddress!, byteCount: 8) }
}
