import Testing
import WeldCore
@testable import WeldMachO

private func decode(_ bytes: [UInt8]) throws(LinkError) -> [(name: String, entry: ExportTrieEntry)] {
    let r: Result<[(name: String, entry: ExportTrieEntry)], LinkError> = bytes.withUnsafeBytes { raw in
        do throws(LinkError) { return .success(try ExportTrieReader.entries(raw, path: "trie")) } catch { return .failure(error) }
    }
    return try r.get()
}

private func sortedByName(_ e: [(name: String, entry: ExportTrieEntry)]) -> [String] {
    e.map { "\($0.name) \($0.entry.flags) \($0.entry.address) \($0.entry.other) \($0.entry.importName ?? "-")" }.sorted()
}

@Suite struct ExportTrieTests {
    @Test func roundTripAllEntryForms() throws {
        var b = ExportTrieBuilder()
        let input: [(String, ExportTrieEntry)] = [
            ("_main", .regular(0x3F50)),
            ("_mainly", .regular(0x4000, weak: true)),
            ("_ma", .regular(0x10)),
            ("_tlv", .regular(0x8000, threadLocal: true)),
            ("_abs", ExportTrieEntry(flags: ExportTrieFormat.kindAbsolute, address: 0xDEAD_BEEF_0000)),
            ("_re", .reexport(ordinal: 2)),
            ("_renamed", .reexport(ordinal: 300, importName: "_original")),
            ("_resolved", ExportTrieEntry(flags: ExportTrieFormat.stubAndResolver, address: 0x100, other: 0x200)),
            ("__mh_execute_header", .regular(0)),
            ("", .regular(7)),
        ]
        for (name, entry) in input.reversed() { b.add(name, entry) }
        let bytes = try b.build()
        let decoded = try decode(bytes)
        #expect(sortedByName(decoded) == sortedByName(input.map { (name: $0.0, entry: $0.1) }))
        // Depth-first in label order, so names come out sorted.
        #expect(decoded.map(\.name) == input.map(\.0).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        // Insertion order does not matter.
        var c = ExportTrieBuilder()
        for (name, entry) in input { c.add(name, entry) }
        #expect(try c.build() == bytes)
    }

    @Test func emptyTrieIsOneEmptyRoot() throws {
        #expect(try ExportTrieBuilder().build() == [0, 0])
        #expect(try decode([0, 0]).isEmpty)
    }

    @Test func nameWithNULIsAnError() {
        var b = ExportTrieBuilder()
        b.add("_a\0b", .regular(1))
        #expect(throws: LinkError.self) { try b.build() }
    }

    @Test func duplicateNameIsAnError() {
        var b = ExportTrieBuilder()
        b.add("_x", .regular(1))
        b.add("_x", .regular(2))
        #expect(throws: LinkError.self) { try b.build() }
    }

    /// Offsets above 127 need two-byte ULEBs; the fixed point must still be exact.
    @Test func largeTrieOffsetsAreConsistent() throws {
        var b = ExportTrieBuilder()
        var expected: [String] = []
        for i in 0..<5000 {
            let name = "_sym_\(i * 7919 % 10007)_\(String(repeating: "x", count: i % 13))"
            b.add(name, .regular(UInt64(i) * 16))
            expected.append("\(name) 0 \(i * 16) 0 -")
        }
        let bytes = try b.build()
        #expect(sortedByName(try decode(bytes)) == expected.sorted())
    }

    @Test(arguments: [
        ([UInt8]([5]), "terminal size 5 past the end"),
        ([0, 1, 0x5F, 0, 0x80], "bad child offset"),          // unterminated ULEB
        ([0, 1, 0x5F, 0, 0x10], "bad child offset"),          // child beyond the trie
        ([0, 1, 0x5F, 0, 0x00], "node reached twice"),        // cycle to the root
        ([0, 1, 0x5F, 0x5F], "unterminated edge label"),
        ([0, 2, 0x61, 0, 8, 0x62, 0, 8, 0, 0], "node reached twice"),  // shared child
        ([0], "missing child count"),
        ([3, 0x08, 0x01, 0x61, 0], "unterminated re-export name"),
    ])
    func malformedTriesAreErrors(bytes: [UInt8], expected: String) {
        do {
            _ = try decode(bytes)
            Issue.record("accepted malformed trie \(bytes)")
        } catch {
            #expect(error.message.hasPrefix("trie: malformed export trie: "))
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    /// The same symbol set as an ld64.lld dylib: weld's trie decodes to the same entries
    /// and is no larger.
    @Test(.enabled(if: MachOFixtures.available)) func sameEntriesAsLLD() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        var source = "__attribute__((weak)) int weak_fn(void) { return 1; }\n_Thread_local int tls_var = 3;\n"
        for i in 0..<300 {
            source += "int fn_\(i % 17)_\(i)(void) { return \(i); }\nint data_\(i)_value = \(i);\n"
        }
        source += "int a(void) { return 0; }\nint ab(void) { return 0; }\nint abc(void) { return 0; }\n"
        let obj = try #require(MachOFixtures.compile(source, name: "exports.c", in: dir))
        let out = "\(dir)/libexports.dylib"
        #expect(MachOFixtures.link([obj], output: out, extra: "-dylib -install_name @rpath/libexports.dylib"))
        let image = MachOFixtures.Image(MachOFixtures.read(out))
        let lldTrie = try #require(image.data(MachOFixtures.LC_DYLD_EXPORTS_TRIE))
        let lldEntries = try decode(lldTrie)
        #expect(lldEntries.count == 2 + 600 + 3)
        #expect(lldEntries.contains { $0.name == "_weak_fn" && $0.entry.flags == ExportTrieFormat.weakDefinition })
        #expect(lldEntries.contains { $0.name == "_tls_var" && $0.entry.flags == ExportTrieFormat.kindThreadLocal })

        // machoparse.py, an independent reader, agrees with ExportTrieReader on lld's trie.
        let py = MachOFixtures.run("python3 -c \"import sys; sys.path.insert(0,'\(MachOFixtures.shared)'); import machoparse as M; m=M.load('\(out)'); [print(n, f, v) for n,(f,v,x) in sorted(m.exports().items())]\"")
        #expect(py.status == 0)
        #expect(py.output.split(separator: "\n").map(String.init) == lldEntries.map { "\($0.name) \($0.entry.flags) \($0.entry.address)" }.sorted())

        var b = ExportTrieBuilder()
        for (name, entry) in lldEntries.reversed() { b.add(name, entry) }
        let mine = try b.build()
        #expect(sortedByName(try decode(mine)) == sortedByName(lldEntries))
        // lld pads its payload to 8 bytes; padded the same way, the sizes match (both are
        // minimal radix trees; only the order of siblings differs, lld's follows its sort).
        #expect((mine.count + 7) & ~7 == lldTrie.count)
        print("export trie: weld \(mine.count) bytes, lld \(lldTrie.count) bytes, equal prefix: \(mine == Array(lldTrie.prefix(mine.count)))")
    }
}
