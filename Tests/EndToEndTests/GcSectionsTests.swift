// --gc-sections (issue 5, item 1): programs compiled with -ffunction-sections -fdata-sections
// lose their dead functions and data and still run like GNU ld's --gc-sections link of the same
// objects; C++ exceptions are still caught (.eh_frame keeps no function alive, but a live
// function keeps its LSDA); __start_/__stop_ sections survive; -u keeps a function;
// --print-gc-sections names the removed sections; a shared library keeps what it exports.
//
// Programs are linked through the compiler driver (gcc -B DIR with DIR/ld → weld), like the
// corpus tests. Checks of weld's own behaviour (message format, --threads) are known issues when
// WELD is a stand-in linker.
import Foundation
import Testing

enum GcMode: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case pie, nopie, `static`

    var compileFlags: [String] { self == .pie ? ["-fPIE"] : ["-fno-pie"] }
    var linkFlags: [String] {
        switch self {
        case .pie: return ["-pie"]
        case .nopie: return ["-no-pie"]
        case .static: return ["-static"]
        }
    }
    var testDescription: String { rawValue }
}

enum GcFixtures {
    struct FixtureError: Error, Sendable, CustomStringConvertible { var description: String }
    static let memo = Memo<String, Result<String, FixtureError>>()
    static var dir: String { Paths.work + "/gc-sections" }

    static let sources: [String: String] = [
        "gc_main.c": """
            #include <stdio.h>
            int weld_live_counter = 3;
            int weld_dead_table[4096] = { 1, 2, 3 };
            const char weld_dead_text[] = "a dead string that only a dead function reads";
            __attribute__((noinline)) int weld_live_function(int x) { return x * weld_live_counter + 1; }
            __attribute__((noinline)) int weld_dead_function(int x) {
                int s = 0;
                for (int i = 0; i < x; i++) s += weld_dead_table[i % 4096] * i + weld_dead_text[i % 40];
                switch (x) { case 1: s += 7; break; case 2: s *= 3; break; case 3: s -= 11; break; default: s ^= 0x55; }
                return s;
            }
            __attribute__((noinline)) int weld_dead_caller(int x) { return weld_dead_function(x) + weld_dead_function(x + 1); }
            __attribute__((noinline)) int weld_kept_by_u(int x) { return x - 7; }
            int main(void) {
                printf("live %d\\n", weld_live_function(14));
                return 0;
            }
            """,
        "set_a.c": """
            #include <stdio.h>
            struct entry { const char *name; long value; };
            extern const struct entry __start_weld_set[], __stop_weld_set[];
            const struct entry weld_entry_a __attribute__((section("weld_set"))) = { "a", 1 };
            const struct entry weld_unlisted_entry __attribute__((section("weld_unlisted"))) = { "unlisted", 99 };
            int main(void) {
                long n = 0, sum = 0;
                for (const struct entry *e = __start_weld_set; e < __stop_weld_set; e++) { n++; sum += e->value; }
                printf("entries %ld sum %ld\\n", n, sum);
                return 0;
            }
            """,
        // Nothing refers to this file's symbols: only __start_weld_set keeps its section.
        "set_b.c": """
            struct entry { const char *name; long value; };
            const struct entry weld_entry_b __attribute__((section("weld_set"))) = { "b", 10 };
            """,
        "eh.cpp": """
            #include <cstdio>
            #include <stdexcept>
            #include <string>
            struct E { int v; };
            __attribute__((noinline)) void weld_thrower(int x) { if (x > 0) throw std::runtime_error("boom " + std::to_string(x)); }
            __attribute__((noinline)) void weld_dead_thrower(int x) { try { if (x) throw E{x}; } catch (E &e) { std::printf("dead %d\\n", e.v); } }
            __attribute__((noinline)) int weld_catcher(int x) {
                try { weld_thrower(x); } catch (const std::exception &e) { std::printf("caught: %s\\n", e.what()); return 1; }
                return 0;
            }
            int main(int argc, char **) {
                int r = weld_catcher(argc + 1);
                try { throw E{42}; } catch (E &e) { std::printf("E %d\\n", e.v); }
                return r == 1 ? 0 : 3;
            }
            """,
        "gc_lib.c": """
            __attribute__((visibility("hidden"), noinline)) int weld_lib_hidden_dead(int x) { return x * 5 + 3; }
            __attribute__((visibility("hidden"), noinline)) int weld_lib_hidden_used(int x) { return x + 100; }
            int weld_lib_api(int x) { return weld_lib_hidden_used(x) * 2; }
            int weld_lib_local_dead(int x) { return x * 9; }
            """,
        "gc_lib_user.c": """
            #include <stdio.h>
            int weld_lib_api(int);
            int main(void) { printf("api %d\\n", weld_lib_api(1)); return 0; }
            """,
    ]

    /// Compiles `name` with -ffunction-sections -fdata-sections and `flags`, once per flag set.
    static func object(_ name: String, _ flags: [String]) async throws -> String {
        let key = name + " " + flags.joined(separator: " ")
        let r = await memo.value(for: key) {
            let objDir = dir + "/objects/" + (flags.isEmpty ? "default" : flags.joined().replacingOccurrences(of: "/", with: "_"))
            try? FileManager.default.createDirectory(atPath: objDir, withIntermediateDirectories: true)
            let src = "\(objDir)/\(name)"
            let obj = "\(objDir)/\((name as NSString).deletingPathExtension).o"
            do { try sources[name]!.write(toFile: src, atomically: true, encoding: .utf8) } catch {
                return .failure(FixtureError(description: "cannot write \(src): \(error)"))
            }
            let cxx = name.hasSuffix(".cpp")
            guard let cc = cxx ? Tools.gxx : Tools.gcc else { return .failure(FixtureError(description: "no gcc/g++")) }
            let r = await ProcessRunner.run([cc, "-c", "-O2", "-ffunction-sections", "-fdata-sections"] + flags + [src, "-o", obj],
                                            timeout: 300, scratch: objDir)
            return r.termination.isSuccess ? .success(obj)
                : .failure(FixtureError(description: Report.step("compiling \(name) failed", r)))
        }
        return try r.get()
    }

    /// A fresh, empty directory for one test.
    static func caseDir(_ name: String) throws -> String {
        let d = "\(dir)/\(name)"
        try? FileManager.default.removeItem(atPath: d)
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Links through the compiler driver with weld (or GNU ld for the reference).
    static func link(_ objects: [String], output: String, reference: Bool = false, cxx: Bool = false,
                     flags: [String]) async throws -> ProcessResult {
        guard let driver = cxx ? Tools.gxx : Tools.gcc else { throw FixtureError(description: "no gcc/g++") }
        var argv = [driver] + flags
        if reference {
            argv.append("-fuse-ld=bfd")
        } else {
            guard let bdir = Weld.gccBDir else { throw FixtureError(description: Weld.missingMessage) }
            argv += ["-B", bdir + "/"]
        }
        argv += objects + ["-o", output]
        try? FileManager.default.removeItem(atPath: output)
        return await ProcessRunner.run(argv, timeout: 300, scratch: (output as NSString).deletingLastPathComponent)
    }

    static func linkOK(_ objects: [String], output: String, reference: Bool = false, cxx: Bool = false,
                       flags: [String]) async throws -> ProcessResult {
        let r = try await link(objects, output: output, reference: reference, cxx: cxx, flags: flags)
        guard r.termination.isSuccess else {
            throw FixtureError(description: Report.step("linking \(output) with \(reference ? "GNU ld" : "weld") failed (\(r.termination))", r))
        }
        return r
    }

    static func run(_ exe: String, environment: [String: String]? = nil) async -> ProcessResult {
        await ProcessRunner.run([exe], environment: environment, timeout: 60, scratch: (exe as NSString).deletingLastPathComponent)
    }

    static func readelf(_ args: [String], _ file: String) async throws -> String {
        guard let readelf = Tools.readelf else { throw FixtureError(description: "readelf not found") }
        let r = await ProcessRunner.run([readelf, "-W"] + args + [file], timeout: 60, scratch: (file as NSString).deletingLastPathComponent)
        guard r.termination.isSuccess else { throw FixtureError(description: Report.step("readelf failed", r)) }
        return r.stdoutText
    }

    /// Size of the output section `name` (0 if absent).
    static func sectionSize(_ file: String, _ name: String) async throws -> UInt64 {
        for line in try await readelf(["-S"], file).split(separator: "\n") {
            guard let close = line.firstIndex(of: "]") else { continue }
            let fields = line[line.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
            // Name Type Address Off Size ...
            if fields.count >= 5 && fields[0] == name { return UInt64(fields[4], radix: 16) ?? 0 }
        }
        return 0
    }

    /// Names in `.symtab` (or in `.dynsym` with `table: ".dynsym"`).
    static func symbols(_ file: String, table: String = ".symtab") async throws -> Set<String> {
        var names = Set<String>()
        var inTable = false
        for line in try await readelf(["-s"], file).split(separator: "\n") {
            if line.hasPrefix("Symbol table") { inTable = line.contains("'\(table)'"); continue }
            guard inTable else { continue }
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            if f.count >= 8, f[0].hasSuffix(":") { names.insert(String(f[7].split(separator: "@").first ?? f[7])) }
        }
        return names
    }
}

@Suite("--gc-sections", .serialized)
struct GcSectionsTests {
    static let enabled = Weld.shouldRun && Tools.gcc != nil && Tools.readelf != nil

    @Test("dead functions and data are removed and the program still runs like GNU ld's",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)), arguments: GcMode.allCases)
    func shrinks(_ mode: GcMode) async throws {
        let dir = try GcFixtures.caseDir("shrink-\(mode.rawValue)")
        let obj = try await GcFixtures.object("gc_main.c", mode.compileFlags)
        let full = dir + "/full", gc = dir + "/gc", ref = dir + "/gnu-ld-gc"
        _ = try await GcFixtures.linkOK([obj], output: full, flags: mode.linkFlags)
        _ = try await GcFixtures.linkOK([obj], output: gc, flags: mode.linkFlags + ["-Wl,--gc-sections"])
        _ = try await GcFixtures.linkOK([obj], output: ref, reference: true, flags: mode.linkFlags + ["-Wl,--gc-sections"])

        let rRef = await GcFixtures.run(ref)
        let rGc = await GcFixtures.run(gc)
        #expect(rRef.termination == .exited(0) && rRef.stdoutText == "live 43\n", Comment(rawValue: Report.step("GNU ld's link", rRef)))
        #expect(rGc.termination == rRef.termination, Comment(rawValue: Report.step("weld --gc-sections: exit status", rGc)))
        #expect(rGc.stdoutText == rRef.stdoutText, Comment(rawValue: Report.step("weld --gc-sections: output differs from GNU ld's", rGc)))

        let textFull = try await GcFixtures.sectionSize(full, ".text")
        let textGc = try await GcFixtures.sectionSize(gc, ".text")
        let dataFull = try await GcFixtures.sectionSize(full, ".data")
        let dataGc = try await GcFixtures.sectionSize(gc, ".data")
        #expect(textGc < textFull, "--gc-sections .text is 0x\(String(textGc, radix: 16)) bytes, without 0x\(String(textFull, radix: 16))")
        #expect(dataGc + 16384 <= dataFull, "--gc-sections .data is \(dataGc) bytes, without \(dataFull): the 16 KiB dead table stayed")

        let symsFull = try await GcFixtures.symbols(full)
        let symsGc = try await GcFixtures.symbols(gc)
        for dead in ["weld_dead_function", "weld_dead_caller", "weld_dead_table", "weld_dead_text", "weld_kept_by_u"] {
            #expect(symsFull.contains(dead), "\(dead) should be in .symtab without --gc-sections")
            #expect(!symsGc.contains(dead), "\(dead) is dead and should be gone from .symtab with --gc-sections")
        }
        for live in ["main", "weld_live_function", "weld_live_counter"] {
            #expect(symsGc.contains(live), "\(live) is live and must stay in .symtab")
        }
    }

    @Test("-u keeps a function that nothing references", .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func undefinedKeeps() async throws {
        let dir = try GcFixtures.caseDir("undefined")
        let obj = try await GcFixtures.object("gc_main.c", GcMode.pie.compileFlags)
        let out = dir + "/gc-u"
        _ = try await GcFixtures.linkOK([obj], output: out, flags: ["-pie", "-Wl,--gc-sections", "-Wl,-u,weld_kept_by_u"])
        let syms = try await GcFixtures.symbols(out)
        #expect(syms.contains("weld_kept_by_u"), "-u weld_kept_by_u should keep it in the output")
        #expect(!syms.contains("weld_dead_function"), "weld_dead_function is still dead")
        let r = await GcFixtures.run(out)
        #expect(r.termination == .exited(0) && r.stdoutText == "live 43\n", Comment(rawValue: Report.step("running", r)))
    }

    @Test("--print-gc-sections names the removed sections", .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func printGcSections() async throws {
        let dir = try GcFixtures.caseDir("print")
        let obj = try await GcFixtures.object("gc_main.c", GcMode.pie.compileFlags)
        let r = try await GcFixtures.linkOK([obj], output: dir + "/gc", flags: ["-pie", "-Wl,--gc-sections", "-Wl,--print-gc-sections"])
        let text = r.stderrText
        #expect(text.contains(".text.weld_dead_function") && text.contains(".data.weld_dead_table"),
                Comment(rawValue: Report.step("the dead sections should be listed", r)))
        #expect(!text.contains(".text.weld_live_function") && !text.contains(".text.main"),
                Comment(rawValue: Report.step("live sections must not be listed", r)))
        weldSpecific("lld's 'removing unused section FILE:(SECTION)' lines") {
            #expect(text.contains("removing unused section \(obj):(.text.weld_dead_function)\n"),
                    Comment(rawValue: Report.step("expected lld's format", r)))
        }
        // --no-print-gc-sections after it turns the listing off again.
        let quiet = try await GcFixtures.linkOK([obj], output: dir + "/gc-quiet",
                                                flags: ["-pie", "-Wl,--gc-sections", "-Wl,--print-gc-sections", "-Wl,--no-print-gc-sections"])
        #expect(!quiet.stderrText.contains("removing unused section"), Comment(rawValue: Report.step("--no-print-gc-sections", quiet)))
    }

    @Test("sections named by __start_/__stop_ survive; other C-named sections go",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)), arguments: [GcMode.pie, GcMode.static])
    func startStop(_ mode: GcMode) async throws {
        let dir = try GcFixtures.caseDir("start-stop-\(mode.rawValue)")
        let a = try await GcFixtures.object("set_a.c", mode.compileFlags)
        let b = try await GcFixtures.object("set_b.c", mode.compileFlags)
        let out = dir + "/gc", ref = dir + "/gnu-ld-gc"
        let r = try await GcFixtures.linkOK([a, b], output: out, flags: mode.linkFlags + ["-Wl,--gc-sections", "-Wl,--print-gc-sections"])
        _ = try await GcFixtures.linkOK([a, b], output: ref, reference: true, flags: mode.linkFlags + ["-Wl,--gc-sections"])
        let run = await GcFixtures.run(out)
        let runRef = await GcFixtures.run(ref)
        #expect(runRef.stdoutText == "entries 2 sum 11\n", Comment(rawValue: Report.step("GNU ld's link", runRef)))
        #expect(run.termination == .exited(0) && run.stdoutText == runRef.stdoutText,
                Comment(rawValue: Report.step("both weld_set sections must be kept", run)))
        #expect(try await GcFixtures.sectionSize(out, "weld_set") == 32, "weld_set should hold both 16-byte entries")
        #expect(try await GcFixtures.sectionSize(out, "weld_unlisted") == 0, "weld_unlisted is not named by __start_/__stop_ and is dead")
        let removed = r.stderrText.split(separator: "\n").filter { $0.contains("removing unused section") }
        #expect(removed.contains { $0.contains("weld_unlisted") } && !removed.contains { $0.contains("weld_set") },
                Comment(rawValue: Report.step("--print-gc-sections should list weld_unlisted and not weld_set", r)))
    }

    @Test("C++ exceptions are still caught after --gc-sections",
          .enabled(if: enabled && Tools.gxx != nil, Comment(rawValue: Weld.missingMessage)), arguments: GcMode.allCases)
    func exceptions(_ mode: GcMode) async throws {
        let dir = try GcFixtures.caseDir("eh-\(mode.rawValue)")
        let obj = try await GcFixtures.object("eh.cpp", mode.compileFlags)
        let out = dir + "/gc", ref = dir + "/gnu-ld-gc"
        _ = try await GcFixtures.linkOK([obj], output: out, cxx: true, flags: mode.linkFlags + ["-Wl,--gc-sections"])
        _ = try await GcFixtures.linkOK([obj], output: ref, reference: true, cxx: true, flags: mode.linkFlags + ["-Wl,--gc-sections"])
        let run = await GcFixtures.run(out)
        let runRef = await GcFixtures.run(ref)
        #expect(runRef.termination == .exited(0) && runRef.stdoutText == "caught: boom 2\nE 42\n", Comment(rawValue: Report.step("GNU ld's link", runRef)))
        #expect(run.termination == runRef.termination && run.stdoutText == runRef.stdoutText,
                Comment(rawValue: Report.step("weld --gc-sections", run)))
        let syms = try await GcFixtures.symbols(out)
        #expect(!syms.contains("_Z17weld_dead_throweri"), "the dead thrower should be removed")
        #expect(syms.contains("_Z12weld_catcheri"), "the catcher is live")
    }

    @Test("a shared library keeps what it exports", .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func sharedLibrary() async throws {
        let dir = try GcFixtures.caseDir("shared")
        let lib = try await GcFixtures.object("gc_lib.c", ["-fPIC"])
        let user = try await GcFixtures.object("gc_lib_user.c", GcMode.pie.compileFlags)
        let so = dir + "/libweldgc.so"
        _ = try await GcFixtures.linkOK([lib], output: so, flags: ["-shared", "-Wl,--gc-sections"])
        let dyn = try await GcFixtures.symbols(so, table: ".dynsym")
        let syms = try await GcFixtures.symbols(so)
        #expect(dyn.contains("weld_lib_api"), "the exported function must stay in .dynsym")
        #expect(syms.contains("weld_lib_hidden_used"), "a hidden function the export calls is live")
        #expect(!syms.contains("weld_lib_hidden_dead"), "a hidden function nothing calls is dead")
        #expect(dyn.contains("weld_lib_local_dead"), "without a version script every default-visibility function is exported")
        // A version script that makes it local lets it go.
        let map = dir + "/lib.map"
        try "{ global: weld_lib_api; local: *; };\n".write(toFile: map, atomically: true, encoding: .utf8)
        let soLocal = dir + "/libweldgc-local.so"
        _ = try await GcFixtures.linkOK([lib], output: soLocal, flags: ["-shared", "-Wl,--gc-sections", "-Wl,--version-script=" + map])
        let dynLocal = try await GcFixtures.symbols(soLocal, table: ".dynsym")
        let symsLocal = try await GcFixtures.symbols(soLocal)
        #expect(dynLocal.contains("weld_lib_api") && !dynLocal.contains("weld_lib_local_dead"), "the version script exports only weld_lib_api")
        #expect(!symsLocal.contains("weld_lib_local_dead"), "a function the version script makes local, and nothing calls, is dead")
        let exe = dir + "/user"
        _ = try await GcFixtures.linkOK([user, so], output: exe, flags: ["-pie", "-Wl,--gc-sections", "-Wl,-rpath," + dir])
        let r = await GcFixtures.run(exe)
        #expect(r.termination == .exited(0) && r.stdoutText == "api 202\n", Comment(rawValue: Report.step("running against the library", r)))
    }

    @Test("the output does not depend on the thread count", .enabled(if: enabled && Tools.gxx != nil, Comment(rawValue: Weld.missingMessage)))
    func deterministic() async throws {
        let dir = try GcFixtures.caseDir("threads")
        let obj = try await GcFixtures.object("eh.cpp", GcMode.static.compileFlags)
        var outputs: [Data] = []
        var lists: [String] = []
        for threads in [1, 2, 8] {
            let out = dir + "/gc-\(threads)"
            let r = try await GcFixtures.link([obj], output: out, cxx: true,
                                              flags: ["-static", "-Wl,--gc-sections", "-Wl,--print-gc-sections", "-Wl,--threads=\(threads)"])
            try weldSpecific("--threads=N") {
                #expect(r.termination.isSuccess, Comment(rawValue: Report.step("link with --threads=\(threads)", r)))
                outputs.append(try Data(contentsOf: URL(fileURLWithPath: out)))
                lists.append(r.stderrText)
            }
        }
        if outputs.count == 3 {
            #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2], "outputs differ between --threads=1, 2 and 8")
            #expect(lists[0] == lists[1] && lists[1] == lists[2], "--print-gc-sections differs between thread counts")
            #expect(lists[0].contains("removing unused section"), "a static C++ link removes sections")
        }
    }
}
