/// Unaligned little-endian loads and stores over raw memory. Inputs are mapped files and archive
/// members (not aligned); every reader checks its table's bounds once and then reads with these.
extension UnsafeRawPointer {
    @inline(__always) func u8(_ o: Int) -> UInt8 { load(fromByteOffset: o, as: UInt8.self) }
    @inline(__always) func u16(_ o: Int) -> UInt16 { UInt16(littleEndian: loadUnaligned(fromByteOffset: o, as: UInt16.self)) }
    @inline(__always) func u32(_ o: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
    @inline(__always) func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
    @inline(__always) func i32(_ o: Int) -> Int32 { Int32(bitPattern: u32(o)) }

    /// A fixed-size, NUL-padded name field (segment and section names: 16 bytes).
    func fixedName(_ o: Int, _ width: Int) -> String {
        var n = 0
        while n < width && u8(o + n) != 0 { n += 1 }
        return String(decoding: UnsafeRawBufferPointer(start: self + o, count: n), as: UTF8.self)
    }
}

extension UnsafeMutableRawPointer {
    @inline(__always) func put8(_ o: Int, _ v: UInt8) { storeBytes(of: v, toByteOffset: o, as: UInt8.self) }
    @inline(__always) func put16(_ o: Int, _ v: UInt16) { storeBytes(of: v.littleEndian, toByteOffset: o, as: UInt16.self) }
    @inline(__always) func put32(_ o: Int, _ v: UInt32) { storeBytes(of: v.littleEndian, toByteOffset: o, as: UInt32.self) }
    @inline(__always) func put64(_ o: Int, _ v: UInt64) { storeBytes(of: v.littleEndian, toByteOffset: o, as: UInt64.self) }
    @inline(__always) func get32(_ o: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
    @inline(__always) func get64(_ o: Int) -> UInt64 { UInt64(littleEndian: loadUnaligned(fromByteOffset: o, as: UInt64.self)) }

    /// Writes `s` into a fixed-width NUL-padded field (the rest must already be zero).
    func putName(_ o: Int, _ s: String, width: Int = 16) {
        for (i, b) in s.utf8.prefix(width).enumerated() { put8(o + i, b) }
    }
}

/// Appends little-endian values to a growing byte buffer (load commands, __LINKEDIT tables).
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func name16(_ s: String) {
        var field = [UInt8](repeating: 0, count: 16)
        for (i, b) in s.utf8.prefix(16).enumerated() { field[i] = b }
        bytes.append(contentsOf: field)
    }
    mutating func cString(_ s: String) { bytes.append(contentsOf: s.utf8); bytes.append(0) }
    mutating func uleb(_ v: UInt64) {
        var v = v
        repeat {
            var b = UInt8(v & 0x7f)
            v >>= 7
            if v != 0 { b |= 0x80 }
            bytes.append(b)
        } while v != 0
    }
    mutating func align(_ a: Int) { while bytes.count % a != 0 { bytes.append(0) } }
    var count: Int { bytes.count }
}
