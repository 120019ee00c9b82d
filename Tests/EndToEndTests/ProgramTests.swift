// The corpus tests: every program in Tests/Fixtures/programs, in every mode it allows (PIE,
// non-PIE, static, static-PIE), through both compiler drivers (gcc -B DIR, clang --ld-path),
// linked once by GNU ld (the reference) and once by weld. Both executables run; their exit
// status and stdout (and stderr where the program asks) must be identical. weld's output must
// also satisfy `readelf -W -a`, and (separately, per program) `eu-elflint --gnu-ld`.
//
// Environment knobs: WELD (linker under test), WELD_E2E_PROGRAMS / _MODES / _COMPILERS
// (comma-separated filters), WELD_E2E_JOBS (concurrent processes), WELD_E2E_KEEP=1 (keep
// executables), WELD_E2E_WORKDIR (scratch directory).
import Foundation
import Testing

@Suite("Corpus programs linked by weld behave like GNU ld's")
struct ProgramTests {
    @Test("program runs identically", .enabled(if: Weld.shouldRun, Comment(rawValue: Weld.missingMessage)),
          arguments: LinkCase.all)
    func runsLikeReference(_ c: LinkCase) async throws {
        try #require(Weld.path != nil, Comment(rawValue: Weld.missingMessage))
        let program = try #require(Corpus.program(named: c.program))
        try #require(program.problems.isEmpty, Comment(rawValue: "corpus problems:\n" + program.problems.joined(separator: "\n")))

        let compiled = await Builder.compile(program, compiler: c.compiler, mode: c.mode)
        if let f = compiled.failure {
            Issue.record(Comment(rawValue: "building the program's objects failed (a corpus or harness problem):\n\(f)"))
            return
        }
        async let refLink = Builder.link(program, c, with: .reference)
        async let weldLink = Builder.link(program, c, with: .weld)
        let (ref, weld) = await (refLink, weldLink)
        if let f = ref.failure {
            Issue.record(Comment(rawValue: "the reference link failed (a corpus or harness problem):\n\(f)"))
            return
        }
        if let f = weld.failure {
            Issue.record(Comment(rawValue: f))
            return
        }
        let weldCommand = weld.result?.commandLine ?? "?"
        let weldLinkerOutput = weld.result.map { $0.stderrText + $0.stdoutText } ?? ""

        async let refRunTask = Builder.run(program, executable: ref.executable)
        async let weldRunTask = Builder.run(program, executable: weld.executable)
        let (refRun, weldRun) = await (refRunTask, weldRunTask)

        // The reference itself must behave as the corpus says.
        if let expected = program.expectExit {
            #expect(refRun.termination == expected.termination,
                    Comment(rawValue: "reference run: expected \(expected.termination), got \(refRun.termination)\n"
                        + Report.step("reference run", refRun)))
        } else if refRun.termination.exitCode == nil {
            Issue.record(Comment(rawValue: "the reference executable did not exit normally (corpus problem): "
                + "\(refRun.termination)\n" + Report.step("reference run", refRun)))
        }

        var problems: [String] = []
        if refRun.termination != weldRun.termination {
            problems.append("termination differs: reference \(refRun.termination), weld \(weldRun.termination)")
        }
        if refRun.stdout != weldRun.stdout {
            problems.append(Report.diff("stdout", reference: refRun.stdoutText, actual: weldRun.stdoutText))
        }
        if program.compareStderr && refRun.stderr != weldRun.stderr {
            problems.append(Report.diff("stderr", reference: refRun.stderrText, actual: weldRun.stderrText))
        }
        if !problems.isEmpty {
            var text = "weld's executable behaves differently from GNU ld's for \(c.testDescription)\n"
            text += problems.joined(separator: "\n")
            text += "\nweld link command:\n  \(weldCommand)\n"
            if !weldLinkerOutput.isEmpty { text += "weld printed:\n" + Report.indent(Report.clip(weldLinkerOutput)) }
            if !weldRun.stderr.isEmpty && !program.compareStderr {
                text += "weld-linked program's stderr:\n" + Report.indent(Report.clip(weldRun.stderrText))
            }
            text += "executables: \(ref.executable) \(weld.executable)"
            Issue.record(Comment(rawValue: text))
        }

        // readelf must accept weld's output without complaint.
        if let readelf = Tools.readelf {
            let r = await ProcessRunner.run([readelf, "-W", "-a", weld.executable], timeout: 120,
                                            scratch: Builder.outputDir(c))
            let complaints = r.stderrText.split(separator: "\n").filter {
                $0.localizedCaseInsensitiveContains("warning") || $0.localizedCaseInsensitiveContains("error")
            }
            #expect(r.termination.isSuccess && complaints.isEmpty,
                    Comment(rawValue: "readelf -W -a complains about weld's output (\(r.termination)):\n"
                        + Report.indent(Report.clip(complaints.joined(separator: "\n")))
                        + "weld link command:\n  \(weldCommand)"))
        }

        // Lint now (memoized for the elflint test) so the executables can be deleted after.
        if Tools.elflint != nil { _ = await Lint.result(program, c) }
        if !Paths.keepOutputs && problems.isEmpty {
            try? FileManager.default.removeItem(atPath: weld.executable)
            try? FileManager.default.removeItem(atPath: ref.executable)
        }
    }

    /// Same inputs and options must give byte-identical output (DESIGN.md, Determinism).
    @Test("weld's output is deterministic", .enabled(if: Weld.shouldRun, Comment(rawValue: Weld.missingMessage)),
          arguments: Corpus.programs.map(\.name))
    func deterministic(_ name: String) async throws {
        try #require(Weld.path != nil, Comment(rawValue: Weld.missingMessage))
        let program = try #require(Corpus.program(named: name))
        // One configuration per program: PIE through gcc when allowed, else the first case.
        let cases = LinkCase.all.filter { $0.program == name }
        guard let c = cases.first(where: { $0.mode == .pie && $0.compiler == .gcc }) ?? cases.first else { return }
        let compiled = await Builder.compile(program, compiler: c.compiler, mode: c.mode)
        try #require(compiled.failure == nil, Comment(rawValue: compiled.failure ?? ""))
        var outputs: [Data] = []
        var commands: [String] = []
        for round in 0..<2 {
            let dir = "\(Paths.work)/determinism/\(name)/\(round)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let exe = dir + "/weld.out"   // same file name: it may appear in the output
            let argv = try #require(Builder.linkCommand(program, c, linker: .weld, compiled: compiled, output: exe))
            let r = await ProcessRunner.run(argv, timeout: 600, scratch: dir)
            try #require(r.termination.isSuccess, Comment(rawValue: Report.step("weld link failed", r)))
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: exe)))
            commands.append(r.commandLine)
            if !Paths.keepOutputs { try? FileManager.default.removeItem(atPath: exe) }
        }
        if outputs[0] != outputs[1] {
            let firstDiff = zip(outputs[0], outputs[1]).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            Issue.record(Comment(rawValue: "two weld links of \(c.testDescription) differ: sizes \(outputs[0].count) and "
                + "\(outputs[1].count), first differing byte at offset \(firstDiff.map { String($0, radix: 16) } ?? "end") (hex)\n"
                + commands.joined(separator: "\n")))
        }
    }

    @Test("corpus is complete and well-formed")
    func corpusIsWellFormed() {
        if ProcessInfo.processInfo.environment["WELD_E2E_PROGRAMS"] == nil {
            #expect(Corpus.programs.count >= 45, "the corpus should hold at least 45 programs")
        }
        for p in Corpus.programs {
            #expect(p.problems.isEmpty, Comment(rawValue: "\(p.name): " + p.problems.joined(separator: "; ")))
            #expect(!p.modes.isEmpty && !p.compilers.isEmpty, "\(p.name) has no mode or compiler left")
        }
    }
}

/// eu-elflint results per case, memoized (the corpus test computes them while the executables
/// still exist; the elflint test reports them per program).
enum Lint {
    struct Result: Sendable {
        var linkFailed = false
        var raw: [String] = []
        var unexpected: [String] = []            // normalized messages not in the allowlist
        var alsoInReference: Set<String> = []    // those GNU ld's output gets too
        var failure: String?
    }

    static let memo = Memo<LinkCase, Result>()

    static func run(_ elflint: String, _ exe: String, scratch: String) async -> (ProcessResult, [String]) {
        let r = await ProcessRunner.run([elflint, "--gnu-ld", exe], timeout: 300, scratch: scratch)
        return (r, ElfLint.messages(r.stdoutText + r.stderrText))
    }

    static func result(_ program: Program, _ c: LinkCase) async -> Result {
        await memo.value(for: c) {
            guard let elflint = Tools.elflint else { return Result(failure: "eu-elflint not installed") }
            let weld = await Builder.link(program, c, with: .weld)
            guard weld.ok else { return Result(linkFailed: true) }
            var result = Result()
            let (r, msgs) = await run(elflint, weld.executable, scratch: Builder.outputDir(c))
            if case .signaled = r.termination { result.failure = Report.step("eu-elflint crashed", r) }
            if case .timedOut = r.termination { result.failure = Report.step("eu-elflint timed out", r) }
            result.raw = msgs
            result.unexpected = msgs.map(ElfLint.normalize).filter { !ElfLint.isAllowed($0) }
            if !result.unexpected.isEmpty {
                let ref = await Builder.link(program, c, with: .reference)
                if ref.ok {
                    let (_, refMsgs) = await run(elflint, ref.executable, scratch: Builder.outputDir(c))
                    result.alsoInReference = Set(refMsgs.map(ElfLint.normalize))
                }
            }
            return result
        }
    }
}

@Suite("eu-elflint accepts weld's outputs")
struct ElfLintTests {
    static var programNames: [String] { Corpus.programs.map(\.name) }

    @Test("eu-elflint --gnu-ld reports only allowlisted messages",
          .enabled(if: Weld.shouldRun, Comment(rawValue: Weld.missingMessage)),
          .enabled(if: Tools.elflint != nil, "eu-elflint is not installed (apt-get install elfutils)"),
          arguments: ElfLintTests.programNames)
    func elflintClean(_ name: String) async throws {
        try #require(Weld.path != nil, Comment(rawValue: Weld.missingMessage))
        let program = try #require(Corpus.program(named: name))
        let cases = LinkCase.all.filter { $0.program == name }
        var report: [String] = []
        var uniqueMessages: [String: [String]] = [:]   // message → cases
        for c in cases {
            let r = await Lint.result(program, c)
            if let f = r.failure { report.append("\(c.testDescription): \(f)") }
            for m in Set(r.unexpected).sorted() {
                let note = r.alsoInReference.contains(m) ? " (GNU ld's output gets it too)" : ""
                uniqueMessages[m + note, default: []].append("\(c.mode.rawValue)/\(c.compiler.rawValue)")
            }
        }
        for (m, where_) in uniqueMessages.sorted(by: { $0.key < $1.key }) {
            report.append("\(m)\n      in: \(where_.joined(separator: ", "))")
        }
        if !report.isEmpty {
            // With a stand-in linker these are GNU ld's own messages: known issues, not failures.
            weldSpecific("eu-elflint messages") {
                Issue.record(Comment(rawValue: "eu-elflint --gnu-ld messages on weld's output for \(name) that are not in "
                    + "Tests/EndToEndTests/elflint-allowlist.txt (normalized; add a line with the reason to accept one):\n  "
                    + report.joined(separator: "\n  ")))
            }
        }
    }
}
