import WeldCore

/// Loads the command line's inputs in order and resolves every external name: objects define,
/// archives offer lazy members (pulled when a name they define is undefined), dylibs export.
/// Runs on one thread in command-line order, so the result never depends on scheduling; the
/// expensive part (parsing objects) ran in parallel before.
func loadAndResolve(_ ctx: LinkContext) throws(LinkError) {
    let o = ctx.options
    let search = LibrarySearch(o)
    // Where each input is, in order.
    var paths: [(path: String, input: Options.Input)] = []
    for input in o.inputs {
        switch input.kind {
        case .path(let p): paths.append((p, input))
        case .library(let name):
            guard let p = search.findLibrary(name) else { throw LinkError("library not found for -l\(name)") }
            paths.append((p, input))
        case .framework(let name):
            guard let p = search.findFramework(name) else { throw LinkError("framework not found for -framework \(name)") }
            paths.append((p, input))
        }
    }
    let opened = Parallel.map(paths.count) { i -> Result<LoadedInput, LinkError> in
        do { return .success(try openInput(paths[i].path, forceLoad: paths[i].input.forceLoad)) } catch let e as LinkError { return .failure(e) } catch { return .failure(LinkError("\(error)")) }
    }
    // Room for the global names the command line's files can bring (objects' externals,
    // archive symbol tables, exports; many repeat), so the table rarely rehashes.
    var expected = 0
    for case .success(let input) in opened {
        switch input {
        case .object(let o): for n in o.nlists where n.isExternal { expected += 1 }
        case .archive(let a, _): expected += a.archive.symbolCount
        case .dylibs(let ds): for d in ds { expected += d.exports.count }
        }
    }
    ctx.symtab.reserve(expected / 2)
    // -u NAME: an undefined reference from the command line, so archives supply it.
    for name in o.forcedUndefined {
        let (id, isNew) = ctx.symtab.intern(NameArena.make(name))
        if isNew { ctx.symtab.symbols[Int(id)].weakRef = false }
        ctx.forcedUndefined.append(id)
    }
    var seenLibraries = Set<String>()
    for (i, r) in opened.enumerated() {
        let input: LoadedInput
        switch r {
        case .success(let v): input = v
        case .failure(let e): throw e
        }
        seenLibraries.insert(paths[i].path)
        ctx.inputPaths.append(paths[i].path)
        try addInput(ctx, input, spec: paths[i].input)
    }
    // Auto-linking: LC_LINKER_OPTION libraries and frameworks, after everything named, until no
    // loaded object asks for more.
    var processed = 0
    while processed < ctx.objects.count {
        let obj = ctx.objects[processed]
        processed += 1
        for opt in obj.linkerOptions {
            var path: String? = nil
            if let first = opt.first, first.hasPrefix("-l") {
                path = search.findLibrary(String(first.dropFirst(2)))
            } else if opt.count == 2 && opt[0] == "-framework" {
                path = search.findFramework(opt[1])
            }
            // ld64 ignores auto-link options it cannot satisfy; a missing symbol says more.
            guard let path, !seenLibraries.contains(path) else { continue }
            seenLibraries.insert(path)
            ctx.inputPaths.append(path)
            try addInput(ctx, try openInput(path, forceLoad: false), spec: Options.Input(kind: .path(path)))
        }
    }
}

func addInput(_ ctx: LinkContext, _ input: LoadedInput, spec: Options.Input) throws(LinkError) {
    switch input {
    case .object(let obj):
        try addObject(ctx, obj)
    case .archive(let ar, let forceLoad):
        let index = Int32(ctx.archives.count)
        ctx.archives.append(ar)
        if forceLoad || ctx.options.allLoad {
            // Every member, parsed in parallel, added in archive order.
            let members = ar.archive.members.indices.filter { !ar.archive.members[$0].name.hasPrefix("__.SYMDEF") }
            let parsed = Parallel.map(members.count) { k -> Result<ObjectFile?, LinkError> in
                do { return .success(try parseMember(ar, members[k])) } catch let e as LinkError { return .failure(e) } catch { return .failure(LinkError("\(error)")) }
            }
            for (k, r) in parsed.enumerated() {
                switch r {
                case .failure(let e): throw e
                case .success(let obj):
                    ar.loaded[members[k]] = true
                    if let obj { try addObject(ctx, obj) }
                }
            }
            return
        }
        guard ar.archive.hasSymbolTable || ar.archive.members.isEmpty else {
            throw LinkError("\(ar.path): archive has no symbol table (run ranlib)")
        }
        if ctx.options.objC {
            // -ObjC: members with Objective-C classes or categories load whether or not a
            // symbol pulls them (categories define no symbol that anything references).
            var pulls: [(ArchiveInput, Int)] = []
            for m in ar.archive.members.indices where !ar.loaded[m] {
                if let data = ar.archive.memberData(m), definesObjCMetadata(data) { pulls.append((ar, m)) }
            }
            try loadMembers(ctx, pulls)
        }
        for k in 0..<ar.archive.symbolCount {
            let name = ar.archive.symbolName(k)
            let member = ar.archive.symbolMember(k)
            let (id, _) = ctx.symtab.intern(name)
            let s = ctx.symtab.symbols[Int(id)]
            if s.kind == .undefined && (s.file >= 0 || ctx.forcedUndefined.contains(id)) {
                try loadMember(ctx, ar, member)
            } else if s.kind == .undefined {
                ctx.symtab.symbols[Int(id)].kind = .lazy
                ctx.symtab.symbols[Int(id)].file = index
                ctx.symtab.symbols[Int(id)].atom = Int32(member)
            }
            if ctx.options.objC, name.starts(with: "_OBJC_CLASS_$_".utf8) || name.starts(with: "_OBJC_METACLASS_$_".utf8) {
                try loadMember(ctx, ar, member)
            }
        }
    case .dylibs(let libs):
        var loaded = Set(ctx.dylibs.map { $0.installName })
        var queue = libs
        var next = 0
        var skipping = false
        while next < queue.count {
            let d = queue[next]
            next += 1
            // The same library twice: skip it and the re-exported documents that follow it.
            if !d.isHidden { skipping = loaded.contains(d.installName) }
            if skipping { continue }
            loaded.insert(d.installName)
            let index = Int32(ctx.dylibs.count)
            d.weak = spec.weak
            d.reexported = spec.reexport && !d.isHidden
            d.needed = spec.needed && !d.isHidden
            ctx.dylibs.append(d)
            // Re-exported libraries not described in the same file (libc++ re-exports
            // libc++abi): found by install name under the SDK, bound through this library's
            // ordinal (they follow it in `dylibs`, marked hidden).
            for name in d.reexports where !loaded.contains(name) && !queue.contains(where: { $0.installName == name }) {
                guard let path = findReexport(ctx, name) else {
                    ctx.diag.warning("\(d.path): re-exported library \(name) not found; its symbols are unavailable")
                    continue
                }
                ctx.inputPaths.append(path)
                if case .dylibs(let more) = try openInput(path, forceLoad: false) {
                    for m in more { m.isHidden = true }
                    queue.insert(contentsOf: more, at: next)
                }
            }
            for e in d.exports {
                let (id, _) = ctx.symtab.intern(e.name)
                let s = ctx.symtab.symbols[Int(id)]
                // An archive earlier on the command line keeps its claim (ld64 searches
                // libraries in command-line order): a lazy symbol stays lazy.
                if s.kind == .undefined {
                    var n = s
                    n.kind = .dylib
                    n.file = index
                    n.weakDef = e.weakDef
                    n.isThreadLocal = e.threadLocal
                    ctx.symtab.symbols[Int(id)] = n
                }
            }
        }
    }
}

func parseMember(_ ar: ArchiveInput, _ member: Int) throws(LinkError) -> ObjectFile? {
    let m = ar.archive.members[member]
    let name = "\(ar.path)(\(m.name))"
    let bytes: UnsafeRawBufferPointer
    if let data = ar.archive.memberData(member) {
        bytes = data
    } else if let thin = m.thinPath {
        bytes = try MappedFile.open(thin).bytes
    } else {
        throw LinkError("\(name): member has no data")
    }
    // Archives may hold other things (symbol-table leftovers, bitcode): only objects are linked.
    guard bytes.count >= 16, let b = bytes.baseAddress, b.u32(0) == MachO.magic64 else {
        if bytes.count >= 4, let b = bytes.baseAddress, b.u32(0) == 0x0b17_c0de || b.u32(0) == 0xdec0_4342 {
            throw LinkError("\(name): LLVM bitcode (LTO) members are not supported")
        }
        return nil
    }
    let obj = try ObjectFile(name: name, bytes: bytes)
    // ar_date: 12 decimal digits at offset 16 of the member header.
    let header = ar.archive.file.base + m.headerOffset
    var date: UInt64 = 0
    for i in 16..<28 {
        let c = header.u8(i)
        guard c >= 0x30 && c <= 0x39 else { break }
        date = date * 10 + UInt64(c - 0x30)
    }
    obj.modificationTime = date
    return obj
}

func loadMember(_ ctx: LinkContext, _ ar: ArchiveInput, _ member: Int) throws(LinkError) {
    if ar.loaded[member] { return }
    ar.loaded[member] = true
    if Diagnostics.shared.traceInputs { Diagnostics.shared.note("\(ar.path)(\(ar.archive.members[member].name))") }
    if let obj = try parseMember(ar, member) { try addObject(ctx, obj) }
}

/// Adds a parsed object to the link: its atoms get global indices, its locals become symbols,
/// its externals are resolved against what is already there (which may pull archive members).
func addObject(_ ctx: LinkContext, _ obj: ObjectFile) throws(LinkError) {
    obj.index = Int32(ctx.objects.count)
    obj.atomBase = Int32(ctx.atoms.count)
    ctx.objects.append(obj)
    for var a in obj.atoms {
        a.file = obj.index
        ctx.atoms.append(a)
    }
    // Local copies: reading a class's array properties inside the loop costs a retain and an
    // exclusivity check per access.
    let nlists = obj.nlists, symbolAtoms = obj.symbolAtom, symbolOffsets = obj.symbolOffset
    let sections = obj.sections, atoms = obj.atoms
    var symbolIDs = [Int32](repeating: -1, count: nlists.count)
    var pulls: [(ArchiveInput, Int)] = []
    for k in nlists.indices {
        let n = nlists[k]
        if n.isStab { continue }
        let kind = n.kind
        let localAtom = symbolAtoms[k]
        let sectionType = localAtom >= 0 ? sections[Int(atoms[Int(localAtom)].section)].flags : 0
        let isFunction = sectionType & MachO.attrPureInstructions != 0
        if !n.isExternal {
            let nameBytes = obj.symbolName(k)
            var s = Symbol(name: Name(base: nameBytes.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, count: nameBytes.count))
            s.file = obj.index
            s.weakRef = false
            switch kind {
            case MachO.nSect:
                // A symbol in a dropped (debug) section has no atom; it can never be referenced.
                guard localAtom >= 0 else { continue }
                s.kind = .defined
                s.atom = obj.atomBase + localAtom
                s.value = UInt64(symbolOffsets[k])
                s.isFunction = isFunction
                s.noDeadStrip = n.desc & MachO.nNoDeadStrip != 0
                s.isThreadLocal = sectionType & MachO.sectionTypeMask == MachO.sThreadLocalVariables
            case MachO.nAbs:
                s.kind = .absolute
                s.value = n.value
            default:
                continue
            }
            symbolIDs[k] = ctx.symtab.appendLocal(s)
            continue
        }
        let name = obj.symbolName(k)
        let (id, _) = ctx.symtab.intern(name)
        symbolIDs[k] = id
        var s = ctx.symtab.symbols[Int(id)]
        switch kind {
        case MachO.nUndf where n.value != 0:
            // A tentative definition: the largest size and alignment win; any real definition
            // beats it.
            let align = UInt8((n.desc >> 8) & 0x0f)
            switch s.kind {
            case .undefined, .lazy, .dylib:
                s.kind = .common
                s.file = obj.index
                s.value = n.value
                s.commonAlignLog2 = align
                s.privateExtern = n.isPrivateExtern
            case .common:
                s.value = max(s.value, n.value)
                s.commonAlignLog2 = max(s.commonAlignLog2, align)
            default: break
            }
        case MachO.nUndf:
            let weakRef = n.desc & MachO.nWeakRef != 0
            switch s.kind {
            case .undefined:
                if s.file < 0 { s.file = obj.index }
                s.weakRef = s.weakRef && weakRef
            case .lazy:
                pulls.append((ctx.archives[Int(s.file)], Int(s.atom)))
                s.kind = .undefined
                s.file = obj.index
                s.weakRef = weakRef
            default:
                s.weakRef = s.weakRef && weakRef
            }
        case MachO.nSect, MachO.nAbs:
            if kind == MachO.nSect && localAtom < 0 { continue }
            let weakDef = n.desc & MachO.nWeakDef != 0
            let canBeHidden = weakDef && n.desc & MachO.nWeakRef != 0
            if s.kind == .defined && s.weakDef && weakDef { s.canBeHidden = s.canBeHidden && canBeHidden }
            var take = false
            switch s.kind {
            case .undefined, .lazy, .dylib, .common: take = true
            case .defined, .absolute:
                if s.weakDef && !weakDef {
                    take = true
                    if s.kind == .defined { ctx.atoms[Int(s.atom)].live = false }   // the coalesced-away copy
                } else if !weakDef && !s.weakDef {
                    ctx.diag.error("duplicate symbol: \(String(decoding: name, as: UTF8.self))\n>>> defined in \(ctx.fileName(ofSymbol: s))\n>>> defined in \(obj.name)")
                } else if kind == MachO.nSect, symbolOffsets[k] == 0 {
                    ctx.atoms[Int(obj.atomBase + localAtom)].live = false
                }
            }
            if take {
                let keepRef = s.weakRef
                s.kind = kind == MachO.nSect ? .defined : .absolute
                s.file = obj.index
                s.atom = kind == MachO.nSect ? obj.atomBase + localAtom : -1
                s.value = kind == MachO.nSect ? UInt64(symbolOffsets[k]) : n.value
                s.canBeHidden = canBeHidden
                s.weakDef = weakDef
                s.privateExtern = n.isPrivateExtern
                s.isFunction = isFunction
                s.weakRef = keepRef
                s.noDeadStrip = n.desc & MachO.nNoDeadStrip != 0
                s.referencedDynamically = n.desc & MachO.referencedDynamically != 0
                s.isThreadLocal = localAtom >= 0 && sectionType & MachO.sectionTypeMask == MachO.sThreadLocalVariables
            }
        case MachO.nIndr:
            throw LinkError("\(obj.name): indirect symbol \(String(decoding: name, as: UTF8.self)) (N_INDR) is not supported")
        default:
            break
        }
        ctx.symtab.symbols[Int(id)] = s
    }
    obj.symbolIDs = symbolIDs
    try loadMembers(ctx, pulls)
}

/// Loads archive members pulled by one object: parsed in parallel, added in the order the
/// object asked for them (so the result does not depend on threads).
func loadMembers(_ ctx: LinkContext, _ pulls: [(ArchiveInput, Int)]) throws(LinkError) {
    var todo: [(ArchiveInput, Int)] = []
    for (ar, m) in pulls where !ar.loaded[m] {
        ar.loaded[m] = true
        todo.append((ar, m))
    }
    if todo.isEmpty { return }
    if todo.count == 1 {
        if Diagnostics.shared.traceInputs { Diagnostics.shared.note("\(todo[0].0.path)(\(todo[0].0.archive.members[todo[0].1].name))") }
        if let obj = try parseMember(todo[0].0, todo[0].1) { try addObject(ctx, obj) }
        return
    }
    let parsed = Parallel.map(todo.count) { i -> Result<ObjectFile?, LinkError> in
        do { return .success(try parseMember(todo[i].0, todo[i].1)) } catch let e as LinkError { return .failure(e) } catch { return .failure(LinkError("\(error)")) }
    }
    for (i, r) in parsed.enumerated() {
        if Diagnostics.shared.traceInputs { Diagnostics.shared.note("\(todo[i].0.path)(\(todo[i].0.archive.members[todo[i].1].name))") }
        switch r {
        case .failure(let e): throw e
        case .success(let obj): if let obj { try addObject(ctx, obj) }
        }
    }
}

/// Gives every common symbol a zero-filled atom (in __DATA,__common), reports undefined
/// symbols, and finds the entry point.
func finishResolution(_ ctx: LinkContext) throws(LinkError) {
    let o = ctx.options
    for i in ctx.symtab.symbols.indices where ctx.symtab.symbols[i].kind == .common {
        let s = ctx.symtab.symbols[i]
        guard s.value <= UInt64(UInt32.max) else { throw LinkError("common symbol \(s.name.string) is too large (\(s.value) bytes)") }
        let a = Atom(file: -1, section: -1, inputOffset: 0, size: UInt32(s.value), alignLog2: s.commonAlignLog2)
        ctx.symtab.symbols[i].atom = Int32(ctx.atoms.count)
        ctx.symtab.symbols[i].value = 0
        ctx.symtab.symbols[i].kind = .defined
        ctx.atoms.append(a)
        ctx.commonSymbols.append(Int32(i))
    }
    // The linker-defined header symbol.
    let headerName = o.isExecutable ? "__mh_execute_header" : (o.outputKind == .dylib ? "__mh_dylib_header" : "__mh_bundle_header")
    let (h, _) = ctx.symtab.intern(NameArena.make(headerName))
    if ctx.symtab.symbols[Int(h)].kind == .undefined || ctx.symtab.symbols[Int(h)].kind == .lazy {
        ctx.symtab.symbols[Int(h)].kind = .absolute   // address filled in by layout
        ctx.symtab.symbols[Int(h)].privateExtern = !o.isExecutable
        ctx.symtab.symbols[Int(h)].referencedDynamically = o.isExecutable
        ctx.symtab.symbols[Int(h)].file = -1
    }
    ctx.headerSymbol = h
    ctx.imageBaseSymbols = [h]
    // ___dso_handle (C++ static destructors register with it) is the image's own header too.
    if let d = ctx.symtab.find("___dso_handle"), ctx.symtab.symbols[Int(d)].kind == .undefined {
        ctx.symtab.symbols[Int(d)].kind = .absolute
        ctx.symtab.symbols[Int(d)].privateExtern = true
        ctx.symtab.symbols[Int(d)].file = -1
        ctx.imageBaseSymbols.append(d)
    }
    if o.isExecutable {
        let entry = o.entry ?? "_main"
        guard let e = ctx.symtab.find(entry), ctx.symtab.symbols[Int(e)].kind != .undefined else {
            throw LinkError("undefined symbol: \(entry)\n>>> referenced by the entry point (-e)")
        }
        ctx.entrySymbol = e
    }
    // -alias SYMBOL ALIAS: another global name for a definition.
    for (target, alias) in o.aliases {
        guard let t = ctx.symtab.find(target), ctx.symtab.symbols[Int(t)].kind == .defined || ctx.symtab.symbols[Int(t)].kind == .absolute else {
            throw LinkError("-alias: \(target) is not defined, so \(alias) cannot name it")
        }
        let (a, _) = ctx.symtab.intern(NameArena.make(alias))
        guard ctx.symtab.symbols[Int(a)].kind != .defined else { throw LinkError("-alias: \(alias) is already defined") }
        var s = ctx.symtab.symbols[Int(t)]
        s.name = ctx.symtab.symbols[Int(a)].name
        s.external = true
        s.privateExtern = false
        ctx.symtab.symbols[Int(a)] = s
    }
    if let name = o.initSymbol {
        guard let id = ctx.symtab.find(name), ctx.symtab.symbols[Int(id)].kind == .defined else {
            throw LinkError("-init: \(name) is not defined in the linked objects")
        }
        ctx.initSymbol = id
    }
    let dynamicUndefs = Set(o.dynamicUndefineds)
    for i in ctx.symtab.symbols.indices where ctx.symtab.symbols[i].kind == .undefined || ctx.symtab.symbols[i].kind == .lazy {
        let s = ctx.symtab.symbols[i]
        if s.kind == .lazy { continue }   // never referenced
        let name = s.name.string
        if dynamicUndefs.contains(name) || o.undefined == .dynamicLookup { continue }   // flat lookup at run time
        switch o.undefined {
        case .suppress: continue
        case .warning: ctx.diag.warning("undefined symbol: \(name)\n>>> referenced by \(referenceSite(ctx, Int32(i)))"); continue
        default: break
        }
        ctx.diag.error("undefined symbol: \(name)\n>>> referenced by \(referenceSite(ctx, Int32(i)))")
    }
    if ctx.diag.hasErrors { throw LinkError("") }
}

/// Where symbol `id` is first used: "file.o:(__TEXT,__text+0x1c) in _main" for the first
/// relocation naming it in the first file that refers to it, or just the file.
func referenceSite(_ ctx: LinkContext, _ id: Int32) -> String {
    let s = ctx.symtab.symbols[Int(id)]
    if s.file < 0 && ctx.forcedUndefined.contains(id) { return "the -u command-line option" }
    guard s.file >= 0, Int(s.file) < ctx.objects.count else { return ctx.fileName(ofSymbol: s) }
    let f = ctx.objects[Int(s.file)]
    for (li, atom) in f.atoms.enumerated() where atom.relocCount > 0 {
        for r in f.relocs[Int(atom.relocStart)..<Int(atom.relocStart + atom.relocCount)]
        where (r.targetIsSymbol && f.symbolIDs[Int(r.target)] == id) || (r.subtrahend >= 0 && f.symbolIDs[Int(r.subtrahend)] == id) {
            let a = f.atomBase + Int32(li)
            let owner = atomDisplayName(ctx, a)
            return "\(ctx.location(atom: a, offset: r.offset))" + (owner.contains(" from ") ? " in \(owner.split(separator: " ")[0])" : "")
        }
    }
    return f.name
}

/// The file of a re-exported library, from its install name: under each -syslibroot (a .tbd
/// beside where the .dylib would be, then the .dylib), then the path itself.
func findReexport(_ ctx: LinkContext, _ installName: String) -> String? {
    let roots = ctx.options.syslibroots.isEmpty ? [""] : ctx.options.syslibroots
    var stem = installName
    if stem.hasSuffix(".dylib") { stem = String(stem.dropLast(6)) }
    for root in roots {
        for candidate in [root + stem + ".tbd", root + installName] where fileExists(candidate) { return candidate }
    }
    return fileExists(installName) ? installName : nil
}

/// Whether an object has Objective-C class or category lists (read from its section headers
/// only; anything malformed is left to the full parse).
func definesObjCMetadata(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard bytes.count >= 32, let b = bytes.baseAddress, b.u32(0) == MachO.magic64 else { return false }
    let ncmds = Int(b.u32(16)), sizeofcmds = Int(b.u32(20))
    guard 32 + sizeofcmds <= bytes.count else { return false }
    var off = 32
    for _ in 0..<ncmds {
        guard off + 8 <= 32 + sizeofcmds else { return false }
        let cmd = b.u32(off), size = Int(b.u32(off + 4))
        guard size >= 8, off + size <= 32 + sizeofcmds else { return false }
        if cmd == MachO.lcSegment64 && size >= 72 {
            let n = Int(b.u32(off + 64))
            guard 72 + n * 80 <= size else { return false }
            for k in 0..<n {
                let name = b.fixedName(off + 72 + k * 80, 16)
                if name == "__objc_classlist" || name == "__objc_catlist" || name == "__objc_nlcatlist" || name == "__objc_nlclslist" { return true }
            }
        }
        off += size
    }
    return false
}
