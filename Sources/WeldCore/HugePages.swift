#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Big arrays on 2 MiB pages. The global symbol table of the swift workload is 28 MB, filled
/// at random by both threads: on 4 KiB pages its first touches were 7,000 page faults (most
/// of the archive symbol table step, and at 2 threads the faults also contend); on
/// transparent huge pages they are 14. Prefaulting 4 KiB pages up front was no help (the
/// per-page kernel work stays).
///
/// Only while the kernel has free 2 MiB blocks: with THP's usual `defrag=madvise`, a huge
/// page fault that finds none compacts memory synchronously, which can take far longer than
/// the faults it saves. The free blocks are read from /proc/buddyinfo once; weld takes at
/// most half of them, and allocations beyond that get ordinary pages.
public enum HugePages {
    public static let pageSize = 2 << 20
    /// Smaller arrays keep ordinary pages: a small link would fault in (and zero) a whole
    /// huge page for the few entries it uses (at 2 MiB, hello had 2 MB more peak memory; at
    /// 4 MiB the swift workload's slots and names join its symbols: resolution 2.6 ms faster
    /// at 2 threads, the slots no longer cleared by hand).
    public static let minimumBytes = 2 * pageSize

    /// 2 MiB blocks weld may still take (half of those free at start-up).
    static let budget = Atomic<Int>(freeBlocks() / 2)

    /// `bytes` of memory: on huge pages (mapped on its own, zero-filled) if `bytes` is at least
    /// `minimumBytes` and the budget allows, else from malloc (not initialized). `huge` says
    /// which; free it with `deallocate`.
    public static func allocate(_ bytes: Int) -> (memory: UnsafeMutableRawPointer, huge: Bool) {
        let size = max(bytes, 1)
        let blocks = (size + pageSize - 1) / pageSize
        let huge = size >= minimumBytes && take(blocks)
        guard huge else {
            let p = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
            return (p, false)
        }
        // Map one huge page more, to cut the mapping to a 2 MiB boundary.
        let mapped = (blocks + 1) * pageSize
        guard let raw = mmap(nil, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else {
            give(blocks)
            return (UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64), false)
        }
        let start = (Int(bitPattern: raw) + pageSize - 1) & ~(pageSize - 1)
        let head = start - Int(bitPattern: raw)
        if head > 0 { munmap(raw, head) }
        let tail = mapped - head - blocks * pageSize
        if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: start + blocks * pageSize), tail) }
        let p = UnsafeMutableRawPointer(bitPattern: start)!
        _ = madvise(p, blocks * pageSize, MADV_HUGEPAGE)
        return (p, true)
    }

    /// Frees what `allocate(bytes)` returned.
    public static func deallocate(_ p: UnsafeMutableRawPointer, bytes: Int, huge: Bool) {
        if huge {
            let blocks = (max(bytes, 1) + pageSize - 1) / pageSize
            munmap(p, blocks * pageSize)
            give(blocks)
        } else {
            p.deallocate()
        }
    }

    private static func take(_ blocks: Int) -> Bool {
        var left = budget.load(ordering: .relaxed)
        while left >= blocks {
            let (done, now) = budget.compareExchange(expected: left, desired: left - blocks, ordering: .relaxed)
            if done { return true }
            left = now
        }
        return false
    }

    private static func give(_ blocks: Int) { budget.add(blocks, ordering: .relaxed) }

    /// Free 2 MiB blocks now; 0 when THP is off, pages are not 4 KiB, or nothing is readable.
    static func freeBlocks() -> Int {
        guard sysconf(Int32(_SC_PAGESIZE)) == 4096,
              let mode = readSmallFile("/sys/kernel/mm/transparent_hugepage/enabled"),
              let info = readSmallFile("/proc/buddyinfo") else { return 0 }
        return freeBlocks(buddyInfo: info, thpMode: mode)
    }

    /// Free blocks of 2 MiB and more (order 9 and up with 4 KiB pages) in every zone of
    /// /proc/buddyinfo's text, counted in 2 MiB blocks; 0 if THP's mode is "never".
    static func freeBlocks(buddyInfo: String, thpMode: String) -> Int {
        if thpMode.contains("[never]") { return 0 }
        var blocks = 0
        for line in buddyInfo.split(separator: "\n") {
            // "Node 0, zone   Normal  11107 6660 ... 1803": free blocks of order 0, 1, ...
            let counts = line.split(separator: " ").dropFirst(4).compactMap { Int($0) }
            for (order, count) in counts.enumerated() where order >= 9 { blocks += count << (order - 9) }
        }
        return blocks
    }

    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 8192)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }
}

/// A typed array from `HugePages`, which remembers how to free itself.
public struct HugePageBuffer<Element: ~Copyable> {
    public let base: UnsafeMutablePointer<Element>
    public let count: Int
    /// On huge pages, and so zero-filled until written.
    public let huge: Bool

    public init(_ count: Int) {
        let (memory, huge) = HugePages.allocate(count * MemoryLayout<Element>.stride)
        base = memory.bindMemory(to: Element.self, capacity: count)
        self.count = count
        self.huge = huge
    }

    /// Frees the memory (elements are not deinitialized).
    public func deallocate() {
        HugePages.deallocate(UnsafeMutableRawPointer(base), bytes: count * MemoryLayout<Element>.stride, huge: huge)
    }
}
