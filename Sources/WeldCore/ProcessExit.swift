import CProcessExit

/// How weld's process ends. By default the exit does not wait for the kernel to tear down the
/// address space (hundreds of MB of mapped inputs and heap on a big link): a helper that shares
/// the memory does it after weld is gone (see Sources/CProcessExit). `--no-fork` (mold's name
/// for its own early exit) turns it off, e.g. to measure the whole process with `perf stat`.
public enum ProcessExit {
    nonisolated(unsafe) public static var defersTeardown = true

    public static func exit(_ status: Int32) -> Never {
        if defersTeardown { weld_exit_deferring_teardown(status) }
        fflushAll()
        _exit(status)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func fflushAll() { fflush(nil) }
#endif
