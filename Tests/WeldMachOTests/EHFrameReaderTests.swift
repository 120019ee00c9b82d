import Testing
import WeldCore
@testable import WeldMachO

private func read(_ bytes: [UInt8], address: UInt64 = 0x1000) throws(LinkError) -> [EHFrameFDE] {
    let r: Result<[EHFrameFDE], LinkError> = bytes.withUnsafeBytes { raw in
        do throws(LinkError) { return .success(try EHFrameReader.fdes(raw, sectionAddress: address, path: "t.o")) }
        catch { return .failure(error) }
    }
    return try r.get()
}

private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }

/// A CIE with augmentation "zRL" (FDE pointers pc-relative sdata4, LSDA pc-relative sdata4 when `lsda`).
private func cie(lsda: Bool) -> [UInt8] {
    let aug: [UInt8] = lsda ? Array("zLR".utf8) + [0] : Array("zR".utf8) + [0]
    var body: [UInt8] = le32(0) + [1] + aug + [4, 0x78, 30]   // id 0, version 1, code 4, data -8, ra x30
    body += lsda ? [2, 0x1B, 0x1B] : [1, 0x1B]                 // augmentation data
    while (body.count + 4) % 8 != 0 { body.append(0) }         // DW_CFA_nop padding
    return le32(UInt32(body.count)) + body
}

/// An FDE at `offset` for a function at `function` (pc-relative), using the CIE at 0.
private func fde(at offset: Int, function: UInt64, length: UInt32, base: UInt64, lsda: UInt64?) -> [UInt8] {
    let pcField = UInt64(offset + 8)
    var body = le32(UInt32(offset + 4))                                 // CIE pointer: back to 0
    body += le32(UInt32(truncatingIfNeeded: function &- (base + pcField)))
    body += le32(length)
    if let lsda {
        let field = UInt64(offset + 4 + body.count + 1)
        body += [4] + (lsda == 0 ? le32(0) : le32(UInt32(truncatingIfNeeded: lsda &- (base + field))))
    } else {
        body += [0]
    }
    while (body.count + 4) % 8 != 0 { body.append(0) }
    return le32(UInt32(body.count)) + body
}

@Suite struct EHFrameReaderTests {
    @Test func resolvesPCRelativeFunctionsAndLSDAs() throws {
        let base: UInt64 = 0x1_0000_4000
        var section = cie(lsda: true)
        let first = section.count
        section += fde(at: first, function: 0x1_0000_0400, length: 0x40, base: base, lsda: 0x1_0000_0800)
        let second = section.count
        section += fde(at: second, function: 0x1_0000_0440, length: 0x10, base: base, lsda: 0)
        section += le32(0)   // terminator
        let fdes = try read(section, address: base)
        #expect(fdes == [
            EHFrameFDE(offset: UInt32(first), cieOffset: 0, functionAddress: 0x1_0000_0400, functionLength: 0x40, lsdaAddress: 0x1_0000_0800),
            EHFrameFDE(offset: UInt32(second), cieOffset: 0, functionAddress: 0x1_0000_0440, functionLength: 0x10, lsdaAddress: nil),
        ])
    }

    @Test func malformedSectionsAreErrors() {
        let good = cie(lsda: false) + fde(at: cie(lsda: false).count, function: 0x10, length: 4, base: 0x1000, lsda: nil)
        var badPointer = good
        badPointer[cie(lsda: false).count + 4] = 0x40   // CIE pointer beyond the start
        var truncated = good
        truncated.removeLast(6)
        var longLength = good
        longLength[0] = 0xF0
        let cases: [([UInt8], String)] = [
            (badPointer, "does not lead to an earlier record"),
            (truncated, "runs past the section"),
            (longLength, "runs past the section"),
            ([1, 0], "truncated record length"),
            (le32(8) + le32(0) + [9, 0, 0, 0], "unsupported CIE version"),
        ]
        for (bytes, expected) in cases {
            do {
                _ = try read(bytes)
                Issue.record("accepted: \(expected)")
            } catch {
                #expect(error.message.hasPrefix("t.o: __eh_frame+0x"))
                #expect(error.message.contains(expected), "\(error.message)")
            }
        }
    }

    /// Assembly whose CFI compact unwind cannot express, linked by ld64.lld: the FDE offsets
    /// EHFrameReader finds in the output's __eh_frame are those lld put in the DWARF-mode
    /// encodings, and __unwind_info built from them equals lld's byte for byte.
    @Test(.enabled(if: MachOFixtures.available)) func dwarfModeEntriesMatchLLD() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let source = """
            .section __TEXT,__text,regular,pure_instructions
            .globl _odd
            .p2align 2
        _odd:
            .cfi_startproc
            sub sp, sp, #48
            .cfi_def_cfa_offset 48
            stp x29, x30, [sp, #32]
            .cfi_offset w30, -8
            .cfi_offset w29, -16
            str x21, [sp, #8]
            .cfi_offset w21, -40
            ldr x21, [sp, #8]
            ldp x29, x30, [sp, #32]
            add sp, sp, #48
            ret
            .cfi_endproc
            .globl _main
            .p2align 2
        _main:
            .cfi_startproc
            stp x29, x30, [sp, #-16]!
            .cfi_def_cfa_offset 16
            .cfi_offset w30, -8
            .cfi_offset w29, -16
            mov x29, sp
            .cfi_def_cfa w29, 16
            bl _odd
            mov w0, #0
            ldp x29, x30, [sp], #16
            ret
            .cfi_endproc
            .globl _odd2
            .p2align 2
        _odd2:
            .cfi_startproc
            sub sp, sp, #32
            .cfi_def_cfa_offset 32
            str x22, [sp, #8]
            .cfi_offset w22, -24
            ldr x22, [sp, #8]
            add sp, sp, #32
            ret
            .cfi_endproc
        .subsections_via_symbols
        """
        let obj = try #require(MachOFixtures.compile(source, name: "dwarf.s", in: dir, flags: ""))
        let exe = "\(dir)/dwarf"
        #expect(MachOFixtures.link([obj], output: exe))

        // The object's pc_begin fields are left to relocations: reading them unrelocated
        // gives the section's own address, which is why the reader is for outputs.
        let o = MachOFixtures.Image(MachOFixtures.read(obj))
        let oEH = try #require(o.section("__TEXT", "__eh_frame"))
        let objectFDEs = try read(try #require(o.sectionBytes("__TEXT", "__eh_frame")), address: oEH.addr)
        #expect(objectFDEs.map(\.functionLength) == [0x1C, 0x18, 0x14])
        // A `relocated` callback supplies pc_begin (FDE + 8 here: 4-byte length, 4-byte CIE
        // pointer) as the core would from the object's relocations; its values are used.
        let pcFields = Dictionary(uniqueKeysWithValues: objectFDEs.enumerated().map { (Int($0.element.offset) + 8, UInt64([0x0, 0x1C, 0x34][$0.offset])) })
        let resolved = try o.sectionBytes("__TEXT", "__eh_frame")!.withUnsafeBytes { raw throws -> [EHFrameFDE] in
            try EHFrameReader.fdes(raw, sectionAddress: oEH.addr, path: "dwarf.s.o") { pcFields[$0] }
        }
        #expect(resolved.map(\.functionAddress) == [0x0, 0x1C, 0x34])

        // The output.
        let image = MachOFixtures.Image(MachOFixtures.read(exe))
        let eh = try #require(image.section("__TEXT", "__eh_frame"))
        let fdes = try read(try #require(image.sectionBytes("__TEXT", "__eh_frame")), address: eh.addr)
        #expect(fdes.count == 3)
        let base = try #require(image.segment("__TEXT")).vmaddr
        let entries = fdes.map {
            CompactUnwindEntry(functionOffset: UInt32($0.functionAddress - base), length: UInt32($0.functionLength),
                               encoding: UnwindInfoFormat.arm64ModeDwarf | $0.offset)
        }
        let info = try UnwindInfo(entries: entries)
        var mine = [UInt8](repeating: 0, count: info.size)
        mine.withUnsafeMutableBytes { info.write(into: $0.baseAddress!) }
        let lld = try #require(image.sectionBytes("__TEXT", "__unwind_info"))
        #expect(MachOFixtures.firstDifference(mine, lld) == -1)
    }
}
