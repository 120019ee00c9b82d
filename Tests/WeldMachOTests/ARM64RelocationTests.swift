import Testing
@testable import WeldMachO

@Suite struct ARM64RelocationTests {
    /// Runs `body` on a 4-byte buffer holding `insn`; returns the patched word and the error.
    func patch(_ insn: UInt32, _ body: (UnsafeMutableRawPointer) -> String?) -> (UInt32, String?) {
        let p = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 4)
        defer { p.deallocate() }
        p.put32(0, insn)
        let err = body(p)
        return (p.get32(0), err)
    }

    @Test func branch26EncodesWordDisplacement() {
        let (w, e) = patch(0x9400_0000) { ARM64.patchBranch26($0, from: 0x1000, to: 0x2000) }
        #expect(e == nil)
        #expect(w == 0x9400_0400)              // bl +0x1000
        let (back, _) = patch(0x1400_0000) { ARM64.patchBranch26($0, from: 0x2000, to: 0x1000) }
        #expect(back == 0x17ff_fc00)           // b -0x1000
    }

    @Test func branch26OutOfRangeIsAnError() {
        let (_, e) = patch(0x9400_0000) { ARM64.patchBranch26($0, from: 0, to: 0x800_0000) }
        #expect(e != nil)
        let (_, notBranch) = patch(0xd503_201f) { ARM64.patchBranch26($0, from: 0, to: 4) }
        #expect(notBranch != nil)
    }

    @Test func adrpPageDelta() {
        // adrp x0: page delta 0x12345 pages -> immlo = 1, immhi = 0x48d1
        let (w, e) = patch(0x9000_0000) { ARM64.patchPage21($0, from: 0x1_0000_0ffc, to: 0x1_0000_0000 + 0x1234_5678) }
        #expect(e == nil)
        let delta = UInt32(0x12345)
        #expect(w == 0x9000_0000 | ((delta & 3) << 29) | ((delta >> 2) << 5))
        let (neg, _) = patch(0x9000_0001) { ARM64.patchPage21($0, from: 0x5000, to: 0x3000) }
        // -2 pages: imm21 = 0x1ffffe
        #expect(neg == 0x9000_0001 | (2 << 29) | (0x7ffff << 5))
    }

    @Test func pageoff12ScalesByAccessSize() {
        let (add, _) = patch(0x9100_0000) { ARM64.patchPageoff12($0, to: 0x1234) }     // add x0, x0, #0x234
        #expect(add == 0x9100_0000 | (0x234 << 10))
        let (ldrx, _) = patch(0xf940_0000) { ARM64.patchPageoff12($0, to: 0x238) }     // ldr x0: scaled by 8
        #expect(ldrx == 0xf940_0000 | ((0x238 >> 3) << 10))
        let (ldrw, _) = patch(0xb940_0000) { ARM64.patchPageoff12($0, to: 0x234) }     // ldr w0: by 4
        #expect(ldrw == 0xb940_0000 | ((0x234 >> 2) << 10))
        let (ldrq, _) = patch(0x3dc0_0000) { ARM64.patchPageoff12($0, to: 0x230) }     // ldr q0: by 16
        #expect(ldrq == 0x3dc0_0000 | ((0x230 >> 4) << 10))
        let (_, misaligned) = patch(0xf940_0000) { ARM64.patchPageoff12($0, to: 0x234) }
        #expect(misaligned != nil)
    }

    @Test func tlvLoadRelaxesToAdd() {
        let (w, e) = patch(0xf940_0020) { ARM64.relaxLoadToAdd($0, to: 0x10, what: "test") }      // ldr x0, [x1]
        #expect(e == nil)
        #expect(w == 0x9100_0000 | (0x10 << 10) | (1 << 5))                             // add x0, x1, #0x10
    }

    @Test func stubLoadsItsGOTSlot() {
        let p = UnsafeMutableRawPointer.allocate(byteCount: 12, alignment: 4)
        defer { p.deallocate() }
        ARM64.writeStub(p, at: 0x1_0000_4000, gotSlot: 0x1_0000_8010)
        #expect(p.get32(0) == 0x9000_0010 | (1 << 5))   // adrp x16, +4 pages: immlo 0, immhi 1
        #expect(p.get32(4) == 0xf940_0210 | ((0x10 >> 3) << 10))
        #expect(p.get32(8) == 0xd61f_0200)
    }

    /// Optimization hints rewrite only when the target is within an adr's ±1 MiB.
    @Test func hintsShortenAdrpPairs() {
        let p = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 4)
        defer { p.deallocate() }
        let place: UInt64 = 0x1_0000_4000
        // adrp x8, +1 page; add x8, x8, #0x10  ->  adr x8, place+0x1010; nop
        p.put32(0, 0x9000_0008 | (1 << 29)); p.put32(4, 0x9100_0108 | (0x10 << 10))
        ARM64.applyHint(OptimizationHint(atom: 0, kind: LOHKind.adrpAdd, first: 0, second: 4), code: p, place: place)
        let d: UInt32 = 0x1010
        #expect(p.get32(0) == 0x1000_0008 | ((d & 3) << 29) | ((d >> 2) << 5))
        #expect(p.get32(4) == ARM64.nop)
        // adrp x8, +1 page; ldr x0, [x8, #0x18]  ->  nop; ldr x0, literal at +0x1014 from the ldr
        p.put32(0, 0x9000_0008 | (1 << 29)); p.put32(4, 0xf940_0100 | ((0x18 >> 3) << 10))
        ARM64.applyHint(OptimizationHint(atom: 0, kind: LOHKind.adrpLdr, first: 0, second: 4), code: p, place: place)
        #expect(p.get32(0) == ARM64.nop)
        #expect(p.get32(4) == 0x5800_0000 | ((0x1014 >> 2) << 5))
        // 2 MiB away (0x200 pages): out of adr's reach, left alone.
        let far: UInt32 = 0x9000_0008 | ((0x200 >> 2) << 5)
        p.put32(0, far); p.put32(4, 0x9100_0108)
        ARM64.applyHint(OptimizationHint(atom: 0, kind: LOHKind.adrpAdd, first: 0, second: 4), code: p, place: place)
        #expect(p.get32(0) == far)
    }
}
