import WeldCore
import CMemoryHints
#if canImport(Glibc)
import Glibc
#endif

/// Symbol resolution and archive extraction, in parallel and deterministic.
///
/// Every definition has a rank: its kind (strong < weak < common < shared library) and then
/// its command-line priority. Each file proposes its definitions with an atomic minimum on
/// the symbol's rank, in parallel; the winner is the same whatever the thread count, because
/// the minimum does not depend on the order of the proposals. Archive members are extracted
/// in waves: a member is loaded when a non-weak reference needs a symbol it defines, whatever
/// the order of the archive and the reference on the command line (as lld and mold do).
/// How many names ahead interning loops prefetch a name's first table slot.
let symbolPrefetchDistance = 8

func resolveSymbols(_ ctx: Context) throws(LinkError) {
    let syms = ctx.symbols
    let o = ctx.options

    var spanStart = monotonicNanos()
    // Shared libraries are never extracted lazily, so parse them all now.
    let sharedErrors: [LinkError?] = Parallel.map(ctx.shareds.count) { i -> LinkError? in
        do { try ctx.shareds[i].parse(); return nil } catch { return error as? LinkError ?? LinkError("\(error)") }
    }
    if let e = sharedErrors.compactMap({ $0 }).first { throw e }

    // Size the table once for what the archives and libraries announce, so it rarely has to
    // grow (a growth rehashes every name). Objects are not guessed at: each wave reserves for
    // its files' exact global counts once they are parsed. (A guess from their size, 1 per 64
    // bytes, made the swift-debug link, whose objects are mostly DWARF, reserve 4.9 million
    // names for 215,000: 134 MB of slots written at start-up.)
    let announced = ctx.archives.reduce(0) { $0 + $1.archive.symbolCount } + ctx.shareds.reduce(0) { $0 + $1.symbolCount }
    syms.reserve(announced + announced / 4)

    PhaseTimer.shared.endSpan("resolve: shared libraries", since: spanStart); spanStart = monotonicNanos()
    // Lazy symbols from archive symbol tables: the lowest member priority offering a name.
    // All archives' tables as one parallel loop over fixed-size slices (many archives are
    // small; a loop per archive would leave the second thread idle).
    var slices: [(archive: Int, lo: Int, hi: Int)] = []
    for (ai, ar) in ctx.archives.enumerated() {
        let a = ar.archive
        if !a.hasSymbolTable && !ar.wholeArchive && !a.members.isEmpty {
            throw LinkError("\(a.file.path): archive has no symbol table (run ranlib on it)")
        }
        var lo = 0
        while lo < a.symbolCount { slices.append((ai, lo, min(lo + 2048, a.symbolCount))); lo += 2048 }
    }
    syms.reserve(ctx.archives.reduce(0) { $0 + $1.archive.symbolCount } + slices.count * Int(SymbolTable.idBlockSize))
    Parallel.forEach(slices.count) { k in
        let (ai, lo, hi) = slices[k]
        let ar = ctx.archives[ai]
        let a = ar.archive
        var block = SymbolTable.IdBlock()
        // Hash the slice first, then intern with the table slot of the name 8 ahead already
        // on its way into the cache (the probe is a cache miss otherwise).
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: hi - lo) { hashes in
            for i in lo..<hi {
                let n = a.symbolName(i)
                hashes[i - lo] = fastHash(n.baseAddress!, n.count)
            }
            for i in lo..<hi {
                if i + symbolPrefetchDistance < hi { weld_prefetch(syms.firstSlot(forHash: hashes[i + symbolPrefetchDistance - lo])) }
                let n = a.symbolName(i)
                let id = syms.intern(NameRef(n.baseAddress!, n.count), hash: hashes[i - lo], &block)
                syms.atomicMin(id, \.lazyKey, UInt64(ar.priority) + UInt64(a.symbolMember(i)) + 1)
            }
        }
    }
    PhaseTimer.shared.endSpan("resolve: archive symbol tables", since: spanStart); spanStart = monotonicNanos()
    let archivePriorities = ctx.archives.map { UInt64($0.priority) }
    func lazyMember(_ key: UInt64) -> (Int, Int) {
        // The archive with the largest priority not above the key.
        var lo = 0, hi = archivePriorities.count
        while lo < hi { let mid = (lo + hi) / 2; if archivePriorities[mid] < key { lo = mid + 1 } else { hi = mid } }
        let a = lo - 1
        return (a, Int(key - archivePriorities[a] - 1))
    }

    // Wrapping: references to W go to __wrap_W, references to __real_W go to W.
    var wrapMap: [Int32: Int32] = [:]
    for w in o.wraps {
        let real = syms.intern(w), wrap = syms.intern("__wrap_" + w), realRef = syms.intern("__real_" + w)
        wrapMap[real] = wrap
        wrapMap[realRef] = real
    }

    // Shared library definitions and references.
    for (si, so) in ctx.shareds.enumerated() {
        so.index = Int32(si)
        let chunkSize = 1024
        syms.reserve(so.symbolCount + (so.symbolCount / chunkSize + 1) * Int(SymbolTable.idBlockSize))
        // Ids in blocks per chunk, as for the archives: one shared counter bumped for every new
        // name had both threads fighting over its cache line (2 threads: twice the CPU time
        // of 1, no faster).
        so.symbolIds = [Int32](unsafeUninitializedCapacity: so.symbolCount) { ids, initialized in
            Parallel.forEachChunk(so.symbolCount, minChunk: chunkSize) { range in
                var block = SymbolTable.IdBlock()
                for i in range {
                    ids[i] = i == 0 || so.symBind(i) == STB.local ? -1 : syms.intern(so.symName(i), &block)
                }
            }
            initialized = so.symbolCount
        }
    }
    Parallel.forEach(ctx.shareds.count) { si in
        let so = ctx.shareds[si]
        for i in 1..<max(so.symbolCount, 1) {
            let id = so.symbolIds[i]
            if id < 0 { continue }
            // An executable exports what a library references, and what a library also
            // defines (so the executable's definition interposes the library's).
            syms.setFlag(id, SymbolFlag.referencedByShared)
            if so.symShndx(i) == SHN.undef { continue }
            // Non-default versions (foo@V, hidden) only satisfy references that name them.
            if so.symVersionHidden(i) || so.symVersion(i) == 0 { continue }
            syms.atomicMin(id, \.rank, symbolRank(.shared, so.priority))
        }
    }

    PhaseTimer.shared.endSpan("resolve: shared definitions", since: spanStart); spanStart = monotonicNanos()
    // Symbols the command line asks for count as strong references.
    var rootNames = o.undefined
    if let e = o.entry { rootNames.append(e) } else if ctx.options.outputKind == .executable { rootNames.append("_start") }
    for n in rootNames { syms.setFlag(syms.intern(n), SymbolFlag.referenced | SymbolFlag.referencedStrongly) }

    // COMDAT signatures are interned like symbols; a group is owned by the file of lowest
    // priority among those of the first wave that has it.
    let comdatTable = SymbolTable(expected: 1 << 12)
    var comdatOwner = UnsafeMutablePointer<UInt64>.allocate(capacity: 0)
    var comdatCapacity = 0

    var pending: [ObjectFile] = ctx.objects
    var whyExtract: [(reference: String, member: String, symbol: String)] = []
    ctx.objects = []
    var wholeMembers: [(archive: Int32, member: Int32)] = []
    for (a, ar) in ctx.archives.enumerated() where ar.wholeArchive {
        for m in 0..<ar.archive.members.count { wholeMembers.append((Int32(a), Int32(m))) }
    }
    pending += try loadMembers(ctx, wholeMembers).compactMap { $0 }
    pending.sort { $0.priority < $1.priority }

    while !pending.isEmpty {
        let wave = pending
        pending = []
        for obj in wave { obj.index = Int32(ctx.objects.count); ctx.objects.append(obj) }
        // 1. Parse and intern, in parallel. Headers first (they say how many names the files
        //    bring, so the tables are reserved once); then each file's symbols and sections
        //    are read and interned in one go, without a barrier between parsing and interning
        //    (which left a core idle while the other parsed a big object alone), the biggest
        //    files first. A big object is two items, its symbols and its sections (the swift
        //    workload's Swift.o: 39,000 symbols and 26,000 sections, 7 ms on one thread).
        let headerErrors: [LinkError?] = Parallel.map(wave.count) { f -> LinkError? in
            do { try wave[f].parseHeaders(); return nil } catch { return error as? LinkError ?? LinkError("\(error)") }
        }
        syms.reserve(wave.reduce(0) { $0 + max($1.symbolCount - $1.firstGlobal, 0) } + wave.count * Int(SymbolTable.idBlockSize))
        comdatTable.reserve(wave.reduce(0) { $0 + $1.groupSectionCount })
        let comdatsBefore = comdatTable.count
        let items = parseItems(wave, skipping: headerErrors)
        let itemErrors: [LinkError?] = Parallel.map(items.count) { n -> LinkError? in
            let item = items[n], obj = wave[Int(item.file)]
            do {
                if item.part != .sections { try obj.parseSymbols() }
                if item.part != .symbols { try obj.parseSections(); internGroups(obj, comdatTable) }
                if item.part != .sections { internGlobals(obj, syms, wrapping: wrapMap) }
                return nil
            } catch { return error as? LinkError ?? LinkError("\(error)") }
        }
        // The first bad file in command-line order, and for a file the error parse() would
        // give (headers, then symbols, then sections), whichever order they were read in.
        var firstError: (file: Int, part: ParseItem.Part, error: LinkError)? = nil
        for (f, e) in headerErrors.enumerated() {
            if let e { firstError = (f, .whole, e); break }
        }
        for (n, e) in itemErrors.enumerated() {
            guard let e else { continue }
            let item = items[n], f = Int(item.file)
            if let first = firstError, first.file < f || first.file == f && (first.part == .whole || first.part == .symbols) { continue }
            firstError = (f, item.part, e)
        }
        if let e = firstError { throw e.error }
    PhaseTimer.shared.endSpan("resolve: wave: parse and intern", since: spanStart); spanStart = monotonicNanos()
        // 2. COMDAT owners: groups first seen in this wave go to the lowest priority.
        if comdatTable.count > comdatCapacity {
            let bigger = UnsafeMutablePointer<UInt64>.allocate(capacity: comdatTable.count * 2)
            bigger.update(from: comdatOwner, count: comdatCapacity)
            bigger.advanced(by: comdatCapacity).initialize(repeating: .max, count: comdatTable.count * 2 - comdatCapacity)
            comdatOwner.deallocate()
            comdatOwner = bigger
            comdatCapacity = comdatTable.count * 2
        }
        let owners = comdatOwner
        Parallel.forEach(wave.count) { f in
            let obj = wave[f]
            for gid in obj.groupIds where owners[Int(gid)] == .max || Int(gid) >= comdatsBefore {
                atomicMin(owners + Int(gid), UInt64(obj.priority))
            }
        }
        // 3. Drop the members of groups owned by another file, and of a group's later copies
        //    in the same file (objects from other linkers' -r may hold both).
        Parallel.forEach(wave.count) { f in
            let obj = wave[f]
            // Repeats are rare: look for one without a heap allocation, and only then keep a set.
            let repeats = obj.groupIds.count > 1 && hasRepeatedGroup(obj.groupIds)
            var kept = Set<Int32>()
            for (g, gid) in zip(obj.groups, obj.groupIds) where owners[Int(gid)] != UInt64(obj.priority) || (repeats && !kept.insert(gid).inserted) {
                for m in g.members { obj.sections[Int(m)]?.alive = false }
            }
        }
        // 4. Propose definitions, in slices of a file's globals: a big object is several items
        //    (Swift.o's 39,000 symbols were one thread's work while the other had finished).
        let proposalSlices = symbolSlices(wave)
        Parallel.forEach(proposalSlices.count) { n in
            let slice = proposalSlices[n], obj = wave[Int(slice.file)]
            for k in Int(slice.lo)..<Int(slice.hi) {
                let i = obj.firstGlobal + k
                let id = obj.symbolIds[k]
                let vis = obj.symVisibility(i)
                if vis != STV.default { syms.setFlag(id, visibilityFlag(vis)) }
                let shndx = obj.symShndx(i)
                let isCommon = shndx == UInt32(SHN.common)
                let defined = shndx != UInt32(SHN.undef)
                // A definition in a dropped COMDAT member resolves to the kept copy.
                let deadDef = defined && !isCommon && shndx < UInt32(SHN.loreserve) && obj.sections[Int(shndx)].map { !$0.alive } ?? false
                if !defined || deadDef {
                    let strong = obj.symBind(i) != STB.weak && !deadDef
                    syms.setFlag(id, strong ? (SymbolFlag.referenced | SymbolFlag.referencedStrongly) : SymbolFlag.referenced)
                    continue
                }
                let kind: DefinitionKind = isCommon ? .common : (obj.symBind(i) == STB.weak ? .weak : .strong)
                syms.atomicMin(id, \.rank, symbolRank(kind, obj.priority))
                if isCommon {
                    syms.atomicMax(id, \.size, obj.symSize(i))   // commons: the largest size
                    syms.atomicMax(id, \.commonAlign, obj.symValue(i))
                }
            }
        }
    PhaseTimer.shared.endSpan("resolve: wave: comdat and proposals", since: spanStart); spanStart = monotonicNanos()
        // 5. Members this wave's strong references need.
        let wanted: [[UInt64]] = Parallel.map(proposalSlices.count) { n in
            let slice = proposalSlices[n], obj = wave[Int(slice.file)]
            var keys: [UInt64] = []
            for k in Int(slice.lo)..<Int(slice.hi) {
                let i = obj.firstGlobal + k
                if obj.symShndx(i) != UInt32(SHN.undef) || obj.symBind(i) == STB.weak { continue }
                let s = syms[obj.symbolIds[k]]
                if needsExtraction(s) { keys.append(s.lazyKey) }
            }
            return keys
        }
        var keys = wanted.flatMap { $0 }
        // --why-extract: who asked for each member: the first file of the wave (in order) that
        // references it, or the command line (file -1). Only built when asked for.
        var reasons: [UInt64: (file: Int32, id: Int32)] = [:]
        if o.whyExtract != nil {
            for (f, obj) in wave.enumerated() {
                for k in 0..<obj.symbolIds.count {
                    let i = obj.firstGlobal + k
                    if obj.symShndx(i) != UInt32(SHN.undef) || obj.symBind(i) == STB.weak { continue }
                    let s = syms[obj.symbolIds[k]]
                    if needsExtraction(s) && reasons[s.lazyKey] == nil { reasons[s.lazyKey] = (Int32(f), obj.symbolIds[k]) }
                }
            }
        }
        if keys.isEmpty {
            // Stragglers: references from earlier waves whose definer went away are rare, but
            // check every strongly referenced symbol once before finishing (in parallel, in
            // id order within each slice, slices in order: the same keys and reasons as a
            // serial walk).
            let perSlice: [[Int32]] = Parallel.map((syms.count + 4095) / 4096) { slice in
                var ids: [Int32] = []
                for id in Int32(slice * 4096)..<Int32(min(syms.count, slice * 4096 + 4096)) {
                    let s = syms[id]
                    if s.name.count >= 0 && s.referencedStrongly && needsExtraction(s) { ids.append(id) }
                }
                return ids
            }
            for id in perSlice.joined() {
                let key = syms[id].lazyKey
                keys.append(key)
                if o.whyExtract != nil && reasons[key] == nil { reasons[key] = (-1, id) }
            }
        }
        keys.sort()
        var newMembers: [(archive: Int32, member: Int32)] = []
        var newKeys: [UInt64] = []
        var last: UInt64 = .max
        for key in keys where key != last {
            last = key
            let (a, m) = lazyMember(key)
            if ctx.archives[a].loaded[m] { continue }
            newMembers.append((Int32(a), Int32(m)))
            newKeys.append(key)
        }
        for (n, member) in try loadMembers(ctx, newMembers).enumerated() {
            guard let obj = member else { continue }
            pending.append(obj)
            if let (file, id) = reasons[newKeys[n]] {
                let name = syms[id].name.string
                let reference = file >= 0 ? wave[Int(file)].displayName : name == (o.entry ?? "_start") ? "--entry" : "<internal>"
                whyExtract.append((reference, obj.displayName, name))
            }
        }
    PhaseTimer.shared.endSpan("resolve: wave: extraction", since: spanStart); spanStart = monotonicNanos()
        pending.sort { $0.priority < $1.priority }
    }
    comdatOwner.deallocate()
    if let path = o.whyExtract { try writeWhyExtract(whyExtract, to: path) }

    // 5. Every file learns whether it won each of its definitions; losers that clash are
    //    duplicate definitions. Each symbol has one winner, so no two threads write it.
    let duplicates: [[(Int32, Int)]] = Parallel.map(ctx.objects.count) { f in
        let obj = ctx.objects[f]
        var dups: [(Int32, Int)] = []
        for k in 0..<obj.symbolIds.count {
            let i = obj.firstGlobal + k
            let shndx = obj.symShndx(i)
            if shndx == UInt32(SHN.undef) { continue }
            let isCommon = shndx == UInt32(SHN.common)
            if !isCommon && shndx < UInt32(SHN.loreserve), let sec = obj.sections[Int(shndx)], !sec.alive { continue }
            let id = obj.symbolIds[k]
            let kind: DefinitionKind = isCommon ? .common : (obj.symBind(i) == STB.weak ? .weak : .strong)
            let mine = symbolRank(kind, obj.priority)
            let best = syms[id].rank
            if best == mine {
                syms[id].kind = kind
                syms[id].fileIndex = obj.index
                syms[id].symIndex = Int32(i)
            } else if kind == .strong && rankKind(best) == .strong && !o.allowMultipleDefinition {
                dups.append((id, i))
            } else if kind == .common && o.warnCommon && rankKind(best) != .common {
                dups.append((id, -i))   // --warn-common: a common overridden by a definition
            }
        }
        return dups
    }
    Parallel.forEach(ctx.shareds.count) { si in
        let so = ctx.shareds[si]
        for i in 1..<max(so.symbolCount, 1) {
            let id = so.symbolIds[i]
            if id < 0 || so.symShndx(i) == SHN.undef || so.symVersionHidden(i) || so.symVersion(i) == 0 { continue }
            if syms[id].rank == symbolRank(.shared, so.priority) && syms[id].kind != .shared {
                syms[id].kind = .shared
                syms[id].fileIndex = so.index
                syms[id].symIndex = Int32(i)
            }
        }
    }
    for (f, list) in duplicates.enumerated() {
        let obj = ctx.objects[f]
        for (id, i) in list {
            if i < 0 {
                ctx.diag.warning("\(obj.displayName): common of \(syms[id].name.string) overridden by definition in \(definitionPlace(ctx, syms[id]))")
                continue
            }
            let cur = syms[id]
            let first = cur.fileIndex >= 0 && Int(cur.fileIndex) < ctx.objects.count
                ? definedAtText(ctx.objects[Int(cur.fileIndex)], symbol: Int(cur.symIndex), place: definitionPlace(ctx, cur))
                : definitionPlace(ctx, cur)
            let second = definedAtText(obj, symbol: i, place: "\(obj.displayName):(\(obj.symSection(i).map { $0.name.string } ?? "*ABS*")+0x\(hex(obj.symValue(i))))")
            ctx.diag.error("duplicate symbol: \(cur.name.string)\n>>> defined at \(first)\n>>> defined at \(second)")
        }
    }
    PhaseTimer.shared.endSpan("resolve: winners", since: spanStart); spanStart = monotonicNanos()
    if ctx.diag.hasErrors { throw LinkError("") }
    // References that name a version (`foo@V1`, from .symver in an object) bind to that
    // version of a shared library's symbol, default or not.
    // (Looked for over the symbols, in parallel: a serial walk of every file's references,
    // each a random read of a 128-byte symbol, took milliseconds.)
    if anySymbol(syms, where: { s in s.isUndefined && s.referenced && s.name.count > 0 && memchr(s.name.ptr, Int32(UInt8(ascii: "@")), s.name.count) != nil }) {
        for so in ctx.shareds {
            for i in 1..<max(so.symbolCount, 1) where so.symShndx(i) != SHN.undef && so.symBind(i) != STB.local {
                let v = Int(so.symVersion(i))
                guard v >= 2, v < so.versionNames.count, let vname = so.versionNames[v] else { continue }
                let base = so.symName(i)
                guard let id = syms.find("\(base.string)@\(vname.string)"), syms[id].isUndefined else { continue }
                syms[id].kind = .shared
                syms[id].fileIndex = so.index
                syms[id].symIndex = Int32(i)
                ctx.dynamicNames[id] = base
                so.isNeeded = true
            }
        }
    }
    // Versions named by `.symver` in the objects that won their symbols.
    for obj in ctx.objects {
        for (k, version, hidden) in obj.symvers {
            let id = obj.symbolIds[k]
            guard syms[id].fileIndex == obj.index, syms[id].symIndex == Int32(obj.firstGlobal + k) else { continue }
            ctx.explicitVersions[id] = (ctx.versionIndex(named: version), hidden)
            if hidden {
                let full = obj.symName(obj.firstGlobal + k)
                let base = memchr(full.ptr, Int32(UInt8(ascii: "@")), full.count).map { UnsafeRawPointer($0) - full.ptr } ?? full.count
                ctx.dynamicNames[id] = NameRef(full.ptr, base)
            }
        }
    }
    // --exclude-libs: definitions from those archives are hidden from the dynamic symbol table.
    if !o.excludeLibs.isEmpty {
        let all = o.excludeLibs.contains("ALL")
        Parallel.forEach(ctx.objects.count) { f in
            let obj = ctx.objects[f]
            guard let ar = obj.archiveName, all || o.excludeLibs.contains(ar) else { return }
            for k in 0..<obj.symbolIds.count {
                let id = obj.symbolIds[k]
                if syms[id].fileIndex == obj.index && syms[id].symIndex == Int32(obj.firstGlobal + k) && syms[id].isDefinedInObject {
                    syms.setFlag(id, SymbolFlag.visHidden)
                }
            }
        }
    }
    // Visibility: the most constraining of all references and definitions.
    Parallel.forEach(syms.count, minChunk: 4096) { idx in
        let f = syms[Int32(idx)].flags
        if f & (SymbolFlag.visInternal | SymbolFlag.visHidden | SymbolFlag.visProtected) == 0 { return }
        syms[Int32(idx)].visibility = f & SymbolFlag.visInternal != 0 ? STV.internal : f & SymbolFlag.visHidden != 0 ? STV.hidden : STV.protected
    }

    // Local IFUNCs need PLT stubs like global ones, and (in a shared library) local TLS
    // variables reached through the GOT need GOT slots: give each a hidden global entry.
    let promotions: [[Int]] = Parallel.map(ctx.objects.count) { f in
        let obj = ctx.objects[f]
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
        return promote.sorted()
    }
    for (f, promote) in promotions.enumerated() where !promote.isEmpty {
        let obj = ctx.objects[f]
        for i in promote where obj.symSection(i)?.alive == true {
            let id = syms.intern("\(obj.symName(i).string)@weld.local.\(obj.index).\(i)")
            syms[id].kind = .strong
            syms[id].fileIndex = obj.index
            syms[id].symIndex = Int32(i)
            syms[id].visibility = STV.hidden
            obj.promotedLocals[i] = id
            ctx.localIfuncs.append(id)
        }
    }
    PhaseTimer.shared.endSpan("resolve: versions, visibility, promotions", since: spanStart); spanStart = monotonicNanos()
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
    PhaseTimer.shared.endSpan("resolve: final attributes", since: spanStart); spanStart = monotonicNanos()
    // Commons, in file order, become .bss space.
    let commons: [[Int32]] = Parallel.map(ctx.objects.count) { f in
        let obj = ctx.objects[f]
        var out: [Int32] = []
        for k in 0..<obj.symbolIds.count {
            let id = obj.symbolIds[k]
            let s = syms[id]
            if s.kind == .common && s.fileIndex == obj.index && s.symIndex == Int32(obj.firstGlobal + k) { out.append(id) }
        }
        return out
    }
    ctx.commonSymbols = commons.flatMap { $0 }
    // Shared libraries that satisfy a reference (or are not --as-needed) become DT_NEEDED.
    let neededBy: [Bool] = Parallel.map(ctx.shareds.count) { si in
        let so = ctx.shareds[si]
        for i in 1..<max(so.symbolCount, 1) {
            let id = so.symbolIds[i]
            if id >= 0 && syms[id].kind == .shared && syms[id].fileIndex == so.index && syms[id].referencedStrongly { return true }
        }
        return false
    }
    for (si, so) in ctx.shareds.enumerated() where neededBy[si] { so.isNeeded = true }
    for so in ctx.shareds where !so.asNeeded { so.isNeeded = true }
    // A library only weak references resolve to is dropped (--as-needed): those references
    // stay undefined (weak, unversioned), as GNU ld leaves them.
    if ctx.shareds.contains(where: { !$0.isNeeded }) {
        Parallel.forEach(syms.count, minChunk: 4096) { idx in
            let s = syms[Int32(idx)]
            if s.name.count >= 0 && s.kind == .shared && !ctx.shareds[Int(s.fileIndex)].isNeeded {
                syms[Int32(idx)].kind = .undefined
                syms[Int32(idx)].fileIndex = -1
                syms[Int32(idx)].type = STT.notype
            }
        }
    }
}

/// One item of a wave's parse loop: a file, or half of a big one.
struct ParseItem {
    enum Part: UInt8 { case whole, symbols, sections }
    var file: Int32
    var part: Part
}

/// A wave's parse items, biggest files first, leaving out files whose headers were bad. With
/// more than one thread, a file with this many symbols and sections together is read as two
/// items (below it, the second item costs more than it saves).
let splitParseThreshold = 20_000

func parseItems(_ wave: [ObjectFile], skipping headerErrors: [LinkError?]) -> [ParseItem] {
    let order = wave.indices.filter { headerErrors[$0] == nil }
        .sorted { wave[$0].size > wave[$1].size || wave[$0].size == wave[$1].size && $0 < $1 }
    var items: [ParseItem] = []
    items.reserveCapacity(order.count + 4)
    for f in order {
        let obj = wave[f]
        if Parallel.threadCount > 1 && obj.symbolCount + obj.sectionCount >= splitParseThreshold {
            items.append(ParseItem(file: Int32(f), part: .symbols))
            items.append(ParseItem(file: Int32(f), part: .sections))
        } else {
            items.append(ParseItem(file: Int32(f), part: .whole))
        }
    }
    return items
}

/// Interns `obj`'s COMDAT signatures (`groupIds`). The table was reserved for one per
/// SHT_GROUP section, the most parseSections finds.
func internGroups(_ obj: ObjectFile, _ comdatTable: SymbolTable) {
    obj.groupIds = obj.groups.map { comdatTable.intern($0.signature) }
}

/// Interns `obj`'s global symbols (`symbolIds`, and `symvers` for `.symver` names). The table
/// was reserved for its global count, read by parseHeaders. `--wrap`: an undefined reference
/// to W gets __wrap_W's id, one to __real_W gets W's (`wrapping`), as lld rewrites the file's
/// symbol table: everything about the reference (its visibility too) then goes to the target.
func internGlobals(_ obj: ObjectFile, _ syms: SymbolTable, wrapping wrapMap: [Int32: Int32]) {
    let n = max(obj.symbolCount - obj.firstGlobal, 0)
    // `.symver` names (foo@@V2, foo@V1) exist only if the string table has an '@'.
    let mayVersion = obj.strtabSize > 0 && memchr(obj.strtab!, Int32(UInt8(ascii: "@")), obj.strtabSize) != nil
    var block = SymbolTable.IdBlock()
    obj.symbolIds = [Int32](unsafeUninitializedCapacity: n) { buf, count in
        // As for the archive tables: hash first, prefetch the table slot 8 names ahead.
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: n) { hashes in
            for k in 0..<n {
                let name = obj.symName(obj.firstGlobal + k)
                hashes[k] = fastHash(name.ptr, name.count)
            }
            for k in 0..<n {
                if k + symbolPrefetchDistance < n { weld_prefetch(syms.firstSlot(forHash: hashes[k + symbolPrefetchDistance])) }
                let i = obj.firstGlobal + k
                let name = obj.symName(i)
                if mayVersion && obj.symShndx(i) != UInt32(SHN.undef), let at = memchr(name.ptr, Int32(UInt8(ascii: "@")), name.count) {
                    let base = UnsafeRawPointer(at) - name.ptr
                    let isDefault = base + 1 < name.count && name.ptr.u8(base + 1) == UInt8(ascii: "@")
                    let verStart = base + (isDefault ? 2 : 1)
                    let version = String(decoding: UnsafeRawBufferPointer(start: name.ptr + verStart, count: name.count - verStart), as: UTF8.self)
                    obj.symvers.append((k, version, !isDefault))
                    // foo@@V2 is the definition of foo; foo@V1 stays a name of its own.
                    buf[k] = syms.intern(isDefault ? NameRef(name.ptr, base) : name, &block)
                } else {
                    buf[k] = syms.intern(name, hash: hashes[k], &block)
                }
                if !wrapMap.isEmpty && obj.symShndx(i) == UInt32(SHN.undef), let w = wrapMap[buf[k]] { buf[k] = w }
            }
        }
        count = n
    }
}

/// Slices of each file's globals, at most `symbolSliceSize` each, for loops over a wave's
/// symbols (a big object is several items, so no thread is left with it alone).
let symbolSliceSize = 8192

func symbolSlices(_ wave: [ObjectFile]) -> [(file: Int32, lo: Int32, hi: Int32)] {
    var slices: [(file: Int32, lo: Int32, hi: Int32)] = []
    slices.reserveCapacity(wave.count + 8)
    for (f, obj) in wave.enumerated() {
        let n = obj.symbolIds.count
        var lo = 0
        repeat {
            let hi = min(lo + symbolSliceSize, n)
            slices.append((Int32(f), Int32(lo), Int32(hi)))
            lo = hi
        } while lo < n
    }
    return slices
}

/// Whether some symbol satisfies `test`, looked for in parallel slices.
func anySymbol(_ syms: SymbolTable, where test: (Symbol) -> Bool) -> Bool {
    let found: [Bool] = Parallel.map((syms.count + 4095) / 4096) { slice in
        for id in Int32(slice * 4096)..<Int32(min(syms.count, slice * 4096 + 4096)) {
            let s = syms[id]
            if s.name.count >= 0 && test(s) { return true }
        }
        return false
    }
    return found.contains(true)
}

/// Loads archive members (archive index, member index) as objects, in order: marks them
/// loaded and, with --trace, names each, then makes their objects in parallel (a name and an
/// object apiece: 1,000 members in the swift workload's waves were a millisecond on one
/// thread). Nil for a non-ELF member of a --whole-archive; the first member in order that
/// cannot be loaded is the error.
func loadMembers(_ ctx: Context, _ members: [(archive: Int32, member: Int32)]) throws(LinkError) -> [ObjectFile?] {
    for (a, m) in members {
        let ar = ctx.archives[Int(a)]
        ar.loaded[Int(m)] = true
        if Diagnostics.shared.traceInputs { print("\(ar.path)(\(ar.archive.members[Int(m)].name))") }
    }
    let made: [Result<ObjectFile?, LinkError>] = Parallel.map(members.count) { n in
        do { return .success(try memberObject(ctx.archives[Int(members[n].archive)], Int(members[n].member))) }
        catch { return .failure(error as? LinkError ?? LinkError("\(error)")) }
    }
    return try made.map { r throws(LinkError) in try r.get() }
}

/// Makes an ObjectFile for archive member `m` (mapping a thin archive's member file).
func memberObject(_ ar: ArchiveInput, _ m: Int) throws(LinkError) -> ObjectFile? {
    let member = ar.archive.members[m]
    let name = "\(ar.path)(\(member.name))"
    let prio = ar.priority + Int64(m) + 1
    if let thin = member.thinPath {
        let f = try MappedFile.open(thin)
        if f.size >= 4 && f.base.u32(0) != 0x464c_457f { return nil }
        let obj = ObjectFile(displayName: name, base: f.base, size: f.size, priority: prio, isFromArchive: true)
        obj.archiveName = ar.fileName
        return obj
    }
    guard let data = ar.archive.memberData(m) else { return nil }
    // Archives may hold non-object members (e.g. a text file); only ELF ones are linked.
    if data.count >= 4 && data.baseAddress!.u32(0) != 0x464c_457f {
        if ar.wholeArchive { return nil }
        throw LinkError("\(name): archive member is not an ELF object")
    }
    let obj = ObjectFile(displayName: name, base: data.baseAddress!, size: data.count, priority: prio, isFromArchive: true)
    obj.archiveName = ar.fileName
    return obj
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

/// Rank of a definition: kind first, then command-line priority. Lower wins.
@inline(__always) func symbolRank(_ kind: DefinitionKind, _ priority: Int64) -> UInt64 {
    UInt64(kind.rawValue) << 58 | UInt64(priority)
}
@inline(__always) func rankKind(_ rank: UInt64) -> DefinitionKind {
    rank == .max ? .undefined : DefinitionKind(rawValue: UInt8(rank >> 58)) ?? .undefined
}
@inline(__always) func rankPriority(_ rank: UInt64) -> UInt64 { rank & ((1 << 58) - 1) }

/// Whether a strong reference to `s` should pull in the archive member offering it: nothing
/// in an object defines it, and no shared library that comes before the archive does.
@inline(__always) func needsExtraction(_ s: Symbol) -> Bool {
    if s.lazyKey == .max { return false }
    let kind = rankKind(s.rank)
    if kind == .strong || kind == .weak || kind == .common { return false }
    if kind == .shared { return s.lazyKey < rankPriority(s.rank) }
    return true
}

@inline(__always) func visibilityFlag(_ v: UInt8) -> UInt32 {
    switch v {
    case STV.internal: return SymbolFlag.visInternal
    case STV.hidden: return SymbolFlag.visHidden
    case STV.protected: return SymbolFlag.visProtected
    default: return 0
    }
}

/// Whether a file holds one COMDAT group twice (objects that other linkers' -r merged can).
/// The ids are sorted in a temporary buffer, on the stack for ordinary counts.
func hasRepeatedGroup(_ ids: [Int32]) -> Bool {
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: ids.count) { storage in
        var buf = storage
        _ = buf.initialize(from: ids)
        buf.sort()
        for i in 1..<buf.count where buf[i] == buf[i - 1] { return true }
        return false
    }
}
