// Stripping (issue 5, item 4): -s, -S, -x and -X each leave exactly what they should, checked
// with readelf -S -s on weld's output and on GNU ld's output of the same objects; every
// stripped program still runs.
import Foundation
import Testing

enum StripFixtures {
    // A static function and a static variable (local symbols), globals, and compiler-made
    // .L labels kept in the object by `as -L` (what -X discards).
    static let source = """
        #include <stdio.h>
        static int strip_local_counter = 5;
        __attribute__((noinline)) static int strip_local_helper(int x) { return x * strip_local_counter++ + 1; }
        __asm__(".pushsection .text\\n.Lstrip_temporary_label:\\n nop\\n.popsection");
        int strip_global_value = 7;
        __attribute__((noinline)) int strip_global_function(int x) { return strip_local_helper(x) + strip_global_value; }
        int main(int argc, char **argv) {
            (void)argv;
            switch (argc) { case 1: puts("one"); break; case 2: puts("two"); break; case 3: puts("three"); break; default: puts("many"); }
            printf("%d\\n", strip_global_function(argc + 2));
            return 0;
        }
        """

    struct Shape: Equatable, CustomStringConvertible {
        var hasSymtab = false, hasDebug = false
        var locals = Set<String>(), globals = Set<String>(), files = Set<String>(), temporaries = 0
        var description: String {
            "symtab \(hasSymtab), debug \(hasDebug), locals \(locals.sorted()), globals \(globals.sorted()), files \(files.sorted()), .L symbols \(temporaries)"
        }
    }

    /// What readelf says about the sections and the named symbols this test cares about.
    static func shape(_ file: String) async throws -> Shape {
        var s = Shape()
        let sections = try await GcFixtures.readelf(["-S"], file)
        s.hasSymtab = sections.contains(" .symtab ")
        s.hasDebug = sections.contains(" .debug_info ")
        let symbols = try await GcFixtures.readelf(["-s"], file)
        var inSymtab = false
        for line in symbols.split(separator: "\n") {
            if line.hasPrefix("Symbol table") { inSymtab = line.contains("'.symtab'"); continue }
            guard inSymtab else { continue }
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 8, f[0].hasSuffix(":") else { continue }
            let name = String(f[7])
            if name.hasPrefix(".L") { s.temporaries += 1; continue }
            guard name.hasPrefix("strip_") || name == "main" else { continue }
            if f[3] == "FILE" { s.files.insert(name); continue }
            if f[4] == "LOCAL" { s.locals.insert(name) } else { s.globals.insert(name) }
        }
        return s
    }
}

@Suite("stripping: -s -S -x -X", .serialized)
struct StripTests {
    static let enabled = Weld.shouldRun && Tools.gcc != nil && Tools.readelf != nil

    @Test("each strip mode leaves what GNU ld leaves, and the program runs",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)),
          arguments: ["", "-s", "-S", "-x", "-X"])
    func stripMode(_ flag: String) async throws {
        let d = try GcFixtures.caseDir("strip\(flag)")
        let obj = try await RelrFixtures.compile(StripFixtures.source, "strip_main", ["-g", "-fPIE", "-Wa,-L"], in: d)
        let extra = flag.isEmpty ? [] : ["-Wl,\(flag)"]
        let weldOut = d + "/weld", gnuOut = d + "/gnu-ld"
        _ = try await GcFixtures.linkOK([obj], output: weldOut, flags: ["-pie"] + extra)
        _ = try await GcFixtures.linkOK([obj], output: gnuOut, reference: true, flags: ["-pie"] + extra)

        let r = await GcFixtures.run(weldOut)
        let expected = await GcFixtures.run(gnuOut)
        #expect(expected.termination == .exited(0) && expected.stdoutText == "one\n23\n", Comment(rawValue: Report.step("running GNU ld's \(flag) output", expected)))
        #expect(r.termination == .exited(0) && r.stdoutText == expected.stdoutText, Comment(rawValue: Report.step("running weld's \(flag) output", r)))

        let weld = try await StripFixtures.shape(weldOut)
        let gnu = try await StripFixtures.shape(gnuOut)
        // What each mode must leave, stated directly (GNU ld's output is checked against it too).
        let allLocals: Set<String> = ["strip_local_counter", "strip_local_helper"]
        let allGlobals: Set<String> = ["strip_global_value", "strip_global_function", "main"]
        switch flag {
        case "-s":
            #expect(!weld.hasSymtab && !weld.hasDebug, "-s: \(weld)")
        case "-S":
            #expect(weld.hasSymtab && !weld.hasDebug && weld.locals == allLocals && weld.globals == allGlobals, "-S: \(weld)")
        case "-x":
            #expect(weld.hasSymtab && weld.hasDebug && weld.locals.isEmpty && weld.temporaries == 0 && weld.globals == allGlobals, "-x: \(weld)")
        case "-X":
            #expect(weld.hasSymtab && weld.hasDebug && weld.locals == allLocals && weld.temporaries == 0 && weld.globals == allGlobals, "-X: \(weld)")
        default:
            #expect(weld.hasSymtab && weld.hasDebug && weld.locals == allLocals && weld.globals == allGlobals, "no strip option: \(weld)")
        }
        // GNU ld agrees on everything but .L labels without -X/-x (it keeps them by default).
        var gnuComparable = gnu, weldComparable = weld
        if flag.isEmpty || flag == "-S" { gnuComparable.temporaries = 0; weldComparable.temporaries = 0 }
        #expect(weldComparable == gnuComparable, "weld: \(weld)\nGNU ld: \(gnu)")
    }
}
