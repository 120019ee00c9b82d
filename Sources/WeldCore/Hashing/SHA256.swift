/// SHA-256 (FIPS 180-4), for `--build-id=sha256` and code signatures. Blocks are read straight
/// from the caller's memory with big-endian loads; the schedule ring and the round constants
/// sit on the stack for the whole call, so the inner loops touch no globals.
public struct SHA256: HashFunction {
    public static let digestSize = 32

    @usableFromInline var h: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    @usableFromInline var buffer = BlockBuffer()

    public init() {
        h = (0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A, 0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19)
    }

    public mutating func update(_ data: UnsafeRawBufferPointer) {
        var s = h
        buffer.update(data) { p, n in SHA256.compress(&s, p, n) }
        h = s
    }

    public func finalize(into out: UnsafeMutableRawPointer) {
        var s = h
        var b = buffer
        b.finish(bigEndianLength: true) { p, n in SHA256.compress(&s, p, n) }
        withUnsafeBytes(of: &s) { raw in
            for i in 0..<8 {
                out.storeBytes(of: raw.load(fromByteOffset: i * 4, as: UInt32.self).bigEndian,
                               toByteOffset: i * 4, as: UInt32.self)
            }
        }
    }

    static let k: [UInt32] = [
        0x428A_2F98, 0x7137_4491, 0xB5C0_FBCF, 0xE9B5_DBA5, 0x3956_C25B, 0x59F1_11F1, 0x923F_82A4, 0xAB1C_5ED5,
        0xD807_AA98, 0x1283_5B01, 0x2431_85BE, 0x550C_7DC3, 0x72BE_5D74, 0x80DE_B1FE, 0x9BDC_06A7, 0xC19B_F174,
        0xE49B_69C1, 0xEFBE_4786, 0x0FC1_9DC6, 0x240C_A1CC, 0x2DE9_2C6F, 0x4A74_84AA, 0x5CB0_A9DC, 0x76F9_88DA,
        0x983E_5152, 0xA831_C66D, 0xB003_27C8, 0xBF59_7FC7, 0xC6E0_0BF3, 0xD5A7_9147, 0x06CA_6351, 0x1429_2967,
        0x27B7_0A85, 0x2E1B_2138, 0x4D2C_6DFC, 0x5338_0D13, 0x650A_7354, 0x766A_0ABB, 0x81C2_C92E, 0x9272_2C85,
        0xA2BF_E8A1, 0xA81A_664B, 0xC24B_8B70, 0xC76C_51A3, 0xD192_E819, 0xD699_0624, 0xF40E_3585, 0x106A_A070,
        0x19A4_C116, 0x1E37_6C08, 0x2748_774C, 0x34B0_BCB5, 0x391C_0CB3, 0x4ED8_AA4A, 0x5B9C_CA4F, 0x682E_6FF3,
        0x748F_82EE, 0x78A5_636F, 0x84C8_7814, 0x8CC7_0208, 0x90BE_FFFA, 0xA450_6CEB, 0xBEF9_A3F7, 0xC671_78F2,
    ]

    /// Hashes `blocks` 64-byte blocks at `p` into `h`.
    @usableFromInline
    static func compress(_ h: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32),
                         _ p: UnsafeRawPointer, _ blocks: Int) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { buf in
            // The message schedule is computed as the rounds go, in a 16-word ring: less
            // memory traffic, and the schedule overlaps with the rounds' dependency chain.
            let w = buf.baseAddress!
            let k = w + 16
            SHA256.k.withUnsafeBufferPointer { k.initialize(from: $0.baseAddress!, count: 64) }
            var (h0, h1, h2, h3, h4, h5, h6, h7) = h
            var p = p
            @inline(__always) func next(_ i: Int) -> UInt32 {
                let x = w[(i &+ 1) & 15], y = w[(i &+ 14) & 15]
                let s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x &>> 3)
                let s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y &>> 10)
                let v = w[i & 15] &+ s0 &+ w[(i &+ 9) & 15] &+ s1
                w[i & 15] = v
                return k[i] &+ v
            }
            for _ in 0..<blocks {
                for i in 0..<16 { w[i] = loadBE32(p, i &* 4) }
                var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, hh = h7
                // Eight rounds per step with the variables renamed rather than shifted.
                for i in stride(from: 0, to: 16, by: 8) {
                    round(a, b, c, &d, e, f, g, &hh, k[i] &+ w[i])
                    round(hh, a, b, &c, d, e, f, &g, k[i &+ 1] &+ w[i &+ 1])
                    round(g, hh, a, &b, c, d, e, &f, k[i &+ 2] &+ w[i &+ 2])
                    round(f, g, hh, &a, b, c, d, &e, k[i &+ 3] &+ w[i &+ 3])
                    round(e, f, g, &hh, a, b, c, &d, k[i &+ 4] &+ w[i &+ 4])
                    round(d, e, f, &g, hh, a, b, &c, k[i &+ 5] &+ w[i &+ 5])
                    round(c, d, e, &f, g, hh, a, &b, k[i &+ 6] &+ w[i &+ 6])
                    round(b, c, d, &e, f, g, hh, &a, k[i &+ 7] &+ w[i &+ 7])
                }
                for i in stride(from: 16, to: 64, by: 8) {
                    round(a, b, c, &d, e, f, g, &hh, next(i))
                    round(hh, a, b, &c, d, e, f, &g, next(i &+ 1))
                    round(g, hh, a, &b, c, d, e, &f, next(i &+ 2))
                    round(f, g, hh, &a, b, c, d, &e, next(i &+ 3))
                    round(e, f, g, &hh, a, b, c, &d, next(i &+ 4))
                    round(d, e, f, &g, hh, a, b, &c, next(i &+ 5))
                    round(c, d, e, &f, g, hh, a, &b, next(i &+ 6))
                    round(b, c, d, &e, f, g, hh, &a, next(i &+ 7))
                }
                h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= hh
                p += 64
            }
            h = (h0, h1, h2, h3, h4, h5, h6, h7)
        }
    }
}

/// One SHA-256 round with `kw` = K[i] + W[i]: d += t1, h = t1 + t2. The caller renames.
@inline(__always)
private func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                   _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32) {
    let t1 = h &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ (g ^ (e & (f ^ g))) &+ kw
    let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) | (c & (a | b)))
    d = d &+ t1
    h = t1 &+ t2
}
