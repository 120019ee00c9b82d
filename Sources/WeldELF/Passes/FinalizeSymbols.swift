import WeldCore

/// Turns every symbol's value into its final address, in parallel.
func finalizeSymbolAddresses(_ ctx: Context) {
    let syms = ctx.symbols
    let bssAddr = ctx.synth.bss?.addr ?? 0
    let outputAddresses = UnsafePointer(ctx.outputAddressTable)
    Parallel.forEach(syms.count, minChunk: 4096) { idx in
        let id = Int32(idx)
        let s = syms[id]
        if s.name.count < 0 { return }
        switch s.kind {
        case .strong, .weak:
            if s.fileIndex == -2 { return }            // linker-defined: done below
            // Lent, not retained: files and sections are shared by the threads, whose
            // reference-count updates would bounce the same cache lines.
            if let ref = s.sectionRef {
                syms[id].value = ref._withUnsafeGuaranteedRef { sec in
                    sec.alive ? ctx.objects.withBorrowed(Int(s.fileIndex)) { obj in
                        finalSectionAddress(outputAddresses, sec, obj.symValue(Int(s.symIndex)))
                    } : 0
                }
            }
            if s.flags & SymbolFlag.isIfunc != 0 && s.pltIndex >= 0 { syms[id].value = pltAddress(ctx, syms[id]) }
        case .common:
            syms[id].value = bssAddr + s.value
        case .shared:
            if s.flags & SymbolFlag.needsCanonicalPlt != 0 && s.flags & SymbolFlag.needsCopy == 0 { syms[id].value = pltAddress(ctx, s) }
        default:
            break
        }
    }
    for (k, id) in ctx.synth.copySymbols.enumerated() {
        syms[id].value = bssAddr + ctx.synth.commonsOffset[k]
    }
    for id in ctx.synth.copyAliases {
        syms[id].value = bssAddr + ctx.synth.commonsOffset[Int(syms[id].copyOffset)]
    }
    finalizeLinkerSymbols(ctx)
    if let e = ctx.options.entry ?? (ctx.options.outputKind == .executable ? "_start" : nil) {
        if let id = syms.find(e), !syms[id].isUndefined { ctx.entryAddress = syms[id].value }
        else if let n = parseNumber(e) { ctx.entryAddress = n }
        else if ctx.options.entry != nil || ctx.options.outputKind == .executable {
            ctx.diag.warning("cannot find entry symbol \(e); not setting start address")
        }
    }
}

/// The address of an IFUNC's resolver (its definition), for IRELATIVE.
func resolverAddress(_ ctx: Context, _ id: Int32) -> UInt64 {
    let s = ctx.symbols[id]
    guard let sec = s.section else { return 0 }
    return sectionAddress(ctx, sec, ctx.objects[Int(s.fileIndex)].symValue(Int(s.symIndex)))
}

/// The context's plain tables of output section addresses and header indexes; run once
/// addresses are final, before `finalizeSymbolAddresses` and `computeSectionAddresses` read them.
func computeOutputSectionTables(_ ctx: Context) {
    let outputs = ctx.outputSections
    // Never freed, like the rest of the context.
    let addresses = UnsafeMutablePointer<UInt64>.allocate(capacity: max(outputs.count, 1))
    let headerIndexes = UnsafeMutablePointer<Int32>.allocate(capacity: max(outputs.count, 1))
    for (i, os) in outputs.enumerated() { addresses[i] = os.addr; headerIndexes[i] = Int32(os.headerIndex) }
    ctx.outputAddressTable = addresses
    ctx.outputHeaderIndexTable = headerIndexes
}

/// Fills every object's `sectionAddresses` (in parallel) from the output section tables.
func computeSectionAddresses(_ ctx: Context) {
    let addresses = ctx.outputAddressTable
    Parallel.forEach(ctx.objects.count) { f in
        let obj = ctx.objects[f]
        let table = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: obj.sections.count)
        for i in 0..<table.count {
            table[i] = obj.withSection(i) { sec in
                guard let sec, sec.alive, sec.pieces == nil, sec.outputIndex >= 0 else { return .max }
                return addresses[Int(sec.outputIndex)] &+ sec.outOffset
            }
        }
        obj.sectionAddresses = table
    }
}
