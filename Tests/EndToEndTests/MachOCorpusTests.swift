// Mach-O arm64 end to end: every program of Tests/Fixtures/macho is compiled once with clang
// for arm64-apple-macos13, linked by weld and by ld64.lld, run under the arm64 emulator
// (Tests/MachOHarness) at load slide 0 and 0x4000000, and its stdout and exit status compared
// with the same source built natively on Linux. weld's outputs must also pass an independent
// code-signature check (and fail it with one byte flipped), match ld64.lld's structurally, and
// be byte-identical at --threads=1 and 2.
//
// weld's Mach-O linker is being written: a program weld cannot link yet is recorded as a known
// issue (never a pass), and each test prints how many programs passed. The ld64.lld tests
// prove the harness itself; the self tests show it can fail.
import Foundation
import Testing

@Suite("Mach-O corpus")
struct MachOCorpusTests {
    static var corpusSize: Int { MachOHarness.programNames.count }

    private func corpus(_ which: Task<MachOCorpusRun, Never> = MachOHarness.corpus) async throws -> MachOCorpusRun {
        let run = await which.value
        if let failure = run.failure { Issue.record(Comment(rawValue: "Mach-O harness did not run: \(failure)")) }
        try #require(run.failure == nil)
        let wanted = MachOHarness.selectedPrograms.count
        #expect(run.results.count == wanted, "corpus.py reported \(run.results.count) of \(wanted) programs")
        return run
    }

    @Test("the corpus has at least 30 programs, each with expected output")
    func corpusIsComplete() throws {
        #expect(Self.corpusSize >= 30)
        for name in MachOHarness.programNames {
            let dir = "\(MachOHarness.corpusDirectory)/\(name)"
            #expect(FileManager.default.fileExists(atPath: dir + "/expected.stdout"), "\(name) lacks expected.stdout")
            #expect(FileManager.default.fileExists(atPath: dir + "/expected.status"), "\(name) lacks expected.status")
        }
    }

    /// The expected outputs are the native Linux build's, with two compilers: a program whose
    /// output depends on the compiler (unspecified evaluation order, say) fails here.
    @Test("expected outputs are what the same sources print when built natively",
          .enabled(if: MachOHarness.python != nil),
          arguments: [("clang", "clang++"), ("gcc", "g++")])
    func expectedOutputsComeFromNativeBuilds(cc: String, cxx: String) async throws {
        let python = try #require(MachOHarness.python)
        let (ccPath, cxxPath) = cc == "clang" ? (Tools.clang, Tools.clangxx) : (Tools.gcc, Tools.gxx)
        let compilers = try #require(ccPath.flatMap { c in cxxPath.map { (c, $0) } }, "\(cc) or \(cxx) missing")
        var env = ProcessInfo.processInfo.environment
        env["MACHO_NATIVE_CC"] = compilers.0
        env["MACHO_NATIVE_CXX"] = compilers.1
        try? FileManager.default.createDirectory(atPath: MachOHarness.work, withIntermediateDirectories: true)
        let result = await ProcessRunner.run([python, MachOHarness.corpusScript, "native"], environment: env,
                                             scratch: MachOHarness.work)
        #expect(result.termination.isSuccess, "native builds with \(cc) differ from expected.*:\n\(result.stdoutText)\(result.stderrText)")
    }

    // MARK: the reference linker: proves the harness

    @Test("ld64.lld: every corpus program runs like its native build at both slides, signed",
          .enabled(if: MachOHarness.shouldRun))
    func referenceLinkerRunsCorpus() async throws {
        let run = try await corpus()
        var passed = 0
        for r in run.results {
            if let error = r.compileError { Issue.record(Comment(rawValue: "\(r.program): \(error)")); continue }
            guard let link = r.reference, link.linked else {
                Issue.record(Comment(rawValue: "\(r.program): ld64.lld failed to link:\n\(r.reference?.log ?? "no result")"))
                continue
            }
            var ok = true
            for run in link.runs ?? [] {
                if let why = r.mismatch(run) { Issue.record(Comment(rawValue: "\(r.program) (ld64.lld) \(why)")); ok = false }
            }
            #expect(link.runs?.count == 2, "\(r.program): expected runs at two slides")
            for sig in link.signatures ?? [] {
                if !sig.problems.isEmpty { Issue.record(Comment(rawValue: "\(r.program): \(sig.file) signature: \(sig.problems)")); ok = false }
                if !sig.flippedDetected { Issue.record(Comment(rawValue: "\(r.program): \(sig.file) with byte \(sig.flippedAt) flipped still verifies")); ok = false }
            }
            if ok { passed += 1 }
        }
        print("Mach-O corpus: ld64.lld passed \(passed) of \(run.results.count) programs")
    }

    // MARK: weld

    /// Records why weld could not link `r` as a known issue; returns weld's link if it did.
    private func weldLink(_ r: MachOProgramResult) -> MachOProgramResult.Link? {
        if let error = r.compileError { Issue.record(Comment(rawValue: "\(r.program): \(error)")); return nil }
        guard let link = r.linker else { Issue.record(Comment(rawValue: "\(r.program): no weld result")); return nil }
        guard link.linked else {
            withKnownIssue(Comment(rawValue: "weld cannot link \(r.program) yet")) {
                Issue.record(Comment(rawValue: "\(r.program): weld failed to link:\n\(link.log.suffix(1500))"))
            }
            return nil
        }
        return link
    }

    @Test("weld: every corpus program runs like its native build at slide 0 and 0x4000000",
          .enabled(if: MachOHarness.shouldRun && Weld.shouldRun))
    func weldRunsCorpus() async throws {
        let run = try await corpus()
        try #require(run.includesWeld, "\(Weld.missingMessage)")
        var passed = 0, unlinked = 0
        for r in run.results {
            guard let link = weldLink(r) else { unlinked += 1; continue }
            var ok = link.runs?.count == 2
            for run in link.runs ?? [] {
                if let why = r.mismatch(run) { Issue.record(Comment(rawValue: "\(r.program) (weld) \(why)")); ok = false }
            }
            if ok { passed += 1 }
        }
        print("Mach-O corpus: weld passed \(passed) of \(run.results.count) programs (\(unlinked) not linked yet: known issues)")
    }

    @Test("in other link modes, ld64.lld's and weld's outputs run like the native builds",
          .enabled(if: MachOHarness.shouldRun), arguments: MachOHarness.linkModes)
    func corpusRunsInLinkMode(mode: String) async throws {
        let run = try await corpus(try #require(MachOHarness.corpusInMode[mode]))
        var lldPassed = 0, weldPassed = 0, unlinked = 0
        for r in run.results {
            if let link = r.reference, link.linked {
                let problems = (link.runs ?? []).compactMap(r.mismatch)
                for p in problems { Issue.record(Comment(rawValue: "\(r.program) (ld64.lld \(mode)) \(p)")) }
                if problems.isEmpty && link.runs?.count == 2 { lldPassed += 1 }
            } else {
                Issue.record(Comment(rawValue: "\(r.program): ld64.lld \(mode) failed:\n\(r.reference?.log ?? "no result")"))
            }
            guard run.includesWeld else { continue }
            guard let link = weldLink(r) else { unlinked += 1; continue }
            let problems = (link.runs ?? []).compactMap(r.mismatch)
            for p in problems { Issue.record(Comment(rawValue: "\(r.program) (weld \(mode)) \(p)")) }
            if problems.isEmpty && link.runs?.count == 2 { weldPassed += 1 }
        }
        print("Mach-O corpus with \(mode): ld64.lld passed \(lldPassed) of \(run.results.count)" +
              (run.includesWeld ? ", weld passed \(weldPassed) (\(unlinked) not linked yet: known issues)" : ""))
    }

    @Test("weld: every output passes the independent signature check, and fails it with a byte flipped",
          .enabled(if: MachOHarness.shouldRun && Weld.shouldRun))
    func weldSignatures() async throws {
        let run = try await corpus()
        try #require(run.includesWeld, "\(Weld.missingMessage)")
        var passed = 0
        for r in run.results {
            guard let link = weldLink(r) else { continue }
            var ok = !(link.signatures ?? []).isEmpty
            for sig in link.signatures ?? [] {
                if !sig.problems.isEmpty { Issue.record(Comment(rawValue: "\(r.program): weld's \(sig.file) signature: \(sig.problems)")); ok = false }
                if !sig.flippedDetected { Issue.record(Comment(rawValue: "\(r.program): weld's \(sig.file) with byte \(sig.flippedAt) flipped still verifies")); ok = false }
            }
            if ok { passed += 1 }
        }
        print("Mach-O corpus: weld's signatures verified for \(passed) of \(run.results.count) programs")
    }

    @Test("weld: outputs match ld64.lld's structurally (differences only as explained in compare-allowlist.txt)",
          .enabled(if: MachOHarness.shouldRun && Weld.shouldRun))
    func weldMatchesReferenceStructurally() async throws {
        let run = try await corpus()
        try #require(run.includesWeld, "\(Weld.missingMessage)")
        var passed = 0
        for r in run.results {
            guard weldLink(r) != nil else { continue }
            guard let structure = r.structure else {
                Issue.record(Comment(rawValue: "\(r.program): no structural comparison (did ld64.lld link it?)"))
                continue
            }
            var ok = true
            for (file, s) in structure.sorted(by: { $0.key < $1.key }) where !s.unexplained.isEmpty {
                Issue.record(Comment(rawValue: "\(r.program): \(file) differs from ld64.lld's output:\n" + s.unexplained.joined(separator: "\n")))
                ok = false
            }
            if ok { passed += 1 }
        }
        print("Mach-O corpus: weld matched ld64.lld structurally for \(passed) of \(run.results.count) programs")
    }

    @Test("weld: outputs are byte-identical at --threads=1 and --threads=2",
          .enabled(if: MachOHarness.shouldRun && Weld.shouldRun))
    func weldIsDeterministic() async throws {
        let run = try await corpus()
        try #require(run.includesWeld, "\(Weld.missingMessage)")
        var passed = 0
        for r in run.results {
            guard let link = weldLink(r) else { continue }
            guard let digests = link.determinism, let one = digests["1"], let two = digests["2"] else {
                Issue.record(Comment(rawValue: "\(r.program): no --threads digests"))
                continue
            }
            if let error = one["error"] ?? two["error"] {
                Issue.record(Comment(rawValue: "\(r.program): weld failed with --threads: \(error)"))
            } else if one != two {
                Issue.record(Comment(rawValue: "\(r.program): outputs differ between --threads=1 and 2: \(one) vs \(two)"))
            } else {
                passed += 1
            }
        }
        print("Mach-O corpus: weld was deterministic for \(passed) of \(run.results.count) programs")
    }
}
