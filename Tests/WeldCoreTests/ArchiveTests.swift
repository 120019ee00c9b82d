import Testing
@testable import WeldCore
#if canImport(Glibc)
import Glibc
#endif

// Archives are built at test time with the system's `ar` (GNU, thin) and `llvm-ar` (BSD,
// Darwin, forced 64-bit tables), then checked against `nm -s` / `llvm-nm --print-armap` and
// the object files themselves. Corrupt inputs are made in memory from the real archives.

private let llvmAr = "/opt/swift/usr/bin/llvm-ar"
private let llvmNm = "/opt/swift/usr/bin/llvm-nm"

nonisolated(unsafe) private var fixtureDirectory: String?

/// Objects and archives built once for all tests (a `static let` is initialized once,
/// thread-safely, so parallel tests share it).
private final class ArchiveFixture: @unchecked Sendable {
    static let shared = ArchiveFixture()
    let dir: String

    init() {
        var template = Array("/tmp/weld-archive-XXXXXX".utf8CString)
        dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        // Remove the scratch directory when the test process exits.
        fixtureDirectory = dir
        atexit { if let d = fixtureDirectory { _ = system("rm -rf '\(d)'") } }
        write("a.c", "int foo(void) { return 1; }\nint bar = 2;\n")
        write("a_very_long_member_name_here.c", "int baz(void) { return 3; }\n")
        write("nosym.c", "static int unused;\n")
        write("odd.txt", "abc")   // odd size: the next member needs a pad byte
        _ = mkdir(dir + "/sub", 0o755)
        _ = mkdir(dir + "/lib", 0o755)
        write("sub/deep.c", "int deep_fn(void) { return 4; }\nint deep_var;\n")
        let objs = "a.o odd.txt a_very_long_member_name_here.o nosym.o"
        sh("cc -c a.c a_very_long_member_name_here.c nosym.c && cc -c sub/deep.c -o sub/deep.o")
        sh("ar rcs gnu.a \(objs)")
        sh("ar rcS nosymtab.a a.o a_very_long_member_name_here.o")
        sh("ar rcsT lib/thin.a a.o sub/deep.o a_very_long_member_name_here.o")
        sh("\(llvmAr) --format=gnu rcsT llvmthin.a a.o a_very_long_member_name_here.o")
        sh("\(llvmAr) --format=bsd rcs bsd.a \(objs)")
        sh("\(llvmAr) --format=darwin rcs darwin.a \(objs)")
        sh("SYM64_THRESHOLD=0 \(llvmAr) --format=gnu rcs gnu64.a \(objs)")
        sh("SYM64_THRESHOLD=0 \(llvmAr) --format=bsd rcs bsd-sym64.a \(objs)")
        sh("SYM64_THRESHOLD=0 \(llvmAr) --format=darwin rcs darwin64.a \(objs)")
        write("empty.a", "!<arch>\n")
    }

    func path(_ name: String) -> String { dir + "/" + name }

    func write(_ name: String, _ text: String) {
        let fd = open(path(name), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(fd >= 0, "cannot create \(name)")
        var t = text
        t.withUTF8 { _ = Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    func sh(_ command: String) {
        let rc = system("cd '\(dir)' && \(command)")
        precondition(rc == 0, "command failed: \(command)")
    }

    func output(_ command: String) -> String {
        guard let f = popen("cd '\(dir)' && \(command)", "r") else { return "" }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        pclose(f)
        return String(decoding: out, as: UTF8.self)
    }

    /// "sym in member" lines of `nm -s` ("Archive index:") or `llvm-nm --print-armap`
    /// ("Archive map"), in table order.
    func armap(_ command: String) -> [String] {
        var lines: [String] = []
        var inMap = false
        for line in output(command).split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "Archive index:" || line == "Archive map" { inMap = true; continue }
            if inMap {
                if line.isEmpty { break }
                lines.append(String(line))
            }
        }
        return lines
    }
}

private func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : -1
}

private func symbolString(_ a: Archive, _ i: Int) -> String {
    String(decoding: a.symbolName(i), as: UTF8.self)
}

/// The archive's symbol table rendered like `nm -s`.
private func armap(_ a: Archive) -> [String] {
    (0..<a.symbolCount).map { "\(symbolString(a, $0)) in \(a.members[a.symbolMember($0)].name)" }
}

/// Parses a private copy of `bytes` (standing in for a mapping) and lets `inspect` look at the
/// result while the copy is alive. Returns the error message, or nil if it parsed.
private func errorMessage(_ bytes: [UInt8], path: String = "test.a",
                          _ inspect: (Archive) -> Void = { _ in }) -> String? {
    let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
    defer { p.deallocate() }
    bytes.withUnsafeBytes { if $0.count > 0 { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
    do {
        let a = try Archive.parse(MappedFile(path: path, base: UnsafeRawPointer(p), size: bytes.count))
        inspect(a)
        return nil
    } catch {
        return error.message
    }
}

private func bytesOf(_ path: String) throws -> [UInt8] {
    let f = try MappedFile.open(path)
    return Array(f.bytes)
}

/// Writes `s` (ASCII) into `bytes` at `offset`.
private func poke(_ bytes: inout [UInt8], _ offset: Int, _ s: String) {
    for (i, c) in s.utf8.enumerated() { bytes[offset + i] = c }
}

@Suite struct ArchiveTests {
    fileprivate let fx = ArchiveFixture.shared

    func parsed(_ name: String) throws -> Archive { try Archive.parse(MappedFile.open(fx.path(name))) }
    let regularNames = ["a.o", "odd.txt", "a_very_long_member_name_here.o", "nosym.o"]

    /// Members' names, sizes and bytes match the files they were made from. Darwin archives
    /// pad every member to 8 bytes and count the padding in the size (`llvm-ar p` prints it
    /// too; objects are self-describing), so there the data may be up to 7 bytes longer.
    func checkMembers(_ a: Archive, _ names: [String], padding: Int = 0) throws {
        #expect(a.members.map(\.name) == names)
        for (i, m) in a.members.enumerated() {
            let orig = try bytesOf(fx.path(names[i]))
            #expect(m.size >= orig.count && m.size <= orig.count + padding, "size of \(m.name)")
            let data = try #require(a.memberData(i))
            #expect(orig == Array(data.prefix(orig.count)), "bytes of \(m.name)")
            #expect(a.memberIndex(headerOffset: m.headerOffset) == i)
        }
    }

    @Test func gnuArchive() throws {
        let a = try Archive.parse(MappedFile.open(fx.path("gnu.a")))
        #expect(!a.isThin)
        #expect(a.hasSymbolTable)
        try checkMembers(a, regularNames)
        #expect(a.symbolCount == 3)
        #expect(armap(a) == fx.armap("nm -s gnu.a 2>/dev/null"))
        #expect(armap(a) == ["foo in a.o", "bar in a.o", "baz in a_very_long_member_name_here.o"])
        // The odd-sized member is followed by a pad byte, so the next header is even.
        #expect(a.members[2].headerOffset % 2 == 0)
    }

    @Test(arguments: ["bsd.a", "darwin.a", "gnu64.a", "bsd-sym64.a", "darwin64.a"])
    func llvmArchives(_ name: String) throws {
        let a = try Archive.parse(MappedFile.open(fx.path(name)))
        #expect(!a.isThin)
        #expect(a.hasSymbolTable)
        try checkMembers(a, regularNames, padding: name.hasPrefix("darwin") ? 7 : 0)
        #expect(armap(a) == fx.armap("\(llvmNm) --print-armap \(name) 2>/dev/null"))
        #expect(armap(a) == ["foo in a.o", "bar in a.o", "baz in a_very_long_member_name_here.o"])
    }

    /// Make sure the fixtures really exercise the table kinds they are meant to.
    @Test func fixturesUseEachTableKind() throws {
        func firstName(_ n: String) throws -> String {
            let b = try bytesOf(fx.path(n))
            return String(decoding: b[8..<24], as: UTF8.self)
        }
        #expect(try firstName("gnu.a") == "/               ")
        #expect(try firstName("gnu64.a") == "/SYM64/         ")
        #expect(try firstName("bsd-sym64.a") == "/SYM64/         ")
        let bsd = try bytesOf(fx.path("bsd.a"))
        #expect(String(decoding: bsd[68..<77], as: UTF8.self) == "__.SYMDEF")
        let d64 = try bytesOf(fx.path("darwin64.a"))
        #expect(String(decoding: d64[68..<80], as: UTF8.self) == "__.SYMDEF_64")
    }

    @Test func thinArchive() throws {
        let a = try Archive.parse(MappedFile.open(fx.path("lib/thin.a")))
        #expect(a.isThin)
        #expect(a.hasSymbolTable)
        #expect(a.members.map(\.name) == ["../a.o", "../sub/deep.o", "../a_very_long_member_name_here.o"])
        #expect(a.members.map(\.thinPath) == a.members.map { fx.dir + "/lib/" + $0.name })
        for (i, m) in a.members.enumerated() {
            #expect(a.memberData(i) == nil)
            #expect(m.size == fileSize(m.thinPath!))
            #expect(m.dataOffset == m.headerOffset + 60)
        }
        // `nm -s` prints thin members with the archive's directory prepended.
        let expected = fx.armap("nm -s lib/thin.a 2>/dev/null").map { $0.replacingOccurrences("lib/../", "../") }
        #expect(armap(a) == expected)
        #expect(armap(a) == ["foo in ../a.o", "bar in ../a.o", "deep_fn in ../sub/deep.o",
                             "deep_var in ../sub/deep.o", "baz in ../a_very_long_member_name_here.o"])
    }

    @Test func llvmThinArchive() throws {
        let a = try Archive.parse(MappedFile.open(fx.path("llvmthin.a")))
        #expect(a.isThin)
        #expect(a.members.map(\.name) == ["a.o", "a_very_long_member_name_here.o"])
        #expect(a.members.map(\.thinPath) == a.members.map { fx.dir + "/" + $0.name })
        #expect(armap(a) == ["foo in a.o", "bar in a.o", "baz in a_very_long_member_name_here.o"])
    }

    @Test func noSymbolTable() throws {
        let a = try Archive.parse(MappedFile.open(fx.path("nosymtab.a")))
        #expect(!a.hasSymbolTable)
        #expect(a.symbolCount == 0)
        try checkMembers(a, ["a.o", "a_very_long_member_name_here.o"])
    }

    @Test func emptyArchive() throws {
        let a = try Archive.parse(MappedFile.open(fx.path("empty.a")))
        #expect(a.members.isEmpty)
        #expect(!a.hasSymbolTable)
        #expect(a.symbolCount == 0)
    }

    /// A real, large system archive: the whole symbol table agrees with `nm -s`.
    @Test(arguments: ["/usr/lib/x86_64-linux-gnu/libc.a", "/usr/lib/x86_64-linux-gnu/libm-2.36.a"])
    func systemArchive(_ path: String) throws {
        guard fileSize(path) > 0 else { return }
        let a = try Archive.parse(MappedFile.open(path))
        #expect(a.hasSymbolTable && a.symbolCount > 100)
        #expect(armap(a) == fx.armap("nm -s \(path) 2>/dev/null"))
        #expect(a.members.count == fx.output("ar t \(path)").split(separator: "\n").count)
    }

    @Test func isArchive() {
        func check(_ s: String) -> Bool {
            Array(s.utf8).withUnsafeBytes { Archive.isArchive($0) }
        }
        #expect(check("!<arch>\n"))
        #expect(check("!<thin>\nmore"))
        #expect(!check("!<arch>"))
        #expect(!check("\u{7f}ELF\u{2}\u{1}\u{1}\u{0}"))
        #expect(!check(""))
        #expect(!check("/* GNU ld script */"))
    }

    // MARK: - Corrupt inputs: errors naming the file and offset, never a trap

    @Test func badMagic() throws {
        var b = try bytesOf(fx.path("gnu.a"))
        b[1] = UInt8(ascii: "X")
        #expect(errorMessage(b) == "test.a: malformed archive: bad magic (expected !<arch> or !<thin>)")
        #expect(errorMessage([0x21]) == "test.a: malformed archive: file is too short for the archive magic")
    }

    @Test func errorNamesThePath() throws {
        var b = try bytesOf(fx.path("gnu.a"))
        b[0] = 0
        #expect(errorMessage(b, path: "/x/libfoo.a")?.hasPrefix("/x/libfoo.a: malformed archive: ") == true)
    }

    @Test func badTerminator() throws {
        var b = try bytesOf(fx.path("gnu.a"))
        b[8 + 58] = UInt8(ascii: "x")
        #expect(errorMessage(b) == "test.a: malformed archive: member header at offset 0x8 has a bad terminator (expected \"`\\n\")")
    }

    @Test func badSizeField() throws {
        let b = try bytesOf(fx.path("gnu.a"))
        let a = try parsed("gnu.a")
        let h = a.members[1].headerOffset
        for bad in ["12a       ", "          ", "-1        ", " 12       ", "1 2       "] {
            var c = b
            poke(&c, h + 48, bad)
            #expect(errorMessage(c) == "test.a: malformed archive: member header at offset 0x\(String(h, radix: 16)) has a bad size field",
                    "size field \(bad)")
        }
    }

    @Test func memberRunsPastEnd() throws {
        var b = try bytesOf(fx.path("gnu.a"))
        let a = try parsed("gnu.a")
        let h = a.members.last!.headerOffset
        poke(&b, h + 48, "9999999999")
        #expect(errorMessage(b) == "test.a: malformed archive: member at offset 0x\(String(h, radix: 16)) (size 9999999999) runs past the end of the file (size \(b.count))")
    }

    @Test func truncatedHeader() throws {
        let b = try bytesOf(fx.path("gnu.a"))
        let a = try parsed("gnu.a")
        let h = a.members[2].headerOffset
        // Cut in the middle of a member's header.
        #expect(errorMessage(Array(b[0..<(h + 20)])) == "test.a: malformed archive: member header at offset 0x\(String(h, radix: 16)) is truncated (20 of 60 bytes)")
        // Cut in the middle of a member's data.
        #expect(errorMessage(Array(b[0..<(h + 70)]))?.contains("runs past the end of the file") == true)
    }

    @Test func symbolTableOffsetOutOfRange() throws {
        var b = try bytesOf(fx.path("gnu.a"))
        // First offset of the GNU `/` table: header at 8, count at 68, offsets from 72.
        b[72] = 0x7f
        #expect(errorMessage(b) == "test.a: malformed archive: symbol table at offset 0x8: entry 0 points at offset 0x7f0000bc, which is not a member header")
        // An offset inside the file that is not a header.
        var c = try bytesOf(fx.path("gnu.a"))
        c[75] &+= 2
        #expect(errorMessage(c)?.contains("entry 0 points at offset") == true)
        // A count larger than the table.
        var d = try bytesOf(fx.path("gnu.a"))
        d[68] = 0x10
        #expect(errorMessage(d)?.contains("entries, more than fit in its") == true)
    }

    @Test func bsdSymbolTableOutOfRange() throws {
        for name in ["bsd.a", "darwin64.a"] {
            let orig = try bytesOf(fx.path(name))
            // ranlib size: first word of the data after "#1/12" + 12 name bytes.
            var b = orig
            b[80] = 0xff
            #expect(errorMessage(b)?.contains("has a bad ranlib size") == true, "\(name)")
            // A member offset past the end of the file (second word of the first entry).
            var c = orig
            let word = name == "bsd.a" ? 4 : 8
            c[80 + word + word + word - 1] = 0x7f
            #expect(errorMessage(c)?.contains("entry 0 points at offset") == true, "\(name)")
            // A name offset past the string table.
            var d = orig
            d[80 + word + word - 1] = 0x7f
            #expect(errorMessage(d)?.contains("entry 0 has name offset") == true, "\(name)")
        }
    }

    @Test func longNameOffsetOutOfRange() throws {
        var b = try bytesOf(fx.path("gnu.a"))
        let a = try parsed("gnu.a")
        let h = a.members[2].headerOffset   // a_very_long_member_name_here.o: "/0"
        #expect(b[h] == UInt8(ascii: "/") && b[h + 1] == UInt8(ascii: "0"))
        poke(&b, h, "/999")
        #expect(errorMessage(b) == "test.a: malformed archive: member header at offset 0x\(String(h, radix: 16)) has long-name offset 999 out of range (long-name table size 32)")
    }

    @Test func bsdNameLongerThanMember() throws {
        var b = try bytesOf(fx.path("bsd.a"))
        let a = try parsed("bsd.a")
        let h = a.members[1].headerOffset   // odd.txt: "#1/8", size 11 or so
        poke(&b, h, "#1/900")
        #expect(errorMessage(b)?.contains("has a BSD name running past the member") == true)
    }

    /// Every prefix of every fixture either parses or throws; nothing traps.
    @Test(arguments: ["gnu.a", "bsd.a", "darwin64.a", "gnu64.a", "lib/thin.a"])
    func everyTruncation(_ name: String) throws {
        let b = try bytesOf(fx.path(name))
        var errors = 0
        for n in 0..<b.count {
            if errorMessage(Array(b[0..<n]), checkBounds) != nil { errors += 1 }
        }
        #expect(errors > b.count / 2)
    }

    /// Every header and symbol-table byte set to a few hostile values: parse or throw.
    @Test(arguments: ["gnu.a", "bsd.a", "darwin64.a", "lib/thin.a"])
    func byteFlips(_ name: String) throws {
        let b = try bytesOf(fx.path(name))
        let a = try parsed(name)
        var offsets = Array(0..<min(b.count, 0x140))
        for m in a.members { offsets += m.headerOffset..<min(m.headerOffset + 80, b.count) }
        for o in offsets {
            for v: UInt8 in [0, 0x20, 0x2f, 0x30, 0x39, 0x7f, 0xff] {
                var c = b
                c[o] = v
                _ = errorMessage(c, checkBounds)
            }
        }
    }
}

/// Whatever parsed must stay inside the file.
private func checkBounds(_ x: Archive) {
    for (i, m) in x.members.enumerated() where !x.isThin {
        #expect(m.dataOffset >= 0 && m.dataOffset + m.size <= x.file.size, "member \(i)")
    }
    for i in 0..<x.symbolCount {
        let s = x.symbolName(i)
        #expect(s.baseAddress! >= x.file.base && s.baseAddress! + s.count <= x.file.base + x.file.size)
        #expect(x.symbolMember(i) < x.members.count)
    }
}

private extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: a) {
            out += rest[..<r.lowerBound]
            out += b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
