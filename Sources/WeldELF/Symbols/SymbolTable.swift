import WeldCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The global symbol table: an open-addressing hash table from name to symbol id, with
/// lock-free concurrent insertion (one CAS per new name), and the symbols themselves in one
/// array of structs. Ids are handed out in whatever order threads win, so nothing derives
/// output order from ids: output order always comes from walking files in command-line order.
public final class SymbolTable: @unchecked Sendable {
    /// Slot value: the hash's upper 32 bits (a tag that rejects most mismatches without
    /// touching anything else) and symbol id + 1 in the lower 32; 0 = empty.
    private var slots: UnsafeMutablePointer<Atomic<UInt64>> { slotMemory.base }
    private var mask: Int
    private let nextId = Atomic<Int32>(0)
    public var symbols: UnsafeMutablePointer<Symbol> { symbolMemory.base }
    /// Names by id, apart from the (much larger) symbols, so comparisons stay in cache.
    private var names: UnsafeMutablePointer<NameRef> { nameMemory.base }
    private var hashes: UnsafeMutablePointer<UInt64> { hashMemory.base }
    private var capacity: Int       // of `symbols`, half the slot count
    /// The arrays' memory (huge pages where the kernel has them free: see HugePages).
    private var slotMemory: HugePageBuffer<Atomic<UInt64>>
    private var symbolMemory: HugePageBuffer<Symbol>
    private var nameMemory: HugePageBuffer<NameRef>
    private var hashMemory: HugePageBuffer<UInt64>

    public var count: Int { Int(nextId.load(ordering: .relaxed)) }

    public init(expected: Int) {
        var n = 1024
        while n < expected * 2 { n <<= 1 }
        slotMemory = SymbolTable.emptySlots(n)
        mask = n - 1
        capacity = n / 2
        symbolMemory = HugePageBuffer(capacity)
        nameMemory = HugePageBuffer(capacity)
        hashMemory = HugePageBuffer(capacity)
    }

    /// `n` empty slots, zeroed by every thread at once, each its own contiguous part: a table
    /// of megabytes took 2.3 ms on one thread (swift workload). Leaving fresh `calloc` pages
    /// to be first touched by the parallel interning instead made that 11 ms slower: random
    /// first touches of one region by two threads fault page by page and contend for the
    /// region's page-table lock.
    /// On huge pages the slots are zero already, and first touches cost a fault per 2 MiB.
    static func emptySlots(_ n: Int) -> HugePageBuffer<Atomic<UInt64>> {
        let memory = HugePageBuffer<Atomic<UInt64>>(n)
        if memory.huge { return memory }
        let slots = memory.base
        let parts = n >= 1 << 16 ? Parallel.threadCount : 1
        Parallel.forEach(parts) { part in
            // All-zero bytes are an `Atomic<UInt64>(0)`: the atomic is the bare integer.
            let lo = n * part / parts, hi = n * (part + 1) / parts
            memset(slots + lo, 0, (hi - lo) * MemoryLayout<Atomic<UInt64>>.stride)
        }
        return memory
    }

    @inline(__always) static func slotValue(_ h: UInt64, _ id: Int32) -> UInt64 { (h & 0xffff_ffff_0000_0000) | UInt64(UInt32(id + 1)) }

    /// Makes room for `more` new names before a parallel insertion round (not thread-safe:
    /// call between rounds). Ids stay the same.
    public func reserve(_ more: Int) {
        let need = count + more
        if need <= capacity { return }
        var n = (mask + 1)
        while n / 2 < need { n <<= 1 }
        let newSlotMemory = SymbolTable.emptySlots(n)
        let newSlots = newSlotMemory.base
        let newMask = n - 1
        for id in 0..<count where names[id].count >= 0 {
            var i = Int(truncatingIfNeeded: hashes[id]) & newMask
            while newSlots[i].load(ordering: .relaxed) != 0 { i = (i + 1) & newMask }
            newSlots[i].store(SymbolTable.slotValue(hashes[id], Int32(id)), ordering: .relaxed)
        }
        slotMemory.deallocate()
        slotMemory = newSlotMemory
        mask = newMask
        symbolMemory = SymbolTable.grown(symbolMemory, keeping: count, to: n / 2)
        nameMemory = SymbolTable.grown(nameMemory, keeping: count, to: n / 2)
        hashMemory = SymbolTable.grown(hashMemory, keeping: count, to: n / 2)
        capacity = n / 2
    }

    /// A buffer of `capacity` holding `old`'s first `count` elements, moved; `old` is freed.
    private static func grown<T>(_ old: HugePageBuffer<T>, keeping count: Int, to capacity: Int) -> HugePageBuffer<T> {
        let new = HugePageBuffer<T>(capacity)
        new.base.moveInitialize(from: old.base, count: count)
        old.deallocate()
        return new
    }

    /// Returns the id for `name`, inserting it if new. Safe to call from many threads at
    /// once as long as `reserve` made room for every possible new name.
    @inline(__always)
    public func intern(_ name: NameRef) -> Int32 {
        var one = IdBlock()
        return intern(name, &one, blockSize: 1)
    }

    /// A run of ids taken from the shared counter at once, so threads interning many new
    /// names do not fight over one atomic (measured: the archive symbol tables of the swift
    /// workload scaled 1.3x on 2 threads with one `add(1)` per name).
    public struct IdBlock {
        var next: Int32 = 0, end: Int32 = 0
        public init() {}
        init(next: Int32, end: Int32) { self.next = next; self.end = end }
    }
    public static let idBlockSize: Int32 = 32

    /// `intern`, taking new ids from `block`. Ids left unused in a block stay holes (a name
    /// of length -1) that nothing refers to. `reserve` must allow `idBlockSize` extra ids per
    /// block in use.
    @inline(__always)
    public func intern(_ name: NameRef, _ block: inout IdBlock, blockSize: Int32 = SymbolTable.idBlockSize) -> Int32 {
        intern(name, hash: fastHash(name.ptr, name.count), &block, blockSize: blockSize)
    }

    /// Where the search for a name with hash `h` starts: loops that know their next names
    /// prefetch it, since the probe is a random read into a table of megabytes.
    @inline(__always)
    public func firstSlot(forHash h: UInt64) -> UnsafeRawPointer {
        UnsafeRawPointer(slots + (Int(truncatingIfNeeded: h) & mask))
    }

    /// `intern` with the name's `fastHash` already computed.
    @inline(__always)
    public func intern(_ name: NameRef, hash h: UInt64, _ block: inout IdBlock, blockSize: Int32 = SymbolTable.idBlockSize) -> Int32 {
        let tag = h & 0xffff_ffff_0000_0000
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let v = slots[i].load(ordering: .acquiring)
            if v == 0 {
                if block.next == block.end {
                    let base = nextId.add(blockSize, ordering: .relaxed).oldValue
                    precondition(Int(base + blockSize) <= capacity, "symbol table overflow: reserve() was not called")
                    let hole = NameRef(name.ptr, -1)
                    (symbols + Int(base)).initialize(repeating: Symbol(name: hole), count: Int(blockSize))
                    (names + Int(base)).initialize(repeating: hole, count: Int(blockSize))
                    block = IdBlock(next: base, end: base + blockSize)
                }
                let id = block.next
                symbols[Int(id)].name = name
                names[Int(id)] = name
                hashes[Int(id)] = h
                let (won, current) = slots[i].compareExchange(expected: 0, desired: SymbolTable.slotValue(h, id), ordering: .acquiringAndReleasing)
                if won { block.next += 1; return id }
                // Lost the slot: the id stays ours for the next new name; undo the name.
                symbols[Int(id)].name = NameRef(name.ptr, -1)
                names[Int(id)] = NameRef(name.ptr, -1)
                if current & 0xffff_ffff_0000_0000 == tag {
                    let other = Int32(truncatingIfNeeded: current & 0xffff_ffff) - 1
                    if names[Int(other)] == name { return other }
                }
            } else if v & 0xffff_ffff_0000_0000 == tag {
                let id = Int32(truncatingIfNeeded: v & 0xffff_ffff) - 1
                if names[Int(id)] == name { return id }
            }
            i = (i + 1) & mask
        }
    }

    /// Looks up a name without inserting it.
    public func find(_ name: NameRef) -> Int32? {
        let h = fastHash(name.ptr, name.count)
        let tag = h & 0xffff_ffff_0000_0000
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let v = slots[i].load(ordering: .acquiring)
            if v == 0 { return nil }
            if v & 0xffff_ffff_0000_0000 == tag {
                let id = Int32(truncatingIfNeeded: v & 0xffff_ffff) - 1
                if names[Int(id)] == name { return id }
            }
            i = (i + 1) & mask
        }
    }

    public func find(_ s: String) -> Int32? {
        var s = s
        return s.withUTF8 { buf in find(NameRef(buf.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(bitPattern: 1)!, buf.count)) }
    }

    public func intern(_ s: String) -> Int32 {
        reserve(1)
        if let id = find(s) { return id }
        return intern(permanentName(s))
    }

    @inline(__always) public subscript(id: Int32) -> Symbol {
        get { symbols[Int(id)] }
        _modify { yield &symbols[Int(id)] }
    }

    /// Atomically ORs `flag` into symbol `id`'s flags (relocation scan runs in parallel).
    @inline(__always) public func setFlag(_ id: Int32, _ flag: UInt32) {
        let p = UnsafeMutableRawPointer(symbols + Int(id)) + MemoryLayout<Symbol>.offset(of: \Symbol.flags)!
        let a = UnsafeAtomic(p.assumingMemoryBound(to: UInt32.self))
        if a.load() & flag != flag { a.bitwiseOr(flag) }
    }
}

extension SymbolTable {
    /// Lowers a UInt64 field of symbol `id` to `value` if smaller, atomically.
    @inline(__always) public func atomicMin(_ id: Int32, _ field: WritableKeyPath<Symbol, UInt64>, _ value: UInt64) {
        let p = (UnsafeMutableRawPointer(symbols + Int(id)) + MemoryLayout<Symbol>.offset(of: field)!).assumingMemoryBound(to: UInt64.self)
        WeldELF.atomicMin(p, value)
    }
    /// Raises a UInt64 field of symbol `id` to `value` if larger, atomically.
    @inline(__always) public func atomicMax(_ id: Int32, _ field: WritableKeyPath<Symbol, UInt64>, _ value: UInt64) {
        let p = (UnsafeMutableRawPointer(symbols + Int(id)) + MemoryLayout<Symbol>.offset(of: field)!).assumingMemoryBound(to: UInt64.self)
        p.withMemoryRebound(to: Atomic<UInt64>.self, capacity: 1) { a in
            var cur = a.pointee.load(ordering: .relaxed)
            while value > cur {
                let (done, now) = a.pointee.compareExchange(expected: cur, desired: value, ordering: .relaxed)
                if done { return }
                cur = now
            }
        }
    }
}

/// Lowers `*p` to `value` if smaller, atomically (a CAS loop that stops once not smaller).
@inline(__always) func atomicMin(_ p: UnsafeMutablePointer<UInt64>, _ value: UInt64) {
    p.withMemoryRebound(to: Atomic<UInt64>.self, capacity: 1) { a in
        var cur = a.pointee.load(ordering: .relaxed)
        while value < cur {
            let (done, now) = a.pointee.compareExchange(expected: cur, desired: value, ordering: .relaxed)
            if done { return }
            cur = now
        }
    }
}

/// A minimal atomic view over a UInt32 in memory (the flags word of a Symbol).
struct UnsafeAtomic {
    let p: UnsafeMutablePointer<UInt32>
    init(_ p: UnsafeMutablePointer<UInt32>) { self.p = p }
    @inline(__always) func load() -> UInt32 {
        UnsafeMutableRawPointer(p).withMemoryRebound(to: Atomic<UInt32>.self, capacity: 1) { $0.pointee.load(ordering: .relaxed) }
    }
    @inline(__always) func bitwiseOr(_ v: UInt32) {
        _ = UnsafeMutableRawPointer(p).withMemoryRebound(to: Atomic<UInt32>.self, capacity: 1) { $0.pointee.bitwiseOr(v, ordering: .relaxed) }
    }
}
