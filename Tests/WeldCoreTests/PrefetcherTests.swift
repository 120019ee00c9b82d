#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
import Testing
@testable import WeldCore

/// The background mapper: whoever claims a file first maps it (the background job or `take`),
/// the other waits for that mapping only; a path is mapped once; errors name the file.
@Suite struct PrefetcherTests {
    func makeFiles(_ n: Int, size: Int) -> (dir: String, paths: [String]) {
        let dir = makeTempDir()
        var paths: [String] = []
        for i in 0..<n {
            let p = "\(dir)/f\(i)"
            writeFile(p, (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) })
            paths.append(p)
        }
        return (dir, paths)
    }

    @Test func startedAndUnstartedFilesMapWithTheirBytes() throws {
        let (dir, paths) = makeFiles(40, size: 10_000)
        defer { removeTree(dir) }
        let p = Prefetcher()
        for path in paths.prefix(30) { p.start(path) }   // the last 10 never started
        for (i, path) in paths.enumerated() {
            let f = try p.take(path)
            #expect(f.size == 10_000)
            #expect(f.base.load(fromByteOffset: 7, as: UInt8.self) == UInt8(truncatingIfNeeded: 7 &* 31 &+ i))
            #expect(f.base.load(fromByteOffset: 9_999, as: UInt8.self) == UInt8(truncatingIfNeeded: 9_999 &* 31 &+ i))
        }
    }

    @Test func aPathIsMappedOnceEvenWhenTakenConcurrently() throws {
        let (dir, paths) = makeFiles(8, size: 5_000)
        defer { removeTree(dir) }
        let p = Prefetcher()
        for path in paths { p.start(path) }
        let bases = Mutex<[String: Set<UInt>]>([:])
        DispatchQueue.concurrentPerform(iterations: 64) { k in
            let path = paths[k % paths.count]
            if let f = try? p.take(path) {
                bases.withLock { $0[path, default: []].insert(UInt(bitPattern: f.base)) }
            }
        }
        let seen = bases.withLock { $0 }
        #expect(seen.count == paths.count)
        for (_, s) in seen { #expect(s.count == 1) }
        // Starting a path again after it was taken changes nothing.
        p.start(paths[0])
        #expect(try p.take(paths[0]).base == (try p.take(paths[0])).base)
    }

    @Test func aMissingFileIsAnErrorNamingIt() {
        let p = Prefetcher()
        p.start("/nonexistent/weld-prefetch-test.o")
        #expect(throws: LinkError.self) { _ = try p.take("/nonexistent/weld-prefetch-test.o") }
        do { _ = try p.take("/nonexistent/weld-prefetch-test.o"); Issue.record("no error") }
        catch { #expect(error.message.contains("/nonexistent/weld-prefetch-test.o")) }
        // Never started: the same error.
        #expect(throws: LinkError.self) { _ = try p.take("/nonexistent/other.a") }
    }

    @Test func aFileJustWrittenLooksCached() throws {
        let (dir, paths) = makeFiles(1, size: 200_000)
        defer { removeTree(dir) }
        let f = try MappedFile.open(paths[0])
        #expect(f.isProbablyCached())
        f.readAheadUnlessCached()   // a no-op here; must not fail either way
    }
}
