/// Mach-O's 32-bit packed version `xxxx.yy.zz`: major in the high 16 bits, then 8 bits of
/// minor and 8 of patch, as `LC_LOAD_DYLIB`'s current and compatibility versions store it.
public enum PackedVersion {
    /// Parses `1`, `1.2` or `1.2.3` (missing parts are 0). Returns nil for anything else,
    /// including a part too large for its field (major > 65535, minor or patch > 255).
    public static func parse<S: StringProtocol>(_ text: S) -> UInt32? {
        var parts: [UInt32] = []
        var value: UInt32 = 0
        var digits = 0
        for c in text.utf8 {
            if c == UInt8(ascii: ".") {
                if digits == 0 || parts.count == 2 { return nil }
                parts.append(value)
                value = 0
                digits = 0
            } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                value = value * 10 + UInt32(c - UInt8(ascii: "0"))
                digits += 1
                if value > 0xFFFF { return nil }
            } else {
                return nil
            }
        }
        if digits == 0 { return nil }
        parts.append(value)
        if parts[0] > 0xFFFF { return nil }
        if parts.count > 1 && parts[1] > 0xFF { return nil }
        if parts.count > 2 && parts[2] > 0xFF { return nil }
        return parts[0] << 16 | (parts.count > 1 ? parts[1] << 8 : 0) | (parts.count > 2 ? parts[2] : 0)
    }

    /// `major.minor.patch`, all three parts always printed.
    public static func format(_ v: UInt32) -> String {
        "\(v >> 16).\((v >> 8) & 0xFF).\(v & 0xFF)"
    }
}
