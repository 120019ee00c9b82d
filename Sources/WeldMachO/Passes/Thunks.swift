import WeldCore

/// Range-extension thunks for b/bl (±128 MiB). When the code of __TEXT spans more than a b/bl
/// can reach, islands of thunks (adrp x16 / add x16 / br x16, any distance within ±4 GiB) are
/// placed between atoms of __text every `islandSpacing` bytes. A call whose target is out of
/// reach goes to a thunk for that target in the island nearest the call. Adding thunks moves
/// code, so the placement repeats until no call needs a new thunk (sizes only grow).
struct ThunkPlan {
    /// Where a thunk goes: the island's atom, and its thunks by destination.
    struct Island {
        var atom: Int32
        var targets: [BranchTarget] = []
        var index: [BranchTarget: Int] = [:]
    }
    var islands: [Island] = []
}

/// What a call goes to, independent of addresses (they move while islands grow).
struct BranchTarget: Hashable {
    var symbol: Int32       // global symbol, or -1
    var atom: Int32         // global atom when `symbol` is -1
    var addend: Int64
}

let branchReach: Int64 = 1 << 27
/// Safety margin: islands and alignment may still move code a little after a decision.
let branchMargin: Int64 = 1 << 20
let islandSpacing: UInt64 = 100 << 20
let thunkSize: UInt64 = 12

/// Adds islands when __TEXT's code is too large for b/bl to cross; no-op otherwise.
func planThunks(_ ctx: LinkContext) throws(LinkError) {
    let L = ctx.layout
    let code = L.sections.filter { $0.segname == "__TEXT" && ($0.flags & MachO.attrPureInstructions != 0 || $0.kind == .stubs) }
    guard let first = code.first, let last = code.last else { return }
    if Int64(last.addr + last.size - first.addr) < branchReach - branchMargin { return }
    guard let text = L.sections.first(where: { $0.segname == "__TEXT" && $0.sectname == "__text" }) else { return }
    // An island wherever the code since the last one would pass the spacing (before the atom
    // that would cross it, so a huge atom has islands on both sides), and one at the end.
    var atoms: [Int32] = []
    var plan = ThunkPlan()
    func addIsland() {
        let island = Int32(ctx.atoms.count)
        ctx.atoms.append(Atom(file: -2, section: -1, inputOffset: 0, size: 0, alignLog2: 2))
        atoms.append(island)
        plan.islands.append(ThunkPlan.Island(atom: island))
    }
    var sinceIsland: UInt64 = 0
    for a in text.atoms {
        let size = UInt64(ctx.atoms[Int(a)].size)
        if sinceIsland > 0 && sinceIsland + size > islandSpacing {
            addIsland()
            sinceIsland = 0
        }
        atoms.append(a)
        sinceIsland += size
    }
    addIsland()
    text.atoms = atoms
    ctx.thunks = plan
    for round in 0..<16 {
        assignAddresses(ctx)
        var added = 0
        forEachFarBranch(ctx) { site, target in
            let i = nearestIsland(ctx, site)
            if ctx.thunks!.islands[i].index[target] == nil {
                ctx.thunks!.islands[i].index[target] = ctx.thunks!.islands[i].targets.count
                ctx.thunks!.islands[i].targets.append(target)
                added += 1
            }
        }
        if added == 0 { return }
        for isl in ctx.thunks!.islands { ctx.atoms[Int(isl.atom)].size = UInt32(isl.targets.count) * UInt32(thunkSize) }
        _ = round
    }
    throw LinkError("branch thunks: placement did not converge")
}

/// Calls (BRANCH26 in live atoms) whose destination is out of direct reach, in link order.
private func forEachFarBranch(_ ctx: LinkContext, _ body: (UInt64, BranchTarget) -> Void) {
    for sec in ctx.layout.sections where sec.kind == .atoms && sec.flags & MachO.attrPureInstructions != 0 {
        for a in sec.atoms {
            let atom = ctx.atoms[Int(a)]
            guard atom.file >= 0, atom.relocCount > 0 else { continue }
            let f = ctx.objects[Int(atom.file)]
            for r in f.relocs[Int(atom.relocStart)..<Int(atom.relocStart + atom.relocCount)] where r.type == ARM64Reloc.branch26 {
                let site = sec.addr + atom.outOffset + UInt64(r.offset)
                guard let (target, dest) = branchDestination(ctx, f, r) else { continue }
                let d = Int64(bitPattern: dest &- site)
                if d >= -(branchReach - branchMargin) && d < branchReach - branchMargin { continue }
                body(site, target)
            }
        }
    }
}

/// The thunk-independent destination of a call and its current address (a stub for imports).
func branchDestination(_ ctx: LinkContext, _ f: ObjectFile, _ r: Reloc) -> (BranchTarget, UInt64)? {
    if r.targetIsSymbol {
        let id = f.symbolIDs[Int(r.target)]
        guard id >= 0 else { return nil }
        let s = ctx.symtab.symbols[Int(id)]
        if s.stubSlot >= 0, let stubs = ctx.layout.stubs {
            return (BranchTarget(symbol: id, atom: -1, addend: 0), stubs.addr + UInt64(s.stubSlot) * 12)
        }
        return (BranchTarget(symbol: id, atom: -1, addend: r.addend), s.address &+ UInt64(bitPattern: r.addend))
    }
    let a = f.atomBase + r.target
    return (BranchTarget(symbol: -1, atom: a, addend: r.addend), ctx.address(ofAtom: a) &+ UInt64(bitPattern: r.addend))
}

/// The island closest to `site` (islands are in address order).
func nearestIsland(_ ctx: LinkContext, _ site: UInt64) -> Int {
    var best = 0
    var bestDistance = UInt64.max
    for (i, isl) in ctx.thunks!.islands.enumerated() {
        let at = ctx.address(ofAtom: isl.atom)
        let d = at > site ? at - site : site - at
        if d < bestDistance { best = i; bestDistance = d }
    }
    return best
}

/// The thunk a far call at `site` uses, if it has one.
func thunkAddress(_ ctx: LinkContext, site: UInt64, target: BranchTarget) -> UInt64? {
    guard let plan = ctx.thunks else { return nil }
    let island = plan.islands[nearestIsland(ctx, site)]
    guard let k = island.index[target] else { return nil }
    return ctx.address(ofAtom: island.atom) + UInt64(k) * thunkSize
}

/// Writes every island's thunks: x16 = destination, then jump.
func writeThunks(_ ctx: LinkContext, _ out: UnsafeMutableRawPointer) {
    guard let plan = ctx.thunks, let text = ctx.layout.sections.first(where: { $0.segname == "__TEXT" && $0.sectname == "__text" }) else { return }
    for isl in plan.islands {
        let atom = ctx.atoms[Int(isl.atom)]
        for (k, t) in isl.targets.enumerated() {
            let p = text.addr + atom.outOffset + UInt64(k) * thunkSize
            let loc = out + Int(text.fileOffset + atom.outOffset) + k * Int(thunkSize)
            var dest: UInt64
            if t.symbol >= 0 {
                let s = ctx.symtab.symbols[Int(t.symbol)]
                if s.stubSlot >= 0, let stubs = ctx.layout.stubs { dest = stubs.addr + UInt64(s.stubSlot) * 12 }
                else { dest = s.address &+ UInt64(bitPattern: t.addend) }
            } else {
                dest = ctx.address(ofAtom: t.atom) &+ UInt64(bitPattern: t.addend)
            }
            loc.put32(0, 0x9000_0010)   // adrp x16, dest@PAGE
            loc.put32(4, 0x9100_0210)   // add  x16, x16, dest@PAGEOFF
            loc.put32(8, 0xd61f_0200)   // br   x16
            if let e = ARM64.patchPage21(loc, from: p, to: dest) { ctx.diag.error("branch thunk: \(e)") }
            _ = ARM64.patchPageoff12(loc + 4, to: dest)
        }
    }
}
