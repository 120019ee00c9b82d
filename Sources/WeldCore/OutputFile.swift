#if canImport(Glibc)
import Glibc
#endif

/// The output, created at its final size in a temporary file beside the target, mapped, and
/// written in place by any number of threads (each to its own slice). `commit()` renames it
/// over the target; a link that fails before that leaves the old output untouched, and the
/// temporary file is removed on error and on SIGINT/SIGTERM.
public final class OutputFile: @unchecked Sendable {
    public let path: String
    public let tempPath: String
    public let size: Int
    public let base: UnsafeMutableRawPointer
    let fd: Int32

    nonisolated(unsafe) static var liveTempPath: UnsafeMutablePointer<CChar>? = nil

    public init(path: String, size: Int, executable: Bool) throws(LinkError) {
        self.path = path
        self.size = size
        let dir: String
        if let slash = path.lastIndex(of: "/") { dir = String(path[..<slash]) + "/" } else { dir = "" }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var template = Array("\(dir).\(base).weld-tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 {
            throw LinkError("cannot create output file \(path): \(String(cString: strerror(errno)))")
        }
        self.tempPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        self.fd = fd
        OutputFile.installCleanup(tempPath)
        // Permissions follow the umask, as a compiler-created file would.
        let mask = umask(0); umask(mask)
        fchmod(fd, (executable ? 0o777 : 0o666) & ~mask)
        if size > 0 {
            let r = posix_fallocate(fd, 0, off_t(size))
            if r != 0 && r != EOPNOTSUPP && r != EINVAL {
                OutputFile.removeTemp()
                close(fd)
                throw LinkError("cannot allocate \(size) bytes for \(path): \(String(cString: strerror(r)))")
            }
            if ftruncate(fd, off_t(size)) != 0 {
                let e = errno
                OutputFile.removeTemp()
                close(fd)
                throw LinkError("cannot size output file \(path): \(String(cString: strerror(e)))")
            }
            guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), p != MAP_FAILED else {
                let e = errno
                OutputFile.removeTemp()
                close(fd)
                throw LinkError("cannot map output file \(path): \(String(cString: strerror(e)))")
            }
            self.base = p
        } else {
            self.base = UnsafeMutableRawPointer(bitPattern: 8)!
        }
    }

    /// Unmaps, closes and renames the finished file over the target.
    public func commit() throws(LinkError) {
        if size > 0 { munmap(base, size) }
        close(fd)
        if rename(tempPath, path) != 0 {
            let e = errno
            OutputFile.removeTemp()
            throw LinkError("cannot rename \(tempPath) to \(path): \(String(cString: strerror(e)))")
        }
        OutputFile.clearCleanup()
    }

    /// Drops the temporary file; the target is left as it was.
    public func discard() {
        if size > 0 { munmap(base, size) }
        close(fd)
        OutputFile.removeTemp()
    }

    static func installCleanup(_ path: String) {
        liveTempPath = strdup(path)
        let handler: @convention(c) (Int32) -> Void = { sig in
            if let p = OutputFile.liveTempPath { unlink(p) }
            signal(sig, SIG_DFL)
            raise(sig)
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        signal(SIGHUP, handler)
        signal(SIGXFSZ, handler)
        signal(SIGBUS, handler)
    }

    static func removeTemp() {
        if let p = liveTempPath { unlink(p); free(p); liveTempPath = nil }
    }

    static func clearCleanup() {
        if let p = liveTempPath { free(p); liveTempPath = nil }
    }
}
