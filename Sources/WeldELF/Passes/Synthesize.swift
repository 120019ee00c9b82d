import WeldCore
#if canImport(Glibc)
import Glibc
#endif

/// Creates the sections weld makes itself and decides their contents: GOT and PLT entries,
/// copy relocations, the dynamic symbol table and its hash tables, version needs, and
/// commons in .bss. Every list is built by walking files in command-line order, so the
/// output does not depend on thread scheduling.
func synthesize(_ ctx: Context) throws(LinkError) {
    let syms = ctx.symbols
    let o = ctx.options
    var synth = Synthetics()
    let dynamicOutput = !ctx.isStatic

    // The symbols that need anything from this pass, found in parallel and put in a canonical
    // order (definitions by file and index, then imports by library and index): the same at
    // any thread count, whatever order the scan saw them in.
    let needs = SymbolFlag.needsGot | SymbolFlag.needsPlt | SymbolFlag.needsCopy | SymbolFlag.needsGotTp |
        SymbolFlag.needsTlsGd | SymbolFlag.needsTlsDesc | SymbolFlag.needsCanonicalPlt
    let chunks = 64
    let found: [[Int32]] = Parallel.map(chunks) { c in
        var out: [Int32] = []
        let lo = syms.count * c / chunks, hi = syms.count * (c + 1) / chunks
        for idx in lo..<hi {
            let s = syms[Int32(idx)]
            if s.name.count < 0 { continue }
            var want = s.flags & needs != 0
            if !want && dynamicOutput {
                if s.isDynamicImport { want = s.referenced }
                else { want = ctx.exportsDefinition(Int32(idx)) }
            }
            if want { out.append(Int32(idx)) }
        }
        return out
    }
    var ordered = found.flatMap { $0 }
    for (id, _) in ctx.linkerSymbols { ordered.append(id) }
    ordered.append(contentsOf: ctx.localIfuncs)
    ordered = canonicalOrder(ctx, ordered)
    let seen = Set(ordered)

    // Copy relocations: space in .bss for imported data that non-PIC code addresses directly.
    var copyAlign: [UInt64] = []
    for id in ordered where syms[id].flags & SymbolFlag.needsCopy != 0 && syms[id].kind == .shared {
        if !dynamicOutput { continue }
        synth.copySymbols.append(id)
        let so = ctx.shareds[Int(syms[id].fileIndex)]
        let v = so.symValue(Int(syms[id].symIndex))
        var align: UInt64 = 1
        while align < 64 && v % (align * 2) == 0 { align *= 2 }
        copyAlign.append(align)
        // Other names for the same object (environ / __environ) must see the copy too.
        for k in 1..<max(so.symbolCount, 1) where so.symValue(k) == v && so.symShndx(k) != SHN.undef && Int32(k) != syms[id].symIndex {
            let other = so.symbolIds[k]
            if other >= 0 && other != id && syms[other].kind == .shared && syms[other].fileIndex == so.index && syms[other].symType(k: k, so) {
                syms[other].flags |= SymbolFlag.isCopyAlias
                synth.copyAliases.append(other)
                syms[other].copyOffset = UInt64(synth.copySymbols.count - 1)
            }
        }
    }

    // PLT entries for imported functions; IRELATIVE stubs for IFUNCs defined here.
    for id in ordered where syms[id].flags & SymbolFlag.needsPlt != 0 {
        if syms[id].isPreemptible {
            syms[id].pltIndex = Int32(synth.pltSymbols.count)
            syms[id].flags |= SymbolFlag.inLazyPlt
            synth.pltSymbols.append(id)
        } else if syms[id].flags & SymbolFlag.isIfunc != 0 && syms[id].isDefinedInObject {
            syms[id].pltIndex = Int32(synth.ipltSymbols.count)
            synth.ipltSymbols.append(id)
        }
    }
    // GOT slots.
    for id in ordered {
        let f = syms[id].flags
        if f & SymbolFlag.needsGot != 0 {
            syms[id].gotIndex = Int32(synth.got.count)
            synth.got.append(.address(id))
        }
        if f & SymbolFlag.needsGotTp != 0 {
            syms[id].gotTpIndex = Int32(synth.got.count)
            synth.got.append(.tpOffset(id))
        }
        if f & SymbolFlag.needsTlsGd != 0 {
            syms[id].tlsGdIndex = Int32(synth.got.count)
            synth.got.append(.tlsModule(id)); synth.got.append(.tlsOffset(id))
        }
        if f & SymbolFlag.needsTlsDesc != 0 {
            syms[id].tlsDescIndex = Int32(synth.got.count)
            synth.got.append(.tlsDesc(id)); synth.got.append(.tlsDescHigh)
        }
    }
    if ctx.needsTlsLd.load(ordering: .relaxed) {
        synth.tlsLdGotIndex = Int32(synth.got.count)
        synth.got.append(.tlsModule(-1)); synth.got.append(.tlsOffset(-1))
    }
    for id in synth.ipltSymbols {
        let slot = Int32(synth.got.count)
        synth.ipltGotIndex.append(slot)
        synth.got.append(.ifunc(id))
    }

    // Dynamic symbols: imports first (not hashed), then definitions the output exports.
    if dynamicOutput {
        var dyn: [Int32] = []
        for id in ordered {
            let s = syms[id]
            if s.isDynamicImport && s.flags & (SymbolFlag.needsCopy | SymbolFlag.isCopyAlias | SymbolFlag.needsCanonicalPlt) == 0 && s.referenced {
                dyn.append(id)
            }
        }
        synth.firstExportedDynsym = dyn.count + 1
        for id in ordered {
            let s = syms[id]
            var export = false
            if s.kind == .shared && s.flags & (SymbolFlag.needsCopy | SymbolFlag.isCopyAlias | SymbolFlag.needsCanonicalPlt) != 0 { export = true }
            else { export = ctx.exportsDefinition(id) }
            if export { dyn.append(id) }
        }
        // Other names of copied objects (environ's __environ) must point at the copy too.
        for id in synth.copyAliases where !seen.contains(id) { dyn.append(id) }
        // Sort the exported part by GNU hash bucket, as .gnu.hash requires.
        let exported = dyn.count - (synth.firstExportedDynsym - 1)
        synth.gnuHashBuckets = max(1, exported / 4)
        var bloom = 1
        while bloom * 64 < exported * 12 / 8 { bloom *= 2 } // ~12 bits per symbol
        synth.gnuHashBloomWords = bloom
        let head = Array(dyn.prefix(synth.firstExportedDynsym - 1))
        let tail = Array(dyn.suffix(exported))
        let nb = UInt32(synth.gnuHashBuckets)
        let hashes = tail.map { gnuHash(ctx.dynamicName($0)) }
        let sortedIdx = stableSorted(Array(tail.indices)) { hashes[$0] % nb < hashes[$1] % nb }
        dyn = head + sortedIdx.map { tail[$0] }
        synth.dynsyms = dyn
        synth.hasUniqueSymbols = dyn.contains { syms[$0].binding == STB.gnuUnique && syms[$0].isDefinedInObject }
        for (k, id) in dyn.enumerated() { syms[id].dynsymIndex = Int32(k + 1) }

        // .dynstr: needed libraries, soname, rpath, then symbol names.
        for so in ctx.shareds where so.isNeeded { synth.neededOffsets.append(synth.dynstr.add(so.soname)) }
        if let s = o.soname { synth.sonameOffset = synth.dynstr.add(s) }
        if !o.rpaths.isEmpty { synth.rpathOffset = synth.dynstr.add(o.rpaths.joined(separator: ":")) }
        for id in dyn { _ = synth.dynstr.add(ctx.dynamicNames[id] ?? syms[id].name) }
        if !ctx.versionDefinitions.isEmpty {
            let base = o.soname ?? String(o.output.split(separator: "/").last ?? "")
            synth.verdefNames = [synth.dynstr.add(base)] + ctx.versionDefinitions.map { synth.dynstr.add($0) }
            synth.verdefHashes = [elfHash(permanentName(base))] + ctx.versionDefinitions.map { elfHash(permanentName($0)) }
            synth.verdefParents = [[]] + ctx.versionParents.map { ps in ps.map { synth.dynstr.add($0) } }
        }

        // Version needs for imports that name a version of their library.
        var perFile: [Int32: Int] = [:]
        var nextIndex = UInt16(2 + ctx.versionDefinitions.count)
        // Definitions: the version .symver or the version script gives them.
        if !ctx.versionDefinitions.isEmpty {
            for id in dyn where syms[id].isDefinedInObject {
                if let (v, hidden) = ctx.explicitVersions[id] { syms[id].versionIndex = hidden ? v | 0x8000 : v }
                else { syms[id].versionIndex = ctx.scriptVersion(syms[id].name.string) }
            }
        }
        for id in dyn where syms[id].kind == .shared {
            let so = ctx.shareds[Int(syms[id].fileIndex)]
            let v = Int(so.symVersion(Int(syms[id].symIndex)))
            guard v >= 2, v < so.versionNames.count, let vname = so.versionNames[v] else { continue }
            let fi: Int
            if let existing = perFile[so.index] { fi = existing } else {
                fi = synth.verneed.count
                perFile[so.index] = fi
                synth.verneed.append((synth.dynstr.add(so.soname), []))
            }
            let vs = vname.string
            let nameOff = synth.dynstr.add(vs)
            if let e = synth.verneed[fi].versions.first(where: { $0.name == nameOff }) {
                syms[id].versionIndex = e.index
            } else {
                synth.verneed[fi].versions.append((nameOff, elfHash(vname), nextIndex))
                syms[id].versionIndex = nextIndex
                nextIndex += 1
            }
        }
        if ctx.packsRelativeRelocs { requireGlibcRelrVersion(ctx, &synth, perFile: &perFile, nextIndex: &nextIndex) }
    }
    ctx.synth = synth
    try createSyntheticSections(ctx)
}

extension Symbol {
    /// Whether dynamic symbol k of `so` is a data symbol that can alias this one.
    func symType(k: Int, _ so: SharedFile) -> Bool {
        let t = so.symType(k)
        return t == STT.object || t == STT.notype || t == STT.tls
    }
}

/// The GNU hash function (dl_new_hash).
func gnuHash(_ n: NameRef) -> UInt32 {
    var h: UInt32 = 5381
    for i in 0..<n.count { h = h &* 33 &+ UInt32(n.ptr.u8(i)) }
    return h
}

/// The System V ELF hash function.
func elfHash(_ n: NameRef) -> UInt32 {
    var h: UInt32 = 0
    for i in 0..<n.count {
        h = (h << 4) &+ UInt32(n.ptr.u8(i))
        let g = h & 0xf000_0000
        if g != 0 { h ^= g >> 24 }
        h &= ~g
    }
    return h
}

/// Sorts symbols into a canonical order and removes repeats: object definitions by (file,
/// index), then library symbols by (library, index), then the rest by name.
func canonicalOrder(_ ctx: Context, _ ids: [Int32]) -> [Int32] {
    let syms = ctx.symbols
    func key(_ id: Int32) -> (Int, Int64, Int64) {
        let s = syms[id]
        if s.isDefinedInObject && s.fileIndex >= 0 { return (0, Int64(s.fileIndex), Int64(s.symIndex)) }
        if s.kind == .shared { return (1, Int64(s.fileIndex), Int64(s.symIndex)) }
        return (2, 0, 0)
    }
    var sorted = ids.sorted { a, b in
        let ka = key(a), kb = key(b)
        if ka != kb { return ka < kb }
        if ka.0 < 2 { return false }
        let na = syms[a].name, nb = syms[b].name
        let c = memcmp(na.ptr, nb.ptr, min(na.count, nb.count))
        return c != 0 ? c < 0 : na.count < nb.count
    }
    var w = 0
    for i in 0..<sorted.count where i == 0 || sorted[i] != sorted[w - 1] { sorted[w] = sorted[i]; w += 1 }
    sorted.removeLast(sorted.count - w)
    return sorted
}
