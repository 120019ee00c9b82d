#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// The debug map: stab entries that tell dsymutil and lldb which object file holds the DWARF
/// for which function and variable (ld64 and lld write the same shape). Per object with
/// __DWARF,__debug_info: N_SO (source path), N_OSO (object path and time), then N_FUN pairs
/// (address, size) for functions, N_STSYM / N_GSYM for data, and a closing N_SO.
enum Stab {
    static let gsym: UInt8 = 0x20
    static let fun: UInt8 = 0x24
    static let stsym: UInt8 = 0x26
    static let so: UInt8 = 0x64
    static let oso: UInt8 = 0x66
}

struct StabEntry {
    var name: String
    var type: UInt8
    var sect: UInt8
    var desc: UInt16
    var value: UInt64
}

func buildDebugMap(_ ctx: LinkContext) -> [StabEntry] {
    var out: [StabEntry] = []
    let zeroTimes = ctx.options.reproducible || getenv("ZERO_AR_DATE") != nil
    for f in ctx.objects {
        guard let (name, dir) = compileUnitName(f) else { continue }
        var entries: [StabEntry] = []
        for k in f.nlists.indices {
            let id = f.symbolIDs[k]
            guard id >= 0 else { continue }
            let s = ctx.symtab.symbols[Int(id)]
            guard s.kind == .defined, s.file == f.index, s.atom >= 0 else { continue }
            let atom = ctx.atoms[Int(s.atom)]
            guard atom.outSection >= 0, atom.file == f.index, !s.name.hasPrefix(UInt8(ascii: "l")), !s.name.hasPrefix(UInt8(ascii: "L")) else { continue }
            let sect = ctx.layout.sections[Int(atom.outSection)].ordinal
            if s.isFunction {
                // Size: up to the next symbol in the same atom, or the atom's end.
                var end = UInt64(atom.size)
                for j in f.nlists.indices where f.symbolAtom[j] == s.atom - f.atomBase && UInt64(f.symbolOffset[j]) > s.value {
                    end = min(end, UInt64(f.symbolOffset[j]))
                }
                entries.append(StabEntry(name: s.name.string, type: Stab.fun, sect: sect, desc: 0, value: s.address))
                entries.append(StabEntry(name: "", type: Stab.fun, sect: 0, desc: 0, value: end - s.value))
            } else {
                entries.append(StabEntry(name: s.name.string, type: s.external ? Stab.gsym : Stab.stsym, sect: sect, desc: 0, value: s.address))
            }
        }
        if entries.isEmpty { continue }
        let source = name.hasPrefix("/") || dir.isEmpty ? name : dir + "/" + name
        out.append(StabEntry(name: source, type: Stab.so, sect: 0, desc: 0, value: 0))
        out.append(StabEntry(name: absolutePath(f.name), type: Stab.oso, sect: 0, desc: 1, value: zeroTimes ? 0 : f.modificationTime))
        out += entries
        out.append(StabEntry(name: "", type: Stab.so, sect: 1, desc: 0, value: 0))
    }
    return out
}

func absolutePath(_ p: String) -> String {
    if p.hasPrefix("/") { return p }
    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard getcwd(&buf, buf.count) != nil else { return p }
    let cwd = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return cwd + "/" + p
}

/// DW_AT_name and DW_AT_comp_dir of the object's first compile unit (DWARF 2–5), or nil when
/// the object has no debug info or it cannot be read (then it gets no debug map entries).
func compileUnitName(_ f: ObjectFile) -> (String, String)? {
    func section(_ name: String) -> UnsafeRawBufferPointer? {
        guard let s = f.sections.first(where: { $0.segname == "__DWARF" && $0.sectname == name }), !s.isZerofill else { return nil }
        return UnsafeRawBufferPointer(start: f.base + Int(s.offset), count: Int(s.size))
    }
    guard let info = section("__debug_info"), let abbrev = section("__debug_abbrev"), info.count >= 11 else { return nil }
    let strs = section("__debug_str"), lineStrs = section("__debug_line_str"), strOffsets = section("__debug_str_offs")
    var r = DwarfReader(info)
    let length = Int(r.u32())
    guard length < 0xffff_fff0, length + 4 <= info.count else { return nil }
    let version = r.u16()
    var abbrevOffset = 0
    if version >= 5 {
        let unitType = r.u8(); _ = r.u8()   // unit type, address size
        guard unitType == 1 else { return nil }   // DW_UT_compile
        abbrevOffset = Int(r.u32())
    } else if version >= 2 {
        abbrevOffset = Int(r.u32()); _ = r.u8()
    } else { return nil }
    let code = r.uleb()
    // Find the abbreviation.
    var a = DwarfReader(abbrev)
    a.pos = abbrevOffset
    var specs: [(UInt64, UInt64, Int64)] = []
    while !a.failed && a.pos < abbrev.count {
        let c = a.uleb()
        if c == 0 { return nil }
        _ = a.uleb(); _ = a.u8()   // tag, has-children
        var list: [(UInt64, UInt64, Int64)] = []
        while !a.failed {
            let at = a.uleb(), form = a.uleb()
            var implicit: Int64 = 0
            if form == 0x21 { implicit = a.sleb() }   // DW_FORM_implicit_const
            if at == 0 && form == 0 { break }
            list.append((at, form, implicit))
        }
        if c == code { specs = list; break }
    }
    guard !specs.isEmpty else { return nil }
    var name: String? = nil, dir = ""
    var strOffsetsBase = 8
    func cString(_ buf: UnsafeRawBufferPointer?, _ off: Int) -> String? {
        guard let buf, off >= 0, off < buf.count else { return nil }
        var n = 0
        while off + n < buf.count && buf[off + n] != 0 { n += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buf[off..<off + n]), as: UTF8.self)
    }
    var strxIndices: [(UInt64, UInt64)] = []   // (attribute, index) resolved after str_offsets_base
    for (at, form, _) in specs {
        var value: String? = nil
        switch form {
        case 0x08: // string
            let start = r.pos
            while !r.failed && r.u8() != 0 {}
            value = r.failed ? nil : String(decoding: UnsafeRawBufferPointer(rebasing: info[start..<r.pos - 1]), as: UTF8.self)
        case 0x0e: value = cString(strs, Int(r.u32()))            // strp
        case 0x1f: value = cString(lineStrs, Int(r.u32()))        // line_strp
        case 0x1a: strxIndices.append((at, r.uleb()))             // strx
        case 0x25: strxIndices.append((at, UInt64(r.u8())))       // strx1
        case 0x26: strxIndices.append((at, UInt64(r.u16())))      // strx2
        case 0x27: strxIndices.append((at, UInt64(r.u16()) | UInt64(r.u8()) << 16))   // strx3
        case 0x28: strxIndices.append((at, UInt64(r.u32())))      // strx4
        default:
            if at == 0x72 && form == 0x17 { strOffsetsBase = Int(r.u32()); continue }   // DW_AT_str_offsets_base
            if !r.skip(form: form) { return nil }
        }
        if at == 0x03 { name = value ?? name }
        if at == 0x1b { dir = value ?? dir }
    }
    for (at, index) in strxIndices {
        guard let offs = strOffsets, index < UInt64(offs.count), strOffsetsBase + Int(index) * 4 + 4 <= offs.count else { continue }
        let o = Int(offs.baseAddress!.u32(strOffsetsBase + Int(index) * 4))
        let value = cString(strs, o)
        if at == 0x03 { name = value ?? name }
        if at == 0x1b { dir = value ?? dir }
    }
    guard !r.failed, let name else { return nil }
    return (name, dir)
}

/// A bounds-checked cursor over a DWARF section: reading past the end sets `failed` and
/// yields zeros (a broken section means no debug map entry, never a trap).
struct DwarfReader {
    let buf: UnsafeRawBufferPointer
    var pos = 0
    var failed = false
    init(_ buf: UnsafeRawBufferPointer) { self.buf = buf }

    mutating func need(_ n: Int) -> Bool {
        if failed || pos + n > buf.count { failed = true; return false }
        return true
    }
    mutating func u8() -> UInt8 { guard need(1) else { return 0 }; defer { pos += 1 }; return buf[pos] }
    mutating func u16() -> UInt16 { guard need(2) else { return 0 }; defer { pos += 2 }; return buf.baseAddress!.u16(pos) }
    mutating func u32() -> UInt32 { guard need(4) else { return 0 }; defer { pos += 4 }; return buf.baseAddress!.u32(pos) }
    mutating func uleb() -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            let b = u8()
            if failed { return 0 }
            if shift < 64 { v |= UInt64(b & 0x7f) << shift }
            shift += 7
            if b & 0x80 == 0 { return v }
        }
    }
    mutating func sleb() -> Int64 {
        var v: Int64 = 0, shift: Int64 = 0, b: UInt8 = 0
        repeat {
            b = u8()
            if failed { return 0 }
            if shift < 64 { v |= Int64(b & 0x7f) << shift }
            shift += 7
        } while b & 0x80 != 0
        if shift < 64 && b & 0x40 != 0 { v |= -(1 << shift) }
        return v
    }
    /// Skips one attribute value of `form` (the forms a compile unit DIE uses).
    mutating func skip(form: UInt64) -> Bool {
        switch form {
        case 0x0b, 0x0c, 0x11, 0x25, 0x29: pos += 1            // data1, flag, ref1, strx1, addrx1
        case 0x05, 0x12, 0x26, 0x2a: pos += 2                  // data2, ref2, strx2, addrx2
        case 0x27, 0x2b: pos += 3                              // strx3, addrx3
        case 0x06, 0x13, 0x17, 0x0e, 0x1f, 0x28, 0x2c, 0x10, 0x1d: pos += 4   // data4, ref4, sec_offset, strp, line_strp, strx4, addrx4, ref_addr, strp_sup
        case 0x07, 0x14, 0x20, 0x01: pos += 8                  // data8, ref8, ref_sig8, addr
        case 0x1e: pos += 16                                   // data16
        case 0x0d: _ = sleb()                                  // sdata
        case 0x0f, 0x15, 0x1a, 0x1b, 0x23, 0x22: _ = uleb()     // udata, ref_udata, strx, addrx, rnglistx, loclistx
        case 0x19, 0x21: break                                 // flag_present, implicit_const
        case 0x08: while !failed && u8() != 0 {}               // string
        case 0x0a: pos += Int(u8())                            // block1
        case 0x03: pos += Int(u16())                           // block2
        case 0x04: pos += Int(u32())                           // block4
        case 0x09, 0x18:                                       // block, exprloc
            let n = uleb()
            guard n <= UInt64(buf.count) else { failed = true; return false }
            pos += Int(n)
        default: return false
        }
        if pos > buf.count { failed = true }
        return !failed
    }
}
