import WeldCore
#if canImport(Glibc)
import Glibc
#endif

/// Decides which defined symbols the output exports: every external, non-private definition,
/// filtered by -exported_symbol(s_list) and -unexported_symbol(s_list) (patterns may use
/// `*`, `?` and `[...]`, as ld64 allows).
func markExports(_ ctx: LinkContext) {
    let o = ctx.options
    let exact = Set(o.exportedSymbols.filter { !isPattern($0) })
    let patterns = o.exportedSymbols.filter(isPattern)
    let unexact = Set(o.unexportedSymbols.filter { !isPattern($0) })
    let unpatterns = o.unexportedSymbols.filter(isPattern)
    for i in ctx.symtab.symbols.indices {
        let s = ctx.symtab.symbols[i]
        guard s.external, !s.privateExtern, s.kind == .defined || s.kind == .absolute else { continue }
        if s.weakDef && s.canBeHidden {
            ctx.symtab.symbols[i].privateExtern = true   // auto-hidden weak definition
            continue
        }
        if i == Int(ctx.headerSymbol) && !o.isExecutable { continue }
        var exported = true
        if o.hasExportList || !unexact.isEmpty || !unpatterns.isEmpty {
            let name = s.name.string
            if o.hasExportList { exported = exact.contains(name) || patterns.contains { fnmatch($0, name, 0) == 0 } }
            if exported && (unexact.contains(name) || unpatterns.contains { fnmatch($0, name, 0) == 0 }) { exported = false }
        }
        ctx.symtab.symbols[i].exported = exported
    }
}

func isPattern(_ s: String) -> Bool { s.contains("*") || s.contains("?") || s.contains("[") }

/// Finds what the relocations of live atoms need from the linker: a stub for a call to a dylib
/// function, a GOT slot for a GOT load, a thread-local pointer for an imported TLV, an import
/// for every dylib symbol bound anywhere. Runs in link order, so slot and import numbering is
/// deterministic.
func scanRelocations(_ ctx: LinkContext) {
    func isImport(_ s: Symbol) -> Bool { ctx.isBoundAtLoad(s) }
    // Lazy binding needs dyld_stub_binder (libSystem exports it); without it, bind at load.
    let binder = ctx.options.useChainedFixups || ctx.options.bindAtLoad ? nil : ctx.symtab.find("dyld_stub_binder")
    let lazy = binder.map { ctx.symtab.symbols[Int($0)].kind == .dylib } ?? false
    func needImport(_ id: Int32) {
        if ctx.symtab.symbols[Int(id)].importIndex < 0 {
            ctx.symtab.symbols[Int(id)].importIndex = Int32(ctx.imports.count)
            ctx.imports.append(id)
            let s = ctx.symtab.symbols[Int(id)]
            if s.kind == .dylib { ctx.dylibs[Int(s.file)].isReferenced = true }
        }
    }
    func needGOT(_ id: Int32) {
        if ctx.symtab.symbols[Int(id)].gotSlot < 0 {
            ctx.symtab.symbols[Int(id)].gotSlot = Int32(ctx.gotSymbols.count)
            ctx.gotSymbols.append(id)
            if isImport(ctx.symtab.symbols[Int(id)]) { needImport(id) }
        }
    }
    for f in ctx.objects {
        for li in f.atoms.indices {
            let a = f.atomBase + Int32(li)
            let atom = ctx.atoms[Int(a)]
            guard atom.live, atom.relocCount > 0 else { continue }
            let kind = f.sections[Int(atom.section)].kind
            if kind == .compactUnwind { continue }   // consumed by the unwind-info builder
            for r in f.relocs[Int(atom.relocStart)..<Int(atom.relocStart + atom.relocCount)] {
                if r.subtrahend >= 0 {
                    let sub = f.symbolIDs[Int(r.subtrahend)]
                    if sub < 0 || ctx.symtab.symbols[Int(sub)].kind != .defined {
                        ctx.diag.error("\(ctx.location(atom: a, offset: r.offset)): ARM64_RELOC_SUBTRACTOR subtracts \(f.symbolNameString(Int(r.subtrahend))), which is not defined in the image")
                        continue
                    }
                }
                guard r.targetIsSymbol else { continue }
                let id = f.symbolIDs[Int(r.target)]
                guard id >= 0 else {
                    ctx.diag.error("\(ctx.location(atom: a, offset: r.offset)): \(ARM64Reloc.name(r.type)) refers to symbol \(f.symbolNameString(Int(r.target))), which is not linkable (a debug or dropped section's symbol)")
                    continue
                }
                let s = ctx.symtab.symbols[Int(id)]
                switch r.type {
                case ARM64Reloc.branch26:
                    if isImport(s) && s.stubSlot < 0 {
                        if lazy {
                            // Classic dyld info: bound on first call through the stub helper.
                            needImport(id)
                            ctx.symtab.symbols[Int(id)].lazySlot = Int32(ctx.lazySymbols.count)
                            ctx.lazySymbols.append(id)
                        } else {
                            needGOT(id)
                        }
                        ctx.symtab.symbols[Int(id)].stubSlot = Int32(ctx.stubSymbols.count)
                        ctx.stubSymbols.append(id)
                    }
                case ARM64Reloc.gotLoadPage21, ARM64Reloc.gotLoadPageoff12:
                    // A GOT load of a symbol in this image becomes adrp+add (as ld64 and lld
                    // do): no slot, no fixup.
                    if isImport(s) { needGOT(id) }
                case ARM64Reloc.pointerToGOT:
                    needGOT(id)
                case ARM64Reloc.tlvpLoadPage21, ARM64Reloc.tlvpLoadPageoff12:
                    if isImport(s) {
                        if s.tlvSlot < 0 {
                            ctx.symtab.symbols[Int(id)].tlvSlot = Int32(ctx.tlvPointerSymbols.count)
                            ctx.tlvPointerSymbols.append(id)
                            needImport(id)
                        }
                    } else if !s.isThreadLocal {
                        ctx.diag.error("\(ctx.location(atom: a, offset: r.offset)): \(ARM64Reloc.name(r.type)) refers to \(s.name.string), which is not a thread-local variable")
                    }
                case ARM64Reloc.unsigned where r.subtrahend < 0:
                    if isImport(s) {
                        if r.length != 3 {
                            ctx.diag.error("\(ctx.location(atom: a, offset: r.offset)): 32-bit pointer to dylib symbol \(s.name.string) cannot be bound")
                        } else {
                            needImport(id)
                        }
                    }
                case ARM64Reloc.unsigned, ARM64Reloc.page21, ARM64Reloc.pageoff12:
                    // A direct reference to this image's own (weak) definition stays direct.
                    if isImport(s) && s.kind != .defined {
                        ctx.diag.error("\(ctx.location(atom: a, offset: r.offset)): \(ARM64Reloc.name(r.type)) refers to \(s.name.string), defined in dylib \(ctx.fileName(ofSymbol: s)); it must be reached through the GOT (recompile without -mcmodel or with -fPIC)")
                    }
                default:
                    break
                }
            }
        }
    }
    scanCompactUnwind(ctx, needGOT: needGOT)
    if let binder, !ctx.lazySymbols.isEmpty {
        ctx.symtab.symbols[Int(binder)].weakRef = false   // no object names it; it must exist
        needGOT(binder)
        ctx.stubBinderSymbol = binder
        ctx.dyldPrivateAtom = Int32(ctx.atoms.count)
        ctx.atoms.append(Atom(file: -1, section: -1, inputOffset: 0, size: 8, alignLog2: 3))
    }
}
