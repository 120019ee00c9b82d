import WeldCore

/// The output segment and section an input section goes to. Read-only-after-fixups data
/// moves to __DATA_CONST, as ld64 does for macOS 10.15 and later.
func outputSectionName(_ seg: String, _ sect: String, _ type: UInt32) -> (String, String) {
    if seg == "__DATA" {
        switch sect {
        case "__const", "__cfstring", "__mod_init_func", "__mod_term_func", "__nl_symbol_ptr", "__objc_classlist",
             "__objc_nlclslist", "__objc_catlist", "__objc_nlcatlist", "__objc_protolist", "__objc_imageinfo":
            return ("__DATA_CONST", sect)
        default: break
        }
    }
    if seg == "__TEXT" && sect == "__StaticInit" { return ("__TEXT", "__text") }
    return (seg, sect)
}

/// Order of sections within a segment: known sections where ld64 and lld put them, others in
/// the order they first appear in the inputs; zero-fill sections last (they take no file space).
func sectionRank(_ s: OutputSection) -> Int {
    if s.isZerofill {
        return s.type == MachO.sThreadLocalZerofill ? 1000 : (s.sectname == "__common" ? 1002 : 1001)
    }
    switch (s.segname, s.sectname) {
    case ("__TEXT", "__text"): return 0
    case ("__TEXT", "__stubs"): return 1
    case ("__TEXT", "__stub_helper"): return 2
    case ("__TEXT", "__init_offsets"): return 3
    case ("__DATA", "__la_symbol_ptr"): return 0
    case ("__TEXT", "__unwind_info"): return 900
    case ("__TEXT", "__eh_frame"): return 901
    case ("__DATA_CONST", "__got"): return 0
    case ("__DATA", "__thread_vars"): return 500
    case ("__DATA", "__thread_ptrs"): return 501
    case ("__DATA", "__thread_data"): return 502
    default: return 10
    }
}

func segmentRank(_ name: String) -> Int {
    switch name {
    case "__PAGEZERO": return 0
    case "__TEXT": return 1
    case "__DATA_CONST": return 2
    case "__DATA": return 3
    case "__LINKEDIT": return 100
    default: return 50
    }
}

/// Builds output sections from live atoms and the synthesized tables, orders them, groups them
/// into segments, and gives every section and atom its address and file offset.
func layoutOutput(_ ctx: LinkContext) throws(LinkError) {
    let o = ctx.options
    var byName: [String: OutputSection] = [:]
    var sections: [OutputSection] = []
    func section(_ seg: String, _ sect: String, flags: UInt32, kind: OutputSectionKind = .atoms) -> OutputSection {
        let key = seg + "," + sect
        if let s = byName[key] { return s }
        let s = OutputSection(segname: seg, sectname: sect, flags: flags, kind: kind, firstSeen: sections.count)
        byName[key] = s
        sections.append(s)
        return s
    }
    // The order file: listed symbols' atoms first, in the file's order.
    var priority: [Int32: Int] = [:]
    if let path = o.orderFile {
        for (i, line) in try readLines(path, what: "-order_file").enumerated() {
            // Entries may be "name" or "file.o:name"; weld matches by symbol name.
            let name = line.split(separator: ":").last.map(String.init) ?? line
            if let id = ctx.symtab.find(name), ctx.symtab.symbols[Int(id)].kind == .defined, priority[ctx.symtab.symbols[Int(id)].atom] == nil {
                priority[ctx.symtab.symbols[Int(id)].atom] = i
            }
        }
    }
    for f in ctx.objects {
        for si in f.sections.indices {
            let s = f.sections[si]
            guard s.kind != .dropped && s.kind != .compactUnwind, s.atomCount > 0 else { continue }
            var (seg, sect) = outputSectionName(s.segname, s.sectname, s.type)
            var flags = s.flags
            var kind = OutputSectionKind.atoms
            if s.type == MachO.sModInitFuncPointers && o.useInitOffsets {
                // Initializers as offsets need no fixups (what ld64 and lld do for macOS 13+).
                (seg, sect, flags, kind) = ("__TEXT", "__init_offsets", MachO.sInitFuncOffsets, .initOffsets)
            }
            var out: OutputSection? = nil
            for k in 0..<Int(s.atomCount) {
                let a = f.atomBase + s.firstAtom + Int32(k)
                guard ctx.atoms[Int(a)].live else { continue }
                if out == nil {
                    // __eh_frame's live-support attribute only matters inside objects.
                    if s.kind == .ehFrame { flags &= ~MachO.attrLiveSupport }
                    out = section(seg, sect, flags: flags, kind: kind)
                    out!.flags |= s.flags & (MachO.attrPureInstructions | MachO.attrSomeInstructions)
                }
                out!.atoms.append(a)
            }
        }
    }
    for id in ctx.commonSymbols {
        let a = ctx.symtab.symbols[Int(id)].atom
        if ctx.atoms[Int(a)].live { section("__DATA", "__common", flags: MachO.sZerofill).atoms.append(a) }
    }
    if !ctx.stubSymbols.isEmpty {
        let s = section("__TEXT", "__stubs", flags: MachO.sSymbolStubs | MachO.attrPureInstructions | MachO.attrSomeInstructions, kind: .stubs)
        s.size = UInt64(ctx.stubSymbols.count * 12)
        s.alignLog2 = 2
        s.reserved2 = 12
        ctx.layout.stubs = s
    }
    if !ctx.gotSymbols.isEmpty {
        let s = section("__DATA_CONST", "__got", flags: MachO.sNonLazySymbolPointers, kind: .got)
        s.size = UInt64(ctx.gotSymbols.count * 8)
        s.alignLog2 = 3
        ctx.layout.got = s
    }
    for (seg, sect, path) in o.createdSections {
        let file: MappedFile
        do { file = try MappedFile.open(path) } catch { throw LinkError("-sectcreate \(seg) \(sect): \(error.message)") }
        let s = section(seg, sect, flags: MachO.sRegular, kind: .created)
        guard s.size == 0 else { throw LinkError("-sectcreate \(seg) \(sect): section given twice") }
        s.size = UInt64(file.size)
        ctx.createdSections.append((s, file))
        ctx.inputPaths.append(path)
    }
    if ctx.initSymbol >= 0 {
        // -init: one more initializer, ahead of the inputs' (8 bytes: a pointer, or an offset
        // once halved in __init_offsets).
        let s = o.useInitOffsets
            ? section("__TEXT", "__init_offsets", flags: MachO.sInitFuncOffsets, kind: .initOffsets)
            : section("__DATA_CONST", "__mod_init_func", flags: MachO.sModInitFuncPointers)
        ctx.initAtom = Int32(ctx.atoms.count)
        ctx.atoms.append(Atom(file: -1, section: -1, inputOffset: 0, size: 8, alignLog2: 3))
        s.atoms.insert(ctx.initAtom, at: 0)
    }
    if !ctx.lazySymbols.isEmpty {
        let h = section("__TEXT", "__stub_helper", flags: MachO.sRegular | MachO.attrPureInstructions | MachO.attrSomeInstructions, kind: .stubHelper)
        h.size = UInt64(stubHelperHeaderSize + ctx.lazySymbols.count * stubHelperEntrySize)
        h.alignLog2 = 2
        ctx.layout.stubHelper = h
        let l = section("__DATA", "__la_symbol_ptr", flags: MachO.sLazySymbolPointers, kind: .lazyPointers)
        l.size = UInt64(ctx.lazySymbols.count * 8)
        l.alignLog2 = 3
        ctx.layout.lazyPointers = l
        section("__DATA", "__data", flags: MachO.sRegular).atoms.append(ctx.dyldPrivateAtom)
    }
    if !ctx.tlvPointerSymbols.isEmpty {
        let s = section("__DATA", "__thread_ptrs", flags: MachO.sThreadLocalVariablePointers, kind: .tlvPointers)
        s.size = UInt64(ctx.tlvPointerSymbols.count * 8)
        s.alignLog2 = 3
        ctx.layout.tlvPointers = s
    }
    if let u = planUnwindInfo(ctx) {
        let s = section("__TEXT", "__unwind_info", flags: MachO.sRegular, kind: .unwindInfo)
        s.size = u
        s.alignLog2 = 2
        ctx.layout.unwindInfo = s
    }
    // Atom order inside sections: order-file priority first (stable otherwise).
    if !priority.isEmpty {
        for s in sections where s.kind == .atoms {
            let keyed = s.atoms.enumerated().map { (priority[$0.element] ?? Int.max, $0.offset, $0.element) }
            s.atoms = keyed.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { $0.2 }
        }
    }
    // Segments, in their fixed order; sections by rank then first appearance.
    var segNames: [String] = []
    for s in sections where !segNames.contains(s.segname) { segNames.append(s.segname) }
    if !segNames.contains("__TEXT") { segNames.append("__TEXT") }
    segNames.sort { (segmentRank($0), $0) < (segmentRank($1), $1) }
    var segments: [OutputSegment] = []
    if o.isExecutable && o.pagezeroSize > 0 {
        segments.append(OutputSegment(name: "__PAGEZERO", maxprot: 0, initprot: 0))
    }
    for name in segNames {
        var seg: OutputSegment
        switch name {
        case "__TEXT": seg = OutputSegment(name: name, maxprot: MachO.protR | MachO.protX, initprot: MachO.protR | MachO.protX)
        case "__DATA_CONST":
            seg = OutputSegment(name: name, maxprot: MachO.protR | MachO.protW, initprot: MachO.protR | MachO.protW)
            seg.flags = MachO.sgReadOnly
        default: seg = OutputSegment(name: name, maxprot: MachO.protR | MachO.protW, initprot: MachO.protR | MachO.protW)
        }
        seg.sections = sections.filter { $0.segname == name }.sorted { (sectionRank($0), $0.firstSeen) < (sectionRank($1), $1.firstSeen) }
        segments.append(seg)
    }
    segments.append(OutputSegment(name: "__LINKEDIT", maxprot: MachO.protR, initprot: MachO.protR))
    ctx.layout.segments = segments
    ctx.layout.sections = segments.flatMap { $0.sections }
    guard ctx.layout.sections.count < 256 else { throw LinkError("too many output sections (\(ctx.layout.sections.count); Mach-O allows 255)") }
    for (i, s) in ctx.layout.sections.enumerated() { s.ordinal = UInt8(i + 1) }

    ctx.layout.sizeofcmds = loadCommandsSize(ctx)
    assignAddresses(ctx)
}

/// Gives every segment, section and atom its address and file offset, and every symbol its
/// address. Runs again when a synthesized section's size changes (__unwind_info).
func assignAddresses(_ ctx: LinkContext) {
    let o = ctx.options
    let base: UInt64 = o.isExecutable ? o.pagezeroSize : 0
    ctx.layout.imageBase = base
    var vm = base, file: UInt64 = 0
    let page = MachO.pageSize
    // The thread-local template is one block: __thread_data and __thread_bss share the
    // largest alignment either needs (what ld64.lld writes).
    var tlvAlign: UInt8 = 0
    for s in ctx.layout.sections where s.isThreadLocalTemplate {
        for a in s.atoms { tlvAlign = max(tlvAlign, ctx.atoms[Int(a)].alignLog2) }
        tlvAlign = max(tlvAlign, s.alignLog2)
    }
    for s in ctx.layout.sections where s.isThreadLocalTemplate { s.alignLog2 = max(s.alignLog2, tlvAlign) }
    for si in ctx.layout.segments.indices {
        var seg = ctx.layout.segments[si]
        if seg.name == "__PAGEZERO" {
            seg.vmaddr = 0; seg.vmsize = base
            ctx.layout.segments[si] = seg
            continue
        }
        if seg.name == "__LINKEDIT" {
            seg.vmaddr = vm; seg.fileoff = file
            ctx.layout.segments[si] = seg
            ctx.layout.linkeditOffset = file
            break
        }
        seg.vmaddr = vm
        seg.fileoff = file
        var off: UInt64 = 0
        if seg.name == "__TEXT" {
            var pad = o.headerpad
            if o.headerpadMaxInstallNames { pad = max(pad, UInt64(ctx.dylibs.count) * 1024) }
            off = 32 + UInt64(ctx.layout.sizeofcmds) + pad
        }
        var fileEnd = off
        for s in seg.sections {
            var align = s.alignLog2
            for a in s.atoms { align = max(align, ctx.atoms[Int(a)].alignLog2) }
            if s.type == MachO.sThreadLocalVariables { align = max(align, 3) }   // descriptors hold pointers
            for a in o.sectionAlignments where a.segment == s.segname && a.section == s.sectname { align = max(align, a.log2) }
            s.alignLog2 = align
            off = alignUp(off, 1 << UInt64(align))
            s.addr = vm + off
            s.fileOffset = s.isZerofill ? 0 : file + off
            if s.kind == .initOffsets {
                s.alignLog2 = 2
                off = alignUp(off, 4)
                s.addr = vm + off
                s.fileOffset = file + off
                var size: UInt64 = 0
                for a in s.atoms {
                    ctx.atoms[Int(a)].outOffset = size
                    ctx.atoms[Int(a)].outSection = Int32(s.ordinal) - 1
                    size += UInt64(ctx.atoms[Int(a)].size / 2)
                }
                s.size = size
            }
            if s.kind == .atoms {
                var size: UInt64 = 0
                for a in s.atoms {
                    let atom = ctx.atoms[Int(a)]
                    size = alignUp(size, 1 << UInt64(atom.alignLog2))
                    ctx.atoms[Int(a)].outOffset = size
                    ctx.atoms[Int(a)].outSection = Int32(s.ordinal) - 1
                    size += UInt64(atom.size)
                }
                s.size = size
            }
            off += s.size
            if !s.isZerofill { fileEnd = off }
        }
        seg.vmsize = alignUp(off, page)
        seg.filesize = alignUp(fileEnd, page)
        if seg.vmsize == 0 { seg.vmsize = page }
        vm += seg.vmsize
        file += seg.filesize
        ctx.layout.segments[si] = seg
    }
    // Deduplicated literals take their survivor's place.
    for i in ctx.atoms.indices where ctx.atoms[i].replacedBy >= 0 {
        var r = ctx.atoms[i].replacedBy
        while ctx.atoms[Int(r)].replacedBy >= 0 { r = ctx.atoms[Int(r)].replacedBy }
        ctx.atoms[i].outSection = ctx.atoms[Int(r)].outSection
        ctx.atoms[i].outOffset = ctx.atoms[Int(r)].outOffset
    }
    if let tls = ctx.layout.sections.first(where: { $0.isThreadLocalTemplate }) { ctx.layout.tlvTemplateStart = tls.addr }
    // Symbol addresses.
    for i in ctx.symtab.symbols.indices {
        let s = ctx.symtab.symbols[i]
        switch s.kind {
        case .defined:
            let atom = ctx.atoms[Int(s.atom)]
            if atom.outSection >= 0 {
                ctx.symtab.symbols[i].address = ctx.layout.sections[Int(atom.outSection)].addr + atom.outOffset + s.value
            }
        case .absolute:
            ctx.symtab.symbols[i].address = ctx.imageBaseSymbols.contains(Int32(i)) ? base : s.value
        default: break
        }
    }
}

extension LinkContext {
    /// The output address of a global atom (0 for an atom that is not in the output).
    @inline(__always) func address(ofAtom a: Int32) -> UInt64 {
        let atom = atoms[Int(a)]
        if atom.outSection < 0 { return 0 }
        return layout.sections[Int(atom.outSection)].addr + atom.outOffset
    }
}
