// The Mach-O harness must be able to fail: outputs broken on purpose (ld64.lld's, patched)
// have to be caught by the emulator and the comparator, or these tests fail. (The signature
// checker's one-flipped-byte case runs on every corpus output, see MachOCorpusTests.)
import Foundation
import Testing

@Suite("Mach-O harness self tests")
struct MachOHarnessSelfTests {
    /// ld64.lld's output for a corpus program, from the shared corpus run.
    private func referenceOutput(_ program: String) async throws -> String {
        let run = await MachOHarness.corpus.value
        try #require(run.failure == nil, "\(run.failure ?? "")")
        let result = try #require(run.results.first { $0.program == program },
                                  "\(program) was not run (WELD_MACHO_PROGRAMS leaves it out?)")
        try #require(result.reference?.linked == true, "ld64.lld did not link \(program)")
        return "\(MachOHarness.work)/\(program)/reference/\(program)"
    }

    private func expected(_ program: String) throws -> String {
        try String(contentsOfFile: "\(MachOHarness.corpusDirectory)/\(program)/expected.stdout", encoding: .utf8)
    }

    /// (command, file offset, size) of every load command.
    private func loadCommands(_ bytes: [UInt8]) -> [(cmd: UInt32, offset: Int, size: Int)] {
        func u32(_ at: Int) -> UInt32 { bytes[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        var out: [(UInt32, Int, Int)] = []
        var at = 32
        for _ in 0..<Int(u32(16)) {
            out.append((u32(at), at, Int(u32(at + 4))))
            at += Int(u32(at + 4))
        }
        return out
    }

    private func u32(_ bytes: [UInt8], _ at: Int) -> Int {
        Int(bytes[at..<at + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    private func emulate(_ path: String, slides: [String]) async throws -> [[String: Any]] {
        let python = try #require(MachOHarness.python)
        var argv = [python, MachOHarness.runner, "--json"]
        for s in slides { argv += ["--slide", s] }
        let result = await MachOHarness.run(argv + [path])
        try #require(result.termination.isSuccess, "run_macho.py failed: \(result.stderrText)")
        let json = try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]]
        return try #require(json)
    }

    @Test("a binary with its rebase opcodes removed runs at slide 0 and fails at a non-zero slide",
          .enabled(if: MachOHarness.shouldRun))
    func missingRebasesAreCaughtBySliding() async throws {
        let original = try await referenceOutput("classic_dyld_info")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: original)))
        let dyldInfo = try #require(loadCommands(bytes).first { $0.cmd == 0x8000_0022 }, "no LC_DYLD_INFO_ONLY")
        let rebaseOffset = u32(bytes, dyldInfo.offset + 8), rebaseSize = u32(bytes, dyldInfo.offset + 12)
        try #require(rebaseSize > 0)
        for i in rebaseOffset..<rebaseOffset + rebaseSize { bytes[i] = 0 }   // REBASE_OPCODE_DONE
        let broken = MachOHarness.work + "/self-test-no-rebases"
        try Data(bytes).write(to: URL(fileURLWithPath: broken))
        let runs = try await emulate(broken, slides: ["0", "4000000"])
        try #require(runs.count == 2)
        let want = try expected("classic_dyld_info")
        #expect(runs[0]["stdout"] as? String == want && runs[0]["error"] is NSNull,
                "at slide 0 unslid pointers are right: \(runs[0])")
        #expect(!(runs[1]["error"] is NSNull) || runs[1]["stdout"] as? String != want,
                "at slide 0x4000000 the unrebased pointers must break the program: \(runs[1])")
    }

    @Test("lazy binding runs through __stub_helper: with the lazy-bind opcodes gone the first call fails",
          .enabled(if: MachOHarness.shouldRun))
    func lazyBindingIsExercised() async throws {
        let original = try await referenceOutput("classic_dyld_info")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: original)))
        let dyldInfo = try #require(loadCommands(bytes).first { $0.cmd == 0x8000_0022 }, "no LC_DYLD_INFO_ONLY")
        let lazyOffset = u32(bytes, dyldInfo.offset + 32), lazySize = u32(bytes, dyldInfo.offset + 36)
        try #require(lazySize > 0, "no lazy binds to break")
        for i in lazyOffset..<lazyOffset + lazySize { bytes[i] = 0 }   // BIND_OPCODE_DONE
        let broken = MachOHarness.work + "/self-test-no-lazy-binds"
        try Data(bytes).write(to: URL(fileURLWithPath: broken))
        let runs = try await emulate(broken, slides: ["0"])
        let error = runs[0]["error"] as? String ?? ""
        #expect(error.contains("dyld_stub_binder"), "\(runs[0])")
    }

    @Test("a binary whose chained fixups are dropped fails even at slide 0",
          .enabled(if: MachOHarness.shouldRun))
    func missingChainedFixupsAreCaught() async throws {
        let original = try await referenceOutput("globals")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: original)))
        let fixups = try #require(loadCommands(bytes).first { $0.cmd == 0x8000_0034 }, "no LC_DYLD_CHAINED_FIXUPS")
        let blob = u32(bytes, fixups.offset + 8)
        let starts = blob + u32(bytes, blob + 4)
        var cleared = 0
        for seg in 0..<u32(bytes, starts) {
            let info = u32(bytes, starts + 4 + 4 * seg)
            guard info != 0 else { continue }
            let pageCount = Int(bytes[starts + info + 20]) | Int(bytes[starts + info + 21]) << 8
            for page in 0..<pageCount {   // DYLD_CHAINED_PTR_START_NONE: this page has no chain
                bytes[starts + info + 22 + 2 * page] = 0xFF
                bytes[starts + info + 23 + 2 * page] = 0xFF
                cleared += 1
            }
        }
        try #require(cleared > 0)
        let broken = MachOHarness.work + "/self-test-no-chains"
        try Data(bytes).write(to: URL(fileURLWithPath: broken))
        let runs = try await emulate(broken, slides: ["0"])
        let want = try expected("globals")
        #expect(!(runs[0]["error"] is NSNull) || runs[0]["stdout"] as? String != want,
                "encoded chain entries left in place must break the program: \(runs[0])")
    }

    @Test("imports bound to the wrong library (two-level namespace) fail to load",
          .enabled(if: MachOHarness.shouldRun))
    func wrongLibraryOrdinalIsCaught() async throws {
        let original = try await referenceOutput("cxx_vtables")     // imports from libc++ and libSystem
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: original)))
        let fixups = try #require(loadCommands(bytes).first { $0.cmd == 0x8000_0034 }, "no LC_DYLD_CHAINED_FIXUPS")
        let blob = u32(bytes, fixups.offset + 8)
        let imports = blob + u32(bytes, blob + 8), count = u32(bytes, blob + 16)
        try #require(u32(bytes, blob + 20) == 1, "expected DYLD_CHAINED_IMPORT (format 1)")
        var swapped = 0
        for i in 0..<count where bytes[imports + 4 * i] == 1 || bytes[imports + 4 * i] == 2 {
            bytes[imports + 4 * i] = 3 - bytes[imports + 4 * i]      // library ordinal 1 <-> 2
            swapped += 1
        }
        try #require(swapped > 0)
        let broken = MachOHarness.work + "/self-test-swapped-ordinals"
        try Data(bytes).write(to: URL(fileURLWithPath: broken))
        let runs = try await emulate(broken, slides: ["0"])
        let error = runs[0]["error"] as? String ?? ""
        #expect(error.contains("symbol not found"), "\(runs[0])")
    }

    @Test("ld64.lld outputs rewritten to chained pointer format 6 (Apple ld's) still run at both slides",
          .enabled(if: MachOHarness.shouldRun),
          arguments: ["globals", "function_pointers", "tls", "cxx_exceptions"])
    func pointerFormatSixRuns(program: String) async throws {
        let python = try #require(MachOHarness.python)
        let original = try await referenceOutput(program)
        let rewritten = "\(MachOHarness.work)/self-test-format6-\(program)"
        let rewrite = await MachOHarness.run([python, MachOHarness.directory + "/rewrite_chains.py", original, rewritten])
        try #require(rewrite.termination.isSuccess, "\(rewrite.stderrText)")
        let originalBytes = try Data(contentsOf: URL(fileURLWithPath: original))
        let rewrittenBytes = try Data(contentsOf: URL(fileURLWithPath: rewritten))
        #expect(originalBytes != rewrittenBytes, "the rewrite changed nothing")
        let want = try expected(program)
        for run in try await emulate(rewritten, slides: ["0", "4000000"]) {
            #expect(run["error"] is NSNull && run["stdout"] as? String == want, "\(run)")
        }
    }

    @Test("the structural comparator reports two different programs as different, and one as itself",
          .enabled(if: MachOHarness.shouldRun))
    func comparatorCanFail() async throws {
        let python = try #require(MachOHarness.python)
        let hello = try await referenceOutput("hello")
        let other = try await referenceOutput("classic_dyld_info")
        let same = await MachOHarness.run([python, MachOHarness.comparator, hello, hello])
        #expect(same.termination == .exited(0), "\(same.stdoutText)")
        let different = await MachOHarness.run([python, MachOHarness.comparator, hello, other])
        #expect(different.termination == .exited(1))
        #expect(different.stdoutText.contains("DIFFERENT: fixup-format"), "\(different.stdoutText)")
        #expect(different.stdoutText.contains("DIFFERENT: symbol _main") || different.stdoutText.contains("DIFFERENT: code _main"),
                "\(different.stdoutText)")
    }
}
