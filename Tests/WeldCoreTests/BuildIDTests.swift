import Testing
@testable import WeldCore

@Suite struct BuildIDTests {
    @Test func parsesStyles() throws {
        #expect(try BuildIDKind.parse(nil) == .sha1)
        #expect(try BuildIDKind.parse("sha1") == .sha1)
        #expect(try BuildIDKind.parse("tree") == .sha1)
        #expect(try BuildIDKind.parse("fast") == .fast)
        #expect(try BuildIDKind.parse("md5") == .md5)
        #expect(try BuildIDKind.parse("sha256") == .sha256)
        #expect(try BuildIDKind.parse("uuid") == .uuid)
        #expect(try BuildIDKind.parse("none") == .none)
        #expect(try BuildIDKind.parse("0x0102aB") == .hex([1, 2, 0xAB]))
        #expect(try BuildIDKind.parse("0XdeAD-be:ef") == .hex([0xDE, 0xAD, 0xBE, 0xEF]))
    }

    @Test(arguments: ["", "sha", "0x", "0x1", "0x12g4", "0x1-2", "12"])
    func rejectsBadStyles(_ value: String) {
        #expect(throws: LinkError.self) { try BuildIDKind.parse(value) }
    }

    @Test func digestSizes() {
        #expect(BuildIDKind.fast.digestSize == 8)
        #expect(BuildIDKind.md5.digestSize == 16)
        #expect(BuildIDKind.sha1.digestSize == 20)
        #expect(BuildIDKind.sha256.digestSize == 32)
        #expect(BuildIDKind.uuid.digestSize == 16)
        #expect(BuildIDKind.hex([1, 2, 3]).digestSize == 3)
        #expect(BuildIDKind.none.digestSize == 0)
        for kind in [BuildIDKind.fast, .md5, .sha1, .sha256, .uuid, .hex([9, 8]), .none] {
            let id = [UInt8](repeating: 1, count: 100).withUnsafeBytes { computeBuildID(kind, over: $0) }
            #expect(id.count == kind.digestSize)
        }
    }

    /// The tree: hash of the concatenated 128-bit leaves of the 1 MiB chunks, computed here
    /// serially from `fastHash` (checked against wyhash's published vectors in FastHashTests).
    static func leaves(_ data: [UInt8]) -> [UInt8] {
        var concatenated: [UInt8] = []
        var offset = 0
        while offset < data.count {
            let end = min(offset + buildIDChunkSize, data.count)
            let chunk = Array(data[offset..<end])
            let a = chunk.withUnsafeBytes { fastHash($0, seed: 0) }
            let b = chunk.withUnsafeBytes { fastHash($0, seed: 0x9e37_79b9_7f4a_7c15) }
            withUnsafeBytes(of: a.littleEndian) { concatenated += $0 }
            withUnsafeBytes(of: b.littleEndian) { concatenated += $0 }
            offset = end
        }
        return concatenated
    }

    func reference<H: HashFunction>(_: H.Type, _ data: [UInt8]) -> [UInt8] { H.hash(Self.leaves(data)) }

    @Test func treeHashDefinition() {
        let small = Array("hello".utf8)
        #expect(small.withUnsafeBytes { computeBuildID(.sha1, over: $0) } == SHA1.hash(Self.leaves(small)))
        #expect(Self.leaves(small).count == 16)
        let empty = [UInt8]().withUnsafeBytes { computeBuildID(.sha1, over: $0) }
        #expect(empty == SHA1.hash([]))
        // Any change in any chunk changes the id.
        var data2 = pseudoRandomBytes(2 * buildIDChunkSize + 12345, seed: 9)
        let before = data2.withUnsafeBytes { computeBuildID(.sha1, over: $0) }
        for position in [0, buildIDChunkSize - 1, buildIDChunkSize, data2.count - 1] {
            data2[position] ^= 0x40
            #expect(data2.withUnsafeBytes { computeBuildID(.sha1, over: $0) } != before, "flipped byte \(position)")
            data2[position] ^= 0x40
        }
        let data = pseudoRandomBytes(2 * buildIDChunkSize + 12345, seed: 9)
        data.withUnsafeBytes { raw in
            #expect(computeBuildID(.sha1, over: raw) == reference(SHA1.self, data))
            #expect(computeBuildID(.md5, over: raw) == reference(MD5.self, data))
            #expect(computeBuildID(.sha256, over: raw) == reference(SHA256.self, data))
        }
    }

    @Test func hexAndNone() {
        let data: [UInt8] = [1, 2, 3]
        #expect(data.withUnsafeBytes { computeBuildID(.hex([0xAA, 0xBB]), over: $0) } == [0xAA, 0xBB])
        #expect(data.withUnsafeBytes { computeBuildID(.none, over: $0) } == [])
    }

    @Test func uuidIsRandomVersion4() {
        let a = [UInt8]().withUnsafeBytes { computeBuildID(.uuid, over: $0) }
        let b = [UInt8]().withUnsafeBytes { computeBuildID(.uuid, over: $0) }
        #expect(a.count == 16)
        #expect(a != b)
        #expect(a[6] >> 4 == 4)
        #expect(a[8] >> 6 == 2)
    }

    @Test func fastIsDeterministicAndSensitive() {
        var data = pseudoRandomBytes(buildIDChunkSize + 100, seed: 5)
        let first = data.withUnsafeBytes { computeBuildID(.fast, over: $0) }
        #expect(first == data.withUnsafeBytes { computeBuildID(.fast, over: $0) })
        data[buildIDChunkSize + 50] ^= 1
        #expect(first != data.withUnsafeBytes { computeBuildID(.fast, over: $0) })
    }
}

extension GlobalStateTests {
    @Test func buildIDDoesNotDependOnThreadCount() {
        let data = pseudoRandomBytes(5 * buildIDChunkSize + 777, seed: 11)
        for kind in [BuildIDKind.fast, .md5, .sha1, .sha256] {
            let one = withThreadCount(1) { data.withUnsafeBytes { computeBuildID(kind, over: $0) } }
            let two = withThreadCount(2) { data.withUnsafeBytes { computeBuildID(kind, over: $0) } }
            let many = withThreadCount(7) { data.withUnsafeBytes { computeBuildID(kind, over: $0) } }
            #expect(one == two, "\(kind)")
            #expect(one == many, "\(kind)")
        }
    }
}
