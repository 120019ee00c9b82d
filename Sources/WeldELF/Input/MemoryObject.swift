#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// A relocatable object weld builds in memory for inputs that are not objects (`-b binary`
/// files, the --package-metadata note), so every later pass treats them like any other input.
/// The bytes live as long as the link, like a mapping.
struct MemoryObject {
    struct Section {
        var name: String
        var type: UInt32
        var flags: UInt64
        var align: UInt64
        var contents: UnsafeRawBufferPointer
        var entsize: UInt64 = 0
    }
    struct GlobalSymbol {
        var name: String
        var section: Int?        // index into `sections`; nil: absolute
        var value: UInt64
    }
    var sections: [Section] = []
    var symbols: [GlobalSymbol] = []

    /// Lays out: ELF header, section contents, .symtab, .strtab, .shstrtab, section headers
    /// (null, the sections in order, .symtab, .strtab, .shstrtab, an empty .note.GNU-stack so
    /// the input asks for no executable stack).
    func build(displayName: String, priority: Int64) -> ObjectFile {
        var shstrtab: [UInt8] = [0]
        func addName(_ s: String) -> UInt32 { let o = UInt32(shstrtab.count); shstrtab += Array(s.utf8) + [0]; return o }
        var strtab: [UInt8] = [0]
        let symNames = symbols.map { s -> UInt32 in let o = UInt32(strtab.count); strtab += Array(s.name.utf8) + [0]; return o }
        let secNames = sections.map { addName($0.name) }
        let symtabName = addName(".symtab"), strtabName = addName(".strtab"), shstrtabName = addName(".shstrtab")
        let stackName = addName(".note.GNU-stack")

        var off = 64
        var contentOffsets: [Int] = []
        for s in sections {
            off = (off + Int(max(s.align, 1)) - 1) & ~(Int(max(s.align, 1)) - 1)
            contentOffsets.append(off)
            off += s.contents.count
        }
        let symOff = (off + 7) & ~7
        let symCount = symbols.count + 1
        let strOff = symOff + symCount * 24
        let shstrOff = strOff + strtab.count
        let shOff = (shstrOff + shstrtab.count + 7) & ~7
        let symtabIndex = sections.count + 1
        let sectionCount = sections.count + 5
        let total = shOff + sectionCount * 64
        let p = UnsafeMutableRawPointer.allocate(byteCount: total, alignment: 8)
        memset(p, 0, total)
        // ELF header: ELF64, little-endian, ET_REL, x86-64.
        p.w32(0, 0x464c_457f); p.w8(4, 2); p.w8(5, 1); p.w8(6, 1)
        p.w16(16, ET.rel); p.w16(18, EM_X86_64); p.w32(20, 1)
        p.w64(40, UInt64(shOff)); p.w16(52, 64); p.w16(58, 64)
        p.w16(60, UInt16(sectionCount)); p.w16(62, UInt16(symtabIndex + 2))
        for (i, s) in sections.enumerated() where s.contents.count > 0 {
            (p + contentOffsets[i]).copyMemory(from: s.contents.baseAddress!, byteCount: s.contents.count)
        }
        for (k, s) in symbols.enumerated() {
            let e = p + symOff + (k + 1) * 24
            e.w32(0, symNames[k]); e.w8(4, STB.global << 4 | STT.notype)
            e.w16(6, s.section.map { UInt16($0 + 1) } ?? SHN.abs); e.w64(8, s.value)
        }
        strtab.withUnsafeBytes { (p + strOff).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        shstrtab.withUnsafeBytes { (p + shstrOff).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        func header(_ i: Int, name: UInt32, type: UInt32, flags: UInt64 = 0, offset: Int, size: Int, link: UInt32 = 0, info: UInt32 = 0, align: UInt64, entsize: UInt64 = 0) {
            let h = p + shOff + i * 64
            h.w32(0, name); h.w32(4, type); h.w64(8, flags); h.w64(24, UInt64(offset)); h.w64(32, UInt64(size))
            h.w32(40, link); h.w32(44, info); h.w64(48, align); h.w64(56, entsize)
        }
        for (i, s) in sections.enumerated() {
            header(i + 1, name: secNames[i], type: s.type, flags: s.flags, offset: contentOffsets[i], size: s.contents.count, align: s.align, entsize: s.entsize)
        }
        header(symtabIndex, name: symtabName, type: SHT.symtab, offset: symOff, size: symCount * 24,
               link: UInt32(symtabIndex + 1), info: 1, align: 8, entsize: 24)
        header(symtabIndex + 1, name: strtabName, type: SHT.strtab, offset: strOff, size: strtab.count, align: 1)
        header(symtabIndex + 2, name: shstrtabName, type: SHT.strtab, offset: shstrOff, size: shstrtab.count, align: 1)
        header(symtabIndex + 3, name: stackName, type: SHT.progbits, offset: shOff, size: 0, align: 1)
        return ObjectFile(displayName: displayName, base: UnsafeRawPointer(p), size: total, priority: priority, isFromArchive: false)
    }
}
