import Testing
import WeldCore
@testable import WeldELF

// mergePieces deduplicates by hash first and checks the bytes after; these tests feed it
// pieces whose hashes lie, and check the layout against the bytes.

/// An object with one `.rodata.str1.1` (SHF_MERGE | SHF_STRINGS) holding `strings`.
private func stringsObject(_ strings: [String], name: String) throws -> InputSection {
    var bytes: [UInt8] = []
    for s in strings { bytes += Array(s.utf8); bytes.append(0) }
    let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
    p.copyBytes(from: bytes)
    var o = MemoryObject()
    o.sections = [.init(name: ".rodata.str1.1", type: SHT.progbits, flags: SHF.alloc | SHF.merge | SHF.strings, align: 1,
                        contents: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[0..<bytes.count]), entsize: 1)]
    let obj = o.build(displayName: name, priority: 0)
    try obj.parse()
    let sec = try #require(obj.sections.compactMap { $0 }.first { $0.name.equals(".rodata.str1.1") })
    splitMergeable(sec)
    return sec
}

/// Merges `members` as one output section; checks that every piece's output offset holds its
/// bytes and that equal strings share an offset and different ones do not. Returns the size.
private func mergeAndCheck(_ members: [InputSection], parallel: Bool) throws -> UInt64 {
    let ctx = Context(options: Options())
    let os = OutputSection(name: ".rodata", type: SHT.progbits, flags: SHF.alloc | SHF.merge | SHF.strings, content: .inputs)
    os.members = members
    let size = mergePieces(ctx, os, from: 0, parallel: parallel)
    let block = try #require(os.mergedBytes)
    #expect(UInt64(block.count) == size && block.offset == 0)
    var offsetOf: [[UInt8]: UInt64] = [:]
    var stringAt: [UInt64: [UInt8]] = [:]
    for m in members {
        let p = try #require(m.pieces)
        for k in p.inOffsets.indices {
            let piece = Array(UnsafeRawBufferPointer(start: m.data + Int(p.inOffsets[k]), count: Int(p.sizes[k])))
            let out = p.outOffsets[k]
            #expect(out + UInt64(piece.count) <= size)
            #expect(Array(UnsafeRawBufferPointer(start: block.bytes + Int(out), count: piece.count)) == piece)
            #expect(offsetOf[piece, default: out] == out, "one string, two places")
            #expect(stringAt[out, default: piece] == piece, "two strings, one place")
            offsetOf[piece] = out
            stringAt[out] = piece
        }
    }
    return size
}

@Suite struct MergePiecesTests {
    /// Enough pieces for many shards; strings of one length repeat across objects.
    static func strings(_ file: Int) -> [String] {
        (0..<6000).map { k in
            let s = "s\((k * 7 + file * 1000) % 10000)"
            return s + String(repeating: "-", count: 8 - s.count)
        }
    }

    @Test func mergesAcrossObjects() throws {
        let members = try (0..<4).map { try stringsObject(Self.strings($0), name: "f\($0).o") }
        let size = try mergeAndCheck(members, parallel: true)
        let distinct = Set((0..<4).flatMap(Self.strings))
        #expect(size == UInt64(distinct.count * 9))
    }

    @Test(arguments: [false, true]) func collidingHashesAreToldApartByBytes(parallel: Bool) throws {
        let members = try (0..<4).map { try stringsObject(Self.strings($0), name: "f\($0).o") }
        // A weak hash, one of 64 values (the sum of the bytes): the first round merges strings
        // that differ, the check finds it, and the second round compares bytes.
        for m in members {
            let p = m.pieces!
            p.hashes = p.hashes.indices.map { k in
                let bytes = UnsafeRawBufferPointer(start: m.data + Int(p.inOffsets[k]), count: Int(p.sizes[k]))
                return UInt64(bytes.reduce(0) { $0 + Int($1) } & 63) << 40 | 0x9e37
            }
        }
        let size = try mergeAndCheck(members, parallel: parallel)
        #expect(size == UInt64(Set((0..<4).flatMap(Self.strings)).count * 9))
    }

    @Test func sameLayoutSerialAndParallel() throws {
        func layout(parallel: Bool) throws -> [[UInt64]] {
            let members = try (0..<4).map { try stringsObject(Self.strings($0), name: "f\($0).o") }
            _ = try mergeAndCheck(members, parallel: parallel)
            return members.map { $0.pieces!.outOffsets }
        }
        #expect(try layout(parallel: false) == layout(parallel: true))
    }
}

@Suite struct PieceLookupTests {
    /// The bucket index finds the same piece as a binary search, at every offset.
    @Test(arguments: [1, 3, 40, 300]) func bucketsAgreeWithBinarySearch(length: Int) throws {
        let strings = (0..<500).map { k in String(repeating: "a", count: 1 + (k * 7919) % length) }
        let sec = try stringsObject(strings, name: "lookup.o")
        let p = try #require(sec.pieces)
        #expect(!p.blockStarts.isEmpty)
        for off in 0...(Int(sec.size) + 70) {
            let expected = p.inOffsets.lastIndex { UInt64($0) <= UInt64(off) }
            #expect(p.pieceIndex(containing: UInt64(off)) == expected, "offset \(off)")
        }
        for k in p.inOffsets.indices { #expect(p.pieceEnd(k) == UInt64(p.inOffsets[k]) + UInt64(p.sizes[k])) }
    }
}
