// Small building blocks for tests that drive compilers, weld and inspection tools step by step
// in a scratch directory: a step that must succeed (else the test fails with its command and
// output), a step that may fail (for error tests), and file helpers.
import Foundation
import Testing

/// A failed build step, with its command and output.
struct StepError: Error, CustomStringConvertible {
    var description: String
}

enum Steps {
    /// A fresh scratch directory under the per-run work directory.
    static func scratch(_ name: String) -> String {
        let dir = Paths.work + "/" + name
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func read(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// Runs a step that must succeed; throws its full description when it does not.
    @discardableResult
    static func run(_ what: String, _ argv: [String], in dir: String, timeout: Double = 300) async throws -> ProcessResult {
        let r = await ProcessRunner.run(argv, timeout: timeout, scratch: dir)
        if !r.termination.isSuccess {
            throw StepError(description: Report.step("\(what) failed (\(r.termination))", r))
        }
        return r
    }

    /// A tool by name, or a StepError saying which package provides it.
    static func tool(_ name: String, package: String) throws -> String {
        if let p = Tools.which(name) { return p }
        throw StepError(description: "\(name) is not installed (apt-get install \(package))")
    }

    static func weld() throws -> String {
        guard let w = Weld.path else { throw StepError(description: Weld.missingMessage) }
        return w
    }

    /// `gcc -B DIR/` arguments that make gcc run weld as its linker.
    static func gccUsesWeld() throws -> [String] {
        guard let dir = Weld.gccBDir else { throw StepError(description: "cannot create the gcc -B directory") }
        return ["-B", dir + "/"]
    }

    static func gcc() throws -> String {
        guard let g = Tools.gcc else { throw StepError(description: "gcc not found") }
        return g
    }
}
