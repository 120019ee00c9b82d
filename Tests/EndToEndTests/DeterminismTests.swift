import Foundation
import Testing

/// weld's output must be byte-identical for the same inputs at any thread count. The program:
/// CPython relinked from Debian's libpython3.11.a (184 objects pulled from a 434-member
/// archive, 193K relocations, a 7.8 MB output with -export-dynamic), linked three times each
/// at 1, 2 and 8 threads.
@Suite("Determinism across thread counts")
struct DeterminismTests {
    static let libpython = "/usr/lib/python3.11/config-3.11-x86_64-linux-gnu/libpython3.11.a"
    static var available: Bool {
        FileManager.default.fileExists(atPath: libpython) && FileManager.default.fileExists(atPath: "/usr/include/python3.11/Python.h")
    }

    @Test("libpython3.11.a relinked at 1, 2 and 8 threads gives one output",
          .enabled(if: Weld.shouldRun && (available || Weld.isCI)))
    func pythonAtAnyThreadCount() async throws {
        let weldDir = try #require(Weld.gccBDir, "\(Weld.missingMessage)")
        #expect(Self.available, "libpython3.11-dev is missing (.ci/run installs it)")
        let dir = Paths.work + "/determinism-python"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let main = dir + "/pymain.c"
        try "#include <Python.h>\nint main(int c, char **v) { return Py_BytesMain(c, v); }\n".write(toFile: main, atomically: true, encoding: .utf8)
        let compile = await ProcessRunner.run(["gcc", "-O2", "-I/usr/include/python3.11", "-c", main, "-o", dir + "/pymain.o"], scratch: dir)
        try #require(compile.termination == .exited(0), "compile failed: \(compile.stderrText)")

        var digests: [String: [String]] = [:]
        for threads in [1, 2, 8] {
            for round in 0..<3 {
                let out = "\(dir)/python-t\(threads)-\(round)"
                let link = await ProcessRunner.run([
                    "gcc", "-B", weldDir, "-no-pie", "-o", out, dir + "/pymain.o", "-Wl,-export-dynamic",
                    "-Wl,--threads=\(threads)", Self.libpython, "-ldl", "-lm", "-lz", "-lexpat", "-lpthread",
                ], scratch: dir)
                try #require(link.termination == .exited(0), "link failed: \(link.commandLine)\n\(link.stderrText)")
                let sum = await ProcessRunner.run(["sha256sum", out], scratch: dir)
                let digest = String(sum.stdoutText.prefix(64))
                digests[digest, default: []].append("threads=\(threads) round=\(round)")
            }
        }
        #expect(digests.count == 1, "outputs differ across thread counts: \(digests)")
        // And the program works.
        let run = await ProcessRunner.run([dir + "/python-t2-0", "-c", "import json, zlib; print(json.dumps([zlib.crc32(b'weld')]))"], scratch: dir)
        #expect(run.termination == .exited(0))
        #expect(run.stdoutText == "[438816536]\n")
    }
}
