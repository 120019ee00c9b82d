#if canImport(Glibc)
import Glibc
#endif
import CMemoryHints

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

    /// Drops the whole pages of each range that lies in an input file, in as few system calls
    /// as the kernel allows.
    public func release<S: Sequence>(_ ranges: S) where S.Element == (UnsafeRawPointer, Int) {
        var queue = PageDropQueue()
        for (p, count) in ranges {
            let a = UInt(bitPattern: p), b = a + UInt(count)
            if mapping(a, b) >= 0 { queue.add(a, b, minimum: 1) }
        }
        queue.finish()
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

    /// Ranges are dropped only if they hold enough whole pages to be worth it. Measured on the
    /// lld workload when each range was its own system call (madvise calls, CPU time): every
    /// range, 3,875 calls and 8% more time; 16 KiB and up, 1,534 calls; 64 KiB and up, 613
    /// calls and no difference above the noise, for 33 MB less saved than every range.
    /// Later, with drops batched (a TLB flush per batch, an interrupt for the other core at 2
    /// threads): 256 KiB and up left peak RSS as it was (swift 198.6 MB, lld 418 MB) and made
    /// the write phase 0.9 ms (swift) and 2.3 ms (lld) faster at 2 threads than 64 KiB; 1 MiB
    /// raised peak RSS to 234 and 437 MB, past mold's 231 and 458.
    fileprivate static let minDrop: UInt = 256 << 10
}

/// Page ranges to drop, sent to the kernel together (`weld_drop_pages`: one TLB flush for all
/// of them where the kernel can, instead of one per range, and each flush interrupts every
/// other core running the link: on the swift workload at 2 threads, 300 separate calls cost
/// the write phase 2.7 ms). Lives on a worker's stack; `finish()` sends what is left.
struct PageDropQueue {
    private var ranges: UnsafeMutablePointer<iovec>? = nil
    private var count = 0
    private var bytes: UInt = 0
    /// Sent once this many ranges or bytes wait, so memory still goes down as work proceeds.
    static let maxRanges = 64
    static let maxBytes: UInt = 4 << 20

    /// Queues the whole pages of [lo, hi) (pages it only partly covers may hold bytes of a
    /// neighbour still to be read, and stay), if there are at least `minimum` bytes of them.
    mutating func add(_ lo: UInt, _ hi: UInt, minimum: UInt = InputPages.minDrop) {
        let first = (lo + InputPages.pageSize - 1) & ~(InputPages.pageSize - 1)
        let end = hi & ~(InputPages.pageSize - 1)
        if end < first + minimum { return }
        if ranges == nil { ranges = .allocate(capacity: PageDropQueue.maxRanges) }
        ranges![count] = iovec(iov_base: UnsafeMutableRawPointer(bitPattern: first), iov_len: Int(end - first))
        count += 1
        bytes += end - first
        if count == PageDropQueue.maxRanges || bytes >= PageDropQueue.maxBytes { send() }
    }

    mutating func send() {
        if count > 0 { _ = weld_drop_pages(ranges, Int32(count)) }
        count = 0
        bytes = 0
    }

    mutating func finish() {
        send()
        ranges?.deallocate()
        ranges = nil
    }
}

/// Input ranges one worker has finished reading, released in batches: most input sections
/// (a C++ function and its relocations) are smaller than a page, but a worker goes through a
/// file's sections in order, so neighbouring ones add up to whole pages. Lives on the worker's
/// stack; no lock, one small allocation (its drop queue). Call `flush()` at the end.
public struct InputPageBatch {
    private let pages: InputPages
    private var queue = PageDropQueue()
    /// The batch [lo, hi), and the file mapping [mapLo, mapHi) it lies in (empty: no batch).
    private var lo: UInt = 0, hi: UInt = 0
    private var mapLo: UInt = 0, mapHi: UInt = 0

    /// Ranges this close to the batch join it, gap included: a gap under a page holds no
    /// whole page of its own (alignment padding, a small section of another output section),
    /// so joining it only lets the pages shared with the neighbours go. Wider gaps drop more,
    /// but also pages other tasks still read (symbol and string tables for .symtab, .eh_frame),
    /// which fault back in: on the lld workload, 64 KiB took 3,400 more page faults than 4 KiB.
    private static let joinGap: UInt = 4096
    /// Batches are queued for dropping once this big, so memory goes down as work proceeds.
    private static let maxBatch: UInt = 1 << 20

    public init(_ pages: InputPages) { self.pages = pages }

    /// Marks [p, p + count) as read for good.
    @inline(__always)
    public mutating func add(_ p: UnsafeRawPointer, _ count: Int) {
        let a = UInt(bitPattern: p), b = a + UInt(count)
        if a <= hi + InputPageBatch.joinGap && b + InputPageBatch.joinGap >= lo && a >= mapLo && b <= mapHi {
            lo = min(lo, a); hi = max(hi, b)
            if hi - lo >= InputPageBatch.maxBatch { close() }
            return
        }
        close()
        let m = pages.mapping(a, b)
        if m < 0 { return }
        (mapLo, mapHi) = pages.ranges[m]
        lo = a; hi = b
    }

    /// Ends the current batch: its pages join the drop queue.
    private mutating func close() {
        if mapHi > mapLo { queue.add(lo, hi) }
        mapLo = 0; mapHi = 0
    }

    /// Drops everything added so far.
    public mutating func flush() {
        close()
        queue.finish()
    }
}
