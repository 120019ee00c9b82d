import WeldCore

/// Symbol resolution and archive extraction.
///
/// Objects are parsed in parallel and their names interned concurrently; then each file's
/// symbols are registered in priority (command-line) order, so the winner of every conflict
/// is the same whatever the thread count. Archive members are extracted in waves: a member is
/// loaded when a non-weak reference needs a symbol it defines, whatever the order of the
/// archive and the reference on the command line (as lld and mold do).
func resolveSymbols(_ ctx: Context) throws(LinkError) {
    let syms = ctx.symbols
    let o = ctx.options

    // Shared libraries first: they are never extracted lazily, so parse them all now.
    var sharedErrors: [LinkError?] = Parallel.map(ctx.shareds.count) { i -> LinkError? in
        do { try ctx.shareds[i].parse(); return nil } catch { return error as? LinkError ?? LinkError("\(error)") }
    }
    if let e = sharedErrors.compactMap({ $0 }).first { throw e }
    sharedErrors = []

    // Lazy symbols from archive symbol tables.
    for (ai, ar) in ctx.archives.enumerated() {
        let a = ar.archive
        if !a.hasSymbolTable && !ar.wholeArchive && !a.members.isEmpty {
            throw LinkError("\(a.file.path): archive has no symbol table (run ranlib on it)")
        }
        syms.reserve(a.symbolCount)
        let ids = Parallel.map(a.symbolCount, minChunk: 1024) { i -> Int32 in
            let n = a.symbolName(i)
            return syms.intern(NameRef(n.baseAddress!, n.count))
        }
        for i in 0..<a.symbolCount {
            let id = ids[i]
            let member = a.symbolMember(i)
            let prio = ar.priority + Int64(member) + 1
            if prio < syms[id].lazyPriority {
                syms[id].lazyPriority = prio
                syms[id].lazyArchive = Int32(ai)
                syms[id].lazyMember = Int32(member)
            }
        }
    }

    // Wrapping: references to W go to __wrap_W, references to __real_W go to W.
    var wrapMap: [Int32: Int32] = [:]
    for w in o.wraps {
        let real = syms.intern(w), wrap = syms.intern("__wrap_" + w), realRef = syms.intern("__real_" + w)
        wrapMap[real] = wrap
        wrapMap[realRef] = real
    }

    // Register shared library definitions (in priority order).
    for (si, so) in ctx.shareds.enumerated() {
        so.index = Int32(si)
        syms.reserve(so.symbolCount)
        so.symbolIds = Parallel.map(so.symbolCount, minChunk: 1024) { i -> Int32 in
            if i == 0 || so.symBind(i) == STB.local { return -1 }
            return syms.intern(so.symName(i))
        }
    }
    for so in ctx.shareds {
        for i in 1..<max(so.symbolCount, 1) {
            let id = so.symbolIds[i]
            if id < 0 { continue }
            // An executable exports what a library references, and what a library also
            // defines (so the executable's definition interposes the library's).
            syms[id].referencedByShared = true
            if so.symShndx(i) == SHN.undef { continue }
            // Non-default versions (foo@V, hidden) only satisfy references that name them.
            if so.symVersionHidden(i) { continue }
            if so.symVersion(i) == 0 { continue } // VER_NDX_LOCAL
            if syms[id].kind.rawValue > DefinitionKind.shared.rawValue ||
               (syms[id].kind == .shared && so.priority < syms[id].priority) {
                syms[id].kind = .shared
                syms[id].fileIndex = so.index
                syms[id].symIndex = Int32(i)
                syms[id].priority = so.priority
            }
        }
    }

    // Symbols the command line asks for count as strong references.
    var rootNames = o.undefined
    if let e = o.entry { rootNames.append(e) } else if ctx.options.outputKind == .executable { rootNames.append("_start") }
    for n in rootNames {
        let id = syms.intern(n)
        syms[id].referencedStrongly = true
        syms[id].referenced = true
    }

    // COMDAT signatures are interned like symbols (in parallel); the owner of each is the
    // first file, in priority order, that registers it.
    let comdatTable = SymbolTable(expected: 1 << 12)
    var comdatOwner: [Int64] = []
    var pending: [ObjectFile] = ctx.objects
    ctx.objects = []
    for ar in ctx.archives where ar.wholeArchive {
        for m in 0..<ar.archive.members.count {
            if let obj = try memberObject(ar, m) { pending.append(obj) }
        }
    }
    pending.sort { $0.priority < $1.priority }

    while !pending.isEmpty {
        // Parse and intern the wave in parallel.
        let wave = pending
        pending = []
        let errors: [LinkError?] = Parallel.map(wave.count) { i -> LinkError? in
            do { try wave[i].parse(); return nil } catch { return error as? LinkError ?? LinkError("\(error)") }
        }
        if let e = errors.compactMap({ $0 }).first { throw e }
        syms.reserve(wave.reduce(0) { $0 + max($1.symbolCount - $1.firstGlobal, 0) })
        comdatTable.reserve(wave.reduce(0) { $0 + $1.groups.count })
        Parallel.forEach(wave.count) { f in
            let obj = wave[f]
            obj.groupIds = obj.groups.map { comdatTable.intern($0.signature) }
            let n = obj.symbolCount - obj.firstGlobal
            obj.symbolIds = [Int32](unsafeUninitializedCapacity: max(n, 0)) { buf, count in
                for k in 0..<max(n, 0) { buf[k] = syms.intern(obj.symName(obj.firstGlobal + k)) }
                count = max(n, 0)
            }
        }
        // Register in priority order.
        var toLoad: [(Int32, Int32)] = []
        for obj in wave {
            obj.index = Int32(ctx.objects.count)
            ctx.objects.append(obj)
            // COMDAT: the first group with a signature wins; the members of later ones are dropped.
            if comdatOwner.count < comdatTable.count { comdatOwner += [Int64](repeating: -1, count: comdatTable.count - comdatOwner.count) }
            for (g, gid) in zip(obj.groups, obj.groupIds) {
                let owner = comdatOwner[Int(gid)]
                if owner >= 0 && owner != obj.priority {
                    for m in g.members { obj.sections[Int(m)]?.alive = false }
                } else {
                    comdatOwner[Int(gid)] = obj.priority
                }
            }
            for k in 0..<obj.symbolIds.count {
                let i = obj.firstGlobal + k
                var id = obj.symbolIds[k]
                let bind = obj.symBind(i)
                let vis = obj.symVisibility(i)
                let shndx = obj.symShndx(i)
                if vis != STV.default {
                    let cur = syms[id].visibility
                    if cur == STV.default || vis < cur { syms[id].visibility = vis }
                }
                let isCommon = shndx == UInt32(SHN.common)
                let defined = shndx != UInt32(SHN.undef)
                // A definition in a dropped COMDAT member resolves to the kept copy.
                let deadDef = defined && !isCommon && shndx < UInt32(SHN.loreserve) && obj.sections[Int(shndx)].map { !$0.alive } ?? false
                if !defined || deadDef {
                    if !deadDef, let w = wrapMap[id] { id = w; obj.symbolIds[k] = w }
                    syms[id].referenced = true
                    if bind != STB.weak && !deadDef {
                        syms[id].referencedStrongly = true
                        let s = syms[id]
                        if s.lazyArchive >= 0 && (s.kind == .undefined || s.kind == .lazy || (s.kind == .shared && s.lazyPriority < s.priority)) {
                            toLoad.append((s.lazyArchive, s.lazyMember))
                        }
                    }
                    continue
                }
                let kind: DefinitionKind = isCommon ? .common : (bind == STB.weak ? .weak : .strong)
                let cur = syms[id]
                if cur.kind == .strong && kind == .strong {
                    if !o.allowMultipleDefinition {
                        let first = cur.fileIndex >= 0 && Int(cur.fileIndex) < ctx.objects.count
                            ? definedAtText(ctx.objects[Int(cur.fileIndex)], symbol: Int(cur.symIndex), place: definitionPlace(ctx, cur))
                            : definitionPlace(ctx, cur)
                        let second = definedAtText(obj, symbol: i, place: "\(obj.displayName):(\(obj.symSection(i).map { $0.name.string } ?? "*ABS*")+0x\(hex(obj.symValue(i))))")
                        ctx.diag.error("duplicate symbol: \(cur.name.string)\n>>> defined at \(first)\n>>> defined at \(second)")
                    }
                    continue
                }
                if kind == .common && cur.kind == .common {
                    // Commons merge: the largest size and alignment win (alignment is in st_value).
                    if obj.symSize(i) > syms[id].size { syms[id].size = obj.symSize(i) }
                    if obj.symValue(i) > ctx.objects[Int(cur.fileIndex)].symValue(Int(cur.symIndex)) {
                        syms[id].fileIndex = obj.index; syms[id].symIndex = Int32(i)
                        syms[id].size = max(syms[id].size, obj.symSize(i))
                    }
                    continue
                }
                if kind.rawValue < cur.kind.rawValue || (kind == cur.kind && obj.priority < cur.priority && kind != .weak) {
                    if kind == .common && cur.kind == .weak { /* a weak definition beats a common */ continue }
                    let prevSize = cur.kind == .common ? cur.size : 0
                    syms[id].kind = kind
                    syms[id].fileIndex = obj.index
                    syms[id].symIndex = Int32(i)
                    syms[id].priority = obj.priority
                    syms[id].size = max(obj.symSize(i), kind == .common ? prevSize : 0)
                } else if kind == .common && cur.kind == .strong && o.warnCommon {
                    ctx.diag.warning("common of \(cur.name.string) overridden by definition")
                }
            }
        }
        // Members needed by this wave's references, in a deterministic order.
        toLoad.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        for (a, m) in toLoad {
            let ar = ctx.archives[Int(a)]
            if ar.loaded[Int(m)] { continue }
            if let obj = try memberObject(ar, Int(m)) { pending.append(obj) }
        }
        // References resolved later by a new member may also need re-checking: symbols still
        // lazy and strongly referenced by an earlier wave are caught by the loop below.
        if pending.isEmpty {
            for id in 0..<Int32(syms.count) {
                let s = syms[id]
                if s.name.count < 0 || !s.referencedStrongly || s.lazyArchive < 0 { continue }
                if s.kind == .undefined || s.kind == .lazy || (s.kind == .shared && s.lazyPriority < s.priority) {
                    let ar = ctx.archives[Int(s.lazyArchive)]
                    if !ar.loaded[Int(s.lazyMember)], let obj = try memberObject(ar, Int(s.lazyMember)) { pending.append(obj) }
                }
            }
            pending.sort { $0.priority < $1.priority }
        }
    }
    if ctx.diag.hasErrors { throw LinkError("") }

    // Local IFUNCs need PLT stubs like global ones, and (in a shared library) local TLS
    // variables reached through the GOT need GOT slots: give each a hidden global entry.
    for obj in ctx.objects {
        var promote = Set<Int>()
        for i in 1..<max(obj.firstGlobal, 1) where obj.symType(i) == STT.gnuIfunc { promote.insert(i) }
        if ctx.isShared {
            for case let sec? in obj.sections where sec.alive && sec.flags & SHF.alloc != 0 {
                for r in 0..<sec.relocCount {
                    let rel = sec.reloc(r)
                    let t = rel.type
                    if rel.sym > 0 && rel.sym < obj.firstGlobal && (t == R_X86_64.tlsgd || t == R_X86_64.gottpoff || t == R_X86_64.gotpc32Tlsdesc) {
                        promote.insert(rel.sym)
                    }
                }
            }
        }
        for i in promote.sorted() where obj.symSection(i)?.alive == true {
            let id = syms.intern("\(obj.symName(i).string)@weld.local.\(obj.index).\(i)")
            syms[id].kind = .strong
            syms[id].fileIndex = obj.index
            syms[id].symIndex = Int32(i)
            syms[id].visibility = STV.hidden
            obj.promotedLocals[i] = id
            ctx.localIfuncs.append(id)
        }
    }
    // Resolve final attributes of every symbol defined in an object.
    Parallel.forEach(syms.count, minChunk: 4096) { idx in
        let id = Int32(idx)
        let s = syms[id]
        if s.name.count < 0 { return }
        switch s.kind {
        case .strong, .weak:
            let obj = ctx.objects[Int(s.fileIndex)]
            let i = Int(s.symIndex)
            syms[id].type = obj.symType(i)
            syms[id].binding = obj.symBind(i)
            syms[id].size = obj.symSize(i)
            syms[id].section = obj.symSection(i)
            syms[id].isAbsolute = obj.symShndx(i) == UInt32(SHN.abs)
            syms[id].value = obj.symValue(i)
            if obj.symType(i) == STT.gnuIfunc { syms[id].flags |= SymbolFlag.isIfunc }
        case .common:
            syms[id].type = STT.object
        case .shared:
            let so = ctx.shareds[Int(s.fileIndex)]
            let i = Int(s.symIndex)
            syms[id].type = so.symType(i)
            syms[id].size = so.symSize(i)
            // An import is weak only if every reference to it is weak.
            syms[id].binding = s.referencedStrongly ? STB.global : STB.weak
        default: break
        }
    }
    // Commons, in file order, become .bss space.
    for obj in ctx.objects {
        for k in 0..<obj.symbolIds.count {
            let id = obj.symbolIds[k]
            let s = syms[id]
            if s.kind == .common && s.fileIndex == obj.index && s.symIndex == Int32(obj.firstGlobal + k) {
                ctx.commonSymbols.append(id)
            }
        }
    }
    // Shared libraries that satisfy a reference (or are not --as-needed) become DT_NEEDED.
    for id in 0..<Int32(syms.count) {
        let s = syms[id]
        if s.name.count >= 0 && s.kind == .shared && s.referenced {
            ctx.shareds[Int(s.fileIndex)].isNeeded = true
        }
    }
    for so in ctx.shareds where !so.asNeeded { so.isNeeded = true }
}

/// Makes an ObjectFile for archive member `m` (mapping a thin archive's member file).
func memberObject(_ ar: ArchiveInput, _ m: Int) throws(LinkError) -> ObjectFile? {
    ar.loaded[m] = true
    let member = ar.archive.members[m]
    let name = "\(ar.path)(\(member.name))"
    let prio = ar.priority + Int64(m) + 1
    if let thin = member.thinPath {
        let f = try MappedFile.open(thin)
        if f.size >= 4 && f.base.u32(0) != 0x464c_457f { return nil }
        return ObjectFile(displayName: name, base: f.base, size: f.size, priority: prio, isFromArchive: true)
    }
    guard let data = ar.archive.memberData(m) else { return nil }
    // Archives may hold non-object members (e.g. a text file); only ELF ones are linked.
    if data.count >= 4 && data.baseAddress!.u32(0) != 0x464c_457f {
        if ar.wholeArchive { return nil }
        throw LinkError("\(name): archive member is not an ELF object")
    }
    return ObjectFile(displayName: name, base: data.baseAddress!, size: data.count, priority: prio, isFromArchive: true)
}

/// "file.o:(.text+0x10)" for a symbol's current definition.
func definitionPlace(_ ctx: Context, _ s: Symbol) -> String {
    switch s.kind {
    case .strong, .weak, .common:
        let obj = ctx.objects[Int(s.fileIndex)]
        let i = Int(s.symIndex)
        let sec = obj.symSection(i).map { $0.name.string } ?? "*ABS*"
        return "\(obj.displayName):(\(sec)+0x\(hex(obj.symValue(i))))"
    case .shared: return ctx.shareds[Int(s.fileIndex)].path
    default: return "(nowhere)"
    }
}
