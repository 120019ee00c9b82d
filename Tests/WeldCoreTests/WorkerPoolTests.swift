import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import WeldCore

/// `Parallel`'s loops on `WorkerPool`: every index once, every loop after the last, helpers
/// that really take part, nested and concurrent loops. Thread counts are process-wide, so these
/// run one at a time in `GlobalStateTests`.
extension GlobalStateTests {
    @Test func poolLoopsVisitEveryIndexOnce() {
        for threads in [2, 3, 8] {
            withThreadCount(threads) {
                for count in [2, 7, 33, 1000, 4096] {
                    let hits = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: count)
                    for i in 0..<count { (hits + i).initialize(to: Atomic(0)) }
                    Parallel.forEach(count) { i in hits[i].add(1, ordering: .relaxed) }
                    #expect((0..<count).allSatisfy { hits[$0].load(ordering: .relaxed) == 1 }, "threads \(threads), count \(count)")
                    hits.deallocate()
                }
            }
        }
    }

    /// Thousands of short loops back to back: a helper still finishing one loop, or waking
    /// late, must never run a chunk of the next with the old loop's body.
    @Test func manyShortLoopsInARow() {
        withThreadCount(2) {
            var sums: [Int] = []
            for round in 0..<3000 {
                let total = Atomic<Int>(0)
                Parallel.forEach(64) { i in total.add(i + round, ordering: .relaxed) }
                sums.append(total.load(ordering: .relaxed))
            }
            #expect(sums.enumerated().allSatisfy { round, sum in sum == 64 * 63 / 2 + 64 * round })
        }
    }

    /// Every chunk waits until two threads are inside the loop: it finishes only if a helper
    /// joins, from the very first loop of a new pool (a helper started for a loop must take
    /// part in it) and after helpers have gone to sleep.
    @Test(.enabled(if: machineCPUs >= 2))
    func helpersTakePartFromTheFirstLoop() {
        let pool = WorkerPool()
        for round in 0..<20 {
            let inside = Atomic<Int>(0)
            let sawTwo = Atomic<Int>(0)
            let ran = pool.run(chunks: 2, helpers: 1) { _ in
                inside.add(1, ordering: .relaxed)
                let deadline = monotonicNanos() + 5_000_000_000
                while inside.load(ordering: .relaxed) < 2 && monotonicNanos() < deadline {}
                if inside.load(ordering: .relaxed) >= 2 { sawTwo.add(1, ordering: .relaxed) }
            }
            #expect(ran)
            #expect(sawTwo.load(ordering: .relaxed) == 2, "round \(round)")
            // Now and then let the helper fall asleep, so waking it is tested too.
            if round % 2 == 1 { pause(2000) }
        }
    }

    @Test func nestedLoopsRunInline() {
        withThreadCount(2) {
            let total = Atomic<Int>(0)
            Parallel.forEach(8) { i in
                #expect(WorkerPool.shared.isInsideLoop)
                Parallel.forEach(100) { j in total.add(i * 100 + j, ordering: .relaxed) }
            }
            #expect(total.load(ordering: .relaxed) == (0..<800).reduce(0, +))
            #expect(!WorkerPool.shared.isInsideLoop)
        }
    }

    /// Loops started from several threads at once: one holds the pool, the others run through
    /// Dispatch; all finish with the right results.
    @Test func loopsFromSeveralThreadsAtOnce() {
        withThreadCount(2) {
            let results = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: 6)
            for i in 0..<6 { (results + i).initialize(to: Atomic(0)) }
            DispatchQueue.concurrentPerform(iterations: 6) { k in
                for _ in 0..<50 {
                    Parallel.forEach(500) { i in results[k].add(i, ordering: .relaxed) }
                }
            }
            #expect((0..<6).allSatisfy { results[$0].load(ordering: .relaxed) == 50 * (0..<500).reduce(0, +) })
            results.deallocate()
        }
    }

    @Test func mapKeepsIndexOrder() {
        withThreadCount(4) {
            let squares = Parallel.map(10_000) { $0 * $0 }
            #expect(squares == (0..<10_000).map { $0 * $0 })
        }
    }
}
