import Foundation
import Testing

/// Mergeable sections big enough to be merged in shards by all threads: many objects whose
/// string literals (narrow and wide) overlap, linked at 1, 2 and 8 threads. The outputs must
/// be identical and every string must still read back right through its pointer.
@Suite("Merged strings")
struct MergeStringsTests {
    static let files = 8
    static let stringsPerFile = 6000
    static let overlap = 2000          // file f holds strings f*overlap ..< f*overlap + stringsPerFile
    static let wideStringsPerFile = 300

    static func string(_ k: Int) -> String { "merge-\(k)-" + String(repeating: "x", count: k % 37) }
    static func wideString(_ k: Int) -> String { "wide-\(k % 500)" }

    /// The checksum main() prints: FNV-1a over every string each table points to, in table
    /// order, each followed by a separator.
    static func expectedChecksum() -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: some Sequence<UInt8>) {
            for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
            h = (h ^ 0xff) &* 0x0000_0100_0000_01b3
        }
        for f in 0..<files {
            for k in 0..<stringsPerFile { mix(string(f * overlap + k).utf8) }
            for k in 0..<wideStringsPerFile { mix(wideString(f * 100 + k).utf8) }
        }
        return h
    }

    @Test("Thousands of overlapping strings: one output at 1, 2 and 8 threads, every string intact",
          .enabled(if: Weld.shouldRun))
    func overlappingStringsAtAnyThreadCount() async throws {
        let weldDir = try #require(Weld.gccBDir, "\(Weld.missingMessage)")
        let dir = Paths.work + "/merge-strings"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var objects: [String] = []
        for f in 0..<Self.files {
            var src = "#include <wchar.h>\nconst char *const table\(f)[] = {\n"
            for k in 0..<Self.stringsPerFile { src += "  \"\(Self.string(f * Self.overlap + k))\",\n" }
            src += "};\nconst wchar_t *const wide\(f)[] = {\n"
            for k in 0..<Self.wideStringsPerFile { src += "  L\"\(Self.wideString(f * 100 + k))\",\n" }
            src += "};\n"
            let path = "\(dir)/strings\(f).c"
            try src.write(toFile: path, atomically: true, encoding: .utf8)
            let obj = "\(dir)/strings\(f).o"
            let cc = await ProcessRunner.run(["gcc", "-O2", "-c", path, "-o", obj], scratch: dir)
            try #require(cc.termination == .exited(0), "compile failed: \(cc.stderrText)")
            objects.append(obj)
        }
        var main = "#include <stdio.h>\n#include <stdint.h>\n#include <wchar.h>\n"
        for f in 0..<Self.files {
            main += "extern const char *const table\(f)[\(Self.stringsPerFile)];\n"
            main += "extern const wchar_t *const wide\(f)[\(Self.wideStringsPerFile)];\n"
        }
        main += """
            static uint64_t h = 0xcbf29ce484222325ull;
            static void mix(unsigned c) { h = (h ^ c) * 0x100000001b3ull; }
            static void narrow(const char *const *t, int n) {
              for (int i = 0; i < n; i++) { for (const char *p = t[i]; *p; p++) mix((unsigned char)*p); mix(0xff); }
            }
            static void wide(const wchar_t *const *t, int n) {
              for (int i = 0; i < n; i++) { for (const wchar_t *p = t[i]; *p; p++) mix((unsigned)*p); mix(0xff); }
            }
            int main(void) {

            """
        for f in 0..<Self.files {
            main += "  narrow(table\(f), \(Self.stringsPerFile)); wide(wide\(f), \(Self.wideStringsPerFile));\n"
        }
        main += "  printf(\"%llu %s\\n\", (unsigned long long)h, table\(Self.files - 1)[\(Self.stringsPerFile - 1)]);\n  return 0;\n}\n"
        try main.write(toFile: dir + "/main.c", atomically: true, encoding: .utf8)
        let cc = await ProcessRunner.run(["gcc", "-O2", "-c", dir + "/main.c", "-o", dir + "/main.o"], scratch: dir)
        try #require(cc.termination == .exited(0), "compile failed: \(cc.stderrText)")

        var outputs: [Data] = []
        for threads in [1, 2, 8] {
            let out = "\(dir)/merged-t\(threads)"
            let link = await ProcessRunner.run(["gcc", "-B", weldDir, "-o", out, dir + "/main.o"] + objects + ["-Wl,--threads=\(threads)"], scratch: dir)
            try #require(link.termination == .exited(0), "link failed: \(link.commandLine)\n\(link.stderrText)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: out)))
            let run = await ProcessRunner.run([out], scratch: dir)
            #expect(run.termination == .exited(0))
            let last = Self.string((Self.files - 1) * Self.overlap + Self.stringsPerFile - 1)
            #expect(run.stdoutText == "\(Self.expectedChecksum()) \(last)\n", "threads=\(threads)")
        }
        #expect(outputs[0] == outputs[1] && outputs[0] == outputs[2], "outputs differ across thread counts")
        // Duplicates are gone: .rodata holds each distinct string once, and a few small others.
        let narrow = Set((0..<((Self.files - 1) * Self.overlap + Self.stringsPerFile)).map(Self.string))
        let wide = Set((0..<((Self.files - 1) * 100 + Self.wideStringsPerFile)).map(Self.wideString))
        let distinctBytes = narrow.reduce(0) { $0 + $1.utf8.count + 1 } + wide.reduce(0) { $0 + 4 * ($1.utf8.count + 1) }
        let sections = await ProcessRunner.run(["readelf", "-SW", dir + "/merged-t2"], scratch: dir)
        let line = try #require(sections.stdoutText.split(separator: "\n").first { $0.contains(" .rodata ") || $0.contains(" .rodata.str1.1 ") })
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        let nameIndex = try #require(fields.firstIndex { $0 == ".rodata" || $0 == ".rodata.str1.1" })
        let size = try #require(Int(fields[nameIndex + 4], radix: 16))
        // (gcc aligns longer strings to 8, so padding adds a little; the inputs hold 2.4 times as much.)
        #expect(size >= distinctBytes && size < distinctBytes * 5 / 4, "\(line)")
    }
}
