import Testing
import WeldCore
@testable import WeldMachO

private func le32(_ b: [UInt8], _ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[o + $1]) << (8 * UInt32($1)) } }

private func bytes(_ info: UnwindInfo) -> [UInt8] {
    var out = [UInt8](repeating: 0xCD, count: info.size)
    out.withUnsafeMutableBytes { info.write(into: $0.baseAddress!) }
    return out
}

@Suite struct UnwindInfoTests {
    @Test func foldsAndIndexes() throws {
        let frame: UInt32 = 0x0400_0001, leaf: UInt32 = 0x0200_0000
        let info = try UnwindInfo(entries: [
            CompactUnwindEntry(functionOffset: 0x1010, length: 8, encoding: leaf),
            CompactUnwindEntry(functionOffset: 0x1000, length: 0x10, encoding: frame),
            CompactUnwindEntry(functionOffset: 0x1018, length: 8, encoding: leaf),          // folds into 0x1010
            CompactUnwindEntry(functionOffset: 0x1020, length: 0x20, encoding: frame, personality: 0x4000, lsda: 0x2000),
            CompactUnwindEntry(functionOffset: 0x1040, length: 0x20, encoding: frame, personality: 0x4000, lsda: 0x2010),
            CompactUnwindEntry(functionOffset: 0x1060, length: 0x10, encoding: 0x0300_0040), // DWARF, FDE at 0x40
            CompactUnwindEntry(functionOffset: 0x1070, length: 0x10, encoding: 0x0300_0080),
        ])
        #expect(info.foldedEntries.map(\.functionOffset) == [0x1000, 0x1010, 0x1020, 0x1040, 0x1060, 0x1070])
        #expect(info.personalities == [0x4000])
        let withPersonality = frame | 0x1000_0000 | 0x4000_0000
        #expect(info.foldedEntries[2].encoding == withPersonality)
        // Most used first; ties by the larger encoding.
        #expect(info.commonEncodings == [withPersonality, 0x0400_0001, 0x0300_0080, 0x0300_0040, leaf])
        let b = bytes(info)
        #expect(b.count == info.size)
        #expect(le32(b, 0) == 1 && le32(b, 24) == 2)
        let index = Int(le32(b, 20))
        #expect(le32(b, index) == 0x1000)
        #expect(le32(b, index + 12) == 0x1080)              // sentinel: end of the last function
        #expect(le32(b, index + 16) == 0)
        let lsda = Int(le32(b, index + 8))
        #expect(le32(b, index + 20) == UInt32(lsda + 16))   // two LSDA entries
        #expect([le32(b, lsda), le32(b, lsda + 4), le32(b, lsda + 8), le32(b, lsda + 12)] == [0x1020, 0x2000, 0x1040, 0x2010])
        let page = Int(le32(b, index + 4))
        #expect(le32(b, page) == 3 && b[page + 6] == 6)     // compressed, 6 entries
        #expect(le32(b, page + 12 + 4) == (0x10 | 4 << 24))  // leaf: common index 4
    }

    /// More distinct encodings than the common table holds: pages carry local encodings,
    /// and every entry decodes back to its own encoding.
    @Test func pageLocalEncodingsDecode() throws {
        var entries: [CompactUnwindEntry] = []
        for i in 0..<3000 {
            let mode: UInt32 = i % 2 == 0 ? 0x0200_0000 : 0x0400_0000
            let encoding: UInt32 = mode | UInt32(i % 200) << 12  // 200 distinct: 127 common + 73 local
            entries.append(CompactUnwindEntry(functionOffset: UInt32(0x4000 + 16 * i), length: 16, encoding: encoding))
        }
        let info = try UnwindInfo(entries: entries)
        #expect(info.commonEncodings.count == 127)
        #expect(info.pages.count > 2)
        #expect(info.pages.allSatisfy { $0.compressed })
        #expect(info.pages[0].localEncodings.count == 73 && info.pages[0].count == 1021 - 73)
        let b = bytes(info)
        let common = (0..<Int(le32(b, 8))).map { le32(b, Int(le32(b, 4)) + 4 * $0) }
        let index = Int(le32(b, 20))
        var decoded: [(UInt32, UInt32)] = []
        for n in 0..<Int(le32(b, 24)) - 1 {
            let base = le32(b, index + 12 * n)
            let page = Int(le32(b, index + 12 * n + 4))
            #expect(page % 4 == 0 && le32(b, page) == 3)
            let entryOffset = page + (Int(b[page + 4]) | Int(b[page + 5]) << 8)
            let count = Int(b[page + 6]) | Int(b[page + 7]) << 8
            let localOffset = page + (Int(b[page + 8]) | Int(b[page + 9]) << 8)
            for k in 0..<count {
                let w = le32(b, entryOffset + 4 * k)
                let i = Int(w >> 24)
                let encoding = i < common.count ? common[i] : le32(b, localOffset + 4 * (i - common.count))
                decoded.append((base + (w & 0xFF_FFFF), encoding))
            }
        }
        #expect(decoded.map { $0.0 } == entries.map { $0.functionOffset })
        #expect(decoded.map { $0.1 } == entries.map { $0.encoding })
    }

    @Test func errors() {
        #expect(throws: LinkError.self) {
            try UnwindInfo(entries: [CompactUnwindEntry(functionOffset: 4, length: 4, encoding: 0),
                                     CompactUnwindEntry(functionOffset: 4, length: 8, encoding: 0)])
        }
        #expect(throws: LinkError.self) {
            try UnwindInfo(entries: (1...4).map { CompactUnwindEntry(functionOffset: UInt32($0) * 16, length: 16, encoding: 0, personality: UInt32($0)) })
        }
    }

    /// Functions spread over more than 16 MiB cannot share a compressed page; a regular
    /// page (full 32-bit offsets) holds them.
    @Test func farFunctionsUseARegularPage() throws {
        let info = try UnwindInfo(entries: [
            CompactUnwindEntry(functionOffset: 0x1000, length: 4, encoding: 0x0200_0000),
            CompactUnwindEntry(functionOffset: 0x0200_0000, length: 4, encoding: 0x0400_0000),
            CompactUnwindEntry(functionOffset: 0x0200_0010, length: 4, encoding: 0x0200_0000),
        ])
        #expect(info.pages.count == 1)
        #expect(!info.pages[0].compressed && info.pages[0].count == 3)
        let b = bytes(info)
        let page = Int(le32(b, Int(le32(b, 20)) + 4))
        #expect(le32(b, page) == 2 && b[page + 6] == 3)
        #expect(le32(b, page + 8 + 8) == 0x0200_0000 && le32(b, page + 12 + 8) == 0x0400_0000)
    }

    /// Reads the `__compact_unwind` entries of `object` with llvm-objdump (an independent
    /// decoder) and places them where lld placed the object's `__text` and
    /// `__gcc_except_tab`; the personality slot is the one lld chose (its GOT layout).
    static func entriesFromObject(_ object: String, linked: MachOFixtures.Image, lldUnwind: [UInt8]) throws -> [CompactUnwindEntry] {
        let obj = MachOFixtures.Image(MachOFixtures.read(object))
        let base = try #require(linked.segment("__TEXT")).vmaddr
        let textDelta = try #require(linked.section("__TEXT", "__text")).addr - (try #require(obj.section("__TEXT", "__text")).addr)
        let exceptDelta = (linked.section("__TEXT", "__gcc_except_tab")?.addr ?? 0) &- (obj.section("__TEXT", "__gcc_except_tab")?.addr ?? 0)
        let personality = le32(lldUnwind, 16) > 0 ? le32(lldUnwind, Int(le32(lldUnwind, 12))) : 0
        let dump = MachOFixtures.run("/opt/swift/usr/bin/llvm-objdump --macho --unwind-info \(object)")
        #expect(dump.status == 0)
        var entries: [CompactUnwindEntry] = []
        func hex(_ s: Substring) -> UInt64 { UInt64(s.dropFirst(2), radix: 16)! }
        for line in dump.output.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 2 else { continue }
            if f[0] == "Entry" { entries.append(CompactUnwindEntry(functionOffset: 0, length: 0, encoding: 0)) }
            else if f[0] == "start:" { entries[entries.count - 1].functionOffset = UInt32(hex(f[1]) + textDelta - base) }
            else if f[0] == "length:" { entries[entries.count - 1].length = UInt32(hex(f[1])) }
            else if f[0] == "compact" { entries[entries.count - 1].encoding = UInt32(hex(f[2])) }
            else if f[0] == "personality" { entries[entries.count - 1].personality = personality }
            else if f[0] == "LSDA:" { entries[entries.count - 1].lsda = UInt32(hex(f[1]) &+ exceptDelta - base) }
        }
        return entries
    }

    @discardableResult
    func checkAgainstLLD(_ source: String, name: String, libs: String) throws -> UnwindInfo {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let obj = try #require(MachOFixtures.compile(source, name: name, in: dir))
        let exe = "\(dir)/out"
        #expect(MachOFixtures.link([obj], output: exe, extra: libs))
        let image = MachOFixtures.Image(MachOFixtures.read(exe))
        let lld = try #require(image.sectionBytes("__TEXT", "__unwind_info"))
        let entries = try Self.entriesFromObject(obj, linked: image, lldUnwind: lld)
        #expect(!entries.isEmpty)
        let info = try UnwindInfo(entries: entries.reversed())
        let mine = bytes(info)
        #expect(MachOFixtures.firstDifference(mine, lld) == -1, "weld \(mine.count) bytes, lld \(lld.count)")
        return info
    }

    @Test(.enabled(if: MachOFixtures.available)) func cxxExceptionsMatchLLD() throws {
        let info = try checkAgainstLLD("""
        extern "C" int printf(const char *, ...);
        struct E { int code; };
        __attribute__((noinline)) int thrower(int x) { if (x > 3) throw E{x}; return x * 2; }
        __attribute__((noinline)) int catcher(int x) { try { return thrower(x); } catch (const E &e) { return -e.code; } }
        __attribute__((noinline)) int leaf(int x) { return x + 1; }
        __attribute__((noinline)) int leaf2(int x) { return x * 3; }
        struct Guard { ~Guard() { printf("bye\\n"); } };
        __attribute__((noinline)) int cleanup(int x) { Guard g; return thrower(x); }
        int main(int argc, char **) { printf("%d %d %d %d\\n", catcher(argc), leaf(argc), leaf2(argc), cleanup(argc)); return 0; }
        """, name: "exc.cpp", libs: "-lc++")
        #expect(info.personalities.count == 1)
        #expect(info.foldedEntries.filter { $0.lsda != 0 }.count == 2)
    }

    /// Thousands of functions with alternating encodings (nothing folds): several
    /// second-level pages, page-local encodings, and the common table.
    @Test(.enabled(if: MachOFixtures.available)) func manyFunctionsMatchLLD() throws {
        var source = "int printf(const char *, ...);\n"
        for i in 0..<2600 {
            source += "__attribute__((noinline)) int leaf\(i)(int x) { return x * \(i + 3); }\n"
            switch i % 3 {
            case 0: source += "__attribute__((noinline)) int call\(i)(int x) { return printf(\"%d\", x) + \(i); }\n"
            case 1: source += "__attribute__((noinline)) int call\(i)(int x) { volatile int a[\(i % 7 + 2)]; a[0] = x; return printf(\"%d\", a[0]) + \(i); }\n"
            default: source += "__attribute__((noinline)) long call\(i)(long x, long y) { long r = printf(\"%ld\", x * y); return r + printf(\"%ld\", y) + x; }\n"
            }
        }
        source += "int main(void) { return leaf0(1) + call0(2); }\n"
        let info = try checkAgainstLLD(source, name: "many.c", libs: "")
        #expect(info.pages.count > 4)
    }
}
