// The long tail of GNU ld / lld options real builds pass, each checked on what it changes:
// --why-extract (lld's format, compared with lld's own output when ld.lld is installed),
// --retain-symbols-file, --default-symver (versions as GNU ld gives them), version scripts
// naming missing symbols (warning; error with --no-undefined-version), --package-metadata,
// `-b binary` inputs (output as with GNU ld; a PIE's PC-relative use of the absolute _size
// symbol is an error, as in GNU ld), --dynamic-list-data, --error-limit, and
// --copy-dt-needed-entries (accepted).
import Foundation
import Testing

private enum Opt {
    /// Writes C sources into `dir` and compiles each to NAME.o (position-independent).
    static func compile(_ sources: [String: String], in dir: String) async throws {
        for (name, text) in sources.sorted(by: { $0.key < $1.key }) {
            try Steps.write(text, to: "\(dir)/\(name).c")
            try await Steps.run("compile \(name).c", [try Steps.gcc(), "-O1", "-fPIC", "-c", "\(dir)/\(name).c", "-o", "\(dir)/\(name).o"], in: dir)
        }
    }

    static func archive(_ name: String, _ members: [String], in dir: String) async throws {
        let ar = try Steps.tool("ar", package: "binutils")
        try await Steps.run("ar \(name)", [ar, "rc", "\(dir)/\(name)"] + members.map { "\(dir)/\($0)" }, in: dir)
    }

    /// gcc linking through weld (or GNU ld, or `reference`: another -fuse-ld linker), run in
    /// `dir` so relative paths stay as written.
    static func link(_ args: [String], weld: Bool = true, reference: String = "bfd", in dir: String) async -> ProcessResult {
        let chooser = weld ? ((try? Steps.gccUsesWeld()) ?? []) : ["-fuse-ld=\(reference)"]
        return await ProcessRunner.run(["/bin/sh", "-c", "cd \(shellQuote([dir])) && exec \(shellQuote([Tools.gcc ?? "gcc"] + chooser + args))"],
                                       timeout: 120, scratch: dir)
    }

    static func readelf(_ args: [String], _ file: String, in dir: String) async throws -> String {
        let readelf = try Steps.tool("readelf", package: "binutils")
        return try await Steps.run("readelf", [readelf] + args + [file], in: dir).stdoutText
    }

    /// Names in `readelf -sW` output of one table (".symtab" or ".dynsym").
    static func symbolNames(_ text: String) -> Set<String> {
        Set(text.split(separator: "\n").compactMap { line -> String? in
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 8, f[0].hasSuffix(":") else { return nil }
            return String(f[7])
        })
    }
}

@Suite("link options")
struct LinkOptionsTests {
    static let enabled = Weld.shouldRun && Tools.gcc != nil

    static let chain = [
        "main": "int a(void);\nint main(void) { return a() - 3; }\n",
        "a": "int b(void);\nint a(void) { return b() + 1; }\n",
        "b": "int b(void) { return 2; }\n",
        "c": "int c_only(void) { return 4; }\n",
    ]

    @Test("--why-extract writes lld's table", .enabled(if: enabled))
    func whyExtract() async throws {
        let dir = Steps.scratch("opt-why-extract")
        try await Opt.compile(Self.chain, in: dir)
        try await Opt.archive("liba.a", ["a.o"], in: dir)
        try await Opt.archive("libb.a", ["b.o", "c.o"], in: dir)
        let r = await Opt.link(["main.o", "libb.a", "liba.a", "-o", "prog", "-Wl,--why-extract=why.txt,-u,c_only"], in: dir)
        #expect(r.termination.isSuccess, Comment(rawValue: Report.step("link", r)))
        let text = String(decoding: try Steps.read(dir + "/why.txt"), as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "reference\textracted\tsymbol")
        let expected: Set<String> = ["main.o\tliba.a(a.o)\ta", "liba.a(a.o)\tlibb.a(b.o)\tb", "<internal>\tlibb.a(c.o)\tc_only"]
        #expect(Set(lines.dropFirst()) == expected, "got:\n\(text)")
        if Tools.which("ld.lld") != nil {
            // lld on the same inputs gives the same rows (its order follows its own processing).
            let lr = await Opt.link(["main.o", "libb.a", "liba.a", "-o", "prog-lld", "-Wl,--why-extract=why-lld.txt,-u,c_only"], weld: false, reference: "lld", in: dir)
            #expect(lr.termination.isSuccess, Comment(rawValue: Report.step("link with lld", lr)))
            if lr.termination.isSuccess {
                let theirs = String(decoding: try Steps.read(dir + "/why-lld.txt"), as: UTF8.self).split(separator: "\n").map(String.init)
                #expect(Set(theirs) == Set(lines), "lld wrote:\n\(theirs.joined(separator: "\n"))")
            }
        }
        // An unwritable path is an error naming it.
        let bad = await Opt.link(["main.o", "libb.a", "liba.a", "-o", "prog2", "-Wl,--why-extract=/nonexistent-dir/why.txt"], in: dir)
        #expect(bad.termination == .exited(1))
        weldSpecific("the message") { #expect(bad.stderrText.contains("/nonexistent-dir/why.txt")) }
    }

    @Test("--retain-symbols-file keeps only the listed globals in .symtab", .enabled(if: enabled))
    func retainSymbolsFile() async throws {
        let dir = Steps.scratch("opt-retain")
        try await Opt.compile(["m": """
            static int helper(int x) { return x * 2; }
            int keep_me(int x) { return helper(x) + 1; }
            int drop_me(int x) { return x - 1; }
            int main(void) { return keep_me(1) + drop_me(1) - 3; }
            """], in: dir)
        try Steps.write("keep_me\n  main \n\n", to: dir + "/keep.txt")
        let r = await Opt.link(["m.o", "-o", "prog", "-Wl,--retain-symbols-file=keep.txt"], in: dir)
        #expect(r.termination.isSuccess, Comment(rawValue: Report.step("link", r)))
        let run = await ProcessRunner.run([dir + "/prog"], timeout: 30, scratch: dir)
        #expect(run.termination == .exited(0))
        let names = Opt.symbolNames(try await Opt.readelf(["-sW", "--syms"], dir + "/prog", in: dir))
        #expect(names.contains("keep_me") && names.contains("main"))
        #expect(!names.contains("drop_me"), "drop_me is not listed but stayed in .symtab")
        #expect(!names.contains("helper"), "local symbols should go")
        // Without the option all of them are there (the check above can fail).
        _ = await Opt.link(["m.o", "-o", "prog-all"], in: dir)
        let all = Opt.symbolNames(try await Opt.readelf(["-sW", "--syms"], dir + "/prog-all", in: dir))
        #expect(all.contains("drop_me") && all.contains("keep_me"))
    }

    @Test("--default-symver versions a library's exports with its soname, as GNU ld does", .enabled(if: enabled))
    func defaultSymver() async throws {
        let dir = Steps.scratch("opt-default-symver")
        try await Opt.compile(["lib": "int lib_func(void) { return 1; }\nint lib_data = 5;\n",
                               "use": "int lib_func(void);\nextern int lib_data;\nint main(void) { return lib_func() + lib_data - 6; }\n"], in: dir)
        for (weld, name) in [(true, "libw.so"), (false, "libg.so")] {
            let r = await Opt.link(["-shared", "lib.o", "-o", name, "-Wl,-soname,libds.so.1,--default-symver"], weld: weld, in: dir)
            #expect(r.termination.isSuccess, Comment(rawValue: Report.step("link \(name)", r)))
        }
        let ours = Opt.symbolNames(try await Opt.readelf(["--dyn-syms", "-W"], dir + "/libw.so", in: dir)).filter { $0.hasPrefix("lib_") }
        let theirs = Opt.symbolNames(try await Opt.readelf(["--dyn-syms", "-W"], dir + "/libg.so", in: dir)).filter { $0.hasPrefix("lib_") }
        #expect(ours == ["lib_func@@libds.so.1", "lib_data@@libds.so.1"])
        #expect(ours == theirs)
        // A program linked against it records the version it needs, and runs.
        try await Steps.run("copy", ["/bin/cp", dir + "/libw.so", dir + "/libds.so.1"], in: dir)
        let exe = await Opt.link(["use.o", "libds.so.1", "-o", "use", "-Wl,-rpath,\(dir)"], in: dir)
        #expect(exe.termination.isSuccess, Comment(rawValue: Report.step("link use", exe)))
        #expect(try await Opt.readelf(["-V"], dir + "/use", in: dir).contains("Name: libds.so.1"))
        let run = await ProcessRunner.run([dir + "/use"], timeout: 30, scratch: dir)
        #expect(run.termination == .exited(0), Comment(rawValue: Report.step("run", run)))
    }

    @Test("a version script naming a missing symbol warns; --no-undefined-version makes it an error", .enabled(if: enabled))
    func undefinedVersion() async throws {
        let dir = Steps.scratch("opt-undefined-version")
        try await Opt.compile(["lib": "int lib_func(void) { return 1; }\n"], in: dir)
        try Steps.write("V1 { global: lib_func; no_such_symbol; wild_*; local: *; };\n", to: dir + "/v.map")
        let warn = await Opt.link(["-shared", "lib.o", "-o", "lib.so", "-Wl,--version-script=v.map"], in: dir)
        #expect(warn.termination.isSuccess, Comment(rawValue: Report.step("link", warn)))
        let message = "version script assignment of 'V1' to symbol 'no_such_symbol' failed: symbol not defined"
        weldSpecific("the warning") {
            #expect(warn.stderrText.contains("warning: " + message), Comment(rawValue: Report.step("no warning", warn)))
            #expect(!warn.stderrText.contains("lib_func") && !warn.stderrText.contains("wild_"))
        }
        let err = await Opt.link(["-shared", "lib.o", "-o", "lib2.so", "-Wl,--version-script=v.map,--no-undefined-version"], in: dir)
        #expect(err.termination == .exited(1), Comment(rawValue: Report.step("link should fail", err)))
        weldSpecific("the error") { #expect(err.stderrText.contains("error: " + message)) }
        #expect(!FileManager.default.fileExists(atPath: dir + "/lib2.so"))
    }

    @Test("--package-metadata writes a .note.package FDO note with a PT_NOTE", .enabled(if: enabled))
    func packageMetadata() async throws {
        let dir = Steps.scratch("opt-package-metadata")
        try await Opt.compile(["m": "int main(void) { return 0; }\n"], in: dir)
        let json = #"{"type":"deb","name":"weld-test","version":"1.0"}"#
        let r = await Opt.link(["m.o", "-o", "prog", "-Xlinker", "--package-metadata=" + json], in: dir)
        #expect(r.termination.isSuccess, Comment(rawValue: Report.step("link", r)))
        let notes = try await Opt.readelf(["-nW"], dir + "/prog", in: dir)
        #expect(notes.contains(".note.package") && notes.contains("FDO") && notes.contains(json), "readelf -n:\n\(notes)")
        // Percent-encoded (as GNU ld 2.43+ and mold take it), so it survives -Wl's comma splitting.
        let encoded = "%7B%22type%22:%22deb%22%2C%22name%22:%22weld-test%22%2C%22version%22:%221.0%22%7D"
        let r2 = await Opt.link(["m.o", "-o", "prog2", "-Wl,--package-metadata=" + encoded], in: dir)
        #expect(r2.termination.isSuccess, Comment(rawValue: Report.step("link", r2)))
        let notes2 = try await Opt.readelf(["-nW"], dir + "/prog2", in: dir)
        weldSpecific("percent-decoding") { #expect(notes2.contains(json), "readelf -n:\n\(notes2)") }
        let sections = try await Opt.readelf(["-SW"], dir + "/prog", in: dir)
        let segments = try await Opt.readelf(["-lW"], dir + "/prog", in: dir)
        // A PT_NOTE segment covers the section (GNU ld merges adjacent notes into one).
        let line = try #require(sections.split(separator: "\n").first { $0.contains(".note.package") })
        let f = line.split(separator: "]").last!.split(separator: " ", omittingEmptySubsequences: true)
        let offset = try #require(Int(f[3], radix: 16)), size = try #require(Int(f[4], radix: 16))
        let covered = segments.split(separator: "\n").contains { seg in
            let g = seg.split(separator: " ", omittingEmptySubsequences: true)
            guard g.count >= 5, g[0] == "NOTE", let o = Int(g[1].dropFirst(2), radix: 16), let n = Int(g[4].dropFirst(2), radix: 16) else { return false }
            return o <= offset && offset + size <= o + n
        }
        #expect(covered, "no PT_NOTE covers .note.package (offset \(offset), size \(size))")
    }

    @Test("-b binary inputs get _binary_*_start/_end/_size like GNU ld's", .enabled(if: enabled))
    func binaryInput() async throws {
        let dir = Steps.scratch("opt-binary")
        try Steps.write("payload bytes\nsecond line\n", to: dir + "/blob.txt")
        try await Opt.compile(["use": """
            #include <stdio.h>
            extern const char _binary_blob_txt_start[], _binary_blob_txt_end[], _binary_blob_txt_size[];
            int main(void) {
                long n = _binary_blob_txt_end - _binary_blob_txt_start;
                printf("%ld %lu [%.*s]\\n", n, (unsigned long)_binary_blob_txt_size, (int)n, _binary_blob_txt_start);
                return 0;
            }
            """], in: dir)
        var outputs: [String] = []
        for weld in [true, false] {
            let exe = weld ? "ours" : "theirs"
            let r = await Opt.link(["-no-pie", "use.o", "-Wl,-b,binary,blob.txt,-b,default", "-o", exe], weld: weld, in: dir)
            #expect(r.termination.isSuccess, Comment(rawValue: Report.step("link \(exe)", r)))
            let run = await ProcessRunner.run([dir + "/" + exe], timeout: 30, scratch: dir)
            #expect(run.termination == .exited(0))
            outputs.append(run.stdoutText)
        }
        #expect(outputs[0] == "26 26 [payload bytes\nsecond line\n]\n")
        #expect(outputs[0] == outputs[1])
        // In a PIE the PC-relative reference to the absolute _size symbol cannot be resolved:
        // an error naming it (GNU ld refuses it too), not a silently wrong value.
        // (-fPIE code reads the symbol's address PC-relatively; -fPIC code would go through
        // the GOT, which is fine.)
        try await Steps.run("compile -fPIE", [try Steps.gcc(), "-O1", "-fPIE", "-c", dir + "/use.c", "-o", dir + "/use-pie.o"], in: dir)
        for weld in [true, false] {
            let r = await Opt.link(["-pie", "use-pie.o", "-Wl,-b,binary,blob.txt,-b,default", "-o", weld ? "ours-pie" : "theirs-pie"], weld: weld, in: dir)
            #expect(r.termination == .exited(1), Comment(rawValue: Report.step("a PIE reading _size PC-relatively must not link", r)))
            if weld { weldSpecific("the message") { #expect(r.stderrText.contains("absolute symbol _binary_blob_txt_size")) } }
        }
    }

    @Test("--dynamic-list-data exports an executable's data symbols, not its functions", .enabled(if: enabled))
    func dynamicListData() async throws {
        let dir = Steps.scratch("opt-dynamic-list-data")
        try await Opt.compile(["m": "int exported_data = 3;\nint exported_func(void) { return exported_data; }\nint main(void) { return exported_func() - 3; }\n"], in: dir)
        var tables: [Set<String>] = []
        for weld in [true, false] {
            let exe = weld ? "ours" : "theirs"
            let r = await Opt.link(["m.o", "-o", exe, "-Wl,--dynamic-list-data"], weld: weld, in: dir)
            #expect(r.termination.isSuccess, Comment(rawValue: Report.step("link \(exe)", r)))
            tables.append(Opt.symbolNames(try await Opt.readelf(["--dyn-syms", "-W"], dir + "/" + exe, in: dir)).filter { $0.hasPrefix("exported_") })
        }
        #expect(tables[0] == ["exported_data"])
        #expect(tables[0] == tables[1])
        let run = await ProcessRunner.run([dir + "/ours"], timeout: 30, scratch: dir)
        #expect(run.termination == .exited(0))
    }

    @Test("--error-limit caps the errors printed; --copy-dt-needed-entries is accepted", .enabled(if: enabled))
    func errorLimitAndAccepted() async throws {
        let dir = Steps.scratch("opt-error-limit")
        try await Opt.compile(["u": "int u1(void); int u2(void); int u3(void); int u4(void);\nint main(void) { return u1() + u2() + u3() + u4(); }\n",
                               "m": "int main(void) { return 0; }\n"], in: dir)
        let r = await Opt.link(["u.o", "-o", "prog", "-Wl,--error-limit=2"], in: dir)
        #expect(r.termination == .exited(1))
        weldSpecific("the error limit") {
            let errors = r.stderrText.split(separator: "\n").filter { $0.contains("error: undefined symbol") }
            #expect(errors.count == 2, Comment(rawValue: Report.step("expected 2 undefined-symbol errors", r)))
            #expect(r.stderrText.contains("too many errors emitted"))
        }
        let ok = await Opt.link(["m.o", "-o", "prog2", "-Wl,--copy-dt-needed-entries", "-Wl,--no-copy-dt-needed-entries"], in: dir)
        #expect(ok.termination.isSuccess, Comment(rawValue: Report.step("link", ok)))
    }
}
