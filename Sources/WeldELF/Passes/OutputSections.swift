#if canImport(Glibc)
import Glibc
#endif
import WeldCore
import Synchronization

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
    private init(name: NameRef, flags: UInt64, hash: UInt64) { self.name = name; self.flags = flags; self.hash = hash }
    static func == (a: Self, b: Self) -> Bool { a.hash == b.hash && a.flags == b.flags && a.name == b.name }
    func hash(into h: inout Hasher) { h.combine(hash) }
    /// The same key with its name at `name` (same bytes, another place).
    func withName(_ name: NameRef) -> OutputSectionKey { OutputSectionKey(name: name, flags: flags, hash: hash) }
}

/// One copy of each output section name, shared by the per-file loop's threads: a file's
/// group keys point their names at it, so the serial walk that combines every file's groups
/// compares names by pointer (NameRef's `==` tries that first) instead of reading each
/// file's section name table (a cache miss per group: 0.8 ms of that walk for the swift
/// workload's 7,600 groups). Lock-free: a new name takes an entry, then publishes it in a slot
/// with one CAS. Which file's copy wins a name does not matter, only that there is one.
/// When full, names stay as they are and are compared by their bytes.
final class OutputNameTable: @unchecked Sendable {
    private static let capacity = 2048
    private let slots = UnsafeMutablePointer<Atomic<UInt32>>.allocate(capacity: 2 * capacity)
    private let entries = UnsafeMutablePointer<NameRef>.allocate(capacity: capacity)
    private let used = Atomic<Int>(0)

    init() {
        // All-zero bytes are an `Atomic<UInt32>(0)`: empty.
        memset(slots, 0, 2 * Self.capacity * MemoryLayout<Atomic<UInt32>>.stride)
    }
    deinit { slots.deallocate(); entries.deallocate() }

    /// `name`'s shared copy (`hash` is its key's hash, which mixes in the flags: equal names
    /// may sit in several slots, which costs nothing but a slot).
    func shared(_ name: NameRef, hash: UInt64) -> NameRef {
        let mask = 2 * Self.capacity - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            var v = slots[i].load(ordering: .acquiring)
            if v == 0 {
                let e = used.add(1, ordering: .relaxed).oldValue
                if e >= Self.capacity { return name }
                (entries + e).initialize(to: name)
                let (won, current) = slots[i].compareExchange(expected: 0, desired: UInt32(e + 1), ordering: .acquiringAndReleasing)
                if won { return name }
                v = current   // another thread filled the slot first; entry e stays unused
            }
            let entry = entries[Int(v) - 1]
            if entry == name { return entry }
            i = (i + 1) & mask
        }
    }
}

/// Groups live input sections into output sections (in first-seen order, which is
/// command-line order), splits mergeable sections into deduplicated strings and .eh_frame
/// into records, and creates the synthetic sections this output needs.
func createOutputSections(_ ctx: Context) {
    // Per file, in parallel: output names, piece splitting, and the file's live sections
    // grouped by output section (distinct keys in first-seen order) with a summary of their
    // attributes. A group lists its sections as a run of `sectionsByGroup` (section indices,
    // counting-sorted by group): no per-group array of references to retain and release.
    struct Group {
        var key: OutputSectionKey
        unowned(unsafe) var first: InputSection
        var count: Int32 = 0
        var start: Int32 = 0         // first entry in the file's sectionsByGroup
        var hasBits = false, hasNoBits = false
        var align: UInt64 = 1
        var entsize: UInt64 = 0
        var mergeable = true         // every member SHF_MERGE with one entry size
    }
    struct FileGroups {
        var groups: [Group] = []
        /// The live sections, grouped, each already retained for its output section's member
        /// list: retained here, while the file's section objects are in cache, and moved (not
        /// copied) into the member lists below, where a retain would be a cache miss each.
        var sectionsByGroup: UnsafeMutablePointer<InputSection>
    }
    let stripDebug = ctx.options.stripDebug || ctx.options.stripAll
    let keepTextPrefix = ctx.options.keepTextSectionPrefix
    var spanStart = monotonicNanos()
    let sharedNames = OutputNameTable()
    let perFile: [FileGroups] = Parallel.map(ctx.objects.count) { f in
        let obj = ctx.objects[f]
        let names = obj.sectionNames
        var groups: [Group] = []
        var groupOf = [Int32](repeating: -1, count: obj.sections.count)
        var last = -1
        obj.sections.forEachBorrowed { (sec: InputSection) in
            guard sec.alive && sec.foldedInto == nil else { return }
            let secName = names[sec.index]
            if stripDebug, secName.hasPrefix(".debug") { sec.alive = false; return }
            let name = outputSectionName(secName, keepTextPrefix: keepTextPrefix)
            if name.equals(".init_array") || name.equals(".fini_array") || name.equals(".ctors") || name.equals(".dtors") {
                sec.priority = initPriority(secName)
            }
            let isEh = secName.equals(".eh_frame") && sec.type == SHT.progbits || sec.type == SHT.x86_64Unwind
            if isEh {
                splitEhFrame(ctx, sec)
            } else if sec.flags & SHF.merge != 0 && sec.relocCount == 0 && sec.type == SHT.progbits && sec.entsize > 0 {
                splitMergeable(sec)
            }
            // Sections with the same name but different kinds (e.g. a writable .rodata) stay apart.
            // .eh_frame records never share an output section with other contents.
            let key = OutputSectionKey(name: name, flags: sec.flags & (SHF.write | SHF.execinstr | SHF.alloc | SHF.tls) | (isEh ? ehFrameKeyBit : 0))
            // A file has few distinct output sections: the last one or a short linear search.
            var g = last >= 0 && groups[last].key == key ? last : (groups.firstIndex { $0.key == key } ?? -1)
            if g < 0 { groups.append(Group(key: key.withName(sharedNames.shared(key.name, hash: key.hash)), first: sec)); g = groups.count - 1 }
            last = g
            groupOf[sec.index] = Int32(g)
            groups[g].count += 1
            if sec.isNoBits { groups[g].hasNoBits = true } else { groups[g].hasBits = true }
            groups[g].align = max(groups[g].align, sec.align)
            if sec.flags & SHF.merge != 0 {
                let entsize = sec.entsize
                if groups[g].entsize != 0 && groups[g].entsize != entsize { groups[g].mergeable = false }
                groups[g].entsize = entsize
            } else {
                // Its output section loses SHF_MERGE and then has entsize 0: no header read.
                groups[g].mergeable = false
            }
        }
        // Counting sort of the live sections by group, in section order within a group.
        var next: Int32 = 0
        for g in groups.indices { groups[g].start = next; next += groups[g].count }
        var fill = groups.map { $0.start }
        let byGroup = UnsafeMutablePointer<InputSection>.allocate(capacity: max(Int(next), 1))
        for (i, g) in groupOf.enumerated() where g >= 0 {
            (byGroup + Int(fill[Int(g)])).initialize(to: obj.sections[i]!)
            fill[Int(g)] += 1
        }
        return FileGroups(groups: groups, sectionsByGroup: byGroup)
    }
    PhaseTimer.shared.endSpan("sections: per file", since: spanStart); spanStart = monotonicNanos()
    // Output sections in first-seen order (command-line order), attributes combined, and
    // each group's place among its output section's members (groups in command-line order).
    // One serial walk over every file's groups (7,653 in the swift workload), so it does
    // only integer work: a small table on the keys' precomputed hashes instead of a
    // Dictionary, attributes in plain structs rather than on the OutputSection objects.
    struct Combined {
        var type: UInt32
        var align: UInt64
        var firstEntsize: UInt64
        var lastEntsize: UInt64
        var mergeable: Bool
        var memberCount = 0
    }
    var order: [OutputSection] = []
    var keys: [OutputSectionKey] = []
    var combined: [Combined] = []
    var groupBase = [Int](repeating: 0, count: perFile.count + 1)
    for f in perFile.indices { groupBase[f + 1] = groupBase[f] + perFile[f].groups.count }
    // For each group (files' groups one after another): its output section, and where its
    // sections go among that section's members.
    let groupPlace = UnsafeMutablePointer<(os: Int32, at: Int32)>.allocate(capacity: max(groupBase[perFile.count], 1))
    defer { groupPlace.deallocate() }
    var slots = [Int32](repeating: -1, count: 256)
    for f in perFile.indices {
        perFile[f].groups.withUnsafeBufferPointer { groups in
            for (gi, g) in groups.enumerated() {
                var slot = Int(truncatingIfNeeded: g.key.hash) & (slots.count - 1)
                while slots[slot] >= 0 && keys[Int(slots[slot])] != g.key { slot = (slot + 1) & (slots.count - 1) }
                var i = Int(slots[slot])
                if i < 0 {
                    let sec = g.first
                    let isEh = sec.pieces != nil && (sec.name.equals(".eh_frame") || sec.type == SHT.x86_64Unwind)
                    var type = sec.type
                    if type == SHT.x86_64Unwind { type = SHT.progbits }
                    let os = OutputSection(name: g.key.name.string, type: type, flags: (g.key.flags & ~ehFrameKeyBit) | (sec.flags & (SHF.merge | SHF.strings)),
                                           content: isEh ? .ehFrame : .inputs)
                    i = order.count
                    slots[slot] = Int32(i)
                    order.append(os)
                    keys.append(g.key)
                    combined.append(Combined(type: g.hasBits ? (type == SHT.nobits ? SHT.progbits : type) : SHT.nobits,
                                             align: 1, firstEntsize: g.entsize, lastEntsize: g.entsize, mergeable: true))
                    if keys.count * 2 > slots.count {
                        slots = [Int32](repeating: -1, count: slots.count * 2)
                        for (k, key) in keys.enumerated() {
                            var j = Int(truncatingIfNeeded: key.hash) & (slots.count - 1)
                            while slots[j] >= 0 { j = (j + 1) & (slots.count - 1) }
                            slots[j] = Int32(k)
                        }
                    }
                }
                if g.hasBits && combined[i].type == SHT.nobits { combined[i].type = SHT.progbits }
                combined[i].align = max(combined[i].align, g.align)
                // The output keeps SHF_MERGE only if every member is mergeable with one entry size.
                if !g.mergeable || g.entsize != combined[i].firstEntsize { combined[i].mergeable = false }
                combined[i].lastEntsize = g.entsize
                groupPlace[groupBase[f] + gi] = (Int32(i), Int32(combined[i].memberCount))
                combined[i].memberCount += Int(g.count)
            }
        }
    }
    for (i, os) in order.enumerated() {
        let c = combined[i]
        os.type = c.type
        os.align = max(os.align, c.align)
        if !c.mergeable { os.flags &= ~(SHF.merge | SHF.strings) }
        os.entsize = c.lastEntsize
    }
    PhaseTimer.shared.endSpan("sections: combine", since: spanStart); spanStart = monotonicNanos()
    // Members: every file moves its groups' sections to their places, in parallel; then each
    // output section's list becomes its array (a move, no retain).
    let memberBuffers = combined.map { UnsafeMutablePointer<InputSection>.allocate(capacity: max($0.memberCount, 1)) }
    Parallel.forEach(perFile.count) { f in
        let fileGroups = perFile[f]
        for (gi, g) in fileGroups.groups.enumerated() {
            let place = groupPlace[groupBase[f] + gi]
            (memberBuffers[Int(place.os)] + Int(place.at)).moveInitialize(from: fileGroups.sectionsByGroup + Int(g.start), count: Int(g.count))
        }
    }
    Parallel.forEach(order.count) { i in
        let n = combined[i].memberCount
        order[i].members = [InputSection](unsafeUninitializedCapacity: n) { members, count in
            members.baseAddress!.moveInitialize(from: memberBuffers[i], count: n)
            count = n
        }
        memberBuffers[i].deallocate()
    }
    // Every entry has been moved out: only the memory goes.
    for fileGroups in perFile { fileGroups.sectionsByGroup.deallocate() }
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
    PhaseTimer.shared.endSpan("sections: members", since: spanStart)
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
    p.buildLookup(size: size)
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
                // The section of the FDE's symbol (a section symbol in practice; a global's
                // resolution may differ, but FDEs do not use those). A folded function's FDE
                // would describe the kept copy twice.
                alive = sec.fileRef._withUnsafeGuaranteedRef { obj in
                    obj.withSymSection(rel.sym) { t in t.map { $0.alive && $0.foldedIntoRef == nil } ?? false }
                }
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
