import Testing
@testable import WeldCore

@Suite struct ResponseFileTests {
    func split(_ text: String) -> [String] { splitResponseFile(Array(text.utf8)) }

    @Test func splitsOnWhitespace() {
        #expect(split("") == [])
        #expect(split("  \n\t ") == [])
        #expect(split("-o a.out\tmain.o\r\nlib.a\u{0B}x\u{0C}y") == ["-o", "a.out", "main.o", "lib.a", "x", "y"])
    }

    @Test func quotesGroupAndAreRemoved() {
        #expect(split("'a b' \"c d\" e'f g'h") == ["a b", "c d", "ef gh"])
        #expect(split("\"it's\" 'say \"hi\"'") == ["it's", "say \"hi\""])
        #expect(split("'' \"\" x") == ["", "", "x"])
        #expect(split("'a\nb'") == ["a\nb"])
        // An unterminated quote runs to the end of the file.
        #expect(split("'open ended") == ["open ended"])
    }

    @Test func backslashEscapesTheNextCharacter() {
        #expect(split("a\\ b c\\\\d \\'e\\\"") == ["a b", "c\\d", "'e\""])
        #expect(split("'x\\'y' \"p\\\"q\"") == ["x'y", "p\"q"])
        #expect(split("line\\\nnext") == ["line\nnext"])
        #expect(split("end\\") == ["end"])
    }

    @Test func argumentsWithoutResponseFilesPassThrough() throws {
        let args = ["weld", "-o", "out", "main.o", "--build-id=sha1"]
        #expect(try expandResponseFiles(args) == args)
        #expect(try expandResponseFiles([]) == [])
        #expect(try expandResponseFiles(["@"]) == ["@"])
    }

    @Test func expandsNestedFilesInPlace() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        writeFile(dir + "/inner.rsp", "-lm 'with space.o'\n")
        writeFile(dir + "/outer.rsp", "-o out @\(dir)/inner.rsp \"@literal-in-quotes\" main.o")
        writeFile(dir + "/empty.rsp", "")
        let args = try expandResponseFiles(["weld", "@\(dir)/outer.rsp", "@\(dir)/empty.rsp", "-v"])
        // A quoted @name in a file is still a response-file reference if it exists; this one
        // does not, so it stays literal.
        #expect(args == ["weld", "-o", "out", "-lm", "with space.o", "@literal-in-quotes", "main.o", "-v"])
    }

    @Test func missingFileStaysLiteral() throws {
        let args = ["weld", "@/nonexistent/weld-response-file", "x.o"]
        #expect(try expandResponseFiles(args) == args)
    }

    @Test func loopIsAnError() {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        writeFile(dir + "/a.rsp", "x @\(dir)/b.rsp")
        writeFile(dir + "/b.rsp", "y @\(dir)/a.rsp")
        let error = #expect(throws: LinkError.self) { try expandResponseFiles(["@\(dir)/a.rsp"]) }
        #expect(error?.message.contains("nested more than 64 deep") == true)
    }

    @Test func deepButFiniteNestingWorks() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        for i in 0..<30 { writeFile(dir + "/\(i).rsp", "a\(i) @\(dir)/\(i + 1).rsp") }
        writeFile(dir + "/30.rsp", "last")
        let args = try expandResponseFiles(["@\(dir)/0.rsp"])
        #expect(args == (0..<30).map { "a\($0)" } + ["last"])
    }

    @Test func directoryIsAnError() {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        #expect(throws: LinkError.self) { try expandResponseFiles(["@\(dir)"]) }
    }

    @Test func largeFile() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        let names = (0..<20_000).map { "object-file-number-\($0).o" }
        writeFile(dir + "/big.rsp", names.joined(separator: "\n"))
        #expect(try expandResponseFiles(["@\(dir)/big.rsp"]) == names)
    }
}
