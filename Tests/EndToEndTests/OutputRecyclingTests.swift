// Recycled outputs (Sources/WeldCore/SpareOutputs.swift), end to end: the output a link
// replaces is kept as a spare and the next link is written into it; the result is
// byte-identical to a link into a new file and runs; a link that fails while writing into a
// spare leaves the previous output as it was. The spare directory is the test's own
// (WELD_SPARE_DIR), so the tests neither use nor fill the user's.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Recycled outputs: written into the replaced output's file, identical to a new file",
       .enabled(if: Weld.shouldRun, Comment(rawValue: Weld.missingMessage)))
struct OutputRecyclingTests {
    typealias F = FailureSafetyFixtures

    func weld() throws -> String { try #require(Weld.path, Comment(rawValue: Weld.missingMessage)) }

    /// A private spare directory for one test.
    func spareDir(_ dir: String) -> String {
        let d = dir + "/spares"
        mkdir(d, 0o700)
        return d
    }

    func link(_ args: [String], spares: String, in dir: String) async throws -> (Termination, String) {
        let child = try LinkProcess.spawn([try weld()] + args, shell: "export WELD_SPARE_DIR='\(spares)'", scratch: dir + "/..")
        let t = await child.wait()
        return (t, child.stderrText)
    }

    func inode(_ path: String) -> ino_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_ino : nil
    }

    func spares(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("spare-") }
    }

    @Test("the third link of an output is written into the first one's file, byte-identical to a new file, and runs")
    func recycledOutputIsIdentical() async throws {
        let object = try await F.object("big")
        let dir = try F.caseDir("recycling")
        let spareDir = spareDir(dir)
        let out = dir + "/prog"
        var inodes: [ino_t] = []
        for round in 1...3 {
            let (t, err) = try await link(["-o", out, object, "-e", "_start"], spares: spareDir, in: dir)
            #expect(t == .exited(0), Comment(rawValue: "link \(round): \(t)\n\(err)"))
            inodes.append(try #require(inode(out)))
        }
        weldSpecific("recycling the replaced output") {
            #expect(inodes[2] == inodes[0], "the third output is written into the first one's file")
            #expect(inodes[1] != inodes[0])
            #expect(spares(spareDir).count == 1, "the second output is the spare now")
        }
        let (t, err) = try await link(["-o", dir + "/fresh", object, "-e", "_start", "--no-recycle-output"], spares: spareDir, in: dir)
        #expect(t == .exited(0), Comment(rawValue: "\(t)\n\(err)"))
        #expect(FileManager.default.contents(atPath: out) == FileManager.default.contents(atPath: dir + "/fresh"),
                "a recycled output is byte-identical to a new one")
        let run = await ProcessRunner.run([out], timeout: 60, scratch: dir)
        #expect(run.termination == .exited(0))
        #expect(F.tempFiles(in: dir).isEmpty)
    }

    @Test("a link that fails while writing into a spare leaves the previous output byte-identical")
    func failureWhileWritingIntoASpare() async throws {
        let big = try await F.object("big")
        let bad = try await F.object("pie-violation")
        let dir = try F.caseDir("recycling-failure")
        let spareDir = spareDir(dir)
        let out = dir + "/prog"
        for _ in 0..<2 { _ = try await link(["-o", out, big, "-e", "_start"], spares: spareDir, in: dir) }
        let previous = try #require(FileManager.default.contents(atPath: out))
        weldSpecific("recycling the replaced output") { #expect(spares(spareDir).count == 1) }
        // An absolute 32-bit reference in a PIE: an error found while relocating, after the
        // output file (here: the spare) has been created and written.
        let (t, err) = try await link(["-pie", "-o", out, bad, "-e", "_start"], spares: spareDir, in: dir)
        #expect(t == .exited(1), Comment(rawValue: "\(t)\n\(err)"))
        #expect(err.contains("recompile with -fPIE"), Comment(rawValue: err))
        #expect(FileManager.default.contents(atPath: out) == previous)
        #expect(F.tempFiles(in: dir).isEmpty)
    }
}
