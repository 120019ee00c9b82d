import Testing
import WeldCore
@testable import WeldELF

// Library scripts: the real ones this system installs, then synthetic cases and errors.

private func parse(_ text: String, path: String = "test.so") throws(LinkError) -> LibraryScript {
    let bytes = Array(text.utf8)
    let result = bytes.withUnsafeBytes { buf in
        Result { () throws(LinkError) in try parseLibraryScript(buf, path: path) }
    }
    return try result.get()
}

private func errorMessage(_ text: String, path: String = "test.so") -> String? {
    do { _ = try parse(text, path: path); return nil } catch { return error.message }
}

private func looksLikeScript(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { looksLikeLinkerScript($0) }
}

private func parseFile(_ path: String) throws -> LibraryScript? {
    guard fileExists(path) else { return nil }
    let f = try MappedFile.open(path)
    #expect(looksLikeLinkerScript(f.bytes), "\(path) should look like a script")
    return try parseLibraryScript(f.bytes, path: path)
}

@Suite struct LinkerScriptTests {
    // MARK: - Real system files (Debian 12, glibc 2.36, gcc 12)

    @Test func glibcLibcSo() throws {
        guard let s = try parseFile("/usr/lib/x86_64-linux-gnu/libc.so") else { return }
        #expect(s.outputFormat == "elf64-x86-64")
        #expect(s.inputs == [
            ScriptInput(path: "/lib/x86_64-linux-gnu/libc.so.6", inGroup: true),
            ScriptInput(path: "/usr/lib/x86_64-linux-gnu/libc_nonshared.a", inGroup: true),
            ScriptInput(path: "/lib64/ld-linux-x86-64.so.2", asNeeded: true, inGroup: true),
        ])
        #expect(s.searchDirs.isEmpty && s.entry == nil)
    }

    @Test func glibcLibmSo() throws {
        guard let s = try parseFile("/usr/lib/x86_64-linux-gnu/libm.so") else { return }
        #expect(s.outputFormat == "elf64-x86-64")
        #expect(s.inputs == [
            ScriptInput(path: "/lib/x86_64-linux-gnu/libm.so.6", inGroup: true),
            ScriptInput(path: "/lib/x86_64-linux-gnu/libmvec.so.1", asNeeded: true, inGroup: true),
        ])
    }

    /// On Debian 12 libm.a is a script grouping the real archive with libmvec.a.
    @Test func glibcLibmA() throws {
        guard let s = try parseFile("/usr/lib/x86_64-linux-gnu/libm.a") else { return }
        #expect(s.outputFormat == "elf64-x86-64")
        #expect(s.inputs.count == 2)
        #expect(s.inputs.allSatisfy { $0.inGroup && !$0.asNeeded && !$0.isLibrary })
        #expect(s.inputs[0].path.hasPrefix("/usr/lib/x86_64-linux-gnu/libm-"))
        #expect(s.inputs[1].path == "/usr/lib/x86_64-linux-gnu/libmvec.a")
    }

    @Test func gccLibgccS() throws {
        guard let s = try parseFile("/usr/lib/gcc/x86_64-linux-gnu/12/libgcc_s.so") else { return }
        #expect(s.outputFormat == nil)
        #expect(s.inputs == [
            ScriptInput(path: "libgcc_s.so.1", inGroup: true),
            ScriptInput(path: "gcc", isLibrary: true, inGroup: true),
        ])
    }

    @Test func ncursesScripts() throws {
        if let s = try parseFile("/usr/lib/x86_64-linux-gnu/libncurses.so") {
            #expect(s.inputs == [ScriptInput(path: "libncurses.so.6"), ScriptInput(path: "tinfo", isLibrary: true)])
        }
        if let s = try parseFile("/usr/lib/x86_64-linux-gnu/libtermcap.so") {
            #expect(s.inputs == [ScriptInput(path: "libtinfo.so", inGroup: true)])
        }
    }

    @Test func binaryFilesAreNotScripts() throws {
        for path in ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.a",
                     "/usr/lib/x86_64-linux-gnu/crt1.o"] where fileExists(path) {
            #expect(!looksLikeLinkerScript(try MappedFile.open(path).bytes), "\(path)")
        }
        #expect(!looksLikeScript(Array("!<arch>\n".utf8)))
        #expect(!looksLikeScript(Array("!<thin>\n".utf8)))
        #expect(!looksLikeScript([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]))
        #expect(!looksLikeScript([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]))   // Mach-O
        #expect(!looksLikeScript(Array("GROUP(a)\0".utf8)))
        #expect(!looksLikeScript([]))
        #expect(looksLikeScript(Array("/* GNU ld script */\r\nINPUT(a)\n".utf8)))
        #expect(looksLikeScript(Array("INPUT(caf\u{e9}.so)".utf8)))   // UTF-8 is text
    }

    // MARK: - Synthetic cases

    @Test func allCommands() throws {
        let s = try parse("""
            /* a comment
               over lines */ OUTPUT_FORMAT("elf64-x86-64", "elf64-x86-64", "elf64-x86-64")
            OUTPUT_ARCH(i386:x86-64);
            SEARCH_DIR("=/usr/local/lib64"); SEARCH_DIR(/opt/lib)
            ENTRY(_start)
            INPUT(a.o, "dir with space/b.o" -lfoo -l:libbar.a)
            GROUP(libx.a,liby.a AS_NEEDED(-lz libw.so.1))
            """)
        #expect(s.outputFormat == "elf64-x86-64")
        #expect(s.outputArch == "i386:x86-64")
        #expect(s.searchDirs == ["=/usr/local/lib64", "/opt/lib"])
        #expect(s.entry == "_start")
        #expect(s.inputs == [
            ScriptInput(path: "a.o"),
            ScriptInput(path: "dir with space/b.o"),
            ScriptInput(path: "foo", isLibrary: true),
            ScriptInput(path: ":libbar.a", isLibrary: true),
            ScriptInput(path: "libx.a", inGroup: true),
            ScriptInput(path: "liby.a", inGroup: true),
            ScriptInput(path: "z", isLibrary: true, asNeeded: true, inGroup: true),
            ScriptInput(path: "libw.so.1", asNeeded: true, inGroup: true),
        ])
    }

    @Test func separatorsAndComments() throws {
        let s = try parse("GROUP(a,b , c\t\n d,,e)/**/INPUT()# a hash comment\nINPUT(f/*inline*/)")
        #expect(s.inputs.map(\.path) == ["a", "b", "c", "d", "e", "f"])
        #expect(s.inputs.map(\.inGroup) == [true, true, true, true, true, false])
    }

    @Test func quotedLibraryIsAFile() throws {
        let s = try parse("INPUT(\"-lfoo\")")
        #expect(s.inputs == [ScriptInput(path: "-lfoo")])
    }

    @Test func nestedAsNeeded() throws {
        let s = try parse("INPUT(AS_NEEDED(a AS_NEEDED(b)) c)")
        #expect(s.inputs == [ScriptInput(path: "a", asNeeded: true), ScriptInput(path: "b", asNeeded: true),
                             ScriptInput(path: "c")])
    }

    @Test func emptyScripts() throws {
        #expect(try parse("").inputs.isEmpty)
        #expect(try parse("  /* nothing */ \n").inputs.isEmpty)
        #expect(try parse("OUTPUT_FORMAT(elf64-x86-64)").outputFormat == "elf64-x86-64")
    }

    // MARK: - Errors: file, line and column

    @Test func unclosedGroup() {
        #expect(errorMessage("/* x */\nOUTPUT_FORMAT(elf64-x86-64)\nGROUP ( /lib/libc.so.6 ", path: "libc.so")
                == "libc.so:3:24: expected ')' to close GROUP( at 3:1, found end of file")
        #expect(errorMessage("INPUT(a AS_NEEDED(b)")
                == "test.so:1:21: expected ')' to close INPUT( at 1:1, found end of file")
        #expect(errorMessage("INPUT(AS_NEEDED(b")
                == "test.so:1:18: expected ')' to close AS_NEEDED( at 1:7, found end of file")
    }

    @Test func missingParen() {
        #expect(errorMessage("\n  GROUP a.so") == "test.so:2:9: expected '(' after GROUP, found 'a.so'")
        #expect(errorMessage("ENTRY") == "test.so:1:6: expected '(' after ENTRY, found end of file")
    }

    @Test func unknownAndUnsupportedCommands() {
        #expect(errorMessage("INPUT(a)\nSECTIONS { .text : { *(.text) } }")
                == "test.so:2:1: unsupported linker script command 'SECTIONS': only library scripts "
                + "(GROUP, INPUT, AS_NEEDED, OUTPUT_FORMAT, OUTPUT_ARCH, SEARCH_DIR, ENTRY) are supported in a script given "
                + "as an input file; pass a full script with -T")
        #expect(errorMessage("  FROB(x)") == "test.so:1:3: unknown linker script command 'FROB'")
        #expect(errorMessage("hello world, this is a text file")
                == "test.so:1:1: unknown linker script command 'hello'")
        #expect(errorMessage("AS_NEEDED(a)")
                == "test.so:1:1: AS_NEEDED is only allowed inside GROUP(...) or INPUT(...)")
        #expect(errorMessage("(") == "test.so:1:1: expected a linker script command, found '('")
    }

    @Test func badArguments() {
        #expect(errorMessage("OUTPUT_FORMAT(a, b)") == "test.so:1:1: OUTPUT_FORMAT takes 1 or 3 arguments, found 2")
        #expect(errorMessage("OUTPUT_FORMAT()") == "test.so:1:1: OUTPUT_FORMAT takes 1 or 3 arguments, found 0")
        #expect(errorMessage("ENTRY(a b)") == "test.so:1:1: ENTRY takes 1 argument, found 2")
        #expect(errorMessage("SEARCH_DIR(a;)") == "test.so:1:13: expected an argument or ')' in SEARCH_DIR(...), found ';'")
        #expect(errorMessage("GROUP(a (b))") == "test.so:1:9: expected a file name or ')' in GROUP(...), found '('")
        #expect(errorMessage("GROUP(GROUP(a))") == "test.so:1:12: expected a file name or ')' in GROUP(...), found '('")
        #expect(errorMessage("INPUT(-l)") == "test.so:1:7: missing library name after -l")
    }

    @Test func lexicalErrors() {
        #expect(errorMessage("INPUT(a)\n  /* never closed") == "test.so:2:3: unterminated comment")
        #expect(errorMessage("INPUT(\"a.so)") == "test.so:1:7: unterminated quoted string")
        #expect(errorMessage("INPUT(\"a\nb\")") == "test.so:1:7: unterminated quoted string")
    }

    /// Column counts bytes after CRLF line ends too.
    @Test func crlfLocations() {
        #expect(errorMessage("INPUT(a)\r\n\r\n  BOGUS") == "test.so:3:3: unknown linker script command 'BOGUS'")
    }

    /// Every prefix of a real script parses or throws; nothing traps.
    @Test func everyPrefix() {
        let text = "/* GNU ld script */\nOUTPUT_FORMAT(elf64-x86-64)\nGROUP ( \"/lib/libc.so.6\" -lc_nonshared  AS_NEEDED ( /lib64/ld-linux-x86-64.so.2 ) ) ENTRY(_start)"
        let bytes = Array(text.utf8)
        var errors = 0
        for n in 0...bytes.count {
            let prefix = String(decoding: bytes[0..<n], as: UTF8.self)
            if errorMessage(prefix) != nil { errors += 1 }
        }
        #expect(errors > 0)
        #expect(errorMessage(text) == nil)
    }
}
