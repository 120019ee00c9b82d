#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Monotonic clock in nanoseconds.
@inline(__always)
public func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// CPU time of the whole process, all threads (a system call, unlike the monotonic clock:
/// read only at phase boundaries, and only when a report asks).
@inlinable
public func processCPUNanos() -> UInt64 { clockNanos(CLOCK_PROCESS_CPUTIME_ID) }

@inlinable
public func clockNanos(_ clock: clockid_t) -> UInt64 {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Times the top-level phases of a link (`--time-report`) and, when tracing, nested spans on
/// any thread (`--time-trace`). When both are off a phase or a span costs one branch.
///
/// Touch `PhaseTimer.shared` early in `main`: the "process start" line of the report is the
/// time from process start to its initialization. The reports are in TimeReport.swift.
public final class PhaseTimer: @unchecked Sendable {
    public static let shared = PhaseTimer()

    public struct Phase: Sendable {
        public var name: String
        /// Wall time.
        public var nanos: UInt64
        /// CPU time of the whole process (all threads, user and system) during the phase: with
        /// `nanos` it shows how many cores the phase kept busy, i.e. where parallelism is lost.
        public var cpuNanos: UInt64 = 0
        /// For a step (`endSpan` inside a phase), the phase it is part of; nil for a phase.
        public var within: String? = nil

        public init(name: String, nanos: UInt64, cpuNanos: UInt64 = 0, within: String? = nil) {
            self.name = name
            self.nanos = nanos
            self.cpuNanos = cpuNanos
            self.within = within
        }
    }

    /// Record top-level phases for the time report.
    public var enabled = false
    /// Record spans (and phases) for the Chrome trace. Set before any parallel work starts.
    public var tracing = false

    private let phaseList = Mutex<[Phase]>([])
    /// Phases in the order they first ran; a phase run twice accumulates.
    public var phases: [Phase] { phaseList.withLock { $0.filter { $0.within == nil } } }
    /// Phases with their steps, each step after the phase it is part of.
    public var phasesAndSteps: [Phase] {
        let all = phaseList.withLock { $0 }
        return all.filter { $0.within == nil }.flatMap { phase in [phase] + all.filter { $0.within == phase.name } }
    }
    /// The phase running now and the process CPU time at its start or at its last step's
    /// end: steps are timed one after another on the thread that runs the phase.
    private var currentPhase: String? = nil
    private var stepCPUStart: UInt64 = 0

    /// CLOCK_MONOTONIC at initialization; trace timestamps and the report are relative to it.
    public let startNanos: UInt64
    /// CLOCK_BOOTTIME and the process CPU time at initialization, for the "process start"
    /// estimate (computed only when a report asks, so start-up pays two clock reads).
    let startBootNanos: UInt64
    let startCPUNanos: UInt64

    /// Per-thread span buffers, found through a pthread key so recording a span takes no lock.
    let traceKey: pthread_key_t
    let traceBuffers = Mutex<[ThreadTrace]>([])

    init() {
        startNanos = monotonicNanos()
        startBootNanos = clockNanos(CLOCK_BOOTTIME)
        startCPUNanos = clockNanos(CLOCK_PROCESS_CPUTIME_ID)
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        traceKey = key
    }

    /// Runs `body` as the top-level phase `name`. Phases run one at a time, normally on the
    /// main thread; when tracing, a phase is also a span.
    @inlinable @discardableResult
    public func phase<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        if !enabled && !tracing { return try body() }
        let (t0, cpu0) = startPhase(name)
        defer { endPhase(name, t0, cpu0) }
        return try body()
    }

    @usableFromInline
    func startPhase(_ name: String) -> (UInt64, UInt64) {
        let cpu0 = busyCPUNanos()
        currentPhase = name
        stepCPUStart = cpu0
        return (monotonicNanos(), cpu0)
    }

    @usableFromInline
    func endPhase(_ name: String, _ t0: UInt64, _ cpu0: UInt64) {
        let t1 = monotonicNanos()
        let cpu1 = busyCPUNanos()
        currentPhase = nil
        record(name, t1 - t0, cpuNanos: cpu1 > cpu0 ? cpu1 - cpu0 : 0)
        if tracing { recordSpan(name, nil, t0, t1) }
    }

    /// The process's CPU time less what `WorkerPool` helpers spent spinning for work, so the
    /// report's CPU column counts work. Approximate: a spin is subtracted when it ends, so
    /// this can go back a little (differences of it are clamped at zero).
    func busyCPUNanos() -> UInt64 {
        processCPUNanos() &- WorkerPool.shared.idleSpinNanos.load(ordering: .relaxed)
    }

    /// Adds `nanos` (and `cpuNanos`) to phase `name` (a step of phase `within`, if given),
    /// creating it at the end of the list. Thread-safe.
    public func record(_ name: String, _ nanos: UInt64, cpuNanos: UInt64 = 0, within: String? = nil) {
        phaseList.withLock { phases in
            if let i = phases.firstIndex(where: { $0.name == name && $0.within == within }) {
                phases[i].nanos += nanos
                phases[i].cpuNanos += cpuNanos
            } else {
                phases.append(Phase(name: name, nanos: nanos, cpuNanos: cpuNanos, within: within))
            }
        }
    }

    /// Runs `body` as a trace span named `name`, from any thread; spans nest. When tracing is
    /// off this is one branch. Prefer a constant name: an interpolated one is built even then
    /// (use `detail:` for per-item text).
    @inlinable @discardableResult
    public func span<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        if !tracing { return try body() }
        let t0 = monotonicNanos()
        defer { recordSpan(name, nil, t0, monotonicNanos()) }
        return try body()
    }

    /// A span with per-item text (a file name, a section) shown in the trace viewer's details;
    /// `detail` is only evaluated when tracing.
    @inlinable @discardableResult
    public func span<T>(_ name: String, detail: @autoclosure () -> String,
                        _ body: () throws -> T) rethrows -> T {
        if !tracing { return try body() }
        let t0 = monotonicNanos()
        defer { recordSpan(name, detail(), t0, monotonicNanos()) }
        return try body()
    }

    /// Records a span from `start` (a `monotonicNanos()` reading) to now, when tracing: for
    /// sub-steps of a phase that do not fit in a closure.
    /// In the time report, such a sub-step is a row under its phase; steps of one phase must
    /// follow each other on the thread running it (their CPU time runs from the previous
    /// step's end).
    @inlinable
    public func endSpan(_ name: String, since start: UInt64) {
        if tracing { recordSpan(name, nil, start, monotonicNanos()) }
        if enabled { recordStep(name, since: start) }
    }

    @usableFromInline
    func recordStep(_ name: String, since start: UInt64) {
        guard let phase = currentPhase else { return }
        let cpu = busyCPUNanos()
        record(name, monotonicNanos() - start, cpuNanos: cpu > stepCPUStart ? cpu - stepCPUStart : 0, within: phase)
        stepCPUStart = cpu
    }

    /// Appends a finished span to this thread's buffer. No lock: only the owning thread
    /// appends, and the buffers are read after the parallel work has ended.
    @usableFromInline
    func recordSpan(_ name: String, _ detail: String?, _ t0: UInt64, _ t1: UInt64) {
        currentThreadTrace().events.append(TraceEvent(name: name, detail: detail, start: t0, duration: t1 - t0))
    }

    func currentThreadTrace() -> ThreadTrace {
        if let p = pthread_getspecific(traceKey) {
            return Unmanaged<ThreadTrace>.fromOpaque(p).takeUnretainedValue()
        }
        // First span on this thread: register a buffer (kept alive by the list for good;
        // dispatch worker threads are reused, so there are few).
        let osTid = currentOSThreadID()
        let trace = traceBuffers.withLock { list -> ThreadTrace in
            let isMain = osTid == Int(getpid())
            let t = ThreadTrace(osTid: osTid, isMain: isMain)
            list.append(t)
            return t
        }
        pthread_setspecific(traceKey, Unmanaged.passUnretained(trace).toOpaque())
        return trace
    }
}

/// One finished span; `start` is CLOCK_MONOTONIC nanoseconds.
struct TraceEvent {
    let name: String
    let detail: String?
    let start: UInt64
    let duration: UInt64
}

/// The spans recorded by one thread, in the order they ended.
final class ThreadTrace {
    let osTid: Int
    let isMain: Bool
    var events: [TraceEvent] = []

    init(osTid: Int, isMain: Bool) {
        self.osTid = osTid
        self.isMain = isMain
        events.reserveCapacity(256)
    }
}

/// The kernel thread id, from the /proc/thread-self link ("<pid>/task/<tid>"): Glibc's
/// `gettid` is not visible to Swift and `syscall` is variadic. Called once per thread.
func currentOSThreadID() -> Int {
    var buf: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    return withUnsafeMutableBytes(of: &buf) { raw -> Int in
        let p = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
        let n = readlink("/proc/thread-self", p, raw.count)
        if n <= 0 { return -1 }
        var value = 0
        for i in 0..<n {
            let c = raw[i]
            if c == UInt8(ascii: "/") { value = 0 } else { value = value * 10 + Int(c &- 48) }
        }
        return value
    }
}
