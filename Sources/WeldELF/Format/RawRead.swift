/// Unaligned little-endian reads and writes over raw memory. Archive members are not aligned,
/// so every field is read with an unaligned load (as fast as an aligned one on x86-64).
extension UnsafeRawPointer {
    @inline(__always) public func u8(_ o: Int) -> UInt8 { load(fromByteOffset: o, as: UInt8.self) }
    @inline(__always) public func u16(_ o: Int) -> UInt16 { loadUnaligned(fromByteOffset: o, as: UInt16.self) }
    @inline(__always) public func u32(_ o: Int) -> UInt32 { loadUnaligned(fromByteOffset: o, as: UInt32.self) }
    @inline(__always) public func u64(_ o: Int) -> UInt64 { loadUnaligned(fromByteOffset: o, as: UInt64.self) }
    @inline(__always) public func i32(_ o: Int) -> Int32 { loadUnaligned(fromByteOffset: o, as: Int32.self) }
    @inline(__always) public func i64(_ o: Int) -> Int64 { loadUnaligned(fromByteOffset: o, as: Int64.self) }

    /// Length of the NUL-terminated string at offset `o`, bounded by `limit` bytes from `o`.
    /// Returns nil if no terminator is found before the limit.
    @inline(__always) public func cStringLength(_ o: Int, limit: Int) -> Int? {
        if limit <= 0 { return nil }
        guard let p = memchr(self + o, 0, limit) else { return nil }
        return UnsafeRawPointer(p) - (self + o)
    }

    /// Length of the string at offset `o` of a string table of `size` bytes starting here, nil
    /// if `o` is outside the table or the string has no terminator inside it. When the table's
    /// last byte is NUL (`terminated`, true of every table a compiler writes) a plain `strlen`
    /// cannot leave the table, so only the offset needs checking: the bounded `memchr` is for
    /// the rest.
    @inline(__always) public func stringLength(at o: Int, tableSize size: Int, terminated: Bool) -> Int? {
        if UInt(bitPattern: o) >= UInt(bitPattern: size) { return nil }
        if terminated { return strlen((self + o).assumingMemoryBound(to: CChar.self)) }
        return cStringLength(o, limit: size - o)
    }

    /// Whether the `size`-byte string table starting here ends with a NUL byte.
    @inline(__always) public func endsWithNUL(size: Int) -> Bool { size > 0 && u8(size - 1) == 0 }
}

extension UnsafeMutableRawPointer {
    @inline(__always) public func w8(_ o: Int, _ v: UInt8) { storeBytes(of: v, toByteOffset: o, as: UInt8.self) }
    @inline(__always) public func w16(_ o: Int, _ v: UInt16) { storeBytes(of: v, toByteOffset: o, as: UInt16.self) }
    @inline(__always) public func w32(_ o: Int, _ v: UInt32) { storeBytes(of: v, toByteOffset: o, as: UInt32.self) }
    @inline(__always) public func w64(_ o: Int, _ v: UInt64) { storeBytes(of: v, toByteOffset: o, as: UInt64.self) }
    @inline(__always) public func r32(_ o: Int) -> UInt32 { loadUnaligned(fromByteOffset: o, as: UInt32.self) }
    @inline(__always) public func r64(_ o: Int) -> UInt64 { loadUnaligned(fromByteOffset: o, as: UInt64.self) }
    @inline(__always) public func r8(_ o: Int) -> UInt8 { load(fromByteOffset: o, as: UInt8.self) }
}

#if canImport(Glibc)
import Glibc
#endif

/// A name: a view of bytes in an input mapping (or in a long-lived buffer), never copied.
public struct NameRef: Hashable, @unchecked Sendable {
    public let ptr: UnsafeRawPointer
    public let count: Int
    @inline(__always) public init(_ ptr: UnsafeRawPointer, _ count: Int) { self.ptr = ptr; self.count = count }

    public static func == (a: NameRef, b: NameRef) -> Bool {
        a.count == b.count && (a.ptr == b.ptr || memcmp(a.ptr, b.ptr, a.count) == 0)
    }
    public func hash(into h: inout Hasher) { h.combine(bytes: UnsafeRawBufferPointer(start: ptr, count: count)) }

    public var string: String {
        String(decoding: UnsafeRawBufferPointer(start: ptr, count: count), as: UTF8.self)
    }
    public func hasPrefix(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        return count >= n && memcmp(ptr, s.utf8Start, n) == 0
    }
    public func equals(_ s: StaticString) -> Bool {
        count == s.utf8CodeUnitCount && memcmp(ptr, s.utf8Start, count) == 0
    }
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: ptr, count: count) }
}

/// Interns names that weld itself makes (`__start_foo`, version strings) so they can be used
/// as `NameRef`s. They live for the whole process.
public func permanentName(_ s: String) -> NameRef {
    var s = s
    return s.withUTF8 { buf in
        let p = UnsafeMutableRawPointer.allocate(byteCount: buf.count + 1, alignment: 1)
        if buf.count > 0 { p.copyMemory(from: buf.baseAddress!, byteCount: buf.count) }
        p.storeBytes(of: 0, toByteOffset: buf.count, as: UInt8.self)
        return NameRef(UnsafeRawPointer(p), buf.count)
    }
}
