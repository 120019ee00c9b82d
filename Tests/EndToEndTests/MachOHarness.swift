// The Mach-O end-to-end harness, as the Swift tests see it: where the Python tools are
// (Tests/MachOHarness), the reference linker (Debian's ld64.lld), the linker under test (weld
// as `weld -flavor darwin`), and one shared run of the corpus (Tests/Fixtures/macho) whose
// JSON results every Mach-O test reads. The corpus runs once per test process: compiling,
// linking, emulating and checking all programs, two jobs at a time.
import Foundation

enum MachOHarness {
    static let directory = Paths.packageRoot + "/Tests/MachOHarness"
    static let corpusScript = directory + "/corpus.py"
    static let runner = directory + "/run_macho.py"
    static let comparator = directory + "/compare_macho.py"
    static let corpusDirectory = Paths.fixtures + "/macho"
    static let work = Paths.work + "/macho-corpus"

    static let python: String? = {
        if let p = ProcessInfo.processInfo.environment["WELD_MACHO_PYTHON"], !p.isEmpty { return p }
        return Tools.which("python3")
    }()

    /// ld64.lld from Debian's lld-19 (the Swift toolchain's own ld64.lld refuses macOS).
    static let referenceLinker: String? = {
        let env = ProcessInfo.processInfo.environment
        let candidates = [env["WELD_MACHO_REFERENCE"] ?? "", "/usr/lib/llvm-19/bin/ld64.lld", "/usr/lib/llvm-22/bin/ld64.lld"]
        return candidates.first { !$0.isEmpty && FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Python with Unicorn, arm64 clang, and ld64.lld: what the harness itself needs.
    static let missingPrerequisites: [String] = {
        var missing: [String] = []
        if python == nil { missing.append("python3") }
        if referenceLinker == nil { missing.append("ld64.lld (apt-get install lld-19)") }
        if Tools.clang == nil { missing.append("clang") }
        if let python, !pythonImports(python, "unicorn") { missing.append("Python unicorn (pip install unicorn)") }
        return missing
    }()

    /// The harness runs whenever its tools are present, and always in CI, where a missing
    /// tool is then a failure rather than a skip.
    static var shouldRun: Bool { missingPrerequisites.isEmpty || Weld.isCI }

    static var weldCommand: String? { Weld.path.map { shellQuote([$0]) + " -flavor darwin" } }

    static let programNames: [String] = {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: corpusDirectory)) ?? []
        return entries.filter { FileManager.default.fileExists(atPath: "\(corpusDirectory)/\($0)/program.txt") }.sorted()
    }()

    /// `WELD_MACHO_PROGRAMS=hello,tls` runs only those corpus programs (for quick iteration).
    static let selectedPrograms: [String] = {
        guard let list = ProcessInfo.processInfo.environment["WELD_MACHO_PROGRAMS"], !list.isEmpty else { return programNames }
        return list.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
    }()

    private static func pythonImports(_ python: String, _ module: String) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", "import \(module)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    /// The one corpus run shared by all Mach-O tests (default link: chained fixups).
    static let corpus = Task<MachOCorpusRun, Never> { await MachOCorpusRun.make() }

    /// The corpus linked again in other modes, for the runs only (no determinism links):
    /// -no_fixup_chains (classic dyld-info rebase/bind/lazy-bind/weak-bind opcodes, lazy binding
    /// through __stub_helper) and -dead_strip.
    static let linkModes = ["-no_fixup_chains", "-dead_strip"]
    static let corpusInMode: [String: Task<MachOCorpusRun, Never>] = Dictionary(uniqueKeysWithValues: linkModes.map { mode in
        (mode, Task<MachOCorpusRun, Never> {
            await MachOCorpusRun.make(linkFlags: mode, work: work + mode, determinism: false)
        })
    })

    static func run(_ argv: [String], timeout: Double = 600) async -> ProcessResult {
        try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        return await ProcessRunner.run(argv, timeout: timeout, scratch: work)
    }
}

/// What corpus.py prints for one program (one JSON object per line).
struct MachOProgramResult: Decodable, Sendable {
    struct Expected: Decodable, Sendable { var stdout: String; var status: Int }
    struct Run: Decodable, Sendable {
        var slide: Int
        var status: Int?
        var stdout: String
        var stderr: String
        var error: String?
    }
    struct Signature: Decodable, Sendable {
        var file: String
        var problems: [String]
        var flippedAt: Int
        var flippedDetected: Bool
    }
    struct Link: Decodable, Sendable {
        var linked: Bool
        var log: String
        var commands: [String]
        var runs: [Run]?
        var signatures: [Signature]?
        var determinism: [String: [String: String]]?
    }
    struct Structure: Decodable, Sendable { var unexplained: [String]; var explained: [String] }

    var program: String
    var expected: Expected
    var compileError: String?
    var linker: Link?
    var reference: Link?
    var structure: [String: Structure]?

    /// Why a run differs from the native build's behaviour, or nil when it matches.
    func mismatch(_ run: Run) -> String? {
        let at = "at slide 0x\(String(run.slide, radix: 16))"
        if let error = run.error { return "\(at): \(error)\nstdout so far:\n\(run.stdout)" }
        if run.status != expected.status || run.stdout != expected.stdout {
            return "\(at): exit \(run.status.map(String.init) ?? "none") (expected \(expected.status)); stdout:\n" +
                "\(run.stdout)\nexpected stdout:\n\(expected.stdout)\nstderr:\n\(run.stderr)"
        }
        return nil
    }
}

struct MachOCorpusRun: Sendable {
    var results: [MachOProgramResult] = []
    /// Set when the harness could not run at all (a tool missing, corpus.py failing).
    var failure: String?
    /// True when weld was linked as the linker under test (weld was found).
    var includesWeld = false

    static func make(linkFlags: String = "", work: String = MachOHarness.work, determinism: Bool = true) async -> MachOCorpusRun {
        var run = MachOCorpusRun()
        guard MachOHarness.missingPrerequisites.isEmpty, let python = MachOHarness.python,
              let lld = MachOHarness.referenceLinker else {
            run.failure = "missing: \(MachOHarness.missingPrerequisites.joined(separator: ", ")) (.ci/run installs them)"
            return run
        }
        var argv = [python, MachOHarness.corpusScript, "check", "--reference", lld, "--work", work,
                    "--jobs", "\(max(1, min(ProcessRunner.jobs, 2)))"]
        if let weld = MachOHarness.weldCommand {
            argv += ["--linker", weld] + (determinism ? ["--determinism"] : [])
            run.includesWeld = true
        }
        if !linkFlags.isEmpty { argv.append("--link-flags=\(linkFlags)") }
        if MachOHarness.selectedPrograms != MachOHarness.programNames { argv += MachOHarness.selectedPrograms }
        let result = await MachOHarness.run(argv)
        guard result.termination.isSuccess else {
            run.failure = "\(result.commandLine) failed (\(result.termination)):\n\(result.stderrText)"
            return run
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        for line in result.stdoutText.split(separator: "\n") where !line.isEmpty {
            do {
                run.results.append(try decoder.decode(MachOProgramResult.self, from: Data(line.utf8)))
            } catch {
                run.failure = "cannot read corpus.py output (\(error)): \(line.prefix(300))"
                return run
            }
        }
        return run
    }
}
