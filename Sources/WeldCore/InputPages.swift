#if canImport(Glibc)
import Glibc
#endif

/// Drops pages of input files from the process's memory once the link is done reading them,
/// so peak memory is not the sum of every input and the output. Inputs are mapped read-only
/// and privately, so a dropped page is never lost: touching it again maps the same bytes back
/// from the page cache (a minor fault, no I/O). Only pages inside file mappings are ever
/// dropped: a buffer weld built in memory (a decompressed section, a `-b binary` object) would
/// read back as zeros.
public struct InputPages: @unchecked Sendable {
    /// The file mappings, sorted by start address: [lo, hi) pairs.
    fileprivate let ranges: [(lo: UInt, hi: UInt)]
    fileprivate static let pageSize = UInt(sysconf(Int32(_SC_PAGESIZE)))

    /// The mappings open now. Take it once no more inputs will be opened.
    public init() {
        ranges = MappedFile.all.withLock { list in
            list.map { (UInt(bitPattern: $0.base), UInt(bitPattern: $0.base) + UInt($0.size)) }
        }.sorted { $0.lo < $1.lo }
    }

    /// Drops the whole pages of [p, p + count) now, if it lies in an input file.
    public func release(_ p: UnsafeRawPointer, _ count: Int) {
        let a = UInt(bitPattern: p), b = a + UInt(count)
        if mapping(a, b) >= 0 { InputPages.drop(a, b, minimum: 1) }
    }

    /// Index of the mapping that holds all of [lo, hi), or -1.
    @inline(__always)
    fileprivate func mapping(_ lo: UInt, _ hi: UInt) -> Int {
        var a = 0, b = ranges.count
        while a < b {
            let mid = (a + b) >> 1
            if ranges[mid].lo <= lo { a = mid + 1 } else { b = mid }
        }
        return a > 0 && hi <= ranges[a - 1].hi ? a - 1 : -1
    }

    /// Drops the whole pages of [lo, hi) (pages it only partly covers may hold bytes of a
    /// neighbour still to be read, and stay), if there are enough of them to be worth a system
    /// call: each one costs a TLB flush on every core running the link. Measured on the lld
    /// workload (madvise calls, CPU time): every range, 3,875 calls and 8% more time; 16 KiB
    /// and up, 1,534 calls; 64 KiB and up, 613 calls and no difference above the noise, for
    /// 33 MB less saved than every range.
    fileprivate static func drop(_ lo: UInt, _ hi: UInt, minimum: UInt = minDrop) {
        let first = (lo + pageSize - 1) & ~(pageSize - 1)
        let end = hi & ~(pageSize - 1)
        if end >= first + minimum { madvise(UnsafeMutableRawPointer(bitPattern: first), Int(end - first), MADV_DONTNEED) }
    }
    fileprivate static let minDrop: UInt = 64 << 10
}

/// Input ranges one worker has finished reading, released in batches: most input sections
/// (a C++ function and its relocations) are smaller than a page, but a worker goes through a
/// file's sections in order, so neighbouring ones add up to whole pages. Lives on the worker's
/// stack; no allocation, no lock. Call `flush()` at the end.
public struct InputPageBatch {
    private let pages: InputPages
    /// The batch [lo, hi), and the file mapping [mapLo, mapHi) it lies in (empty: no batch).
    private var lo: UInt = 0, hi: UInt = 0
    private var mapLo: UInt = 0, mapHi: UInt = 0

    /// Ranges this close to the batch join it, gap included: a gap under a page holds no
    /// whole page of its own (alignment padding, a small section of another output section),
    /// so joining it only lets the pages shared with the neighbours go. Wider gaps drop more,
    /// but also pages other tasks still read (symbol and string tables for .symtab, .eh_frame),
    /// which fault back in: on the lld workload, 64 KiB took 3,400 more page faults than 4 KiB.
    private static let joinGap: UInt = 4096
    /// Batches are released once this big, so memory goes down as the work proceeds.
    private static let maxBatch: UInt = 1 << 20

    public init(_ pages: InputPages) { self.pages = pages }

    /// Marks [p, p + count) as read for good.
    @inline(__always)
    public mutating func add(_ p: UnsafeRawPointer, _ count: Int) {
        let a = UInt(bitPattern: p), b = a + UInt(count)
        if a <= hi + InputPageBatch.joinGap && b + InputPageBatch.joinGap >= lo && a >= mapLo && b <= mapHi {
            lo = min(lo, a); hi = max(hi, b)
            if hi - lo >= InputPageBatch.maxBatch { flush() }
            return
        }
        flush()
        let m = pages.mapping(a, b)
        if m < 0 { return }
        (mapLo, mapHi) = pages.ranges[m]
        lo = a; hi = b
    }

    public mutating func flush() {
        if mapHi > mapLo { InputPages.drop(lo, hi) }
        mapLo = 0; mapHi = 0
    }
}
