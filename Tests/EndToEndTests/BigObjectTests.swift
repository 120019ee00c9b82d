// Big objects: with more than one thread, resolution reads an object with 20,000 symbols and
// sections or more as two work items side by side (its symbols; its sections, groups and
// relocations). Two generated C++ objects of 7,000 COMDAT inline functions each (about 21,000
// sections and 7,000 symbols apiece, the same functions in both) must link to the same bytes
// at 1, 2 and 8 threads, run like the GNU ld link, and a damaged one must give the message
// `parse()` gives, the symbol's before the relocation's, at any thread count.
import Foundation
import Testing

enum BigObjectFixtures {
    struct FixtureError: Error, Sendable, CustomStringConvertible { var description: String }
    static let functionCount = 7000
    static var dir: String { Paths.work + "/big-object" }
    static let memo = Memo<String, Result<[String], FixtureError>>()

    /// `noinline` inline functions are emitted in every object that uses them, each in a COMDAT
    /// group of its own; a table of pointers to them gives .data.rel.ro its relocations.
    static func source(_ side: String) -> String {
        var s = "#include <cstdio>\n"
        for i in 0..<functionCount {
            s += "__attribute__((noinline)) inline int weld_big_\(i)(int x) { return x * \(i % 7 + 2) + \(i); }\n"
        }
        s += "int (*const table_\(side)[])(int) = {\n"
        for i in 0..<functionCount { s += "  weld_big_\(i),\n" }
        s += "};\n"
        s += "long sum_\(side)(int x) { long s = 0; for (auto f : table_\(side)) s += f(x); return s; }\n"
        if side == "a" {
            s += "long sum_b(int);\nint main(int argc, char **) { std::printf(\"%ld %ld\\n\", sum_a(argc), sum_b(argc + 1)); return 0; }\n"
        }
        return s
    }

    /// Compiles big_a.o and big_b.o once.
    static func objects() async throws -> [String] {
        try await memo.value(for: "objects") {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            guard let gxx = Tools.gxx else { return .failure(FixtureError(description: "g++ not found")) }
            var objects: [String] = []
            for side in ["a", "b"] {
                let src = "\(dir)/big_\(side).cpp", obj = "\(dir)/big_\(side).o"
                do { try source(side).write(toFile: src, atomically: true, encoding: .utf8) } catch {
                    return .failure(FixtureError(description: "cannot write \(src): \(error)"))
                }
                let r = await ProcessRunner.run([gxx, "-O1", "-c", src, "-o", obj], timeout: 300, scratch: dir)
                guard r.termination.isSuccess else { return .failure(FixtureError(description: Report.step("compiling \(src) failed", r))) }
                objects.append(obj)
            }
            return .success(objects)
        }.get()
    }

    /// The section headers of an ELF64 file: (type, offset, size, info) each.
    static func sectionHeaders(_ bytes: [UInt8]) -> [(type: UInt32, offset: Int, size: Int, info: UInt32)] {
        func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[o + $1]) << (8 * $1) } }
        func u64(_ o: Int) -> Int { (0..<8).reduce(0) { $0 | Int(bytes[o + $1]) << (8 * $1) } }
        let shoff = u64(40)
        var count = u16(60)
        if count == 0 { count = u64(shoff + 32) }
        return (0..<count).map { i in
            let h = shoff + i * 64
            return (u32(h + 4), u64(h + 24), u64(h + 32), u32(h + 44))
        }
    }
}

@Suite("Big objects read on two threads", .serialized)
struct BigObjectTests {
    static let enabled = Weld.shouldRun && Tools.gxx != nil

    @Test("two objects of 21,000 sections link to the same bytes at 1, 2 and 8 threads and run like GNU ld's link",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func sameBytesAtAnyThreadCount() async throws {
        let objects = try await BigObjectFixtures.objects()
        let headers = BigObjectFixtures.sectionHeaders(Array(try Data(contentsOf: URL(fileURLWithPath: objects[0]))))
        let symbols = headers.filter { $0.type == 2 }.map { $0.size / 24 }.reduce(0, +)
        #expect(headers.count + symbols >= 20_000, "the object is too small to be split: \(headers.count) sections, \(symbols) symbols")

        let dir = BigObjectFixtures.dir
        let ref = dir + "/gnu-ld"
        _ = try await GcFixtures.linkOK(objects, output: ref, reference: true, cxx: true, flags: [])
        let expected = await GcFixtures.run(ref)
        try #require(expected.termination == .exited(0))
        var outputs: [String] = []
        for threads in [1, 2, 8] {
            let out = "\(dir)/weld-t\(threads)"
            _ = try await GcFixtures.linkOK(objects, output: out, cxx: true, flags: ["-Wl,--threads=\(threads)"])
            let r = await GcFixtures.run(out)
            #expect(r.termination == .exited(0) && r.stdoutText == expected.stdoutText,
                    Comment(rawValue: Report.step("running the program linked at \(threads) threads", r)))
            outputs.append(out)
        }
        for out in outputs.dropFirst() {
            #expect(FileManager.default.contentsEqual(atPath: outputs[0], andPath: out), "\(out) differs from \(outputs[0])")
        }
    }

    @Test("a damaged big object gives parse()'s message at any thread count: the symbol's, then the relocation's",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func damagedBigObject() async throws {
        guard let weld = Weld.path else { return }
        let objects = try await BigObjectFixtures.objects()
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: objects[0])))
        let headers = BigObjectFixtures.sectionHeaders(bytes)
        let symtab = try #require(headers.first { $0.type == 2 })
        let rela = try #require(headers.first { $0.type == 4 && $0.size >= 24 })
        // Symbol sh_info + 10 (a global) gets section index 0xfe00 (past the headers, below
        // SHN_LORESERVE); the first relocation an offset far past its section.
        let k = Int(symtab.info) + 10
        bytes[symtab.offset + k * 24 + 6] = 0x00
        bytes[symtab.offset + k * 24 + 7] = 0xfe
        for b in 0..<8 { bytes[rela.offset + b] = b < 5 ? 0xff : 0 }
        let dir = BigObjectFixtures.dir
        let bad = dir + "/damaged.o"
        try Data(bytes).write(to: URL(fileURLWithPath: bad))

        var messages: [String] = []
        for threads in [1, 2, 8] {
            let r = await ProcessRunner.run([weld, "-o", "\(dir)/damaged-out", bad, objects[1], "-e", "main", "--threads=\(threads)"],
                                            timeout: 120, scratch: dir)
            #expect(r.termination == .exited(1), Comment(rawValue: Report.step("linking a damaged object at \(threads) threads", r)))
            messages.append(r.stderrText)
        }
        weldSpecific("the message names the symbol, at every thread count") {
            #expect(messages[0].contains("damaged.o: corrupt object file: symbol \(k) (") && messages[0].contains("has section index 65024, out of range"),
                    "\(messages[0])")
            #expect(messages[1] == messages[0] && messages[2] == messages[0], "messages differ across thread counts: \(messages)")
        }

        // With the symbol mended, the relocation is what is wrong.
        bytes[symtab.offset + k * 24 + 7] = 0
        bytes[symtab.offset + k * 24 + 6] = 1
        try Data(bytes).write(to: URL(fileURLWithPath: bad))
        let r = await ProcessRunner.run([weld, "-o", "\(dir)/damaged-out", bad, objects[1], "-e", "main", "--threads=2"], timeout: 120, scratch: dir)
        #expect(r.termination == .exited(1))
        weldSpecific("then the relocation is named") {
            #expect(r.stderrText.contains("damaged.o: corrupt object file: relocation 0 in .rela") && r.stderrText.contains("is outside its section"),
                    "\(r.stderrText)")
        }
    }
}
