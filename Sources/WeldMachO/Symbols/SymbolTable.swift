import WeldCore

/// The global names of a link: an open-addressing hash table from name bytes to an index in
/// `symbols`. Keys are views into the inputs (no copies); locals are appended to `symbols`
/// without entering the table. Resolution runs in command-line order, on one thread, so the
/// table needs no locks; lookups while it is not being modified are safe from any thread.
struct SymbolTable {
    var symbols: [Symbol] = []
    private var slots: [Int32]
    private var hashes: [UInt64]
    /// The name of each slot's symbol, beside the hash: a probe compares names without
    /// touching the (much larger) symbol records.
    private var names: [Name]
    private var used = 0

    init(capacity: Int = 1024) {
        var n = 64
        while n < capacity * 2 { n <<= 1 }
        slots = [Int32](repeating: -1, count: n)
        hashes = [UInt64](repeating: 0, count: n)
        names = [Name](repeating: Name(base: UnsafeRawPointer(bitPattern: 8)!, count: 0), count: n)
    }

    /// Makes room for `count` more names without growing on the way.
    mutating func reserve(_ count: Int) {
        symbols.reserveCapacity(symbols.count + count)
        while (used + count) * 2 > slots.count { grow() }
    }

    /// The index of `name`, or nil.
    func find(_ name: UnsafeRawBufferPointer) -> Int32? {
        let h = fastHash(name)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s < 0 { return nil }
            if hashes[i] == h && names[i].equals(name) { return s }
            i = (i + 1) & mask
        }
    }

    func find(_ name: String) -> Int32? {
        var name = name
        return name.withUTF8 { find(UnsafeRawBufferPointer($0)) }
    }

    /// The index of `name`, creating an undefined symbol if it is new. `name` must outlive the
    /// link (a mapping, or `NameArena`).
    mutating func intern(_ name: UnsafeRawBufferPointer) -> (index: Int32, isNew: Bool) {
        if (used + 1) * 2 > slots.count { grow() }
        let h = fastHash(name)
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            if hashes[i] == h && names[i].equals(name) { return (s, false) }
            i = (i + 1) & mask
        }
        let idx = Int32(symbols.count)
        let key = Name(base: name.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, count: name.count)
        symbols.append(Symbol(name: key, external: true))
        slots[i] = idx
        hashes[i] = h
        names[i] = key
        used += 1
        return (idx, true)
    }

    mutating func appendLocal(_ s: Symbol) -> Int32 {
        symbols.append(s)
        return Int32(symbols.count - 1)
    }

    private mutating func grow() {
        let n = slots.count * 2
        var newSlots = [Int32](repeating: -1, count: n)
        var newHashes = [UInt64](repeating: 0, count: n)
        var newNames = [Name](repeating: Name(base: UnsafeRawPointer(bitPattern: 8)!, count: 0), count: n)
        for i in slots.indices where slots[i] >= 0 {
            var j = Int(truncatingIfNeeded: hashes[i]) & (n - 1)
            while newSlots[j] >= 0 { j = (j + 1) & (n - 1) }
            newSlots[j] = slots[i]
            newHashes[j] = hashes[i]
            newNames[j] = names[i]
        }
        slots = newSlots
        hashes = newHashes
        names = newNames
    }
}

/// Storage for names that do not live in an input mapping (text stubs, command-line symbols,
/// linker-made names). Never freed: names must outlive the link.
enum NameArena {
    static func make(_ s: String) -> UnsafeRawBufferPointer {
        let n = s.utf8.count
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(n, 1), alignment: 1)
        var s = s
        s.withUTF8 { b in if n > 0 { p.copyMemory(from: b.baseAddress!, byteCount: n) } }
        return UnsafeRawBufferPointer(start: p, count: n)
    }

    static func make(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        if bytes.count > 0 { p.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        return UnsafeRawBufferPointer(start: p, count: bytes.count)
    }
}
