import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Maps input files on a background queue as soon as the command line names them, and asks
/// the kernel to read ahead the ones not already in the page cache (MADV_WILLNEED), while the
/// rest of the command line is still being parsed and libraries are being searched.
/// `take(path)` hands over the mapping; it waits only for that file's mapping (microseconds),
/// never for read-ahead: waiting for every file's MADV_WILLNEED made "open and map inputs" a
/// serial 14 ms on the lld workload although its 260 MB were all cached.
public final class Prefetcher: @unchecked Sendable {
    public static let shared = Prefetcher()
    private let queue = DispatchQueue(label: "weld.prefetch", qos: .userInitiated, attributes: .concurrent)
    private let slots = Mutex<[String: Slot]>([:])
    private let taken = Mutex<[String: MappedFile]>([:])

    /// One file's mapping: made by whichever of the background job and `take` claims it first.
    private final class Slot: @unchecked Sendable {
        private let claimed = Atomic<Bool>(false)
        private let published = Atomic<Bool>(false)
        private var result: Result<MappedFile, LinkError>? = nil   // written once, before `published`

        /// True for the one caller that is to map the file.
        func claim() -> Bool {
            claimed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        }
        func publish(_ r: Result<MappedFile, LinkError>) {
            result = r
            published.store(true, ordering: .releasing)
        }
        /// The other party's result; it is mapping the file now, which takes microseconds.
        func wait() -> Result<MappedFile, LinkError> {
            while !published.load(ordering: .acquiring) { sched_yield() }
            return result!
        }
    }

    private static func map(_ path: String) -> Result<MappedFile, LinkError> {
        do { return .success(try MappedFile.open(path)) } catch { return .failure(error) }
    }

    /// Starts mapping `path` in the background (once per path).
    public func start(_ path: String) {
        let slot = Slot()
        let isNew = slots.withLock { map -> Bool in
            if map[path] != nil { return false }
            map[path] = slot
            return true
        }
        if !isNew { return }
        queue.async {
            guard slot.claim() else { return }
            let r = Prefetcher.map(path)
            slot.publish(r)
            if case .success(let f) = r { f.readAheadUnlessCached() }
        }
    }

    /// The mapping of `path`: the prefetched one if it was started, else mapped now. A path
    /// named again (`-lswiftCore` twice, libgcc.a four times in the swift workload) gets the
    /// same mapping, so what was read of it stays in memory once.
    public func take(_ path: String) throws(LinkError) -> MappedFile {
        if let f = taken.withLock({ $0[path] }) { return f }
        let f = try takeNew(path).get()
        taken.withLock { $0[path] = f }
        return f
    }

    private func takeNew(_ path: String) -> Result<MappedFile, LinkError> {
        let slot = slots.withLock { $0[path] }
        guard let slot, !slot.claim() else {
            // Not started, or its job has not begun: map here, read ahead in the background.
            let r = Prefetcher.map(path)
            slot?.publish(r)
            if case .success(let f) = r { queue.async { f.readAheadUnlessCached() } }
            return r
        }
        return slot.wait()
    }
}
