#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// Writes one synthetic section's contents into the output.
func writeSynthetic(_ ctx: Context, _ os: OutputSection, _ buf: UnsafeMutableRawPointer) {
    guard case .synthetic(let kind) = os.content else { return }
    let p = buf + Int(os.offset)
    let s = ctx.synth
    let syms = ctx.symbols
    switch kind {
    case .interp:
        var path = s.interpPath
        path.withUTF8 { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        p.w8(Int(os.size) - 1, 0)
    case .buildID:
        p.w32(0, 4); p.w32(4, UInt32(ctx.options.buildID.digestSize)); p.w32(8, 3)
        p.w32(12, 0x0055_4e47) // "GNU\0"
    case .gnuProperty:
        p.w32(0, 4); p.w32(4, 16); p.w32(8, 5); p.w32(12, 0x0055_4e47)
        p.w32(16, 0xc000_0002); p.w32(20, 4); p.w32(24, ctx.x86Features ?? 0); p.w32(28, 0)
    case .dynsym:
        for (k, id) in s.dynsyms.enumerated() {
            let e = p + (k + 1) * 24
            let sym = syms[id]
            e.w32(0, s.dynstr.lookup(ctx.dynamicNames[id] ?? sym.name))
            let weakImport = sym.isUndefined && !sym.referencedStrongly
            let bind = sym.binding == STB.weak || weakImport ? STB.weak : sym.binding == STB.gnuUnique && sym.isDefinedInObject ? STB.gnuUnique : STB.global
            var type = sym.type
            if sym.kind == .shared || sym.isUndefined {
                let defined = sym.flags & (SymbolFlag.needsCopy | SymbolFlag.isCopyAlias) != 0
                let canonical = sym.flags & SymbolFlag.needsCanonicalPlt != 0 && !defined
                if type == STT.gnuIfunc { type = STT.func }
                e.w8(4, bind << 4 | type); e.w8(5, 0)
                e.w16(6, defined ? UInt16(s.bss?.headerIndex ?? 0) : SHN.undef)
                e.w64(8, defined || canonical ? sym.value : 0)
                e.w64(16, defined ? sym.size : 0)
            } else {
                e.w8(4, bind << 4 | (type == STT.gnuIfunc && sym.pltIndex >= 0 ? STT.func : type)); e.w8(5, sym.visibility)
                let shndx: UInt16
                if sym.isAbsolute { shndx = SHN.abs }
                else if sym.kind == .common { shndx = UInt16(s.bss?.headerIndex ?? 0) }
                else if let sec = sym.section, sec.outputIndex >= 0 { shndx = UInt16(ctx.outputSections[Int(sec.outputIndex)].headerIndex) }
                else { shndx = SHN.abs }
                e.w16(6, shndx)
                e.w64(8, sym.type == STT.tls ? sym.value &- ctx.tlsStart : sym.value); e.w64(16, sym.size)
            }
        }
    case .dynstr:
        s.dynstr.bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    case .versym:
        p.w16(0, 0)
        for (k, id) in s.dynsyms.enumerated() {
            let sym = syms[id]
            p.w16((k + 1) * 2, sym.kind == .shared || sym.isDefinedInObject ? sym.versionIndex : 1)
        }
    case .verdef:
        // Verdef (20 bytes) + one Verdaux (8) for the name + one per parent.
        var off = 0
        for i in 0..<s.verdefNames.count {
            let parents = s.verdefParents[i]
            let size = 20 + 8 + 8 * parents.count
            let e = p + off
            e.w16(0, 1); e.w16(2, i == 0 ? 1 : 0) /* VER_FLG_BASE */; e.w16(4, UInt16(i + 1)); e.w16(6, UInt16(1 + parents.count))
            e.w32(8, s.verdefHashes[i]); e.w32(12, 20)
            e.w32(16, i == s.verdefNames.count - 1 ? 0 : UInt32(size))
            e.w32(20, s.verdefNames[i]); e.w32(24, parents.isEmpty ? 0 : 8)
            for (j, par) in parents.enumerated() {
                e.w32(28 + j * 8, par); e.w32(32 + j * 8, j == parents.count - 1 ? 0 : 8)
            }
            off += size
        }
    case .verneed:
        var off = 0
        for (i, f) in s.verneed.enumerated() {
            let e = p + off
            e.w16(0, 1); e.w16(2, UInt16(f.versions.count)); e.w32(4, f.file); e.w32(8, 16)
            e.w32(12, i == s.verneed.count - 1 ? 0 : UInt32(16 + 16 * f.versions.count))
            for (j, v) in f.versions.enumerated() {
                let a = e + 16 + j * 16
                a.w32(0, v.hash); a.w16(4, 0); a.w16(6, v.index); a.w32(8, v.name)
                a.w32(12, j == f.versions.count - 1 ? 0 : 16)
            }
            off += 16 + 16 * f.versions.count
        }
    case .gnuHash:
        writeGnuHash(ctx, p)
    case .sysvHash:
        let n = s.dynsyms.count + 1
        p.w32(0, UInt32(n)); p.w32(4, UInt32(n))
        let buckets = p + 8, chains = p + 8 + 4 * n
        for i in 0..<n { buckets.w32(i * 4, 0); chains.w32(i * 4, 0) }
        for (k, id) in s.dynsyms.enumerated() {
            let idx = k + 1
            let b = Int(elfHash(ctx.dynamicName(id)) % UInt32(n))
            chains.w32(idx * 4, buckets.r32(b * 4))
            buckets.w32(b * 4, UInt32(idx))
        }
    case .relaDyn:
        var i = 0
        let gotAddr = s.gotSection?.addr ?? 0
        for (k, e) in s.got.enumerated() {
            guard let (type, withSymbol) = gotDynamicReloc(ctx, e), !isPackedGotSlot(ctx, e) else { continue }
            let off = gotAddr + UInt64(k) * 8
            var id: Int32 = -1
            switch e {
            case .address(let x), .tpOffset(let x), .tlsModule(let x), .tlsOffset(let x), .tlsDesc(let x), .ifunc(let x): id = x
            case .tlsDescHigh: break
            }
            if withSymbol {
                writeRela(p, i, offset: off, type: type, sym: UInt32(syms[id].dynsymIndex), addend: 0)
            } else {
                // Local targets: an address (RELATIVE) or an offset in this module's TLS block.
                var addend: UInt64 = 0
                if id >= 0 { addend = type == R_X86_64.relative ? syms[id].value : syms[id].value &- ctx.tlsStart }
                if type == R_X86_64.dtpmod64 { addend = 0 }
                writeRela(p, i, offset: off, type: type, sym: 0, addend: Int64(bitPattern: addend))
            }
            i += 1
        }
        for id in s.copySymbols {
            writeRela(p, i, offset: syms[id].value, type: R_X86_64.copy, sym: UInt32(syms[id].dynsymIndex), addend: 0)
            i += 1
        }
    case .relrDyn:
        for (k, w) in s.relrWords.enumerated() { p.w64(k * 8, w) }
    case .relaPlt:
        var i = 0
        if let gp = s.gotPlt, !ctx.isStatic {
            for (k, id) in s.pltSymbols.enumerated() {
                writeRela(p, i, offset: gp.addr + 24 + UInt64(k) * 8, type: R_X86_64.jumpSlot, sym: UInt32(syms[id].dynsymIndex), addend: 0)
                i += 1
            }
        }
        let gotAddr = s.gotSection?.addr ?? 0
        for (k, id) in s.ipltSymbols.enumerated() {
            writeRela(p, i, offset: gotAddr + UInt64(s.ipltGotIndex[k]) * 8, type: R_X86_64.irelative, sym: 0, addend: Int64(bitPattern: resolverAddress(ctx, id)))
            i += 1
        }
    case .plt:
        writePLT(ctx, os, p)
    case .got:
        for (k, e) in s.got.enumerated() {
            var v: UInt64 = 0
            switch e {
            case .address(let id):
                let sym = syms[id]
                if gotDynamicReloc(ctx, e)?.withSymbol != true { v = sym.isUndefined ? 0 : sym.value }
            case .tpOffset(let id):
                v = gotDynamicReloc(ctx, e) != nil ? 0 : syms[id].value &- ctx.tlsEnd
            case .ifunc(let id):
                v = resolverAddress(ctx, id)
            case .tlsModule:
                v = ctx.isShared ? 0 : 1   // an executable is module 1
            case .tlsOffset(let id):
                v = (id < 0 || gotDynamicReloc(ctx, e) != nil) ? 0 : syms[id].value &- ctx.tlsStart
            case .tlsDesc, .tlsDescHigh:
                v = 0
            }
            p.w64(k * 8, v)
        }
    case .gotPlt:
        p.w64(0, s.dynamic?.addr ?? 0); p.w64(8, 0); p.w64(16, 0)
        if let plt = s.plt {
            for k in 0..<s.pltSymbols.count { p.w64(24 + k * 8, plt.addr + 16 + UInt64(k) * 16 + 6) }
        }
    case .dynamic:
        for (k, (tag, value)) in s.dynamicEntries.enumerated() {
            p.storeBytes(of: tag, toByteOffset: k * 16, as: Int64.self)
            p.w64(k * 16 + 8, dynamicValue(ctx, tag, value))
        }
    case .ehFrameHdr, .bss, .tbss:
        break
    case .symtab:
        break // written by its own task (see writeOutput)
    case .strtab:
        break
    case .shstrtab:
        ctx.shstrtab.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }
}

func dynamicValue(_ ctx: Context, _ tag: Int64, _ value: UInt64) -> UInt64 {
    let s = ctx.synth
    func sec(_ name: String) -> OutputSection? { ctx.allocSection(name) }
    switch tag {
    case DT.`init`: return ctx.symbols.find("_init").map { ctx.symbols[$0].value } ?? 0
    case DT.fini: return ctx.symbols.find("_fini").map { ctx.symbols[$0].value } ?? 0
    case DT.initArray: return sec(".init_array")?.addr ?? 0
    case DT.initArraysz: return sec(".init_array")?.size ?? 0
    case DT.finiArray: return sec(".fini_array")?.addr ?? 0
    case DT.finiArraysz: return sec(".fini_array")?.size ?? 0
    case DT.preinitArray: return sec(".preinit_array")?.addr ?? 0
    case DT.preinitArraysz: return sec(".preinit_array")?.size ?? 0
    case DT.gnuHash: return sec(".gnu.hash")?.addr ?? 0
    case DT.hash: return sec(".hash")?.addr ?? 0
    case DT.strtab: return s.dynstrSection?.addr ?? 0
    case DT.symtab: return s.dynsymSection?.addr ?? 0
    case DT.rela: return s.relaDyn?.addr ?? 0
    case DT.relasz: return s.relaDyn?.size ?? 0
    case DT.relr: return s.relrDyn?.addr ?? 0
    case DT.relrsz: return s.relrDyn?.size ?? 0
    case DT.pltgot: return s.gotPlt?.addr ?? 0
    case DT.pltrelsz: return s.relaPlt?.size ?? 0
    case DT.jmprel: return s.relaPlt?.addr ?? 0
    case DT.verneed: return sec(".gnu.version_r")?.addr ?? 0
    case DT.versym: return sec(".gnu.version")?.addr ?? 0
    case DT.verdef: return sec(".gnu.version_d")?.addr ?? 0
    default: return value
    }
}

/// PLT0, one lazy-binding entry per imported function, then one stub per local IFUNC.
func writePLT(_ ctx: Context, _ os: OutputSection, _ p: UnsafeMutableRawPointer) {
    let s = ctx.synth
    var off = 0
    if !s.pltSymbols.isEmpty, let gp = s.gotPlt {
        // pushq GOT+8(%rip); jmpq *GOT+16(%rip); nopl 0(%rax)
        writeBytes(p, [0xff, 0x35, 0, 0, 0, 0, 0xff, 0x25, 0, 0, 0, 0, 0x0f, 0x1f, 0x40, 0x00])
        p.w32(2, UInt32(truncatingIfNeeded: gp.addr + 8 &- (os.addr + 6)))
        p.w32(8, UInt32(truncatingIfNeeded: gp.addr + 16 &- (os.addr + 12)))
        off = 16
        for k in 0..<s.pltSymbols.count {
            let e = p + off
            let addr = os.addr + UInt64(off)
            // jmpq *slot(%rip); pushq $k; jmpq PLT0
            writeBytes(e, [0xff, 0x25, 0, 0, 0, 0, 0x68, 0, 0, 0, 0, 0xe9, 0, 0, 0, 0])
            e.w32(2, UInt32(truncatingIfNeeded: gp.addr + 24 + UInt64(k) * 8 &- (addr + 6)))
            e.w32(7, UInt32(k))
            e.w32(12, UInt32(truncatingIfNeeded: os.addr &- (addr + 16)))
            off += 16
        }
    }
    let gotAddr = s.gotSection?.addr ?? 0
    for k in 0..<s.ipltSymbols.count {
        let e = p + off
        let addr = os.addr + UInt64(off)
        // jmpq *slot(%rip), padded with int3
        writeBytes(e, [0xff, 0x25, 0, 0, 0, 0, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc])
        e.w32(2, UInt32(truncatingIfNeeded: gotAddr + UInt64(s.ipltGotIndex[k]) * 8 &- (addr + 6)))
        off += 16
    }
}

/// .gnu.hash: header, Bloom filter, buckets, and hash chains over the exported symbols.
func writeGnuHash(_ ctx: Context, _ p: UnsafeMutableRawPointer) {
    let s = ctx.synth
    let nb = s.gnuHashBuckets, bloomWords = s.gnuHashBloomWords
    let first = s.firstExportedDynsym
    let exported = Array(s.dynsyms.suffix(s.dynsyms.count - (first - 1)))
    p.w32(0, UInt32(nb)); p.w32(4, UInt32(first)); p.w32(8, UInt32(bloomWords)); p.w32(12, s.gnuHashShift)
    let bloom = p + 16
    let buckets = bloom + bloomWords * 8
    let chains = buckets + nb * 4
    for i in 0..<bloomWords { bloom.w64(i * 8, 0) }
    for i in 0..<nb { buckets.w32(i * 4, 0) }
    let hashes = exported.map { gnuHash(ctx.dynamicName($0)) }
    for (k, h) in hashes.enumerated() {
        let word = Int((h / 64) % UInt32(bloomWords))
        let bits = (UInt64(1) << UInt64(h % 64)) | (UInt64(1) << UInt64((h >> s.gnuHashShift) % 64))
        bloom.w64(word * 8, bloom.r64(word * 8) | bits)
        let b = Int(h % UInt32(nb))
        if buckets.r32(b * 4) == 0 { buckets.w32(b * 4, UInt32(first + k)) }
        let last = k == hashes.count - 1 || Int(hashes[k + 1] % UInt32(nb)) != b
        chains.w32(k * 4, last ? (h | 1) : (h & ~1))
    }
}

extension StringTableBuilder {
    /// Offset of a name added earlier.
    func lookup(_ n: NameRef) -> UInt32 { lookupString(n.string) }
}
