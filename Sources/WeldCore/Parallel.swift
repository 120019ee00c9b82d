import Dispatch
import Synchronization

/// Parallel loops, run by `WorkerPool` (threads that stay awake between loops; see there why
/// not Dispatch) with `--threads` threads in all. With one thread every loop runs inline, in
/// order, which is what `-j1` debugging wants.
public enum Parallel {
    nonisolated(unsafe) public static var threadCount: Int = max(1, sysconfThreads())

    static func sysconfThreads() -> Int {
        let n = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return n > 0 ? n : 1
    }

    /// Runs `body(i)` for every i in 0..<count, in parallel. Work is split in contiguous
    /// chunks so results written to per-index slots stay cache-friendly.
    @inlinable
    public static func forEach(_ count: Int, minChunk: Int = 1, _ body: (Int) -> Void) {
        forEachChunk(count, minChunk: minChunk) { range in
            for i in range { body(i) }
        }
    }

    /// Splits 0..<count into contiguous chunks as `forEach` does and runs `body` once per
    /// chunk, in parallel: for loops that keep state across neighbouring indices.
    @inlinable
    public static func forEachChunk(_ count: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        if count == 0 { return }
        let threads = threadCount
        if threads <= 1 || count <= minChunk {
            body(0..<count)
            return
        }
        runChunks(count, minChunk: minChunk, threads: threads, body)
    }

    /// TaskGraph executions under way with more than one thread.
    static let tasksRunning = Atomic<Int>(0)

    @usableFromInline
    static func runChunks(_ count: Int, minChunk: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        // More chunks than threads for load balancing; per-chunk overhead is small.
        let chunks = min(count / max(minChunk, 1), threads * 16, count, WorkerPool.maxChunks)
        let pool = WorkerPool.shared
        // A loop inside another's chunk runs inline: the outer loop already has every thread.
        if chunks <= 1 || pool.isInsideLoop {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            let chunk: (Int) -> Void = { c in body(count * c / chunks ..< count * (c + 1) / chunks) }
            // While a TaskGraph's tasks run side by side on Dispatch's threads, their loops
            // share those threads: the pool's would be one thread too many (measured on the
            // swift workload's write phase, 1.8 ms slower with the pool). Dispatch also takes
            // a loop when another thread's loop holds the pool.
            if tasksRunning.load(ordering: .relaxed) > 0 || !pool.run(chunks: chunks, helpers: threads - 1, chunk) {
                DispatchQueue.concurrentPerform(iterations: chunks, execute: chunk)
            }
        }
    }

    /// Maps `0..<count` to an array in parallel; element i is `body(i)`, whatever the order.
    @inlinable
    public static func map<T>(_ count: Int, minChunk: Int = 1, _ body: (Int) -> T) -> [T] {
        if count == 0 { return [] }
        return [T](unsafeUninitializedCapacity: count) { buf, initialized in
            let base = buf.baseAddress!
            forEach(count, minChunk: minChunk) { i in (base + i).initialize(to: body(i)) }
            initialized = count
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
