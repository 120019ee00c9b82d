/// SHA-1 (FIPS 180-4), the GNU ld default for `--build-id`. Blocks are read straight from the
/// caller's memory with big-endian loads; the message schedule lives on the stack.
public struct SHA1: HashFunction {
    public static let digestSize = 20

    @usableFromInline var h: (UInt32, UInt32, UInt32, UInt32, UInt32)
    @usableFromInline var buffer = BlockBuffer()

    public init() {
        h = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
    }

    public mutating func update(_ data: UnsafeRawBufferPointer) {
        var s = h
        buffer.update(data) { p, n in SHA1.compress(&s, p, n) }
        h = s
    }

    public func finalize(into out: UnsafeMutableRawPointer) {
        var s = h
        var b = buffer
        b.finish(bigEndianLength: true) { p, n in SHA1.compress(&s, p, n) }
        out.storeBytes(of: s.0.bigEndian, toByteOffset: 0, as: UInt32.self)
        out.storeBytes(of: s.1.bigEndian, toByteOffset: 4, as: UInt32.self)
        out.storeBytes(of: s.2.bigEndian, toByteOffset: 8, as: UInt32.self)
        out.storeBytes(of: s.3.bigEndian, toByteOffset: 12, as: UInt32.self)
        out.storeBytes(of: s.4.bigEndian, toByteOffset: 16, as: UInt32.self)
    }

    /// Hashes `blocks` 64-byte blocks at `p` into `h`. Rounds go five at a time with the
    /// variables renamed instead of shifted (a, b, c, d, e -> e, a, b, c, d), so the unrolled
    /// code has no register moves.
    @usableFromInline
    static func compress(_ h: inout (UInt32, UInt32, UInt32, UInt32, UInt32), _ p: UnsafeRawPointer, _ blocks: Int) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { wbuf in
            // The message schedule is computed as the rounds go, in a 16-word ring: less
            // memory traffic, and the schedule overlaps with the rounds' dependency chain.
            let w = wbuf.baseAddress!
            var (h0, h1, h2, h3, h4) = h
            var p = p
            @inline(__always) func next(_ i: Int) -> UInt32 {
                let x = rotl(w[(i &+ 13) & 15] ^ w[(i &+ 8) & 15] ^ w[(i &+ 2) & 15] ^ w[i & 15], 1)
                w[i & 15] = x
                return x
            }
            for _ in 0..<blocks {
                for i in 0..<16 { w[i] = loadBE32(p, i &* 4) }
                var a = h0, b = h1, c = h2, d = h3, e = h4
                round1(a, &b, c, d, &e, w[0]); round1(e, &a, b, c, &d, w[1])
                round1(d, &e, a, b, &c, w[2]); round1(c, &d, e, a, &b, w[3])
                round1(b, &c, d, e, &a, w[4])
                round1(a, &b, c, d, &e, w[5]); round1(e, &a, b, c, &d, w[6])
                round1(d, &e, a, b, &c, w[7]); round1(c, &d, e, a, &b, w[8])
                round1(b, &c, d, e, &a, w[9])
                round1(a, &b, c, d, &e, w[10]); round1(e, &a, b, c, &d, w[11])
                round1(d, &e, a, b, &c, w[12]); round1(c, &d, e, a, &b, w[13])
                round1(b, &c, d, e, &a, w[14])
                round1(a, &b, c, d, &e, w[15]); round1(e, &a, b, c, &d, next(16))
                round1(d, &e, a, b, &c, next(17)); round1(c, &d, e, a, &b, next(18))
                round1(b, &c, d, e, &a, next(19))
                for i in stride(from: 20, to: 40, by: 5) {
                    round2(a, &b, c, d, &e, next(i)); round2(e, &a, b, c, &d, next(i &+ 1))
                    round2(d, &e, a, b, &c, next(i &+ 2)); round2(c, &d, e, a, &b, next(i &+ 3))
                    round2(b, &c, d, e, &a, next(i &+ 4))
                }
                for i in stride(from: 40, to: 60, by: 5) {
                    round3(a, &b, c, d, &e, next(i)); round3(e, &a, b, c, &d, next(i &+ 1))
                    round3(d, &e, a, b, &c, next(i &+ 2)); round3(c, &d, e, a, &b, next(i &+ 3))
                    round3(b, &c, d, e, &a, next(i &+ 4))
                }
                for i in stride(from: 60, to: 80, by: 5) {
                    round4(a, &b, c, d, &e, next(i)); round4(e, &a, b, c, &d, next(i &+ 1))
                    round4(d, &e, a, b, &c, next(i &+ 2)); round4(c, &d, e, a, &b, next(i &+ 3))
                    round4(b, &c, d, e, &a, next(i &+ 4))
                }
                h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e
                p += 64
            }
            h = (h0, h1, h2, h3, h4)
        }
    }
}

// One SHA-1 round: e += rotl(a, 5) + f(b, c, d) + K + w; b = rotl(b, 30). The caller renames.
@inline(__always)
private func round1(_ a: UInt32, _ b: inout UInt32, _ c: UInt32, _ d: UInt32, _ e: inout UInt32, _ w: UInt32) {
    e = e &+ rotl(a, 5) &+ (d ^ (b & (c ^ d))) &+ 0x5A82_7999 &+ w
    b = rotl(b, 30)
}

@inline(__always)
private func round2(_ a: UInt32, _ b: inout UInt32, _ c: UInt32, _ d: UInt32, _ e: inout UInt32, _ w: UInt32) {
    e = e &+ rotl(a, 5) &+ (b ^ c ^ d) &+ 0x6ED9_EBA1 &+ w
    b = rotl(b, 30)
}

@inline(__always)
private func round3(_ a: UInt32, _ b: inout UInt32, _ c: UInt32, _ d: UInt32, _ e: inout UInt32, _ w: UInt32) {
    e = e &+ rotl(a, 5) &+ ((b & c) | (d & (b | c))) &+ 0x8F1B_BCDC &+ w
    b = rotl(b, 30)
}

@inline(__always)
private func round4(_ a: UInt32, _ b: inout UInt32, _ c: UInt32, _ d: UInt32, _ e: inout UInt32, _ w: UInt32) {
    e = e &+ rotl(a, 5) &+ (b ^ c ^ d) &+ 0xCA62_C1D6 &+ w
    b = rotl(b, 30)
}
