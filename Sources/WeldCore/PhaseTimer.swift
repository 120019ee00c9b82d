#if canImport(Glibc)
import Glibc
#endif

/// Monotonic clock in nanoseconds.
@inline(__always)
public func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Times the top-level phases of a link (`--time-report`) and, when tracing, nested spans on
/// any thread (`--time-trace`). When both are off a phase costs one branch.
public final class PhaseTimer: @unchecked Sendable {
    public static let shared = PhaseTimer()

    public struct Phase: Sendable {
        public var name: String
        public var nanos: UInt64
    }

    public var enabled = false
    public private(set) var phases: [Phase] = []
    public let startNanos = monotonicNanos()

    /// Runs `body` as the top-level phase `name`. Phases run on the main thread, in order.
    @inlinable
    public func phase<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        if !enabled { return try body() }
        let t0 = monotonicNanos()
        let result = try body()
        record(name, monotonicNanos() - t0)
        return result
    }

    public func record(_ name: String, _ nanos: UInt64) {
        if let i = phases.firstIndex(where: { $0.name == name }) {
            phases[i].nanos += nanos
        } else {
            phases.append(Phase(name: name, nanos: nanos))
        }
    }
}
