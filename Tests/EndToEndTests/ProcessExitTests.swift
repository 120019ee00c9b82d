// weld's exit (Sources/CProcessExit): the process ends as soon as the output is renamed into
// place, and a helper process sharing its memory unmaps everything and closes the replaced
// output after it. These tests check what a caller can see of that: the same output with and
// without it (`--no-fork` turns it off), an output that runs at once (no ETXTBSY: nothing maps
// it for writing any more), and no process left behind.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("weld exits without waiting for its teardown, and leaves nothing behind",
       .enabled(if: Weld.shouldRun, Comment(rawValue: Weld.missingMessage)))
struct ProcessExitTests {
    typealias F = FailureSafetyFixtures

    func weld() throws -> String { try #require(Weld.path, Comment(rawValue: Weld.missingMessage)) }

    /// Processes whose command line mentions `marker`: the helper shares weld's memory, so its
    /// /proc/PID/cmdline is weld's.
    static func processes(mentioning marker: String) -> [pid_t] {
        let me = getpid()
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = pid_t(entry), pid != me,
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            return String(decoding: data, as: UTF8.self).contains(marker) ? pid : nil
        }
    }

    func link(_ args: [String], in dir: String) async throws -> (Termination, String) {
        let child = try LinkProcess.spawn([try weld()] + args, scratch: dir + "/..")
        let t = await child.wait()
        return (t, child.stderrText)
    }

    @Test("relinking a 64 MiB output over itself: same bytes as with --no-fork, the program runs at once, no process left")
    func relinkBigOutput() async throws {
        let big = try await F.object("big")
        let dir = try F.caseDir("process-exit")
        let marker = "weld-exit-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let out = "\(dir)/\(marker)", reference = "\(dir)/reference"
        let (t0, e0) = try await link(["--no-fork", "-o", reference, big, "-e", "_start"], in: dir)
        try #require(t0 == .exited(0), Comment(rawValue: e0))
        for round in 0..<3 {
            // Each round replaces the previous round's output: its inode is held through the
            // rename and released by the helper.
            let (t, err) = try await link(["-o", out, big, "-e", "_start"], in: dir)
            try #require(t == .exited(0), Comment(rawValue: "round \(round): \(t)\n\(err)"))
            let run = try LinkProcess.spawn([out], scratch: dir + "/..")
            let ran = await run.wait(timeout: 30)
            #expect(ran == .exited(0), Comment(rawValue: "round \(round): the output must run right after the link (ETXTBSY?): \(ran)"))
            #expect(FileManager.default.contents(atPath: out) == FileManager.default.contents(atPath: reference),
                    "round \(round): the output differs from the --no-fork link's")
        }
        #expect(F.tempFiles(in: dir).isEmpty)
        // The helper exits once weld is gone; give a loaded machine some time.
        var left: [pid_t] = []
        for _ in 0..<250 {
            left = Self.processes(mentioning: marker)
            if left.isEmpty { break }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        #expect(left.isEmpty, Comment(rawValue: "processes still running weld's command line 5 s after it exited: \(left)"))
    }

    @Test("a caller reading weld's stderr through a pipe sees it end with weld")
    func pipesEndWithWeld() async throws {
        let big = try await F.object("big")
        let dir = try F.caseDir("process-exit-pipe")
        // The shell reads weld's stderr to the end through a pipe; if anything kept the pipe
        // open after weld, `wc` would wait for it.
        let weld = try weld()
        let script = "'\(weld)' --time-report -o '\(dir)/out' '\(big)' -e _start 2>&1 >/dev/null | wc -l"
        let r = await ProcessRunner.run(["/bin/sh", "-c", script], timeout: 120, scratch: dir)
        #expect(r.termination.isSuccess, Comment(rawValue: Report.step("sh -c \(script)", r)))
        let lines = Int(r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(lines > 5, Comment(rawValue: "the time report should come through the pipe: \(r.stdoutText)"))
    }
}
