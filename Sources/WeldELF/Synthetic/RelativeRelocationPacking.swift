import WeldCore

// Packed relative relocations (`-z pack-relative-relocs`, SHT_RELR, DT_RELR).
//
// A relative relocation only says "add the load base to the word at this address"; its addend
// already sits in the word. SHT_RELR lists those addresses compactly: an even word is an
// address (relocate it, then continue after it), an odd word is a bitmap whose bits 1...63 say
// which of the next 63 words are relocated too. A PIE's tens of thousands of 24-byte
// R_X86_64_RELATIVE entries shrink to a few bytes each.
//
// The encoding's size depends on the addresses, and the addresses of the writable sections
// depend on the size of .relr.dyn (it sits before them), so the layout is repeated until the
// size stops growing; a smaller encoding is padded with empty bitmaps (no-ops) instead of
// shrinking, which makes the loop converge.

extension Context {
    /// Whether this link packs its relative relocations.
    var packsRelativeRelocs: Bool { options.packRelativeRelocs && isPIC && !isStatic }
}

/// Whether a relative relocation at `rel` can go to .relr.dyn: the field must be a whole,
/// aligned word in the output, which the section's alignment and the offset guarantee.
/// Sections cut into pieces (merged data) move their bytes, so they keep RELA entries.
@inline(__always)
func isPackableRelative(_ sec: InputSection, _ rel: Rela) -> Bool {
    sec.pieces == nil && sec.align >= 8 && sec.align % 8 == 0 && rel.offset % 8 == 0
}

/// Whether a GOT slot's relative relocation goes to .relr.dyn instead of .rela.dyn.
@inline(__always)
func isPackedGotSlot(_ ctx: Context, _ e: GotEntryKind) -> Bool {
    guard ctx.packsRelativeRelocs, let r = gotDynamicReloc(ctx, e) else { return false }
    return r.type == R_X86_64.relative && !r.withSymbol
}

/// Splits each section's counted dynamic relocations into RELA entries and packed relative
/// ones (after the scan, when every symbol's needs, such as copy relocations, are final).
func countPackedRelativeRelocs(_ ctx: Context) {
    Parallel.forEach(ctx.objects.count) { f in
        let obj = ctx.objects[f]
        for case let sec? in obj.sections where sec.alive && sec.dynRelocCount > 0 {
            var rela: Int32 = 0, relr: Int32 = 0
            for r in 0..<sec.relocCount {
                let rel = sec.reloc(r)
                if rel.type != R_X86_64.r64 { continue }
                switch dynamicRelocKind(ctx, obj, sec, rel) {
                case .none: break
                case .relative where isPackableRelative(sec, rel): relr += 1
                default: rela += 1
                }
            }
            sec.dynRelocCount = rela
            sec.relrCount = relr
        }
    }
}

/// The addresses of every packed relative relocation, ascending. Output sections are visited
/// in address order and their members in offset order, so only a section whose relocations are
/// not sorted by offset needs sorting (its own slice).
func packedRelativeAddresses(_ ctx: Context) -> [UInt64] {
    // Each member's slice of the result, in output order.
    var slices: [(sec: InputSection, start: Int)] = []
    var gotStart = -1, gotCount = 0
    var total = 0
    let ordered = ctx.outputSections.filter { $0.isAlloc }.sorted { $0.addr < $1.addr }
    for os in ordered {
        if os === ctx.synth.gotSection {
            gotStart = total
            for e in ctx.synth.got where isPackedGotSlot(ctx, e) { gotCount += 1 }
            total += gotCount
            continue
        }
        for m in os.members where m.relrCount > 0 {
            slices.append((m, total))
            total += Int(m.relrCount)
        }
    }
    var addresses = [UInt64](repeating: 0, count: total)
    addresses.withUnsafeMutableBufferPointer { out in
        let base = out.baseAddress!
        Parallel.forEach(slices.count) { i in
            let (sec, start) = slices[i]
            let secAddr = ctx.outputSections[Int(sec.outputIndex)].addr + sec.outOffset
            var k = start
            for r in 0..<sec.relocCount {
                let rel = sec.reloc(r)
                if rel.type != R_X86_64.r64 || !isPackableRelative(sec, rel) { continue }
                if dynamicRelocKind(ctx, sec.file, sec, rel) != .relative { continue }
                base[k] = secAddr + rel.offset
                k += 1
            }
            var slice = UnsafeMutableBufferPointer(start: base + start, count: k - start)
            if !isAscending(slice) { slice.sort() }
        }
        if gotStart >= 0, let got = ctx.synth.gotSection {
            var k = gotStart
            for (i, e) in ctx.synth.got.enumerated() where isPackedGotSlot(ctx, e) {
                base[k] = got.addr + UInt64(i) * 8
                k += 1
            }
        }
    }
    return addresses
}

@inline(__always)
private func isAscending(_ a: UnsafeMutableBufferPointer<UInt64>) -> Bool {
    var i = 1
    while i < a.count { if a[i - 1] >= a[i] { return false }; i += 1 }
    return true
}

/// Encodes ascending, word-aligned addresses as SHT_RELR words.
func encodeRelr(_ addresses: [UInt64]) -> [UInt64] {
    let bitsPerBitmap: UInt64 = 63
    var words: [UInt64] = []
    words.reserveCapacity(addresses.count / 8 + 16)
    var i = 0
    let n = addresses.count
    while i < n {
        // An address entry relocates one word and starts a run after it.
        let start = addresses[i]
        words.append(start)
        i += 1
        var next = start + 8
        // Bitmaps cover the following 63-word windows while they have something to cover.
        while i < n {
            var bitmap: UInt64 = 0
            while i < n {
                let delta = addresses[i] &- next
                if delta >= bitsPerBitmap * 8 { break }
                bitmap |= 1 << (delta / 8)
                i += 1
            }
            if bitmap == 0 { break }
            words.append(bitmap << 1 | 1)
            next += bitsPerBitmap * 8
        }
    }
    return words
}

/// Sizes .relr.dyn: lays out, encodes, and lays out again while the encoding grows.
func sizePackedRelativeRelocs(_ ctx: Context, _ relr: OutputSection) {
    while true {
        var words = encodeRelr(packedRelativeAddresses(ctx))
        let needed = UInt64(words.count * 8)
        if needed > relr.size {
            relr.size = needed
            if let s = ctx.script { assignScriptAddresses(ctx, s) } else { assignAddresses(ctx) }
            continue
        }
        // An empty bitmap relocates nothing: padding that keeps the addresses already assigned.
        while UInt64(words.count * 8) < relr.size { words.append(1) }
        ctx.synth.relrWords = words
        return
    }
}

/// glibc refuses to start a program with DT_RELR unless it asks for the GLIBC_ABI_DT_RELR
/// version of libc (a loader that predates RELR would otherwise skip those relocations and
/// crash later). The need is added when the libc linked against defines that version.
func requireGlibcRelrVersion(_ ctx: Context, _ synth: inout Synthetics, perFile: inout [Int32: Int], nextIndex: inout UInt16) {
    let versionName = "GLIBC_ABI_DT_RELR"
    for so in ctx.shareds where so.isNeeded && so.soname.hasPrefix("libc.so") {
        guard let name = so.versionNames.lazy.compactMap({ $0 }).first(where: { $0.string == versionName }) else { continue }
        let fi: Int
        if let existing = perFile[so.index] { fi = existing } else {
            fi = synth.verneed.count
            perFile[so.index] = fi
            synth.verneed.append((synth.dynstr.add(so.soname), []))
        }
        let nameOff = synth.dynstr.add(versionName)
        if synth.verneed[fi].versions.contains(where: { $0.name == nameOff }) { return }
        synth.verneed[fi].versions.append((nameOff, elfHash(name), nextIndex))
        nextIndex += 1
        return
    }
}
