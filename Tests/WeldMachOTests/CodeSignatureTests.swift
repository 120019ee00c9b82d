import Testing
import WeldCore
@testable import WeldMachO

@Suite struct CodeSignatureTests {
    /// Re-signs an ld64.lld output with `AdHocCodeSignature`: the blob must equal lld's byte
    /// for byte, the independent checker must accept it, and must reject a flipped byte.
    @Test(.enabled(if: MachOFixtures.available), arguments: [false, true])
    func reSignLLDOutputMatchesLLD(dylib: Bool) throws {
        let dir = MachOFixtures.tempDir()
        defer { MachOFixtures.run("rm -rf \(dir)") }
        // Big enough to span many pages and several parallel chunks.
        var source = "int printf(const char *, ...);\nstatic const char table[] = {"
        for i in 0..<200_000 { source += "\(i % 251)," }
        source += "};\nint get(int i) { return table[i]; }\n"
        source += dylib ? "" : "int main(int c, char **v) { printf(\"%d\\n\", get(c)); return 0; }\n"
        let obj = try #require(MachOFixtures.compile(source, name: "sig.c", in: dir))
        let out = "\(dir)/\(dylib ? "libsig.dylib" : "sig")"
        #expect(MachOFixtures.link([obj], output: out, extra: dylib ? "-dylib -install_name @rpath/libsig.dylib" : ""))
        let lld = MachOFixtures.read(out)
        let image = MachOFixtures.Image(lld)
        let (sigOffset, sigSize) = try #require(image.linkeditData[MachOFixtures.LC_CODE_SIGNATURE])
        let text = try #require(image.segment("__TEXT"))

        let signature = AdHocCodeSignature(identifier: dylib ? "libsig.dylib" : "sig", codeLimit: sigOffset,
                                           execSegmentBase: text.fileoff, execSegmentLimit: text.filesize,
                                           isMainBinary: !dylib)
        #expect(signature.size == sigSize)
        #expect(signature.pageCount > 32)
        // Everything before the signature as lld wrote it, the signature region garbage.
        var mine = Array(lld[0..<sigOffset]) + [UInt8](repeating: 0xA5, count: signature.size)
        for threads in [1, 2, 8] {
            let saved = Parallel.threadCount
            Parallel.threadCount = threads
            mine.withUnsafeMutableBytes { signature.write(into: $0.baseAddress!) }
            Parallel.threadCount = saved
            #expect(MachOFixtures.firstDifference(mine, lld) == -1, "threads \(threads)")
        }

        let resigned = "\(dir)/resigned"
        MachOFixtures.write(resigned, mine)
        let ok = MachOFixtures.run("python3 \(MachOFixtures.shared)/check_codesign.py \(resigned)")
        #expect(ok.status == 0, "\(ok.output)")
        var broken = mine
        broken[sigOffset / 2] ^= 0x40
        MachOFixtures.write(resigned, broken)
        let bad = MachOFixtures.run("python3 \(MachOFixtures.shared)/check_codesign.py \(resigned)")
        #expect(bad.status != 0)
        #expect(bad.output.contains("page hash"))
    }

    /// Layout arithmetic on its own: header padding follows the identifier's length.
    @Test func sizeAndPadding() {
        func sig(_ id: String, _ limit: Int) -> AdHocCodeSignature {
            AdHocCodeSignature(identifier: id, codeLimit: limit, execSegmentBase: 0, execSegmentLimit: 0x4000, isMainBinary: true)
        }
        // 24 (SuperBlob + index, padded to 8) + 88 (CodeDirectory) + "a\0" = 114 -> 128.
        #expect(sig("a", 4096).size == 128 + 32)
        #expect(sig("a", 4112).size == 128 + 64)
        // 24 + 88 + 16 + 1 = 129 -> 144.
        #expect(sig(String(repeating: "x", count: 16), 0).size == 144)
        #expect(sig("hello", 8 * 4096 + 16).pageCount == 9)
    }

    @Test func writtenFieldsDecode() {
        let s = AdHocCodeSignature(identifier: "t", codeLimit: 4096 + 32, execSegmentBase: 0, execSegmentLimit: 0x4000,
                                   isMainBinary: false)
        var file = (0..<(4096 + 32)).map { UInt8(truncatingIfNeeded: $0 &* 7) } + [UInt8](repeating: 0, count: s.size)
        file.withUnsafeMutableBytes { s.write(into: $0.baseAddress!) }
        func be32(_ o: Int) -> UInt32 { file[o..<o + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        let b = 4096 + 32
        #expect(be32(b) == 0xFADE_0CC0 && be32(b + 4) == UInt32(s.size) && be32(b + 8) == 1)
        let cd = b + Int(be32(b + 16))
        #expect(be32(cd) == 0xFADE_0C02 && be32(cd + 8) == 0x20400 && be32(cd + 12) == 0x20002)
        #expect(be32(cd + 28) == 2 && be32(cd + 32) == UInt32(4096 + 32))
        #expect(file[cd + 36] == 32 && file[cd + 37] == 2 && file[cd + 39] == 12)
        #expect(be32(cd + 84) == 0)  // execSegFlags (low half): not a main binary
        let hashOffset = cd + Int(be32(cd + 16))
        let expected = file[0..<4096].withUnsafeBytes { SHA256.hash($0) } + file[4096..<(4096 + 32)].withUnsafeBytes { SHA256.hash($0) }
        #expect(Array(file[hashOffset..<hashOffset + 64]) == expected)
        #expect(file[cd + Int(be32(cd + 20))] == UInt8(ascii: "t"))
    }
}
