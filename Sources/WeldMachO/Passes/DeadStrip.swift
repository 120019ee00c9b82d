#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// -dead_strip: keeps only atoms reachable from the roots (entry point, exported symbols,
/// no-dead-strip atoms and symbols, initializers), following relocations. A function's compact
/// unwind entry lives exactly when the function does, and keeps its personality and LSDA live.
/// Without -dead_strip every atom stays (except weak definitions coalesced away).
func deadStrip(_ ctx: LinkContext) {
    let o = ctx.options
    var live = [Bool](repeating: false, count: ctx.atoms.count)
    var work: [Int32] = []
    var why: [Int32] = o.whyLive.isEmpty ? [] : [Int32](repeating: -1, count: ctx.atoms.count)
    func mark(_ a: Int32, from: Int32) {
        var a = a
        if ctx.atoms[Int(a)].replacedBy >= 0 { a = ctx.atoms[Int(a)].replacedBy }
        if live[Int(a)] { return }
        live[Int(a)] = true
        if !why.isEmpty { why[Int(a)] = from }
        work.append(a)
    }
    func markSymbol(_ id: Int32, from: Int32) {
        let s = ctx.symtab.symbols[Int(id)]
        if s.kind == .defined && s.atom >= 0 { mark(s.atom, from: from) }
    }
    // Compact unwind entries, by the function atom they describe.
    var unwindOf: [Int32: [Int32]] = [:]
    for f in ctx.objects {
        for si in f.sections.indices where f.sections[si].kind == .compactUnwind {
            let s = f.sections[si]
            for k in 0..<Int(s.atomCount) {
                let ga = f.atomBase + s.firstAtom + Int32(k)
                let atom = ctx.atoms[Int(ga)]
                for r in f.relocs[Int(atom.relocStart)..<Int(atom.relocStart + atom.relocCount)] where r.offset == 0 {
                    var fn: Int32 = -1
                    if r.targetIsSymbol {
                        let id = f.symbolIDs[Int(r.target)]
                        if id >= 0 && ctx.symtab.symbols[Int(id)].kind == .defined { fn = ctx.symtab.symbols[Int(id)].atom }
                    } else {
                        fn = f.atomBase + r.target
                    }
                    if fn >= 0 { unwindOf[fn, default: []].append(ga) }
                }
            }
        }
    }
    // FDEs, by the function atom they describe (like compact unwind entries).
    for f in ctx.objects {
        for (fde, _) in f.cieOfFDE {
            if let fn = fdeFunctionAtom(ctx, f, f.atomBase + fde) { unwindOf[fn, default: []].append(f.atomBase + fde) }
        }
    }
    for k in unwindOf.keys { unwindOf[k]!.sort() }   // dictionary order must not reach the output
    // Roots.
    if ctx.entrySymbol >= 0 { markSymbol(ctx.entrySymbol, from: -1) }
    if ctx.initSymbol >= 0 { markSymbol(ctx.initSymbol, from: -1) }
    for i in ctx.symtab.symbols.indices {
        let s = ctx.symtab.symbols[i]
        guard s.kind == .defined else { continue }
        if s.noDeadStrip || s.referencedDynamically || (s.exported && o.outputKind != .executable) || (s.exported && o.exportDynamic) {
            mark(s.atom, from: -1)
        }
    }
    for f in ctx.objects {
        for s in f.sections where s.kind == .regular || s.kind == .ehFrame {
            let t = s.type
            let root = s.flags & MachO.attrNoDeadStrip != 0 || t == MachO.sModInitFuncPointers || t == MachO.sModTermFuncPointers
                || t == MachO.sInitFuncOffsets || (s.kind == .ehFrame && s.atomCount == 1) || t == MachO.sThreadLocalInitFunctionPointers
                || s.sectname == "__objc_imageinfo"
            if root {
                for k in 0..<Int(s.atomCount) { mark(f.atomBase + s.firstAtom + Int32(k), from: -1) }
            }
        }
    }
    while let a = work.popLast() {
        let atom = ctx.atoms[Int(a)]
        if let cu = unwindOf[a] { for c in cu { mark(c, from: a) } }
        if atom.file < 0 { continue }
        let f = ctx.objects[Int(atom.file)]
        // An __eh_frame kept whole is a root that is not followed (it would keep every
        // function alive); a split one's FDE keeps its CIE, LSDA and personality.
        let section = f.sections[Int(atom.section)]
        if section.kind == .ehFrame {
            if section.atomCount == 1 { continue }
            if let cie = f.cieOfFDE[a - f.atomBase] { mark(f.atomBase + cie, from: a) }
        }
        for r in f.relocs[Int(atom.relocStart)..<Int(atom.relocStart + atom.relocCount)] {
            if r.targetIsSymbol {
                let id = f.symbolIDs[Int(r.target)]
                if id >= 0 { markSymbol(id, from: a) }
            } else {
                mark(f.atomBase + r.target, from: a)
            }
            if r.subtrahend >= 0 {
                let id = f.symbolIDs[Int(r.subtrahend)]
                if id >= 0 { markSymbol(id, from: a) }
            }
        }
    }
    for i in ctx.atoms.indices { ctx.atoms[i].live = live[i] && ctx.atoms[i].live }
    for name in o.whyLive { reportWhyLive(ctx, name, why) }
}

/// -why_live NAME: the chain of atoms that kept NAME's atom alive, back to a root, indented
/// one step per level as ld64 prints it. Locals are found too (the first of that name).
func reportWhyLive(_ ctx: LinkContext, _ name: String, _ why: [Int32]) {
    var id = ctx.symtab.find(name)
    if id == nil || ctx.symtab.symbols[Int(id!)].kind != .defined {
        id = ctx.symtab.symbols.firstIndex { $0.kind == .defined && $0.name.string == name }.map(Int32.init)
    }
    guard let id, ctx.symtab.symbols[Int(id)].kind == .defined else {
        ctx.diag.note("\(name): not defined in any linked object"); return
    }
    var a = ctx.symtab.symbols[Int(id)].atom
    if !ctx.atoms[Int(a)].live { ctx.diag.note("\(name) was dead-stripped"); return }
    var lines = ["\(name) from \(ctx.objects[Int(ctx.atoms[Int(a)].file)].name)"]
    while why[Int(a)] >= 0 && lines.count < 64 {
        a = why[Int(a)]
        lines.append(String(repeating: "  ", count: lines.count) + atomDisplayName(ctx, a))
    }
    ctx.diag.note(lines.joined(separator: "\n"))
}

/// The first symbol naming an atom (for maps and -why_live), or its location.
func atomDisplayName(_ ctx: LinkContext, _ a: Int32) -> String {
    let atom = ctx.atoms[Int(a)]
    if atom.file >= 0 {
        let f = ctx.objects[Int(atom.file)]
        // Prefer a real name over assembler temporaries (ltmp0, l_.str).
        var temporary: String? = nil
        for k in f.nlists.indices where f.symbolAtom[k] == a - f.atomBase && f.symbolOffset[k] == 0 && !f.nlists[k].isStab {
            let n = f.symbolNameString(k)
            if n.hasPrefix("l") || n.hasPrefix("L") { temporary = temporary ?? n; continue }
            return "\(n) from \(f.name)"
        }
        if let temporary { return "\(temporary) from \(f.name)" }
    }
    return ctx.location(atom: a, offset: 0)
}

/// The function atom an FDE describes: the target of its pc_begin (the relocation at offset 8).
func fdeFunctionAtom(_ ctx: LinkContext, _ f: ObjectFile, _ fde: Int32) -> Int32? {
    let atom = ctx.atoms[Int(fde)]
    for r in f.relocs[Int(atom.relocStart)..<Int(atom.relocStart + atom.relocCount)] where r.offset == 8 {
        if r.targetIsSymbol {
            let id = f.symbolIDs[Int(r.target)]
            guard id >= 0, ctx.symtab.symbols[Int(id)].kind == .defined else { return nil }
            return ctx.symtab.symbols[Int(id)].atom
        }
        return f.atomBase + r.target
    }
    return nil
}

/// Drops the FDEs of functions that are not in the output (weak definitions coalesced away),
/// whether or not -dead_strip ran.
func pruneFDEs(_ ctx: LinkContext) {
    for f in ctx.objects {
        for (fde, _) in f.cieOfFDE {
            let a = f.atomBase + fde
            if let fn = fdeFunctionAtom(ctx, f, a), !ctx.atoms[Int(fn)].live { ctx.atoms[Int(a)].live = false }
        }
    }
}
