import WeldCore
import CMemoryHints

/// What an absolute 64-bit relocation becomes in the output.
enum DynamicRelocKind { case none, relative, symbolic, irelative }

/// The dynamic relocation (if any) needed for relocation `rel` of `sec`. The scan's count
/// pass and the writer both ask this, so they always agree.
@inline(__always)
func dynamicRelocKind(_ ctx: Context, _ obj: ObjectFile, _ sec: InputSection, _ rel: Rela) -> DynamicRelocKind {
    if ctx.isStatic || rel.type != R_X86_64.r64 || sec.flags & SHF.alloc == 0 { return .none }
    if rel.sym == 0 { return .none }
    if rel.sym < obj.firstGlobal {
        if obj.symShndx(rel.sym) == UInt32(SHN.abs) { return .none }
        return ctx.isPIC ? .relative : .none
    }
    // Read in place: a copy of the Symbol per relocation is costly.
    let s = UnsafePointer(ctx.symbols.symbols + Int(obj.symbolIds[rel.sym - obj.firstGlobal]))
    if s.pointee.isPreemptible {
        if s.pointee.flags & (SymbolFlag.needsCopy | SymbolFlag.isCopyAlias | SymbolFlag.needsCanonicalPlt) != 0 {
            return ctx.isPIC ? .relative : .none
        }
        return .symbolic
    }
    switch s.pointee.kind {
    case .shared:
        return .symbolic
    case .undefined, .lazy:
        return .none   // weak undefined: stays 0
    default:
        if s.pointee.isAbsolute || s.pointee.fileIndex == -2 && s.pointee.isAbsolute { return .none }
        return ctx.isPIC ? .relative : .none
    }
}

/// Gives each section (whose dynamic relocations the scan counted) its slice of .rela.dyn.
/// In a non-PIC executable an absolute reference to an imported object needs no dynamic
/// relocation once the object is copied, which the scan learns only at its end: there the
/// sections are counted again now.
func countDynamicRelocs(_ ctx: Context) {
    if ctx.isStatic { return }
    if !ctx.isPIC {
        Parallel.forEach(ctx.objects.count) { f in
            let obj = ctx.objects[f]
            for case let sec? in obj.sections where sec.alive && sec.dynRelocCount > 0 {
                var n: Int32 = 0
                for r in 0..<sec.relocCount where sec.reloc(r).type == R_X86_64.r64 && dynamicRelocKind(ctx, obj, sec, sec.reloc(r)) != .none { n += 1 }
                sec.dynRelocCount = n
            }
        }
    }
    if ctx.packsRelativeRelocs { countPackedRelativeRelocs(ctx) }
    // Slices in file order, then section order, in one parallel pass: a section's start is
    // relative to its file's slice (`ObjectFile.dynRelocBase`, a prefix sum over files). A
    // serial walk over every input section was 6 ms of the lld link.
    let perFile: [(count: Int32, writesText: Bool)] = Parallel.map(ctx.objects.count) { f in
        var n: Int32 = 0, text = false
        ctx.objects[f].sections.forEachBorrowed { (sec: InputSection) in
            guard sec.dynRelocCount > 0 || sec.relrCount > 0 else { return }
            sec.dynRelocStart = n
            n += sec.dynRelocCount
            if sec.flags & SHF.write == 0 { text = true }
        }
        return (n, text)
    }
    var next = Int32(0)
    for (f, c) in perFile.enumerated() {
        ctx.objects[f].dynRelocBase = next
        next += c.count
        if c.writesText { ctx.synth.hasTextRelocs = true }
    }
    ctx.synth.sectionDynRelocCount = Int(next)
}

/// Applies the relocations of one input section to its bytes in the output (already copied
/// to `out`), writing any dynamic relocations into this section's slice of .rela.dyn.
/// How many relocations ahead the relocation loops prefetch a target symbol.
let prefetchDistance = 8

func applyRelocations(_ ctx: Context, _ sec: InputSection, out: UnsafeMutableRawPointer, outBase: UInt64, relaDyn: UnsafeMutableRawPointer?) {
    // The file lent, not retained: a retain per section dirtied its cache line for nothing.
    sec.fileRef._withUnsafeGuaranteedRef { obj in
        applyRelocations(ctx, sec, obj, out: out, outBase: outBase, relaDyn: relaDyn)
    }
}

private func applyRelocations(_ ctx: Context, _ sec: InputSection, _ obj: ObjectFile, out: UnsafeMutableRawPointer, outBase: UInt64, relaDyn: UnsafeMutableRawPointer?) {
    let syms = ctx.symbols
    let alloc = sec.flags & SHF.alloc != 0
    let placeholder = noSymbol
    let gotAddr = ctx.synth.gotSection?.addr ?? 0
    let gotPltAddr = ctx.synth.gotPlt?.addr ?? gotAddr
    var dynIndex = Int(obj.dynRelocBase) + Int(sec.dynRelocStart)
    let packsRelative = sec.relrCount > 0
    let pieces = sec.pieces
    let symbolBase = syms.symbols
    let firstGlobal = obj.firstGlobal
    let sectionAddresses = obj.sectionAddresses
    let localSymbols = obj.symtab ?? UnsafeRawPointer(bitPattern: 8)!
    let outputAddresses = UnsafePointer(ctx.outputAddressTable)
    var r = 0
    while r < sec.relocCount {
        let rel = sec.reloc(r)
        // A target is a random read, mostly a cache miss (the largest cost of this loop): the
        // global symbol, or the local's entry in the input symbol table. Start loading the one
        // of the relocation 8 entries ahead.
        if r + prefetchDistance < sec.relocCount {
            let aheadSym = sec.reloc(r + prefetchDistance).sym
            if aheadSym >= firstGlobal { weld_prefetch(symbolBase + Int(obj.symbolIds[aheadSym - firstGlobal])) }
            else { weld_prefetch(localSymbols + aheadSym * 24) }
        }
        r += 1
        let type = rel.type
        if type == R_X86_64.none { continue }
        // Where the field lives in the output (sections split into pieces move their bytes).
        var inOff = rel.offset
        var outOff = rel.offset
        if let p = pieces {
            guard let k = p.pieceIndex(containing: rel.offset), p.outOffsets[k] != .max else { continue }
            outOff = p.outOffsets[k] + (rel.offset - UInt64(p.inOffsets[k])) - sec.outOffset
            inOff = rel.offset
        }
        let loc = out + Int(outOff)
        let P = outBase + outOff
        let A = rel.addend
        let width = relocWidth(type)
        if Int(inOff) + width > Int(sec.size) {
            ctx.diag.error("\(sec.displayName)+0x\(hex(rel.offset)): relocation \(R_X86_64.name(type)) extends past the end of the section")
            continue
        }

        // Resolve the target.
        var S: UInt64 = 0
        var id: Int32 = -1
        // The target symbol, read in place: copying a Symbol per relocation is costly.
        var sp = placeholder
        var isLocal = true
        var targetDead = false
        if rel.sym != 0 && rel.sym < obj.firstGlobal && obj.promotedLocals.isEmpty || rel.sym != 0 && rel.sym < obj.firstGlobal && obj.promotedLocals[rel.sym] == nil {
            let shndx = obj.symShndx(rel.sym)
            let raw = obj.symtab!.u16(rel.sym * 24 + 6)
            if shndx == UInt32(SHN.abs) {
                S = obj.symValue(rel.sym)
            } else if raw < SHN.loreserve || raw == SHN.xindex, Int(shndx) < sectionAddresses.count, sectionAddresses[Int(shndx)] != .max {
                // A live section in one piece: its start plus the symbol's offset (for a
                // section symbol too: the addend then stays relative to the same start).
                S = sectionAddresses[Int(shndx)] &+ obj.symValue(rel.sym)
            } else if let ts = obj.symSectionUnretained(rel.sym) {
                // A section split into pieces or not placed in one run: through the section.
                let isSection = obj.symType(rel.sym) == STT.section
                // Section symbol + addend: find the piece the addend points into.
                let offset = isSection ? UInt64(bitPattern: Int64(bitPattern: obj.symValue(rel.sym)) &+ A) : obj.symValue(rel.sym)
                let target = localTarget(ts, offset, outputAddresses)
                if !target.alive { targetDead = true }
                else { S = isSection ? target.address &- UInt64(bitPattern: A) : target.address }
            }
        } else if rel.sym != 0 {
            isLocal = false
            id = rel.sym < obj.firstGlobal ? obj.promotedLocals[rel.sym]! : obj.symbolIds[rel.sym - obj.firstGlobal]
            sp = syms.symbols + Int(id)
            S = sp.pointee.value
            if sp.pointee.isUndefined { S = 0 }
        }
        if targetDead {
            // A reference to a dropped COMDAT copy from debug info: a tombstone, as lld writes.
            if !alloc { writeValue(loc, width, sec.name.hasPrefix(".debug_loc") || sec.name.hasPrefix(".debug_ranges") ? 1 : 0) }
            continue
        }
        let imported = !isLocal && sp.pointee.isPreemptible
        let sharedOut = ctx.isShared
        @inline(__always) func gotEntry(_ index: Int32) -> UInt64 { index < 0 ? 0 : gotAddr + UInt64(index) * 8 }

        switch type {
        case R_X86_64.r64:
            switch dynamicRelocKind(ctx, obj, sec, rel) {
            case .none:
                loc.w64(0, S &+ UInt64(bitPattern: A))
            case .relative:
                loc.w64(0, S &+ UInt64(bitPattern: A))
                // A packed relocation is listed in .relr.dyn; the word itself is its addend.
                if packsRelative && isPackableRelative(sec, rel) { break }
                writeRela(relaDyn!, dynIndex, offset: P, type: R_X86_64.relative, sym: 0, addend: Int64(bitPattern: S &+ UInt64(bitPattern: A)))
                dynIndex += 1
            case .symbolic:
                loc.w64(0, UInt64(bitPattern: A))
                writeRela(relaDyn!, dynIndex, offset: P, type: R_X86_64.r64, sym: UInt32(sp.pointee.dynsymIndex), addend: A)
                dynIndex += 1
            case .irelative:
                break
            }
        case R_X86_64.pc32, R_X86_64.plt32:
            var target = S
            if !isLocal && sp.pointee.pltIndex >= 0 && (type == R_X86_64.plt32 || imported || sp.pointee.flags & SymbolFlag.isIfunc != 0) {
                target = pltAddress(ctx, sp.pointee)
            }
            // A weak undefined symbol bound at link time is 0; an import goes through its PLT.
            if !isLocal && sp.pointee.isUndefined && !sp.pointee.isPreemptible { target = 0 }
            let v = Int64(bitPattern: target &+ UInt64(bitPattern: A) &- P)
            if !checkRange(ctx, sec, rel, v, bits: 32, signed: true) { continue }
            loc.w32(0, UInt32(truncatingIfNeeded: v))
        case R_X86_64.r32, R_X86_64.r32s:
            var target = S
            if !isLocal && sp.pointee.pltIndex >= 0 && (imported || sp.pointee.flags & SymbolFlag.isIfunc != 0) { target = pltAddress(ctx, sp.pointee) }
            if ctx.isPIC && alloc && !(isLocal && obj.symShndx(rel.sym) == UInt32(SHN.abs)) && !(sp.pointee.isAbsolute) && rel.sym != 0 {
                ctx.diag.error("\(sec.displayName)+0x\(hex(rel.offset)): relocation \(R_X86_64.name(type)) against \(isLocal ? obj.symName(rel.sym).string : sp.pointee.name.string) cannot be used when making a PIE object; recompile with -fPIE")
                continue
            }
            let v = Int64(bitPattern: target &+ UInt64(bitPattern: A))
            if !checkRange(ctx, sec, rel, v, bits: 32, signed: type == R_X86_64.r32s) { continue }
            loc.w32(0, UInt32(truncatingIfNeeded: v))
        case R_X86_64.pc64:
            loc.w64(0, S &+ UInt64(bitPattern: A) &- P)
        case R_X86_64.r16:
            loc.w16(0, UInt16(truncatingIfNeeded: S &+ UInt64(bitPattern: A)))
        case R_X86_64.pc16:
            loc.w16(0, UInt16(truncatingIfNeeded: S &+ UInt64(bitPattern: A) &- P))
        case R_X86_64.r8:
            loc.w8(0, UInt8(truncatingIfNeeded: S &+ UInt64(bitPattern: A)))
        case R_X86_64.pc8:
            loc.w8(0, UInt8(truncatingIfNeeded: S &+ UInt64(bitPattern: A) &- P))
        case R_X86_64.gotpcrel, R_X86_64.gotpcrelx, R_X86_64.rexGotpcrelx:
            let canRelax = isLocal ? true : (!imported && !sp.pointee.isUndefined && sp.pointee.flags & SymbolFlag.isIfunc == 0 && !(ctx.isPIC && sp.pointee.isAbsolute))
            var relax = gotRelaxation(sec, rel, canRelax: canRelax)
            if isLocal && relax == .none {
                // A GOT reference to a local: rewrite a mov to lea, whatever the relocation type.
                if rel.offset >= 2 && sec.data.u8(Int(rel.offset) - 2) == 0x8b { relax = .movToLea }
            }
            switch relax {
            case .movToLea:
                loc.w8(-2, 0x8d)
                writePC32(ctx, sec, rel, loc, S &+ UInt64(bitPattern: A) &- P)
            case .call:
                // call *foo@GOTPCREL(%rip) → addr32 call foo
                loc.w8(-2, 0x67); loc.w8(-1, 0xe8)
                writePC32(ctx, sec, rel, loc, S &+ UInt64(bitPattern: A) &- P)
            case .jmp:
                // jmp *foo@GOTPCREL(%rip) → jmp foo; nop
                loc.w8(-2, 0xe9); loc.w8(4, 0x90)
                writePC32(ctx, sec, rel, loc, S &+ UInt64(bitPattern: A) &+ 1 &- P)
            case .none:
                let g: UInt64
                if isLocal {
                    // Compilers reach locals through the GOT only with mov, which is rewritten
                    // above; anything else would need a GOT slot for a local: say so, don't guess.
                    ctx.diag.error("\(sec.displayName)+0x\(hex(rel.offset)): \(R_X86_64.name(type)) against local symbol \(obj.symName(rel.sym).string) in an instruction weld cannot rewrite; not supported yet")
                    continue
                }
                g = gotEntry(sp.pointee.gotIndex)
                writePC32(ctx, sec, rel, loc, g &+ UInt64(bitPattern: A) &- P)
            }
        case R_X86_64.gotpcrel64:
            loc.w64(0, gotEntry(sp.pointee.gotIndex) &+ UInt64(bitPattern: A) &- P)
        case R_X86_64.got32:
            loc.w32(0, UInt32(truncatingIfNeeded: gotEntry(sp.pointee.gotIndex) &- gotPltAddr &+ UInt64(bitPattern: A)))
        case R_X86_64.got64, R_X86_64.gotplt64:
            loc.w64(0, gotEntry(sp.pointee.gotIndex) &- gotPltAddr &+ UInt64(bitPattern: A))
        case R_X86_64.gotpc32:
            loc.w32(0, UInt32(truncatingIfNeeded: gotPltAddr &+ UInt64(bitPattern: A) &- P))
        case R_X86_64.gotpc64:
            loc.w64(0, gotPltAddr &+ UInt64(bitPattern: A) &- P)
        case R_X86_64.gotoff64:
            loc.w64(0, S &+ UInt64(bitPattern: A) &- gotPltAddr)
        case R_X86_64.pltoff64:
            let t = (!isLocal && sp.pointee.pltIndex >= 0) ? pltAddress(ctx, sp.pointee) : S
            loc.w64(0, t &+ UInt64(bitPattern: A) &- gotPltAddr)
        case R_X86_64.size32:
            loc.w32(0, UInt32(truncatingIfNeeded: (isLocal ? obj.symSize(rel.sym) : sp.pointee.size) &+ UInt64(bitPattern: A)))
        case R_X86_64.size64:
            loc.w64(0, (isLocal ? obj.symSize(rel.sym) : sp.pointee.size) &+ UInt64(bitPattern: A))
        case R_X86_64.tpoff32:
            loc.w32(0, UInt32(truncatingIfNeeded: S &+ UInt64(bitPattern: A) &- ctx.tlsEnd))
        case R_X86_64.tpoff64:
            loc.w64(0, S &+ UInt64(bitPattern: A) &- ctx.tlsEnd)
        case R_X86_64.dtpoff32:
            // After LD→LE relaxation, code uses offsets from the thread pointer.
            let base = alloc && !sharedOut ? ctx.tlsEnd : ctx.tlsStart
            loc.w32(0, UInt32(truncatingIfNeeded: S &+ UInt64(bitPattern: A) &- base))
        case R_X86_64.dtpoff64:
            let base = alloc && !sharedOut ? ctx.tlsEnd : ctx.tlsStart
            loc.w64(0, S &+ UInt64(bitPattern: A) &- base)
        case R_X86_64.tlsgd where sharedOut:
            writePC32(ctx, sec, rel, loc, gotEntry(sp.pointee.tlsGdIndex) &+ UInt64(bitPattern: A) &- P)
        case R_X86_64.tlsld where sharedOut:
            writePC32(ctx, sec, rel, loc, gotEntry(ctx.synth.tlsLdGotIndex) &+ UInt64(bitPattern: A) &- P)
        case R_X86_64.gotpc32Tlsdesc where sharedOut:
            writePC32(ctx, sec, rel, loc, gotEntry(sp.pointee.tlsDescIndex) &+ UInt64(bitPattern: A) &- P)
        case R_X86_64.tlsdescCall where sharedOut:
            break
        case R_X86_64.gottpoff where sharedOut:
            writePC32(ctx, sec, rel, loc, gotEntry(sp.pointee.gotTpIndex) &+ UInt64(bitPattern: A) &- P)
        case R_X86_64.tlsgd:
            // lea x@tlsgd(%rip),%rdi ; call __tls_get_addr → LE or IE.
            guard rel.offset >= 4, Int(rel.offset) + 12 <= Int(sec.size) else { badTLS(ctx, sec, rel); continue }
            let isCallIndirect = sec.data.u8(Int(rel.offset) + 4) == 0xff  // call *__tls_get_addr@GOTPCREL(%rip)
            if imported {
                let bytes: [UInt8] = [0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0x48, 0x03, 0x05, 0, 0, 0, 0]
                writeBytes(loc - 4, bytes)
                let g = gotEntry(sp.pointee.gotTpIndex)
                (loc - 4 + 12).w32(0, UInt32(truncatingIfNeeded: g &- (P &- 4 &+ 16)))
            } else {
                let bytes: [UInt8] = [0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0x48, 0x8d, 0x80, 0, 0, 0, 0]
                writeBytes(loc - 4, bytes)
                (loc - 4 + 12).w32(0, UInt32(truncatingIfNeeded: S &- ctx.tlsEnd))
            }
            if isCallIndirect { } // same length: both sequences are 16 bytes when padded by the compiler
            r += 1 // the call's relocation is consumed
        case R_X86_64.tlsld:
            // lea x@tlsld(%rip),%rdi ; call __tls_get_addr → data16 data16 data16 mov %fs:0,%rax
            guard rel.offset >= 3, Int(rel.offset) + 9 <= Int(sec.size) else { badTLS(ctx, sec, rel); continue }
            if sec.data.u8(Int(rel.offset) + 4) == 0xff {
                // lea x@tlsld(%rip),%rdi ; call *__tls_get_addr@GOTPCREL(%rip) (13 bytes)
                writeBytes(loc - 3, [0x66, 0x66, 0x66, 0x66, 0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0])
            } else {
                writeBytes(loc - 3, [0x66, 0x66, 0x66, 0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0])
            }
            r += 1
        case R_X86_64.gottpoff:
            if !imported && sp.pointee.gotTpIndex < 0 && canRelaxIE(sec, rel) {
                let op = sec.data.u8(Int(rel.offset) - 2)
                let modrm = sec.data.u8(Int(rel.offset) - 1)
                let reg = (modrm >> 3) & 7
                var rex = rel.offset >= 3 ? sec.data.u8(Int(rel.offset) - 3) : 0
                if rex & 0xf0 == 0x40 {
                    // REX.R moves to REX.B: the register is now the r/m operand.
                    rex = (rex & ~0x04) | ((rex & 0x04) >> 2)
                    loc.w8(-3, rex)
                }
                loc.w8(-2, op == 0x8b ? 0xc7 : 0x81)
                loc.w8(-1, 0xc0 | reg)
                loc.w32(0, UInt32(truncatingIfNeeded: S &+ UInt64(bitPattern: 0) &- ctx.tlsEnd))
            } else {
                let g = isLocal ? 0 : gotEntry(sp.pointee.gotTpIndex)
                writePC32(ctx, sec, rel, loc, g &+ UInt64(bitPattern: A) &- P)
            }
        case R_X86_64.gotpc32Tlsdesc:
            // lea x@tlsdesc(%rip), %rax → mov $tpoff, %rax  or  mov x@gottpoff(%rip), %rax
            guard rel.offset >= 3 else { badTLS(ctx, sec, rel); continue }
            if imported {
                loc.w8(-2, 0x8b)
                writePC32(ctx, sec, rel, loc, gotEntry(sp.pointee.gotTpIndex) &+ UInt64(bitPattern: A) &- P)
            } else {
                let rex = sec.data.u8(Int(rel.offset) - 3)
                let reg = (sec.data.u8(Int(rel.offset) - 1) >> 3) & 7
                loc.w8(-3, 0x48 | ((rex & 0x04) >> 2))
                loc.w8(-2, 0xc7)
                loc.w8(-1, 0xc0 | reg)
                loc.w32(0, UInt32(truncatingIfNeeded: S &- ctx.tlsEnd))
            }
        case R_X86_64.tlsdescCall:
            // call *x@tlscall(%rax) → xchg %ax,%ax
            loc.w8(0, 0x66); loc.w8(1, 0x90)
        default:
            ctx.diag.error("\(sec.displayName)+0x\(hex(rel.offset)): unsupported relocation \(R_X86_64.name(type))")
        }
    }
}

/// What a relocation against a local symbol "targets": never read for anything but defaults.
let noSymbol: UnsafeMutablePointer<Symbol> = {
    let p = UnsafeMutablePointer<Symbol>.allocate(capacity: 1)
    p.initialize(to: Symbol(name: NameRef(UnsafeRawPointer(bitPattern: 1)!, 0)))
    return p
}()

@inline(__always) func relocWidth(_ t: UInt32) -> Int {
    switch t {
    case R_X86_64.r64, R_X86_64.pc64, R_X86_64.gotpcrel64, R_X86_64.got64, R_X86_64.gotpc64, R_X86_64.gotoff64,
         R_X86_64.gotplt64, R_X86_64.pltoff64, R_X86_64.size64, R_X86_64.tpoff64, R_X86_64.dtpoff64: return 8
    case R_X86_64.r16, R_X86_64.pc16: return 2
    case R_X86_64.r8, R_X86_64.pc8: return 1
    case R_X86_64.tlsdescCall: return 2
    default: return 4
    }
}

@inline(__always) func writeValue(_ loc: UnsafeMutableRawPointer, _ width: Int, _ v: UInt64) {
    switch width {
    case 8: loc.w64(0, v)
    case 4: loc.w32(0, UInt32(truncatingIfNeeded: v))
    case 2: loc.w16(0, UInt16(truncatingIfNeeded: v))
    case 1: loc.w8(0, UInt8(truncatingIfNeeded: v))
    default: break
    }
}

@inline(__always) func writeBytes(_ p: UnsafeMutableRawPointer, _ bytes: [UInt8]) {
    for (i, b) in bytes.enumerated() { p.w8(i, b) }
}

@inline(__always) func writePC32(_ ctx: Context, _ sec: InputSection, _ rel: Rela, _ loc: UnsafeMutableRawPointer, _ v: UInt64) {
    let s = Int64(bitPattern: v)
    if s < Int64(Int32.min) || s > Int64(Int32.max) {
        ctx.diag.error("\(sec.displayName)+0x\(hex(rel.offset)): relocation \(R_X86_64.name(rel.type)) out of range: \(s) is not in [-2147483648, 2147483647]")
        return
    }
    loc.w32(0, UInt32(truncatingIfNeeded: v))
}

/// Whether `v` fits the field; reports the relocation if not. The test is inlined at every
/// relocation; the report is out of line (it was 2.8% of a link's instructions as a call).
@inline(__always)
func checkRange(_ ctx: Context, _ sec: InputSection, _ rel: Rela, _ v: Int64, bits: Int, signed: Bool) -> Bool {
    let ok: Bool
    if signed { ok = v >= -(Int64(1) << (bits - 1)) && v < (Int64(1) << (bits - 1)) }
    else { ok = v >= 0 && v < (Int64(1) << bits) }
    if !ok { reportOutOfRange(ctx, sec, rel, v) }
    return ok
}

@inline(never)
func reportOutOfRange(_ ctx: Context, _ sec: InputSection, _ rel: Rela, _ v: Int64) {
    let name = sec.file.symName(rel.sym).string
    ctx.diag.error("\(sec.displayName)+0x\(hex(rel.offset)): relocation \(R_X86_64.name(rel.type)) out of range: \(v) against symbol \(name)")
}

func badTLS(_ ctx: Context, _ sec: InputSection, _ rel: Rela) {
    ctx.diag.error("\(sec.displayName)+0x\(hex(rel.offset)): \(R_X86_64.name(rel.type)) is not followed by the expected instruction sequence")
}

@inline(__always) func writeRela(_ base: UnsafeMutableRawPointer, _ i: Int, offset: UInt64, type: UInt32, sym: UInt32, addend: Int64) {
    let p = base + i * 24
    p.w64(0, offset)
    p.w64(8, UInt64(sym) << 32 | UInt64(type))
    p.storeBytes(of: addend, toByteOffset: 16, as: Int64.self)
}

/// The address references to `sym` through its PLT (or IFUNC stub) use.
@inline(__always) func pltAddress(_ ctx: Context, _ sym: Symbol) -> UInt64 {
    guard let plt = ctx.synth.plt else { return 0 }
    if sym.flags & SymbolFlag.inLazyPlt != 0 { return plt.addr + 16 + UInt64(sym.pltIndex) * 16 }
    let lazy = ctx.synth.pltSymbols.count
    let header: UInt64 = lazy > 0 ? 16 : 0
    return plt.addr + header + UInt64(lazy) * 16 + UInt64(sym.pltIndex) * 16
}

/// Whether a local target section is alive, and the output address of `offset` in it.
@inline(__always) func localTarget(_ ts: Unmanaged<InputSection>, _ offset: UInt64, _ outputAddresses: UnsafePointer<UInt64>) -> (alive: Bool, address: UInt64) {
    ts._withUnsafeGuaranteedRef { sec in
        sec.alive ? (true, finalSectionAddress(outputAddresses, sec, offset)) : (false, 0)
    }
}

/// `sectionAddress` once layout is final, from the context's plain table of output addresses
/// (no shared OutputSection retained per call: the relocation loop calls it per reference
/// into a string section).
@inline(__always) func finalSectionAddress(_ outputAddresses: UnsafePointer<UInt64>, _ sec: InputSection, _ offset: UInt64) -> UInt64 {
    if sec.outputIndex < 0 { return 0 }
    return address(of: offset, in: sec, placedAt: outputAddresses[Int(sec.outputIndex)])
}

/// Output address of byte `offset` of input section `sec` (following merge/.eh_frame pieces).
@inline(__always) func sectionAddress(_ ctx: Context, _ sec: InputSection, _ offset: UInt64) -> UInt64 {
    if sec.outputIndex < 0 { return 0 }
    return address(of: offset, in: sec, placedAt: ctx.outputSections[Int(sec.outputIndex)].addr)
}

/// Byte `offset` of `sec`, whose output section is at `base`: through its piece if split, to
/// the section's start if that piece was dropped.
@inline(__always) func address(of offset: UInt64, in sec: InputSection, placedAt base: UInt64) -> UInt64 {
    if let p = sec.pieces {
        guard let k = p.pieceIndex(containing: offset), p.outOffsets[k] != .max,
              offset < p.pieceEnd(k) else { return base &+ sec.outOffset }
        return base &+ p.outOffsets[k] &+ (offset &- UInt64(p.inOffsets[k]))
    }
    return base &+ sec.outOffset &+ offset
}
