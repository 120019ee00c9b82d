/// arm64 instruction patching for Mach-O relocations. Each function checks the instruction it
/// patches and the range of the value, and returns an error message instead of trapping.
enum ARM64 {
    /// `b`/`bl`: a signed 26-bit word displacement (±128 MiB).
    static func patchBranch26(_ loc: UnsafeMutableRawPointer, from p: UInt64, to target: UInt64) -> String? {
        let insn = loc.get32(0)
        guard insn & 0x7c00_0000 == 0x1400_0000 else { return "ARM64_RELOC_BRANCH26 is not on a b/bl instruction (0x\(String(insn, radix: 16)))" }
        let disp = Int64(bitPattern: target &- p)
        guard disp & 3 == 0 else { return "branch target 0x\(String(target, radix: 16)) is not 4-byte aligned" }
        guard disp >= -(1 << 27) && disp < (1 << 27) else {
            return "branch to 0x\(String(target, radix: 16)) is out of range (\(disp) bytes; b/bl reach ±128 MiB)"
        }
        loc.put32(0, (insn & 0xfc00_0000) | (UInt32(truncatingIfNeeded: disp >> 2) & 0x03ff_ffff))
        return nil
    }

    /// `adrp`: the 4 KiB page delta in immhi:immlo (±4 GiB).
    static func patchPage21(_ loc: UnsafeMutableRawPointer, from p: UInt64, to target: UInt64) -> String? {
        let insn = loc.get32(0)
        guard insn & 0x9f00_0000 == 0x9000_0000 else { return "page relocation is not on an adrp instruction (0x\(String(insn, radix: 16)))" }
        let delta = Int64(bitPattern: (target & ~0xfff) &- (p & ~0xfff)) >> 12
        guard delta >= -(1 << 20) && delta < (1 << 20) else { return "adrp target 0x\(String(target, radix: 16)) is out of range (±4 GiB)" }
        let imm = UInt32(truncatingIfNeeded: delta) & 0x1f_ffff
        loc.put32(0, (insn & 0x9f00_001f) | ((imm & 3) << 29) | ((imm >> 2) << 5))
        return nil
    }

    /// The low 12 bits of an address into `add` (unscaled) or a load/store with an unsigned
    /// immediate (scaled by the access size, which must divide the offset).
    static func patchPageoff12(_ loc: UnsafeMutableRawPointer, to target: UInt64) -> String? {
        let insn = loc.get32(0)
        let off = UInt32(target & 0xfff)
        if insn & 0x1f00_0000 == 0x1100_0000 {   // add/sub (immediate)
            loc.put32(0, (insn & 0xffc0_03ff) | (off << 10))
            return nil
        }
        guard insn & 0x3b00_0000 == 0x3900_0000 else { return "page offset relocation is not on add or a load/store (0x\(String(insn, radix: 16)))" }
        var scale = insn >> 30
        if insn & 0x0400_0000 != 0 && insn & 0x0080_0000 != 0 && scale == 0 { scale = 4 }   // 128-bit SIMD q register
        guard off & ((1 << scale) - 1) == 0 else {
            return "page offset 0x\(String(off, radix: 16)) is not a multiple of the \(1 << scale)-byte access size"
        }
        loc.put32(0, (insn & 0xffc0_03ff) | ((off >> scale) << 10))
        return nil
    }

    /// A GOT slot or TLV pointer for a symbol in this image is not needed: `ldr xN, [xM, off]`
    /// becomes `add xN, xM, off`, which yields the address the slot would have held.
    static func relaxLoadToAdd(_ loc: UnsafeMutableRawPointer, to target: UInt64, what: String) -> String? {
        let insn = loc.get32(0)
        guard insn & 0xffc0_0000 == 0xf940_0000 else { return "\(what) is not on a 64-bit ldr (0x\(String(insn, radix: 16)))" }
        let rd = insn & 0x1f, rn = (insn >> 5) & 0x1f
        loc.put32(0, 0x9100_0000 | (UInt32(target & 0xfff) << 10) | (rn << 5) | rd)
        return nil
    }

    /// A 12-byte stub: x16 = the GOT slot's contents, then jump.
    static func writeStub(_ loc: UnsafeMutableRawPointer, at p: UInt64, gotSlot: UInt64) {
        loc.put32(0, 0x9000_0010)         // adrp x16, slot@PAGE
        loc.put32(4, 0xf940_0210)         // ldr  x16, [x16, slot@PAGEOFF]
        loc.put32(8, 0xd61f_0200)         // br   x16
        _ = patchPage21(loc, from: p, to: gotSlot)
        _ = patchPageoff12(loc + 4, to: gotSlot)
    }
}
