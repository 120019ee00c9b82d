#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import WeldCore

/// Dropping read input pages: the mapping's resident pages go (as /proc/self/smaps counts
/// them), the bytes read back the same, and nothing outside input files is touched.
@Suite struct InputPagesTests {
    /// Resident kilobytes of the mapping that starts at `base`, from /proc/self/smaps.
    func residentKB(of base: UnsafeRawPointer) -> Int? {
        guard let text = readFile("/proc/self/smaps").map({ String(decoding: $0, as: UTF8.self) }) else { return nil }
        let start = String(UInt(bitPattern: base), radix: 16)
        var inMapping = false
        for line in text.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), !line.hasPrefix(" "), line[..<dash].allSatisfy({ $0.isHexDigit }) {
                inMapping = line[..<dash] == start
            } else if inMapping && line.hasPrefix("Rss:") {
                return Int(line.split(separator: " ")[1])
            }
        }
        return nil
    }

    func mappedTestFile(_ bytes: [UInt8]) throws -> (MappedFile, String) {
        let dir = makeTempDir()
        let path = dir + "/input.bin"
        writeFile(path, bytes)
        return (try MappedFile.open(path), dir)
    }

    @Test func batchDropsReadPagesAndTheyReadBackTheSame() throws {
        let bytes = pseudoRandomBytes(8 << 20, seed: 7)
        let (file, dir) = try mappedTestFile(bytes)
        defer { removeTree(dir) }
        var sum = 0
        for i in stride(from: 0, to: file.size, by: 4096) { sum &+= Int(file.base.load(fromByteOffset: i, as: UInt8.self)) }
        let before = try #require(residentKB(of: file.base))
        #expect(before >= 8 * 1024 - 64)

        // Sections read one after another, as a copy loop goes through a file.
        let pages = InputPages()
        var batch = InputPageBatch(pages)
        for offset in stride(from: 0, to: file.size, by: 40_000) {
            batch.add(file.base + offset, min(40_000, file.size - offset))
        }
        batch.flush()
        let after = try #require(residentKB(of: file.base))
        #expect(after <= 64, "\(after) KB still resident of 8 MB")
        // The bytes come back from the page cache.
        #expect(Array(UnsafeRawBufferPointer(start: file.base, count: file.size)) == bytes)
        _ = sum
    }

    @Test func releaseDropsManyRangesAndSkipsMemoryOutsideInputs() throws {
        let bytes = pseudoRandomBytes(4 << 20, seed: 9)
        let (file, dir) = try mappedTestFile(bytes)
        defer { removeTree(dir) }
        for i in stride(from: 0, to: file.size, by: 4096) { _ = file.base.load(fromByteOffset: i, as: UInt8.self) }
        // 200 one-page ranges (more than one system call's worth), every other page.
        let ranges = (0..<200).map { (file.base + $0 * 8192, 4096) }
        // A heap buffer is not an input file: it must keep its contents.
        let heap = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 4096)
        memset(heap, 0x5a, 1 << 16)
        InputPages().release(ranges + [(UnsafeRawPointer(heap), 1 << 16)])
        #expect((0..<(1 << 16)).allSatisfy { heap.load(fromByteOffset: $0, as: UInt8.self) == 0x5a })
        heap.deallocate()
        let after = try #require(residentKB(of: file.base))
        #expect(after <= 4 * 1024 - 200 * 4 + 16, "\(after) KB resident")
        #expect(Array(UnsafeRawBufferPointer(start: file.base, count: file.size)) == bytes)
    }
}
