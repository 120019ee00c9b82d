import WeldCore

/// Where each file's symbols go in .symtab and .strtab, planned so that every file writes
/// its own slice in parallel.
public struct SymbolTableLayout: Sendable {
    public var symbolCount = 1
    public var stringBytes = 1
    public var firstGlobal = 1
    var localStart: [Int] = []       // per object: first .symtab index of its locals
    var localStrStart: [Int] = []
    var globalStart: [Int] = []      // per object: first index of the globals it defines
    var globalStrStart: [Int] = []
    var extraGlobals: [Int32] = []   // linker-defined and imported symbols
    var extraStart = 0
    var extraStrStart = 0
}

/// Whether local symbol i of obj goes to .symtab.
@inline(__always) func keepLocal(_ ctx: Context, _ obj: ObjectFile, _ i: Int) -> Bool {
    if ctx.options.discardAll || ctx.retainedSymbols != nil { return false }
    let t = obj.symType(i)
    // Section symbols are not kept (as lld); STT_FILE symbols are, so tools can tell which
    // source each local symbol came from.
    if t == STT.section { return false }
    let name = obj.symName(i)
    if name.count == 0 { return false }
    if name.hasPrefix(".L") || (ctx.options.discardLocals && name.hasPrefix(".L")) { return false }
    let shndx = obj.symShndx(i)
    if shndx == UInt32(SHN.abs) { return true }
    return obj.withSymSection(i) { sec in
        guard let sec else { return false }
        return sec.alive && sec.outputIndex >= 0
    }
}

/// Whether the global at index k of obj's globals is written by obj (it is its definition).
@inline(__always) func ownsGlobal(_ ctx: Context, _ obj: ObjectFile, _ k: Int) -> Bool {
    let id = obj.symbolIds[k]
    let s = ctx.symbols[id]
    // A definition in a section --gc-sections removed is not written (as lld does).
    return s.isDefinedInObject && s.fileIndex == obj.index && s.symIndex == Int32(obj.firstGlobal + k)
        && s.sectionRef?._withUnsafeGuaranteedRef({ $0.alive }) != false && isRetained(ctx, s.name)
}

func planSymbolTable(_ ctx: Context) -> SymbolTableLayout {
    var l = SymbolTableLayout()
    let counts: [(Int, Int, Int, Int)] = Parallel.map(ctx.objects.count) { f in
        let obj = ctx.objects[f]
        var ln = 0, lb = 0, gn = 0, gb = 0
        for i in 1..<max(obj.firstGlobal, 1) where keepLocal(ctx, obj, i) { ln += 1; lb += obj.symName(i).count + 1 }
        for k in 0..<obj.symbolIds.count where ownsGlobal(ctx, obj, k) {
            if isHiddenSym(ctx, obj.symbolIds[k]) { ln += 1; lb += obj.symName(obj.firstGlobal + k).count + 1 }
            else { gn += 1; gb += obj.symName(obj.firstGlobal + k).count + 1 }
        }
        return (ln, lb, gn, gb)
    }
    var n = 1, b = 1
    for c in counts { l.localStart.append(n); l.localStrStart.append(b); n += c.0; b += c.1 }
    l.firstGlobal = n
    for c in counts { l.globalStart.append(n); l.globalStrStart.append(b); n += c.2; b += c.3 }
    // Linker-defined symbols, then imports (undefined in .symtab).
    l.extraStart = n; l.extraStrStart = b
    for (id, _) in ctx.linkerSymbols where isRetained(ctx, ctx.symbols[id].name) { l.extraGlobals.append(id) }
    for id in ctx.synth.dynsyms where ctx.symbols[id].isDynamicImport { l.extraGlobals.append(id) }
    for id in l.extraGlobals { n += 1; b += ctx.symbols[id].name.count + 1 }
    l.symbolCount = n; l.stringBytes = b
    return l
}

func writeSymbolTable(_ ctx: Context, symtab: UnsafeMutableRawPointer, strtab: UnsafeMutableRawPointer) {
    let l = ctx.symtabLayout
    @inline(__always) func put(_ idx: Int, name: NameRef, strOff: Int, info: UInt8, other: UInt8, shndx: UInt16, value: UInt64, size: UInt64) {
        let p = symtab + idx * 24
        p.w32(0, UInt32(strOff)); p.w8(4, info); p.w8(5, other); p.w16(6, shndx); p.w64(8, value); p.w64(16, size)
        if name.count > 0 { (strtab + strOff).copyMemory(from: name.ptr, byteCount: name.count) }
        (strtab + strOff + name.count).storeBytes(of: 0, as: UInt8.self)
    }
    // Plain tables, not the shared OutputSection objects: both threads would bounce their
    // reference counts per symbol.
    let outputAddresses = UnsafePointer(ctx.outputAddressTable), headerIndexes = UnsafePointer(ctx.outputHeaderIndexTable)
    @inline(__always) func shndxOf(_ sec: InputSection?) -> UInt16 {
        guard let s = sec else { return SHN.abs }
        return shndxOfOutput(s.outputIndex)
    }
    @inline(__always) func shndxOfOutput(_ outputIndex: Int32) -> UInt16 {
        if outputIndex < 0 { return SHN.abs }
        let h = Int(headerIndexes[Int(outputIndex)])
        return h < Int(SHN.loreserve) ? UInt16(h) : SHN.xindex
    }
    Parallel.forEach(ctx.objects.count) { f in
        let obj = ctx.objects[f]
        var idx = l.localStart[f], so = l.localStrStart[f]
        for i in 1..<max(obj.firstGlobal, 1) where keepLocal(ctx, obj, i) {
            let name = obj.symName(i)
            obj.withSymSection(i) { sec in
                var value = sec.map { finalSectionAddress(outputAddresses, $0, obj.symValue(i)) } ?? obj.symValue(i)
                if obj.symType(i) == STT.tls && sec != nil { value &-= ctx.tlsStart }
                put(idx, name: name, strOff: so, info: obj.symInfo(i), other: obj.symOther(i), shndx: sec == nil ? SHN.abs : shndxOf(sec), value: value, size: obj.symSize(i))
            }
            idx += 1; so += name.count + 1
        }
        var gidx = l.globalStart[f], gso = l.globalStrStart[f]
        for k in 0..<obj.symbolIds.count where ownsGlobal(ctx, obj, k) {
            let s = ctx.symbols[obj.symbolIds[k]]
            let i = obj.firstGlobal + k
            // Hidden symbols are local to the output: STB_LOCAL, in the local part.
            let hidden = isHiddenSym(ctx, obj.symbolIds[k])
            var bind = obj.symBind(i) == STB.gnuUnique ? STB.global : obj.symBind(i)
            if hidden { bind = STB.local } else { swap(&idx, &gidx); swap(&so, &gso) }
            defer { if !hidden { swap(&idx, &gidx); swap(&so, &gso) } }
            let shndx: UInt16 = s.kind == .common || s.isAbsolute ? SHN.abs
                : s.sectionRef.map { $0._withUnsafeGuaranteedRef { shndxOfOutput($0.outputIndex) } } ?? SHN.abs
            put(idx, name: s.name, strOff: so, info: bind << 4 | obj.symType(i), other: s.visibility,
                shndx: s.kind == .common ? UInt16(ctx.synth.bss?.headerIndex ?? Int(SHN.abs)) : shndx, value: symtabValue(ctx, obj.symbolIds[k]), size: s.size)
            idx += 1; so += s.name.count + 1
        }
    }
    var idx = l.extraStart, so = l.extraStrStart
    for id in l.extraGlobals {
        let s = ctx.symbols[id]
        if s.kind == .shared || s.isUndefined {
            let copied = s.flags & (SymbolFlag.needsCopy | SymbolFlag.isCopyAlias) != 0
            put(idx, name: s.name, strOff: so, info: (s.binding == STB.weak || (s.isUndefined && !s.referencedStrongly) ? STB.weak : STB.global) << 4 | (s.type == STT.gnuIfunc ? STT.func : s.type), other: 0,
                shndx: copied ? UInt16(ctx.synth.bss?.headerIndex ?? 0) : SHN.undef, value: copied || s.flags & SymbolFlag.needsCanonicalPlt != 0 ? s.value : 0, size: s.size)
        } else {
            // The section holding the address (a symbol at a section's end belongs to it only
            // if no section starts there).
            let sec = ctx.script?.symbolSections[id] ?? ctx.outputSections.first { $0.isAlloc && $0.addr <= s.value && s.value < $0.addr + $0.size }
                ?? ctx.outputSections.first { $0.isAlloc && $0.addr <= s.value && s.value <= $0.addr + $0.size }
            put(idx, name: s.name, strOff: so, info: STB.global << 4 | STT.notype, other: 0,
                shndx: s.isAbsolute ? SHN.abs : UInt16(sec?.headerIndex ?? Int(SHN.abs)), value: s.value, size: 0)
        }
        idx += 1; so += s.name.count + 1
    }
}

@inline(__always) func isHiddenSym(_ ctx: Context, _ id: Int32) -> Bool {
    let v = ctx.symbols[id].visibility
    return v == STV.hidden || v == STV.internal
}

/// The st_value a symbol table shows: TLS symbols are offsets in the TLS template, and an
/// IFUNC shows its resolver (references use its PLT stub, but tools want the definition).
func symtabValue(_ ctx: Context, _ id: Int32) -> UInt64 {
    let s = ctx.symbols[id]
    if s.type == STT.tls && s.isDefinedInObject { return s.value &- ctx.tlsStart }
    if s.flags & SymbolFlag.isIfunc != 0 && s.pltIndex >= 0 && s.isDefinedInObject { return resolverAddress(ctx, id) }
    return s.value
}
