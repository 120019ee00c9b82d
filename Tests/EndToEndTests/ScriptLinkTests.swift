// Linker scripts (issue 4, item 7): programs linked with `-T script` through the compiler
// driver (gcc -B DIR, DIR/ld → weld). Bare-metal style programs (`-nostdlib -static`, a
// `_start` that makes system calls) have identical contents under weld and GNU ld, so the
// layout the script asks for is compared exactly with GNU ld's: section addresses and sizes
// (`readelf -S`), PT_LOAD addresses, load addresses and flags (`readelf -l`), and the values
// of script-defined symbols. Both results run. glibc programs linked with GNU ld's own default
// scripts (static and PIE) run like GNU ld's. Errors name the script, line and column.
import Foundation
import Testing

enum ScriptFixtures {
    typealias FixtureError = GcFixtures.FixtureError
    static let memo = Memo<String, Result<String, FixtureError>>()
    static var dir: String { Paths.work + "/linker-scripts" }

    /// A program without libc: writes a line, then exits 0 if what the script defined agrees
    /// with what it sees.
    static let bareMain = """
        extern char __data_start_sym[], __data_end_sym[], _text_marker[];
        extern long weld_magic;
        int counter = 5;
        static int zeroed[16];
        const char msg[] = "hello from a scripted link\\n";
        __attribute__((used, section(".keepme"))) const int keep_me = 42;
        __attribute__((section(".dropme"))) const int drop_me = 43;
        static long sys3(long n, long a, long b, long c) {
            long r;
            __asm__ volatile ("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
            return r;
        }
        __attribute__((noinline)) int weld_unused_function(int x) { return x * 3; }
        void _start(void) {
            sys3(1, 1, (long)msg, sizeof msg - 1);
            zeroed[2] = counter;
            int ok = counter == 5 && zeroed[3] == 0 && (__data_end_sym - __data_start_sym) >= 4 && weld_magic == 0x1234;
            ok = ok && (unsigned long)_text_marker == TEXT_MARKER;
            sys3(60, ok ? 0 : 1, 0, 0);
        }
        """
    static let magic = "long weld_magic = 0x1234;\n"

    /// Compiles a source text once per (name, flags).
    static func object(_ name: String, _ source: String, _ flags: [String]) async throws -> String {
        let key = name + " " + flags.joined(separator: " ")
        let r = await memo.value(for: key) {
            let objDir = dir + "/objects/" + (flags.joined().replacingOccurrences(of: "/", with: "_"))
            try? FileManager.default.createDirectory(atPath: objDir, withIntermediateDirectories: true)
            let src = "\(objDir)/\(name)"
            let obj = "\(objDir)/\((name as NSString).deletingPathExtension).o"
            do { try source.write(toFile: src, atomically: true, encoding: .utf8) } catch {
                return .failure(FixtureError(description: "cannot write \(src): \(error)"))
            }
            guard let cc = Tools.gcc else { return .failure(FixtureError(description: "no gcc")) }
            let r = await ProcessRunner.run([cc, "-c", "-O2", "-ffunction-sections", "-fdata-sections"] + flags + [src, "-o", obj],
                                            timeout: 300, scratch: objDir)
            return r.termination.isSuccess ? .success(obj)
                : .failure(FixtureError(description: Report.step("compiling \(name) failed", r)))
        }
        return try r.get()
    }

    static let bareFlags = ["-fno-pie", "-fno-stack-protector", "-fno-asynchronous-unwind-tables"]

    static func bareObjects(textMarker: UInt64) async throws -> [String] {
        let flags = bareFlags + ["-DTEXT_MARKER=0x\(String(textMarker, radix: 16))"]
        return [try await object("bare_main.c", bareMain, flags), try await object("bare_magic.c", magic, bareFlags)]
    }

    /// GNU ld's built-in script for `flags` (`ld --verbose`), written to `dir`; nil without GNU ld.
    static func defaultScript(_ dir: String, _ flags: [String]) async throws -> String? {
        guard let ld = ["/usr/bin/ld.bfd", "/usr/bin/ld"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
        let v = await ProcessRunner.run([ld, "--verbose"] + flags, timeout: 60, scratch: dir)
        let lines = v.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
        guard let a = lines.firstIndex(where: { $0.hasPrefix("=====") }),
              let b = lines[(a + 1)...].firstIndex(where: { $0.hasPrefix("=====") }) else { return nil }
        return try writeScript(dir, "default\(flags.joined()).ld", lines[(a + 1)..<b].joined(separator: "\n"))
    }

    static func writeScript(_ dir: String, _ name: String, _ text: String) throws -> String {
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// (name, type, address, size) of allocated sections, in header order.
    static func allocSections(_ file: String) async throws -> [String] {
        var out: [String] = []
        for line in try await GcFixtures.readelf(["-S"], file).split(separator: "\n") {
            guard let close = line.firstIndex(of: "]"), line.contains("[") else { continue }
            let f = line[line.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
            // Name Type Address Off Size ES Flg ...
            guard f.count >= 7, f[0] != "Name", f[6].contains("A") else { continue }
            out.append("\(f[0]) \(f[1]) addr=\(f[2]) size=\(f[4]) flags=\(f[6])")
        }
        return out
    }

    /// PT_LOAD lines: virtual address, physical (load) address, sizes, flags.
    static func loads(_ file: String) async throws -> [String] {
        try await GcFixtures.readelf(["-l"], file).split(separator: "\n").filter { $0.hasPrefix("  LOAD") }.map { line in
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            return "vaddr=\(f[2]) paddr=\(f[3]) filesz=\(f[4]) memsz=\(f[5]) flags=\(f[6...].dropLast().joined())"
        }
    }

    /// Value of each named symbol in .symtab.
    static func symbolValues(_ file: String, _ names: [String]) async throws -> [String: String] {
        try await symbolEntries(file, names).mapValues { String($0.split(separator: " ")[0]) }
    }

    /// Value and section index (or ABS) of each named symbol in .symtab.
    static func symbolEntries(_ file: String, _ names: [String]) async throws -> [String: String] {
        var out: [String: String] = [:]
        for line in try await GcFixtures.readelf(["-s"], file).split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            if f.count >= 8, f[0].hasSuffix(":"), names.contains(String(f[7])) { out[String(f[7])] = "\(f[1]) ndx=\(f[6])" }
        }
        return out
    }

    /// Links with weld and with GNU ld, runs both, and compares their layouts.
    static func compareWithGNU(_ name: String, script: String, objects: [String], extra: [String] = [],
                               symbols: [String] = [], run: Bool = true) async throws -> (weld: String, gnu: String) {
        let d = try GcFixtures.caseDir(name)
        let path = try writeScript(d, name + ".ld", script)
        // No build-id note: its placement is an orphan's, tested by the glibc links below.
        let flags = ["-nostdlib", "-static", "-Wl,--build-id=none", "-Wl,-T,\(path)"] + extra
        let w = d + "/weld.out", g = d + "/gnu-ld.out"
        _ = try await GcFixtures.linkOK(objects, output: w, flags: flags)
        _ = try await GcFixtures.linkOK(objects, output: g, reference: true, flags: flags)
        if run {
            let rw = await GcFixtures.run(w), rg = await GcFixtures.run(g)
            #expect(rg.termination == .exited(0), Comment(rawValue: Report.step("GNU ld's link should run", rg)))
            #expect(rw.termination == rg.termination && rw.stdoutText == rg.stdoutText,
                    Comment(rawValue: Report.step("weld's link runs differently from GNU ld's", rw)))
        }
        let sw = try await allocSections(w), sg = try await allocSections(g)
        #expect(!sg.isEmpty)
        #expect(sw == sg, "sections differ:\nweld:\n\(sw.joined(separator: "\n"))\nGNU ld:\n\(sg.joined(separator: "\n"))")
        let lw = try await loads(w), lg = try await loads(g)
        #expect(lw == lg, "PT_LOAD segments differ:\nweld:\n\(lw.joined(separator: "\n"))\nGNU ld:\n\(lg.joined(separator: "\n"))")
        if !symbols.isEmpty {
            let vw = try await symbolEntries(w, symbols), vg = try await symbolEntries(g, symbols)
            #expect(vg.count == symbols.count, "GNU ld should define \(symbols)")
            #expect(vw == vg, "script symbols differ: weld \(vw), GNU ld \(vg)")
        }
        return (w, g)
    }
}

@Suite("linker scripts", .serialized)
struct ScriptLinkTests {
    static let enabled = Weld.shouldRun && Tools.gcc != nil && Tools.readelf != nil

    @Test("SECTIONS: fixed addresses, wildcards, `.`, symbols, PROVIDE, KEEP with --gc-sections, /DISCARD/, ENTRY",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func sectionsLayout() async throws {
        let script = """
            ENTRY(_start)
            SECTIONS
            {
              . = 0x200000;
              _text_marker = .;
              .text : { *(.text .text.*) }
              .rodata : { *(.rodata .rodata.*) KEEP(*(.keepme)) }
              . = ALIGN(0x1000);
              __data_start_sym = .;
              .data : { *(.data .data.*) }
              __data_end_sym = .;
              PROVIDE(weld_unused_provide = 1);
              PROVIDE(weld_magic = 7);
              .bss : { __bss_start_sym = .; *(.bss .bss.*) *(COMMON) __bss_end_sym = .; }
              _end_sym = .;
              /DISCARD/ : { *(.dropme) *(.comment) *(.note.GNU-stack) *(.eh_frame) }
            }
            """
        let objects = try await ScriptFixtures.bareObjects(textMarker: 0x200000)
        let (w, _) = try await ScriptFixtures.compareWithGNU("sections", script: script, objects: objects, extra: ["-Wl,--gc-sections"],
                                                              symbols: ["_text_marker", "__data_start_sym", "__data_end_sym", "__bss_start_sym",
                                                                        "__bss_end_sym", "_end_sym", "weld_magic"])
        let syms = try await GcFixtures.symbols(w)
        #expect(syms.contains("keep_me"), "KEEP(*(.keepme)) must survive --gc-sections")
        #expect(!syms.contains("weld_unused_function"), "--gc-sections should still drop unreferenced code")
        #expect(!syms.contains("drop_me"), "/DISCARD/ drops .dropme")
        #expect(!syms.contains("weld_unused_provide"), "an unreferenced PROVIDE defines nothing")
        #expect(try await ScriptFixtures.loads(w).first?.hasPrefix("vaddr=0x0000000000200000 ") == true, "the first segment starts at `. = 0x200000`")
    }

    @Test("MEMORY regions, REGION_ALIAS, AT() and AT> load addresses, LOADADDR, data commands, ASSERT",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func memoryAndLoadAddresses() async throws {
        let script = """
            ENTRY(_start)
            MEMORY
            {
              rom (rx) : ORIGIN = 0x100000, LENGTH = 64K
              ram (rwx) : ORIGIN = 0x300000, LENGTH = 0x2000
            }
            REGION_ALIAS("REGION_TEXT", rom);
            SECTIONS
            {
              .text : { _text_marker = 0x200000; *(.text .text.*) } > REGION_TEXT
              .rodata : { *(.rodata .rodata.*) KEEP(*(.keepme)) } > rom
              .data : { __data_start_sym = .; *(.data .data.*) __data_end_sym = .; } > ram AT> rom
              _data_lma = LOADADDR(.data);
              .bss : ALIGN(0x1000) { *(.bss .bss.*) *(COMMON) . = ALIGN(8); } > ram
              .stack : AT(0x180000) { . += 0x100; LONG(0xdeadbeef) BYTE(7) QUAD(ORIGIN(ram) + LENGTH(ram)) } > ram
              _stack_lma = LOADADDR(.stack);
              ASSERT(SIZEOF(.text) > 0, "no text")
              /DISCARD/ : { *(.dropme) *(.comment) *(.note.GNU-stack) *(.eh_frame) }
            }
            """
        // .text sits at 0x100000: _text_marker is .text + 0x200000 (a number inside a section
        // is relative to it, in GNU ld).
        let objects = try await ScriptFixtures.bareObjects(textMarker: 0x300000)
        let (w, g) = try await ScriptFixtures.compareWithGNU("memory", script: script, objects: objects,
                                                              symbols: ["_text_marker", "_data_lma", "_stack_lma", "__data_start_sym"])
        // The data commands' bytes, as GNU ld wrote them.
        func stackBytes(_ f: String) async throws -> String {
            try await GcFixtures.readelf(["-x", ".stack"], f).split(separator: "\n").filter { $0.hasPrefix("  0x") }.suffix(2).joined(separator: "\n")
        }
        let bw = try await stackBytes(w), bg = try await stackBytes(g)
        #expect(!bg.isEmpty && bw == bg, "the .stack data differs:\nweld:\n\(bw)\nGNU ld:\n\(bg)")
        // The link map shows the load address next to the address.
        let dataLMA = try await ScriptFixtures.symbolValues(w, ["_data_lma"])["_data_lma"] ?? "?"
        let map = (w as NSString).deletingLastPathComponent + "/weld.map"
        let scriptPath = (w as NSString).deletingLastPathComponent + "/memory.ld"
        _ = try await GcFixtures.linkOK(objects, output: w + ".2", flags: ["-nostdlib", "-static", "-Wl,--build-id=none", "-Wl,-T,\(scriptPath)", "-Wl,-Map,\(map)"])
        try weldSpecific("weld's link map") {
            let text = try String(contentsOfFile: map, encoding: .utf8)
            let line = text.split(separator: "\n").first { $0.hasSuffix(" .data") }.map(String.init) ?? ""
            let lma = String(dataLMA.drop { $0 == "0" })
            #expect(line.contains(" 300000 ") && line.contains(" \(lma) "), "map line for .data: '\(line)', LMA \(lma)")
        }
    }

    @Test("load addresses: AT > region unaligned, inherited by the next section of the region, per-region VMA-LMA difference",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func loadAddressRules() async throws {
        let start = """
            int d = 1;
            int z;
            const char r[] = "abc";
            void _start(void) { __asm__ volatile ("mov $60, %eax; xor %edi, %edi; syscall"); }
            """
        let obj = try await ScriptFixtures.object("start_lma.c", start, ScriptFixtures.bareFlags + ["-fno-data-sections", "-fno-function-sections"])
        let script = """
            MEMORY { rom (rx) : ORIGIN = 0x100000, LENGTH = 1K
                     ram (rw) : ORIGIN = 0x200000, LENGTH = 8K }
            SECTIONS {
              .text : { *(.text*) } > rom
              .data : { *(.data*) } > ram AT > rom
              .bss : ALIGN(0x1000) { *(.bss*) } > ram
              .rodata : { *(.rodata*) } > rom
              /DISCARD/ : { *(.comment) *(.note.GNU-stack) *(.eh_frame) }
            }
            """
        _ = try await ScriptFixtures.compareWithGNU("lma-rules", script: script, objects: [obj], symbols: ["d", "z", "r"], run: false)
    }

    @Test("file patterns: archive members match by their own names and as archive:member, as in GNU ld",
          .enabled(if: enabled && Tools.ar != nil, Comment(rawValue: Weld.missingMessage)),
          arguments: ["*bare_magic.o", "*libweldmagic.a:bare_magic.o", "*libweldmagic.a:"])
    func archiveMembers(_ filePattern: String) async throws {
        let d = try GcFixtures.caseDir("archive-members-lib")
        let objects = try await ScriptFixtures.bareObjects(textMarker: 0x200000)
        let archive = d + "/libweldmagic.a"
        let ar = await ProcessRunner.run([Tools.ar!, "rcs", archive, objects[1]], timeout: 60, scratch: d)
        #expect(ar.termination.isSuccess, Comment(rawValue: Report.step("ar", ar)))
        let script = """
            ENTRY(_start)
            SECTIONS {
              . = 0x200000;
              _text_marker = .;
              .text : { *(.text .text.*) }
              .rodata : { *(.rodata .rodata.*) KEEP(*(.keepme)) }
              .magic : { \(filePattern)(.data*) }
              .data : { __data_start_sym = .; *(.data .data.*) __data_end_sym = .; }
              .bss : { *(.bss .bss.*) }
              /DISCARD/ : { *(.comment) *(.note*) *(.eh_frame) *(.dropme) }
            }
            """
        let (w, _) = try await ScriptFixtures.compareWithGNU("archive-members-\(filePattern.filter(\.isLetter))", script: script, objects: [objects[0], archive],
                                                              symbols: ["weld_magic", "__data_start_sym"])
        #expect(try await ScriptFixtures.allocSections(w).contains { $0.hasPrefix(".magic PROGBITS") }, "the member's .data goes to .magic")
    }

    @Test("COMMON symbols, .bss followed by contents in one segment, a data-only section, symbols at section ends",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func commonsAndBssInTheMiddle() async throws {
        let source = """
            int common_a; long common_b[8]; static int local_z; int init_d = 1;
            void _start(void) {
                common_a = 1; common_b[1] = 2; local_z = 3;
                __asm__ volatile ("mov $60, %eax; xor %edi, %edi; syscall");
            }
            """
        let obj = try await ScriptFixtures.object("commons.c", source, ScriptFixtures.bareFlags + ["-fcommon", "-O0"])
        let script = """
            SECTIONS {
              . = 0x10000;
              .text : { *(.text*) }
              .data : { *(.data*) }
              .bss : { _sbss = .; *(.bss*) *(COMMON) . = ALIGN(16); _ebss = .; }
              .after : { LONG(1) }
              _end_all = .;
              /DISCARD/ : { *(.comment) *(.note*) }
            }
            """
        _ = try await ScriptFixtures.compareWithGNU("commons", script: script, objects: [obj],
                                                    symbols: ["_sbss", "_ebss", "_end_all", "common_a", "common_b", "local_z", "init_d"])
    }

    @Test("orphans keep their names, go where GNU ld puts them, and take regions and load addresses from their neighbours",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func orphansInRegions() async throws {
        let multi = """
            __attribute__((section(".text.b_second"))) int fb(void) { return 2; }
            __attribute__((section(".text.a_first"))) int fa(void) { return 1; }
            __attribute__((aligned(64), section(".rodata.big"))) const char big[3] = "x";
            __attribute__((aligned(4), section(".rodata.small"))) const char small[3] = "y";
            __attribute__((section(".init_array.00200"))) void *ia2 = 0;
            __attribute__((section(".init_array.00100"))) void *ia1 = 0;
            int common_a; int init_d = 1;
            void _start(void) { common_a = fa() + fb(); __asm__ volatile ("mov $60, %eax; xor %edi, %edi; syscall"); }
            """
        let obj = try await ScriptFixtures.object("orphans.c", multi, ScriptFixtures.bareFlags + ["-fcommon", "-fno-function-sections", "-fno-data-sections"])
        let script = """
            MEMORY { rom (rx) : ORIGIN = 0x100000, LENGTH = 64K
                     ram (rwx) : ORIGIN = 0x300000, LENGTH = 64K }
            SECTIONS {
              .text : { *(.text) } > rom
              .data : { *(.data*) } > ram AT> rom
              .bss : { *(.bss*) *(COMMON) } > ram
              /DISCARD/ : { *(.comment) *(.note.GNU-stack) }
            }
            """
        _ = try await ScriptFixtures.compareWithGNU("orphans", script: script, objects: [obj],
                                                    symbols: ["fa", "fb", "big", "small", "ia1", "ia2", "common_a", "init_d"], run: false)
    }

    @Test("an STM32CubeMX-style script (vector table, LOADADDR, heap and stack reservation, empty array sections dropped)",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func cubeStyle() async throws {
        let source = """
            extern unsigned _sidata, _sdata, _edata, _sbss, _ebss, _estack, end;
            int counter = 3; int zero;
            const char banner[] = "cube";
            __attribute__((section(".isr_vector"), used)) void *vec[2] = { &_estack, 0 };
            void _start(void) { zero = counter + (int)(long)&end + (int)(long)&_sidata + banner[zero]; }
            """
        let obj = try await ScriptFixtures.object("cube.c", source, ScriptFixtures.bareFlags + ["-fcommon"])
        let script = """
            /* Entry Point */
            ENTRY(_start)
            _estack = ORIGIN(RAM) + LENGTH(RAM);
            _Min_Heap_Size = 0x200;
            _Min_Stack_Size = 0x400;
            MEMORY
            {
              RAM    (xrw)    : ORIGIN = 0x20000000,   LENGTH = 128K
              FLASH    (rx)    : ORIGIN = 0x8000000,   LENGTH = 512K
            }
            SECTIONS
            {
              .isr_vector :
              {
                . = ALIGN(4);
                KEEP(*(.isr_vector))
                . = ALIGN(4);
              } >FLASH
              .text :
              {
                . = ALIGN(4);
                *(.text)
                *(.text*)
                *(.glue_7)
                *(.glue_7t)
                *(.eh_frame)
                KEEP (*(.init))
                KEEP (*(.fini))
                . = ALIGN(4);
                _etext = .;
              } >FLASH
              .rodata :
              {
                . = ALIGN(4);
                *(.rodata)
                *(.rodata*)
                . = ALIGN(4);
              } >FLASH
              .preinit_array     :
              {
                PROVIDE_HIDDEN (__preinit_array_start = .);
                KEEP (*(.preinit_array*))
                PROVIDE_HIDDEN (__preinit_array_end = .);
              } >FLASH
              .init_array :
              {
                PROVIDE_HIDDEN (__init_array_start = .);
                KEEP (*(SORT(.init_array.*)))
                KEEP (*(.init_array*))
                PROVIDE_HIDDEN (__init_array_end = .);
              } >FLASH
              _sidata = LOADADDR(.data);
              .data :
              {
                . = ALIGN(4);
                _sdata = .;
                *(.data)
                *(.data*)
                . = ALIGN(4);
                _edata = .;
              } >RAM AT> FLASH
              . = ALIGN(4);
              .bss :
              {
                _sbss = .;
                __bss_start__ = _sbss;
                *(.bss)
                *(.bss*)
                *(COMMON)
                . = ALIGN(4);
                _ebss = .;
                __bss_end__ = _ebss;
              } >RAM
              ._user_heap_stack :
              {
                . = ALIGN(8);
                PROVIDE ( end = . );
                PROVIDE ( _end = . );
                . = . + _Min_Heap_Size;
                . = . + _Min_Stack_Size;
                . = ALIGN(8);
              } >RAM
              /DISCARD/ :
              {
              }
            }
            """
        _ = try await ScriptFixtures.compareWithGNU("cube", script: script, objects: [obj],
                                                    symbols: ["_sidata", "_sdata", "_edata", "_sbss", "_ebss", "end", "_etext", "vec", "counter"], run: false)
    }

    @Test("strings are merged across objects in a described section, as GNU ld merges them",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func mergedStrings() async throws {
        let a = """
            const char *weld_b(void);
            static long sys3(long n, long x, long y, long z) {
                long r; __asm__ volatile ("syscall" : "=a"(r) : "a"(n), "D"(x), "S"(y), "d"(z) : "rcx", "r11", "memory"); return r;
            }
            const char *weld_a(void) { return "a string both objects have\\n"; }
            void _start(void) {
                sys3(1, 1, (long)weld_a(), 27);
                sys3(60, weld_a() == weld_b() ? 0 : 1, 0, 0);   // merged: one copy, one address
            }
            """
        let b = """
            const char *weld_b(void) { return "a string both objects have\\n"; }
            """
        let objects = [try await ScriptFixtures.object("merge_a.c", a, ScriptFixtures.bareFlags),
                       try await ScriptFixtures.object("merge_b.c", b, ScriptFixtures.bareFlags)]
        let script = """
            ENTRY(_start)
            SECTIONS {
              . = 0x400000;
              .text : { *(.text .text.*) }
              .rodata : { *(.rodata .rodata.*) }
              /DISCARD/ : { *(.comment) *(.note*) *(.eh_frame) }
            }
            """
        _ = try await ScriptFixtures.compareWithGNU("merge", script: script, objects: objects, symbols: ["weld_a", "weld_b"])
    }

    @Test("a kernel-style link: high addresses, AT(ADDR(x) - base), PHDRS with a section in two segments, fill",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func kernelStyle() async throws {
        let source = """
            int kernel_data = 5;
            int kernel_bss[32];
            const char banner[] = "kernel banner";
            extern char _text[], _etext[];
            __attribute__((section(".note.weld"), used, aligned(4))) static const struct { int n, d, t; char name[8]; } note = { 5, 0, 1, "WELD" };
            long startup_64(void) { kernel_bss[1] = kernel_data; return (long)(_etext - _text) + banner[0]; }
            long second(long x) { return x * 3 + kernel_bss[2]; }
            """
        let obj = try await ScriptFixtures.object("kern.c", source, ["-mcmodel=kernel", "-fno-pie", "-fno-asynchronous-unwind-tables"])
        let script = """
            OUTPUT_FORMAT("elf64-x86-64")
            OUTPUT_ARCH(i386:x86-64)
            ENTRY(startup_64)
            __START_KERNEL_map = 0xffffffff80000000;
            PHDRS { text PT_LOAD FLAGS(5); data PT_LOAD FLAGS(6); note PT_NOTE FLAGS(0); }
            SECTIONS {
              . = __START_KERNEL_map + 0x1000000;
              .text : AT(ADDR(.text) - __START_KERNEL_map) { _text = .; *(.text .text.*) _etext = .; } :text = 0xcccc
              .rodata : AT(ADDR(.rodata) - __START_KERNEL_map) { *(.rodata .rodata.*) } :text
              .notes : AT(ADDR(.notes) - __START_KERNEL_map) { *(.note.*) } :text :note
              . = ALIGN(4096);
              .data : AT(ADDR(.data) - __START_KERNEL_map) { *(.data .data.*) } :data
              __bss_start = .;
              .bss : AT(ADDR(.bss) - __START_KERNEL_map) { *(.bss .bss.*) } :data
              __bss_stop = .;
              /DISCARD/ : { *(.eh_frame) *(.comment) *(.note.GNU-stack) }
            }
            """
        let (w, g) = try await ScriptFixtures.compareWithGNU("kernel", script: script, objects: [obj],
                                                              symbols: ["_text", "_etext", "__bss_start", "__bss_stop", "banner", "kernel_bss"], run: false)
        func headers(_ f: String) async throws -> [String] {
            try await GcFixtures.readelf(["-l"], f).split(separator: "\n").filter { $0.hasPrefix("  LOAD") || $0.hasPrefix("  NOTE") }.map(String.init)
        }
        let hw = try await headers(w), hg = try await headers(g)
        #expect(hw == hg, "program headers differ:\nweld:\n\(hw.joined(separator: "\n"))\nGNU ld:\n\(hg.joined(separator: "\n"))")
        let tw = try await GcFixtures.readelf(["-x", ".text"], w), tg = try await GcFixtures.readelf(["-x", ".text"], g)
        let bytes = { (s: String) in s.split(separator: "\n").filter { $0.hasPrefix("  0x") }.joined(separator: "\n") }
        #expect(bytes(tw) == bytes(tg), ".text (with its 0xcccc fill) differs:\nweld:\n\(bytes(tw))\nGNU ld:\n\(bytes(tg))")
    }

    @Test("DEFINED(x) ? x : default keeps a --defsym or an input's definition; otherwise the default",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func definedIdiom() async throws {
        let objects = try await ScriptFixtures.bareObjects(textMarker: 0x200000)
        let script = """
            ENTRY(_start)
            weld_stack_size = DEFINED(weld_stack_size) ? weld_stack_size : 0x800;
            weld_heap_size = DEFINED(weld_heap_size) ? weld_heap_size : 0x400;
            weld_magic_seen = DEFINED(weld_magic) ? 1 : 0;
            SECTIONS {
              . = 0x200000;
              _text_marker = .;
              .text : { *(.text .text.*) }
              .rodata : { *(.rodata .rodata.*) KEEP(*(.keepme)) }
              .data : { __data_start_sym = .; *(.data .data.*) __data_end_sym = .; }
              .bss : { *(.bss .bss.*) . += weld_heap_size; _stack_top = .; }
              /DISCARD/ : { *(.comment) *(.note*) *(.eh_frame) *(.dropme) }
            }
            """
        _ = try await ScriptFixtures.compareWithGNU("defined", script: script, objects: objects, extra: ["-Wl,--defsym,weld_stack_size=0x1000"],
                                                    symbols: ["weld_stack_size", "weld_heap_size", "weld_magic_seen", "_stack_top"])
    }

    @Test("a kernel per-CPU section: address 0, its own PT_LOAD, loaded after .data, `.` set past it by SIZEOF",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func perCPU() async throws {
        let source = """
            __attribute__((section(".data..percpu"))) long percpu_counter = 7;
            __attribute__((section(".data..percpu..first"))) long percpu_first = 1;
            int kernel_data = 5;
            long startup_64(void) { return percpu_counter + kernel_data + percpu_first; }
            """
        let obj = try await ScriptFixtures.object("pcpu.c", source, ["-mcmodel=kernel", "-fno-pie", "-fno-asynchronous-unwind-tables"])
        let script = """
            OUTPUT_FORMAT("elf64-x86-64")
            ENTRY(startup_64)
            PHDRS { text PT_LOAD FLAGS(5); data PT_LOAD FLAGS(6); percpu PT_LOAD FLAGS(6); init PT_LOAD FLAGS(7); }
            SECTIONS {
              . = 0xffffffff81000000;
              .text : AT(ADDR(.text) - 0xffffffff80000000) { _text = .; *(.text .text.*) _etext = .; } :text = 0xcccc
              . = ALIGN(0x1000);
              .data : AT(ADDR(.data) - 0xffffffff80000000) { *(.data) } :data
              . = ALIGN(0x1000);
              __init_begin = .;
              .data..percpu 0 : AT(__init_begin - 0xffffffff80000000) {
                __per_cpu_load = .;
                __per_cpu_start = .;
                *(.data..percpu..first)
                . = ALIGN(64);
                *(.data..percpu)
                __per_cpu_end = .;
              } :percpu
              . = __init_begin + SIZEOF(.data..percpu);
              .init.data : AT(ADDR(.init.data) - 0xffffffff80000000) { BYTE(1) } :init
              /DISCARD/ : { *(.comment) *(.note*) *(.eh_frame) }
            }
            """
        _ = try await ScriptFixtures.compareWithGNU("percpu", script: script, objects: [obj],
                                                    symbols: ["__per_cpu_load", "__per_cpu_start", "__per_cpu_end", "percpu_counter", "percpu_first",
                                                              "__init_begin", "_text", "_etext"], run: false)
    }

    @Test("PHDRS: explicit program headers with FILEHDR, PHDRS and FLAGS",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func explicitProgramHeaders() async throws {
        let script = """
            ENTRY(_start)
            PHDRS
            {
              headers PT_PHDR PHDRS;
              text PT_LOAD FILEHDR PHDRS;
              data PT_LOAD FLAGS(6);
            }
            SECTIONS
            {
              . = 0x400000 + SIZEOF_HEADERS;
              _text_marker = .;
              .text : { *(.text .text.*) } :text
              .rodata : { *(.rodata .rodata.*) KEEP(*(.keepme)) }
              . = ALIGN(0x1000);
              .data : { __data_start_sym = .; *(.data .data.*) __data_end_sym = .; } :data
              .bss : { *(.bss .bss.*) }
              /DISCARD/ : { *(.dropme) *(.comment) *(.note.GNU-stack) *(.eh_frame) }
            }
            """
        // SIZEOF_HEADERS = 64 + 3 * 56 = 0xe8; .text is 16-aligned.
        let objects = try await ScriptFixtures.bareObjects(textMarker: 0x4000e8)
        let (w, g) = try await ScriptFixtures.compareWithGNU("phdrs", script: script, objects: objects,
                                                              symbols: ["_text_marker", "__data_start_sym"])
        func headers(_ f: String) async throws -> [String] {
            try await GcFixtures.readelf(["-l"], f).split(separator: "\n").filter { $0.hasPrefix("  PHDR") || $0.hasPrefix("  LOAD") }.map(String.init)
        }
        let hw = try await headers(w), hg = try await headers(g)
        #expect(hw.count == 3 && hw == hg, "program headers differ:\nweld:\n\(hw.joined(separator: "\n"))\nGNU ld:\n\(hg.joined(separator: "\n"))")
    }

    @Test("a static glibc program linked with GNU ld's default script runs like GNU ld's",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)), arguments: ["static", "pie"])
    func glibcWithDefaultScript(_ mode: String) async throws {
        let d = try GcFixtures.caseDir("default-script-\(mode)")
        guard let script = try await ScriptFixtures.defaultScript(d, mode == "pie" ? ["-pie"] : []) else {
            Issue.record("no default script in `ld --verbose`")
            return
        }
        let source = """
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            __thread int tls_counter = 7;
            __thread char tls_buf[64];
            int global_data = 3;
            static void __attribute__((constructor)) ctor(void) { global_data += 10; }
            int main(int argc, char **argv) {
                char *p = malloc(100);
                strcpy(p, "heap string");
                tls_counter += argc;
                snprintf(tls_buf, sizeof tls_buf, "tls %d", tls_counter);
                printf("%s %s %d\\n", p, tls_buf, global_data);
                free(p);
                return 0;
            }
            """
        let flags = mode == "pie" ? ["-fPIE"] : ["-fno-pie"]
        let obj = try await ScriptFixtures.object("glibc_main.c", source, flags)
        let link = (mode == "pie" ? ["-pie"] : ["-static", "-no-pie"]) + ["-Wl,-T,\(script)"]
        let w = d + "/weld.out", g = d + "/gnu-ld.out"
        _ = try await GcFixtures.linkOK([obj], output: w, flags: link)
        _ = try await GcFixtures.linkOK([obj], output: g, reference: true, flags: link)
        let rw = await GcFixtures.run(w), rg = await GcFixtures.run(g)
        #expect(rg.termination == .exited(0) && rg.stdoutText == "heap string tls 8 13\n", Comment(rawValue: Report.step("GNU ld's link", rg)))
        #expect(rw.termination == rg.termination && rw.stdoutText == rg.stdoutText, Comment(rawValue: Report.step("weld's link", rw)))
        // The script's order (sections both linkers make; weld's synthetic contents differ).
        func names(_ f: String) async throws -> [String] { try await ScriptFixtures.allocSections(f).map { String($0.split(separator: " ")[0]) } }
        let nw = try await names(w), ng = try await names(g)
        let common = Set(nw).intersection(ng).filter { $0.hasPrefix(".") }
        let ow = nw.filter(common.contains), og = ng.filter(common.contains)
        #expect(common.isSuperset(of: [".text", ".rodata", ".data", ".bss", ".tdata", ".init_array"]), "\(common.sorted())")
        #expect(ow == og, "section order differs:\nweld:   \(ow)\nGNU ld: \(og)")
        // DATA_SEGMENT_RELRO_END makes a PT_GNU_RELRO starting at the first RELRO section.
        func relro(_ f: String) async throws -> [String] {
            try await GcFixtures.readelf(["-l"], f).split(separator: "\n").filter { $0.contains("GNU_RELRO") }.map { String($0.split(separator: " ")[2]) }
        }
        let relroW = try await relro(w), relroG = try await relro(g)
        #expect(relroG.count == 1 && relroW.count == 1, "PT_GNU_RELRO: weld \(relroW), GNU ld \(relroG)")
        if let start = relroW.first, let tdata = try await ScriptFixtures.allocSections(w).first(where: { $0.hasPrefix(".tdata ") }) {
            #expect(tdata.contains("addr=" + start.dropFirst(2)), "RELRO should start at .tdata: \(start) vs \(tdata)")
        }
    }

    @Test("SORT, SORT_BY_ALIGNMENT, SORT_BY_INIT_PRIORITY, EXCLUDE_FILE, SUBALIGN, fill patterns, orphans joining a section of their name",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func orderingAndFill() async throws {
        let start = """
            int d = 1;
            const char r[] = "abc";
            void _start(void) { __asm__ volatile ("mov $60, %eax; xor %edi, %edi; syscall"); }
            """
        let multi = """
            __attribute__((section(".text.b_second"))) int fb(void) { return 2; }
            __attribute__((section(".text.a_first"))) int fa(void) { return 1; }
            __attribute__((aligned(64), section(".rodata.big"))) const char big[3] = "x";
            __attribute__((aligned(4), section(".rodata.small"))) const char small[3] = "y";
            __attribute__((section(".init_array.00200"))) void *ia2 = 0;
            __attribute__((section(".init_array.00100"))) void *ia1 = 0;
            """
        let flags = ScriptFixtures.bareFlags + ["-fno-function-sections", "-fno-data-sections"]
        let objects = [try await ScriptFixtures.object("start.c", start, flags), try await ScriptFixtures.object("multi.c", multi, flags)]
        let script = """
            ENTRY(_start)
            SECTIONS
            {
              .text 0x401000 : SUBALIGN(32) { *(.text._start) *(SORT(.text.*)) } =0xcccccccc
              .rodata : { EXCLUDE_FILE(*start.o) *(.rodata*) *(SORT_BY_ALIGNMENT(.rodata.*)) *(.rodata) }
              .init_array : { KEEP(*(SORT_BY_INIT_PRIORITY(.init_array.*))) }
              .data : { *(.data) . = ALIGN(32); LONG(ADDR(.text)) QUAD(end_of_all) } =0x11223344
              end_of_all = .;
              /DISCARD/ : { *(.comment) *(.note.GNU-stack) }
            }
            """
        let (w, g) = try await ScriptFixtures.compareWithGNU("ordering", script: script, objects: objects,
                                                              symbols: ["fa", "fb", "_start", "big", "small", "r", "ia1", "ia2", "d", "end_of_all"])
        for section in [".text", ".rodata", ".init_array", ".data"] {
            let cw = try await GcFixtures.readelf(["-x", section], w), cg = try await GcFixtures.readelf(["-x", section], g)
            let bytes = { (s: String) in s.split(separator: "\n").filter { $0.hasPrefix("  0x") }.joined(separator: "\n") }
            #expect(!bytes(cg).isEmpty && bytes(cw) == bytes(cg), "\(section) contents differ:\nweld:\n\(bytes(cw))\nGNU ld:\n\(bytes(cg))")
        }
    }

    @Test("a shared library linked with GNU ld's -shared script (-dT) and C++ exceptions under the PIE script work",
          .enabled(if: enabled && Tools.gxx != nil, Comment(rawValue: Weld.missingMessage)))
    func sharedLibraryAndExceptions() async throws {
        let d = try GcFixtures.caseDir("default-script-shared")
        guard let shared = try await ScriptFixtures.defaultScript(d, ["-shared"]),
              let pie = try await ScriptFixtures.defaultScript(d, ["-pie"]) else {
            Issue.record("no default script in `ld --verbose`")
            return
        }
        let lib = try await ScriptFixtures.object("script_lib.c", """
            #include <stdio.h>
            __thread int weld_tls = 3;
            int weld_lib_value = 40;
            int weld_lib_get(void) { return weld_lib_value + weld_tls; }
            void weld_lib_hello(void) { printf("lib says %d\\n", weld_lib_get()); }
            """, ["-fPIC"])
        let user = try await ScriptFixtures.object("script_lib_user.c", """
            int weld_lib_get(void); void weld_lib_hello(void);
            int main(void) { weld_lib_hello(); return weld_lib_get() == 43 ? 0 : 1; }
            """, ["-fPIE"])
        let so = d + "/libweldscript.so"
        // -dT: the default script, used when no -T is given.
        _ = try await GcFixtures.linkOK([lib], output: so, flags: ["-shared", "-Wl,-dT,\(shared)"])
        let exe = d + "/user"
        _ = try await GcFixtures.linkOK([user, so], output: exe, flags: ["-pie", "-Wl,-rpath,\(d)"])
        let r = await GcFixtures.run(exe)
        #expect(r.termination == .exited(0) && r.stdoutText == "lib says 43\n", Comment(rawValue: Report.step("running against the scripted library", r)))
        let headers = try await GcFixtures.readelf(["-l"], so)
        #expect(headers.contains("DYNAMIC") && headers.contains("TLS") && headers.contains("GNU_RELRO"), "\(headers)")

        guard let gxx = Tools.gxx else { return }
        let src = d + "/exc.cpp", obj = d + "/exc.o"
        try """
            #include <cstdio>
            #include <stdexcept>
            #include <string>
            struct G { G() { std::printf("ctor\\n"); } ~G() { std::printf("dtor\\n"); } } g;
            __attribute__((noinline)) void thrower(int x) { if (x > 0) throw std::runtime_error("boom " + std::to_string(x)); }
            int main(int argc, char **) {
                try { thrower(argc); } catch (const std::exception &e) { std::printf("caught %s\\n", e.what()); }
                return 0;
            }
            """.write(toFile: src, atomically: true, encoding: .utf8)
        let c = await ProcessRunner.run([gxx, "-O2", "-fPIE", "-c", src, "-o", obj], timeout: 300, scratch: d)
        #expect(c.termination.isSuccess, Comment(rawValue: Report.step("compiling exc.cpp", c)))
        let e = d + "/exc"
        _ = try await GcFixtures.linkOK([obj], output: e, cxx: true, flags: ["-pie", "-Wl,-T,\(pie)", "-Wl,--eh-frame-hdr", "-Wl,--gc-sections"])
        let re = await GcFixtures.run(e)
        #expect(re.termination == .exited(0) && re.stdoutText == "ctor\ncaught boom 1\ndtor\n", Comment(rawValue: Report.step("C++ exceptions", re)))
    }

    @Test("a script without SECTIONS keeps the default layout and defines its symbols (as lld)",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func symbolsOnly() async throws {
        let d = try GcFixtures.caseDir("symbols-only")
        let obj = try await ScriptFixtures.object("symbols_only.c", """
            #include <stdio.h>
            extern char weld_sym_a[], weld_sym_b[];
            int main(void) { printf("%lx %lx\\n", (unsigned long)weld_sym_a, (unsigned long)weld_sym_b); return 0; }
            """, ["-fno-pie"])
        let script = try ScriptFixtures.writeScript(d, "symbols.ld", """
            PROVIDE(weld_sym_a = 0x1234);
            PROVIDE(weld_unused = 1);
            weld_sym_b = weld_sym_a + 0x10;
            ASSERT(weld_sym_b > weld_sym_a, "ordering")
            """)
        let out = d + "/out"
        // GNU ld replaces its whole default script with this one and fails; weld keeps its layout.
        let r = try await GcFixtures.link([obj], output: out, flags: ["-no-pie", "-Wl,-T,\(script)"])
        try weldSpecific("scripts without SECTIONS") {
            #expect(r.termination.isSuccess, Comment(rawValue: Report.step("linking", r)))
        }
        guard r.termination.isSuccess else { return }
        let run = await GcFixtures.run(out)
        #expect(run.termination == .exited(0) && run.stdoutText == "1234 1244\n", Comment(rawValue: Report.step("running", run)))
        let syms = try await GcFixtures.symbols(out)
        #expect(!syms.contains("weld_unused"), "an unreferenced PROVIDE defines nothing")
    }

    @Test("an output section mixing .eh_frame with other inputs links and runs (a fuzzing find)",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func ehFrameMixedIn() async throws {
        let start = """
            int d = 1;
            void _start(void) { __asm__ volatile ("mov $60, %eax; xor %edi, %edi; syscall"); }
            """
        let obj = try await ScriptFixtures.object("start_eh.c", start, ["-fno-pie", "-fno-stack-protector", "-fasynchronous-unwind-tables"])
        let d = try GcFixtures.caseDir("eh-mixed")
        let script = try ScriptFixtures.writeScript(d, "eh.ld", """
            SECTIONS {
              . = 0x400000;
              .text : { *(.text*) }
              .misc : { *(.eh_frame) *(.comment) *(.data*) }
            }
            """)
        let out = d + "/out"
        _ = try await GcFixtures.linkOK([obj], output: out, flags: ["-nostdlib", "-static", "-Wl,-T,\(script)"])
        let r = await GcFixtures.run(out)
        #expect(r.termination == .exited(0), Comment(rawValue: Report.step("running", r)))
    }

    // MARK: errors

    static func linkError(_ name: String, script: String) async throws -> ProcessResult {
        let d = try GcFixtures.caseDir("error-" + name)
        let path = try ScriptFixtures.writeScript(d, name + ".ld", script)
        let objects = try await ScriptFixtures.bareObjects(textMarker: 0)
        let r = try await GcFixtures.link(objects, output: d + "/out", flags: ["-nostdlib", "-static", "-Wl,-T,\(path)"])
        #expect(!r.termination.isSuccess, Comment(rawValue: Report.step("linking with a bad script should fail", r)))
        #expect(!FileManager.default.fileExists(atPath: d + "/out"), "no output after an error")
        return r
    }

    @Test("a syntax error names the script, line and column", .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func syntaxError() async throws {
        let r = try await Self.linkError("syntax", script: "SECTIONS\n{\n  .text : { *(.text) }\n  .data : { *(.data) \n  . = ALIGN(4;\n}\n")
        weldSpecific("weld's message") {
            #expect(r.stderrText.contains("syntax.ld:5:") && r.stderrText.contains("expected"),
                    Comment(rawValue: Report.step("expected file:line:column of the bad token", r)))
        }
    }

    @Test("a section that overflows its memory region is an error naming the region",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func regionOverflow() async throws {
        let r = try await Self.linkError("overflow", script: """
            MEMORY { tiny (rwx) : ORIGIN = 0x100000, LENGTH = 16 }
            SECTIONS { .text : { *(.text .text.*) } > tiny
                       /DISCARD/ : { *(.comment) *(.eh_frame) } }
            """)
        weldSpecific("weld's message") {
            #expect(r.stderrText.contains("will not fit in region 'tiny'") && r.stderrText.contains("overflowed by"),
                    Comment(rawValue: Report.step("expected an overflow message naming the region", r)))
        }
    }

    @Test("a failing ASSERT stops the link with its message", .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func failingAssert() async throws {
        let r = try await Self.linkError("assert", script: """
            SECTIONS { .text 0x100000 : { *(.text .text.*) } }
            ASSERT(SIZEOF(.text) < 4, "text is too big for the boot block")
            """)
        #expect(r.stderrText.contains("text is too big for the boot block"), Comment(rawValue: Report.step("expected the ASSERT message", r)))
    }

    @Test("an undefined symbol in an expression names it and its place", .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func undefinedInExpression() async throws {
        let r = try await Self.linkError("undefined", script: "SECTIONS {\n  .text : { *(.text) }\n  weld_x = weld_nowhere + 4;\n}\n")
        weldSpecific("weld's message") {
            #expect(r.stderrText.contains("undefined.ld:3:12: undefined symbol 'weld_nowhere'"),
                    Comment(rawValue: Report.step("expected the symbol and its line:column", r)))
        }
    }
}
