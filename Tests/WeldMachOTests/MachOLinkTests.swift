import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Links small programs with weld's ld64 flavor (the built `weld` binary, as a separate
/// process so each link has fresh global state), runs them under the shared arm64 emulator,
/// and checks signatures, determinism and diagnostics.
@Suite(.serialized) struct MachOLinkTests {
    static let repo: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()
    static let weld = repo + "/.build/debug/weld"
    static var available: Bool { MachOFixtures.available && access(weld, X_OK) == 0 }

    func weldLink(_ args: String, in dir: String) -> (status: Int32, output: String) {
        MachOFixtures.run("cd \(dir) && \(Self.weld) -flavor darwin -arch arm64 -platform_version macos 13.0 13.0 -syslibroot \(MachOFixtures.shared)/sdk -lSystem \(args)")
    }

    func runProgram(_ path: String, slide: String = "0") -> (status: Int32, output: String) {
        MachOFixtures.run("python3 \(MachOFixtures.shared)/run_macho.py --slide \(slide) \(path)")
    }

    @Test(.enabled(if: MachOLinkTests.available)) func returns42AndIsSigned() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let obj = try #require(MachOFixtures.compile("int main(void) { return 42; }\n", name: "ret.c", in: dir))
        let link = weldLink("-o ret \(obj)", in: dir)
        #expect(link.status == 0, "\(link.output)")
        #expect(runProgram("\(dir)/ret").status == 42)
        let sig = MachOFixtures.run("python3 \(MachOFixtures.shared)/check_codesign.py \(dir)/ret")
        #expect(sig.status == 0, "\(sig.output)")
        // One flipped byte in __TEXT must fail the check.
        var bytes = MachOFixtures.read("\(dir)/ret")
        bytes[0x400] ^= 0xff
        MachOFixtures.write("\(dir)/ret.bad", bytes)
        #expect(MachOFixtures.run("python3 \(MachOFixtures.shared)/check_codesign.py \(dir)/ret.bad").status != 0)
    }

    static let program = """
        int printf(const char *, ...);
        static const char *names[] = { "zero", "one", "two" };
        int counter = 5;
        int *counter_ptr = &counter;
        __thread int tls_value = 7;
        static int twice(int x) { return 2 * x; }
        int (*op)(int) = twice;
        __attribute__((constructor)) static void init(void) { counter += 1; }
        int main(int argc, char **argv) {
            tls_value += argc;
            printf("%s %d %d %d\\n", names[argc], *counter_ptr, op(tls_value), counter);
            return 3;
        }
        """

    @Test(.enabled(if: MachOLinkTests.available)) func printfGlobalsTLSAtTwoSlides() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let obj = try #require(MachOFixtures.compile(Self.program, name: "p.c", in: dir, flags: "-O0"))
        for mode in ["", "-no_fixup_chains", "-dead_strip"] {
            let link = weldLink("\(mode) -o p \(obj)", in: dir)
            #expect(link.status == 0, "\(mode): \(link.output)")
            for slide in ["0", "0x4000000"] {
                let r = runProgram("\(dir)/p", slide: slide)
                #expect(r.status == 3, "\(mode) slide \(slide): \(r.output)")
                #expect(r.output.hasPrefix("one 6 16 6"), "\(mode) slide \(slide): \(r.output)")
            }
        }
    }

    @Test(.enabled(if: MachOLinkTests.available)) func sameBytesAtAnyThreadCount() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let obj = try #require(MachOFixtures.compile(Self.program, name: "p.c", in: dir))
        var images: [[UInt8]] = []
        for threads in [1, 2, 8] {
            // The same output name each time: it is part of the signature's identifier.
            _ = MachOFixtures.run("mkdir -p \(dir)/t\(threads)")
            #expect(weldLink("--threads=\(threads) -o t\(threads)/p \(obj)", in: dir).status == 0)
            images.append(MachOFixtures.read("\(dir)/t\(threads)/p"))
        }
        #expect(!images[0].isEmpty)
        #expect(MachOFixtures.firstDifference(images[0], images[1]) == -1)
        #expect(MachOFixtures.firstDifference(images[0], images[2]) == -1)
    }

    @Test(.enabled(if: MachOLinkTests.available)) func undefinedSymbolNamesItsUse() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let obj = try #require(MachOFixtures.compile("int missing(int);\nint main(void) { return missing(1); }\n", name: "u.c", in: dir))
        let link = weldLink("-o u \(obj)", in: dir)
        #expect(link.status == 1)
        #expect(link.output.contains("undefined symbol: _missing"))
        #expect(link.output.contains("u.c.o:(__TEXT,__text+0x") && link.output.contains("in _main"), "\(link.output)")
        #expect(access("\(dir)/u", F_OK) != 0, "no output after an error")
    }

    @Test(.enabled(if: MachOLinkTests.available)) func duplicateSymbolNamesBothFiles() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let a = try #require(MachOFixtures.compile("int f(void) { return 1; }\nint main(void) { return f(); }\n", name: "a.c", in: dir))
        let b = try #require(MachOFixtures.compile("int f(void) { return 2; }\n", name: "b.c", in: dir))
        let link = weldLink("-o d \(a) \(b)", in: dir)
        #expect(link.status == 1)
        #expect(link.output.contains("duplicate symbol: _f") && link.output.contains("a.c.o") && link.output.contains("b.c.o"), "\(link.output)")
    }

    @Test(.enabled(if: MachOLinkTests.available)) func deadStripRemovesUnreachableCode() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let obj = try #require(MachOFixtures.compile("""
            int unused_function(int x) { return x * 3; }
            int used_function(int x) { return x + 1; }
            int main(void) { return used_function(41); }
            """, name: "ds.c", in: dir, flags: "-O0"))
        #expect(weldLink("-dead_strip -o ds \(obj)", in: dir).status == 0)
        #expect(runProgram("\(dir)/ds").status == 42)
        let syms = MachOFixtures.run("llvm-nm -m \(dir)/ds").output
        #expect(syms.contains("_used_function"))
        #expect(!syms.contains("_unused_function"))
        #expect(weldLink("-o keep \(obj)", in: dir).status == 0)
        #expect(MachOFixtures.run("llvm-nm -m \(dir)/keep").output.contains("_unused_function"))
    }

    @Test(.enabled(if: MachOLinkTests.available)) func dylibAndItsUserViaRpath() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let lib = try #require(MachOFixtures.compile("int lib_value = 40;\nint lib_add(int x) { return x + lib_value; }\n", name: "lib.c", in: dir))
        let main = try #require(MachOFixtures.compile("extern int lib_value;\nint lib_add(int);\nint main(void) { return lib_add(2) + lib_value - 40; }\n", name: "main.c", in: dir))
        _ = MachOFixtures.run("mkdir -p \(dir)/lib")
        let dylib = weldLink("-dylib -install_name @rpath/libx.dylib -o lib/libx.dylib \(lib)", in: dir)
        #expect(dylib.status == 0, "\(dylib.output)")
        let exe = weldLink("-o main \(main) -Llib -lx -rpath @executable_path/lib", in: dir)
        #expect(exe.status == 0, "\(exe.output)")
        #expect(runProgram("\(dir)/main").status == 42)
        #expect(runProgram("\(dir)/main", slide: "0x4000000").status == 42)
        let exports = MachOFixtures.run("python3 -c 'import sys; sys.path.insert(0, \"\(MachOFixtures.shared)\"); import machoparse as M; print(sorted(M.load(\"\(dir)/lib/libx.dylib\").exports()))'").output
        #expect(exports.contains("_lib_add") && exports.contains("_lib_value"), "\(exports)")
    }

    /// Damaged objects end in an error naming the file, never in a crash: every 7th byte of the
    /// header and load commands, and a few cut-off lengths.
    @Test(.enabled(if: MachOLinkTests.available)) func damagedObjectsAreErrorsNotCrashes() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let obj = try #require(MachOFixtures.compile(Self.program, name: "p.c", in: dir))
        let good = MachOFixtures.read(obj)
        var variants: [[UInt8]] = []
        for pos in stride(from: 0, to: min(good.count, 1400), by: 7) {
            var b = good
            b[pos] ^= 0xa5
            variants.append(b)
        }
        for cut in [16, 100, good.count / 2, good.count - 9] { variants.append(Array(good.prefix(cut))) }
        for (i, bytes) in variants.enumerated() {
            MachOFixtures.write("\(dir)/bad.o", bytes)
            let r = weldLink("-o bad bad.o", in: dir)
            #expect(r.status == 0 || r.status == 1, "variant \(i): status \(r.status)")
            if r.status == 1 { #expect(r.output.contains("error"), "variant \(i)") }
        }
    }

    /// A call across 140 MiB of code goes through a thunk that lands exactly on the callee.
    @Test(.enabled(if: MachOLinkTests.available)) func farCallsGoThroughThunks() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let obj = try #require(MachOFixtures.compile("""
                .section __TEXT,__text,regular,pure_instructions
                .globl _main
                .p2align 2
            _main:
                bl _far_function
                ret
            _filler:
                .space 140*1024*1024
                .globl _far_function
                .p2align 2
            _far_function:
                mov w0, #42
                ret
                .subsections_via_symbols
            """, name: "far.s", in: dir))
        let link = weldLink("-o far \(obj)", in: dir)
        #expect(link.status == 0, "\(link.output)")
        let nm = MachOFixtures.run("llvm-nm \(dir)/far").output
        func address(_ name: String) -> UInt64? {
            nm.split(separator: "\n").first { $0.hasSuffix(" " + name) }.flatMap { UInt64($0.split(separator: " ")[0], radix: 16) }
        }
        let main = try #require(address("_main")), far = try #require(address("_far_function"))
        let bytes = MachOFixtures.read("\(dir)/far")
        func insn(_ addr: UInt64) -> UInt32 {
            let o = Int(addr - 0x1_0000_0000)
            return UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
        }
        let bl = insn(main)
        #expect(bl & 0xfc00_0000 == 0x9400_0000)
        let imm26 = Int64(Int32(bitPattern: (bl & 0x03ff_ffff) << 6) >> 6)
        let thunk = UInt64(Int64(main) + imm26 * 4)
        #expect(thunk != far, "the call cannot reach directly")
        let adrp = insn(thunk), add = insn(thunk + 4)
        let pages = Int64(Int32(bitPattern: ((((adrp >> 5) & 0x7ffff) << 2) | ((adrp >> 29) & 3)) << 11) >> 11)
        let target = UInt64(Int64(thunk & ~0xfff) + pages * 4096) + UInt64((add >> 10) & 0xfff)
        #expect(target == far)
        #expect(insn(thunk + 8) == 0xd61f_0200)   // br x16
    }

    /// A library re-exported from another .tbd file is found under the SDK by install name;
    /// a public one used by the program gets its own LC_LOAD_DYLIB (ld64's implicit linking).
    @Test(.enabled(if: MachOLinkTests.available)) func reexportedLibraryInItsOwnStub() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        _ = MachOFixtures.run("mkdir -p \(dir)/sdk/usr/lib && cp \(MachOFixtures.shared)/sdk/usr/lib/libSystem.tbd \(dir)/sdk/usr/lib/")
        MachOFixtures.write("\(dir)/sdk/usr/lib/libouter.tbd", """
            --- !tapi-tbd
            tbd-version: 4
            targets: [ arm64-macos ]
            install-name: '/usr/lib/libouter.dylib'
            reexported-libraries:
              - targets: [ arm64-macos ]
                libraries: [ '/usr/lib/libinner.dylib' ]
            exports:
              - targets: [ arm64-macos ]
                symbols: [ _outer_fn ]
            ...
            """)
        MachOFixtures.write("\(dir)/sdk/usr/lib/libinner.tbd", """
            --- !tapi-tbd
            tbd-version: 4
            targets: [ arm64-macos ]
            install-name: '/usr/lib/libinner.dylib'
            exports:
              - targets: [ arm64-macos ]
                symbols: [ _inner_fn ]
            ...
            """)
        let obj = try #require(MachOFixtures.compile("int inner_fn(void); int outer_fn(void);\nint main(void) { return inner_fn() + outer_fn(); }\n", name: "m.c", in: dir))
        let r = MachOFixtures.run("cd \(dir) && \(Self.weld) -flavor darwin -arch arm64 -platform_version macos 13.0 13.0 -syslibroot \(dir)/sdk -lSystem -louter -o m \(obj)")
        #expect(r.status == 0, "\(r.output)")
        let used = MachOFixtures.run("llvm-objdump --macho --dylibs-used \(dir)/m").output
        #expect(used.contains("/usr/lib/libouter.dylib") && used.contains("/usr/lib/libinner.dylib"), "\(used)")
        let nm = MachOFixtures.run("llvm-nm -m \(dir)/m").output
        #expect(nm.contains("_inner_fn (from libinner)") && nm.contains("_outer_fn (from libouter)"), "\(nm)")
    }

    /// -dependency_info lists the linker version, every input, then the output (ld64's records).
    @Test(.enabled(if: MachOLinkTests.available)) func dependencyInfoRecords() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let obj = try #require(MachOFixtures.compile("int main(void) { return 0; }\n", name: "d.c", in: dir))
        #expect(weldLink("-dependency_info deps.dat -o d \(obj)", in: dir).status == 0)
        let bytes = MachOFixtures.read("\(dir)/deps.dat")
        var records: [(UInt8, String)] = []
        var i = 0
        while i < bytes.count {
            let op = bytes[i]
            var j = i + 1
            while j < bytes.count && bytes[j] != 0 { j += 1 }
            records.append((op, String(decoding: bytes[(i + 1)..<j], as: UTF8.self)))
            i = j + 1
        }
        #expect(records.first?.0 == 0x00)
        #expect(records.contains { $0.0 == 0x10 && $0.1 == obj })
        #expect(records.contains { $0.0 == 0x10 && $0.1.hasSuffix("libSystem.tbd") })
        #expect(records.last.map { $0.0 == 0x40 && $0.1 == "d" } == true)
    }

    /// Strong beats weak, a definition beats a common, first weak wins among weak ones, and an
    /// archive member comes in only when something needs it (or with -all_load).
    @Test(.enabled(if: MachOLinkTests.available)) func resolutionRules() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let main = try #require(MachOFixtures.compile("""
            __attribute__((weak)) int chosen = 1;
            __attribute__((weak)) int first_weak = 10;
            int tentative;
            int from_archive(void);
            int main(void) { return chosen * 100 + first_weak + tentative + from_archive(); }
            """, name: "main.c", in: dir, flags: "-O0 -fcommon"))
        let strong = try #require(MachOFixtures.compile("int chosen = 2;\n__attribute__((weak)) int first_weak = 20;\nint tentative = 3;\n", name: "strong.c", in: dir, flags: "-O0"))
        let member = try #require(MachOFixtures.compile("int from_archive(void) { return 4; }\n", name: "member.c", in: dir))
        let unused = try #require(MachOFixtures.compile("int never_used(void) { return 5; }\n", name: "unused.c", in: dir))
        _ = MachOFixtures.run("cd \(dir) && /opt/swift/usr/bin/llvm-ar --format=darwin rcs libm.a \(member) \(unused)")
        #expect(weldLink("-o r \(main) \(strong) libm.a", in: dir).status == 0)
        // chosen = 2 (strong), first_weak = 10 (first weak), tentative = 3 (defined), 4 from the archive.
        let expected: Int32 = 217
        #expect(runProgram("\(dir)/r").status == expected)
        let nm = MachOFixtures.run("llvm-nm -m \(dir)/r").output
        #expect(nm.contains("_from_archive") && !nm.contains("_never_used"))
        #expect(weldLink("-all_load -o all \(main) \(strong) libm.a", in: dir).status == 0)
        #expect(MachOFixtures.run("llvm-nm -m \(dir)/all").output.contains("_never_used"))
    }

    /// -order_file puts the listed functions first, in order; -map lists sections and symbols.
    @Test(.enabled(if: MachOLinkTests.available)) func orderFileAndMap() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let obj = try #require(MachOFixtures.compile("""
            int alpha(void) { return 1; }
            int beta(void) { return 2; }
            int gamma_(void) { return 3; }
            int main(void) { return alpha() + beta() + gamma_(); }
            """, name: "o.c", in: dir, flags: "-O0"))
        MachOFixtures.write("\(dir)/order.txt", "_gamma_\n# a comment\n_beta\n")
        #expect(weldLink("-order_file order.txt -map o.map -o o \(obj)", in: dir).status == 0)
        #expect(runProgram("\(dir)/o").status == 6)
        let lines = MachOFixtures.run("llvm-nm -n \(dir)/o").output.split(separator: "\n").map { String($0.split(separator: " ").last ?? "") }
        let text = lines.filter { ["_alpha", "_beta", "_gamma_", "_main"].contains($0) }
        #expect(text == ["_gamma_", "_beta", "_alpha", "_main"])
        let map = String(decoding: MachOFixtures.read("\(dir)/o.map"), as: UTF8.self)
        #expect(map.contains("# Sections:") && map.contains("__TEXT\t__text") && map.contains("_gamma_"))
    }

    /// -u pulls an archive member nothing references, -alias adds a name, -pagezero_size moves
    /// the image, -sectalign raises a section's alignment.
    @Test(.enabled(if: MachOLinkTests.available)) func symbolAndLayoutOptions() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let main = try #require(MachOFixtures.compile("int data_word = 1;\nint main(void) { return 9; }\n", name: "m.c", in: dir))
        let member = try #require(MachOFixtures.compile("int only_by_u(void) { return 1; }\n", name: "u.c", in: dir))
        _ = MachOFixtures.run("cd \(dir) && /opt/swift/usr/bin/llvm-ar --format=darwin rcs libu.a \(member)")
        let link = weldLink("-u _only_by_u -alias _main _entry_alias -pagezero_size 0x8000000 -sectalign __DATA __data 0x1000 -o m \(main) libu.a", in: dir)
        #expect(link.status == 0, "\(link.output)")
        #expect(runProgram("\(dir)/m").status == 9)
        let nm = MachOFixtures.run("llvm-nm \(dir)/m").output
        func address(_ name: String) -> UInt64? {
            nm.split(separator: "\n").first { $0.hasSuffix(" " + name) }.flatMap { UInt64($0.split(separator: " ")[0], radix: 16) }
        }
        #expect(address("_only_by_u") != nil)
        #expect(address("_entry_alias") != nil && address("_entry_alias") == address("_main"))
        #expect((address("_main") ?? 0) >= 0x800_0000 && (address("_main") ?? 0) < 0x1_0000_0000)
        #expect((address("_data_word") ?? 1) % 0x1000 == 0)
        let missing = weldLink("-u _nowhere -o m2 \(main)", in: dir)
        #expect(missing.status == 1 && missing.output.contains("-u command-line option"))
    }

    /// __eh_frame is split per record: -dead_strip drops the FDE of an unused function, and the
    /// remaining FDEs still describe their functions (pc_begin and CIE pointers recomputed).
    @Test(.enabled(if: MachOLinkTests.available)) func deadStripDropsUnusedFDEs() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let obj = try #require(MachOFixtures.compile(Self.dwarfFrames, name: "fr.s", in: dir))
        #expect(weldLink("-o keep \(obj)", in: dir).status == 0)
        #expect(weldLink("-dead_strip -o strip \(obj)", in: dir).status == 0)
        func fdes(_ file: String) -> [String] {
            MachOFixtures.run("llvm-dwarfdump --eh-frame \(dir)/\(file)").output.split(separator: "\n").map(String.init).filter { $0.contains(" FDE ") }
        }
        #expect(fdes("keep").count == 3)
        let stripped = fdes("strip")
        #expect(stripped.count == 2)
        let nm = MachOFixtures.run("llvm-nm \(dir)/strip").output
        for name in ["_main", "_odd_frame"] {
            let address = nm.split(separator: "\n").first { $0.hasSuffix(" " + name) }.map { String($0.split(separator: " ")[0].drop { $0 == "0" }) } ?? "?"
            #expect(stripped.contains { $0.contains("pc=\(address)") }, "\(name) at \(address): \(stripped)")
        }
        #expect(runProgram("\(dir)/strip").status == 0)
    }

    /// Libraries are searched in command-line order: an archive before a dylib defining the
    /// same name supplies it, a dylib before the archive wins instead.
    @Test(.enabled(if: MachOLinkTests.available)) func firstLibraryOnTheCommandLineWins() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let main = try #require(MachOFixtures.compile("int provider(void);\nint main(void) { return provider(); }\n", name: "m.c", in: dir))
        let a = try #require(MachOFixtures.compile("int provider(void) { return 1; }\n", name: "a.c", in: dir))
        let d = try #require(MachOFixtures.compile("int provider(void) { return 2; }\n", name: "d.c", in: dir))
        _ = MachOFixtures.run("cd \(dir) && /opt/swift/usr/bin/llvm-ar --format=darwin rcs libarch.a \(a)")
        #expect(weldLink("-dylib -install_name @executable_path/libdyn.dylib -o libdyn.dylib \(d)", in: dir).status == 0)
        #expect(weldLink("-o first_archive \(main) libarch.a libdyn.dylib", in: dir).status == 0)
        // The object after both libraries: ld64 loads objects first, then searches libraries in
        // order, so the archive still wins.
        #expect(weldLink("-o object_last libarch.a libdyn.dylib \(main)", in: dir).status == 0)
        #expect(runProgram("\(dir)/object_last").status == 1)
        #expect(weldLink("-o first_dylib \(main) libdyn.dylib libarch.a", in: dir).status == 0)
        #expect(runProgram("\(dir)/first_archive").status == 1)
        #expect(runProgram("\(dir)/first_dylib").status == 2)
    }

    /// -dead_strip_dylibs drops load commands for libraries nothing binds to.
    @Test(.enabled(if: MachOLinkTests.available)) func deadStripDylibs() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let lib = try #require(MachOFixtures.compile("int unused_lib_fn(void) { return 1; }\n", name: "l.c", in: dir))
        let main = try #require(MachOFixtures.compile("int main(void) { return 3; }\n", name: "m.c", in: dir))
        #expect(weldLink("-dylib -install_name @rpath/libunused.dylib -o libunused.dylib \(lib)", in: dir).status == 0)
        #expect(weldLink("-o keep \(main) -L. -lunused", in: dir).status == 0)
        #expect(weldLink("-dead_strip_dylibs -o drop \(main) -L. -lunused", in: dir).status == 0)
        #expect(MachOFixtures.run("llvm-objdump --macho --dylibs-used \(dir)/keep").output.contains("libunused"))
        let dropped = MachOFixtures.run("llvm-objdump --macho --dylibs-used \(dir)/drop").output
        #expect(!dropped.contains("libunused") && dropped.contains("libSystem"), "\(dropped)")
        #expect(runProgram("\(dir)/drop").status == 3)
    }

    /// -init runs the named function before the inputs' initializers, in both fixup modes.
    @Test(.enabled(if: MachOLinkTests.available)) func initRunsFirst() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let obj = try #require(MachOFixtures.compile("""
            int printf(const char *, ...);
            void my_init(void) { printf("init;"); }
            __attribute__((constructor)) static void ctor(void) { printf("ctor;"); }
            int main(void) { printf("main\\n"); return 0; }
            """, name: "i.c", in: dir))
        for mode in ["", "-no_fixup_chains"] {
            #expect(weldLink("\(mode) -init _my_init -o i \(obj)", in: dir).status == 0)
            let r = runProgram("\(dir)/i", slide: "0x4000000")
            #expect(r.output.hasPrefix("init;ctor;main"), "\(mode): \(r.output)")
        }
        #expect(weldLink("-init _nowhere -o j \(obj)", in: dir).status == 1)
    }

    /// Two objects with the same CIE: the output keeps one, and every FDE points at it.
    @Test(.enabled(if: MachOLinkTests.available)) func identicalCIEsAreMerged() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let a = try #require(MachOFixtures.compile(Self.dwarfFrames, name: "a.s", in: dir))
        let renamed = Self.dwarfFrames.replacing("_main", with: "_main2")
            .replacing("_odd_frame", with: "_odd2").replacing("_unused_frame", with: "_unused2")
        let b = try #require(MachOFixtures.compile(renamed, name: "b.s", in: dir))
        #expect(weldLink("-o two \(a) \(b)", in: dir).status == 0)
        let dump = MachOFixtures.run("llvm-dwarfdump --eh-frame \(dir)/two").output.split(separator: "\n")
        #expect(dump.filter { $0.contains(" CIE") }.count == 1)
        let fdes = dump.filter { $0.contains(" FDE ") }
        #expect(fdes.count == 6 && fdes.allSatisfy { $0.contains("cie=00000000") }, "\(fdes)")
        #expect(runProgram("\(dir)/two").status == 0)
    }

    static let dwarfFrames = """
    .section __TEXT,__text,regular,pure_instructions
    .globl _main
    .p2align 2
_main:
    .cfi_startproc
    stp x29, x30, [sp, #-16]!
    .cfi_def_cfa_offset 16
    .cfi_offset w30, -8
    .cfi_offset w29, -16
    mov x0, #1
    bl _odd_frame
    mov x0, #0
    ldp x29, x30, [sp], #16
    ret
    .cfi_endproc
    .globl _unused_frame
    .p2align 2
_unused_frame:
    .cfi_startproc
    sub sp, sp, #48
    .cfi_def_cfa_offset 48
    stp x29, x30, [sp, #32]
    str x19, [sp, #8]
    str x20, [sp, #24]
    add x29, sp, #32
    .cfi_def_cfa w29, 16
    .cfi_offset w30, -8
    .cfi_offset w29, -16
    .cfi_offset w20, -24
    .cfi_offset w19, -40
    mov x19, x0
    mov x20, #7777
    nop
    add x0, x0, x19
    add x0, x0, x20
    ldr x19, [sp, #8]
    ldr x20, [sp, #24]
    ldp x29, x30, [sp, #32]
    add sp, sp, #48
    ret
    .cfi_endproc
    .globl _odd_frame
    .p2align 2
_odd_frame:
    .cfi_startproc
    sub sp, sp, #48
    .cfi_def_cfa_offset 48
    stp x29, x30, [sp, #32]
    str x19, [sp, #8]
    str x20, [sp, #24]
    add x29, sp, #32
    .cfi_def_cfa w29, 16
    .cfi_offset w30, -8
    .cfi_offset w29, -16
    .cfi_offset w20, -24
    .cfi_offset w19, -40
    mov x19, x0
    mov x20, #7777
    nop
    add x0, x0, x19
    add x0, x0, x20
    ldr x19, [sp, #8]
    ldr x20, [sp, #24]
    ldp x29, x30, [sp, #32]
    add sp, sp, #48
    ret
    .cfi_endproc
.subsections_via_symbols
"""
}
