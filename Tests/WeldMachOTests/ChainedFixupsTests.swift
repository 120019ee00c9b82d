import Testing
import WeldCore
@testable import WeldMachO

private func payload(_ fixups: [ChainedFixup], _ c: ChainedFixups, outputSize: Int) throws(LinkError) -> (payload: [UInt8], output: [UInt8]) {
    var p = [UInt8](repeating: 0xEE, count: c.payloadSize)
    var out = [UInt8](repeating: 0, count: outputSize)
    var failure: LinkError? = nil
    p.withUnsafeMutableBytes { pb in
        out.withUnsafeMutableBytes { ob in
            do throws(LinkError) { try c.write(fixups: fixups, payload: pb.baseAddress!, output: ob.baseAddress!) } catch { failure = error }
        }
    }
    if let failure { throw failure }
    return (p, out)
}

private func le64(_ b: [UInt8], _ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) } }
private func le32(_ b: [UInt8], _ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[o + $1]) << (8 * UInt32($1)) } }

@Suite struct ChainedFixupsTests {
    static let segments = [
        ChainedFixupSegment(name: "__PAGEZERO", vmOffset: 0, vmSize: 0, fileOffset: 0, fileSize: 0, hasFixups: false),
        ChainedFixupSegment(name: "__TEXT", vmOffset: 0, vmSize: 0x4000, fileOffset: 0, fileSize: 0x4000, hasFixups: false),
        ChainedFixupSegment(name: "__DATA", vmOffset: 0x4000, vmSize: 0x8000, fileOffset: 0x4000, fileSize: 0x8000, hasFixups: true),
    ]

    @Test func chainsAndPayloadDecode() throws {
        let imports = [ChainedImport(name: "_printf", libraryOrdinal: 1), ChainedImport(name: "_weak", libraryOrdinal: 2, isWeak: true)]
        let c = try ChainedFixups(segments: Self.segments, imports: imports)
        #expect(c.importFormat == .import)
        let fixups = [
            ChainedFixup(segmentIndex: 2, offset: 0x4010, target: .bind(importIndex: 1, addend: 5)),
            ChainedFixup(segmentIndex: 2, offset: 0x10, target: .rebase(vmOffset: 0x3F50, high8: 0)),
            ChainedFixup(segmentIndex: 2, offset: 0x0, target: .bind(importIndex: 0, addend: 0)),
            ChainedFixup(segmentIndex: 2, offset: 0x4008, target: .rebase(vmOffset: 0x1234, high8: 0xAB)),
        ]
        let (p, out) = try payload(fixups, c, outputSize: 0xC000)
        #expect(p.count % 8 == 0 && p.count == c.payloadSize)
        // Page 0: bind@0 -> rebase@0x10 (next = 4 strides) -> end.
        #expect(le64(out, 0x4000) == (UInt64(1) << 63 | 4 << 51))
        #expect(le64(out, 0x4010) == 0x3F50)
        // Page 1: rebase@0x4008 -> bind@0x4010 (next = 2), high8 and addend in place.
        #expect(le64(out, 0x8008) == (0x1234 | 0xAB << 36 | 2 << 51))
        #expect(le64(out, 0x8010) == (UInt64(1) << 63 | 1 | 5 << 24))
        // Header and starts.
        #expect(le32(p, 0) == 0 && le32(p, 16) == 2 && le32(p, 20) == 1)
        let starts = Int(le32(p, 4))
        #expect(le32(p, starts) == 3)
        #expect(le32(p, starts + 4) == 0 && le32(p, starts + 8) == 0)
        let seg = starts + Int(le32(p, starts + 12))
        #expect(le32(p, seg) == 32)  // 22 + 2 pages × 2, padded to 8
        #expect(p[seg + 4] == 0x00 && p[seg + 5] == 0x40 && p[seg + 6] == 6)
        #expect(le64(p, seg + 8) == 0x4000)
        #expect(p[seg + 20] == 2 && p[seg + 22] == 0 && p[seg + 24] == 8)
        let imp = Int(le32(p, 8)), sym = Int(le32(p, 12))
        #expect(le32(p, imp) == 1)
        #expect(le32(p, imp + 4) == (2 | 1 << 8 | 8 << 9))
        #expect(Array(p[sym..<sym + 15]) == Array("_printf\0_weak\0".utf8) + [0])
    }

    @Test func importFormatsFollowOrdinalsAndAddends() throws {
        let special = try ChainedFixups(segments: Self.segments, imports: [
            ChainedImport(name: "_a", libraryOrdinal: ChainedFixupsFormat.ordinalMainExecutable),
            ChainedImport(name: "_b", libraryOrdinal: ChainedFixupsFormat.ordinalFlatLookup),
            ChainedImport(name: "_c", libraryOrdinal: ChainedFixupsFormat.ordinalWeakLookup),
            ChainedImport(name: "_a", libraryOrdinal: 1, addend: 0),
        ])
        #expect(special.importFormat == .import)
        let (p, _) = try payload([], special, outputSize: 0xC000)
        let imp = Int(le32(p, 8))
        #expect(le32(p, imp) == 0xFF && le32(p, imp + 4) == (0xFE | 3 << 9) && le32(p, imp + 8) == (0xFD | 6 << 9))
        #expect(le32(p, imp + 12) == 1)  // the name "_a" is shared
        // An empty page says so.
        let seg = Int(le32(p, 4)) + Int(le32(p, Int(le32(p, 4)) + 12))
        #expect(p[seg + 22] == 0xFF && p[seg + 23] == 0xFF)

        let addend = try ChainedFixups(segments: Self.segments, imports: [ChainedImport(name: "_x", libraryOrdinal: 1, addend: -8)])
        #expect(addend.importFormat == .importAddend)
        let (q, _) = try payload([], addend, outputSize: 0xC000)
        #expect(Int32(bitPattern: le32(q, Int(le32(q, 8)) + 4)) == -8)

        let wide = try ChainedFixups(segments: Self.segments, imports: [ChainedImport(name: "_y", libraryOrdinal: 300),
                                                                         ChainedImport(name: "_z", libraryOrdinal: -2, addend: 1 << 40)])
        #expect(wide.importFormat == .importAddend64)
        let (r, _) = try payload([], wide, outputSize: 0xC000)
        let i = Int(le32(r, 8))
        #expect(i % 8 == 0)
        #expect(le64(r, i) == 300 && le64(r, i + 8) == 0)
        #expect(le64(r, i + 16) == (0xFFFE | 3 << 32) && le64(r, i + 24) == 1 << 40)
    }

    @Test(arguments: [
        (ChainedFixup(segmentIndex: 1, offset: 0, target: .rebase(vmOffset: 0, high8: 0)), "__TEXT+0x0 is in a segment laid out without fixups"),
        (ChainedFixup(segmentIndex: 2, offset: 0x7FFC, target: .rebase(vmOffset: 0, high8: 0)), "__DATA+0x7ffc is outside"),
        (ChainedFixup(segmentIndex: 2, offset: 0x3FFC, target: .rebase(vmOffset: 0, high8: 0)), "crosses a 16 KiB page"),
        (ChainedFixup(segmentIndex: 2, offset: 0x6, target: .rebase(vmOffset: 0, high8: 0)), "is not 4-byte aligned"),
        (ChainedFixup(segmentIndex: 2, offset: 0x8, target: .rebase(vmOffset: 1 << 36, high8: 0)), "beyond the 36 bits"),
        (ChainedFixup(segmentIndex: 2, offset: 0x8, target: .bind(importIndex: 1, addend: 0)), "binds to import #1 of 1"),
        (ChainedFixup(segmentIndex: 2, offset: 0x4, target: .rebase(vmOffset: 0, high8: 0)), "pointers at __DATA+0x0 and __DATA+0x4 overlap"),
    ])
    func badFixupsAreErrors(fixup: ChainedFixup, expected: String) throws {
        let c = try ChainedFixups(segments: Self.segments, imports: [ChainedImport(name: "_f", libraryOrdinal: 1)])
        let base = ChainedFixup(segmentIndex: 2, offset: 0, target: .bind(importIndex: 0, addend: 0))
        do {
            _ = try payload([base, fixup], c, outputSize: 0xC000)
            Issue.record("accepted \(fixup)")
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    /// Links a program with pointers in `__DATA_CONST` and `__DATA` over several pages with
    /// ld64.lld, converts its chains to format 6 with to_ptr64_offset.py, then rebuilds the
    /// payload and every chained pointer from the decoded fixups (decoded by machoparse.py,
    /// an independent reader) into a copy with those bytes cleared: the file must come back
    /// byte for byte.
    @Test(.enabled(if: MachOFixtures.available)) func rebuildsLLDChainsByteForByte() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        var source = """
        int printf(const char *, ...);
        void *malloc(unsigned long);
        extern void *__stderrp;
        static int local[4096];
        int counter;
        void *const table_const[] = { (void *)printf, (void *)malloc, &local[1], &counter };
        char *with_addend = (char *)&__stderrp + 16;
        void *mutable_table[6000] = { (void *)printf };

        """
        for i in 0..<40 { source += "void *spread_\(i) = &local[\(i * 100)];\nvoid *bind_\(i) = (void *)malloc;\n" }
        source += "int main(void) { printf(\"%p\", mutable_table[0]); return 0; }\n"
        let obj = try #require(MachOFixtures.compile(source, name: "fix.c", in: dir, flags: "-O1 -fno-common"))
        let exe = "\(dir)/fix"
        #expect(MachOFixtures.link([obj], output: exe))
        let conv = MachOFixtures.run("python3 \(MachOFixtures.shared)/to_ptr64_offset.py \(exe) \(exe).6")
        #expect(conv.status == 0, "\(conv.output)")
        let converted = MachOFixtures.read("\(exe).6")
        let image = MachOFixtures.Image(converted)
        let (payloadOffset, payloadSize) = try #require(image.linkeditData[MachOFixtures.LC_DYLD_CHAINED_FIXUPS])
        let base = try #require(image.segment("__TEXT")).vmaddr

        let script = """
        import sys; sys.path.insert(0, '\(MachOFixtures.shared)'); import machoparse as M
        m = M.load('\(exe).6'); fx, imps, fmt = m.fixups()
        for (o, n, w, a) in imps: print('I', o, n, int(w), a)
        for f in fx: print('F', f.vmaddr, f.kind, f.target, f.high8, f.symbol, f.addend)
        """
        MachOFixtures.write("\(dir)/dump.py", script)
        let dump = MachOFixtures.run("python3 \(dir)/dump.py")
        #expect(dump.status == 0, "\(dump.output)")
        var imports: [ChainedImport] = []
        var fixups: [ChainedFixup] = []
        var cleared = converted
        for line in dump.output.split(separator: "\n") {
            let f = line.split(separator: " ").map(String.init)
            if f[0] == "I" {
                imports.append(ChainedImport(name: f[2], libraryOrdinal: Int(f[1])!, isWeak: f[3] == "1", addend: Int64(f[4])!))
            } else if f[0] == "F" {
                let vmaddr = UInt64(f[1])!
                let segIndex = try #require(image.segments.firstIndex { vmaddr >= $0.vmaddr && vmaddr < $0.vmaddr + $0.vmsize })
                let seg = image.segments[segIndex]
                let target: ChainedFixup.Target
                if f[2] == "rebase" {
                    target = .rebase(vmOffset: UInt64(f[3])! - base, high8: UInt8(f[4])!)
                } else {
                    let index = try #require(imports.firstIndex { $0.name == f[5] })
                    target = .bind(importIndex: UInt32(index), addend: UInt8(Int64(f[6])! - imports[index].addend))
                }
                fixups.append(ChainedFixup(segmentIndex: segIndex, offset: vmaddr - seg.vmaddr, target: target))
                let fileOffset = Int(seg.fileoff + (vmaddr - seg.vmaddr))
                for k in 0..<8 { cleared[fileOffset + k] = 0 }
            }
        }
        #expect(fixups.count >= 85)
        #expect(fixups.contains { if case .bind(_, 16) = $0.target { return true } else { return false } })
        let lldPayload = Array(converted[payloadOffset..<payloadOffset + payloadSize])
        // Which segments lld gave a starts_in_segment: read from its payload.
        let startsAt = Int(le32(lldPayload, 4))
        let segments = image.segments.enumerated().map { i, s in
            ChainedFixupSegment(name: s.name, vmOffset: s.vmaddr &- base, vmSize: s.vmsize, fileOffset: s.fileoff,
                                fileSize: s.filesize, hasFixups: le32(lldPayload, startsAt + 4 + 4 * i) != 0)
        }
        #expect(segments.filter(\.hasFixups).map(\.name) == ["__DATA_CONST", "__DATA"])
        for k in payloadOffset..<payloadOffset + payloadSize { cleared[k] = 0xCC }

        let chained = try ChainedFixups(segments: segments, imports: imports)
        #expect(chained.payloadSize == payloadSize)
        for threads in [1, 2, 8] {
            var mine = cleared
            let saved = Parallel.threadCount
            Parallel.threadCount = threads
            defer { Parallel.threadCount = saved }
            var failure: LinkError? = nil
            let reversed = Array(fixups.reversed())
            mine.withUnsafeMutableBytes { raw in
                do throws(LinkError) {
                    try chained.write(fixups: reversed, payload: raw.baseAddress! + payloadOffset, output: raw.baseAddress!)
                } catch { failure = error }
            }
            #expect(failure == nil, "\(failure?.message ?? "")")
            let minePayload = Array(mine[payloadOffset..<payloadOffset + payloadSize])
            #expect(MachOFixtures.firstDifference(minePayload, lldPayload) == -1, "payload, threads \(threads)")
            #expect(MachOFixtures.firstDifference(mine, converted) == -1, "file, threads \(threads)")
        }
    }
}
