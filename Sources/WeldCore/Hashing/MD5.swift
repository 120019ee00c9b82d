/// MD5 (RFC 1321), for `--build-id=md5`. Blocks are read straight from the caller's memory with
/// little-endian loads; constants sit on the stack for the whole call.
public struct MD5: HashFunction {
    public static let digestSize = 16

    @usableFromInline var h: (UInt32, UInt32, UInt32, UInt32)
    @usableFromInline var buffer = BlockBuffer()

    public init() {
        h = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476)
    }

    public mutating func update(_ data: UnsafeRawBufferPointer) {
        var s = h
        buffer.update(data) { p, n in MD5.compress(&s, p, n) }
        h = s
    }

    public func finalize(into out: UnsafeMutableRawPointer) {
        var s = h
        var b = buffer
        b.finish(bigEndianLength: false) { p, n in MD5.compress(&s, p, n) }
        out.storeBytes(of: s.0.littleEndian, toByteOffset: 0, as: UInt32.self)
        out.storeBytes(of: s.1.littleEndian, toByteOffset: 4, as: UInt32.self)
        out.storeBytes(of: s.2.littleEndian, toByteOffset: 8, as: UInt32.self)
        out.storeBytes(of: s.3.littleEndian, toByteOffset: 12, as: UInt32.self)
    }

    /// floor(abs(sin(i + 1)) * 2^32), RFC 1321 section 3.4.
    static let k: [UInt32] = [
        0xD76A_A478, 0xE8C7_B756, 0x2420_70DB, 0xC1BD_CEEE, 0xF57C_0FAF, 0x4787_C62A, 0xA830_4613, 0xFD46_9501,
        0x6980_98D8, 0x8B44_F7AF, 0xFFFF_5BB1, 0x895C_D7BE, 0x6B90_1122, 0xFD98_7193, 0xA679_438E, 0x49B4_0821,
        0xF61E_2562, 0xC040_B340, 0x265E_5A51, 0xE9B6_C7AA, 0xD62F_105D, 0x0244_1453, 0xD8A1_E681, 0xE7D3_FBC8,
        0x21E1_CDE6, 0xC337_07D6, 0xF4D5_0D87, 0x455A_14ED, 0xA9E3_E905, 0xFCEF_A3F8, 0x676F_02D9, 0x8D2A_4C8A,
        0xFFFA_3942, 0x8771_F681, 0x6D9D_6122, 0xFDE5_380C, 0xA4BE_EA44, 0x4BDE_CFA9, 0xF6BB_4B60, 0xBEBF_BC70,
        0x289B_7EC6, 0xEAA1_27FA, 0xD4EF_3085, 0x0488_1D05, 0xD9D4_D039, 0xE6DB_99E5, 0x1FA2_7CF8, 0xC4AC_5665,
        0xF429_2244, 0x432A_FF97, 0xAB94_23A7, 0xFC93_A039, 0x655B_59C3, 0x8F0C_CC92, 0xFFEF_F47D, 0x8584_5DD1,
        0x6FA8_7E4F, 0xFE2C_E6E0, 0xA301_4314, 0x4E08_11A1, 0xF753_7E82, 0xBD3A_F235, 0x2AD7_D2BB, 0xEB86_D391,
    ]

    /// Hashes `blocks` 64-byte blocks at `p` into `h`.
    @usableFromInline
    static func compress(_ h: inout (UInt32, UInt32, UInt32, UInt32), _ p: UnsafeRawPointer, _ blocks: Int) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { buf in
            let k = buf.baseAddress!
            MD5.k.withUnsafeBufferPointer { k.initialize(from: $0.baseAddress!, count: 64) }
            var (h0, h1, h2, h3) = h
            var p = p
            for _ in 0..<blocks {
                var a = h0, b = h1, c = h2, d = h3
                // Four steps at a time with the variables renamed (a, b, c, d -> d, a, b, c),
                // so each step's rotation amount is a constant.
                for i in stride(from: 0, to: 16, by: 4) {
                    stepF(&a, b, c, d, k[i] &+ loadLE32(p, i &<< 2), 7)
                    stepF(&d, a, b, c, k[i &+ 1] &+ loadLE32(p, (i &+ 1) &<< 2), 12)
                    stepF(&c, d, a, b, k[i &+ 2] &+ loadLE32(p, (i &+ 2) &<< 2), 17)
                    stepF(&b, c, d, a, k[i &+ 3] &+ loadLE32(p, (i &+ 3) &<< 2), 22)
                }
                for i in stride(from: 16, to: 32, by: 4) {
                    stepG(&a, b, c, d, k[i] &+ loadLE32(p, ((5 &* i &+ 1) & 15) &<< 2), 5)
                    stepG(&d, a, b, c, k[i &+ 1] &+ loadLE32(p, ((5 &* i &+ 6) & 15) &<< 2), 9)
                    stepG(&c, d, a, b, k[i &+ 2] &+ loadLE32(p, ((5 &* i &+ 11) & 15) &<< 2), 14)
                    stepG(&b, c, d, a, k[i &+ 3] &+ loadLE32(p, ((5 &* i) & 15) &<< 2), 20)
                }
                for i in stride(from: 32, to: 48, by: 4) {
                    stepH(&a, b, c, d, k[i] &+ loadLE32(p, ((3 &* i &+ 5) & 15) &<< 2), 4)
                    stepH(&d, a, b, c, k[i &+ 1] &+ loadLE32(p, ((3 &* i &+ 8) & 15) &<< 2), 11)
                    stepH(&c, d, a, b, k[i &+ 2] &+ loadLE32(p, ((3 &* i &+ 11) & 15) &<< 2), 16)
                    stepH(&b, c, d, a, k[i &+ 3] &+ loadLE32(p, ((3 &* i &+ 14) & 15) &<< 2), 23)
                }
                for i in stride(from: 48, to: 64, by: 4) {
                    stepI(&a, b, c, d, k[i] &+ loadLE32(p, ((7 &* i) & 15) &<< 2), 6)
                    stepI(&d, a, b, c, k[i &+ 1] &+ loadLE32(p, ((7 &* i &+ 7) & 15) &<< 2), 10)
                    stepI(&c, d, a, b, k[i &+ 2] &+ loadLE32(p, ((7 &* i &+ 14) & 15) &<< 2), 15)
                    stepI(&b, c, d, a, k[i &+ 3] &+ loadLE32(p, ((7 &* i &+ 21) & 15) &<< 2), 21)
                }
                h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                p += 64
            }
            h = (h0, h1, h2, h3)
        }
    }
}

// One MD5 step with `km` = K[i] + M[g]: a = b + rotl(a + f(b, c, d) + km, s). The caller renames.
@inline(__always)
private func stepF(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ km: UInt32, _ s: UInt32) {
    a = b &+ rotl(a &+ (d ^ (b & (c ^ d))) &+ km, s)
}

@inline(__always)
private func stepG(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ km: UInt32, _ s: UInt32) {
    a = b &+ rotl(a &+ (c ^ (d & (b ^ c))) &+ km, s)
}

@inline(__always)
private func stepH(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ km: UInt32, _ s: UInt32) {
    a = b &+ rotl(a &+ (b ^ c ^ d) &+ km, s)
}

@inline(__always)
private func stepI(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ km: UInt32, _ s: UInt32) {
    a = b &+ rotl(a &+ (c ^ (b | ~d)) &+ km, s)
}
