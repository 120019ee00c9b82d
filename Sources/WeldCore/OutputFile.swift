#if canImport(Glibc)
import Glibc
#endif
import CProcessExit

/// The output, created at its final size in a temporary file beside the target, mapped, and
/// written in place by any number of threads (each to its own slice). `commit()` renames it
/// over the target; a link that fails before that leaves the old output untouched, and the
/// temporary file is removed on error, on SIGINT/SIGTERM/SIGHUP and on a crash. SIGXFSZ is
/// ignored, so `ulimit -f` is an error like a full disk.
public final class OutputFile: @unchecked Sendable {
    public let path: String
    public let tempPath: String
    public let size: Int
    public let base: UnsafeMutableRawPointer
    let fd: Int32

    nonisolated(unsafe) static var liveTempPath: UnsafeMutablePointer<CChar>? = nil

    /// Whether the file is a recycled spare (`SpareOutputs`), zeroed in `init`.
    public private(set) var isRecycled = false
    private var prefaulted = false
    /// Where a spare is taken from and the replaced output goes (nil: recycling off).
    let spares: SpareOutputs?

    /// A zero-filled output of `size` bytes. `spares`: write into a spare output file, and
    /// keep the replaced output as one (see SpareOutputs).
    public init(path: String, size: Int, executable: Bool, spares: SpareOutputs? = SpareOutputs.standard()) throws(LinkError) {
        self.spares = spares
        self.path = path
        self.size = size
        let dir: String
        if let slash = path.lastIndex(of: "/") { dir = String(path[..<slash]) + "/" } else { dir = "" }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        // The signal handlers watch the name buffer before mkstemp fills it in, so there is no
        // moment when the temporary file exists and a signal would leave it behind.
        let template = strdup("\(dir).\(base).weld-tmp-XXXXXX")!
        OutputFile.holdPreviousOutput(path)
        OutputFile.installCleanup(template)
        let fd = mkstemp(template)
        if fd < 0 {
            let e = errno
            OutputFile.clearCleanup()
            throw LinkError("cannot create output file \(path): \(String(cString: strerror(e)))")
        }
        self.tempPath = String(cString: template)
        var fileDescriptor = fd
        if let spare = spares?.take(into: tempPath, outputDirectory: dir.isEmpty ? "." : dir, size: size) {
            close(fd)   // the empty file mkstemp made, which the spare has just replaced
            fileDescriptor = spare
            isRecycled = true
        }
        self.fd = fileDescriptor
        // Permissions follow the umask, as a compiler-created file would.
        let mask = umask(0); umask(mask)
        fchmod(fileDescriptor, (executable ? 0o777 : 0o666) & ~mask)
        if size > 0 {
            let r = posix_fallocate(fileDescriptor, 0, off_t(size))
            if r != 0 && r != EOPNOTSUPP && r != EINVAL {
                OutputFile.removeTemp()
                close(fileDescriptor)
                throw LinkError("cannot allocate \(size) bytes for \(path): \(String(cString: strerror(r)))")
            }
            if ftruncate(fileDescriptor, off_t(size)) != 0 {
                let e = errno
                OutputFile.removeTemp()
                close(fileDescriptor)
                throw LinkError("cannot size output file \(path): \(String(cString: strerror(e)))")
            }
            guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fileDescriptor, 0), p != MAP_FAILED else {
                let e = errno
                OutputFile.removeTemp()
                close(fileDescriptor)
                throw LinkError("cannot map output file \(path): \(String(cString: strerror(e)))")
            }
            // No MADV_HUGEPAGE: large page-cache folios made faulting the output in faster on
            // average (70 MB: 24-40 -> 9.5-17 ms) but sometimes took 190 ms instead, after
            // another big link had run (measured with gold's output in between).
            self.base = p
            if isRecycled {
                // The spare's old bytes go: every byte weld does not write (padding between
                // sections, gaps between segments) must read as zero, as in a new file. The
                // pages are in memory, so this also faults them in (no prefault needed).
                let chunk = 4 << 20
                Parallel.forEach((size + chunk - 1) / chunk) { i in
                    memset(p + i * chunk, 0, min(chunk, size - i * chunk))
                }
                prefaulted = true
            }
        } else {
            self.base = UnsafeMutableRawPointer(bitPattern: 8)!
        }
    }

    /// Faults the whole mapping in ahead of the writers, in parallel 4 MiB chunks
    /// (MADV_POPULATE_WRITE, Linux 5.14+): one batched fault per chunk is cheaper than one
    /// trap per page in the middle of copying. Harmless where unsupported.
    public func prefault() {
        if size == 0 || prefaulted { return }
        let chunk = 4 << 20
        let n = (size + chunk - 1) / chunk
        let base = self.base, size = self.size
        Parallel.forEach(n) { i in
            let lo = i * chunk
            _ = madvise(base + lo, min(chunk, size - lo), 23 /* MADV_POPULATE_WRITE */)
        }
    }

    /// Unmaps, closes and renames the finished file over the target. The mapping must go
    /// before weld exits (a writable mapping of the file would make running it fail with
    /// ETXTBSY); that costs ~2.5 ms for 70 MB, and two threads unmapping halves were slower.
    public func commit() throws(LinkError) {
        if size > 0 { munmap(base, size) }
        close(fd)
        if let spares, spares.donate(replacing: path, with: tempPath) {
            OutputFile.clearCleanup()
            return
        }
        if rename(tempPath, path) != 0 {
            let e = errno
            OutputFile.removeTemp()
            throw LinkError("cannot rename \(tempPath) to \(path): \(String(cString: strerror(e)))")
        }
        OutputFile.clearCleanup()
    }

    /// Replacing a big file by rename makes the kernel free its pages and blocks right there
    /// (measured on ext4: 35–55 ms for 70 MB). A descriptor on the old file (O_PATH: no I/O,
    /// never blocks, not through a symlink) keeps its inode alive through the rename; it is
    /// closed after weld has exited, so that cost leaves the link's critical path.
    static func holdPreviousOutput(_ path: String) {
        let oPath: Int32 = 0o10000000   // O_PATH (Linux, every architecture weld targets)
        let fd = open(path, oPath | O_NOFOLLOW | O_CLOEXEC)
        // A process that makes many outputs (tests) holds the first few; the rest go now.
        if fd >= 0 && weld_close_after_exit(fd) != 0 { close(fd) }
    }

    /// Drops the temporary file; the target is left as it was.
    public func discard() {
        if size > 0 { munmap(base, size) }
        close(fd)
        OutputFile.removeTemp()
    }

    /// Signals after which the temporary file is removed: interruptions, and crashes (a trap
    /// while writing must not leave a half-written file beside the output either).
    static let cleanupSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGBUS, SIGSEGV, SIGILL, SIGTRAP, SIGABRT, SIGFPE]
    nonisolated(unsafe) static var previousActions: UnsafeMutablePointer<sigaction>? = nil

    /// Takes ownership of `path` (a malloc'ed C string) as the temporary file to remove.
    static func installCleanup(_ path: UnsafeMutablePointer<CChar>) {
        liveTempPath = path
        if previousActions != nil { return }   // handlers are installed once per process
        // `ulimit -f`: with SIGXFSZ ignored, posix_fallocate/ftruncate fail with EFBIG and the
        // link ends with an error (exit 1) instead of a signal.
        signal(SIGXFSZ, SIG_IGN)
        let previous = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)   // NSIG on Linux
        previous.initialize(repeating: sigaction(), count: 65)
        previousActions = previous
        var action = sigaction()
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_SIGINFO
        action.__sigaction_handler.sa_sigaction = { sig, info, _ in
            if let p = OutputFile.liveTempPath { unlink(p) }
            let fault = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE
            if fault, let info, info.pointee.si_code > 0 {
                // A fault: back to the previous handler (Swift's crash report, or the default);
                // returning re-executes the faulting instruction, which faults into it.
                sigaction(sig, OutputFile.previousActions! + Int(sig), nil)
            } else {
                // Sent by a process or the terminal: die of it, as a shell expects.
                signal(sig, SIG_DFL)
                raise(sig)
            }
        }
        for sig in cleanupSignals {
            sigaction(sig, nil, previous + Int(sig))
            // A signal ignored when weld started (nohup, `cmd &` in a script) stays ignored.
            let old = previous[Int(sig)].__sigaction_handler.sa_handler
            if unsafeBitCast(old, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { continue }
            sigaction(sig, &action, nil)
        }
    }

    static func removeTemp() {
        if let p = liveTempPath { unlink(p); free(p); liveTempPath = nil }
    }

    static func clearCleanup() {
        if let p = liveTempPath { free(p); liveTempPath = nil }
    }
}
