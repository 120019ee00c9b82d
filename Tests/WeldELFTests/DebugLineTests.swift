#if canImport(Glibc)
import Glibc
#endif
import Testing
import WeldCore
@testable import WeldELF

// Source lines from DWARF .debug_line in relocatable objects, as gcc 12 and clang emit them
// (DWARF 5 by default, and -gdwarf-4), and their use in undefined/duplicate symbol errors.

// MARK: - helpers

/// A scratch directory under /tmp, removed when the value goes away.
private final class ScratchDir {
    let path: String
    init(_ tag: String) {
        var template = Array("/tmp/weld-debugline-\(tag)-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }
    deinit { _ = shell("rm -rf '\(path)'") }

    func write(_ name: String, _ text: String) {
        let f = fopen(path + "/" + name, "w")!
        fputs(text, f)
        fclose(f)
    }
    func read(_ name: String) -> String { readText(path + "/" + name) }
}

private func readText(_ path: String) -> String {
    guard let f = fopen(path, "r") else { return "" }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        bytes += buf[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Runs a shell command; returns its exit status.
@discardableResult
private func shell(_ command: String) -> Int32 {
    let status = system(command)
    return status >= 0 ? (status >> 8) & 0xff : -1
}

private func have(_ tool: String) -> Bool { shell("command -v \(tool) >/dev/null 2>&1") == 0 }

/// Compiles `source` (named `name` in `dir`) to an object with `cc flags`; returns its path.
private func compile(_ dir: ScratchDir, _ name: String, _ source: String, cc: String, flags: String) -> String? {
    dir.write(name, source)
    let obj = name + ".\(cc).o"
    let status = shell("cd '\(dir.path)' && \(cc) \(flags) -c \(name) -o \(obj) 2> \(obj).err")
    if status != 0 {
        Issue.record("\(cc) \(flags) failed on \(name): \(dir.read(obj + ".err"))")
        return nil
    }
    return dir.path + "/" + obj
}

private func load(_ path: String) throws -> ObjectFile {
    let f = try MappedFile.open(path)
    let obj = ObjectFile(displayName: path, base: f.base, size: f.size, priority: 0, isFromArchive: false)
    try obj.parse()
    return obj
}

/// Every relocation of a live section that refers to the global symbol `name`:
/// (section index, offset).
private func references(to name: String, in obj: ObjectFile) -> [(section: Int, offset: UInt64)] {
    var out: [(Int, UInt64)] = []
    for case let sec? in obj.sections where sec.flags & SHF.alloc != 0 && sec.relocCount > 0 {
        for r in 0..<sec.relocCount {
            let rel = sec.reloc(r)
            if rel.sym > 0 && obj.symName(rel.sym).string == name { out.append((sec.index, rel.offset)) }
        }
    }
    return out
}

private func symbolIndex(_ name: String, in obj: ObjectFile) -> Int? {
    (1..<obj.symbolCount).first { obj.symName($0).string == name && obj.isDefined($0) }
}

/// Compilers and flags to test: DWARF 5 (the default of both), DWARF 4, optimized code, one
/// section per function (a sequence each), and clang's 64-bit DWARF.
private let configurations: [(cc: String, flags: String)] = [
    ("gcc", "-g"), ("gcc", "-g -gdwarf-4"), ("gcc", "-g -O2"), ("gcc", "-g -ffunction-sections"),
    ("clang", "-g"), ("clang", "-g -gdwarf-4"), ("clang", "-g -O2"), ("clang", "-g -ffunction-sections"),
    ("clang", "-g -gdwarf64"),
]

private let mainSource = """
    extern int foo(int);
    extern int bar(void);

    int twice(int x) {
        return x * 2;
    }

    int main(void) {
        int a = twice(3);
        a += foo(a);
        return a + bar();
    }

    """
// foo is called on line 10 and bar on line 11; twice starts on line 4.

// MARK: - tests

@Suite struct DebugLineTests {
    @Test(arguments: configurations.indices)
    func callLine(_ k: Int) throws {
        let (cc, flags) = configurations[k]
        guard have(cc) else { return }
        let dir = ScratchDir("call")
        let path = try #require(compile(dir, "main.c", mainSource, cc: cc, flags: flags))
        let obj = try load(path)
        let table = DebugLineTable(obj)
        #expect(!table.isEmpty, "\(cc) \(flags): no line rows read")

        for (name, line) in [("foo", 10), ("bar", 11)] {
            let refs = references(to: name, in: obj)
            #expect(refs.count == 1, "\(cc) \(flags): expected one reference to \(name), found \(refs.count)")
            for r in refs {
                let loc = sourceLocation(obj, section: r.section, offset: r.offset)
                #expect(loc?.line == line, "\(cc) \(flags): call to \(name) at +0x\(String(r.offset, radix: 16)) → \(String(describing: loc))")
                #expect(loc?.fileName == "main.c")
                if let loc, flags.contains("dwarf-4") {
                    // A DWARF 4 table names the file relative to the compilation directory,
                    // which only .debug_info names (lld prints the same).
                    #expect(loc.path == "main.c" && loc.description == "main.c:\(line)")
                } else if let loc {
                    #expect(loc.path == dir.path + "/main.c", "\(cc) \(flags): path \(loc.path)")
                    #expect(loc.description == "main.c:\(line) (\(dir.path)/main.c:\(line))")
                }
            }
        }
        // A definition: the function's first address is its opening line (optimized code
        // has no prologue, so its first instruction belongs to the body).
        let twice = try #require(symbolIndex("twice", in: obj))
        let defLine = sourceLocation(obj, symbol: twice)?.line
        #expect(flags.contains("-O2") ? [4, 5].contains(defLine) : defLine == 4, "\(cc) \(flags): \(String(describing: defLine))")
        // Past the end of the section: nothing.
        let text = try #require(obj.symSection(twice))
        #expect(sourceLocation(obj, section: text.index, offset: text.size + 100) == nil)
        #expect(sourceLocation(obj, section: 0, offset: 0) == nil)
        #expect(sourceLocation(obj, section: 100_000, offset: 0) == nil)
    }

    /// A call inlined from a header is attributed to the header's line.
    @Test(arguments: configurations.indices)
    func headerLine(_ k: Int) throws {
        let (cc, flags) = configurations[k]
        guard have(cc) else { return }
        let dir = ScratchDir("header")
        dir.write("helper.h", """
            extern void baz(int);
            static inline void call_baz(int x) {
                baz(x + 1);
            }

            """)
        let path = try #require(compile(dir, "user.c", """
            #include "helper.h"

            void user(int x) {
                call_baz(x);
            }

            """, cc: cc, flags: flags + " -O1"))
        let obj = try load(path)
        let refs = references(to: "baz", in: obj)
        #expect(refs.count == 1)
        for r in refs {
            let loc = sourceLocation(obj, section: r.section, offset: r.offset)
            #expect(loc?.fileName == "helper.h", "\(cc) \(flags): \(String(describing: loc))")
            #expect(loc?.line == 3, "\(cc) \(flags): \(String(describing: loc))")
        }
    }

    @Test func noDebugInfo() throws {
        guard have("gcc") else { return }
        let dir = ScratchDir("nodebug")
        let path = try #require(compile(dir, "main.c", mainSource, cc: "gcc", flags: "-O0"))
        let obj = try load(path)
        #expect(DebugLineTable(obj).isEmpty)
        for r in references(to: "foo", in: obj) {
            #expect(sourceLocation(obj, section: r.section, offset: r.offset) == nil)
        }
    }

    @Test func descriptionForms() {
        #expect(SourceLocation(path: "main.c", line: 12, column: 0).description == "main.c:12")
        #expect(SourceLocation(path: "/src/a/main.c", line: 3, column: 1).description == "main.c:3 (/src/a/main.c:3)")
        #expect(SourceLocation(path: "sub/x.c", line: 7, column: 1).fileName == "x.c")
    }

    /// Corrupted line tables never trap: every byte of .debug_line (and a sample of random
    /// corruptions) is damaged in turn, and the table is read and queried.
    @Test(arguments: ["gcc -g", "clang -g", "gcc -g -gdwarf-4", "clang -g -gdwarf64"])
    func malformedNeverTraps(_ command: String) throws {
        let cc = String(command.prefix { $0 != " " }), flags = String(command.drop { $0 != " " })
        guard have(cc) else { return }
        let dir = ScratchDir("fuzz")
        let path = try #require(compile(dir, "main.c", mainSource, cc: cc, flags: flags))
        let file = try MappedFile.open(path)
        let original = try load(path)
        let line = try #require(original.sections.compactMap { $0 }.first { $0.name.equals(".debug_line") })
        let lineStart = line.data - original.base, lineSize = Int(line.size)
        let refs = references(to: "foo", in: original)

        let buffer = UnsafeMutableRawPointer.allocate(byteCount: file.size, alignment: 16)
        defer { buffer.deallocate() }
        func check(_ mutate: (UnsafeMutableRawPointer) -> Void) throws {
            buffer.copyMemory(from: file.base, byteCount: file.size)
            mutate(buffer + lineStart)
            let obj = ObjectFile(displayName: "fuzz.o", base: UnsafeRawPointer(buffer), size: file.size, priority: 0, isFromArchive: false)
            try obj.parse()
            let table = DebugLineTable(obj)   // not the cached one: the buffer changes each time
            for r in refs { _ = table.lookup(section: r.section, offset: r.offset) }
            for s in 0..<obj.sections.count { _ = table.lookup(section: s, offset: 0) }
        }
        // Each byte set to 0x00, 0xff and 0x80 (uleb continuation).
        for i in 0..<lineSize {
            for v: UInt8 in [0x00, 0xff, 0x80, 0x7f] { try check { $0.storeBytes(of: v, toByteOffset: i, as: UInt8.self) } }
        }
        // Random multi-byte damage, deterministic.
        var rng = SplitMix(seed: 0x5eed)
        for _ in 0..<3000 {
            let n = Int(rng.next() % 8) + 1
            let edits = (0..<n).map { _ in (Int(rng.next() % UInt64(lineSize)), UInt8(truncatingIfNeeded: rng.next())) }
            try check { p in for (i, v) in edits { p.storeBytes(of: v, toByteOffset: i, as: UInt8.self) } }
        }
        // The whole section zeroed or set to 0xff.
        try check { $0.initializeMemory(as: UInt8.self, repeating: 0, count: lineSize) }
        try check { $0.initializeMemory(as: UInt8.self, repeating: 0xff, count: lineSize) }
    }

    // MARK: end to end: weld's messages

    @Test(.enabled(if: weldPath != nil && have("gcc")))
    func undefinedSymbolNamesLine() throws {
        let weld = try #require(weldPath)
        let dir = ScratchDir("e2e-undef")
        _ = try #require(compile(dir, "main.c", mainSource, cc: "gcc", flags: "-g"))
        shell("cd '\(dir.path)' && '\(weld)' -e main -o a.out main.c.gcc.o 2> stderr.txt")
        let err = dir.read("stderr.txt")
        #expect(err.contains("undefined symbol: foo"), "\(err)")
        #expect(err.contains(">>> referenced by main.c:10 (\(dir.path)/main.c:10)"), "\(err)")
        #expect(err.contains(">>> referenced by main.c:11"), "\(err)")
        #expect(err.contains("main.c.gcc.o:(.text+0x"), "\(err)")
        #expect(err.contains("in function main"), "\(err)")
        #expect(!fileExists(dir.path + "/a.out"))
    }

    @Test(.enabled(if: weldPath != nil && have("clang")))
    func undefinedSymbolNamesLineDwarf4() throws {
        let weld = try #require(weldPath)
        let dir = ScratchDir("e2e-undef4")
        _ = try #require(compile(dir, "main.c", mainSource, cc: "clang", flags: "-g -gdwarf-4"))
        shell("cd '\(dir.path)' && '\(weld)' -e main -o a.out main.c.clang.o 2> stderr.txt")
        let err = dir.read("stderr.txt")
        #expect(err.contains(">>> referenced by main.c:10"), "\(err)")
    }

    @Test(.enabled(if: weldPath != nil && have("gcc")))
    func duplicateSymbolNamesLines() throws {
        let weld = try #require(weldPath)
        let dir = ScratchDir("e2e-dup")
        _ = try #require(compile(dir, "a.c", "int x;\n\nint dup(void) {\n    return 1;\n}\nint main(void) { return dup(); }\n", cc: "gcc", flags: "-g"))
        _ = try #require(compile(dir, "b.c", "\n\n\n\n\nstatic int y;\nint dup(void) {\n    return y;\n}\n", cc: "gcc", flags: "-g"))
        shell("cd '\(dir.path)' && '\(weld)' -e main -o a.out a.c.gcc.o b.c.gcc.o 2> stderr.txt")
        let err = dir.read("stderr.txt")
        #expect(err.contains("duplicate symbol: dup"), "\(err)")
        #expect(err.contains(">>> defined at a.c:3 (\(dir.path)/a.c:3)\n>>>            a.c.gcc.o:(.text+0x0)"), "\(err)")
        #expect(err.contains(">>> defined at b.c:7 (\(dir.path)/b.c:7)\n>>>            b.c.gcc.o:(.text+0x0)"), "\(err)")
    }

    /// Without debug info the messages are as before.
    @Test(.enabled(if: weldPath != nil && have("gcc")))
    func undefinedWithoutDebugInfo() throws {
        let weld = try #require(weldPath)
        let dir = ScratchDir("e2e-nodebug")
        _ = try #require(compile(dir, "main.c", mainSource, cc: "gcc", flags: "-O0"))
        shell("cd '\(dir.path)' && '\(weld)' -e main -o a.out main.c.gcc.o 2> stderr.txt")
        let err = dir.read("stderr.txt")
        #expect(err.contains(">>> referenced by main.c:(main)\n>>>               main.c.gcc.o:(.text+0x"), "\(err)")
    }
}

/// The weld built beside these tests (`swift build --scratch-path .build-dwarf` or `.build`).
private let weldPath: String? = {
    var root = #filePath
    for _ in 0..<3 { if let slash = root.utf8.lastIndex(of: UInt8(ascii: "/")) { root = String(root[..<slash]) } }
    for scratch in [".build-dwarf", ".build"] {
        let p = "\(root)/\(scratch)/debug/weld"
        if fileExists(p) { return p }
    }
    return nil
}()

private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
