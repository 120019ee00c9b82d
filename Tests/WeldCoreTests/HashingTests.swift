#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import WeldCore

@Suite struct HashingTests {
    static let millionA = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)

    @Test func sha1Vectors() {
        #expect(hex(SHA1.hash([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(SHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(SHA1.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(hex(SHA1.hash(Self.millionA)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test func md5Vectors() {
        #expect(hex(MD5.hash([])) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(hex(MD5.hash(Array("abc".utf8))) == "900150983cd24fb0d6963f7d28e17f72")
        #expect(hex(MD5.hash(Array("12345678901234567890123456789012345678901234567890123456789012345678901234567890".utf8)))
                == "57edf4a22be3c955ac49da2e2107b67a")
        #expect(hex(MD5.hash(Self.millionA)) == "7707d6ae4e027c70eea2a935c2296f21")
    }

    @Test func sha256Vectors() {
        #expect(hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(SHA256.hash(Self.millionA)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Feeding the data in uneven pieces (partial blocks at both ends, exact blocks, several
    /// blocks at once) gives the one-shot digest, at every padding boundary length.
    func streamingMatchesOneShot<H: HashFunction>(_: H.Type) {
        let data = pseudoRandomBytes(1000, seed: 7)
        let pieces = [1, 63, 64, 65, 127, 128, 3, 55, 56, 57, 200]
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000] {
            let message = Array(data[0..<length])
            let expected = H.hash(message)
            var h = H()
            var offset = 0
            var k = 0
            message.withUnsafeBytes { raw in
                while offset < length {
                    let n = min(pieces[k % pieces.count], length - offset)
                    h.update(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + n]))
                    offset += n
                    k += 1
                }
            }
            #expect(h.finalize() == expected, "length \(length)")
            // finalize does not change the state: more input continues the same message.
            h.update(UnsafeRawBufferPointer(start: nil, count: 0))
            #expect(h.finalize() == expected)
        }
    }

    @Test func streamingSHA1() { streamingMatchesOneShot(SHA1.self) }
    @Test func streamingMD5() { streamingMatchesOneShot(MD5.self) }
    @Test func streamingSHA256() { streamingMatchesOneShot(SHA256.self) }

    /// The system tools agree on a random 3 MB buffer, read at an odd (unaligned) offset.
    @Test func matchesCoreutilsOnRandomData() throws {
        let data = pseudoRandomBytes(3_000_001, seed: 42)
        let dir = makeTempDir()
        defer { removeTree(dir) }
        let path = dir + "/random.bin"
        writeFile(path, Array(data[1...]))
        let tools: [(String, ([UInt8]) -> [UInt8])] = [
            ("sha1sum", { SHA1.hash($0) }), ("md5sum", { MD5.hash($0) }), ("sha256sum", { SHA256.hash($0) }),
        ]
        for (tool, ours) in tools {
            let output = try #require(runCommand("\(tool) '\(path)'"))
            let expected = String(output.prefix { $0 != " " })
            let digest = data.withUnsafeBytes { raw -> [UInt8] in
                ours(Array(UnsafeRawBufferPointer(rebasing: raw[1...])))
            }
            #expect(hex(digest) == expected, "\(tool)")
        }
        // Unaligned input straight from memory, no copy.
        let unaligned = data.withUnsafeBytes { SHA1.hash(UnsafeRawBufferPointer(rebasing: $0[1...])) }
        #expect(unaligned == SHA1.hash(Array(data[1...])))
    }

    /// wyhash's published test vectors (test_vector.cpp), seed = index.
    @Test func fastHashMatchesWyhashVectors() {
        let vectors: [(UInt64, String, UInt64)] = [
            (0, "", 0x0409_638e_e2bd_e459),
            (1, "a", 0xa841_2d09_1b5f_e0a9),
            (2, "abc", 0x32dd_92e4_b291_5153),
            (3, "message digest", 0x8619_1240_89a3_a16b),
            (4, "abcdefghijklmnopqrstuvwxyz", 0x7a43_afb6_1d7f_5f40),
            (5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 0xff42_329b_90e5_0d58),
            (6, "12345678901234567890123456789012345678901234567890123456789012345678901234567890", 0xc39c_ab13_b115_aad3),
        ]
        for (seed, text, expected) in vectors {
            let bytes = Array(text.utf8)
            let h = bytes.withUnsafeBytes { fastHash($0, seed: seed) }
            #expect(h == expected, "\(text)")
        }
    }

    @Test func fastHashSeesEveryByteAtEveryLength() {
        let data = pseudoRandomBytes(300, seed: 3)
        data.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            var seen = Set<UInt64>()
            for length in 0...300 {
                let h = fastHash(base, length)
                seen.insert(h)
                // Flipping any single bit changes the hash (checked on a few positions).
                if length > 0 {
                    var copy = Array(raw[0..<length])
                    for pos in Set([0, length / 2, length - 1]) {
                        copy[pos] ^= 0x10
                        #expect(copy.withUnsafeBytes { fastHash($0) } != h, "length \(length) pos \(pos)")
                        copy[pos] ^= 0x10
                    }
                }
            }
            #expect(seen.count == 301)
        }
        // The value does not depend on alignment.
        let a = data.withUnsafeBytes { fastHash($0.baseAddress! + 1, 40) }
        let b = Array(data[1..<41]).withUnsafeBytes { fastHash($0) }
        #expect(a == b)
    }
}
