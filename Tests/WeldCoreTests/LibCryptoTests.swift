#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import WeldCore

/// libcrypto's SHA-1/SHA-256 (what the build id uses) against the pure-Swift `SHA1`/`SHA256`
/// (the reference), published vectors, and coreutils.
@Suite struct LibCryptoTests {
    @Test func publishedVectors() {
        let millionA = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(hex(LibCryptoSHA1.hash([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(LibCryptoSHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(LibCryptoSHA1.hash(millionA)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        #expect(hex(LibCryptoSHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(LibCryptoSHA256.hash(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(LibCryptoSHA256.hash(millionA))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every length from 0 to 300 (all padding cases, one to five blocks), one-shot and fed in
    /// uneven pieces, gives the pure-Swift digest; finalize leaves the state unchanged.
    func matchesReference<C: HashFunction, R: HashFunction>(_: C.Type, _: R.Type) {
        let data = pseudoRandomBytes(300, seed: 21)
        let pieces = [1, 63, 64, 65, 127, 128, 3, 55, 56, 57, 200]
        for length in 0...300 {
            let message = Array(data[0..<length])
            let expected = R.hash(message)
            #expect(C.hash(message) == expected, "one-shot, length \(length)")
            var h = C()
            var offset = 0
            var k = length
            message.withUnsafeBytes { raw in
                while offset < length {
                    let n = min(pieces[k % pieces.count], length - offset)
                    h.update(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + n]))
                    offset += n
                    k += 1
                }
            }
            #expect(h.finalize() == expected, "streamed, length \(length)")
            h.update(UnsafeRawBufferPointer(start: nil, count: 0))
            #expect(h.finalize() == expected, "finalize twice, length \(length)")
        }
        // Continuing after finalize continues the same message.
        var h = C()
        data.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[0..<100])) }
        _ = h.finalize()
        data.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[100...])) }
        #expect(h.finalize() == R.hash(data))
    }

    @Test func sha1MatchesSwift() { matchesReference(LibCryptoSHA1.self, SHA1.self) }
    @Test func sha256MatchesSwift() { matchesReference(LibCryptoSHA256.self, SHA256.self) }

    /// Big unaligned buffers straight from memory: libcrypto, pure Swift and coreutils agree.
    @Test func matchesSwiftAndCoreutilsOnBigData() throws {
        let data = pseudoRandomBytes(3 * buildIDChunkSize + 4097, seed: 77)
        let dir = makeTempDir()
        defer { removeTree(dir) }
        let path = dir + "/random.bin"
        writeFile(path, Array(data[3...]))
        let cases: [(String, (UnsafeRawBufferPointer) -> [UInt8], (UnsafeRawBufferPointer) -> [UInt8])] = [
            ("sha1sum", { LibCryptoSHA1.hash($0) }, { SHA1.hash($0) }),
            ("sha256sum", { LibCryptoSHA256.hash($0) }, { SHA256.hash($0) }),
        ]
        for (tool, libcrypto, swift) in cases {
            let output = try #require(runCommand("\(tool) '\(path)'"))
            let expected = String(output.prefix { $0 != " " })
            data.withUnsafeBytes { raw in
                let unaligned = UnsafeRawBufferPointer(rebasing: raw[3...])
                #expect(hex(libcrypto(unaligned)) == expected, "\(tool)")
                #expect(libcrypto(unaligned) == swift(unaligned), "\(tool)")
            }
        }
    }

    /// The build id (libcrypto root, parallel leaves) equals the tree computed serially with the
    /// pure-Swift hashes, at chunk-boundary sizes.
    @Test(arguments: [0, 1, buildIDChunkSize - 1, buildIDChunkSize, buildIDChunkSize + 1, 3 * buildIDChunkSize])
    func buildIDMatchesSwiftTree(_ size: Int) {
        let data = pseudoRandomBytes(size, seed: UInt64(size) &+ 1)
        func tree<H: HashFunction>(_: H.Type) -> [UInt8] { H.hash(BuildIDTests.leaves(data)) }
        data.withUnsafeBytes { raw in
            #expect(computeBuildID(.sha1, over: raw) == tree(SHA1.self))
            #expect(computeBuildID(.sha256, over: raw) == tree(SHA256.self))
        }
    }

    /// The root, by a tool independent of weld's code: `sha1sum`/`sha256sum` of the
    /// concatenated 16-byte leaves (3 chunks: 48 bytes) equals the id.
    @Test func buildIDMatchesCoreutilsRoot() throws {
        let data = pseudoRandomBytes(2 * buildIDChunkSize + 999, seed: 5)
        let dir = makeTempDir()
        defer { removeTree(dir) }
        let leaves = BuildIDTests.leaves(data)
        #expect(leaves.count == 3 * buildIDLeafSize)
        writeFile(dir + "/leaves.bin", leaves)
        for (kind, tool) in [(BuildIDKind.sha1, "sha1sum"), (.sha256, "sha256sum"), (.md5, "md5sum")] {
            let top = try #require(runCommand("\(tool) '\(dir)/leaves.bin'"))
            let id = data.withUnsafeBytes { computeBuildID(kind, over: $0) }
            #expect(hex(id) == String(top.prefix { $0 != " " }), "\(tool)")
        }
    }

    /// weld fills in libcrypto's x86-64 feature vector itself, lazily, instead of letting
    /// libcrypto probe the CPU at every start-up (Sources/CLibCrypto/cpu_features.c): the words
    /// must be the ones OpenSSL computes, which `openssl info -cpusettings` prints as
    /// `OPENSSL_ia32cap=0x<cap1><cap0>:0x<cap3><cap2>`.
    @Test func cpuFeaturesMatchOpenSSL() throws {
        #if arch(x86_64)
        let ours = libcryptoCPUFeatures()
        #expect(ours[0] & (1 << 10) != 0, "initialised bit")
        guard getenv("OPENSSL_ia32cap") == nil,
              let output = runCommand("openssl info -cpusettings 2>/dev/null"),
              let eq = output.firstIndex(of: "=") else { return }   // no openssl(1): nothing to compare
        let fields = output[output.index(after: eq)...].split(separator: ":")
            .map { String($0.filter { !$0.isWhitespace }) }
        try #require(fields.count == 2, "\(output)")
        let words = try fields.map { field -> UInt64 in
            try #require(field.hasPrefix("0x") ? UInt64(field.dropFirst(2), radix: 16) : nil, "\(output)")
        }
        #expect(ours[0] == UInt32(truncatingIfNeeded: words[0]))
        #expect(ours[1] == UInt32(truncatingIfNeeded: words[0] >> 32))
        #expect(ours[2] == UInt32(truncatingIfNeeded: words[1]))
        #expect(ours[3] == UInt32(truncatingIfNeeded: words[1] >> 32))
        #else
        #expect(libcryptoCPUFeatures() == [0, 0, 0, 0])
        #endif
    }

    func parseHex(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: u.count, by: 2) {
            guard let b = UInt8(String(decoding: u[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
        }
        return out
    }
}
