// Debug information through weld (Tests/Fixtures/debug/locals.c):
//   - compressed inputs: the same object with its debug sections compressed by objcopy (zlib
//     and zstd SHF_COMPRESSED, legacy .zdebug) links to exactly the bytes the uncompressed
//     object gives; an object compiled with `gcc -gz=zlib` links, runs, has the line table
//     GNU ld's link has and passes `llvm-dwarfdump --verify`; gdb stops on a source line of a
//     weld-linked program and prints a local; corrupt compressed data is a clear error.
//   - compressed output (--compress-debug-sections=zlib|zstd): a program with over 1 MiB of
//     .debug_info and .debug_str (several compression shards) gets SHF_COMPRESSED sections that
//     decompress (readelf -z) to exactly the uncompressed link's sections, the same bytes with
//     1, 2 and 8 threads, and gdb still works on a compressed output.
import Foundation
import Testing

private enum Debug {
    static let source = Paths.fixtures + "/debug/locals.c"
    /// The program's output (see locals.c).
    static let expectedOutput = "hello from a -g program: total 14, length 23\n"

    /// Compiles locals.c with gcc -g -O0 plus `extra` into DIR/NAME.
    static func compile(_ name: String, extra: [String] = [], in dir: String) async throws -> String {
        let obj = dir + "/" + name
        try await Steps.run("compile", [try Steps.gcc(), "-g", "-O0", "-c", source, "-o", obj] + extra, in: dir)
        return obj
    }

    /// Links objects into an executable with gcc, through weld or GNU ld.
    static func link(_ objects: [String], _ out: String, weld: Bool, extra: [String] = [], in dir: String) async throws {
        let chooser = weld ? try Steps.gccUsesWeld() : ["-fuse-ld=bfd"]
        try await Steps.run("link \(out) with \(weld ? "weld" : "GNU ld")", [try Steps.gcc()] + chooser + objects + ["-o", out] + extra, in: dir)
    }

    /// `readelf -SW`: (name, flags, file offset, size) of each section.
    static func sections(_ file: String, in dir: String) async throws -> [(name: String, flags: String, offset: Int, size: Int)] {
        let readelf = try Steps.tool("readelf", package: "binutils")
        let text = try await Steps.run("readelf -SW", [readelf, "-SW", file], in: dir).stdoutText
        return text.split(separator: "\n").compactMap { line in
            guard let close = line.firstIndex(of: "]"), line.contains("[") else { return nil }
            let f = line[line.index(after: close)...].split(separator: " ").map(String.init)
            // name type addr off size es [flags] lk inf al
            guard f.count >= 9, let off = Int(f[3], radix: 16), let size = Int(f[4], radix: 16) else { return nil }
            let flags = f.count >= 10 ? f[6] : ""
            return (f[0], flags, off, size)
        }
    }

    /// `readelf --debug-dump=decodedline`: the (file, line) rows, addresses left out so links
    /// with different layouts compare.
    static func lineRows(_ file: String, in dir: String) async throws -> [String] {
        let readelf = try Steps.tool("readelf", package: "binutils")
        let text = try await Steps.run("readelf --debug-dump=decodedline", [readelf, "--debug-dump=decodedline", file], in: dir).stdoutText
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 3, f[0].hasSuffix(".c"), f[2].hasPrefix("0x") else { return nil }
            return "\(f[0]):\(f[1])"
        }
    }

    /// A C file with thousands of struct types: over 1 MiB each of .debug_info and .debug_str.
    static func bigDebugSource() -> String {
        var text = ""
        for i in 0..<5000 {
            text += "struct s\(i) { " + (0..<16).map { "long field_\(i)_\($0);" }.joined(separator: " ") + " } g\(i);\n"
        }
        return text + "int main(void) { return (int)g7.field_7_3 + 5; }\n"
    }

    /// `readelf -x NAME [-z]`: the section's bytes as readelf dumps them (decompressed with -z).
    static func hexDump(_ file: String, _ section: String, decompress: Bool, in dir: String) async throws -> String {
        let readelf = try Steps.tool("readelf", package: "binutils")
        let r = try await Steps.run("readelf -x \(section)", [readelf, "-x", section] + (decompress ? ["-z"] : []) + [file], in: dir)
        // Drop readelf's notes about decompression; keep the dump rows.
        return r.stdoutText.split(separator: "\n").filter { $0.hasPrefix("  0x") }.joined(separator: "\n")
    }

    static func run(_ exe: String, in dir: String) async throws -> String {
        try await Steps.run("run \(exe)", [exe], in: dir, timeout: 60).stdoutText
    }
}

@Suite("debug information")
struct DebugSectionTests {
    static let enabled = Weld.shouldRun && Tools.gcc != nil

    @Test("compressed debug inputs link to the same bytes as uncompressed ones", .enabled(if: enabled),
          arguments: ["zlib", "zstd", "zlib-gnu"])
    func compressedInputs(_ format: String) async throws {
        let dir = Steps.scratch("debug-input-\(format)")
        let objcopy = try Steps.tool("objcopy", package: "binutils")
        let plain = try await Debug.compile("plain.o", in: dir)
        let packed = dir + "/packed.o"
        try await Steps.run("objcopy", [objcopy, "--compress-debug-sections=\(format)", plain, packed], in: dir)
        // The input really is compressed, in the form asked for.
        let inSections = try await Debug.sections(packed, in: dir)
        if format == "zlib-gnu" {
            #expect(inSections.contains { $0.name == ".zdebug_info" }, "objcopy wrote no .zdebug_info")
        } else {
            #expect(inSections.contains { $0.name == ".debug_info" && $0.flags.contains("C") }, "objcopy left .debug_info uncompressed")
        }
        try await Debug.link([plain], dir + "/plain", weld: true, in: dir)
        try await Debug.link([packed], dir + "/packed", weld: true, in: dir)
        #expect(try await Debug.run(dir + "/packed", in: dir) == Debug.expectedOutput)
        let a = try Steps.read(dir + "/plain"), b = try Steps.read(dir + "/packed")
        #expect(a == b, "linking the \(format)-compressed object gave different bytes than the uncompressed one")
    }

    @Test("gcc -gz=zlib objects: line table like GNU ld's, llvm-dwarfdump --verify passes", .enabled(if: enabled))
    func compiledCompressed() async throws {
        let dir = Steps.scratch("debug-gz")
        let obj = try await Debug.compile("gz.o", extra: ["-gz=zlib"], in: dir)
        #expect(try await Debug.sections(obj, in: dir).contains { $0.name == ".debug_info" && $0.flags.contains("C") })
        try await Debug.link([obj], dir + "/weld.out", weld: true, in: dir)
        try await Debug.link([obj], dir + "/bfd.out", weld: false, in: dir)
        #expect(try await Debug.run(dir + "/weld.out", in: dir) == Debug.expectedOutput)
        let ours = try await Debug.lineRows(dir + "/weld.out", in: dir)
        let theirs = try await Debug.lineRows(dir + "/bfd.out", in: dir)
        #expect(!ours.isEmpty && ours == theirs,
                Comment(rawValue: Report.diff("line table rows", reference: theirs.joined(separator: "\n"), actual: ours.joined(separator: "\n"))))
        let dwarfdump = try Steps.tool("llvm-dwarfdump", package: "llvm")
        let v = await ProcessRunner.run([dwarfdump, "--verify", dir + "/weld.out"], timeout: 120, scratch: dir)
        #expect(v.termination.isSuccess && v.stdoutText.contains("No errors."), Comment(rawValue: Report.step("llvm-dwarfdump --verify", v)))
    }

    @Test("gdb breaks on a source line and prints a local", .enabled(if: enabled),
          arguments: ["none", "zlib", "zstd"])
    func gdbBreakpoint(_ outputCompression: String) async throws {
        let dir = Steps.scratch("debug-gdb-\(outputCompression)")
        let gdb = try Steps.tool("gdb", package: "gdb")
        let obj = try await Debug.compile("gz.o", extra: ["-gz=zlib"], in: dir)
        try await Debug.link([obj], dir + "/prog", weld: true, extra: ["-Wl,--compress-debug-sections=\(outputCompression)"], in: dir)
        let r = try await Steps.run("gdb", [gdb, "-batch", "-nx", "-ex", "break locals.c:8 if x == 3", "-ex", "run",
                                            "-ex", "print squared", "-ex", "info line", dir + "/prog"], in: dir, timeout: 120)
        #expect(r.stdoutText.contains("locals.c:8"), Comment(rawValue: Report.step("gdb did not stop at locals.c:8", r)))
        #expect(r.stdoutText.contains("$1 = 9"), Comment(rawValue: Report.step("gdb did not print squared = 9", r)))
    }

    @Test("corrupt compressed debug data is an error naming the file and section", .enabled(if: enabled),
          arguments: ["zlib", "zstd"])
    func corruptCompressedInput(_ format: String) async throws {
        let dir = Steps.scratch("debug-corrupt-\(format)")
        let objcopy = try Steps.tool("objcopy", package: "binutils")
        let plain = try await Debug.compile("plain.o", in: dir)
        let bad = dir + "/bad.o"
        try await Steps.run("objcopy", [objcopy, "--compress-debug-sections=\(format)", plain, bad], in: dir)
        let info = try #require(try await Debug.sections(bad, in: dir).first { $0.name == ".debug_info" })
        // Overwrite the compressed bytes after the 24-byte Elf64_Chdr (and the stream header).
        var bytes = try Steps.read(bad)
        for k in (info.offset + 24 + 6)..<(info.offset + info.size) { bytes[k] = 0xa5 }
        try bytes.write(to: URL(fileURLWithPath: bad))
        let r = await ProcessRunner.run([try Steps.gcc()] + (try Steps.gccUsesWeld()) + [bad, "-o", dir + "/out"], timeout: 120, scratch: dir)
        #expect(r.termination == .exited(1), Comment(rawValue: Report.step("linking a corrupt object should fail with status 1", r)))
        weldSpecific("the decompression error message") {
            #expect(r.stderrText.contains("bad.o") && r.stderrText.contains(".debug_info") && r.stderrText.contains("decompress"),
                    Comment(rawValue: Report.step("error should name bad.o and .debug_info", r)))
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
    }

    @Test("--compress-debug-sections output decompresses to the uncompressed link, at any thread count",
          .enabled(if: enabled), arguments: ["zlib", "zstd"])
    func compressedOutput(_ format: String) async throws {
        let dir = Steps.scratch("debug-output-\(format)")
        try Steps.write(Debug.bigDebugSource(), to: dir + "/big.c")
        let obj = dir + "/big.o"
        try await Steps.run("compile big.c", [try Steps.gcc(), "-g", "-O0", "-c", dir + "/big.c", "-o", obj], in: dir)
        try await Debug.link([obj], dir + "/plain", weld: true, in: dir)
        try await Debug.link([obj], dir + "/packed1", weld: true, extra: ["-Wl,--compress-debug-sections=\(format),--threads=1"], in: dir)
        try await Debug.link([obj], dir + "/packed2", weld: true, extra: ["-Wl,--compress-debug-sections=\(format),--threads=2"], in: dir)
        try await Debug.link([obj], dir + "/packed8", weld: true, extra: ["-Wl,--compress-debug-sections=\(format),--threads=8"], in: dir)
        #expect(try Steps.read(dir + "/packed1") == Steps.read(dir + "/packed2"), "1 and 2 threads gave different outputs")
        #expect(try Steps.read(dir + "/packed1") == Steps.read(dir + "/packed8"), "1 and 8 threads gave different outputs")
        let run = await ProcessRunner.run([dir + "/packed1"], timeout: 60, scratch: dir)
        #expect(run.termination == .exited(5), Comment(rawValue: Report.step("the program should exit with 5", run)))

        let plain = try await Debug.sections(dir + "/plain", in: dir)
        let packed = try await Debug.sections(dir + "/packed1", in: dir)
        let debugNames = plain.filter { $0.name.hasPrefix(".debug_") }.map(\.name)
        #expect(debugNames.contains(".debug_info") && debugNames.contains(".debug_str"))
        let info = try #require(plain.first { $0.name == ".debug_info" })
        #expect(info.size > 1 << 20, "the test needs more than one compression shard")
        for name in debugNames {
            let p = try #require(packed.first { $0.name == name }, "\(name) missing from the compressed output")
            let u = try #require(plain.first { $0.name == name })
            // Large sections are compressed; a section compression would not shrink stays as it is.
            if u.size > 4096 {
                #expect(p.flags.contains("C") && p.size < u.size / 2, "\(name) is not compressed (flags \(p.flags), \(p.size) vs \(u.size) bytes)")
            } else {
                #expect(p.flags.contains("C") ? p.size < u.size : p.size == u.size, "\(name): \(p.size) bytes with flags \(p.flags) for \(u.size) uncompressed")
            }
            let a = try await Debug.hexDump(dir + "/plain", name, decompress: false, in: dir)
            let b = try await Debug.hexDump(dir + "/packed1", name, decompress: p.flags.contains("C"), in: dir)
            #expect(!a.isEmpty && a == b, "\(name) decompresses to different bytes than the uncompressed link has")
        }
        // Allocated sections are untouched by compression.
        #expect(try await Debug.hexDump(dir + "/plain", ".text", decompress: false, in: dir)
                == Debug.hexDump(dir + "/packed1", ".text", decompress: false, in: dir))
        let elflint = try Steps.tool("eu-elflint", package: "elfutils")
        let lint = await ProcessRunner.run([elflint, "--gnu-ld", dir + "/packed1"], timeout: 300, scratch: dir)
        #expect(lint.termination.isSuccess && lint.stdoutText.contains("No errors"), Comment(rawValue: Report.step("eu-elflint", lint)))
        if format == "zlib" {   // Debian's llvm-dwarfdump 14 cannot read zstd sections
            let dwarfdump = try Steps.tool("llvm-dwarfdump", package: "llvm")
            let v = await ProcessRunner.run([dwarfdump, "--verify", dir + "/packed1"], timeout: 300, scratch: dir)
            #expect(v.termination.isSuccess && v.stdoutText.contains("No errors."), Comment(rawValue: Report.step("llvm-dwarfdump --verify", v)))
        }
    }

    @Test("--compress-debug-sections rejects an unknown format", .enabled(if: enabled))
    func unknownCompression() async throws {
        let dir = Steps.scratch("debug-output-bad")
        let obj = try await Debug.compile("plain.o", in: dir)
        let r = await ProcessRunner.run([try Steps.weld(), "--compress-debug-sections=lzma", obj, "-o", dir + "/out"], timeout: 60, scratch: dir)
        #expect(r.termination == .exited(1))
        weldSpecific("the message") { #expect(r.stderrText.contains("--compress-debug-sections") && r.stderrText.contains("lzma")) }
    }
}
