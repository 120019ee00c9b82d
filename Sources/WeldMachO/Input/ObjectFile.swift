import WeldCore

/// An arm64 MH_OBJECT, read in place. Parsing is independent per file and runs in parallel;
/// linking the file in (giving its symbols global ids) happens later, in command-line order.
final class ObjectFile {
    let name: String
    let base: UnsafeRawPointer
    let size: Int
    let headerFlags: UInt32
    var sections: [InputSection] = []
    var atoms: [Atom] = []
    var relocs: [Reloc] = []
    var nlists: [NList] = []
    /// For each nlist: the file-local atom and offset of its definition (-1 if not in a section).
    var symbolAtom: [Int32] = []
    var symbolOffset: [UInt32] = []
    let stringTable: UnsafeRawPointer
    let stringTableSize: Int
    var linkerOptions: [[String]] = []
    /// For each FDE atom of __eh_frame (file-local index), the CIE atom it uses.
    var cieOfFDE: [Int32: Int32] = [:]
    /// Optimization hints, sorted by atom (see OptimizationHints.swift).
    var hints: [OptimizationHint] = []
    /// Modification time for the debug map's N_OSO (dsymutil checks it against the file).
    var modificationTime: UInt64 = 0
    /// Set when the file joins the link.
    var index: Int32 = -1
    var atomBase: Int32 = 0
    var symbolIDs: [Int32] = []

    var subsectionsViaSymbols: Bool { headerFlags & MachO.mhSubsectionsViaSymbols != 0 }

    /// The name of nlist `i` as raw bytes in the mapping (no copy).
    func symbolName(_ i: Int) -> UnsafeRawBufferPointer {
        let strx = Int(nlists[i].strx)
        let p = stringTable + strx
        var n = 0
        while strx + n < stringTableSize && p.u8(n) != 0 { n += 1 }
        return UnsafeRawBufferPointer(start: p, count: n)
    }

    func symbolNameString(_ i: Int) -> String { String(decoding: symbolName(i), as: UTF8.self) }

    /// Where an atom's contents live in the input, or nil for zero-fill.
    func contents(ofAtom a: Atom) -> UnsafeRawPointer? {
        let s = sections[Int(a.section)]
        if s.isZerofill { return nil }
        return base + Int(s.offset) + Int(a.inputOffset)
    }

    /// "file.o:(__TEXT,__text+0x1c)" for diagnostics.
    func location(section: Int, offset: UInt64) -> String {
        let s = sections[section]
        return "\(name):(\(s.segname),\(s.sectname)+0x\(String(offset, radix: 16)))"
    }

    init(name: String, bytes: UnsafeRawBufferPointer) throws(LinkError) {
        self.name = name
        guard let base = bytes.baseAddress, bytes.count >= 32 else { throw LinkError("\(name): file is too small for a Mach-O header") }
        self.base = base
        self.size = bytes.count
        func bad(_ what: String) -> LinkError { LinkError("\(name): malformed Mach-O object: \(what)") }
        guard base.u32(0) == MachO.magic64 else { throw bad("bad magic 0x\(String(base.u32(0), radix: 16))") }
        let cpu = base.u32(4)
        guard cpu == MachO.cpuTypeARM64 else {
            throw LinkError("\(name): object is for \(cpu == MachO.cpuTypeX86_64 ? "x86_64" : "cpu type 0x\(String(cpu, radix: 16))"), not arm64")
        }
        guard base.u32(12) == MachO.mhObject else { throw bad("file type \(base.u32(12)) is not MH_OBJECT") }
        let ncmds = Int(base.u32(16)), sizeofcmds = Int(base.u32(20))
        headerFlags = base.u32(24)
        guard 32 + sizeofcmds <= size else { throw bad("load commands (\(sizeofcmds) bytes) run past the end of the file") }
        var symoff = 0, nsyms = 0, stroff = 0, strsize = 0
        var hintOffset = 0, hintSize = 0
        var off = 32
        for _ in 0..<ncmds {
            guard off + 8 <= 32 + sizeofcmds else { throw bad("load command at offset \(off) runs past sizeofcmds") }
            let cmd = base.u32(off), cmdsize = Int(base.u32(off + 4))
            guard cmdsize >= 8, off + cmdsize <= 32 + sizeofcmds else { throw bad("load command at offset \(off) has bad size \(cmdsize)") }
            switch cmd {
            case MachO.lcSegment64:
                guard cmdsize >= 72 else { throw bad("LC_SEGMENT_64 at offset \(off) is too small") }
                let nsects = Int(base.u32(off + 64))
                guard 72 + nsects * 80 <= cmdsize else { throw bad("LC_SEGMENT_64 at offset \(off): \(nsects) sections do not fit") }
                for k in 0..<nsects {
                    let s = off + 72 + k * 80
                    let sec = InputSection(
                        segname: base.fixedName(s + 16, 16), sectname: base.fixedName(s, 16),
                        addr: base.u64(s + 32), size: base.u64(s + 40), offset: base.u32(s + 48),
                        alignLog2: base.u32(s + 52), reloff: base.u32(s + 56), nreloc: base.u32(s + 60),
                        flags: base.u32(s + 64))
                    sections.append(sec)
                }
            case MachO.lcSymtab:
                guard cmdsize >= 24 else { throw bad("LC_SYMTAB too small") }
                symoff = Int(base.u32(off + 8)); nsyms = Int(base.u32(off + 12))
                stroff = Int(base.u32(off + 16)); strsize = Int(base.u32(off + 20))
            case MachO.lcLinkerOptimizationHint:
                guard cmdsize >= 16 else { throw bad("LC_LINKER_OPTIMIZATION_HINT at offset \(off) is too small") }
                hintOffset = Int(base.u32(off + 8)); hintSize = Int(base.u32(off + 12))
            case MachO.lcLinkerOption:
                guard cmdsize >= 12 else { throw bad("LC_LINKER_OPTION at offset \(off) is too small") }
                let count = Int(base.u32(off + 8))
                var p = off + 12
                var strings: [String] = []
                for _ in 0..<count {
                    var n = 0
                    while p + n < off + cmdsize && base.u8(p + n) != 0 { n += 1 }
                    guard p + n < off + cmdsize else { throw bad("LC_LINKER_OPTION at offset \(off): string runs past the command") }
                    strings.append(String(decoding: UnsafeRawBufferPointer(start: base + p, count: n), as: UTF8.self))
                    p += n + 1
                }
                linkerOptions.append(strings)
            default:
                break
            }
            off += cmdsize
        }
        guard symoff + nsyms * 16 <= size, stroff + strsize <= size, symoff >= 0 else {
            throw bad("symbol table (offset \(symoff), \(nsyms) entries) or string table (offset \(stroff), \(strsize) bytes) runs past the end of the file")
        }
        stringTable = base + stroff
        stringTableSize = strsize
        nlists.reserveCapacity(nsyms)
        for k in 0..<nsyms {
            let p = symoff + k * 16
            let n = NList(strx: base.u32(p), type: base.u8(p + 4), sect: base.u8(p + 5), desc: base.u16(p + 6), value: base.u64(p + 8))
            guard Int(n.strx) < max(strsize, 1) else { throw bad("symbol \(k) has string index \(n.strx) past the string table (\(strsize) bytes)") }
            if !n.isStab && n.kind == MachO.nSect && (n.sect == 0 || Int(n.sect) > sections.count) {
                throw bad("symbol \(k) refers to section \(n.sect); the file has \(sections.count)")
            }
            nlists.append(n)
        }
        for k in sections.indices {
            let s = sections[k]
            if !s.isZerofill && (s.size > UInt64(size) || Int(s.offset) + Int(s.size) > size) {
                throw bad("section \(s.segname),\(s.sectname) (offset \(s.offset), size \(s.size)) runs past the end of the file")
            }
            if s.nreloc > 0 && Int(s.reloff) + Int(s.nreloc) * 8 > size {
                throw bad("relocations of \(s.segname),\(s.sectname) run past the end of the file")
            }
            sections[k].kind = ObjectFile.classify(s)
        }
        try atomize()
        try readRelocations()
        findCIEs()
        hints = readOptimizationHints(offset: hintOffset, size: hintSize)
    }

    static func classify(_ s: InputSection) -> SectionKind {
        if s.segname == "__LD" && s.sectname == "__compact_unwind" { return .compactUnwind }
        if s.flags & MachO.attrDebug != 0 || s.segname == "__DWARF" { return .dropped }
        if s.segname == "__LLVM" { return .dropped }
        if s.sectname == "__eh_frame" { return .ehFrame }
        switch s.type {
        case MachO.sCStringLiterals: return .cstrings
        case MachO.s4ByteLiterals, MachO.s8ByteLiterals, MachO.s16ByteLiterals: return .literals
        default: return .regular
        }
    }

    /// Cuts every section into atoms and records where each defined symbol lands.
    private func atomize() throws(LinkError) {
        // Symbols by section, sorted by address: the cut points.
        var bySection = [[Int32]](repeating: [], count: sections.count)
        for (k, n) in nlists.enumerated() where !n.isStab && n.kind == MachO.nSect {
            bySection[Int(n.sect) - 1].append(Int32(k))
        }
        symbolAtom = [Int32](repeating: -1, count: nlists.count)
        symbolOffset = [UInt32](repeating: 0, count: nlists.count)
        for si in sections.indices {
            let s = sections[si]
            guard s.size <= UInt64(UInt32.max) else { throw LinkError("\(name): section \(s.segname),\(s.sectname) is larger than 4 GiB") }
            let size = UInt32(s.size)
            let first = Int32(atoms.count)
            var cuts: [UInt32] = [0]
            switch s.kind {
            case .dropped:
                break
            case .cstrings:
                let p = base + Int(s.offset)
                for i in 0..<Int(size) where p.u8(i) == 0 && i + 1 < Int(size) { cuts.append(UInt32(i + 1)) }
                if size > 0 && p.u8(Int(size) - 1) != 0 {
                    throw LinkError("\(location(section: si, offset: s.size)): C string literal section does not end with a NUL")
                }
            case .literals:
                let w: UInt32 = s.type == MachO.s4ByteLiterals ? 4 : s.type == MachO.s8ByteLiterals ? 8 : 16
                guard size % w == 0 else { throw LinkError("\(name): \(s.segname),\(s.sectname): size \(size) is not a multiple of \(w)") }
                var o = w
                while o < size { cuts.append(o); o += w }
            case .compactUnwind:
                guard size % 32 == 0 else { throw LinkError("\(name): __LD,__compact_unwind: size \(size) is not a multiple of 32") }
                var o: UInt32 = 32
                while o < size { cuts.append(o); o += 32 }
            case .ehFrame:
                // One atom per CIE and FDE, so FDEs go with their functions. A section whose
                // records do not tile it exactly (64-bit lengths, damage) stays whole.
                let p = base + Int(s.offset)
                var records: [UInt32] = []
                var pos = 0
                while pos + 8 <= Int(size) {
                    let length = Int(p.u32(pos))
                    if length == 0 || length == 0xffff_ffff || pos + 4 + length > Int(size) { break }
                    records.append(UInt32(pos))
                    pos += 4 + length
                }
                if pos == Int(size) && !records.isEmpty { cuts = records }
            case .regular:
                if subsectionsViaSymbols {
                    for k in bySection[si] {
                        let n = nlists[Int(k)]
                        if n.desc & MachO.nAltEntry != 0 { continue }
                        guard n.value >= s.addr && n.value <= s.addr + s.size else {
                            throw LinkError("\(name): symbol \(symbolNameString(Int(k))) (0x\(String(n.value, radix: 16))) lies outside its section \(s.segname),\(s.sectname)")
                        }
                        let o = UInt32(n.value - s.addr)
                        if o < size { cuts.append(o) }
                    }
                    cuts.sort()
                }
            }
            if s.kind != .dropped {
                var prev: UInt32 = UInt32.max
                var uniq: [UInt32] = []
                for c in cuts where c != prev { uniq.append(c); prev = c }
                if size == 0 { uniq = [0] }
                for (j, c) in uniq.enumerated() {
                    let end = j + 1 < uniq.count ? uniq[j + 1] : size
                    // An atom's alignment: the section's, reduced by how its offset is aligned.
                    let tz = c == 0 ? 64 : c.trailingZeroBitCount
                    var align = UInt8(min(Int(s.alignLog2), tz, 15))
                    // __eh_frame records must stay back to back: padding would read as a
                    // terminator. Only the section start is aligned.
                    if s.kind == .ehFrame && c != 0 { align = 0 }
                    atoms.append(Atom(file: -1, section: Int32(si), inputOffset: c, size: end - c, alignLog2: align))
                }
            }
            sections[si].firstAtom = first
            sections[si].atomCount = Int32(atoms.count) - first
            if s.kind == .dropped { continue }
            for k in bySection[si] {
                let n = nlists[Int(k)]
                guard n.value >= s.addr && n.value <= s.addr + s.size else {
                    throw LinkError("\(name): symbol \(symbolNameString(Int(k))) (0x\(String(n.value, radix: 16))) lies outside its section \(s.segname),\(s.sectname)")
                }
                let o = UInt32(n.value - s.addr)
                let a = atomContaining(section: si, offset: o)
                symbolAtom[Int(k)] = a
                symbolOffset[Int(k)] = o - atoms[Int(a)].inputOffset
            }
        }
    }

    /// The file-local atom of section `si` holding `offset` (an offset equal to the section size
    /// belongs to the last atom: "one past the end" symbols and pointers).
    func atomContaining(section si: Int, offset: UInt32) -> Int32 {
        let s = sections[si]
        var lo = Int(s.firstAtom), hi = Int(s.firstAtom + s.atomCount) - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if atoms[mid].inputOffset <= offset { lo = mid } else { hi = mid - 1 }
        }
        return Int32(lo)
    }

    private func readRelocations() throws(LinkError) {
        var list: [(atom: Int32, r: Reloc)] = []
        for si in sections.indices {
            let s = sections[si]
            if s.nreloc == 0 || s.kind == .dropped || s.atomCount == 0 { continue }
            list.removeAll(keepingCapacity: true)
            list.reserveCapacity(Int(s.nreloc))
            var pendingAddend: Int64? = nil
            var pendingSub: Int32? = nil
            let p = base + Int(s.reloff)
            for k in 0..<Int(s.nreloc) {
                let addr = p.i32(k * 8)
                let info = p.u32(k * 8 + 4)
                let symnum = Int(info & 0xff_ffff)
                let pcrel = (info >> 24) & 1 != 0
                let length = UInt8((info >> 25) & 3)
                let isExtern = (info >> 27) & 1 != 0
                let type = UInt8(info >> 28)
                if addr < 0 { throw LinkError("\(name): \(s.segname),\(s.sectname): scattered relocation \(k) is not valid on arm64") }
                // Only formatted when something is wrong: this loop runs once per relocation.
                var where_: String { location(section: si, offset: UInt64(addr)) }
                if type == ARM64Reloc.addend {
                    // The addend is a signed 24-bit value in r_symbolnum.
                    pendingAddend = Int64(Int32(bitPattern: UInt32(symnum) << 8) >> 8)
                    continue
                }
                if type == ARM64Reloc.subtractor {
                    guard isExtern, symnum < nlists.count else { throw LinkError("\(where_): ARM64_RELOC_SUBTRACTOR must name a symbol") }
                    pendingSub = Int32(symnum)
                    continue
                }
                let width = 1 << Int(length)
                guard UInt64(addr) + UInt64(width) <= s.size else {
                    throw LinkError("\(where_): \(ARM64Reloc.name(type)) runs past the end of the section")
                }
                if pendingSub != nil && type != ARM64Reloc.unsigned {
                    throw LinkError("\(where_): ARM64_RELOC_SUBTRACTOR must be followed by ARM64_RELOC_UNSIGNED")
                }
                var r = Reloc(offset: UInt32(addr), type: type, length: length, pcrel: pcrel, targetIsSymbol: isExtern,
                              target: Int32(symnum), subtrahend: pendingSub ?? -1, addend: pendingAddend ?? 0)
                let content = s.isZerofill ? nil : base + Int(s.offset) + Int(addr)
                if type == ARM64Reloc.unsigned, let content {
                    // Pointers and differences carry their addend in place.
                    r.addend = length == 3 ? Int64(bitPattern: content.u64(0)) : Int64(content.i32(0))
                }
                if isExtern {
                    guard symnum < nlists.count else { throw LinkError("\(where_): relocation names symbol \(symnum); the file has \(nlists.count)") }
                } else {
                    guard type == ARM64Reloc.unsigned, let content else {
                        throw LinkError("\(where_): section-relative \(ARM64Reloc.name(type)) is not supported (only ARM64_RELOC_UNSIGNED may be)")
                    }
                    guard symnum >= 1 && symnum <= sections.count else { throw LinkError("\(where_): relocation names section \(symnum); the file has \(sections.count)") }
                    let ts = sections[symnum - 1]
                    // The place holds the target's address (for a difference: target minus the
                    // subtracted symbol); find the atom that holds it.
                    var targetAddr = UInt64(bitPattern: length == 3 ? Int64(bitPattern: content.u64(0)) : Int64(content.i32(0)))
                    if let sub = pendingSub { targetAddr = targetAddr &+ nlists[Int(sub)].value }
                    guard targetAddr >= ts.addr && targetAddr <= ts.addr + ts.size, ts.atomCount > 0 else {
                        throw LinkError("\(where_): address 0x\(String(targetAddr, radix: 16)) is outside the target section \(ts.segname),\(ts.sectname)")
                    }
                    let ta = atomContaining(section: symnum - 1, offset: UInt32(targetAddr - ts.addr))
                    r.target = ta
                    r.addend = Int64(targetAddr - ts.addr) - Int64(atoms[Int(ta)].inputOffset)
                }
                pendingAddend = nil
                pendingSub = nil
                let a = atomContaining(section: si, offset: UInt32(addr))
                r.offset = UInt32(addr) - atoms[Int(a)].inputOffset
                list.append((a, r))
            }
            // Mach-O lists relocations last-to-first; sorted by atom and offset, each atom's
            // relocations are one contiguous run of `relocs` (sections are processed in order).
            list.sort { $0.atom != $1.atom ? $0.atom < $1.atom : $0.r.offset < $1.r.offset }
            relocs.reserveCapacity(relocs.count + list.count)
            var current: Int32 = -1
            for (a, r) in list {
                if a != current {
                    current = a
                    atoms[Int(a)].relocStart = Int32(relocs.count)
                }
                atoms[Int(a)].relocCount += 1
                relocs.append(r)
            }
        }
    }

    /// Pairs every FDE atom with its CIE atom (the FDE's second word is the distance back to
    /// its CIE). Sections kept whole have none.
    private func findCIEs() {
        for si in sections.indices where sections[si].kind == .ehFrame && sections[si].atomCount > 1 {
            let s = sections[si]
            let p = base + Int(s.offset)
            for k in 0..<Int(s.atomCount) {
                let a = s.firstAtom + Int32(k)
                let atom = atoms[Int(a)]
                guard atom.size >= 8 else { continue }
                let id = p.u32(Int(atom.inputOffset) + 4)
                if id == 0 { continue }   // a CIE
                let idField = Int64(atom.inputOffset) + 4
                let cieOffset = idField - Int64(id)
                guard cieOffset >= 0 else { continue }
                let cie = atomContaining(section: si, offset: UInt32(cieOffset))
                if atoms[Int(cie)].inputOffset == UInt32(cieOffset) { cieOfFDE[a] = cie }
            }
        }
    }
}
