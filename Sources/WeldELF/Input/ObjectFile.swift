import WeldCore

/// An ELF64 x86-64 relocatable object, read in place from its mapping (a file or an archive
/// member). `parse()` validates every header and table once, so later passes read without
/// bounds checks.
public final class ObjectFile: @unchecked Sendable {
    public let displayName: String          // "foo.o" or "libc.a(printf.o)"
    public let base: UnsafeRawPointer
    public let size: Int
    /// Position on the command line (archive members: their archive's position, then member
    /// order). Lower wins symbol resolution ties, which makes resolution order-independent.
    public let priority: Int64
    public var index: Int32 = -1            // index in Context.objects, assigned when loaded
    public var sections: [InputSection?] = []
    public var sectionNames: [NameRef] = []
    public var symtab: UnsafeRawPointer? = nil
    public var symbolCount = 0
    public var firstGlobal = 0
    public var strtab: UnsafeRawPointer? = nil
    public var strtabSize = 0
    public var symtabShndx: UnsafeRawPointer? = nil
    /// Length of each symbol's name (validated against the string table by parse()).
    public var nameLengths: [UInt32] = []
    /// Global symbol id for each global symbol (index - firstGlobal).
    public var symbolIds: [Int32] = []
    public var groups: [(signature: NameRef, members: GroupMembers)] = []
    public var groupIds: [Int32] = []
    /// For each COMDAT group: its signature symbol's index in this file (-r writes it back).
    public var groupSignatureSymbols: [Int] = []
    /// `.symver` definitions (`foo@@V2`, `foo@V1`): global index k, version name, hidden.
    public var symvers: [(k: Int, version: String, hidden: Bool)] = []
    public var hasExecStackNote = false      // .note.GNU-stack with SHF_EXECINSTR
    public var lacksStackNote = true
    /// GNU_PROPERTY_X86_FEATURE_1_AND bits, nil if the object has no such property.
    public var x86Features: UInt32? = nil
    public var isAlive = true
    /// Output address of each section's start, by section index, once laid out; `.max` where
    /// the address needs more than that (dead, split into pieces, not placed). The relocation
    /// loop reads a local target here instead of chasing the InputSection object (a cache miss
    /// per relocation). Filled by `computeSectionAddresses`. Plain memory, never freed (like the
    /// rest of the link's state), so the relocation loop reads it without retaining an array.
    public var sectionAddresses = UnsafeMutableBufferPointer<UInt64>(start: nil, count: 0)
    /// Where this file's slice of .rela.dyn starts (its sections' `dynRelocStart` are relative).
    public var dynRelocBase: Int32 = 0
    /// Local IFUNC symbols get a hidden global entry so they can have a PLT stub: sym → id.
    public var promotedLocals: [Int: Int32] = [:]
    /// Compressed sections (SHF_COMPRESSED or legacy `.zdebug_*`), inflated by
    /// `decompressSections` once resolution has decided which files are in the link.
    public var compressedInputs: [CompressedInput] = []
    public let isFromArchive: Bool
    /// The archive's file name for members ("libfoo.a"), for --exclude-libs.
    public var archiveName: String? = nil
    /// `.llvm.call-graph-profile` (clang with a profile): one 8-byte weight per edge, and a
    /// relocation pair per edge naming its caller and callee (read by SectionOrdering).
    /// `.llvm_addrsig`: ULEB128 indices of the symbols whose address is taken (for --icf=safe).
    public var addressSignificance: (bytes: UnsafeRawPointer, size: Int)? = nil
    public var callGraphProfile: (weights: UnsafeRawPointer, count: Int, relocs: UnsafeRawPointer?, relocCount: Int, relocSize: Int)? = nil

    public init(displayName: String, base: UnsafeRawPointer, size: Int, priority: Int64, isFromArchive: Bool) {
        self.displayName = displayName; self.base = base; self.size = size; self.priority = priority
        self.isFromArchive = isFromArchive
    }

    func corrupt(_ what: String) -> LinkError { LinkError("\(displayName): corrupt object file: \(what)") }

    /// Section header `i` (64 bytes), in place; parse() checked the table lies in the file.
    @inline(__always) public func sectionHeader(_ i: Int) -> UnsafeRawPointer {
        base + Int(base.u64(40)) + i * 64
    }

    // MARK: symbol fields (24-byte Elf64_Sym)
    @inline(__always) public func symName(_ i: Int) -> NameRef {
        // Lengths were measured once when the table was validated.
        NameRef(strtab! + Int(symtab!.u32(i * 24)), Int(nameLengths[i]))
    }
    @inline(__always) public func symInfo(_ i: Int) -> UInt8 { symtab!.u8(i * 24 + 4) }
    @inline(__always) public func symBind(_ i: Int) -> UInt8 { symInfo(i) >> 4 }
    @inline(__always) public func symType(_ i: Int) -> UInt8 { symInfo(i) & 0xf }
    @inline(__always) public func symOther(_ i: Int) -> UInt8 { symtab!.u8(i * 24 + 5) }
    @inline(__always) public func symVisibility(_ i: Int) -> UInt8 { symOther(i) & 3 }
    @inline(__always) public func symValue(_ i: Int) -> UInt64 { symtab!.u64(i * 24 + 8) }
    @inline(__always) public func symSize(_ i: Int) -> UInt64 { symtab!.u64(i * 24 + 16) }
    /// Section index of symbol i, with SHN_XINDEX resolved through .symtab_shndx.
    @inline(__always) public func symShndx(_ i: Int) -> UInt32 {
        let s = symtab!.u16(i * 24 + 6)
        if s == SHN.xindex, let x = symtabShndx { return x.u32(i * 4) }
        return UInt32(s)
    }
    public func isDefined(_ i: Int) -> Bool { symShndx(i) != UInt32(SHN.undef) }

    /// The live input section a defined symbol belongs to, nil for absolute/common/dropped.
    @inline(__always) public func symSection(_ i: Int) -> InputSection? {
        guard let s = definingSectionIndex(i) else { return nil }
        return sections[s]
    }

    /// The section index symbol i is defined in (SHN_XINDEX resolved), nil for undefined,
    /// absolute and common symbols.
    @inline(__always) func definingSectionIndex(_ i: Int) -> Int? {
        let raw = symtab!.u16(i * 24 + 6)
        if raw == SHN.undef || (raw >= SHN.loreserve && raw != SHN.xindex) { return nil }
        return raw == SHN.xindex ? Int(symtabShndx!.u32(i * 4)) : Int(raw)
    }

    /// The input section of symbol i (as `symSection`), not retained: the relocation and
    /// symbol-table loops ask this per entry. Valid while the file's sections are (the link).
    @inline(__always) public func symSectionUnretained(_ i: Int) -> Unmanaged<InputSection>? {
        guard let s = definingSectionIndex(i) else { return nil }
        return sectionUnretained(s)
    }

    /// `sections[index]`, not retained (see `symSectionUnretained`).
    @inline(__always) public func sectionUnretained(_ index: Int) -> Unmanaged<InputSection>? {
        sections.withUnsafeBufferPointer { buffer in
            // An Optional class reference is one pointer, nil being zero.
            let words = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UnsafeRawPointer?.self)
            return words[index].map { Unmanaged<InputSection>.fromOpaque($0) }
        }
    }

    /// `body(sections[index])`, lent without a retain.
    @inline(__always) public func withSection<R>(_ index: Int, _ body: (InputSection?) -> R) -> R {
        guard let u = sectionUnretained(index) else { return body(nil) }
        return u._withUnsafeGuaranteedRef { body($0) }
    }

    /// `body` with the live input section of symbol i (as `symSection`), lent without a retain.
    @inline(__always) public func withSymSection<R>(_ i: Int, _ body: (InputSection?) -> R) -> R {
        guard let u = symSectionUnretained(i) else { return body(nil) }
        return u._withUnsafeGuaranteedRef { body($0) }
    }

    // MARK: parsing

    /// Parses and validates the whole file. Resolution runs the same three stages itself, so
    /// that a big object's symbols and sections can be read on two threads at once.
    public func parse() throws(LinkError) {
        try parseHeaders()
        try parseSymbols()
        try parseSections()
    }

    /// Number of section headers, set by `parseHeaders` (read by the stages that may run side
    /// by side, which must not read `sections` while the other fills it).
    public private(set) var sectionCount = 0
    /// SHT_GROUP sections, found by `parseHeaders`: at most one COMDAT group each.
    public private(set) var groupSectionCount = 0
    private var sectionNameTable = 0
    private var symtabShndxSize = 0

    /// The bytes of section `i`'s contents if they lie inside the file, whatever its type
    /// says (tables the parser reads: names, strings, symbols).
    private func tableBytes(_ i: Int, _ what: String) throws(LinkError) -> (UnsafeRawPointer, Int) {
        let h = sectionHeader(i)
        let off = h.u64(24), sz = h.u64(32)
        if off > UInt64(size) || sz > UInt64(size) - off {
            throw corrupt("\(what) (section \(i), offset 0x\(hex(off)), size 0x\(hex(sz))) extends past the end of the file (\(size) bytes)")
        }
        return (base + Int(off), Int(sz))
    }

    /// Stage 1: the ELF header, the section header table (its name table checked to lie in the
    /// file; the names are read by `parseSections`), and where the symbol table and its strings
    /// are (`symbolCount`, `firstGlobal`, `groupSectionCount`: what interning needs reserved).
    public func parseHeaders() throws(LinkError) {
        let b = base
        if size < 64 { throw corrupt("file is too small for an ELF header (\(size) bytes)") }
        if b.u32(0) != 0x464c_457f { throw LinkError("\(displayName): not an ELF file") }
        if b.u8(4) != 2 { throw LinkError("\(displayName): is a 32-bit ELF file; weld links ELF64 x86-64") }
        if b.u8(5) != 1 { throw LinkError("\(displayName): is big-endian; weld links little-endian x86-64") }
        let type = b.u16(16), machine = b.u16(18)
        if machine != EM_X86_64 { throw LinkError("\(displayName): is for machine \(machine), not x86-64 (62)") }
        if type != ET.rel { throw LinkError("\(displayName): is not a relocatable object (e_type \(type))") }
        let shoff = b.u64(40)
        let shentsize = Int(b.u16(58))
        var shnum = Int(b.u16(60))
        var shstrndx = Int(b.u16(62))
        if shoff == 0 { return }
        if shentsize != 64 { throw corrupt("e_shentsize is \(shentsize), expected 64") }
        if shoff > UInt64(size) || shoff % 8 != 0 && shoff > UInt64(size) - 64 { throw corrupt("section header offset 0x\(hex(shoff)) is outside the file") }
        if shnum == 0 {
            if shoff + 64 > UInt64(size) { throw corrupt("section header offset 0x\(hex(shoff)) is outside the file") }
            let count = b.u64(Int(shoff) + 32)  // sh_size of section 0 holds the real count
            if count > (UInt64(size) - shoff) / 64 { throw corrupt("\(count) section headers at offset 0x\(hex(shoff)) run past the end of the file (\(size) bytes)") }
            shnum = Int(count)
        }
        if UInt64(shnum) > (UInt64(size) - shoff) / 64 { throw corrupt("\(shnum) section headers at offset 0x\(hex(shoff)) run past the end of the file (\(size) bytes)") }
        if shstrndx == Int(SHN.xindex) && shnum > 0 { shstrndx = Int(b.u32(Int(shoff) + 40)) }
        let sh = b + Int(shoff)
        @inline(__always) func hdr(_ i: Int) -> UnsafeRawPointer { sh + i * 64 }
        // Every section's contents must lie inside the file.
        let outside = Self.firstSectionOutside(sh, count: shnum, fileSize: UInt64(size))
        if outside >= 0 {
            let off = hdr(outside).u64(24), sz = hdr(outside).u64(32)
            throw corrupt("section \(outside) (offset 0x\(hex(off)), size 0x\(hex(sz))) extends past the end of the file (\(size) bytes)")
        }
        if shstrndx >= shnum { throw corrupt("section name table index \(shstrndx) is out of range (\(shnum) sections)") }
        // A table the parser reads (names, strings) must lie inside the file whatever its type
        // says: the loop above skips SHT_NOBITS and section 0.
        _ = try tableBytes(shstrndx, "section name table")
        sectionNameTable = shstrndx
        sections = [InputSection?](repeating: nil, count: shnum)
        sectionCount = shnum
        var symtabIndex = -1
        for i in 0..<shnum {
            let t = hdr(i).u32(4)
            if t == SHT.symtab { symtabIndex = i }
            if t == SHT.symtabShndx { (symtabShndx, symtabShndxSize) = try tableBytes(i, "extended section index table") }
            if t == SHT.group { groupSectionCount += 1 }
        }
        if symtabIndex >= 0 {
            let h = hdr(symtabIndex)
            if h.u64(56) != 24 { throw corrupt("symbol table entry size is \(h.u64(56)), expected 24") }
            let (p, sz) = try tableBytes(symtabIndex, "symbol table")
            symtab = p
            symbolCount = sz / 24
            firstGlobal = Int(h.u32(44))
            if firstGlobal > symbolCount || firstGlobal == 0 && symbolCount > 0 { throw corrupt("symbol table sh_info \(firstGlobal) is out of range (\(symbolCount) symbols)") }
            let link = Int(h.u32(40))
            if link >= shnum || link == 0 { throw corrupt("symbol table links to section \(link), out of range") }
            (strtab, strtabSize) = try tableBytes(link, "symbol string table")
        }
    }

    /// Stage 2a: validates every symbol's name and section index once, keeping name lengths.
    /// Needs only `parseHeaders`; may run beside `parseSections`.
    public func parseSymbols() throws(LinkError) {
        guard let st = symtab, let str = strtab else { return }
        let count = symbolCount, strSize = strtabSize, shnum = sectionCount
        let xindex = symtabShndx, xindexSize = symtabShndxSize
        var bad = -1
        nameLengths = [UInt32](unsafeUninitializedCapacity: count) { lengths, n in
            bad = Self.scanSymbols(st, count: count, str, size: strSize, xindex, size: xindexSize, shnum: shnum, lengths: lengths.baseAddress)
            n = bad < 0 ? count : bad
        }
        if bad >= 0 { throw symbolError(bad) }
    }

    /// Says what is wrong with symbol `s` (the scan only finds it).
    private func symbolError(_ s: Int) -> LinkError {
        let st = symtab!, str = strtab!, strSize = strtabSize, shnum = sectionCount
        let nameOff = Int(st.u32(s * 24)), shndx = st.u16(s * 24 + 6)
        guard nameOff == 0 && strSize == 0 || str.cStringLength(nameOff, limit: nameOff < strSize ? strSize - nameOff : 0).map({ $0 <= UInt32.max }) == true else {
            return corrupt("symbol \(s) has a name offset 0x\(hex(UInt64(nameOff))) outside the string table or without a terminator")
        }
        let name = strSize == 0 ? "" : String(cString: (str + nameOff).assumingMemoryBound(to: CChar.self))
        if shndx == SHN.xindex {
            if symtabShndx == nil { return corrupt("symbol \(s) uses SHN_XINDEX but there is no .symtab_shndx section") }
            if s * 4 + 4 > symtabShndxSize { return corrupt("symbol \(s) uses SHN_XINDEX but .symtab_shndx has only \(symtabShndxSize / 4) entries") }
            return corrupt("symbol \(s) (\(name)) has section index out of range")
        }
        return corrupt("symbol \(s) (\(name)) has section index \(shndx), out of range (\(shnum) sections)")
    }

    /// Stage 2b: the sections that go to the output, COMDAT groups, notes, and relocation
    /// sections attached to their targets. Needs only `parseHeaders` (a group's signature is
    /// checked here on its own), so it may run beside `parseSymbols`; if both find something
    /// wrong, the symbol's error is the one to report, as `parse()` would.
    public func parseSections() throws(LinkError) {
        let b = base
        let shnum = sectionCount
        @inline(__always) func hdr(_ i: Int) -> UnsafeRawPointer { sectionHeader(i) }
        if shnum == 0 { return }
        // Section names here, not with the headers: the swift workload's Swift.o has 26,000,
        // and the headers of a whole wave are read before any file's symbols or sections.
        let (shstr, shstrSize) = try tableBytes(sectionNameTable, "section name table")
        var badName = -1
        sectionNames = [NameRef](unsafeUninitializedCapacity: shnum) { names, n in
            badName = Self.nameSections(hdr(0), count: shnum, shstr, size: shstrSize, into: names.baseAddress)
            n = badName < 0 ? shnum : badName
        }
        if badName >= 0 {
            throw corrupt("section \(badName) has a name offset 0x\(hex(UInt64(hdr(badName).u32(0)))) outside the section name table")
        }
        // Sections that go to the output.
        for i in 1..<max(shnum, 1) {
            let h = hdr(i)
            let t = h.u32(4)
            var flags = h.u64(8)
            var name = sectionNames[i]
            switch t {
            case SHT.null, SHT.symtab, SHT.strtab, SHT.rela, SHT.rel, SHT.symtabShndx:
                continue
            case SHT.group:
                try parseGroup(h, index: i, shnum: shnum)
                continue
            default: break
            }
            if t == SHT.llvmAddrsig {
                let (p, size) = try tableBytes(i, "address-significance table")
                addressSignificance = (p, size)
                continue
            }
            if t == SHT.llvmCallGraphProfile {
                let (p, size) = try tableBytes(i, "call graph profile")
                callGraphProfile = (p, size / 8, nil, 0, 24)
                continue
            }
            if name.equals(".note.GNU-stack") {
                lacksStackNote = false
                if flags & SHF.execinstr != 0 { hasExecStackNote = true }
                continue
            }
            if name.equals(".note.gnu.property") {
                if t == SHT.nobits { throw corrupt("section .note.gnu.property has no contents (SHT_NOBITS)") }
                parseGNUProperty(b + Int(h.u64(24)), Int(h.u64(32)))
                continue
            }
            if flags & SHF.exclude != 0 && flags & SHF.alloc == 0 { continue }
            if name.hasPrefix(".gnu.lto_") || name.hasPrefix(".llvm.lto") {
                throw LinkError("\(displayName): is an LTO object (section \(name.string)); weld does not support LTO yet: compile without -flto")
            }
            // A compressed section gets its uncompressed size and alignment now (relocation
            // offsets are checked against them below) and its contents after resolution.
            var size = h.u64(32), align = h.u64(48)
            var compressed: CompressedHeader? = nil
            if flags & SHF.compressed != 0 {
                if flags & SHF.alloc != 0 { throw corrupt("section \(name.string) is both allocated and compressed (SHF_ALLOC with SHF_COMPRESSED)") }
                if t == SHT.nobits { throw corrupt("section \(name.string) is compressed but has no contents (SHT_NOBITS)") }
                compressed = try compressedHeader(section: name, offset: h.u64(24), size: size)
                flags &= ~SHF.compressed
            } else if name.hasPrefix(".zdebug") && flags & SHF.alloc == 0 && t != SHT.nobits,
                      let legacy = try legacyCompressedHeader(section: name, offset: h.u64(24), size: size, align: align) {
                compressed = legacy
                name = uncompressedName(ofLegacy: name)   // .zdebug_info -> .debug_info
                sectionNames[i] = name
            }
            if let c = compressed { size = c.size; align = c.align }
            // Non-allocated sections are kept (debug info, .comment, .note.stapsdt, …) except
            // those addressed to the linker itself.
            if flags & SHF.alloc == 0 && (t == 0x6fff_4c09 /* SHT_LLVM_CALL_GRAPH_PROFILE */ || name.equals(".llvm_addrsig") || name.hasPrefix(".gnu.warning")) { continue }
            if align > 1 << 30 { throw corrupt("section \(name.string) has alignment \(align), too large") }
            if align & (align &- 1) != 0 { throw corrupt("section \(name.string) has alignment \(align), not a power of two") }
            let sec = InputSection(file: self, index: i, name: name, type: t, flags: flags, data: b + Int(t == SHT.nobits ? 0 : h.u64(24)),
                                   size: size, align: align, entsize: h.u64(56), info: h.u32(44))
            sections[i] = sec
            if flags & SHF.linkOrder != 0 {
                let link = h.u32(40)
                if Int(link) >= shnum { throw corrupt("section \(name.string) (SHF_LINK_ORDER) links to section \(link), out of range") }
                sec.linkOrder = link
            }
            if let c = compressed {
                compressedInputs.append(CompressedInput(sectionIndex: i, format: c.format, payloadOffset: c.payloadOffset, payloadSize: c.payloadSize))
            }
        }
        // Attach relocation sections to their targets.
        for i in 1..<max(shnum, 1) {
            let h = hdr(i)
            let t = h.u32(4)
            if let cg = callGraphProfile, t == SHT.rel || t == SHT.rela, Int(h.u32(44)) < shnum, hdr(Int(h.u32(44))).u32(4) == SHT.llvmCallGraphProfile {
                // LLVM writes these as REL even on x86-64: only the symbol of each entry matters.
                let entsize = t == SHT.rel ? 16 : 24
                if h.u64(56) != UInt64(entsize) { throw corrupt("relocation section \(sectionNames[i].string) has entry size \(h.u64(56)), expected \(entsize)") }
                let (p, size) = try tableBytes(i, "call graph profile relocations")
                callGraphProfile = (cg.weights, cg.count, p, size / entsize, entsize)
                continue
            }
            if t == SHT.rel { throw corrupt("section \(sectionNames[i].string) has REL relocations; x86-64 objects use RELA") }
            if t != SHT.rela { continue }
            let target = Int(h.u32(44))
            if target >= shnum { throw corrupt("relocation section \(sectionNames[i].string) applies to section \(target), out of range") }
            guard let sec = sections[target] else { continue }
            if h.u64(56) != 24 { throw corrupt("relocation section \(sectionNames[i].string) has entry size \(h.u64(56)), expected 24") }
            let relocs = b + Int(h.u64(24)), count = Int(h.u64(32) / 24)
            sec.relocs = relocs
            sec.relocCount = count
            let r = Self.firstBadRelocation(relocs, count: count, symbolLimit: UInt64(max(symbolCount, 1)), sectionSize: sec.size)
            if r >= 0 {
                let rel = sec.reloc(r)
                if rel.sym >= max(symbolCount, 1) {
                    throw corrupt("relocation \(r) in \(sectionNames[i].string) refers to symbol \(rel.sym), out of range (\(symbolCount) symbols)")
                }
                throw corrupt("relocation \(r) in \(sectionNames[i].string) at offset 0x\(hex(rel.offset)) is outside its section (size 0x\(hex(sec.size)))")
            }
        }
    }

    // The per-item checks, as tight loops of their own (inside parse() the optimizer keeps
    // their state in memory): each returns the first bad item, or -1, and parse() says what is
    // wrong with it. `scripts/measure-check-cost.sh` measures what they cost.

    /// The first of sections 1..<count (headers at `sh`) whose contents are not inside a file
    /// of `fileSize` bytes (SHT_NOBITS sections have none), or -1.
    @inline(never)
    static func firstSectionOutside(_ sh: UnsafeRawPointer, count: Int, fileSize: UInt64) -> Int {
        var i = 1
        while i < count {
            let h = sh + i &* 64
            if h.u32(4) != SHT.nobits {
                let off = h.u64(24), sz = h.u64(32)
                if off > fileSize || sz > fileSize &- off { return i }
            }
            i &+= 1
        }
        return -1
    }

    /// Names `count` sections (headers at `sh`) from the name table `shstr` of `size` bytes into
    /// `names`; returns the first section whose name is not inside the table, or -1.
    @inline(never)
    static func nameSections(_ sh: UnsafeRawPointer, count: Int, _ shstr: UnsafeRawPointer, size: Int,
                             into names: UnsafeMutablePointer<NameRef>?) -> Int {
        guard let names else { return -1 }
        let terminated = shstr.endsWithNUL(size: size)
        for i in 0..<count {
            let off = Int(sh.u32(i &* 64))
            guard let len = shstr.stringLength(at: off, tableSize: size, terminated: terminated) else { return i }
            (names + i).initialize(to: NameRef(shstr + off, len))
        }
        return -1
    }

    /// Measures the names of `count` symbols (table at `st`) into `lengths` and checks their
    /// section indexes; returns the first symbol whose name is outside the string table `str`
    /// (of `size` bytes; an empty table leaves every name empty) or whose section index is
    /// out of range, or -1.
    @inline(never)
    static func scanSymbols(_ st: UnsafeRawPointer, count: Int, _ str: UnsafeRawPointer, size: Int,
                            _ xindex: UnsafeRawPointer?, size xindexSize: Int, shnum: Int,
                            lengths: UnsafeMutablePointer<UInt32>?) -> Int {
        guard let lengths else { return -1 }
        let terminated = str.endsWithNUL(size: size)
        // Indexes below this need no other look: one compare for most symbols.
        let plainLimit = min(shnum, Int(SHN.loreserve))
        for s in 0..<count {
            let e = st + s &* 24
            let nameOff = Int(e.u32(0))
            var len = 0
            if nameOff != 0 || size != 0 {
                guard let l = str.stringLength(at: nameOff, tableSize: size, terminated: terminated), l <= UInt32.max else { return s }
                len = l
            }
            (lengths + s).initialize(to: UInt32(truncatingIfNeeded: len))
            let shndx = Int(e.u16(6))
            if shndx >= plainLimit {
                if shndx == Int(SHN.xindex) {
                    guard let x = xindex, s &* 4 &+ 4 <= xindexSize, Int(x.u32(s &* 4)) < shnum else { return s }
                } else if shndx < Int(SHN.loreserve) {
                    return s
                }
            }
        }
        return -1
    }

    /// The first of `count` RELA entries at `p` naming a symbol at or past `symbolLimit` or
    /// an offset at or past `sectionSize`, or -1.
    @inline(never)
    static func firstBadRelocation(_ p: UnsafeRawPointer, count: Int, symbolLimit: UInt64, sectionSize: UInt64) -> Int {
        // The symbol index is the high half of r_info.
        @inline(__always) func bad(_ q: UnsafeRawPointer) -> Bool { UInt64(q.u32(12)) >= symbolLimit || q.u64(0) >= sectionSize }
        // Four at a time while all are good (the common case), then one at a time: the first
        // bad one, or the last few.
        var r = 0
        while r &+ 4 <= count {
            let q = p + r &* 24
            if bad(q) || bad(q + 24) || bad(q + 48) || bad(q + 72) { break }
            r &+= 4
        }
        while r < count {
            if bad(p + r &* 24) { return r }
            r &+= 1
        }
        return -1
    }

    private func parseGroup(_ h: UnsafeRawPointer, index: Int, shnum: Int) throws(LinkError) {
        let data = base + Int(h.u64(24))
        let count = Int(h.u64(32) / 4)
        if count == 0 { return }
        let flags = data.u32(0)
        let sigSym = Int(h.u32(44))
        guard symtab != nil, sigSym < symbolCount else { throw corrupt("group section \(index) names signature symbol \(sigSym), out of range") }
        for k in 1..<count {
            let m = data.u32(k * 4)
            if Int(m) >= shnum { throw corrupt("group section \(index) lists member section \(m), out of range") }
        }
        if flags & 1 == 0 { return } // not GRP_COMDAT: nothing to deduplicate
        let members = GroupMembers(words: data + 4, count: count - 1)
        // Read on its own, not through `nameLengths`: parseSymbols may be running beside this.
        // What is wrong with the symbol is said as parseSymbols says it.
        let e = symtab! + sigSym * 24, str = strtab!
        let nameOff = Int(e.u32(0))
        var length = 0
        if nameOff != 0 || strtabSize != 0 {
            guard let n = str.stringLength(at: nameOff, tableSize: strtabSize, terminated: str.endsWithNUL(size: strtabSize)) else { throw symbolError(sigSym) }
            length = n
        }
        var sig = NameRef(str + nameOff, length)
        if e.u8(4) & 0xf == STT.section {
            var s = Int(e.u16(6))
            if s == Int(SHN.xindex) {
                guard let x = symtabShndx, sigSym * 4 + 4 <= symtabShndxSize else { throw symbolError(sigSym) }
                s = Int(x.u32(sigSym * 4))
            }
            if s < sectionNames.count { sig = sectionNames[s] }
        }
        groups.append((sig, members))
        groupSignatureSymbols.append(sigSym)
    }

    private func parseGNUProperty(_ p: UnsafeRawPointer, _ size: Int) {
        // Notes: namesz, descsz, type, "GNU\0", then properties (type, datasz, data, pad to 8).
        var off = 0
        while off + 16 <= size {
            let namesz = Int(p.u32(off)), descsz = Int(p.u32(off + 4)), type = p.u32(off + 8)
            let descOff = off + 12 + ((namesz + 3) & ~3)
            if descOff + descsz > size { return }
            if type == 5 { // NT_GNU_PROPERTY_TYPE_0
                var q = descOff
                while q + 8 <= descOff + descsz {
                    let ptype = p.u32(q), psz = Int(p.u32(q + 4))
                    if ptype == 0xc000_0002 && psz == 4 && q + 12 <= descOff + descsz { // X86_FEATURE_1_AND
                        x86Features = p.u32(q + 8)
                    }
                    q += 8 + ((psz + 7) & ~7)
                }
            }
            off = descOff + ((descsz + 7) & ~7)
        }
    }
}

/// The member section indexes of a COMDAT group, read in place from its SHT_GROUP section
/// (parse() checked each): one array per group was one heap allocation per group, 88,000 of
/// them in the lld workload.
public struct GroupMembers: Sequence {
    let words: UnsafeRawPointer
    public let count: Int
    public func makeIterator() -> Iterator { Iterator(p: words, end: words + count * 4) }
    public struct Iterator: IteratorProtocol {
        var p: UnsafeRawPointer
        let end: UnsafeRawPointer
        public mutating func next() -> UInt32? {
            if p >= end { return nil }
            defer { p += 4 }
            return p.u32(0)
        }
    }
}

@inline(__always) func hex(_ v: UInt64) -> String { String(v, radix: 16) }
@inline(__always) func hex(_ v: Int) -> String { String(v, radix: 16) }

#if canImport(Glibc)
import Glibc
#endif
