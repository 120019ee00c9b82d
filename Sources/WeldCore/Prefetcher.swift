import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Maps input files on a background queue as soon as the command line names them, and asks
/// the kernel to read them ahead (MADV_WILLNEED), while the rest of the command line is
/// still being parsed and libraries are being searched. `take(path)` hands over the mapping
/// (waiting for it if the background work has not finished) or maps the file itself.
public final class Prefetcher: @unchecked Sendable {
    public static let shared = Prefetcher()
    private let queue = DispatchQueue(label: "weld.prefetch", qos: .userInitiated, attributes: .concurrent)
    private let group = DispatchGroup()
    private let started = Mutex<[String: Int]>([:])
    private let results = Mutex<[Int: Result<MappedFile, LinkError>]>([:])
    private let counter = Atomic<Int>(0)

    /// Starts mapping `path` in the background (once per path).
    public func start(_ path: String) {
        let slot = counter.add(1, ordering: .relaxed).oldValue
        let isNew = started.withLock { map -> Bool in
            if map[path] != nil { return false }
            map[path] = slot
            return true
        }
        if !isNew { return }
        queue.async(group: group) { [self] in
            let r: Result<MappedFile, LinkError>
            do {
                let f = try MappedFile.open(path)
                f.prefetch()
                r = .success(f)
            } catch {
                r = .failure(error as? LinkError ?? LinkError("\(error)"))
            }
            results.withLock { $0[slot] = r }
        }
    }

    /// The mapping of `path`: the prefetched one if it was started, else mapped now. A path
    /// named again (`-lswiftCore` twice, libgcc.a four times in the swift workload) gets the
    /// same mapping, so what was read of it stays in memory once.
    public func take(_ path: String) throws(LinkError) -> MappedFile {
        if let f = taken.withLock({ $0[path] }) { return f }
        let f = try takeNew(path)
        taken.withLock { $0[path] = f }
        return f
    }
    private let taken = Mutex<[String: MappedFile]>([:])

    private func takeNew(_ path: String) throws(LinkError) -> MappedFile {
        if let slot = started.withLock({ $0[path] }) {
            while true {
                if let r = results.withLock({ $0[slot] }) {
                    switch r {
                    case .success(let f): return f
                    case .failure(let e): throw e
                    }
                }
                // Not finished yet: wait for the queue's work rather than spin.
                group.wait()
            }
        }
        let f = try MappedFile.open(path)
        queue.async { f.prefetch() }
        return f
    }
}
