// The program corpus in Tests/Fixtures/programs: discovery and the comment-header directives.
//
// A program is either one file (`name.c`, `name.cpp`, `name.cc`) or a directory `name/`
// whose C, C++ and assembly files (`.c .cc .cpp .S .s`) are compiled and linked together.
// Inside a directory:
//   - a subdirectory `libNAME/` (or `lib/`) is compiled and archived into `libNAME.a`
//     (`thinlibNAME/`: a thin archive; `bsdlibNAME/`: llvm-ar --format=bsd, which GNU ld
//     cannot read, so the reference link gets a GNU-format archive of the same members);
//   - a subdirectory `shlibNAME/` is compiled with -fPIC and linked by the *reference* linker
//     into `libNAME.so` (with `NAME.map` as version script when present): weld links
//     executables against it; such programs must restrict MODES to dynamic ones.
//   Archives and shared libraries not named by a `%{...}` placeholder are linked right after
//   the objects, in name order.
//
// Directives are comment lines `// KEY: value` anywhere in a source file:
//   CFLAGS:      extra compiler flags for this file only (after the mode's flags)
//   GCC-CFLAGS, CLANG-CFLAGS: the same, for one compiler only
//   LINKFLAGS:   extra driver flags at link time (after objects and archives)
//   LIBS:        libraries, after LINKFLAGS
//   MODES:       subset of `pie nopie static static-pie` (default: all four)
//   COMPILERS:   subset of `gcc clang` (default: both)
//   ARGS:        command-line arguments for the run
//   ENV:         KEY=VALUE pairs added to the run's (otherwise minimal) environment
//   STDERR:      `compare` to compare stderr too (default: ignored)
//   EXPECT-EXIT: exit status the reference run must have (`3`, or `signal 15`); without it
//                the reference must exit normally (any status)
//   TIMEOUT:     seconds for each run (default 20)
//   SKIP:        `MODE/COMPILER reason…` (either part may be `*`): leave out one combination,
//                e.g. where GNU ld itself produces a broken executable
// Placeholders in CFLAGS/LINKFLAGS/LIBS: %{src} (the program's source directory),
// %{out} (the directory of the linked executable), %{libNAME}/%{shlibNAME} etc. (the built
// archive or shared library of that subdirectory), %{dir:libNAME} (the directory holding it,
// for -L).
import Foundation
import Testing

enum Mode: String, CaseIterable, Sendable, Hashable {
    case pie
    case nopie
    case `static`
    case staticPie = "static-pie"

    /// Flags for compiling objects used in this mode.
    var compileFlags: [String] {
        switch self {
        case .pie, .staticPie: return ["-fPIE"]
        case .nopie, .static: return ["-fno-pie"]
        }
    }

    /// Objects are shared between modes that compile the same way.
    var codegen: String { compileFlags[0] }

    var linkFlags: [String] {
        switch self {
        case .pie: return ["-pie"]
        case .nopie: return ["-no-pie"]
        case .static: return ["-static"]
        case .staticPie: return ["-static-pie"]
        }
    }

    var isStatic: Bool { self == .static || self == .staticPie }
}

enum Compiler: String, CaseIterable, Sendable, Hashable {
    case gcc
    case clang

    func driver(cxx: Bool) -> String? {
        switch self {
        case .gcc: return cxx ? Tools.gxx : Tools.gcc
        case .clang: return cxx ? Tools.clangxx : Tools.clang
        }
    }
}

enum ExpectedExit: Sendable, Equatable {
    case status(Int32)
    case signal(Int32)

    var termination: Termination {
        switch self {
        case .status(let s): return .exited(s)
        case .signal(let s): return .signaled(s)
        }
    }
}

struct SourceFile: Sendable {
    var path: String
    var cflags: [String]
    var gccCflags: [String] = []
    var clangCflags: [String] = []
    func cflags(for compiler: Compiler) -> [String] {
        cflags + (compiler == .gcc ? gccCflags : clangCflags)
    }
    var isCxx: Bool { path.hasSuffix(".cpp") || path.hasSuffix(".cc") }
    var objectName: String {
        (path as NSString).lastPathComponent.replacingOccurrences(of: ".", with: "_") + ".o"
    }
}

struct LibrarySpec: Sendable {
    enum Kind: Sendable { case archive, thinArchive, bsdArchive, shared }
    var dirName: String          // e.g. "libfoo", "lib", "shlibbar"
    var kind: Kind
    var sources: [SourceFile]
    var versionScript: String?
    /// `libfoo.a`, `libbar.so`
    var fileName: String {
        switch kind {
        case .shared: return "lib" + dirName.dropFirst("shlib".count) + ".so"
        case .thinArchive: return "lib" + dirName.dropFirst("thinlib".count) + ".a"
        case .bsdArchive: return "lib" + dirName.dropFirst("bsdlib".count) + ".a"
        case .archive: return dirName == "lib" ? "libprog.a" : dirName + ".a"
        }
    }
}

struct Program: Sendable {
    var name: String
    var sourceDir: String
    var sources: [SourceFile]
    var libraries: [LibrarySpec]
    var linkFlags: [String] = []
    var libs: [String] = []
    var modes: [Mode] = Mode.allCases
    var compilers: [Compiler] = Compiler.allCases
    var args: [String] = []
    var env: [String: String] = [:]
    var compareStderr = false
    var expectExit: ExpectedExit?
    var timeout: Double = 20
    var skips: [(mode: String, compiler: String)] = []
    var problems: [String] = []

    var isCxx: Bool { sources.contains { $0.isCxx } || libraries.contains { $0.sources.contains { $0.isCxx } } }
}

enum Corpus {
    static let sourceExtensions = ["c", "cc", "cpp", "S", "s"]
    static let knownKeys: Set<String> = [
        "CFLAGS", "GCC-CFLAGS", "CLANG-CFLAGS", "LINKFLAGS", "LIBS", "MODES", "COMPILERS", "ARGS", "ENV", "STDERR", "EXPECT-EXIT", "TIMEOUT", "SKIP",
    ]

    /// All programs, sorted by name. `WELD_E2E_PROGRAMS=a,b` restricts the set (exact names or
    /// prefixes ending in `*`).
    static let programs: [Program] = {
        let fm = FileManager.default
        guard let entries = try? fm.contentsOfDirectory(atPath: Paths.programs) else { return [] }
        var result: [Program] = []
        for entry in entries.sorted() {
            let path = Paths.programs + "/" + entry
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else { continue }
            if isDir.boolValue {
                result.append(loadDirectory(name: entry, path: path))
            } else if sourceExtensions.contains((entry as NSString).pathExtension) {
                let name = (entry as NSString).deletingPathExtension
                var program = Program(name: name, sourceDir: Paths.programs, sources: [], libraries: [])
                program.sources = [parse(path, into: &program)]
                result.append(program)
            }
        }
        return result.filter { selected($0.name, env: "WELD_E2E_PROGRAMS") }
    }()

    static func program(named name: String) -> Program? { programs.first { $0.name == name } }

    private static func selected(_ value: String, env: String) -> Bool {
        guard let filter = ProcessInfo.processInfo.environment[env], !filter.isEmpty else { return true }
        return filter.split(separator: ",").contains { pattern in
            let p = pattern.trimmingCharacters(in: .whitespaces)
            return p.hasSuffix("*") ? value.hasPrefix(String(p.dropLast())) : value == p
        }
    }

    private static func sourceFiles(in dir: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return entries.sorted().filter { sourceExtensions.contains(($0 as NSString).pathExtension) }
            .map { dir + "/" + $0 }
    }

    private static func loadDirectory(name: String, path: String) -> Program {
        var program = Program(name: name, sourceDir: path, sources: [], libraries: [])
        for file in sourceFiles(in: path) {
            program.sources.append(parse(file, into: &program))
        }
        let fm = FileManager.default
        for sub in ((try? fm.contentsOfDirectory(atPath: path)) ?? []).sorted() {
            let subPath = path + "/" + sub
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: subPath, isDirectory: &isDir), isDir.boolValue else { continue }
            let kind: LibrarySpec.Kind
            if sub.hasPrefix("shlib") { kind = .shared }
            else if sub.hasPrefix("thinlib") { kind = .thinArchive }
            else if sub.hasPrefix("bsdlib") { kind = .bsdArchive }
            else if sub.hasPrefix("lib") { kind = .archive }
            else { continue }
            var lib = LibrarySpec(dirName: sub, kind: kind, sources: [])
            for file in sourceFiles(in: subPath) { lib.sources.append(parse(file, into: &program)) }
            let map = subPath + "/" + sub.dropFirst("shlib".count) + ".map"
            if kind == .shared, fm.fileExists(atPath: map) { lib.versionScript = map }
            program.libraries.append(lib)
        }
        if program.sources.isEmpty { program.problems.append("no source files in \(path)") }
        if program.libraries.contains(where: { $0.kind == .shared }) && program.modes.contains(where: \.isStatic) {
            program.problems.append("programs with shared libraries must restrict MODES to pie/nopie")
        }
        return program
    }

    /// Reads the directives of one file into `program`; returns the file with its CFLAGS.
    private static func parse(_ path: String, into program: inout Program) -> SourceFile {
        var file = SourceFile(path: path, cflags: [])
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            program.problems.append("cannot read \(path)")
            return file
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("// ") else { continue }
            let body = line.dropFirst(3)
            guard let colon = body.firstIndex(of: ":") else { continue }
            let key = String(body[..<colon])
            guard !key.isEmpty, key.allSatisfy({ $0.isUppercase || $0 == "-" }) else { continue }
            let value = body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            let words = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            switch key {
            case "CFLAGS": file.cflags += words
            case "GCC-CFLAGS": file.gccCflags += words
            case "CLANG-CFLAGS": file.clangCflags += words
            case "LINKFLAGS": program.linkFlags += words
            case "LIBS": program.libs += words
            case "MODES":
                let modes = words.compactMap(Mode.init(rawValue:))
                if modes.count != words.count { program.problems.append("\(path): bad MODES '\(value)'") }
                program.modes = Mode.allCases.filter { modes.contains($0) }
            case "COMPILERS":
                let cs = words.compactMap(Compiler.init(rawValue:))
                if cs.count != words.count { program.problems.append("\(path): bad COMPILERS '\(value)'") }
                program.compilers = Compiler.allCases.filter { cs.contains($0) }
            case "ARGS": program.args += words
            case "ENV":
                for w in words {
                    guard let eq = w.firstIndex(of: "=") else {
                        program.problems.append("\(path): bad ENV entry '\(w)'")
                        continue
                    }
                    program.env[String(w[..<eq])] = String(w[w.index(after: eq)...])
                }
            case "STDERR":
                switch value {
                case "compare": program.compareStderr = true
                case "ignore": program.compareStderr = false
                default: program.problems.append("\(path): bad STDERR '\(value)'")
                }
            case "EXPECT-EXIT":
                if words.count == 2, words[0] == "signal", let s = Int32(words[1]) {
                    program.expectExit = .signal(s)
                } else if words.count == 1, let s = Int32(words[0]) {
                    program.expectExit = .status(s)
                } else {
                    program.problems.append("\(path): bad EXPECT-EXIT '\(value)'")
                }
            case "SKIP":
                let parts = (words.first ?? "").split(separator: "/").map(String.init)
                if parts.count == 2, parts[0] == "*" || Mode(rawValue: parts[0]) != nil,
                   parts[1] == "*" || Compiler(rawValue: parts[1]) != nil, words.count > 1 {
                    program.skips.append((parts[0], parts[1]))
                } else {
                    program.problems.append("\(path): SKIP wants 'MODE/COMPILER reason', got '\(value)'")
                }
            case "TIMEOUT":
                if let t = Double(value) { program.timeout = t }
                else { program.problems.append("\(path): bad TIMEOUT '\(value)'") }
            default:
                if !knownKeys.contains(key) && key.count > 2 && key.count < 16 && line.count < 200 {
                    // Upper-case words followed by a colon in ordinary comments are rare; flag
                    // them so a misspelled directive is not silently ignored.
                    program.problems.append("\(path): unknown directive '\(key)'")
                }
            }
        }
        return file
    }
}

/// One parameterized test case: a program linked in one mode through one compiler driver.
struct LinkCase: Sendable, Hashable, CustomTestStringConvertible {
    var program: String
    var mode: Mode
    var compiler: Compiler

    var testDescription: String { "\(program) [\(mode.rawValue), \(compiler.rawValue)]" }

    /// programs × modes × compilers, honouring each program's MODES and COMPILERS and the
    /// `WELD_E2E_MODES` / `WELD_E2E_COMPILERS` environment filters (comma-separated).
    static let all: [LinkCase] = {
        let env = ProcessInfo.processInfo.environment
        func allowed(_ v: String, _ key: String) -> Bool {
            guard let f = env[key], !f.isEmpty else { return true }
            return f.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == v }
        }
        var cases: [LinkCase] = []
        for p in Corpus.programs {
            for m in p.modes where allowed(m.rawValue, "WELD_E2E_MODES") {
                for c in p.compilers where allowed(c.rawValue, "WELD_E2E_COMPILERS") {
                    if p.skips.contains(where: { ($0.mode == "*" || $0.mode == m.rawValue)
                        && ($0.compiler == "*" || $0.compiler == c.rawValue) }) { continue }
                    cases.append(LinkCase(program: p.name, mode: m, compiler: c))
                }
            }
        }
        return cases
    }()
}
