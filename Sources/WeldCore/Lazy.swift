import Synchronization

/// A value built once, on first use, from any thread: `let zlib = Lazy { loadZlib() }`, then
/// `zlib.value`. weld uses it so that start-up loads nothing a link does not need (zlib only
/// when a compressed section appears, libLTO only for bitcode inputs).
///
/// After the first build, reading `value` is one acquire load and a pointer read: no lock.
/// Threads that arrive while the value is being built wait on the mutex, and the builder runs
/// exactly once even when many threads race for it.
public final class Lazy<T> {
    /// False until `storage` holds the value; set with release ordering after it is written.
    private let built = Atomic<Bool>(false)
    /// Serializes the one build; never taken once `built` is set.
    private let buildLock = Mutex<Void>(())
    private var storage: T?
    /// Dropped after the build so whatever it captured is released.
    private var make: (() -> T)?

    public init(_ make: @escaping @Sendable () -> T) {
        self.make = make
    }

    /// The value, built on the first access.
    public var value: T {
        if built.load(ordering: .acquiring) { return storage.unsafelyUnwrapped }
        return buildSlow()
    }

    /// Whether the value has been built (for tests and the time report; it does not build).
    public var isBuilt: Bool { built.load(ordering: .acquiring) }

    @inline(never)
    private func buildSlow() -> T {
        buildLock.withLock { _ in
            // Another thread may have finished while we waited for the lock.
            if !built.load(ordering: .relaxed) {
                storage = make.unsafelyUnwrapped()
                make = nil
                built.store(true, ordering: .releasing)
            }
        }
        return storage.unsafelyUnwrapped
    }
}

// The value is handed to whichever thread reads it, so sharing a Lazy needs a Sendable T.
extension Lazy: @unchecked Sendable where T: Sendable {}
