import WeldCore

/// A pointer in the output that dyld must fix: a rebase (the target's unslid address) or a
/// bind (an import plus an addend). Collected in address order.
struct PointerFixup {
    var address: UInt64
    var isBind: Bool
    var target: UInt64
    var importIndex: Int32
    var addend: Int64
}

/// Every pointer fixup of the output, in address order: pointers in atoms (UNSIGNED 64-bit
/// relocations), GOT slots and thread-local pointers.
func collectFixups(_ ctx: LinkContext) -> [PointerFixup] {
    var out: [PointerFixup] = []
    let tlvStart = ctx.layout.tlvTemplateStart
    for s in ctx.layout.sections {
        switch s.kind {
        case .got:
            for (i, id) in ctx.gotSymbols.enumerated() {
                let sym = ctx.symtab.symbols[Int(id)]
                let addr = s.addr + UInt64(i * 8)
                if ctx.isBoundAtLoad(sym) {
                    out.append(PointerFixup(address: addr, isBind: true, target: 0, importIndex: sym.importIndex, addend: 0))
                } else {
                    out.append(PointerFixup(address: addr, isBind: false, target: sym.address, importIndex: -1, addend: 0))
                }
            }
        case .lazyPointers:
            let helper = ctx.layout.stubHelper!
            for (i, id) in ctx.lazySymbols.enumerated() {
                let sym = ctx.symtab.symbols[Int(id)]
                if sym.kind == .defined {
                    // Classic dyld info turns this into a rebase plus a weak bind.
                    out.append(PointerFixup(address: s.addr + UInt64(i * 8), isBind: true, target: 0, importIndex: sym.importIndex, addend: 0))
                } else {
                    out.append(PointerFixup(address: s.addr + UInt64(i * 8), isBind: false,
                                            target: helper.addr + UInt64(stubHelperHeaderSize + i * stubHelperEntrySize), importIndex: -1, addend: 0))
                }
            }
        case .tlvPointers:
            for (i, id) in ctx.tlvPointerSymbols.enumerated() {
                out.append(PointerFixup(address: s.addr + UInt64(i * 8), isBind: true, target: 0,
                                        importIndex: ctx.symtab.symbols[Int(id)].importIndex, addend: 0))
            }
        case .atoms:
            let isTLVDescriptors = s.type == MachO.sThreadLocalVariables
            for a in s.atoms {
                let atom = ctx.atoms[Int(a)]
                if a == ctx.initAtom {
                    out.append(PointerFixup(address: s.addr + atom.outOffset, isBind: false,
                                            target: ctx.symtab.symbols[Int(ctx.initSymbol)].address, importIndex: -1, addend: 0))
                    continue
                }
                guard atom.relocCount > 0 else { continue }
                let f = ctx.objects[Int(atom.file)]
                let atomAddr = s.addr + atom.outOffset
                for r in f.relocs[Int(atom.relocStart)..<Int(atom.relocStart + atom.relocCount)]
                where r.type == ARM64Reloc.unsigned && r.length == 3 && r.subtrahend < 0 {
                    let addr = atomAddr + UInt64(r.offset)
                    if r.targetIsSymbol {
                        let id = f.symbolIDs[Int(r.target)]
                        let sym = ctx.symtab.symbols[Int(id)]
                        if ctx.isBoundAtLoad(sym) {
                            out.append(PointerFixup(address: addr, isBind: true, target: 0, importIndex: sym.importIndex, addend: r.addend))
                            continue
                        }
                        if isTLVDescriptors && sym.isThreadLocalTemplateData(ctx) { continue }
                        // A true absolute value does not move with the image (the header symbol does).
                        if sym.kind == .absolute && !ctx.imageBaseSymbols.contains(id) { continue }
                        out.append(PointerFixup(address: addr, isBind: false, target: sym.address &+ UInt64(bitPattern: r.addend), importIndex: -1, addend: 0))
                    } else {
                        let target = ctx.address(ofAtom: f.atomBase + r.target) &+ UInt64(bitPattern: r.addend)
                        if isTLVDescriptors && target >= tlvStart && ctx.isInTLVTemplate(target) { continue }
                        out.append(PointerFixup(address: addr, isBind: false, target: target, importIndex: -1, addend: 0))
                    }
                }
            }
        default:
            break
        }
    }
    return out
}

extension Symbol {
    /// Whether the symbol is thread-local initial data (the target of a TLV descriptor's
    /// offset field, which holds an offset into the template rather than a pointer).
    func isThreadLocalTemplateData(_ ctx: LinkContext) -> Bool {
        guard kind == .defined else { return false }
        let atom = ctx.atoms[Int(atom)]
        guard atom.outSection >= 0 else { return false }
        return ctx.layout.sections[Int(atom.outSection)].isThreadLocalTemplate
    }
}

extension LinkContext {
    func isInTLVTemplate(_ address: UInt64) -> Bool {
        for s in layout.sections where s.isThreadLocalTemplate && address >= s.addr && address <= s.addr + s.size { return true }
        return false
    }
}
