// -z pack-relative-relocs (issue 5, item 3): a PIE, a shared library and a static PIE whose
// relative relocations go to .relr.dyn start on this machine's glibc and print what GNU ld's
// links print; no relative relocation is lost (the packed count equals the RELATIVE count of
// the unpacked link); .rela.dyn keeps no RELATIVE entry; DT_RELR* and the GLIBC_ABI_DT_RELR
// version need are present; -z nopack-relative-relocs turns it off again.
import Foundation
import Testing

enum RelrFixtures {
    static var dir: String { Paths.work + "/relr" }

    // Pointers at every alignment the packing must handle: dense tables (bitmaps), sparse
    // pointers far apart (new address entries), function pointers, strings.
    static let program = """
        #include <stdio.h>
        #include <string.h>
        static const char *names[] = {"alpha","beta","gamma","delta","epsilon","zeta","eta","theta","iota","kappa"};
        struct op { int (*fn)(int); const char *name; };
        static int twice(int x) { return 2 * x; }
        static int square(int x) { return x * x; }
        static struct op ops[] = { {twice, "twice"}, {square, "square"}, {twice, "again"} };
        static int cells[4096];
        static int *sparse[] = { &cells[0], &cells[63], &cells[64], &cells[1000], &cells[4095] };
        static char gap[100000] = {1};
        static int *after_gap[] = { &cells[7], &cells[8] };
        extern int relr_lib_value(void);
        extern const char *relr_lib_name(int);
        int main(void) {
            long sum = 0;
            for (int i = 0; i < 10; i++) sum += (long)strlen(names[i]) * (i + 1);
            for (int i = 0; i < 3; i++) sum += ops[i].fn(i + 3) + (long)strlen(ops[i].name);
            for (int i = 0; i < 5; i++) sum += sparse[i] - cells;
            sum += (after_gap[1] - after_gap[0]) + gap[0];
            printf("sum %ld lib %d %s\\n", sum, relr_lib_value(), relr_lib_name(3));
            return 0;
        }
        """
    static let library = """
        static int data[512];
        static int *table[] = { &data[1], &data[2], &data[3], &data[200], &data[511] };
        static const char *words[] = { "zero", "one", "two", "three", "four" };
        int relr_lib_value(void) { int s = 0; for (int i = 0; i < 5; i++) s += (int)(table[i] - data); return s; }
        const char *relr_lib_name(int i) { return words[i % 5]; }
        """

    /// Compiles `source` as `DIR/name.c` (DIR: one per concurrently running test case).
    static func compile(_ source: String, _ name: String, _ flags: [String], in directory: String? = nil) async throws -> String {
        let dir = directory ?? self.dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let src = "\(dir)/\(name).c", obj = "\(dir)/\(name).o"
        try source.write(toFile: src, atomically: true, encoding: .utf8)
        guard let cc = Tools.gcc else { throw GcFixtures.FixtureError(description: "no gcc") }
        let r = await ProcessRunner.run([cc, "-c", "-O2"] + flags + [src, "-o", obj], timeout: 300, scratch: dir)
        guard r.termination.isSuccess else { throw GcFixtures.FixtureError(description: Report.step("compiling \(name)", r)) }
        return obj
    }

    /// Relocation counts from `readelf -r`: R_X86_64_RELATIVE entries and .relr.dyn offsets.
    static func relocationCounts(_ file: String) async throws -> (relative: Int, packed: Int) {
        let text = try await GcFixtures.readelf(["-r"], file)
        var relative = 0, packed = 0
        for line in text.split(separator: "\n") {
            if line.contains("R_X86_64_RELATIVE") { relative += 1 }
            // readelf prints "N offsets" under the .relr.dyn header (binutils 2.40).
            let f = line.split(separator: " ")
            if f.count == 2 && f[1] == "offsets", let n = Int(f[0]) { packed += n }
        }
        return (relative, packed)
    }
}

@Suite("-z pack-relative-relocs", .serialized)
struct RelrTests {
    static let enabled = Weld.shouldRun && Tools.gcc != nil && Tools.readelf != nil

    @Test("a RELR PIE and a RELR shared library start on this glibc and lose no relocation",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func pieAndSharedLibrary() async throws {
        let d = try GcFixtures.caseDir("relr-pie")
        let mainObj = try await RelrFixtures.compile(RelrFixtures.program, "relr_main", ["-fPIE"])
        let libObj = try await RelrFixtures.compile(RelrFixtures.library, "relr_lib", ["-fPIC"])
        let pack = ["-Wl,-z,pack-relative-relocs"]
        func links(_ tag: String, extra: [String], reference: Bool = false) async throws -> (exe: String, lib: String) {
            let libDir = "\(d)/\(tag)"
            try FileManager.default.createDirectory(atPath: libDir, withIntermediateDirectories: true)
            let lib = "\(libDir)/librelr.so", exe = "\(libDir)/main"
            _ = try await GcFixtures.linkOK([libObj], output: lib, reference: reference, flags: ["-shared"] + extra)
            _ = try await GcFixtures.linkOK([mainObj, "-L", libDir, "-lrelr", "-Wl,-rpath,\(libDir)"], output: exe,
                                            reference: reference, flags: ["-pie"] + extra)
            return (exe, lib)
        }
        let packed = try await links("packed", extra: pack)
        let plain = try await links("plain", extra: [])
        let off = try await links("off", extra: pack + ["-Wl,-z,nopack-relative-relocs"])
        let gnu = try await links("gnu-ld", extra: pack, reference: true)

        let expected = await GcFixtures.run(gnu.exe)
        #expect(expected.termination == .exited(0) && expected.stdoutText.hasPrefix("sum "), Comment(rawValue: Report.step("GNU ld's RELR link", expected)))
        for exe in [packed.exe, plain.exe, off.exe] {
            let r = await GcFixtures.run(exe)
            #expect(r.termination == expected.termination && r.stdoutText == expected.stdoutText,
                    Comment(rawValue: Report.step("\(exe) differs from GNU ld's link", r)))
        }

        let exeDynamic = try await GcFixtures.readelf(["-d"], packed.exe)
        #expect(exeDynamic.contains("[libc.so.6]"), "the PIE needs libc.so.6")
        for (packedFile, plainFile, offFile) in [(packed.exe, plain.exe, off.exe), (packed.lib, plain.lib, off.lib)] {
            let p = try await RelrFixtures.relocationCounts(packedFile)
            let u = try await RelrFixtures.relocationCounts(plainFile)
            let o = try await RelrFixtures.relocationCounts(offFile)
            #expect(u.relative >= 5 && u.packed == 0, "\(plainFile): \(u.relative) RELATIVE, \(u.packed) packed")
            #expect(p.relative == 0, "\(packedFile): \(p.relative) RELATIVE entries left in .rela.dyn")
            #expect(p.packed == u.relative, "\(packedFile): \(p.packed) packed offsets, the unpacked link has \(u.relative) RELATIVE")
            #expect(o.packed == 0 && o.relative == u.relative, "-z nopack-relative-relocs: \(o)")

            let dyn = try await GcFixtures.readelf(["-d"], packedFile)
            for tag in ["(RELR)", "(RELRSZ)", "(RELRENT)"] { #expect(dyn.contains(tag), "\(packedFile): no \(tag) in .dynamic") }
            // Only a file that needs libc.so.6 can ask it for the version (GNU ld does the same).
            let versions = try await GcFixtures.readelf(["-V"], packedFile)
            #expect(versions.contains("GLIBC_ABI_DT_RELR") == dyn.contains("[libc.so.6]"),
                    "\(packedFile): a file that needs libc.so.6 (and only such a file) must need GLIBC_ABI_DT_RELR")
            let relaPacked = try await GcFixtures.sectionSize(packedFile, ".rela.dyn")
            let relrPacked = try await GcFixtures.sectionSize(packedFile, ".relr.dyn")
            let relaPlain = try await GcFixtures.sectionSize(plainFile, ".rela.dyn")
            #expect(relaPacked + relrPacked < relaPlain, "\(packedFile): .rela.dyn \(relaPacked) + .relr.dyn \(relrPacked) bytes, unpacked .rela.dyn \(relaPlain)")
        }
    }

    @Test("a RELR static PIE relocates itself", .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func staticPie() async throws {
        let d = try GcFixtures.caseDir("relr-static-pie")
        let mainObj = try await RelrFixtures.compile(RelrFixtures.program, "relr_main", ["-fPIE"])
        let libObj = try await RelrFixtures.compile(RelrFixtures.library, "relr_lib", ["-fPIC"])
        let exe = d + "/main", ref = d + "/main-gnu-ld"
        _ = try await GcFixtures.linkOK([mainObj, libObj], output: exe, flags: ["-static-pie", "-Wl,-z,pack-relative-relocs"])
        _ = try await GcFixtures.linkOK([mainObj, libObj], output: ref, reference: true, flags: ["-static-pie"])
        let expected = await GcFixtures.run(ref)
        let r = await GcFixtures.run(exe)
        #expect(r.termination == .exited(0) && r.stdoutText == expected.stdoutText, Comment(rawValue: Report.step("static PIE with RELR", r)))
        let counts = try await RelrFixtures.relocationCounts(exe)
        #expect(counts.packed > 100 && counts.relative == 0, "static PIE: \(counts)")
    }
}
