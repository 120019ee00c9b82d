import Testing
import WeldCore
@testable import WeldELF

// The object reader's per-item checks (section names, symbol names and section indexes,
// relocation symbols and offsets) run as tight loops that only find the first bad item;
// parse() then says what is wrong with it. These build a small relocatable object byte by
// byte, damage one thing, and check the message, and that good objects read the same through
// both string-length paths (a string table ending in NUL, read by strlen, or not, by memchr).

private struct TinyObject {
    var text = [UInt8](repeating: 0x90, count: 16)
    /// (offset, symbol, type) of each RELA entry against .text.
    var relocs: [(UInt64, UInt32, UInt32)] = [(0, 1, R_X86_64.pc32), (8, 2, R_X86_64.r64)]
    var strtab: [UInt8] = Array("\0foo\0bar\0".utf8)
    /// (name offset, section index) of the symbols after the null one; both global.
    var symbols: [(UInt32, UInt16)] = [(1, 1), (5, 0)]
    var textNameOffset: UInt32? = nil

    /// The object's bytes: header, .text, .rela.text, .symtab, .strtab, .shstrtab, headers.
    func bytes() -> [UInt8] {
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        let shstrtab = Array("\0.text\0.rela.text\0.symtab\0.strtab\0.shstrtab\0".utf8)
        var body: [UInt8] = []
        var offsets: [Int] = []
        func add(_ b: [UInt8]) { while (64 + body.count) % 8 != 0 { body.append(0) }; offsets.append(64 + body.count); body += b }
        add(text)
        add(relocs.flatMap { le($0.0) + le(UInt64($0.1) << 32 | UInt64($0.2)) + le(Int64(0)) })
        var syms = [UInt8](repeating: 0, count: 24)
        for (name, shndx) in symbols {
            syms += le(name) + [0x10 /* STB_GLOBAL, STT_NOTYPE */, 0] + le(shndx) + le(UInt64(0)) + le(UInt64(0))
        }
        add(syms)
        add(strtab)
        add(shstrtab)
        while (64 + body.count) % 8 != 0 { body.append(0) }
        let shoff = 64 + body.count
        func header(name: UInt32, type: UInt32, flags: UInt64 = 0, index: Int, link: UInt32 = 0, info: UInt32 = 0, entsize: UInt64 = 0, size: Int) -> [UInt8] {
            le(name) + le(type) + le(flags) + le(UInt64(0)) + le(UInt64(offsets[index])) + le(UInt64(size))
                + le(link) + le(info) + le(UInt64(1)) + le(entsize)
        }
        var sh = [UInt8](repeating: 0, count: 64)
        sh += header(name: textNameOffset ?? 1, type: SHT.progbits, flags: SHF.alloc | SHF.execinstr, index: 0, size: text.count)
        sh += header(name: 7, type: SHT.rela, index: 1, link: 3, info: 1, entsize: 24, size: relocs.count * 24)
        sh += header(name: 18, type: SHT.symtab, index: 2, link: 4, info: 1, entsize: 24, size: syms.count)
        sh += header(name: 26, type: SHT.strtab, index: 3, size: strtab.count)
        sh += header(name: 34, type: SHT.strtab, index: 4, size: shstrtab.count)
        var h = [UInt8](repeating: 0, count: 64)
        h[0..<4] = [0x7f, 0x45, 0x4c, 0x46]; h[4] = 2; h[5] = 1; h[6] = 1
        h.replaceSubrange(16..<20, with: le(UInt16(1)) + le(UInt16(62)))   // ET_REL, EM_X86_64
        h.replaceSubrange(40..<48, with: le(UInt64(shoff)))
        h.replaceSubrange(52..<54, with: le(UInt16(64)))
        h.replaceSubrange(58..<64, with: le(UInt16(64)) + le(UInt16(6)) + le(UInt16(5)))
        return h + body + sh
    }

    /// Parses the object; returns it, or the error message.
    func parse() -> Result<ObjectFile, LinkError> {
        let b = bytes()
        let p = UnsafeMutableRawPointer.allocate(byteCount: b.count, alignment: 8)  // kept: the object points into it
        p.copyMemory(from: b, byteCount: b.count)
        let obj = ObjectFile(displayName: "tiny.o", base: UnsafeRawPointer(p), size: b.count, priority: 0, isFromArchive: false)
        do throws(LinkError) { try obj.parse(); return .success(obj) } catch { return .failure(error) }
    }

    func error() -> String? {
        if case .failure(let e) = parse() { return e.message }
        return nil
    }
}

@Suite struct ReaderChecksTests {
    @Test func goodObjectReadsNamesAndRelocations() throws {
        let obj = try TinyObject().parse().get()
        #expect(obj.sectionNames[1].string == ".text")
        #expect(obj.symName(1).string == "foo" && obj.symName(2).string == "bar")
        let text = try #require(obj.sections[1])
        #expect(text.relocCount == 2 && text.reloc(1).offset == 8 && text.reloc(1).sym == 2)
    }

    @Test func stringTableWithoutFinalNULIsReadByBoundedSearch() throws {
        var t = TinyObject()
        t.strtab = Array("\0foo\0bar\0x".utf8)      // every name ends, the table does not
        let obj = try t.parse().get()
        #expect(obj.symName(1).string == "foo" && obj.symName(2).string == "bar")
        t.strtab = Array("\0foo\0bar".utf8)         // "bar" runs to the end
        #expect(t.error() == "tiny.o: corrupt object file: symbol 2 has a name offset 0x5 outside the string table or without a terminator")
        t.strtab = Array("\0foo\0bar\0".utf8)
        t.symbols[0].0 = 9                          // just past the table
        #expect(t.error() == "tiny.o: corrupt object file: symbol 1 has a name offset 0x9 outside the string table or without a terminator")
    }

    @Test func badSymbolSectionIndex() {
        var t = TinyObject()
        t.symbols[1].1 = 9
        #expect(t.error() == "tiny.o: corrupt object file: symbol 2 (bar) has section index 9, out of range (6 sections)")
        t.symbols[1].1 = SHN.abs                    // reserved indexes are fine
        #expect(t.error() == nil)
        t.symbols[1].1 = SHN.xindex
        #expect(t.error() == "tiny.o: corrupt object file: symbol 2 uses SHN_XINDEX but there is no .symtab_shndx section")
    }

    @Test func badRelocationsAreFoundInOrder() {
        var t = TinyObject()
        t.relocs = [(0, 1, R_X86_64.pc32), (4, 3, R_X86_64.pc32), (16, 1, R_X86_64.pc32)]
        #expect(t.error() == "tiny.o: corrupt object file: relocation 1 in .rela.text refers to symbol 3, out of range (3 symbols)")
        t.relocs = [(0, 1, R_X86_64.pc32), (16, 1, R_X86_64.pc32), (4, 3, R_X86_64.pc32)]
        #expect(t.error() == "tiny.o: corrupt object file: relocation 1 in .rela.text at offset 0x10 is outside its section (size 0x10)")
        t.relocs = [(UInt64.max, 1, R_X86_64.pc32)]
        #expect(t.error() == "tiny.o: corrupt object file: relocation 0 in .rela.text at offset 0xffffffffffffffff is outside its section (size 0x10)")
    }

    @Test func badRelocationsAmongManyAreFoundInOrder() {
        // The loop takes relocations four at a time: a bad one in a group, or after the groups.
        var t = TinyObject()
        let good: [(UInt64, UInt32, UInt32)] = (0..<9).map { (UInt64($0), 1, R_X86_64.pc32) }
        t.relocs = good
        #expect(t.error() == nil)
        t.relocs = good; t.relocs[6].1 = 7
        #expect(t.error() == "tiny.o: corrupt object file: relocation 6 in .rela.text refers to symbol 7, out of range (3 symbols)")
        t.relocs = good; t.relocs[5].1 = 3; t.relocs[2].0 = 16
        #expect(t.error() == "tiny.o: corrupt object file: relocation 2 in .rela.text at offset 0x10 is outside its section (size 0x10)")
        t.relocs = good; t.relocs[8].0 = 99
        #expect(t.error() == "tiny.o: corrupt object file: relocation 8 in .rela.text at offset 0x63 is outside its section (size 0x10)")
    }

    @Test func badSectionNameOffset() {
        var t = TinyObject()
        t.textNameOffset = 0x1000
        #expect(t.error() == "tiny.o: corrupt object file: section 1 has a name offset 0x1000 outside the section name table")
    }
}
