#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import WeldCore

/// Recycled outputs (SpareOutputs): the replaced output becomes a spare only after the new one
/// is complete, a spare is zeroed before use, one in use by a process is left alone, unsafe
/// spare directories are refused. In the OutputFile suite: one live temporary file at a time.
extension OutputFileTests {
    static let big = SpareOutputs.minimumBytes + 3 * 4096

    func inode(_ path: String) -> ino_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_ino : nil
    }

    func spareNames(_ dir: String) -> [String] { entries(dir).filter { $0.hasPrefix("spare-") } }

    /// A private spare directory inside `dir`.
    func makeSpares(_ dir: String) throws -> SpareOutputs {
        let path = dir + "/spares"
        mkdir(path, 0o700)
        return try #require(SpareOutputs(directory: path))
    }

    func isAllZero(_ out: OutputFile) -> Bool {
        let p = out.base.assumingMemoryBound(to: UInt8.self)
        for i in 0..<out.size where p[i] != 0 { return false }
        return true
    }

    @Test func theReplacedOutputIsRecycledZeroedIntoTheNextOne() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        let spares = try makeSpares(dir)
        let path = dir + "/prog"
        // First link: nothing to replace, nothing to recycle.
        let first = try OutputFile(path: path, size: Self.big, executable: true, spares: spares)
        #expect(!first.isRecycled)
        fill(first, 0xaa)
        try first.commit()
        let firstInode = try #require(inode(path))
        #expect(spareNames(spares.directory).isEmpty)
        // Second link: the first output is kept as a spare once the second is in place.
        let second = try OutputFile(path: path, size: Self.big, executable: true, spares: spares)
        #expect(!second.isRecycled)
        fill(second, 0xbb)
        #expect(inode(path) == firstInode, "the old output stays until the new one is complete")
        try second.commit()
        #expect(readFile(path) == [UInt8](repeating: 0xbb, count: Self.big))
        let names = spareNames(spares.directory)
        #expect(names.count == 1)
        #expect(inode(spares.directory + "/" + names[0]) == firstInode)
        #expect(temps(dir).isEmpty)
        // Third link, smaller: written into the first output's file, which reads as zeros.
        let third = try OutputFile(path: path, size: Self.big - 8192, executable: true, spares: spares)
        #expect(third.isRecycled)
        #expect(isAllZero(third))
        memset(third.base, 0xcc, 100)
        try third.commit()
        #expect(inode(path) == firstInode)
        var expected = [UInt8](repeating: 0, count: Self.big - 8192)
        for i in 0..<100 { expected[i] = 0xcc }
        #expect(readFile(path) == expected)
        // The second output is the spare now.
        #expect(spareNames(spares.directory).count == 1)
    }

    @Test func aSpareSomeProcessHasOpenOrMappedIsLeftAlone() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        let spares = try makeSpares(dir)
        let path = dir + "/lib.so"
        for byte: UInt8 in [0x11, 0x22] {
            let out = try OutputFile(path: path, size: Self.big, executable: false, spares: spares)
            fill(out, byte)
            try out.commit()
        }
        let spare = spares.directory + "/" + (try #require(spareNames(spares.directory).first))
        // As a running program has its library: mapped, the descriptor closed.
        let fd = open(spare, O_RDONLY)
        let mapping = try #require(mmap(nil, Self.big, PROT_READ, MAP_SHARED, fd, 0))
        close(fd)
        defer { munmap(mapping, Self.big) }
        let out = try OutputFile(path: path, size: Self.big, executable: false, spares: spares)
        #expect(!out.isRecycled)
        fill(out, 0x33)
        try out.commit()
        #expect(mapping.load(fromByteOffset: 12345, as: UInt8.self) == 0x11, "the mapped spare is unchanged")
        #expect(readFile(path) == [UInt8](repeating: 0x33, count: Self.big))
    }

    @Test func aFailedLinkLeavesTheOldOutputAndDropsTheSpareItTook() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        let spares = try makeSpares(dir)
        let path = dir + "/prog"
        for byte: UInt8 in [0x11, 0x22] {
            let out = try OutputFile(path: path, size: Self.big, executable: true, spares: spares)
            fill(out, byte)
            try out.commit()
        }
        let before = inode(path)
        let out = try OutputFile(path: path, size: Self.big, executable: true, spares: spares)
        #expect(out.isRecycled)
        fill(out, 0x99)
        out.discard()
        #expect(inode(path) == before)
        #expect(readFile(path) == [UInt8](repeating: 0x22, count: Self.big))
        #expect(temps(dir).isEmpty)
        #expect(spareNames(spares.directory).isEmpty)
    }

    @Test func smallHardLinkedOrForeignOutputsAreNotKept() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        let spares = try makeSpares(dir)
        // Small: cheaper to make anew than to keep.
        for _ in 0..<2 {
            let out = try OutputFile(path: dir + "/small", size: 4096, executable: true, spares: spares)
            try out.commit()
        }
        #expect(spareNames(spares.directory).isEmpty)
        // Hard-linked: the other name must keep its contents.
        let out = try OutputFile(path: dir + "/prog", size: Self.big, executable: true, spares: spares)
        fill(out, 0x44)
        try out.commit()
        link(dir + "/prog", dir + "/prog.backup")
        let again = try OutputFile(path: dir + "/prog", size: Self.big, executable: true, spares: spares)
        try again.commit()
        #expect(spareNames(spares.directory).isEmpty)
        #expect(readFile(dir + "/prog.backup") == [UInt8](repeating: 0x44, count: Self.big))
    }

    @Test func thePoolKeepsTheNewestFewSpares() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        let spares = try makeSpares(dir)
        for i in 0..<(SpareOutputs.maxSpares + 3) {
            // A big output replaced by a small one (too small to take a spare): each
            // replacement only donates.
            let path = dir + "/out\(i)"
            writeFile(path, [UInt8](repeating: 1, count: Self.big))
            try OutputFile(path: path, size: 4096, executable: false, spares: spares).commit()
        }
        #expect(spareNames(spares.directory).count == SpareOutputs.maxSpares)
    }

    @Test func unsafeSpareDirectoriesAreRefused() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        mkdir(dir + "/open", 0o755)
        chmod(dir + "/open", 0o755)
        #expect(SpareOutputs(directory: dir + "/open") == nil, "others could plant files there")
        mkdir(dir + "/private", 0o700)
        symlink(dir + "/private", dir + "/link")
        #expect(SpareOutputs(directory: dir + "/link") == nil, "a symbolic link")
        #expect(SpareOutputs(directory: dir + "/private") != nil)
        #expect(SpareOutputs(directory: dir + "/missing") == nil)
    }
}
