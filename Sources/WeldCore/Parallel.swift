import Dispatch
import Synchronization

/// Parallel loops. weld uses `DispatchQueue.concurrentPerform` (≈ 7 ns per iteration, see
/// DESIGN.md) under a thread-count cap set by `--threads`. With one thread every loop runs
/// inline, in order, which is what `-j1` debugging wants.
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
        // More chunks than threads for load balancing; per-chunk overhead is small.
        let chunks = min(count / max(minChunk, 1), threads * 16, count)
        if chunks <= 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                body(count * c / chunks ..< count * (c + 1) / chunks)
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
