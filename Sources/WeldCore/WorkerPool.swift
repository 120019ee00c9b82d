#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The threads behind `Parallel`'s loops: `threadCount - 1` helpers that stay awake, spinning,
/// for a short while after each loop, so the next loop starts on every core at once.
///
/// Why not `DispatchQueue.concurrentPerform`, which weld used first: its worker threads sleep
/// between loops, and waking a sleeping thread costs a futex wake plus, on a virtual machine,
/// waking a halted virtual CPU. Measured on this project's 2-core VM: the second thread joined a
/// loop 40–150 µs after it started, and a 300 µs loop often ended before it joined at all. A
/// link runs about 90 loops (swift and lld workloads), many short, so that delay was several
/// milliseconds of one idle core per link. A helper here spins (plain loads, no `pause`: on a VM
/// a pause loop can exit to the hypervisor) for `spinLimitNanos` after its last loop, then
/// sleeps on a condition variable until the next.
///
/// Spinning only pays while each thread has a core of its own: with more threads than online
/// CPUs (`--threads=8` on 2 cores) helpers sleep as soon as a loop ends.
///
/// Protocol (lock-free; the mutex only guards sleeping): one 64-bit `cursor` holds the loop's
/// generation (32 bits), its chunk count (16) and the next chunk to claim (16). A thread claims
/// a chunk with a compare-and-swap that also checks the generation, so a helper that slept
/// through a loop's end can never take a chunk of the next with the old loop in mind: the body
/// is read only after a successful claim, and a loop cannot end (nor the next be posted) while
/// a claimed chunk is unfinished.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long a helper spins for the next loop before sleeping. Long enough for the gaps
    /// between one phase's loops; short, because a spinning helper keeps its core in the
    /// process's address space, so every munmap or madvise of the serial phases has to
    /// interrupt it to flush its TLB. Swift workload, 2 threads, medians of 40 links: 2 ms
    /// made the link 2.3 ms slower than 300 µs (release of section headers +1.3 ms), 100 µs
    /// 2.3 ms faster than 300 µs.
    static let spinLimitNanos: UInt64 = 100_000
    /// Chunks per loop fit the cursor's 16-bit fields.
    static let maxChunks = 0xffff

    private let cursor = Atomic<UInt64>(0)
    private let finished = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    /// Helpers with an index below this take part in the current loop (`--threads` minus one).
    private let helpersWanted = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    /// CPU time helpers spent spinning for work, for the time report's CPU column.
    let idleSpinNanos = Atomic<UInt64>(0)
    /// The current loop's body (chunk index -> run it); valid while its generation is unfinished.
    private let body = UnsafeMutablePointer<((Int) -> Void)?>.allocate(capacity: 1)
    private let sleepLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeUp = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Helpers started so far (they live as long as the process); changed under `busy`.
    private var started = 0
    /// Marks threads running a loop's chunks (helpers always, the posting thread during its
    /// loop): a loop started from one of them is nested and runs inline.
    private let inLoopKey: pthread_key_t
    private let onlineCPUs = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Tests make their own, to see a pool start; weld uses `shared`.
    init() {
        body.initialize(to: nil)
        pthread_mutex_init(sleepLock, nil)
        pthread_cond_init(wakeUp, nil)
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        inLoopKey = key
    }

    /// True on a thread that is running chunks of a loop.
    var isInsideLoop: Bool { pthread_getspecific(inLoopKey) != nil }

    /// Runs `run(c)` for every chunk c in 0..<chunks on this thread and `helpers` others.
    /// Returns false, having run nothing, when another thread's loop holds the pool.
    func run(chunks: Int, helpers: Int, _ run: @escaping (Int) -> Void) -> Bool {
        precondition(chunks > 0 && chunks <= WorkerPool.maxChunks)
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        startHelpers(upTo: helpers)
        body.pointee = run
        finished.store(0, ordering: .relaxed)
        helpersWanted.store(helpers, ordering: .relaxed)
        let generation = (cursor.load(ordering: .relaxed) >> 32) &+ 1
        // Sequentially consistent with the `sleepers` read below and the helpers' re-check
        // before sleeping: either this thread sees a sleeper and wakes it, or the sleeper sees
        // the new generation and does not sleep.
        cursor.store(generation << 32 | UInt64(chunks) << 16, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(sleepLock)
            pthread_cond_broadcast(wakeUp)
            pthread_mutex_unlock(sleepLock)
        }
        pthread_setspecific(inLoopKey, UnsafeRawPointer(bitPattern: 1))
        runChunks(of: generation)
        pthread_setspecific(inLoopKey, nil)
        // The chunks helpers claimed are running; wait for them (briefly, normally).
        var spins = 0
        while finished.load(ordering: .acquiring) < chunks {
            spins += 1
            if spins & 1023 == 0 { sched_yield() }
        }
        body.pointee = nil
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Claims and runs chunks of loop `generation` until none is left.
    private func runChunks(of generation: UInt64) {
        var current = cursor.load(ordering: .acquiring)
        while current >> 32 == generation {
            let next = current & 0xffff, count = (current >> 16) & 0xffff
            if next >= count { return }
            let (claimed, seen) = cursor.compareExchange(expected: current, desired: current + 1, ordering: .acquiring)
            if !claimed { current = seen; continue }
            runChunk(Int(next))
            finished.add(1, ordering: .releasing)
            current = cursor.load(ordering: .acquiring)
        }
    }

    /// Runs one chunk. A function of its own so that this thread's reference to the body is
    /// released when it returns, before the chunk is counted as finished: the posting thread
    /// leaves `withoutActuallyEscaping` once every chunk is, and that checks that nothing
    /// still holds the body (a reference released later would be reported as an escape).
    @inline(never)
    private func runChunk(_ index: Int) {
        body.pointee!(index)
    }

    /// Starts helpers until there are `count` (called by the thread holding `busy`).
    private func startHelpers(upTo count: Int) {
        while started < count {
            let index = started
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
            var thread = pthread_t()
            // The helper starts after this loop is posted: it must take part in it, so it is
            // told the generation before it.
            let before = cursor.load(ordering: .relaxed) >> 32
            let context = Unmanaged.passRetained(HelperContext(pool: self, index: index, seen: before)).toOpaque()
            let rc = pthread_create(&thread, &attributes, { raw in
                let context = Unmanaged<HelperContext>.fromOpaque(raw!).takeRetainedValue()
                context.pool.helperMain(index: context.index, seen: context.seen)
            }, context)
            pthread_attr_destroy(&attributes)
            if rc != 0 {
                // No thread: the loops run on the threads there are (the claiming protocol
                // needs no particular number of helpers).
                Unmanaged<HelperContext>.fromOpaque(context).release()
                return
            }
            started += 1
        }
    }

    private func helperMain(index: Int, seen: UInt64) -> Never {
        pthread_setspecific(inLoopKey, UnsafeRawPointer(bitPattern: 1))
        var seen = seen, arenaReserved = false
        while true {
            let generation = waitForLoop(after: seen)
            seen = generation
            if index < helpersWanted.load(ordering: .relaxed) { runChunks(of: generation) }
            // After the first loop (the one this helper was started for), not before it.
            if !arenaReserved { WorkerPool.reserveArena(); arenaReserved = true }
        }
    }

    /// Grows this thread's malloc arena once, by 16 MiB, and gives the memory back (the
    /// mapping stays writable). glibc grows a thread's own arena page by page, each step an
    /// mprotect that takes the address space's lock for writing and so stalls the other
    /// threads' page faults: a helper parsing the swift workload's objects made some 1,200 of
    /// them (26,000 sections of libswiftCore alone).
    static func reserveArena() {
        let block = 96 << 10   // under glibc's mmap threshold (128 KiB): served by the arena
        let blocks = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 170)
        for i in 0..<170 { blocks[i] = malloc(block) }
        for i in 0..<170 { free(blocks[i]) }
        blocks.deallocate()
    }

    /// Spins until a loop newer than `seen` is posted, or sleeps if none comes soon; returns
    /// its generation.
    private func waitForLoop(after seen: UInt64) -> UInt64 {
        let spin = helpersWanted.load(ordering: .relaxed) < onlineCPUs
        if spin {
            let start = monotonicNanos()
            var spins = 0
            while true {
                let g = cursor.load(ordering: .acquiring) >> 32
                if g != seen {
                    idleSpinNanos.add(monotonicNanos() - start, ordering: .relaxed)
                    return g
                }
                spins += 1
                if spins & 255 == 0 {
                    let now = monotonicNanos()
                    if now - start > WorkerPool.spinLimitNanos {
                        idleSpinNanos.add(now - start, ordering: .relaxed)
                        break
                    }
                }
            }
        }
        pthread_mutex_lock(sleepLock)
        sleepers.add(1, ordering: .sequentiallyConsistent)
        var g = cursor.load(ordering: .sequentiallyConsistent) >> 32
        while g == seen {
            pthread_cond_wait(wakeUp, sleepLock)
            g = cursor.load(ordering: .sequentiallyConsistent) >> 32
        }
        sleepers.subtract(1, ordering: .relaxed)
        pthread_mutex_unlock(sleepLock)
        return g
    }
}

private final class HelperContext {
    let pool: WorkerPool
    let index: Int
    let seen: UInt64
    init(pool: WorkerPool, index: Int, seen: UInt64) { self.pool = pool; self.index = index; self.seen = seen }
}
