// Fuzzing in the test suite (issue 7):
// - every input that once crashed a fuzz target (Fuzz/regressions/<target>/) is given to the
//   weld binary, which must end with an error or a link (exit 1 or 0), never a signal, and a
//   failed link must leave no output and no temporary file. Always run when weld exists.
// - a short run of every libFuzzer target (`scripts/fuzz.sh 20`: about 20 s each, two at a time,
//   after a build of the targets) when WELD_FUZZ_SMOKE=1 or CI=true.
import Foundation
import Testing

enum FuzzInputs {
    static let root = Paths.packageRoot + "/Fuzz"

    static var smokeEnabled: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["WELD_FUZZ_SMOKE"] == "1" || Weld.isCI
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var target: String
        var file: String
        var testDescription: String { "\(target)/\(file)" }
    }

    /// Every regression input, by target.
    static let regressions: [Case] = {
        var out: [Case] = []
        for t in ["object", "shared", "archive", "script", "response"] {
            let dir = "\(root)/regressions/\(t)"
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            out += files.filter { !$0.hasPrefix(".") }.sorted().map { Case(target: t, file: $0) }
        }
        return out
    }()

    /// The weld arguments that make weld read `input` with the reader of `target`.
    static func arguments(_ target: String, input: String, out: String) -> [String] {
        switch target {
        case "response": return ["@" + input, "-o", out, "-e", "_start"]
        default: return ["-o", out, input, "-e", "_start"]
        }
    }

    static func suffix(_ target: String) -> String {
        switch target {
        case "object": return ".o"
        case "shared", "script": return ".so"
        case "archive": return ".a"
        default: return ".rsp"
        }
    }
}

@Suite("Fuzzing: regression inputs and a short run of every target")
struct FuzzSmokeTests {
    @Test("a past crash input given to weld ends in an error, not a signal",
          .enabled(if: Weld.shouldRun, Comment(rawValue: Weld.missingMessage)),
          arguments: FuzzInputs.regressions)
    func regressionInput(_ c: FuzzInputs.Case) async throws {
        let weld = try #require(Weld.path, Comment(rawValue: Weld.missingMessage))
        let fm = FileManager.default
        let dir = "\(Paths.work)/fuzz-regressions/\(c.target)-\(c.file)"
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let input = dir + "/input" + FuzzInputs.suffix(c.target)
        try fm.copyItem(atPath: "\(FuzzInputs.root)/regressions/\(c.target)/\(c.file)", toPath: input)
        let out = dir + "/a.out"
        let r = await ProcessRunner.run([weld] + FuzzInputs.arguments(c.target, input: input, out: out),
                                        timeout: 60, scratch: Paths.work + "/fuzz-regressions/proc")
        let context = Report.step("weld on \(c.target)/\(c.file) (\(r.termination))", r)
        #expect(r.termination == .exited(1) || r.termination == .exited(0), Comment(rawValue: context))
        for crash in ["Fatal error", "Stack dump", "Segmentation fault", "Program crashed", "runtime failure"] {
            #expect(!r.stderrText.contains(crash), Comment(rawValue: "looks like a crash: '\(crash)'\n" + context))
        }
        if r.termination == .exited(1) {
            #expect(!fm.fileExists(atPath: out), Comment(rawValue: "a failed link must not leave an output\n" + context))
        }
        let left = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".weld-tmp-") }
        #expect(left.isEmpty, Comment(rawValue: "temporary files left: \(left)\n" + context))
    }

    /// Hostile inputs too large to keep in Fuzz/regressions (and beyond the fuzzers' input
    /// sizes): generated here, given to weld, which must report an error naming the file.
    @Test("a library script with AS_NEEDED nested 300000 deep is an error, not a stack overflow",
          .enabled(if: Weld.shouldRun, Comment(rawValue: Weld.missingMessage)))
    func deeplyNestedScript() async throws {
        let weld = try #require(Weld.path, Comment(rawValue: Weld.missingMessage))
        let dir = "\(Paths.work)/fuzz-regressions/deep-script"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let n = 300_000
        let text = "GROUP(" + String(repeating: "AS_NEEDED(", count: n) + "x" + String(repeating: ")", count: n + 1)
        try text.write(toFile: dir + "/libdeep.so", atomically: false, encoding: .utf8)
        let r = await ProcessRunner.run([weld, "-o", dir + "/a.out", dir + "/libdeep.so", "-e", "_start"],
                                        timeout: 60, scratch: dir)
        let context = Report.step("weld on a deeply nested script (\(r.termination))", r)
        #expect(r.termination == .exited(1), Comment(rawValue: context))
        #expect(r.stderrText.contains("libdeep.so"), Comment(rawValue: context))
        #expect(!FileManager.default.fileExists(atPath: dir + "/a.out"), Comment(rawValue: context))
    }

    @Test("scripts/fuzz.sh 20: every fuzz target runs without a crash (WELD_FUZZ_SMOKE=1 or CI=true)",
          .enabled(if: FuzzInputs.smokeEnabled, "set WELD_FUZZ_SMOKE=1 (or CI=true) to run the fuzz targets"),
          .timeLimit(.minutes(10)))
    func shortFuzzRun() async throws {
        let r = await ProcessRunner.run([Paths.packageRoot + "/scripts/fuzz.sh", "20"], timeout: 540,
                                        scratch: Paths.work + "/fuzz-smoke")
        let context = Report.step("scripts/fuzz.sh 20 (\(r.termination), \(Int(r.seconds)) s)", r)
        #expect(r.termination == .exited(0), Comment(rawValue: context))
        #expect(r.stdoutText.contains("fuzz: no crashes"), Comment(rawValue: context))
        // Every target reported its executions.
        for t in ["object", "shared", "archive", "script", "response"] {
            let line = r.stdoutText.split(separator: "\n").first { $0.hasPrefix(t + " ") }
            #expect(line?.contains("execs") == true && line?.contains("? execs") == false,
                    Comment(rawValue: "no execution count for \(t)\n" + context))
        }
    }
}
