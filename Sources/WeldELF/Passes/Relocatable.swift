#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// `-r`: merges the input objects (and the archive members they need) into one relocatable
/// object that keeps everything a later link needs: sections of the same name concatenated
/// (not renamed: `.text.foo` stays `.text.foo`), their relocations rewritten for the new
/// offsets and symbol indexes, local symbols, global definitions (with their `.symver`
/// names), commons and undefined references, and COMDAT groups.
///
/// A COMDAT group that several inputs have is kept once (the copy resolution chose), as GNU
/// ld and lld do: .eh_frame loses the FDEs of the dropped copies (its records are packed), and
/// a debug section's relocations against them become R_X86_64_NONE. Not yet:
/// .note.gnu.property properties other than the x86 feature bits, more than 65279 sections.
func linkRelocatable(_ ctx: Context) throws(LinkError) {
    let syms = ctx.symbols

    // 1. Output sections: group members one per output section (a group lists sections, so
    //    its members cannot share one with other code), everything else by name.
    var outs: [RelocatableSection] = []
    var byName: [String: Int] = [:]
    var groups: [(obj: ObjectFile, group: Int, members: [Int])] = []
    for obj in ctx.objects {
        var groupOf: [Int: Int] = [:]   // input section index → group index in obj
        for (gi, g) in obj.groups.enumerated() { for m in g.members { groupOf[Int(m)] = gi } }
        var groupMembers = [[Int]](repeating: [], count: obj.groups.count)
        // SHF_LINK_ORDER sections after the others: they go with the output section of the
        // section they accompany, which must be placed first.
        let live = obj.sections.compactMap { $0 }.filter { $0.alive }
        for sec in live.filter({ $0.linkOrder == 0 }) + live.filter({ $0.linkOrder != 0 }) {
            var name = sec.name.string
            // Mergeable sections only join sections of the same kind: the later link splits
            // them by the output's entsize and flags.
            if sec.flags & SHF.merge != 0 { name += "\u{1}\(sec.flags & (SHF.merge | SHF.strings))\u{1}\(sec.entsize)" }
            // Nor do NOBITS and PROGBITS sections of one name (the output's type decides
            // whether its bytes are written).
            if sec.type == SHT.nobits { name += "\u{2}" }
            var linkedOutput = -1
            if sec.linkOrder != 0, let target = obj.sections[Int(sec.linkOrder)], target.alive, target.outputIndex >= 0 {
                linkedOutput = Int(target.outputIndex)
                // One output section per accompanied output section (`__patchable_function_entries`
                // of .text.a and of .text.b stay apart).
                name += "\u{0}\(linkedOutput)"
            }
            let o: Int
            if let gi = groupOf[sec.index] {
                o = outs.count
                outs.append(RelocatableSection(name: sec.name.string, type: sec.type, flags: sec.flags | SHF.group, entsize: sec.entsize))
                groupMembers[gi].append(o)
            } else if let existing = byName[name] {
                o = existing
                outs[o].flags |= sec.flags & ~SHF.group
            } else {
                o = outs.count
                outs.append(RelocatableSection(name: sec.name.string, type: sec.type, flags: sec.flags & ~SHF.group, entsize: sec.entsize))
                byName[name] = o
            }
            // .eh_frame: only the records of kept functions, packed.
            var size = sec.size, relocCount = sec.relocCount
            if sec.name.equals(".eh_frame") && sec.type == SHT.progbits || sec.type == SHT.x86_64Unwind {
                (size, relocCount) = packEhFrame(ctx, sec)
            }
            outs[o].linkedOutput = linkedOutput
            outs[o].align = max(outs[o].align, sec.align)
            outs[o].size = alignUp(outs[o].size, sec.align)
            sec.outputIndex = Int32(o)
            sec.outOffset = outs[o].size
            outs[o].size += size
            outs[o].members.append(sec)
            outs[o].relocCount += relocCount
        }
        for (gi, members) in groupMembers.enumerated() where !members.isEmpty { groups.append((obj, gi, members)) }
    }

    if ctx.diag.hasErrors { throw LinkError("") }   // malformed .eh_frame records

    // 2. Section header indexes: null, groups, contents, relocations, .note.GNU-stack,
    //    .symtab, .strtab, .shstrtab. Groups come before their members (gABI).
    var next = 1 + groups.count
    for o in outs.indices { outs[o].headerIndex = next; next += 1 }
    for o in outs.indices where outs[o].relocCount > 0 { outs[o].relaIndex = next; next += 1 }
    let stackNote = !ctx.objects.isEmpty && ctx.objects.allSatisfy { !$0.lacksStackNote }
    let stackNoteIndex = stackNote ? next : 0
    if stackNote { next += 1 }
    // GNU_PROPERTY_X86_FEATURE_1_AND (IBT, SHSTK): the AND over the inputs, when every input
    // has it (an input without the note has none of the features).
    var features: UInt32? = ctx.objects.isEmpty ? nil : 0xffff_ffff
    for obj in ctx.objects { if let f = obj.x86Features, let a = features { features = a & f } else { features = nil } }
    let propertyIndex = features != nil ? next : 0
    if features != nil { next += 1 }
    let symtabIndex = next, strtabIndex = next + 1, shstrtabIndex = next + 2
    let sectionCount = next + 3
    if sectionCount >= Int(SHN.loreserve) {
        throw LinkError("-r: the output would have \(sectionCount) sections; weld's -r supports up to \(Int(SHN.loreserve) - 1) for now")
    }

    // 3. Symbols: section symbols, then each file's locals, then globals (definitions in
    //    file order, then commons' and undefined references' names in first-seen order).
    // Names are copied straight from the inputs (no String per symbol); entries are plain
    // structs, encoded when written.
    var strtab = RelocatableStrings()
    var table: [RelocatableSymbol] = [RelocatableSymbol(name: 0, info: 0, other: 0, shndx: 0, value: 0, size: 0)]
    func addSymbol(name: UInt32, info: UInt8, other: UInt8, shndx: UInt16, value: UInt64, size: UInt64) -> Int {
        table.append(RelocatableSymbol(name: name, info: info, other: other, shndx: shndx, value: value, size: size))
        return table.count - 1
    }
    var sectionSymbol = [Int](repeating: 0, count: outs.count)
    for o in outs.indices where outs[o].type != SHT.group {
        sectionSymbol[o] = addSymbol(name: 0, info: STB.local << 4 | STT.section, other: 0, shndx: UInt16(outs[o].headerIndex), value: 0, size: 0)
    }
    @inline(__always) func place(_ sec: InputSection) -> (UInt16, UInt64) {
        (UInt16(outs[Int(sec.outputIndex)].headerIndex), sec.outOffset)
    }
    // Per file: output index of each local symbol (0: not kept).
    var localIndex: [[Int]] = []
    for obj in ctx.objects {
        var map = [Int](repeating: 0, count: max(obj.firstGlobal, 1))
        for i in 1..<max(obj.firstGlobal, 1) {
            let t = obj.symType(i)
            if t == STT.section { continue }
            let raw = obj.symtab!.u16(i * 24 + 6)
            var shndx = raw, value = obj.symValue(i)
            if raw == SHN.abs || t == STT.file {
                shndx = raw
            } else if let sec = obj.symSection(i), sec.alive, sec.outputIndex >= 0 {
                let (h, base) = place(sec)
                shndx = h; value &+= base
            } else {
                continue
            }
            map[i] = addSymbol(name: strtab.add(obj.symName(i)), info: obj.symInfo(i), other: obj.symOther(i), shndx: shndx, value: value, size: obj.symSize(i))
        }
        // GCC names some groups (e.g. a destructor's D5 group) by a local symbol defined in
        // the group section itself: it goes with the output group section.
        for (k, g) in groups.enumerated() where g.obj === obj {
            let sig = obj.groupSignatureSymbols[g.group]
            if sig < obj.firstGlobal && map[sig] == 0 && obj.symType(sig) != STT.section {
                map[sig] = addSymbol(name: strtab.add(obj.symName(sig)), info: obj.symInfo(sig), other: obj.symOther(sig),
                                     shndx: UInt16(1 + k), value: 0, size: 0)
            }
        }
        localIndex.append(map)
    }
    let firstGlobal = table.count
    var globalIndex = [Int32](repeating: 0, count: syms.count)
    // Definitions, from the file that won each name, under the name it has there (`foo@@V2`).
    for obj in ctx.objects {
        for (k, id) in obj.symbolIds.enumerated() {
            let i = obj.firstGlobal + k
            let s = syms[id]
            guard s.isDefinedInObject, s.fileIndex == obj.index, s.symIndex == Int32(i), globalIndex[Int(id)] == 0 else { continue }
            let raw = obj.symtab!.u16(i * 24 + 6)
            var shndx = raw, value = obj.symValue(i)
            if s.kind == .common {
                shndx = SHN.common; value = s.commonAlign
            } else if raw != SHN.abs, let sec = obj.symSection(i), sec.outputIndex >= 0 {
                let (h, base) = place(sec)
                shndx = h; value &+= base
            }
            let info = obj.symBind(i) << 4 | obj.symType(i)
            globalIndex[Int(id)] = Int32(addSymbol(name: strtab.add(obj.symName(i)), info: info, other: s.visibility | (obj.symOther(i) & ~3),
                                                   shndx: shndx, value: value, size: s.kind == .common ? s.size : obj.symSize(i)))
        }
    }
    // Names referenced but defined by no object (and anything shared libraries define).
    for obj in ctx.objects {
        for (k, id) in obj.symbolIds.enumerated() where globalIndex[Int(id)] == 0 {
            let i = obj.firstGlobal + k
            let bind = syms[id].referencedStrongly ? STB.global : STB.weak
            globalIndex[Int(id)] = Int32(addSymbol(name: strtab.add(obj.symName(i)), info: bind << 4 | obj.symType(i),
                                                   other: syms[id].visibility, shndx: SHN.undef, value: 0, size: 0))
        }
    }
    let symbolCount = table.count

    // 4. Group sections: GRP_COMDAT, then the member sections and their relocation sections.
    var groupContents: [[UInt32]] = []
    var groupSignature: [Int] = []
    for g in groups {
        var words: [UInt32] = [1]
        for o in g.members {
            words.append(UInt32(outs[o].headerIndex))
            if outs[o].relaIndex > 0 { words.append(UInt32(outs[o].relaIndex)) }
        }
        groupContents.append(words)
        let sig = g.obj.groupSignatureSymbols[g.group]
        let sigIndex: Int
        if sig >= g.obj.firstGlobal {
            sigIndex = Int(globalIndex[Int(g.obj.symbolIds[sig - g.obj.firstGlobal])])
        } else if g.obj.symType(sig) == STT.section, let sec = g.obj.symSection(sig), sec.outputIndex >= 0 {
            sigIndex = sectionSymbol[Int(sec.outputIndex)]
        } else {
            sigIndex = localIndex[Int(g.obj.index)][sig]
        }
        if sigIndex == 0 {
            throw LinkError("\(g.obj.displayName): -r: the signature symbol of COMDAT group \(g.obj.groups[g.group].signature.string) is not in the output")
        }
        groupSignature.append(sigIndex)
    }

    // 5. Relocations, rewritten: offsets within the output section; section symbols become
    //    the output section's symbol with the member's offset added to the addend. A
    //    reference to a section of a dropped COMDAT copy becomes R_X86_64_NONE in debug
    //    sections (the later link leaves the field alone, as for GNU ld's -r output); from
    //    allocated code or data it is an error.
    func writeRelocations(_ o: Int, to p: UnsafeMutableRawPointer) {
        var n = 0
        for m in outs[o].members {
            let obj = m.file
            let pieces = m.pieces
            for r in 0..<m.relocCount {
                let rel = m.reloc(r)
                var offset = rel.offset
                if let pieces {
                    // Packed .eh_frame: relocations of dropped records go with them.
                    guard let k = pieces.pieceIndex(containing: rel.offset), pieces.outOffsets[k] != .max else { continue }
                    offset = pieces.outOffsets[k] + (rel.offset - UInt64(pieces.inOffsets[k]))
                }
                var sym = 0
                var type = rel.type
                var addend = rel.addend
                var droppedTarget = false
                let j = rel.sym
                if j == 0 {
                    sym = 0
                } else if j >= obj.firstGlobal {
                    sym = Int(globalIndex[Int(obj.symbolIds[j - obj.firstGlobal])])
                } else if obj.symType(j) == STT.section {
                    if let target = obj.symSection(j), target.alive, target.outputIndex >= 0 {
                        sym = sectionSymbol[Int(target.outputIndex)]
                        addend &+= Int64(bitPattern: target.outOffset)
                    } else {
                        droppedTarget = true
                    }
                } else {
                    sym = localIndex[Int(obj.index)][j]
                    droppedTarget = sym == 0
                }
                if droppedTarget {
                    if m.flags & SHF.alloc != 0 {
                        ctx.diag.error("\(m.displayName)+0x\(hex(rel.offset)): -r: relocation \(R_X86_64.name(rel.type)) refers to a section of a COMDAT group copy that is not kept")
                    }
                    sym = 0; type = R_X86_64.none; addend = 0
                }
                let e = p + n * 24
                e.w64(0, offset + m.outOffset)
                e.w64(8, UInt64(sym) << 32 | UInt64(type))
                e.w64(16, UInt64(bitPattern: addend))
                n += 1
            }
        }
    }

    // --compress-debug-sections: .debug_* sections' contents compressed as they are.
    var compressed: [Int: CompressedContents] = [:]
    if let format = ctx.options.compressDebugSections { compressed = try compressRelocatableDebugSections(outs, format) }

    // 6. File layout: header, group sections, contents, relocations, symbols, strings, headers.
    var shstrtab = StringTableBuilder()
    var headers = [RelocatableHeader](repeating: RelocatableHeader(), count: sectionCount)
    var offset: UInt64 = 64
    for (k, words) in groupContents.enumerated() {
        offset = alignUp(offset, 4)
        headers[1 + k] = RelocatableHeader(name: shstrtab.add(".group"), type: SHT.group, offset: offset, size: UInt64(words.count * 4),
                                           link: UInt32(symtabIndex), info: UInt32(groupSignature[k]), align: 4, entsize: 4)
        offset += UInt64(words.count * 4)
    }
    for o in outs.indices {
        if let c = compressed[o] {
            offset = alignUp(offset, 8)
            headers[outs[o].headerIndex] = RelocatableHeader(name: shstrtab.add(outs[o].name), type: outs[o].type, flags: outs[o].flags | SHF.compressed,
                                                             offset: offset, size: c.size, align: 8, entsize: outs[o].entsize)
            offset += c.size
            continue
        }
        offset = alignUp(offset, outs[o].align)
        headers[outs[o].headerIndex] = RelocatableHeader(name: shstrtab.add(outs[o].name), type: outs[o].type, flags: outs[o].flags,
                                                         offset: offset, size: outs[o].size,
                                                         link: outs[o].linkedOutput >= 0 ? UInt32(outs[outs[o].linkedOutput].headerIndex) : 0,
                                                         align: outs[o].align, entsize: outs[o].entsize)
        if outs[o].type != SHT.nobits { offset += outs[o].size }
    }
    for o in outs.indices where outs[o].relaIndex > 0 {
        offset = alignUp(offset, 8)
        let groupFlag = outs[o].flags & SHF.group
        headers[outs[o].relaIndex] = RelocatableHeader(name: shstrtab.add(".rela" + outs[o].name), type: SHT.rela, flags: SHF.infoLink | groupFlag,
                                                       offset: offset, size: UInt64(outs[o].relocCount * 24), link: UInt32(symtabIndex),
                                                       info: UInt32(outs[o].headerIndex), align: 8, entsize: 24)
        offset += UInt64(outs[o].relocCount * 24)
    }
    if stackNote {
        let exec = ctx.objects.contains { $0.hasExecStackNote }
        headers[stackNoteIndex] = RelocatableHeader(name: shstrtab.add(".note.GNU-stack"), type: SHT.progbits, flags: exec ? SHF.execinstr : 0,
                                                    offset: offset, size: 0, align: 1)
    }
    if features != nil {
        offset = alignUp(offset, 8)
        headers[propertyIndex] = RelocatableHeader(name: shstrtab.add(".note.gnu.property"), type: SHT.note, flags: SHF.alloc,
                                                   offset: offset, size: 32, align: 8)
        offset += 32
    }
    offset = alignUp(offset, 8)
    headers[symtabIndex] = RelocatableHeader(name: shstrtab.add(".symtab"), type: SHT.symtab, offset: offset, size: UInt64(symbolCount * 24),
                                             link: UInt32(strtabIndex), info: UInt32(firstGlobal), align: 8, entsize: 24)
    offset += UInt64(symbolCount * 24)
    headers[strtabIndex] = RelocatableHeader(name: shstrtab.add(".strtab"), type: SHT.strtab, offset: offset, size: UInt64(strtab.bytes.count), align: 1)
    offset += UInt64(strtab.bytes.count)
    let shstrName = shstrtab.add(".shstrtab")
    headers[shstrtabIndex] = RelocatableHeader(name: shstrName, type: SHT.strtab, offset: offset, size: UInt64(shstrtab.bytes.count), align: 1)
    offset += UInt64(shstrtab.bytes.count)
    let shoff = alignUp(offset, 8)
    let fileSize = shoff + UInt64(sectionCount * 64)

    // 7. Write.
    let out = try OutputFile(path: ctx.options.output, size: Int(fileSize), executable: false,
                             spares: ctx.options.recyclesOutput ? SpareOutputs.standard() : nil)
    let buf = out.base
    buf.w32(0, 0x464c_457f); buf.w8(4, 2); buf.w8(5, 1); buf.w8(6, 1)
    // ELFOSABI_GNU if an input has it (STB_GNU_UNIQUE and STT_GNU_IFUNC symbols need it).
    buf.w8(7, ctx.objects.contains { $0.size > 7 && $0.base.u8(7) == 3 } ? 3 : 0)
    buf.w16(16, ET.rel); buf.w16(18, EM_X86_64); buf.w32(20, 1)
    buf.w64(40, shoff); buf.w16(52, 64); buf.w16(58, 64)
    buf.w16(60, UInt16(sectionCount)); buf.w16(62, UInt16(shstrtabIndex))
    for (k, words) in groupContents.enumerated() {
        let p = buf + Int(headers[1 + k].offset)
        for (w, v) in words.enumerated() { p.w32(w * 4, v) }
    }
    // Contents, one job per input section, in parallel.
    var jobs: [InputSection] = []
    for (o, section) in outs.enumerated() where section.type != SHT.nobits && compressed[o] == nil { jobs += section.members }
    let copyJobs = jobs
    let sectionHeaders = headers
    Parallel.forEach(copyJobs.count, minChunk: 16) { j in
        let m = copyJobs[j]
        let dst = buf + Int(sectionHeaders[outs[Int(m.outputIndex)].headerIndex].offset + m.outOffset)
        if m.pieces != nil { writePackedEhFrame(m, to: dst); return }
        if !m.isNoBits && m.size > 0 { dst.copyMemory(from: m.data, byteCount: Int(m.size)) }
    }
    for (o, c) in compressed { c.write(to: buf + Int(sectionHeaders[outs[o].headerIndex].offset)) }
    let relaSections = outs.indices.filter { outs[$0].relaIndex > 0 }
    Parallel.forEach(relaSections.count) { k in
        let o = relaSections[k]
        writeRelocations(o, to: buf + Int(sectionHeaders[outs[o].relaIndex].offset))
    }
    if let features {
        // namesz 4, descsz 16, NT_GNU_PROPERTY_TYPE_0, "GNU"; one property, padded to 8.
        let p = buf + Int(headers[propertyIndex].offset)
        p.w32(0, 4); p.w32(4, 16); p.w32(8, 5); p.w32(12, 0x0055_4e47)
        p.w32(16, 0xc000_0002); p.w32(20, 4); p.w32(24, features); p.w32(28, 0)
    }
    let symtabBase = buf + Int(headers[symtabIndex].offset)
    for (k, e) in table.enumerated() {
        let p = symtabBase + k * 24
        p.w32(0, e.name); p.w8(4, e.info); p.w8(5, e.other); p.w16(6, e.shndx); p.w64(8, e.value); p.w64(16, e.size)
    }
    strtab.bytes.withUnsafeBytes { (buf + Int(headers[strtabIndex].offset)).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    shstrtab.bytes.withUnsafeBytes { (buf + Int(headers[shstrtabIndex].offset)).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    for (i, h) in headers.enumerated() {
        let p = buf + Int(shoff) + i * 64
        p.w32(0, h.name); p.w32(4, h.type); p.w64(8, h.flags); p.w64(16, 0); p.w64(24, h.offset); p.w64(32, h.size)
        p.w32(40, h.link); p.w32(44, h.info); p.w64(48, h.align); p.w64(56, h.entsize)
    }
    if ctx.diag.hasErrors { out.discard(); throw LinkError("") }
    try out.commit()
}

/// Splits an .eh_frame input into records (dropping FDEs of functions not kept) and packs the
/// live ones: their new offsets in `pieces.outOffsets`. Returns the packed size, a multiple of
/// the section's alignment, and how many relocations stay.
///
/// The next input's records start at that alignment, and a gap between records would read
/// as a zero terminator: so the last record grows over the padding instead (its length
/// covers zero bytes, which are DW_CFA_nop), as GNU ld does.
func packEhFrame(_ ctx: Context, _ sec: InputSection) -> (UInt64, Int) {
    splitEhFrame(ctx, sec)
    guard let p = sec.pieces else { return (sec.size, sec.relocCount) }
    var off: UInt64 = 0
    for k in p.inOffsets.indices where p.outOffsets[k] != .max {
        p.outOffsets[k] = off
        off += UInt64(p.sizes[k])
    }
    var relocs = 0
    for r in 0..<sec.relocCount {
        if let k = p.pieceIndex(containing: sec.reloc(r).offset), p.outOffsets[k] != .max { relocs += 1 }
    }
    return (alignUp(off, sec.align), relocs)
}

/// Writes a packed .eh_frame member: live records at their new offsets, each FDE's CIE
/// pointer (relative to the field) recomputed for the CIE's new place, the last record's
/// length grown over the alignment padding (see `packEhFrame`).
func writePackedEhFrame(_ m: InputSection, to dst: UnsafeMutableRawPointer) {
    guard let p = m.pieces else { return }
    var end: UInt64 = 0
    var last = -1
    for k in p.inOffsets.indices where p.outOffsets[k] != .max {
        let inOff = Int(p.inOffsets[k])
        let out = dst + Int(p.outOffsets[k])
        out.copyMemory(from: m.data + inOff, byteCount: Int(p.sizes[k]))
        let id = m.data.u32(inOff + 4)
        if p.sizes[k] >= 8 && id != 0 {
            let cieIn = UInt64(inOff + 4) &- UInt64(id)
            if let c = p.pieceIndex(containing: cieIn), p.outOffsets[c] != .max {
                out.w32(4, UInt32(truncatingIfNeeded: p.outOffsets[k] + 4 - p.outOffsets[c]))
            }
        }
        end = p.outOffsets[k] + UInt64(p.sizes[k])
        last = k
    }
    let padding = alignUp(end, m.align) - end
    if last >= 0 && padding > 0 {
        let record = dst + Int(p.outOffsets[last])
        record.w32(0, UnsafeRawPointer(record).u32(0) &+ UInt32(padding))
    }
}

/// An output section of a relocatable link and the input sections in it.
struct RelocatableSection {
    var name: String
    var type: UInt32
    var flags: UInt64
    var entsize: UInt64
    var align: UInt64 = 1
    var size: UInt64 = 0
    var members: [InputSection] = []
    var relocCount = 0
    var headerIndex = 0
    var relaIndex = 0       // its .rela section's header index, 0 if none
    var linkedOutput = -1   // SHF_LINK_ORDER: the output section it accompanies
}

struct RelocatableHeader {
    var name: UInt32 = 0
    var type: UInt32 = 0
    var flags: UInt64 = 0
    var offset: UInt64 = 0
    var size: UInt64 = 0
    var link: UInt32 = 0
    var info: UInt32 = 0
    var align: UInt64 = 0
    var entsize: UInt64 = 0
}

struct RelocatableSymbol {
    var name: UInt32
    var info: UInt8
    var other: UInt8
    var shndx: UInt16
    var value: UInt64
    var size: UInt64
}

/// .strtab of a relocatable output: names appended as they come, without deduplication (a
/// name appears once per symbol anyway, except rare same-named locals).
struct RelocatableStrings {
    var bytes: [UInt8] = [0]
    mutating func add(_ n: NameRef) -> UInt32 {
        if n.count == 0 { return 0 }
        let o = UInt32(bytes.count)
        bytes.append(contentsOf: n.bytes)
        bytes.append(0)
        return o
    }
}
