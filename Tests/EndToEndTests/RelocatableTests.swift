// `-r` (relocatable output): objects merged by weld into one .o, then linked into programs.
//   - C with -g: the merged object passes eu-elflint, and the program linked from it is
//     byte-identical to the one linked from the separate objects (same sections, symbols,
//     relocations and debug info, in the same order), also when -r compressed its debug
//     sections (--compress-debug-sections=zlib|zstd).
//   - C++ with COMDAT groups (cxx_comdat) and exceptions (cxx_exceptions): the merged object
//     keeps one copy of each COMDAT group, as many as GNU ld -r keeps (readelf -g), with the
//     FDEs of dropped copies gone from .eh_frame; programs linked from it by weld, GNU ld and lld
//     print what the program linked from the separate objects prints, and exit the same.
//   - .symver names survive; x86 feature properties are ANDed; the 102 members of Debian's
//     libsqlite3.a merged into one object make a working SQLite with weld and GNU ld; the
//     members of libstdc++.a (thousands of shared COMDAT groups) merged into one object serve
//     C++ programs linked by weld, GNU ld and lld (no .eh_frame complaints).
import Foundation
import Testing

@Suite("relocatable output (-r)")
struct RelocatableTests {
    static let enabled = Weld.shouldRun && Tools.gcc != nil && Tools.gxx != nil

    static func compile(_ sources: [String], cxx: Bool, flags: [String], in dir: String) async throws -> [String] {
        let driver = cxx ? Tools.gxx! : Tools.gcc!
        var objects: [String] = []
        for src in sources {
            let obj = dir + "/" + (src.split(separator: "/").last!.split(separator: ".").first.map(String.init) ?? "x") + ".o"
            try await Steps.run("compile \(src)", [driver] + flags + ["-c", src, "-o", obj], in: dir)
            objects.append(obj)
        }
        return objects
    }

    static func link(_ objects: [String], _ out: String, cxx: Bool, linker: String, in dir: String) async throws {
        let driver = cxx ? Tools.gxx! : Tools.gcc!
        let chooser = linker == "weld" ? try Steps.gccUsesWeld() : ["-fuse-ld=\(linker)"]
        try await Steps.run("link \(out) with \(linker)", [driver] + chooser + objects + ["-o", out], in: dir)
    }

    /// eu-elflint --gnu-ld must find nothing, except messages it also gives on `reference`
    /// (GNU ld's -r output of the same inputs), compared without the section and relocation
    /// numbers. (It rejects the R_X86_64_NONE relocations GNU ld, lld and weld all write for
    /// debug info of dropped COMDAT copies.)
    static func lint(_ file: String, reference: String? = nil, in dir: String) async throws {
        let elflint = try Steps.tool("eu-elflint", package: "elfutils")
        func kinds(_ r: ProcessResult) -> Set<String> {
            Set(ElfLint.messages(r.stdoutText).map { line in
                line.replacingOccurrences(of: #"^section \[\s*\d+\] '[^']*': (relocation \d+: )?"#, with: "", options: .regularExpression)
            })
        }
        let r = await ProcessRunner.run([elflint, "--gnu-ld", file], timeout: 120, scratch: dir)
        if let reference, !r.stdoutText.contains("No errors") {
            let theirs = await ProcessRunner.run([elflint, "--gnu-ld", reference], timeout: 120, scratch: dir)
            let unexpected = kinds(r).subtracting(kinds(theirs))
            #expect(unexpected.isEmpty, Comment(rawValue: Report.step("eu-elflint on the -r output: \(unexpected.sorted())", r)))
            return
        }
        #expect(r.termination.isSuccess && r.stdoutText.contains("No errors"), Comment(rawValue: Report.step("eu-elflint on the -r output", r)))
    }

    @Test("C objects merged with -r link to the same program as the separate objects", .enabled(if: enabled))
    func cObjects() async throws {
        let dir = Steps.scratch("reloc-c")
        let sources = [
            "main": "#include <stdio.h>\nint a(void); extern int counter;\nstatic int local_helper(int x) { return x + counter; }\nint main(void) { printf(\"%d\\n\", local_helper(a())); return a() - 3; }\n",
            "a": "int b(void); int counter = 40;\nint a(void) { return b() + 1; }\n",
            "b": "static const char *names[] = { \"x\", \"y\" };\nconst char *pick(int i) { return names[i & 1]; }\nint b(void) { return pick(1)[0] == 'y' ? 2 : 0; }\n",
        ]
        var paths: [String] = []
        for (name, text) in sources.sorted(by: { $0.key < $1.key }) {
            try Steps.write(text, to: "\(dir)/\(name).c")
            paths.append("\(dir)/\(name).c")
        }
        let objects = try await Self.compile(paths, cxx: false, flags: ["-g", "-O1"], in: dir)
        try await Steps.run("weld -r", [try Steps.weld(), "-r", "-o", dir + "/merged.o"] + objects, in: dir)
        try await Self.lint(dir + "/merged.o", in: dir)
        try await Self.link([dir + "/merged.o"], dir + "/from-merged", cxx: false, linker: "weld", in: dir)
        try await Self.link(objects, dir + "/from-separate", cxx: false, linker: "weld", in: dir)
        #expect(try Steps.read(dir + "/from-merged") == Steps.read(dir + "/from-separate"),
                "the program linked from the -r output differs from the one linked from the objects")
        let run = await ProcessRunner.run([dir + "/from-merged"], timeout: 30, scratch: dir)
        #expect(run.termination == .exited(0) && run.stdoutText == "43\n", Comment(rawValue: Report.step("run", run)))
        // With --compress-debug-sections the merged object's debug sections are compressed
        // (their relocations apply to the uncompressed bytes) and the program is still the same.
        for format in ["zlib", "zstd"] {
            let packed = dir + "/merged-\(format).o"
            try await Steps.run("weld -r --compress-debug-sections=\(format)", [try Steps.weld(), "-r", "--compress-debug-sections=\(format)", "-o", packed] + objects, in: dir)
            let readelf = try Steps.tool("readelf", package: "binutils")
            let sections = try await Steps.run("readelf -SW", [readelf, "-SW", packed], in: dir).stdoutText
            #expect(sections.split(separator: "\n").contains { $0.contains(".debug_info") && !$0.contains(".rela") && $0.contains(" C ") },
                    "\(format): .debug_info is not compressed in the -r output")
            try await Self.lint(packed, in: dir)
            try await Self.link([packed], dir + "/from-\(format)", cxx: false, linker: "weld", in: dir)
            #expect(try Steps.read(dir + "/from-\(format)") == Steps.read(dir + "/from-separate"), "\(format): a different program")
        }
        // GNU ld reads the merged object too.
        try await Self.link([dir + "/merged.o"], dir + "/bfd", cxx: false, linker: "bfd", in: dir)
        let r2 = await ProcessRunner.run([dir + "/bfd"], timeout: 30, scratch: dir)
        #expect(r2.stdoutText == "43\n")
    }

    @Test("C++ with COMDAT groups and exceptions through -r", .enabled(if: enabled),
          arguments: [("cxx_comdat", ["a.cpp", "b.cpp"], ["main.cpp"]), ("cxx_exceptions", ["main.cpp", "thrower.cpp"], [])])
    func cxxObjects(_ program: String, _ merged: [String], _ rest: [String]) async throws {
        let dir = Steps.scratch("reloc-\(program)")
        let src = Paths.programs + "/" + program + "/"
        let mergedObjects = try await Self.compile(merged.map { src + $0 }, cxx: true, flags: ["-O1", "-g"], in: dir)
        let restObjects = try await Self.compile(rest.map { src + $0 }, cxx: true, flags: ["-O1", "-g"], in: dir)
        try await Steps.run("weld -r", [try Steps.weld(), "-r", "-o", dir + "/merged.o"] + mergedObjects, in: dir)
        let readelf = try Steps.tool("readelf", package: "binutils")
        func groupCount(_ file: String) async throws -> Int {
            try await Steps.run("readelf -g", [readelf, "-gW", file], in: dir).stdoutText.components(separatedBy: "COMDAT group section").count - 1
        }
        // A group several inputs have is kept once, as GNU ld -r keeps it.
        var inputGroups = 0
        for o in mergedObjects { inputGroups += try await groupCount(o) }
        #expect(inputGroups > 0 || program != "cxx_comdat")
        try await Steps.run("ld.bfd -r", [try Steps.tool("ld.bfd", package: "binutils"), "-r", "-o", dir + "/bfd-merged.o"] + mergedObjects, in: dir)
        try await Self.lint(dir + "/merged.o", reference: dir + "/bfd-merged.o", in: dir)
        let keptByGNU = try await groupCount(dir + "/bfd-merged.o")
        #expect(try await groupCount(dir + "/merged.o") == keptByGNU)
        #expect(program != "cxx_comdat" || keptByGNU < inputGroups, "the test needs groups that both inputs have")

        // No dropped copy's code survives in the merged object: a program linked from it has
        // as much code as one linked from the separate objects.
        try await Self.link(mergedObjects + restObjects, dir + "/separate-weld", cxx: true, linker: "weld", in: dir)
        try await Self.link([dir + "/merged.o"] + restObjects, dir + "/merged-weld-size", cxx: true, linker: "weld", in: dir)
        func textSize(_ file: String) async throws -> String? {
            let text = try await Steps.run("readelf -SW", [readelf, "-SW", file], in: dir).stdoutText
            return text.split(separator: "\n").first { $0.contains(" .text ") }.map { String($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(5).first ?? "") }
        }
        let separateText = try await textSize(dir + "/separate-weld")
        #expect(separateText != nil)
        #expect(try await textSize(dir + "/merged-weld-size") == separateText, "duplicate COMDAT copies from the -r output were linked in")
        try await Self.link(mergedObjects + restObjects, dir + "/reference", cxx: true, linker: "bfd", in: dir)
        let expected = await ProcessRunner.run([dir + "/reference"], timeout: 30, scratch: dir)
        var linkers = ["weld", "bfd"]
        if Tools.which("ld.lld") != nil { linkers.append("lld") }
        for linker in linkers {
            let exe = dir + "/merged-\(linker)"
            try await Self.link([dir + "/merged.o"] + restObjects, exe, cxx: true, linker: linker, in: dir)
            let r = await ProcessRunner.run([exe], timeout: 30, scratch: dir)
            #expect(r.termination == expected.termination && r.stdoutText == expected.stdoutText,
                    Comment(rawValue: Report.diff("\(linker) link of the -r output", reference: expected.stdoutText, actual: r.stdoutText)))
        }
    }

    @Test("-r keeps the x86 feature property only when every input has it", .enabled(if: enabled))
    func featureProperty() async throws {
        let dir = Steps.scratch("reloc-property")
        try Steps.write("int f(void) { return 1; }\n", to: dir + "/f.c")
        try Steps.write("int g(void) { return 2; }\n", to: dir + "/g.c")
        let cet = try await Self.compile([dir + "/f.c", dir + "/g.c"], cxx: false, flags: ["-O1", "-fcf-protection"], in: dir)
        try await Steps.run("compile plain", [Tools.gcc!, "-O1", "-fcf-protection=none", "-c", dir + "/g.c", "-o", dir + "/plain.o"], in: dir)
        let readelf = try Steps.tool("readelf", package: "binutils")
        try await Steps.run("weld -r", [try Steps.weld(), "-r", "-o", dir + "/both.o"] + cet, in: dir)
        let both = try await Steps.run("readelf -n", [readelf, "-n", dir + "/both.o"], in: dir).stdoutText
        #expect(both.contains("x86 feature: IBT, SHSTK"), "readelf -n:\n\(both)")
        try await Self.lint(dir + "/both.o", in: dir)
        try await Steps.run("weld -r", [try Steps.weld(), "-r", "-o", dir + "/mixed.o", cet[0], dir + "/plain.o"], in: dir)
        let mixed = try await Steps.run("readelf -n", [readelf, "-n", dir + "/mixed.o"], in: dir).stdoutText
        #expect(!mixed.contains("x86 feature"), "an input without the property: the output must not claim it")
    }

    @Test("-r keeps .symver names: a library linked from the output exports the same versions", .enabled(if: enabled))
    func symbolVersions() async throws {
        let dir = Steps.scratch("reloc-symver")
        try Steps.write("""
            int old_impl(void) { return 1; }
            int new_impl(void) { return 2; }
            __asm__(".symver old_impl, api@V1");
            __asm__(".symver new_impl, api@@V2");
            """, to: dir + "/sv.c")
        try Steps.write("V1 { global: api; local: *; };\nV2 { global: api; } V1;\n", to: dir + "/sv.map")
        let objects = try await Self.compile([dir + "/sv.c"], cxx: false, flags: ["-O1", "-fPIC"], in: dir)
        let weld = try Steps.weld()
        try await Steps.run("weld -r", [weld, "-r", "-o", dir + "/merged.o"] + objects, in: dir)
        try await Steps.run("weld -shared (merged)", [weld, "-shared", "-o", dir + "/from-merged.so", dir + "/merged.o", "--version-script", dir + "/sv.map"], in: dir)
        try await Steps.run("weld -shared (object)", [weld, "-shared", "-o", dir + "/from-object.so", objects[0], "--version-script", dir + "/sv.map"], in: dir)
        let readelf = try Steps.tool("readelf", package: "binutils")
        func exported(_ file: String) async throws -> [String] {
            let text = try await Steps.run("readelf --dyn-syms", [readelf, "--dyn-syms", "-W", file], in: dir).stdoutText
            return text.split(separator: "\n").compactMap { line in
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                return f.count >= 8 && f[7].hasPrefix("api") ? String(f[7]) : nil
            }.sorted()
        }
        let merged = try await exported(dir + "/from-merged.so")
        #expect(merged == ["api@@V2", "api@V1"])
        #expect(try await merged == exported(dir + "/from-object.so"))
    }

    @Test("Debian's libsqlite3.a members merged with -r make a working SQLite", .enabled(if: enabled && FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/libsqlite3.a")))
    func sqliteMembers() async throws {
        let dir = Steps.scratch("reloc-sqlite")
        let members = dir + "/members"
        try FileManager.default.createDirectory(atPath: members, withIntermediateDirectories: true)
        let ar = try Steps.tool("ar", package: "binutils")
        try await Steps.run("ar x", ["/bin/sh", "-c", "cd \(shellQuote([members])) && exec \(shellQuote([ar, "x", "/usr/lib/x86_64-linux-gnu/libsqlite3.a"]))"], in: dir)
        let objects = try FileManager.default.contentsOfDirectory(atPath: members).filter { $0.hasSuffix(".o") }.sorted().map { members + "/" + $0 }
        #expect(objects.count > 50)
        try await Steps.run("weld -r", [try Steps.weld(), "-r", "-o", dir + "/sqlite-all.o"] + objects, in: dir)
        try await Self.lint(dir + "/sqlite-all.o", in: dir)
        try Steps.write("""
            #include <sqlite3.h>
            #include <stdio.h>
            static int row(void *u, int n, char **v, char **c) { (void)u; (void)c; for (int i = 0; i < n; i++) printf("%s ", v[i]); printf("\\n"); return 0; }
            int main(void) {
                sqlite3 *db; char *err = 0;
                if (sqlite3_open(":memory:", &db)) return 1;
                if (sqlite3_exec(db, "create table t(a,b); insert into t values(1,'x'),(2,'y'); select sum(a), group_concat(b) from t; select json_object('k', 3);", row, 0, &err)) { printf("%s\\n", err); return 2; }
                return sqlite3_close(db);
            }
            """, to: dir + "/use.c")
        let use = try await Self.compile([dir + "/use.c"], cxx: false, flags: ["-O1"], in: dir)
        for linker in ["weld", "bfd"] {
            let exe = dir + "/sqlite-\(linker)"
            try await Steps.run("link with \(linker)", [Tools.gcc!] + (linker == "weld" ? try Steps.gccUsesWeld() : ["-fuse-ld=bfd"]) + use + [dir + "/sqlite-all.o", "-o", exe, "-lm", "-lpthread", "-ldl"], in: dir)
            let r = await ProcessRunner.run([exe], timeout: 60, scratch: dir)
            #expect(r.termination == .exited(0) && r.stdoutText == "3 x,y \n{\"k\":3} \n", Comment(rawValue: Report.step("sqlite linked by \(linker) from the -r output", r)))
        }
    }

    @Test("-r keeps SHF_LINK_ORDER sections linked to their text (-fpatchable-function-entry)", .enabled(if: enabled))
    func linkOrder() async throws {
        let dir = Steps.scratch("reloc-link-order")
        try Steps.write("int a(void) { return 1; }\nint a2(void) { return 2; }\n", to: dir + "/a.c")
        try Steps.write("int a(void); int a2(void);\nint main(void) { return a() + a2() - 3; }\n", to: dir + "/main.c")
        let objects = try await Self.compile([dir + "/a.c"], cxx: false, flags: ["-O1", "-ffunction-sections", "-fpatchable-function-entry=2"], in: dir)
        let mainObject = try await Self.compile([dir + "/main.c"], cxx: false, flags: ["-O1"], in: dir)
        try await Steps.run("weld -r", [try Steps.weld(), "-r", "-o", dir + "/merged.o"] + objects, in: dir)
        try await Self.lint(dir + "/merged.o", in: dir)
        let readelf = try Steps.tool("readelf", package: "binutils")
        let text = try await Steps.run("readelf -SW", [readelf, "-SW", dir + "/merged.o"], in: dir).stdoutText
        // [Nr] Name Type Address Off Size ES Flg Lk Inf Al: every link-order section links to a .text section.
        var names: [Int: String] = [:]
        var links: [Int] = []
        for line in text.split(separator: "\n") {
            guard let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]"), let index = Int(line[line.index(after: open)..<close].trimmingCharacters(in: .whitespaces)) else { continue }
            let f = line[line.index(after: close)...].split(separator: " ").map(String.init)
            guard f.count >= 9 else { continue }
            names[index] = f[0]
            if f[0] == "__patchable_function_entries", let link = Int(f[f.count - 3]) { links.append(link) }
        }
        #expect(!links.isEmpty, "no __patchable_function_entries in the -r output")
        for link in links { #expect(names[link]?.hasPrefix(".text") == true, "sh_link \(link) is \(names[link] ?? "nothing"), not a .text section") }
        var linkers = ["weld", "bfd"]
        if Tools.which("ld.lld") != nil { linkers.append("lld") }
        for linker in linkers {
            try await Self.link(mainObject + [dir + "/merged.o"], dir + "/prog-\(linker)", cxx: false, linker: linker, in: dir)
            let r = await ProcessRunner.run([dir + "/prog-\(linker)"], timeout: 30, scratch: dir)
            #expect(r.termination == .exited(0), Comment(rawValue: Report.step("program linked by \(linker)", r)))
        }
    }

    @Test("libstdc++.a's members merged with -r serve C++ programs linked by weld, GNU ld and lld",
          .enabled(if: enabled), arguments: ["iostreams.cpp", "containers.cpp"])
    func libstdcxxMembers(_ program: String) async throws {
        let dir = Steps.scratch("reloc-libstdcxx-\(program)")
        let gxx = Tools.gxx!
        let archive = try await Steps.run("g++ -print-file-name", [gxx, "-print-file-name=libstdc++.a"], in: dir).stdoutText
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(archive.hasPrefix("/"), "libstdc++.a not found (apt-get install libstdc++-12-dev)")
        let members = dir + "/members"
        try FileManager.default.createDirectory(atPath: members, withIntermediateDirectories: true)
        let ar = try Steps.tool("ar", package: "binutils")
        try await Steps.run("ar x", ["/bin/sh", "-c", "cd \(shellQuote([members])) && exec \(shellQuote([ar, "x", archive]))"], in: dir)
        let objects = try FileManager.default.contentsOfDirectory(atPath: members).filter { $0.hasSuffix(".o") }.sorted().map { members + "/" + $0 }
        // Many members share COMDAT groups (template instances): most copies are dropped, and
        // with them their .eh_frame records.
        try await Steps.run("weld -r", [try Steps.weld(), "-r", "-o", dir + "/libstdcxx.o"] + objects, in: dir)
        let use = try await Self.compile([Paths.programs + "/" + program], cxx: true, flags: ["-O1"], in: dir)
        try await Steps.run("reference link", [gxx, "-fuse-ld=bfd"] + use + ["-o", dir + "/reference"], in: dir)
        let expected = await ProcessRunner.run([dir + "/reference"], timeout: 60, scratch: dir)
        var linkers = ["weld", "bfd"]
        if Tools.which("ld.lld") != nil { linkers.append("lld") }
        for linker in linkers {
            let exe = dir + "/with-\(linker)"
            let chooser = linker == "weld" ? try Steps.gccUsesWeld() : ["-fuse-ld=\(linker)"]
            let r = try await Steps.run("link with \(linker)", [Tools.gcc!] + chooser + use + [dir + "/libstdcxx.o", "-o", exe, "-lm"], in: dir)
            #expect(!r.stderrText.contains("eh_frame"), Comment(rawValue: Report.step("\(linker) complained about .eh_frame", r)))
            let run = await ProcessRunner.run([exe], timeout: 60, scratch: dir)
            #expect(run.termination == expected.termination && run.stdoutText == expected.stdoutText,
                    Comment(rawValue: Report.diff("\(program) linked by \(linker) against the -r output", reference: expected.stdoutText, actual: run.stdoutText)))
        }
    }
}
