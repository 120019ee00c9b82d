#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import WeldCore

/// Huge pages for big arrays: only while the kernel has free 2 MiB blocks (counted from
/// /proc/buddyinfo), only for big arrays, and the memory is usable either way.
@Suite struct HugePagesTests {
    static let buddyInfo = """
        Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      3 
        Node 0, zone    DMA32      1      2      4      2      5      4      3      3      4      2    752 
        Node 0, zone   Normal  11107   6660   4859   2296   1378    685   1085    671    331    242   1803 
        """

    @Test func freeBlocksCountOrderNineAndUpInTwoMegabyteBlocks() {
        // Order 9 is one 2 MiB block, order 10 two: (1 + 2 + 242) + 2 * (3 + 752 + 1803).
        #expect(HugePages.freeBlocks(buddyInfo: Self.buddyInfo, thpMode: "always [madvise] never") == 245 + 2 * 2558)
        #expect(HugePages.freeBlocks(buddyInfo: Self.buddyInfo, thpMode: "always madvise [never]") == 0)
        #expect(HugePages.freeBlocks(buddyInfo: "", thpMode: "[always] madvise never") == 0)
    }

    @Test func bigArraysGetAlignedZeroedHugePagesWhileBlocksAreFree() {
        let bytes = 3 * HugePages.minimumBytes + 12345
        let (memory, huge) = HugePages.allocate(bytes)
        defer { HugePages.deallocate(memory, bytes: bytes, huge: huge) }
        if HugePages.budget.load(ordering: .relaxed) + (huge ? (bytes + HugePages.pageSize - 1) / HugePages.pageSize : 0) >= 64 {
            #expect(huge, "the kernel had free 2 MiB blocks, so a \(bytes)-byte array goes on huge pages")
        }
        if huge {
            #expect(Int(bitPattern: memory) % HugePages.pageSize == 0)
            let bytesView = memory.assumingMemoryBound(to: UInt8.self)
            #expect(stride(from: 0, to: bytes, by: 4096).allSatisfy { bytesView[$0] == 0 })
        }
        // Writable to its last byte, whichever memory it is.
        memset(memory, 0xab, bytes)
        #expect(memory.load(fromByteOffset: bytes - 1, as: UInt8.self) == 0xab)
    }

    @Test func smallArraysKeepOrdinaryPages() {
        let (memory, huge) = HugePages.allocate(HugePages.minimumBytes - 1)
        defer { HugePages.deallocate(memory, bytes: HugePages.minimumBytes - 1, huge: huge) }
        #expect(!huge)
        let buffer = HugePageBuffer<UInt64>(1000)
        defer { buffer.deallocate() }
        #expect(!buffer.huge && buffer.count == 1000)
        buffer.base.initialize(repeating: 7, count: 1000)
        #expect(buffer.base[999] == 7)
    }
}
