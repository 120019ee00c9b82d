#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// An error that stops the link. The message is complete: it names the file, section, offset
/// and symbol where they are known.
public struct LinkError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Collects errors and warnings from any thread. Errors are counted; the link stops at the
/// end of the current phase if any were reported. `errorLimit` caps how many are printed.
public final class Diagnostics: @unchecked Sendable {
    public static let shared = Diagnostics()
    private let lock = Mutex<[(Int, String)]>([])
    private let errorCount = Atomic<Int>(0)
    public var errorLimit = 20
    public var fatalWarnings = false
    public var suppressWarnings = false
    public var programName = "weld"
    /// --trace: print each input file (and archive member) as it is loaded.
    public var traceInputs = false

    public var hasErrors: Bool { errorCount.load(ordering: .relaxed) > 0 }
    public var errors: Int { errorCount.load(ordering: .relaxed) }

    /// Reports an error. Messages are printed immediately, in the order they arrive; phases
    /// that report from many threads sort their findings first so output is deterministic.
    public func error(_ message: String) {
        let n = errorCount.add(1, ordering: .relaxed).newValue
        if errorLimit == 0 || n <= errorLimit {
            write("\(programName): error: \(message)\n")
        } else if n == errorLimit + 1 {
            write("\(programName): error: too many errors emitted, stopping now (use --error-limit=0 to see all errors)\n")
        }
    }

    public func warning(_ message: String) {
        if suppressWarnings { return }
        if fatalWarnings { error(message); return }
        write("\(programName): warning: \(message)\n")
    }

    public func note(_ message: String) { write(message + "\n") }

    private func write(_ s: String) {
        lock.withLock { _ in
            var s = s
            s.withUTF8 { buf in _ = Glibc.write(2, buf.baseAddress, buf.count) }
        }
    }
}

/// Reports an error and exits with status 1 right away. For conditions after which nothing
/// useful can follow (no output file named, unreadable input).
public func fatal(_ message: String) -> Never {
    Diagnostics.shared.error(message)
    exit(1)
}
