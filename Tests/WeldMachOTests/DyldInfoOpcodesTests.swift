import Testing
import WeldCore
@testable import WeldMachO

@Suite struct DyldInfoOpcodesTests {
    @Test func rebaseRunsAndStrides() throws {
        var r: [DyldRebase] = []
        for k in 0..<20 { r.append(DyldRebase(segmentIndex: 2, offset: UInt64(8 * k))) }        // contiguous
        for k in 0..<5 { r.append(DyldRebase(segmentIndex: 2, offset: UInt64(0x400 + 24 * k))) }  // every 24
        r.append(DyldRebase(segmentIndex: 3, offset: 0x10))
        r.append(DyldRebase(segmentIndex: 3, offset: 0x10))                                        // duplicate
        let bytes = try DyldInfoOpcodes.rebase(r.reversed())
        #expect(bytes == [0x11,
                          0x22, 0x00, 0x60, 20,                 // segment 2 offset 0; rebase 20 times
                          0x30, 0xE0, 0x06,                     // add 0x360 (from 0xA0 to 0x400)
                          0x80, 5, 16,                          // 5 times, skipping 16
                          0x23, 0x10, 0x51,                     // segment 3 offset 0x10; once
                          0x00, 0x00])
        #expect(try DyldInfoOpcodes.rebase([]) == [])
        #expect(throws: LinkError.self) { try DyldInfoOpcodes.rebase([DyldRebase(segmentIndex: 16, offset: 0)]) }
    }

    @Test func bindStateChangesOnlyWhenNeeded() throws {
        let bytes = try DyldInfoOpcodes.bind([
            DyldBind(segmentIndex: 2, offset: 0x18, libraryOrdinal: 1, symbolName: "_b"),
            DyldBind(segmentIndex: 2, offset: 0x08, libraryOrdinal: 1, symbolName: "_a"),
            DyldBind(segmentIndex: 2, offset: 0x00, libraryOrdinal: 1, symbolName: "_a"),
            DyldBind(segmentIndex: 2, offset: 0x20, libraryOrdinal: -2, symbolName: "_c", isWeakImport: true, addend: -4),
            DyldBind(segmentIndex: 2, offset: 0x28, libraryOrdinal: 20, symbolName: "_d"),
        ])
        let expected: [UInt8] = [0x51,
            0x30 | 0x0E, 0x41] + Array("_c".utf8) + [0, 0x60, 0x7C, 0x72, 0x20, 0x90,     // flat lookup, weak import, addend -4
            0x11, 0x40] + Array("_a".utf8) + [0, 0x60, 0x00, 0x72, 0x00, 0x90, 0x90,        // two adjacent
            0x40] + Array("_b".utf8) + [0, 0x80, 0x08, 0x90,                                 // advance 8
            0x20, 20, 0x40] + Array("_d".utf8) + [0, 0x80, 0x08, 0x90, 0x00]
        #expect(bytes == expected + [UInt8](repeating: 0, count: (8 - expected.count % 8) % 8))
    }

    @Test func lazyRecordsAndOffsets() throws {
        let (bytes, offsets) = try DyldInfoOpcodes.lazyBind([
            DyldBind(segmentIndex: 3, offset: 0, libraryOrdinal: 1, symbolName: "_printf"),
            DyldBind(segmentIndex: 3, offset: 8, libraryOrdinal: 2, symbolName: "_f", isWeakImport: true),
        ])
        #expect(offsets == [0, 14])
        #expect(Array(bytes[0..<14]) == [0x73, 0x00, 0x11, 0x40] + Array("_printf".utf8) + [0, 0x90, 0x00])
        #expect(Array(bytes[14..<23]) == [0x73, 0x08, 0x12, 0x41, 0x5F, 0x66, 0, 0x90, 0x00])
        #expect(bytes.count == 24)
    }

    @Test func weakBindIsSortedByNameWithStrongDefinitions() throws {
        let bytes = try DyldInfoOpcodes.weakBind([
            DyldBind(segmentIndex: 2, offset: 8, libraryOrdinal: 0, symbolName: "_z"),
            DyldBind(segmentIndex: 2, offset: 0, libraryOrdinal: 0, symbolName: "_m"),
        ], strongDefinitions: ["_n", "_a"])
        let expected: [UInt8] = [0x51, 0x48] + Array("_a".utf8) + [0, 0x40] + Array("_m".utf8) + [0, 0x72, 0x00, 0x90,
            0x48] + Array("_n".utf8) + [0, 0x40] + Array("_z".utf8) + [0, 0x90, 0x00]
        #expect(bytes == expected + [UInt8](repeating: 0, count: (8 - expected.count % 8) % 8))
    }

    /// Links a C++ program for macOS 11 with ld64.lld (classic dyld info), decodes its four
    /// streams with machoparse.py, re-encodes them with `DyldInfoOpcodes`, points
    /// LC_DYLD_INFO_ONLY at the new streams and decodes again: same rebases, binds, lazy
    /// binds (in order, byte-identical to lld's) and weak binds.
    @Test(.enabled(if: MachOFixtures.available)) func reencodesLLDStreams() throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        let source = """
        extern "C" int printf(const char *, ...);
        extern "C" void *malloc(unsigned long);
        template <typename T> T twice(T x) { return x + x; }
        inline int weak_inline(int x) { return x * 7; }
        int (*fp_weak)(int) = weak_inline;
        int (*fp_tmpl)(int) = twice<int>;
        static int local_data[64];
        int *lp[20] = { &local_data[0], &local_data[1], &local_data[2], &local_data[3], &local_data[8], &local_data[16], &local_data[24], &local_data[32] };
        void *ext[3] = { (void *)printf, (void *)malloc, (void *)printf };
        struct B { virtual int f() { return 1; } virtual ~B() {} };
        struct D : B { int f() override { return 2; } };
        int main(int argc, char **) { B *b = argc > 5 ? new B : new D; printf("%d %d %d %p\\n", fp_weak(argc), fp_tmpl(argc), b->f(), malloc(4)); return 0; }
        """
        let obj = try #require(MachOFixtures.compile(source, name: "classic.cpp", in: dir))
        let exe = "\(dir)/classic"
        let r = MachOFixtures.run("\(MachOFixtures.ld64) -arch arm64 -platform_version macos 11.0 11.0 -syslibroot \(MachOFixtures.shared)/sdk -lSystem -lc++ -o \(exe) \(obj)")
        #expect(r.status == 0, "\(r.output)")
        let script = """
        import sys; sys.path.insert(0, '\(MachOFixtures.shared)'); import machoparse as M
        m = M.load(sys.argv[1])
        ro, rs, bo, bs, wo, ws, lo, ls, _, _ = m.dyld_info
        for f in m._opcode_fixups()[0]:
            if f.kind == 'rebase': print('R', f.vmaddr)
        for name, off, size, lazy in (('B', bo, bs, False), ('L', lo, ls, True), ('W', wo, ws, None)):
            out = []
            if size: m._bind_stream(off, size, lazy, out)
            for f in out: print(name, f.vmaddr, f.ordinal, f.symbol, int(f.weak), f.addend)
        """
        MachOFixtures.write("\(dir)/dump.py", script)
        let before = MachOFixtures.run("python3 \(dir)/dump.py \(exe)")
        #expect(before.status == 0, "\(before.output)")
        var file = MachOFixtures.read(exe)
        let image = MachOFixtures.Image(file)
        func place(_ vmaddr: UInt64) throws -> (Int, UInt64) {
            let i = try #require(image.segments.firstIndex { vmaddr >= $0.vmaddr && vmaddr < $0.vmaddr + $0.vmsize })
            return (i, vmaddr - image.segments[i].vmaddr)
        }
        var rebases: [DyldRebase] = [], binds: [DyldBind] = [], lazy: [DyldBind] = [], weak: [DyldBind] = []
        for line in before.output.split(separator: "\n") {
            let f = line.split(separator: " ").map(String.init)
            let (seg, off) = try place(UInt64(f[1])!)
            if f[0] == "R" { rebases.append(DyldRebase(segmentIndex: seg, offset: off)); continue }
            let b = DyldBind(segmentIndex: seg, offset: off, libraryOrdinal: Int(f[2])!, symbolName: f[3],
                             isWeakImport: f[4] == "1", addend: Int64(f[5])!)
            switch f[0] { case "B": binds.append(b); case "L": lazy.append(b); default: weak.append(b) }
        }
        #expect(rebases.count > 10 && binds.count >= 4 && lazy.count >= 4 && weak.count >= 2)

        let streams = [try DyldInfoOpcodes.rebase(rebases.reversed()), try DyldInfoOpcodes.bind(binds.reversed()),
                       try DyldInfoOpcodes.weakBind(weak.reversed()), try DyldInfoOpcodes.lazyBind(lazy).bytes]
        // Find LC_DYLD_INFO_ONLY and point its four streams at copies appended to the file.
        var off = 32, cmdOffset = -1
        for _ in 0..<Int(image.u32(16)) {
            if image.u32(off) == 0x8000_0022 { cmdOffset = off }
            off += Int(image.u32(off + 4))
        }
        #expect(cmdOffset > 0)
        let lldLazy = Array(file[Int(image.u32(cmdOffset + 32))..<Int(image.u32(cmdOffset + 32)) + Int(image.u32(cmdOffset + 36))])
        #expect(streams[3] == lldLazy)
        for (k, stream) in streams.enumerated() {
            let field = cmdOffset + 8 + 8 * k   // rebase, bind, weak_bind, lazy_bind (off, size)
            let at = UInt32(file.count)
            for (j, v) in [at, UInt32(stream.count)].enumerated() {
                for b in 0..<4 { file[field + 4 * j + b] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(b))) }
            }
            file += stream
        }
        MachOFixtures.write("\(exe).weld", file)
        let after = MachOFixtures.run("python3 \(dir)/dump.py \(exe).weld")
        #expect(after.status == 0, "\(after.output)")
        func canonical(_ s: String) -> [String] {
            let lines = s.split(separator: "\n").map(String.init)
            return lines.filter { !$0.hasPrefix("L") }.sorted() + lines.filter { $0.hasPrefix("L") }
        }
        #expect(canonical(after.output) == canonical(before.output))
        #expect(streams[0].count <= Int(image.u32(cmdOffset + 12)) && streams[1].count <= Int(image.u32(cmdOffset + 20))
                && streams[2].count <= Int(image.u32(cmdOffset + 28)))
        print("dyld info sizes weld/lld: rebase \(streams[0].count)/\(image.u32(cmdOffset + 12)), bind \(streams[1].count)/\(image.u32(cmdOffset + 20)), weak \(streams[2].count)/\(image.u32(cmdOffset + 28))")
    }
}
