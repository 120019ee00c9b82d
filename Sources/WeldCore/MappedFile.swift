import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory mapping of an input file. Inputs are read in place through `base`;
/// nothing is copied. The mapping lives as long as the process (a linker is short-lived and
/// the output may point at input bytes until it is written), so there is no unmap; but its
/// pages may be dropped from memory once read (`InputPages`), since they read back the same.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let base: UnsafeRawPointer
    public let size: Int

    init(path: String, base: UnsafeRawPointer, size: Int) {
        self.path = path
        self.base = base
        self.size = size
    }

    /// Maps `path` read-only. Returns nil with `errno` set if it cannot be opened.
    public static func open(_ path: String) throws(LinkError) -> MappedFile {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw LinkError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw LinkError("cannot stat \(path): \(String(cString: strerror(errno)))") }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw LinkError("\(path): is a directory") }
        let size = Int(st.st_size)
        if size == 0 {
            // mmap of length 0 fails; an empty file is still a valid (if useless) input.
            return MappedFile(path: path, base: UnsafeRawPointer(bitPattern: 8)!, size: 0)
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw LinkError("cannot map \(path): \(String(cString: strerror(errno)))")
        }
        MappedFile.all.withLock { $0.append((UnsafeRawPointer(p), size)) }
        return MappedFile(path: path, base: UnsafeRawPointer(p), size: size)
    }

    /// Every mapping made so far (start, size), for `InputPages`.
    static let all = Mutex<[(base: UnsafeRawPointer, size: Int)]>([])

    /// The size of every input mapped so far.
    public static var totalMappedBytes: Int { all.withLock { $0.reduce(0) { $0 + $1.size } } }

    /// Asks the kernel to read the file ahead (MADV_WILLNEED), unless it looks cached: on a
    /// warm rebuild every input is in the page cache, and walking 260 MB of cached pages costs
    /// ~14 ms of CPU for nothing. "Looks cached": 9 pages spread over the file (first, last and
    /// between) are resident. Called on a background thread.
    public func readAheadUnlessCached() {
        if size == 0 || isProbablyCached() { return }
        madvise(UnsafeMutableRawPointer(mutating: base), size, MADV_WILLNEED)
    }

    func isProbablyCached() -> Bool { sampledPagesAreResident(base, size, samples: 9) }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }
}

public func fileExists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFDIR
}

/// True if `samples` pages spread over [p, p + size) (first, last and between) are in the page
/// cache. mincore reports residency for a file mapping even before it is touched.
func sampledPagesAreResident(_ p: UnsafeRawPointer, _ size: Int, samples wanted: Int) -> Bool {
    if size == 0 { return true }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let pages = (size + page - 1) / page
    let samples = min(pages, wanted)
    var resident: UInt8 = 0
    for i in 0..<samples {
        let k = samples == 1 ? 0 : (pages - 1) * i / (samples - 1)
        if mincore(UnsafeMutableRawPointer(mutating: p + k * page), 1, &resident) != 0 || resident & 1 == 0 { return false }
    }
    return true
}
