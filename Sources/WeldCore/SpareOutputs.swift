#if canImport(Glibc)
import Glibc
#endif
import CProcessExit
import CFileSystem

/// Recycled output files: the file a link replaces is kept as a spare, and the next link
/// writes into a spare instead of a new file.
///
/// Why: a new file's pages must be allocated and zeroed by the kernel as the output is
/// faulted in; an old file's pages are already in the page cache. On this project's VM
/// (where freed memory goes back to the host), faulting in a fresh 111 MB output took 12–110
/// ms, and the lld link was 20% faster writing into an old file (median of 6 runs beside
/// mold: 236 vs 303 ms). mold 1.x reused the old output in place for the same reason; that
/// overwrote it before the link had succeeded (a failed link lost it) and could overwrite a
/// shared library a running process had mapped. Here:
/// - the old output is not touched until the new one is complete: the new one is written into
///   a spare and renamed over it, as a new file would be; only then does the old file become
///   a spare (an atomic exchange of the two names, then a move into the spare directory);
/// - a spare is used only if no process has it open or mapped: taking a write lease
///   (F_SETLEASE) succeeds only when the caller holds the file's only open description, and a
///   mapping (a running program, a loaded library) holds one;
/// - a spare's old contents are overwritten with zeros before use (`OutputFile` does it, in
///   parallel), so an output is byte-identical whether its file was new or recycled;
/// - a spare that is no longer in the page cache is dropped (zeroing it would read it back).
/// The spares live in `$WELD_SPARE_DIR`, else `$XDG_CACHE_HOME/weld/spare-outputs`, else
/// `~/.cache/weld/spare-outputs` (created 0700, used only if owned by the user and private),
/// at most `maxSpares` of them and `maxTotalBytes` in all; an output on another file system
/// than that directory is neither recycled nor donated. `WELD_SPARE_DIR=off` (or an empty
/// value) and `--no-recycle-output` turn recycling off.
public struct SpareOutputs: Sendable {
    public static let maxSpares = 4
    public static let maxTotalBytes = 2 << 30
    /// Smaller files are cheap to make new, and would push big spares out of the pool.
    public static let minimumBytes = 1 << 20
    static let prefix = "spare-"
    public let directory: String

    /// The spares in `directory`, which must exist, belong to this user and be private.
    public init?(directory: String) {
        var st = stat()
        // Another user's directory, a symbolic link or a directory others can write to could
        // hand us a file that is not ours to overwrite.
        guard lstat(directory, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == geteuid(), st.st_mode & 0o077 == 0 else { return nil }
        self.directory = directory
    }

    /// The spare directory from the environment, created if needed; nil if recycling is off
    /// or the directory is not safe to use.
    public static func standard() -> SpareOutputs? {
        let dir: String
        if let p = getenv("WELD_SPARE_DIR") {
            let s = String(cString: p)
            if s.isEmpty || s == "off" { return nil }
            dir = s
        } else if let p = getenv("XDG_CACHE_HOME"), p.pointee != 0 {
            dir = String(cString: p) + "/weld/spare-outputs"
        } else if let p = getenv("HOME"), p.pointee != 0 {
            dir = String(cString: p) + "/.cache/weld/spare-outputs"
        } else {
            return nil
        }
        var st = stat()
        if lstat(dir, &st) != 0 {
            // Parents as the user's umask allows, the directory itself private.
            var partial = dir.hasPrefix("/") ? "" : "."
            for part in dir.split(separator: "/").dropLast() {
                partial += "/" + part
                mkdir(partial, 0o777)
            }
            if mkdir(dir, 0o700) != 0 && errno != EEXIST { return nil }
        }
        return SpareOutputs(directory: dir)
    }

    static func device(_ path: String) -> dev_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_dev : nil
    }

    struct Spare { let name: String; let size: Int; let mtime: Int }

    static func list(_ dir: String) -> [Spare] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var spares: [Spare] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard name.hasPrefix(prefix) else { continue }
            var st = stat()
            guard lstat(dir + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            spares.append(Spare(name: name, size: Int(st.st_size), mtime: Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec)))
        }
        return spares
    }

    /// Moves a spare to `tempPath` (which exists: mkstemp made it) and returns it opened for
    /// writing, or nil if there is none that can be used. `outputDirectory` must be on the
    /// spare directory's file system.
    func take(into tempPath: String, outputDirectory: String, size: Int) -> Int32? {
        let dir = directory
        guard size >= SpareOutputs.minimumBytes, let dev = SpareOutputs.device(dir), SpareOutputs.device(outputDirectory) == dev else { return nil }
        // The smallest spare that is big enough, else the biggest: the fewest new pages.
        let spares = SpareOutputs.list(dir).sorted { a, b in
            let aFits = a.size >= size, bFits = b.size >= size
            if aFits != bFits { return aFits }
            return aFits ? a.size < b.size : a.size > b.size
        }
        for spare in spares {
            let path = dir + "/" + spare.name
            let fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
            if fd < 0 { continue }
            var st = stat()
            guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_nlink == 1, st.st_uid == geteuid(), st.st_dev == dev,
                  SpareOutputs.isUnused(fd) else {
                close(fd)
                continue
            }
            guard SpareOutputs.isMostlyCached(fd, size: min(Int(st.st_size), size)) else {
                // Zeroing it would read it back from disk first; a new file is faster.
                close(fd)
                SpareOutputs.drop(path)
                continue
            }
            // Claim it: of several links racing for it, one rename succeeds.
            if rename(path, tempPath) != 0 { close(fd); continue }
            return fd
        }
        return nil
    }

    /// True if no other open file description refers to the file (no process has it open or
    /// mapped): only then is a write lease granted.
    static func isUnused(_ fd: Int32) -> Bool {
        let F_SETLEASE: Int32 = 1024
        guard fcntl(fd, F_SETLEASE, Int32(F_WRLCK)) == 0 else { return false }
        _ = fcntl(fd, F_SETLEASE, Int32(F_UNLCK))
        return true
    }

    /// Samples 16 pages of the first `size` bytes: all must be in the page cache.
    static func isMostlyCached(_ fd: Int32, size: Int) -> Bool {
        if size == 0 { return true }
        guard let p = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else { return false }
        defer { munmap(p, size) }
        return sampledPagesAreResident(p, size, samples: 16)
    }

    /// Keeps the file at `oldPath` (the output about to be replaced by `newPath`) as a spare:
    /// the two names are exchanged atomically, so `oldPath` always names a complete output,
    /// then the old file moves to the spare directory. Returns false (nothing changed) if the
    /// old file is not a private regular file of this user on the spare directory's file
    /// system, or the exchange is not supported; the caller then renames as usual.
    func donate(replacing oldPath: String, with newPath: String) -> Bool {
        let dir = directory
        guard let dev = SpareOutputs.device(dir) else { return false }
        var st = stat()
        guard lstat(oldPath, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_nlink == 1, st.st_uid == geteuid(),
              st.st_dev == dev, st.st_size >= SpareOutputs.minimumBytes else { return false }
        guard weld_rename_exchange(newPath, oldPath) == 0 else { return false }
        // `newPath` now names the old output.
        var spareName = "\(dir)/\(SpareOutputs.prefix)\(getpid())-\(SpareOutputs.monotonicNanoseconds())"
        if rename(newPath, spareName) != 0 {
            spareName = ""
            SpareOutputs.drop(newPath)
        }
        evict(keeping: spareName)
        return true
    }

    /// Drops the oldest spares beyond the limits. Unlinked files are freed after weld exits:
    /// freeing 70 MB of page cache takes ext4 tens of milliseconds.
    func evict(keeping newest: String) {
        let dir = directory
        var spares = SpareOutputs.list(dir).sorted { $0.mtime > $1.mtime }
        if let k = spares.firstIndex(where: { dir + "/" + $0.name == newest }) { spares.insert(spares.remove(at: k), at: 0) }
        var total = 0
        for (i, s) in spares.enumerated() {
            total += s.size
            if i >= SpareOutputs.maxSpares || (i > 0 && total > SpareOutputs.maxTotalBytes) { SpareOutputs.drop(dir + "/" + s.name) }
        }
    }

    /// Unlinks `path`, keeping its inode alive until weld has exited when possible.
    static func drop(_ path: String) {
        let oPath: Int32 = 0o10000000   // O_PATH
        let fd = open(path, oPath | O_NOFOLLOW | O_CLOEXEC)
        unlink(path)
        if fd >= 0 && weld_close_after_exit(fd) != 0 { close(fd) }
    }

    static func monotonicNanoseconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int(ts.tv_sec) * 1_000_000_000 + Int(ts.tv_nsec)
    }
}
