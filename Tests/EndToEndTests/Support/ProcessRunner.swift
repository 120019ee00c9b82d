// Runs child processes for the end-to-end tests: posix_spawn with stdout/stderr captured in
// files (no pipes, so no deadlocks on large output), a wall-clock timeout that kills the whole
// process group, and a global limit on how many children run at once.
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended.
enum Termination: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)
    case timedOut(Double)
    case failedToStart(String)

    var description: String {
        switch self {
        case .exited(let c): return "exit status \(c)"
        case .signaled(let s): return "killed by signal \(s) (\(signalName(s)))"
        case .timedOut(let t): return "timed out after \(Int(t)) s (killed)"
        case .failedToStart(let why): return "failed to start: \(why)"
        }
    }

    var isSuccess: Bool { self == .exited(0) }
    var exitCode: Int32? { if case .exited(let c) = self { return c } else { return nil } }
}

func signalName(_ s: Int32) -> String {
    switch s {
    case SIGSEGV: return "SIGSEGV"
    case SIGBUS: return "SIGBUS"
    case SIGILL: return "SIGILL"
    case SIGABRT: return "SIGABRT"
    case SIGFPE: return "SIGFPE"
    case SIGTRAP: return "SIGTRAP"
    case SIGKILL: return "SIGKILL"
    case SIGTERM: return "SIGTERM"
    default: return "signal \(s)"
    }
}

struct ProcessResult: Sendable {
    var command: [String]
    var termination: Termination
    var stdout: Data
    var stderr: Data
    var seconds: Double

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    var commandLine: String { shellQuote(command) }
}

func shellQuote(_ argv: [String]) -> String {
    argv.map { arg in
        if !arg.isEmpty, arg.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) {
            return arg
        }
        return "'" + arg.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }.joined(separator: " ")
}

/// A counting semaphore for async code: bounds the number of child processes alive at once,
/// whatever Swift Testing's own parallelism is.
actor AsyncSemaphore {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { available = count }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}

enum ProcessRunner {
    /// Maximum number of concurrently running children: `WELD_E2E_JOBS`, else cores + 1.
    static let jobs: Int = {
        if let s = ProcessInfo.processInfo.environment["WELD_E2E_JOBS"], let n = Int(s), n > 0 { return n }
        return ProcessInfo.processInfo.activeProcessorCount + 1
    }()
    static let limiter = AsyncSemaphore(jobs)
    private static let counter = LockedCounter()

    /// Runs `argv` (argv[0] is looked up in PATH when it has no slash) with the given
    /// environment (nil: inherit), stdin from /dev/null, output captured.
    static func run(_ argv: [String], environment: [String: String]? = nil, timeout: Double = 300,
                    scratch: String) async -> ProcessResult {
        await limiter.acquire()
        let result = await spawnAndWait(argv, environment: environment, timeout: timeout, scratch: scratch)
        await limiter.release()
        return result
    }

    private static func spawnAndWait(_ argv: [String], environment: [String: String]?, timeout: Double,
                                     scratch: String) async -> ProcessResult {
        let id = counter.next()
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let outPath = "\(scratch)/.proc-\(getpid())-\(id).out"
        let errPath = "\(scratch)/.proc-\(getpid())-\(id).err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        let start = DispatchTime.now()
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9 }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Own process group (so a timeout kills compiler subprocesses too), default signal
        // dispositions and an empty signal mask: the test runner's settings must not leak in.
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigdefault(&attr, &allSignals)
        posix_spawnattr_setsigmask(&attr, &noSignals)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let env = environment ?? ProcessInfo.processInfo.environment
        let envStrings = env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var program = argv[0]
        if !program.contains("/") {
            guard let found = Tools.which(program) else {
                return ProcessResult(command: argv, termination: .failedToStart("\(program) not found in PATH"),
                                     stdout: Data(), stderr: Data(), seconds: 0)
            }
            program = found
        }
        var pid: pid_t = 0
        let rc: Int32 = withCStrings(argv) { cargv in
            withCStrings(envStrings) { cenv in
                posix_spawn(&pid, program, &actions, &attr, cargv, cenv)
            }
        }
        if rc != 0 {
            return ProcessResult(command: argv, termination: .failedToStart(String(cString: strerror(rc))),
                                 stdout: Data(), stderr: Data(), seconds: 0)
        }

        let state = WaitState()
        let childPid = pid
        let status: Int32 = await withCheckedContinuation { cont in
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                state.killIfRunning(childPid)
            }
            Thread.detachNewThread {
                // Wait without reaping first, so the pid cannot be reused while the timeout
                // handler might still signal it.
                var info = siginfo_t()
                while waitid(P_PID, id_t(childPid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
                state.markExited()
                var st: Int32 = 0
                while waitpid(childPid, &st, 0) < 0 && errno == EINTR {}
                cont.resume(returning: st)
            }
        }
        let seconds = elapsed()
        let out = FileManager.default.contents(atPath: outPath) ?? Data()
        let err = FileManager.default.contents(atPath: errPath) ?? Data()
        let termination: Termination
        if state.timedOut {
            termination = .timedOut(timeout)
        } else if status & 0x7f == 0 {
            termination = .exited((status >> 8) & 0xff)
        } else {
            termination = .signaled(status & 0x7f)
        }
        return ProcessResult(command: argv, termination: termination, stdout: out, stderr: err, seconds: seconds)
    }
}

private final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

private final class WaitState: @unchecked Sendable {
    private let lock = NSLock()
    private var exited = false
    private(set) var timedOut = false

    func markExited() {
        lock.lock()
        exited = true
        lock.unlock()
    }

    func killIfRunning(_ pid: pid_t) {
        lock.lock()
        defer { lock.unlock() }
        if !exited {
            timedOut = true
            kill(-pid, SIGKILL)   // the whole process group
            kill(pid, SIGKILL)
        }
    }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
