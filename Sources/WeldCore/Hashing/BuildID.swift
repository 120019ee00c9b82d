/// What `--build-id` puts in the `.note.gnu.build-id` note (and, for Mach-O, `LC_UUID`).
public enum BuildIDKind: Equatable, Sendable {
    /// `fastHash`, 8 bytes (lld's `fast`).
    case fast
    case md5
    /// GNU ld's default for a bare `--build-id`; `tree` (lld) is the same.
    case sha1
    case sha256
    /// 16 random bytes, a version-4 UUID; the link is not reproducible.
    case uuid
    /// Exactly these bytes (`--build-id=0x...`).
    case hex([UInt8])
    case none

    /// Parses the value of `--build-id[=value]`; nil (no value) means `sha1`, as in GNU ld.
    /// Hex strings may separate digit pairs with '-' or ':', as GNU ld allows.
    public static func parse(_ value: String?) throws(LinkError) -> BuildIDKind {
        guard let value else { return .sha1 }
        switch value {
        case "fast": return .fast
        case "md5": return .md5
        case "sha1", "tree": return .sha1
        case "sha256": return .sha256
        case "uuid": return .uuid
        case "none": return .none
        default: break
        }
        let u = Array(value.utf8)
        guard u.count > 2, u[0] == UInt8(ascii: "0"), u[1] == UInt8(ascii: "x") || u[1] == UInt8(ascii: "X") else {
            throw LinkError("--build-id: unknown style '\(value)' (expected fast, md5, sha1, sha256, tree, uuid, none or 0x<hex>)")
        }
        var bytes: [UInt8] = []
        var high: UInt8? = nil
        for c in u[2...] {
            if (c == UInt8(ascii: "-") || c == UInt8(ascii: ":")) && high == nil { continue }
            guard let v = hexValue(c) else {
                throw LinkError("--build-id: invalid hex string '\(value)'")
            }
            if let h = high { bytes.append(h << 4 | v); high = nil } else { high = v }
        }
        if high != nil || bytes.isEmpty {
            throw LinkError("--build-id: hex string '\(value)' must have an even, non-zero number of digits")
        }
        return .hex(bytes)
    }

    /// Length of the note's descriptor in bytes (0 for `none`).
    public var digestSize: Int {
        switch self {
        case .fast: return 8
        case .md5: return MD5.digestSize
        case .sha1: return SHA1.digestSize
        case .sha256: return SHA256.digestSize
        case .uuid: return 16
        case .hex(let bytes): return bytes.count
        case .none: return 0
        }
    }
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}

/// Chunk size of the tree hash. 1 MiB keeps per-chunk overhead negligible and still gives a
/// big output hundreds of chunks to spread over the threads.
public let buildIDChunkSize = 1 << 20

/// The build id of `data` (the whole output, with the note's descriptor still zero).
///
/// Content hashes are computed as a tree so they run in parallel: `data` is cut into 1 MiB
/// chunks, each chunk gets a 128-bit leaf digest in parallel, and the concatenated leaves are
/// hashed with the named algorithm; the result is truncated to `digestSize`. Chunking does not
/// depend on the thread count, so neither does the id.
///
/// So `sha1` is a 160-bit id whose root is SHA-1, not the SHA-1 of the file, and nothing asks
/// for more: a build id names a build, and tools compare it as opaque bytes. lld's is a SHA-1
/// tree, mold's a truncated SHA-256 tree (BLAKE3 in later versions), GNU ld's the plain hash.
/// The leaves are `fastHashLeaf` (two wyhash chains, ≈ 20 GB/s per core) rather than SHA-1
/// (≈ 1.9 GB/s with SHA-NI): on a 70 MB output that is 36 → ~6 ms of CPU, the largest single
/// item of the link. Leaves are not cryptographic: an id is no integrity check (any id can be
/// written with `--build-id=0x…`), but accidental equal ids need 2^64 builds.
public func computeBuildID(_ kind: BuildIDKind, over data: UnsafeRawBufferPointer) -> [UInt8] {
    let digest: [UInt8]
    switch kind {
    case .none: return []
    case .hex(let bytes): return bytes
    case .uuid: return randomUUID()
    case .md5: digest = treeHash(MD5.self, data)
    case .sha1: digest = treeHash(LibCryptoSHA1.self, data)
    case .sha256: digest = treeHash(LibCryptoSHA256.self, data)
    case .fast: digest = fastTreeHash(data)
    }
    return Array(digest.prefix(kind.digestSize))
}

/// Size of a leaf digest of the build-id tree.
public let buildIDLeafSize = 16

/// The 128-bit leaf digest of one chunk: `fastHash` under two seeds, little-endian.
public func fastHashLeaf(_ chunk: UnsafeRawBufferPointer, into out: UnsafeMutableRawPointer) {
    out.storeBytes(of: fastHash(chunk, seed: 0).littleEndian, toByteOffset: 0, as: UInt64.self)
    out.storeBytes(of: fastHash(chunk, seed: 0x9e37_79b9_7f4a_7c15).littleEndian, toByteOffset: 8, as: UInt64.self)
}

/// Hashes each chunk of `data` with `hashChunk` into its own `size`-byte slot, in parallel,
/// and returns the slots in chunk order.
@inline(__always)
private func chunkDigests(_ data: UnsafeRawBufferPointer, size: Int,
                          _ hashChunk: (UnsafeRawBufferPointer, UnsafeMutableRawPointer) -> Void) -> [UInt8] {
    let chunks = (data.count + buildIDChunkSize - 1) / buildIDChunkSize
    var digests = [UInt8](repeating: 0, count: chunks * size)
    digests.withUnsafeMutableBytes { out in
        let outBase = out.baseAddress
        Parallel.forEach(chunks) { i in
            let lo = i * buildIDChunkSize
            let hi = min(lo + buildIDChunkSize, data.count)
            hashChunk(UnsafeRawBufferPointer(rebasing: data[lo..<hi]), outBase! + i * size)
        }
    }
    return digests
}

func treeHash<H: HashFunction>(_: H.Type, _ data: UnsafeRawBufferPointer) -> [UInt8] {
    let leaves = chunkDigests(data, size: buildIDLeafSize) { chunk, out in fastHashLeaf(chunk, into: out) }
    return leaves.withUnsafeBytes { H.hash($0) }
}

func fastTreeHash(_ data: UnsafeRawBufferPointer) -> [UInt8] {
    let digests = chunkDigests(data, size: 8) { chunk, out in
        out.storeBytes(of: fastHash(chunk).littleEndian, as: UInt64.self)
    }
    let top = digests.withUnsafeBytes { fastHash($0) }
    return withUnsafeBytes(of: top.littleEndian) { Array($0) }
}

/// 16 random bytes (the standard library's system generator reads getrandom(2)) with the
/// RFC 4122 version-4 and variant bits set.
func randomUUID() -> [UInt8] {
    var rng = SystemRandomNumberGenerator()
    var bytes = withUnsafeBytes(of: (rng.next() as UInt64, rng.next() as UInt64)) { Array($0) }
    bytes[6] = (bytes[6] & 0x0F) | 0x40
    bytes[8] = (bytes[8] & 0x3F) | 0x80
    return bytes
}
