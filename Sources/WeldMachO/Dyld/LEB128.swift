import WeldCore

/// ULEB128 as dyld's tables use it.
enum LEB128 {
    @inline(__always) static func ulebSize(_ value: UInt64) -> Int {
        var v = value >> 7
        var n = 1
        while v != 0 { v >>= 7; n += 1 }
        return n
    }

    /// Writes `value` at `p`; returns the byte count.
    @inline(__always) @discardableResult
    static func writeULEB(_ value: UInt64, to p: UnsafeMutablePointer<UInt8>) -> Int {
        var v = value
        var n = 0
        repeat {
            var byte = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { byte |= 0x80 }
            p[n] = byte
            n += 1
        } while v != 0
        return n
    }

    static func appendULEB(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        repeat {
            var byte = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { byte |= 0x80 }
            out.append(byte)
        } while v != 0
    }

    /// Reads a ULEB128 at `pos` within `bytes`; nil when it runs off the end or exceeds 64 bits.
    @inline(__always)
    static func readULEB(_ bytes: UnsafeRawBufferPointer, _ pos: inout Int) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while pos < bytes.count {
            let byte = bytes[pos]
            pos += 1
            let bits = UInt64(byte & 0x7F)
            if shift >= 64 || (shift == 63 && bits > 1) { return nil }
            result |= bits << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        return nil
    }
}
