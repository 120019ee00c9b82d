import Testing
import WeldCore
@testable import WeldELF

// Full linker scripts (-T): what the parser makes of each construct, and where its errors point.

private func parse(_ text: String, path: String = "test.ld") throws(LinkError) -> LinkerScript {
    let bytes = Array(text.utf8)
    let result = bytes.withUnsafeBytes { buf in
        Result { () throws(LinkError) in try parseLinkerScript(buf, path: path) }
    }
    return try result.get()
}

private func errorMessage(_ text: String) -> String? {
    do { _ = try parse(text); return nil } catch { return error.message }
}

private func outputs(_ s: LinkerScript) -> [ScriptOutputSection] {
    s.sectionsCommands.compactMap { if case .output(let o) = $0 { return o }; return nil }
}

/// Evaluates a constant expression (no layout needed) through a top-level assignment.
private func constant(_ expr: String) throws -> UInt64? {
    let s = try parse("x = \(expr);")
    guard case .assignment(let a)? = s.sectionsCommands.first else { return nil }
    return fold(a.expr)
}

private func fold(_ e: ScriptExpr) -> UInt64? {
    switch e {
    case .number(let n): return n
    case .unary(let op, let a):
        guard let v = fold(a) else { return nil }
        return op == "-" ? 0 &- v : op == "~" ? ~v : op == "!" ? (v == 0 ? 1 : 0) : v
    case .binary(let op, let a, let b, _):
        guard let x = fold(a), let y = fold(b) else { return nil }
        switch op {
        case "+": return x &+ y
        case "-": return x &- y
        case "*": return x &* y
        case "/": return y == 0 ? nil : x / y
        case "<<": return x << y
        case "&": return x & y
        case "|": return x | y
        case "==": return x == y ? 1 : 0
        case "<": return x < y ? 1 : 0
        default: return nil
        }
    case .conditional(let c, let a, let b):
        guard let v = fold(c) else { return nil }
        return v != 0 ? fold(a) : fold(b)
    default: return nil
    }
}

@Suite struct ScriptParserTests {
    @Test func outputSectionDescription() throws {
        let s = try parse("""
            ENTRY(reset_handler)
            SECTIONS {
              . = 0x8000;
              .text 0x10000 : AT(0x20000) ALIGN(16) SUBALIGN(4) {
                _stext = .;
                KEEP(*(.vectors))
                *(.text .text.*)
                crt0.o(.init) EXCLUDE_FILE(*crtend.o) *(.ctors)
                *(SORT_BY_NAME(.text.sorted.*) SORT_BY_ALIGNMENT(.rodata.*))
                LONG(0x12345678) BYTE(1)
                PROVIDE_HIDDEN(_etext = .);
              } > rom AT> flash :text =0x90909090
              /DISCARD/ : { *(.comment) }
            }
            """)
        #expect(s.entry == "reset_handler")
        let o = outputs(s)
        #expect(o.map(\.name) == [".text", "/DISCARD/"])
        let t = o[0]
        #expect(t.address.flatMap(fold) == 0x10000)
        #expect(t.lma.flatMap(fold) == 0x20000)
        #expect(t.align.flatMap(fold) == 16 && t.subalign.flatMap(fold) == 4)
        #expect(t.region?.0 == "rom" && t.lmaRegion?.0 == "flash" && t.phdrs.map(\.0) == ["text"])
        #expect(t.fill.flatMap(fold) == 0x90909090 && t.fillWidth == 4)
        var inputs: [ScriptInputDescription] = []
        var data: [Int] = []
        var symbols: [String] = []
        for c in t.commands {
            switch c {
            case .input(let i): inputs.append(i)
            case .data(let size, _): data.append(size)
            case .assignment(let a): symbols.append(a.name)
            default: break
            }
        }
        #expect(symbols == ["_stext", "_etext"])
        #expect(data == [4, 1])
        #expect(inputs.map(\.keep) == [true, false, false, false, false])
        #expect(inputs.map(\.filePattern) == ["*", "*", "crt0.o", "*", "*"])
        #expect(inputs[1].sections.map(\.pattern) == [".text", ".text.*"])
        #expect(inputs[3].excludedFiles == ["*crtend.o"])
        #expect(inputs[4].sections.map(\.sort) == [.name, .alignment])
        #expect(o[1].isDiscard)
    }

    @Test func archiveMemberPatterns() throws {
        let s = try parse("SECTIONS { .a : { *libc.a:printf.o(.text) libm.a:(.data) :crt0.o(.init) } }")
        let patterns = outputs(s)[0].commands.compactMap { c -> String? in if case .input(let i) = c { return i.filePattern }; return nil }
        #expect(patterns == ["*libc.a:printf.o", "libm.a:", ":crt0.o"])
    }

    @Test func memoryAndPhdrs() throws {
        let s = try parse("""
            MEMORY {
              flash (rx) : ORIGIN = 0x08000000, LENGTH = 512K
              ram (rwx!x) : org = 0x20000000, len = 128K
            }
            PHDRS {
              headers PT_PHDR PHDRS;
              text PT_LOAD FILEHDR PHDRS FLAGS(5);
              data PT_LOAD AT(0x1000);
              stack 0x6474e551;
            }
            """)
        #expect(s.memory.map(\.name) == ["flash", "ram"])
        #expect(s.memory.map(\.attributes) == ["rx", "rwx!x"])
        #expect(fold(s.memory[0].length) == 512 * 1024 && fold(s.memory[1].origin) == 0x2000_0000)
        let p = try #require(s.phdrs)
        #expect(p.map(\.name) == ["headers", "text", "data", "stack"])
        #expect(p.map(\.type) == [PT.phdr, PT.load, PT.load, PT.gnuStack])
        #expect(p[1].fileHeader && p[1].programHeaders && p[1].flags.flatMap(fold) == 5)
        #expect(p[2].at.flatMap(fold) == 0x1000)
    }

    @Test func externAndRegionAlias() throws {
        let s = try parse("EXTERN(a b, c)\nMEMORY { flash : ORIGIN = 0, LENGTH = 1K }\nREGION_ALIAS(\"REGION_TEXT\", flash)\nREGION_ALIAS(\"REGION_RO\", REGION_TEXT)")
        #expect(s.externs == ["a", "b", "c"])
        #expect(s.regionName("REGION_RO") == "flash" && s.regionName("flash") == "flash")
        #expect(try constant("BLOCK(8)") == nil)   // BLOCK is ALIGN: not a constant
    }

    @Test func expressionsFollowCPrecedence() throws {
        #expect(try constant("1 + 2 * 3") == 7)
        #expect(try constant("(1 + 2) * 3") == 9)
        #expect(try constant("1 << 4 | 1") == 17)
        #expect(try constant("2 < 3 ? 10 : 20") == 10)
        #expect(try constant("4K + 1M") == 4096 + 1024 * 1024)
        #expect(try constant("0x10 - 0x20") == 0 &- 0x10)
        #expect(try constant("010") == 8)       // a leading 0 is octal in GNU ld
        #expect(try constant("10h") == 16)
        #expect(try constant("-1") == UInt64.max)
        #expect(try constant("1 == 1 & 3") == 1)
    }

    @Test func assignmentsOfEveryKind() throws {
        let s = try parse("a = 1; b += 2; PROVIDE(c = 3); PROVIDE_HIDDEN(d = 4); HIDDEN(e = 5); SECTIONS { . += 8; f |= 1 }")
        var kinds: [(String, ScriptAssignment.Kind)] = []
        for case .assignment(let a) in s.sectionsCommands { kinds.append((a.name, a.kind)) }
        #expect(kinds.map(\.0) == ["a", "b", "c", "d", "e", ".", "f"])
        #expect(kinds.map(\.1) == [.plain, .plain, .provide, .provideHidden, .hidden, .plain, .plain])
        guard case .assignment(let b) = s.sectionsCommands[1], case .binary("+", .symbol("b", _), .number(2), _) = b.expr else {
            Issue.record("b += 2 should become b = b + 2")
            return
        }
    }

    @Test func functionsAndSectionReferences() throws {
        let s = try parse("SECTIONS { x = ALIGN(ADDR(.text) + SIZEOF(.text), 8) + LOADADDR(.data) + MAX(1, MIN(2, 3)) + DEFINED(foo) + CONSTANT(MAXPAGESIZE) + ORIGIN(ram) + LENGTH(ram) + SIZEOF_HEADERS; }")
        #expect(s.sectionsCommands.count == 1)
        #expect(try constant("ABSOLUTE(5)") == nil)   // functions are not constants to fold
    }

    @Test func errorsNameLineAndColumn() {
        #expect(errorMessage("SECTIONS {\n  .text : { *(.text) }\n  .data : { *(.data) \n}\n") == "test.ld:5:1: expected '}' to close SECTIONS, found end of file")
        #expect(errorMessage("SECTIONS {\n  .data : { *(.data)") == "test.ld:2:21: expected '}' to close the output section '.data', found end of file")
        #expect(errorMessage("SECTIONS {\n  . = 1 +;\n}") == "test.ld:2:10: expected an expression, found ';'")
        #expect(errorMessage("SECTIONS {\n  .text : { *(.text) } > \n}") == "test.ld:3:1: expected a memory region name, found '}'")
        #expect(errorMessage("FOO(bar)") == "test.ld:1:1: unknown linker script command 'FOO'")
        #expect(errorMessage("x = 0x;") == "test.ld:1:5: malformed number '0x'")
        #expect(errorMessage("MEMORY { ram (q) : ORIGIN = 0, LENGTH = 1 }") == "test.ld:1:15: unknown memory region attribute 'q'")
        #expect(errorMessage("PHDRS { text PT_BOGUS; }") == "test.ld:1:14: unknown program header type 'PT_BOGUS'")
        #expect(errorMessage("/* never closed") == "test.ld:1:1: unterminated comment")
        #expect(errorMessage("x = UNKNOWN_FN(1);") == "test.ld:1:5: unknown function 'UNKNOWN_FN' in an expression")
        #expect(errorMessage("x = ALIGN(1, 2, 3);") == "test.ld:1:5: ALIGN takes 1 or 2 arguments, found 3")
        #expect(errorMessage("x = " + String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300) + ";")?.contains("nested more than 256 deep") == true)
    }

    @Test func includeReadsAnotherFile() throws {
        let inner = Array("MEMORY { ram : ORIGIN = 0x1000, LENGTH = 0x100 }\n".utf8)
        let text = Array("INCLUDE regions.ld\nSECTIONS { .text : { *(.text) } > ram }\n".utf8)
        let s = try inner.withUnsafeBytes { innerBuf in
            try text.withUnsafeBytes { buf throws(LinkError) in
                try parseLinkerScript(buf, path: "main.ld") { name, _, _ throws(LinkError) in (innerBuf, name) }
            }
        }
        #expect(s.sources.paths == ["main.ld", "regions.ld"])
        #expect(s.memory.map(\.name) == ["ram"])
        #expect(s.memory[0].loc.file == 1 && s.memory[0].loc.line == 1)
    }

    @Test func globsMatchLikeGNULd() {
        #expect(ScriptGlob(".text.*").matches(".text.foo"))
        #expect(!ScriptGlob(".text.*").matches(".text"))
        #expect(ScriptGlob("*crtbegin?.o").matches("/usr/lib/gcc/crtbeginS.o"))
        #expect(ScriptGlob(".ctors.[0-9]*").matches(".ctors.65535"))
        #expect(!ScriptGlob(".ctors.[!0-9]*").matches(".ctors.1"))
        #expect(ScriptGlob("*").matches(""))
        #expect(ScriptGlob(".data").matches(".data") && !ScriptGlob(".data").matches(".data1"))
    }
}
