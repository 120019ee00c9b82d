import WeldCore
#if canImport(Glibc)
import Glibc
#endif

/// Copies every live atom into the mapped output and applies its relocations, in parallel over
/// atoms (each writes only its own bytes), then fills the synthesized tables. Pointer slots get
/// their plain target address here; the chained-fixup encoder rewrites them afterwards.
func writeSections(_ ctx: LinkContext, _ out: UnsafeMutableRawPointer) {
    var work: [(section: Int32, atom: Int32)] = []
    for (si, s) in ctx.layout.sections.enumerated() where s.kind == .atoms && !s.isZerofill {
        for a in s.atoms { work.append((Int32(si), a)) }
    }
    Parallel.forEach(work.count, minChunk: 32) { i in
        let (si, a) = work[i]
        writeAtom(ctx, out, ctx.layout.sections[Int(si)], a)
    }
    for s in ctx.layout.sections where s.kind == .initOffsets { writeInitOffsets(ctx, out, s) }
    if ctx.initAtom >= 0 && !ctx.options.useInitOffsets {
        let atom = ctx.atoms[Int(ctx.initAtom)]
        let sec = ctx.layout.sections[Int(atom.outSection)]
        out.put64(Int(sec.fileOffset + atom.outOffset), ctx.symtab.symbols[Int(ctx.initSymbol)].address)   // rebased
    }
    writeThunks(ctx, out)
    for (s, file) in ctx.createdSections where file.size > 0 {
        (out + Int(s.fileOffset)).copyMemory(from: file.base, byteCount: file.size)
    }
    let L = ctx.layout
    if let stubs = L.stubs {
        for (i, id) in ctx.stubSymbols.enumerated() {
            let p = stubs.addr + UInt64(i * 12)
            let s = ctx.symtab.symbols[Int(id)]
            // Through the lazy pointer (classic lazy binding) or the GOT slot.
            let slot = s.lazySlot >= 0 ? L.lazyPointers!.addr + UInt64(s.lazySlot) * 8 : L.got!.addr + UInt64(s.gotSlot) * 8
            ARM64.writeStub(out + Int(stubs.fileOffset) + i * 12, at: p, gotSlot: slot)
        }
    }
    if let helper = L.stubHelper, let lazy = L.lazyPointers, let got = L.got {
        writeStubHelper(ctx, out, helper, lazy, got)
    }
    if let got = L.got {
        for (i, id) in ctx.gotSymbols.enumerated() {
            let s = ctx.symtab.symbols[Int(id)]
            out.put64(Int(got.fileOffset) + i * 8, ctx.isBoundAtLoad(s) ? ctx.boundSlotValue(s, addend: 0) : s.address)
        }
    }
}

private func writeAtom(_ ctx: LinkContext, _ out: UnsafeMutableRawPointer, _ sec: OutputSection, _ a: Int32) {
    let atom = ctx.atoms[Int(a)]
    let dst = out + Int(sec.fileOffset + atom.outOffset)
    guard atom.file >= 0 else { return }   // commons are zero-fill
    let f = ctx.objects[Int(atom.file)]
    guard let src = f.contents(ofAtom: atom) else { return }
    dst.copyMemory(from: src, byteCount: Int(atom.size))
    if atom.relocCount == 0 { return }
    let place = sec.addr + atom.outOffset
    let isTLVDescriptors = sec.type == MachO.sThreadLocalVariables
    let isEHFrame = f.sections[Int(atom.section)].kind == .ehFrame && f.sections[Int(atom.section)].atomCount > 1
    let L = ctx.layout
    for r in f.relocs[Int(atom.relocStart)..<Int(atom.relocStart + atom.relocCount)] {
        let loc = dst + Int(r.offset)
        let p = place + UInt64(r.offset)
        var sym: Symbol? = nil
        var s: UInt64
        if r.targetIsSymbol {
            let id = f.symbolIDs[Int(r.target)]
            if id < 0 { continue }   // reported by the scan
            sym = ctx.symtab.symbols[Int(id)]
            s = sym!.address
        } else {
            s = ctx.address(ofAtom: f.atomBase + r.target)
        }
        let isImport = sym.map { ctx.isBoundAtLoad($0) } ?? false
        let target = s &+ UInt64(bitPattern: r.addend)
        var problem: String? = nil
        switch r.type {
        case ARM64Reloc.unsigned:
            var v = target
            if r.subtrahend >= 0 {
                let sub = ctx.symtab.symbols[Int(f.symbolIDs[Int(r.subtrahend)])]
                v = target &- sub.address
                if isEHFrame && sub.atom != a && r.targetIsSymbol {
                    // pc-relative fields of a split __eh_frame subtract the section's start
                    // symbol, with the field's input distance from it folded into the addend:
                    // recompute against where the field is now.
                    let s = f.sections[Int(atom.section)]
                    let fieldInput = Int64(bitPattern: s.addr) + Int64(atom.inputOffset) + Int64(r.offset)
                    let subInput = Int64(bitPattern: f.nlists[Int(r.subtrahend)].value)
                    v = (target &- UInt64(bitPattern: r.addend)) &- p &+ UInt64(bitPattern: r.addend + fieldInput - subInput)
                }
                if r.length == 2 {
                    let d = Int64(bitPattern: v)
                    if d < Int64(Int32.min) || d > Int64(UInt32.max) { problem = "difference \(d) does not fit in 32 bits" }
                }
            } else if isImport, let sym {
                v = ctx.boundSlotValue(sym, addend: r.addend)
            } else if isTLVDescriptors && ctx.isInTLVTemplate(target) {
                v = target &- L.tlvTemplateStart   // a TLV descriptor's offset into the template
            } else if r.length == 2 && target > UInt64(UInt32.max) {
                problem = "32-bit absolute address 0x\(String(target, radix: 16)) does not fit (arm64 images load above 4 GiB)"
            }
            if r.length == 3 { loc.put64(0, v) } else if r.length == 2 { loc.put32(0, UInt32(truncatingIfNeeded: v)) }
            else { problem = "unsupported ARM64_RELOC_UNSIGNED width \(1 << r.length)" }
        case ARM64Reloc.branch26:
            var t = target
            if let sym, sym.stubSlot >= 0, let stubs = L.stubs { t = stubs.addr + UInt64(sym.stubSlot) * 12 }
            let d = Int64(bitPattern: t &- p)
            if ctx.thunks != nil && (d < -branchReach || d >= branchReach), let (key, _) = branchDestination(ctx, f, r),
               let thunk = thunkAddress(ctx, site: p, target: key) {
                t = thunk
            }
            problem = ARM64.patchBranch26(loc, from: p, to: t)
        case ARM64Reloc.page21:
            problem = ARM64.patchPage21(loc, from: p, to: target)
        case ARM64Reloc.pageoff12:
            problem = ARM64.patchPageoff12(loc, to: target)
        case ARM64Reloc.gotLoadPage21 where !isImport:
            problem = ARM64.patchPage21(loc, from: p, to: target)
        case ARM64Reloc.gotLoadPageoff12 where !isImport:
            problem = ARM64.relaxLoadToAdd(loc, to: target, what: "ARM64_RELOC_GOT_LOAD_PAGEOFF12")
        case ARM64Reloc.gotLoadPage21, ARM64Reloc.gotLoadPageoff12, ARM64Reloc.pointerToGOT:
            guard let sym, sym.gotSlot >= 0, let got = L.got else { problem = "no GOT slot"; break }
            let slot = got.addr + UInt64(sym.gotSlot) * 8
            if r.type == ARM64Reloc.gotLoadPage21 { problem = ARM64.patchPage21(loc, from: p, to: slot) }
            else if r.type == ARM64Reloc.gotLoadPageoff12 { problem = ARM64.patchPageoff12(loc, to: slot) }
            else if r.pcrel && r.length == 2 {
                let d = Int64(bitPattern: slot &- p)
                if d < Int64(Int32.min) || d > Int64(Int32.max) { problem = "GOT slot out of 32-bit range" }
                loc.put32(0, UInt32(truncatingIfNeeded: d))
            } else {
                problem = "ARM64_RELOC_POINTER_TO_GOT must be a 32-bit pc-relative reference"
            }
        case ARM64Reloc.tlvpLoadPage21, ARM64Reloc.tlvpLoadPageoff12:
            if let sym, sym.tlvSlot >= 0, let ptrs = L.tlvPointers {
                let slot = ptrs.addr + UInt64(sym.tlvSlot) * 8
                problem = r.type == ARM64Reloc.tlvpLoadPage21 ? ARM64.patchPage21(loc, from: p, to: slot) : ARM64.patchPageoff12(loc, to: slot)
            } else {
                problem = r.type == ARM64Reloc.tlvpLoadPage21 ? ARM64.patchPage21(loc, from: p, to: target) : ARM64.relaxLoadToAdd(loc, to: target, what: "ARM64_RELOC_TLVP_LOAD_PAGEOFF12")
            }
        default:
            problem = "unsupported relocation \(ARM64Reloc.name(r.type))"
        }
        if let problem {
            let name = r.targetIsSymbol ? " against \(f.symbolNameString(Int(r.target)))" : ""
            ctx.diag.error("\(ctx.location(atom: a, offset: r.offset)): \(ARM64Reloc.name(r.type))\(name): \(problem)")
        }
    }
    // An FDE's second word is the distance back to its CIE, which moved with the atoms.
    if let cie = f.cieOfFDE[a - f.atomBase] {
        let cieAddress = ctx.address(ofAtom: f.atomBase + cie)
        if ctx.atoms[Int(f.atomBase + cie)].outSection == atom.outSection && cieAddress < place + 4 {
            dst.put32(4, UInt32(truncatingIfNeeded: place + 4 - cieAddress))
        } else {
            ctx.diag.error("\(ctx.location(atom: a, offset: 4)): FDE's CIE is not in the output before it")
        }
    }
    // Optimization hints, on the relocated code.
    if !f.hints.isEmpty && !ctx.options.noLOH {
        let local = a - f.atomBase
        var lo = 0, hi = f.hints.count
        while lo < hi { let mid = (lo + hi) / 2; if f.hints[mid].atom < local { lo = mid + 1 } else { hi = mid } }
        while lo < f.hints.count && f.hints[lo].atom == local {
            ARM64.applyHint(f.hints[lo], code: dst, place: place)
            lo += 1
        }
    }
}

/// __init_offsets: each 8-byte initializer pointer of the inputs becomes the 32-bit offset of
/// the function from the image base.
private func writeInitOffsets(_ ctx: LinkContext, _ out: UnsafeMutableRawPointer, _ sec: OutputSection) {
    for a in sec.atoms {
        let atom = ctx.atoms[Int(a)]
        let dst = out + Int(sec.fileOffset + atom.outOffset)
        if a == ctx.initAtom {
            dst.put32(0, UInt32(truncatingIfNeeded: ctx.symtab.symbols[Int(ctx.initSymbol)].address &- ctx.layout.imageBase))
            continue
        }
        let f = ctx.objects[Int(atom.file)]
        for r in f.relocs[Int(atom.relocStart)..<Int(atom.relocStart + atom.relocCount)] {
            guard r.type == ARM64Reloc.unsigned && r.length == 3 && r.subtrahend < 0 && r.offset % 8 == 0 else {
                ctx.diag.error("\(ctx.location(atom: a, offset: r.offset)): initializer entry must be a plain 64-bit pointer (\(ARM64Reloc.name(r.type)))")
                continue
            }
            var target: UInt64
            if r.targetIsSymbol {
                let s = ctx.symtab.symbols[Int(f.symbolIDs[Int(r.target)])]
                if ctx.isBoundAtLoad(s) {
                    ctx.diag.error("\(ctx.location(atom: a, offset: r.offset)): initializer \(s.name.string) is not defined in the image")
                    continue
                }
                target = s.address
            } else {
                target = ctx.address(ofAtom: f.atomBase + r.target)
            }
            target = target &+ UInt64(bitPattern: r.addend) &- ctx.layout.imageBase
            guard target <= UInt64(UInt32.max) else {
                ctx.diag.error("\(ctx.location(atom: a, offset: r.offset)): initializer is more than 4 GiB from the image base")
                continue
            }
            dst.put32(Int(r.offset / 2), UInt32(target))
        }
    }
}

let stubHelperHeaderSize = 24
let stubHelperEntrySize = 12

/// Classic lazy binding. __la_symbol_ptr slot i starts out pointing at helper entry i, which
/// loads the symbol's lazy-bind record offset into w16 and jumps to the header; the header
/// pushes x16 and &__dyld_private and tail-calls dyld_stub_binder (through its GOT slot),
/// which binds the slot and jumps to the function.
private func writeStubHelper(_ ctx: LinkContext, _ out: UnsafeMutableRawPointer, _ helper: OutputSection,
                             _ lazy: OutputSection, _ got: OutputSection) {
    let h = out + Int(helper.fileOffset)
    let privateAddress = ctx.address(ofAtom: ctx.dyldPrivateAtom)
    let binderSlot = got.addr + UInt64(ctx.symtab.symbols[Int(ctx.stubBinderSymbol)].gotSlot) * 8
    h.put32(0, 0x9000_0011)                       // adrp x17, __dyld_private@PAGE
    h.put32(4, 0x9100_0231)                       // add  x17, x17, __dyld_private@PAGEOFF
    h.put32(8, 0xa9bf_47f0)                       // stp  x16, x17, [sp, #-16]!
    h.put32(12, 0x9000_0010)                      // adrp x16, binder slot@PAGE
    h.put32(16, 0xf940_0210)                      // ldr  x16, [x16, binder slot@PAGEOFF]
    h.put32(20, 0xd61f_0200)                      // br   x16
    _ = ARM64.patchPage21(h, from: helper.addr, to: privateAddress)
    _ = ARM64.patchPageoff12(h + 4, to: privateAddress)
    _ = ARM64.patchPage21(h + 12, from: helper.addr + 12, to: binderSlot)
    _ = ARM64.patchPageoff12(h + 16, to: binderSlot)
    for i in ctx.lazySymbols.indices {
        let o = stubHelperHeaderSize + i * stubHelperEntrySize
        let p = helper.addr + UInt64(o)
        h.put32(o, 0x1800_0050)                   // ldr w16, #8 (the record offset below)
        h.put32(o + 4, 0x1400_0000)               // b   header
        _ = ARM64.patchBranch26(h + o + 4, from: p + 4, to: helper.addr)
        h.put32(o + 8, ctx.lazyBindOffsets[i])
        // The slot's first target (rebased): the helper entry, or an exported weak
        // definition's own address (weak-bound, never lazily bound).
        let s = ctx.symtab.symbols[Int(ctx.lazySymbols[i])]
        out.put64(Int(lazy.fileOffset) + i * 8, s.kind == .defined ? s.address : p)
    }
}
