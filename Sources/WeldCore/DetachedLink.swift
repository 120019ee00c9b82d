#if canImport(Glibc)
import Glibc
#endif
import CSystem

/// Runs the link in a child process and lets the parent exit as soon as the child says the
/// output is in place (mold does the same). What a process does after its work is done,
/// unmapping hundreds of megabytes of inputs and tearing down its address space, then happens
/// off the build's critical path: about 20 ms on a 100 MB link (measured on lld's relink:
/// wall time exceeds the time report's total by that much).
///
/// The fork happens first thing in `main`, before any thread exists, so the child inherits no
/// lock held by another thread. The parent forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to the
/// child (whose handlers remove the temporary output) and then dies of the same signal; the
/// child gets SIGTERM if the parent dies first. `--no-fork` (or `WELD_NO_FORK=1`) keeps one process.
public enum DetachedLink {
    nonisolated(unsafe) private static var childPid: pid_t = 0
    nonisolated(unsafe) private static var notifyFD: Int32 = -1

    /// Whether the arguments ask for a single process.
    public static func isDisabled(_ args: [String]) -> Bool {
        if let v = getenv("WELD_NO_FORK"), v.pointee != 0, String(cString: v) != "0" { return true }
        return args.contains { $0 == "--no-fork" || $0 == "-no-fork" || $0 == "-no_fork" }
    }

    /// In the parent: waits for the child's verdict and exits with it (never returns). In the
    /// child, or when forking is off or fails: returns, and the caller links.
    public static func detach(unless disabled: Bool) {
        if disabled { return }
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) != 0 { return }
        let parent = getpid()
        let pid = fork()
        if pid < 0 { close(fds[0]); close(fds[1]); return }
        if pid == 0 {
            close(fds[0])
            notifyFD = fds[1]
            // Die with the parent (e.g. SIGKILL'ed by a build system): SIGTERM runs the
            // temporary-file cleanup.
            _ = weld_set_parent_death_signal(SIGTERM)
            if getppid() != parent { raise(SIGTERM) }
            return
        }
        close(fds[1])
        childPid = pid
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
            signal(sig) { s in _ = kill(DetachedLink.childPid, s) }
        }
        var status: UInt8 = 0
        while true {
            let n = read(fds[0], &status, 1)
            if n == 1 { _exit(Int32(status)) }
            if n < 0 && errno == EINTR { continue }
            break
        }
        // The child ended without a verdict: it was killed or crashed. End the same way.
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let termSignal = raw & 0x7f
        if termSignal != 0 {
            signal(termSignal, SIG_DFL)
            raise(termSignal)
        }
        _exit((raw >> 8) & 0xff)
    }

    /// In the child: the output is renamed into place and every message is out; the parent may
    /// exit with `status`. Does nothing without a parent waiting.
    public static func finish(_ status: Int32) {
        guard notifyFD >= 0 else { return }
        fflush(nil)
        var byte = UInt8(truncatingIfNeeded: status)
        _ = write(notifyFD, &byte, 1)
        close(notifyFD)
        notifyFD = -1
    }
}
