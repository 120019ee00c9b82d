#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
import Testing
@testable import WeldCore

@Suite struct LazyTests {
    @Test func buildsOnFirstUseOnly() {
        let builds = Atomic<Int>(0)
        let lazy = Lazy { () -> String in
            builds.add(1, ordering: .relaxed)
            return "zlib"
        }
        #expect(!lazy.isBuilt)
        #expect(builds.load(ordering: .relaxed) == 0)
        #expect(lazy.value == "zlib")
        #expect(lazy.value == "zlib")
        #expect(lazy.isBuilt)
        #expect(builds.load(ordering: .relaxed) == 1)
    }

    @Test func buildsExactlyOnceUnderConcurrentAccess() {
        for _ in 0..<20 {
            let builds = Atomic<Int>(0)
            let lazy = Lazy { () -> [Int] in
                builds.add(1, ordering: .relaxed)
                // Slow builder: every other thread arrives while the build is in progress.
                usleep(2000)
                return Array(0..<100)
            }
            let wrong = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: 64) { _ in
                if lazy.value.count != 100 || lazy.value[99] != 99 { wrong.add(1, ordering: .relaxed) }
            }
            #expect(builds.load(ordering: .relaxed) == 1)
            #expect(wrong.load(ordering: .relaxed) == 0)
        }
    }

    @Test func releasesTheBuilderAfterBuilding() {
        final class Token: Sendable {}
        weak var weakToken: Token?
        let lazy: Lazy<Int>
        do {
            let token = Token()
            weakToken = token
            lazy = Lazy { withExtendedLifetime(token) { 7 } }
        }
        #expect(weakToken != nil)
        #expect(lazy.value == 7)
        #expect(weakToken == nil)
    }
}
