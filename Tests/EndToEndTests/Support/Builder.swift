// Compiling and linking corpus programs. Every step is memoized for the whole test process:
// objects are compiled once per (program, compiler, code model) and shared by the modes that
// use them; each (program, mode, compiler, linker) is linked once, whichever test asks first.
import Foundation

/// Memoizes async computations by key; concurrent requests for one key share one task.
actor Memo<Key: Hashable & Sendable, Value: Sendable> {
    private var tasks: [Key: Task<Value, Never>] = [:]

    func value(for key: Key, _ make: @escaping @Sendable () async -> Value) async -> Value {
        if let t = tasks[key] { return await t.value }
        let t = Task { await make() }
        tasks[key] = t
        return await t.value
    }
}

enum LinkerKind: String, Sendable, Hashable {
    case reference
    case weld

    var label: String { self == .reference ? "GNU ld (reference)" : "weld" }
}

struct CompiledProgram: Sendable {
    var objects: [String] = []
    /// Built libraries by subdirectory name, e.g. "libfoo" → ".../libfoo.a".
    var libraries: [(dirName: String, path: String, shared: Bool)] = []
    /// Replacements for the reference link (a GNU-format copy of a BSD-format archive).
    var referenceCopies: [String: String] = [:]
    /// A description of the first failing step, if any.
    var failure: String?
}

struct LinkedProgram: Sendable {
    var executable: String
    var result: ProcessResult?
    var failure: String?       // compile or link failure, fully described
    var ok: Bool { failure == nil }
}

struct CompileKey: Hashable, Sendable {
    var program: String
    var compiler: Compiler
    var codegen: String
}

struct LinkKey: Hashable, Sendable {
    var linkCase: LinkCase
    var linker: LinkerKind
}

enum Builder {
    static let compileMemo = Memo<CompileKey, CompiledProgram>()
    static let linkMemo = Memo<LinkKey, LinkedProgram>()

    static let optimization = ["-O2", "-g"]

    // MARK: compiling

    static func compile(_ program: Program, compiler: Compiler, mode: Mode) async -> CompiledProgram {
        let key = CompileKey(program: program.name, compiler: compiler, codegen: mode.codegen)
        return await compileMemo.value(for: key) {
            await doCompile(program, compiler: compiler, codegen: mode.compileFlags)
        }
    }

    private static func doCompile(_ program: Program, compiler: Compiler, codegen: [String]) async -> CompiledProgram {
        var out = CompiledProgram()
        let dir = "\(Paths.work)/obj/\(program.name)/\(compiler.rawValue)\(codegen.joined())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

        func compileAll(_ files: [SourceFile], into dir: String, extra: [String]) async -> ([String], String?) {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let results = await withTaskGroup(of: (Int, String, ProcessResult?).self) { group in
                for (i, file) in files.enumerated() {
                    group.addTask {
                        let object = dir + "/" + file.objectName
                        guard let driver = compiler.driver(cxx: file.isCxx) else { return (i, object, nil) }
                        let argv = [driver] + optimization + codegen + extra + ["-I", program.sourceDir]
                            + substitute(file.cflags(for: compiler), program: program, libraries: [], outDir: dir)
                            + ["-c", file.path, "-o", object]
                        return (i, object, await ProcessRunner.run(argv, timeout: 300, scratch: dir))
                    }
                }
                var all: [(Int, String, ProcessResult?)] = []
                for await r in group { all.append(r) }
                return all.sorted { $0.0 < $1.0 }
            }
            for (_, _, r) in results {
                guard let r else { return ([], "\(compiler.rawValue) driver not found") }
                if !r.termination.isSuccess {
                    return ([], Report.step("compiling failed (\(r.termination))", r))
                }
            }
            return (results.map { $0.1 }, nil)
        }

        let (objects, failure) = await compileAll(program.sources, into: dir, extra: [])
        if let failure { out.failure = failure; return out }
        out.objects = objects

        for lib in program.libraries {
            let libDir = dir + "/" + lib.dirName
            let shared = lib.kind == .shared
            let (libObjects, failure) = await compileAll(lib.sources, into: libDir, extra: shared ? ["-fPIC"] : [])
            if let failure { out.failure = failure; return out }
            let target = libDir + "/" + lib.fileName
            try? FileManager.default.removeItem(atPath: target)
            let argv: [String]
            switch lib.kind {
            case .archive: argv = [Tools.ar ?? "ar", "rcs", target] + libObjects
            case .thinArchive: argv = [Tools.ar ?? "ar", "rcsT", target] + libObjects
            case .bsdArchive: argv = [Tools.llvmAr ?? "llvm-ar", "--format=bsd", "rcs", target] + libObjects
            case .shared:
                // Shared libraries are inputs made by the reference toolchain; weld only has to
                // link executables against them.
                guard let driver = compiler.driver(cxx: lib.sources.contains { $0.isCxx }) else {
                    out.failure = "\(compiler.rawValue) driver not found"
                    return out
                }
                var a = [driver, "-shared", "-fuse-ld=bfd", "-o", target] + libObjects
                if let map = lib.versionScript { a.append("-Wl,--version-script=\(map)") }
                argv = a
            }
            let r = await ProcessRunner.run(argv, timeout: 300, scratch: libDir)
            if !r.termination.isSuccess {
                out.failure = Report.step("building \(lib.fileName) failed (\(r.termination))", r)
                return out
            }
            if lib.kind == .bsdArchive {
                let gnuDir = libDir + "/gnu-format"
                try? FileManager.default.createDirectory(atPath: gnuDir, withIntermediateDirectories: true)
                let copy = gnuDir + "/" + lib.fileName
                try? FileManager.default.removeItem(atPath: copy)
                let r = await ProcessRunner.run([Tools.ar ?? "ar", "rcs", copy] + libObjects, timeout: 300, scratch: libDir)
                if !r.termination.isSuccess {
                    out.failure = Report.step("building the GNU-format copy of \(lib.fileName) failed", r)
                    return out
                }
                out.referenceCopies[target] = copy
            }
            out.libraries.append((lib.dirName, target, shared))
        }
        return out
    }

    /// Replaces %{src}, %{out} and %{<library dir>} in directive words.
    static func substitute(_ words: [String], program: Program,
                           libraries: [(dirName: String, path: String, shared: Bool)], outDir: String) -> [String] {
        words.map { w in
            guard w.contains("%{") else { return w }
            var s = w.replacingOccurrences(of: "%{src}", with: program.sourceDir)
            s = s.replacingOccurrences(of: "%{out}", with: outDir)
            for lib in libraries {
                s = s.replacingOccurrences(of: "%{\(lib.dirName)}", with: lib.path)
                s = s.replacingOccurrences(of: "%{dir:\(lib.dirName)}", with: (lib.path as NSString).deletingLastPathComponent)
            }
            return s
        }
    }

    // MARK: linking

    static func outputDir(_ c: LinkCase) -> String {
        "\(Paths.work)/out/\(c.program)/\(c.mode.rawValue)-\(c.compiler.rawValue)"
    }

    static func link(_ program: Program, _ c: LinkCase, with linker: LinkerKind) async -> LinkedProgram {
        await linkMemo.value(for: LinkKey(linkCase: c, linker: linker)) {
            await doLink(program, c, linker: linker)
        }
    }

    /// The driver command line that links `c` with `linker` (objects must exist).
    static func linkCommand(_ program: Program, _ c: LinkCase, linker: LinkerKind, compiled: CompiledProgram,
                            output: String) -> [String]? {
        guard let driver = c.compiler.driver(cxx: program.isCxx) else { return nil }
        var argv = [driver] + c.mode.linkFlags
        switch linker {
        case .reference:
            argv.append("-fuse-ld=bfd")
        case .weld:
            guard let weld = Weld.path else { return nil }
            switch c.compiler {
            case .gcc:
                guard let dir = Weld.gccBDir else { return nil }
                argv += ["-B", dir + "/"]
            case .clang:
                argv.append("--ld-path=\(weld)")
            }
        }
        let outDir = (output as NSString).deletingLastPathComponent
        let flags = substitute(program.linkFlags, program: program, libraries: compiled.libraries, outDir: outDir)
        let libs = substitute(program.libs, program: program, libraries: compiled.libraries, outDir: outDir)
        let named = Set(compiled.libraries.filter { lib in
            (program.linkFlags + program.libs).contains {
                $0.contains("%{\(lib.dirName)}") || $0.contains("%{dir:\(lib.dirName)}")
            }
        }.map(\.dirName))
        argv += compiled.objects
        argv += compiled.libraries.filter { !named.contains($0.dirName) }.map(\.path)
        argv += flags + libs
        for lib in compiled.libraries where lib.shared {
            argv.append("-Wl,-rpath,\((lib.path as NSString).deletingLastPathComponent)")
        }
        argv += ["-o", output]
        // GNU ld reads no BSD-format archives: the reference link, and GNU ld standing in for weld,
        // get a GNU-format archive of the same members.
        if linker == .reference || Weld.isStandIn {
            argv = argv.map { arg in
                compiled.referenceCopies.reduce(arg) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
            }
        }
        return argv
    }

    private static func doLink(_ program: Program, _ c: LinkCase, linker: LinkerKind) async -> LinkedProgram {
        let dir = outputDir(c)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let exe = "\(dir)/\(linker == .weld ? "weld" : "gnu-ld").out"
        let compiled = await compile(program, compiler: c.compiler, mode: c.mode)
        if let f = compiled.failure {
            return LinkedProgram(executable: exe, result: nil, failure: f)
        }
        guard let argv = linkCommand(program, c, linker: linker, compiled: compiled, output: exe) else {
            return LinkedProgram(executable: exe, result: nil,
                                 failure: "cannot build a link command: \(c.compiler.rawValue) or weld missing")
        }
        try? FileManager.default.removeItem(atPath: exe)
        let r = await ProcessRunner.run(argv, timeout: 600, scratch: dir)
        if !r.termination.isSuccess {
            return LinkedProgram(executable: exe, result: r,
                                 failure: Report.step("linking with \(linker.label) failed (\(r.termination))", r))
        }
        if !FileManager.default.isExecutableFile(atPath: exe) {
            return LinkedProgram(executable: exe, result: r,
                                 failure: Report.step("\(linker.label) reported success but wrote no executable", r))
        }
        return LinkedProgram(executable: exe, result: r, failure: nil)
    }

    // MARK: running

    /// The environment programs run in: minimal and fixed, plus the program's ENV.
    static func runEnvironment(_ program: Program) -> [String: String] {
        var env: [String: String] = [
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C",
            "LC_ALL": "C",
            "HOME": Paths.work,
            "TMPDIR": "/tmp",
        ]
        for (k, v) in program.env { env[k] = v }
        return env
    }

    static func run(_ program: Program, executable: String) async -> ProcessResult {
        await ProcessRunner.run([executable] + program.args, environment: runEnvironment(program),
                                timeout: program.timeout, scratch: (executable as NSString).deletingLastPathComponent)
    }
}
