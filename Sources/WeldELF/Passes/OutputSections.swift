#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// The output section an input section goes to: `.text.foo` → `.text` and so on, as GNU ld's
/// default script does. The result is a view into the input name: no string is built.
@inline(__always)
func outputSectionName(_ name: NameRef, keepTextPrefix: Bool = false) -> NameRef {
    // Cheap first-byte filter: every mapped prefix starts with ".t", ".r", ".d", ".b", ".g",
    // ".i", ".f", ".l" or ".c".
    if name.count < 2 || name.ptr.u8(0) != UInt8(ascii: ".") { return name }
    if keepTextPrefix && name.hasPrefix(".text.") {
        // `-z keep-text-section-prefix`: hot, cold and start-up code get output sections of
        // their own (.text.hot.foo → .text.hot), so they share pages with their kind only.
        for p in keptTextPrefixes where name.hasPrefix(p) {
            let n = p.utf8CodeUnitCount
            if name.count == n || name.ptr.u8(n) == UInt8(ascii: ".") { return NameRef(name.ptr, n) }
        }
    }
    for p in outputSectionPrefixes where name.hasPrefix(p) {
        return NameRef(name.ptr, p.utf8CodeUnitCount - 1)
    }
    if name.hasPrefix(".ctors.") { return NameRef(name.ptr, 6) }
    if name.hasPrefix(".dtors.") { return NameRef(name.ptr, 6) }
    return name
}

let keptTextPrefixes: [StaticString] = [".text.hot", ".text.unlikely", ".text.startup", ".text.exit", ".text.split"]

let outputSectionPrefixes: [StaticString] = [".text.", ".rodata.", ".data.rel.ro.", ".data.", ".bss.", ".tdata.", ".tbss.",
                                             ".gcc_except_table.", ".init_array.", ".fini_array.", ".ldata.", ".lrodata.", ".lbss."]

/// A key bit (not an ELF flag) that keeps split .eh_frame inputs apart.
let ehFrameKeyBit: UInt64 = 1 << 62

/// An output section's identity: its name and the flags that must agree.
struct OutputSectionKey: Hashable {
    let name: NameRef
    let flags: UInt64
    let hash: UInt64
    init(name: NameRef, flags: UInt64) {
        self.name = name; self.flags = flags
        hash = fastHash(name.ptr, name.count) ^ (flags &* 0x9e37_79b9_7f4a_7c15)
    }
    static func == (a: Self, b: Self) -> Bool { a.hash == b.hash && a.flags == b.flags && a.name == b.name }
    func hash(into h: inout Hasher) { h.combine(hash) }
}

/// Groups live input sections into output sections (in first-seen order, which is
/// command-line order), splits mergeable sections into deduplicated strings and .eh_frame
/// into records, and creates the synthetic sections this output needs.
func createOutputSections(_ ctx: Context) {
    // Per file, in parallel: output names, piece splitting, and the file's sections grouped by
    // output section (distinct keys in first-seen order) with a summary of their attributes.
    struct Group {
        var key: OutputSectionKey
        var members: [InputSection] = []
        var first: InputSection
        var hasBits = false, hasNoBits = false
        var align: UInt64 = 1
        var entsize: UInt64 = 0
        var mergeable = true         // every member SHF_MERGE with one entry size
    }
    let stripDebug = ctx.options.stripDebug || ctx.options.stripAll
    let keepTextPrefix = ctx.options.keepTextSectionPrefix
    let perFile: [[Group]] = Parallel.map(ctx.objects.count) { f in
        let obj = ctx.objects[f]
        var groups: [Group] = []
        var last = -1
        for case let sec? in obj.sections where sec.alive && sec.foldedInto == nil {
            if stripDebug, sec.name.hasPrefix(".debug") { sec.alive = false; continue }
            let name = outputSectionName(sec.name, keepTextPrefix: keepTextPrefix)
            if name.equals(".init_array") || name.equals(".fini_array") || name.equals(".ctors") || name.equals(".dtors") {
                sec.priority = initPriority(sec.name)
            }
            let isEh = sec.name.equals(".eh_frame") && sec.type == SHT.progbits || sec.type == SHT.x86_64Unwind
            if isEh {
                splitEhFrame(ctx, sec)
            } else if sec.flags & SHF.merge != 0 && sec.relocCount == 0 && sec.entsize > 0 && sec.type == SHT.progbits {
                splitMergeable(sec)
            }
            // Sections with the same name but different kinds (e.g. a writable .rodata) stay apart.
            // .eh_frame records never share an output section with other contents.
            let key = OutputSectionKey(name: name, flags: sec.flags & (SHF.write | SHF.execinstr | SHF.alloc | SHF.tls) | (isEh ? ehFrameKeyBit : 0))
            // A file has few distinct output sections: the last one or a short linear search.
            var g = last >= 0 && groups[last].key == key ? last : (groups.firstIndex { $0.key == key } ?? -1)
            if g < 0 { groups.append(Group(key: key, first: sec)); g = groups.count - 1 }
            last = g
            groups[g].members.append(sec)
            if sec.isNoBits { groups[g].hasNoBits = true } else { groups[g].hasBits = true }
            groups[g].align = max(groups[g].align, sec.align)
            if sec.flags & SHF.merge == 0 || (groups[g].entsize != 0 && groups[g].entsize != sec.entsize) { groups[g].mergeable = false }
            groups[g].entsize = sec.entsize
        }
        return groups
    }
    // Output sections in first-seen order (command-line order), attributes combined.
    var byKey: [OutputSectionKey: Int] = [:]
    var order: [OutputSection] = []
    var lists: [[[InputSection]]] = []
    var entsizes: [UInt64] = []
    for groups in perFile {
        for g in groups {
            let i: Int
            if let existing = byKey[g.key] { i = existing } else {
                let sec = g.first
                let isEh = sec.pieces != nil && (sec.name.equals(".eh_frame") || sec.type == SHT.x86_64Unwind)
                var type = sec.type
                if type == SHT.x86_64Unwind { type = SHT.progbits }
                let os = OutputSection(name: g.key.name.string, type: type, flags: (g.key.flags & ~ehFrameKeyBit) | (sec.flags & (SHF.merge | SHF.strings)),
                                       content: isEh ? .ehFrame : .inputs)
                os.type = g.hasBits ? (type == SHT.nobits ? SHT.progbits : type) : SHT.nobits
                i = order.count
                byKey[g.key] = i
                order.append(os)
                lists.append([])
                entsizes.append(g.entsize)
            }
            let os = order[i]
            if g.hasBits && os.type == SHT.nobits { os.type = SHT.progbits }
            os.align = max(os.align, g.align)
            // The output keeps SHF_MERGE only if every member is mergeable with one entry size.
            if !g.mergeable || g.entsize != entsizes[i] { os.flags &= ~(SHF.merge | SHF.strings) }
            os.entsize = g.entsize
            lists[i].append(g.members)
        }
    }
    Parallel.forEach(order.count) { i in order[i].members = lists[i].flatMap { $0 } }
    for os in order where os.flags & SHF.merge == 0 { os.entsize = 0 }
    for os in order where os.name == ".init_array" || os.name == ".fini_array" {
        // Priority order; sections without a priority run last (stable: input order otherwise).
        os.members = stableSorted(os.members) { $0.priority < $1.priority }
    }
    // Section type fix-ups for arrays whose inputs used PROGBITS.
    for os in order {
        switch os.name {
        case ".init_array": os.type = SHT.initArray
        case ".fini_array": os.type = SHT.finiArray
        case ".preinit_array": os.type = SHT.preinitArray
        case ".note.gnu.property": break
        default: break
        }
        if os.name.hasPrefix(".note") { os.type = SHT.note }
    }
    ctx.outputSections = order
}

/// `.init_array.00100` → 100; `.ctors.65435` counts down, so it maps to 65535 - n.
func initPriority(_ name: NameRef) -> UInt32 {
    let s = name.string
    guard let dot = s.lastIndex(of: "."), s.firstIndex(of: ".") != dot, let n = UInt32(s[s.index(after: dot)...]) else { return 65536 }
    if s.hasPrefix(".ctors") || s.hasPrefix(".dtors") { return 65535 - min(n, 65535) }
    return n
}

func stableSorted<T>(_ a: [T], by less: (T, T) -> Bool) -> [T] {
    var idx = Array(a.indices)
    idx.sort { less(a[$0], a[$1]) || (!less(a[$1], a[$0]) && $0 < $1) }
    return idx.map { a[$0] }
}

/// Splits a mergeable section into pieces: NUL-terminated strings (SHF_STRINGS) or fixed-size
/// entries, each hashed for deduplication.
func splitMergeable(_ sec: InputSection) {
    let p = SectionPieces()
    let size = Int(sec.size)
    let ent = Int(sec.entsize)
    let data = sec.data
    if sec.flags & SHF.strings != 0 {
        var off = 0
        while off < size {
            var end = off
            // Strings of wide characters end with an entsize-wide zero.
            if ent == 1 {
                if let p = memchr(data + off, 0, size - off) { end = UnsafeRawPointer(p) - data + 1 } else { end = size }
            } else {
                end = off
                while end + ent <= size {
                    var zero = true
                    for k in 0..<ent where data.u8(end + k) != 0 { zero = false; break }
                    end += ent
                    if zero { break }
                }
                if end <= off { end = size }
            }
            p.inOffsets.append(UInt32(off))
            p.sizes.append(UInt32(end - off))
            p.hashes.append(fastHash(data + off, end - off))
            off = end
        }
    } else {
        var off = 0
        while off + ent <= size {
            p.inOffsets.append(UInt32(off)); p.sizes.append(UInt32(ent))
            p.hashes.append(fastHash(data + off, ent))
            off += ent
        }
        if off < size { return } // not a whole number of entries: leave unmerged
    }
    p.outOffsets = [UInt64](repeating: 0, count: p.inOffsets.count)
    p.indexBuckets(size: size)
    sec.pieces = p
}

/// Splits .eh_frame into CIE and FDE records and drops the FDEs whose function is gone
/// (a COMDAT copy that lost, or a section that will not be output).
func splitEhFrame(_ ctx: Context, _ sec: InputSection) {
    let p = SectionPieces()
    let data = sec.data
    let size = Int(sec.size)
    var off = 0
    var r = 0
    // Relocations are sorted by offset in practice; walk them alongside the records.
    while off + 4 <= size {
        let len = Int(data.u32(off))
        if len == 0 { break }
        if len == 0xffff_ffff || off + 4 + len > size {
            ctx.diag.error("\(sec.file.displayName):(.eh_frame+0x\(hex(off))): malformed record (length 0x\(hex(len)))")
            return
        }
        let recSize = 4 + len
        var alive = true
        let isFDE = len >= 4 && data.u32(off + 4) != 0
        if isFDE {
            while r < sec.relocCount && sec.reloc(r).offset < UInt64(off) { r += 1 }
            if r < sec.relocCount, sec.reloc(r).offset < UInt64(off + recSize) {
                let rel = sec.reloc(r)
                let obj = sec.file
                let target: InputSection?
                if rel.sym < obj.firstGlobal {
                    target = obj.symSection(rel.sym)
                } else {
                    target = obj.symSection(rel.sym)  // resolution may differ, but FDEs use section symbols
                }
                // A folded function's FDE would describe the kept copy twice.
                if let t = target { alive = t.alive && t.foldedInto == nil } else { alive = false }
            } else {
                alive = false
            }
        }
        p.inOffsets.append(UInt32(off))
        p.sizes.append(UInt32(recSize))
        p.outOffsets.append(alive ? 0 : .max)
        off += recSize
    }
    sec.pieces = p
}
