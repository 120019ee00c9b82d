import WeldCore

/// One FDE of an `__eh_frame` section: the DWARF unwind description of one function.
public struct EHFrameFDE: Sendable, Equatable {
    /// Offset of the FDE's length field from the section's start: what an
    /// `arm64ModeDwarf` compact encoding carries in its low 24 bits.
    public var offset: UInt32
    /// Offset of the CIE it uses.
    public var cieOffset: UInt32
    /// Address of the function it describes (pc_begin, resolved).
    public var functionAddress: UInt64
    public var functionLength: UInt64
    /// Address of the function's LSDA, when the CIE declares one ('L') and the FDE sets it.
    public var lsdaAddress: UInt64?
}

/// Reads the CIE and FDE records of an `__eh_frame` section, resolving each FDE's function
/// address (pointer encodings absolute, pc-relative, 2/4/8-byte and LEB128, signed or not).
///
/// Use it on the output's `__eh_frame` after relocation (addresses are final) to turn
/// functions whose compact encoding is `arm64ModeDwarf` into `arm64ModeDwarf | fde.offset`.
/// In an object file pc_begin and the LSDA pointer are left to relocations (SUBTRACTOR
/// pairs): pass `relocated` to resolve them from the object's relocations. Every
/// length, offset and encoding is checked; malformed input is an error naming the file and
/// section offset.
public enum EHFrameReader {
    private struct CIE {
        var fdePointerEncoding: UInt8 = 0x00   // absptr
        var lsdaEncoding: UInt8 = 0xFF         // omit
        var hasAugmentationData = false
    }

    /// Every FDE in section order.
    /// - Parameters:
    ///   - section: the section's bytes.
    ///   - sectionAddress: its address (resolves pc-relative pointers).
    ///   - path: the file, for errors.
    ///   - relocated: for an object's section, resolves a pointer field the object leaves to
    ///     a relocation: called with the field's offset in the section (pc_begin, LSDA), it
    ///     returns the target address, or nil to decode the field as stored.
    public static func fdes(_ section: UnsafeRawBufferPointer, sectionAddress: UInt64, path: String,
                            relocated: ((Int) -> UInt64?)? = nil) throws(LinkError) -> [EHFrameFDE] {
        func fail(_ message: String, _ at: Int) -> LinkError {
            LinkError("\(path): __eh_frame+0x\(String(at, radix: 16)): \(message)")
        }
        var cies: [Int: CIE] = [:]
        var out: [EHFrameFDE] = []
        var pos = 0
        while pos < section.count {
            let recordStart = pos
            var cursor = Reader(bytes: section, pos: pos)
            guard var length = cursor.u32().map(UInt64.init) else { throw fail("truncated record length", pos) }
            if length == 0 { pos = cursor.pos; continue }   // terminator (ld64 and lld skip these)
            if length == 0xFFFF_FFFF {
                guard let l = cursor.u64() else { throw fail("truncated 64-bit record length", pos) }
                length = l
            }
            let bodyStart = cursor.pos
            guard length <= UInt64(section.count - bodyStart), length >= 4 else {
                throw fail("record length 0x\(String(length, radix: 16)) runs past the section (size 0x\(String(section.count, radix: 16)))", recordStart)
            }
            let end = bodyStart + Int(length)
            let body = UnsafeRawBufferPointer(rebasing: section[0..<end])
            cursor = Reader(bytes: body, pos: bodyStart)
            let idField = cursor.pos
            let id = cursor.u32()!
            if id == 0 {
                cies[recordStart] = try parseCIE(&cursor, at: recordStart, fail)
            } else {
                let cieOffset = idField - Int(id)
                guard cieOffset >= 0 && cieOffset < recordStart else {
                    throw fail("FDE's CIE pointer 0x\(String(id, radix: 16)) does not lead to an earlier record", idField)
                }
                let cie: CIE
                if let known = cies[cieOffset] {
                    cie = known
                } else {
                    throw fail("FDE's CIE pointer leads to offset 0x\(String(cieOffset, radix: 16)), which is not a CIE", idField)
                }
                let pcField = cursor.pos
                guard var pcBegin = cursor.pointer(cie.fdePointerEncoding, fieldAddress: sectionAddress &+ UInt64(pcField)) else {
                    throw fail("bad pc_begin (encoding 0x\(String(cie.fdePointerEncoding, radix: 16)))", pcField)
                }
                if let target = relocated?(pcField) { pcBegin = target }
                // pc_range has pc_begin's size and signedness, never its pc-relative base.
                guard let range = cursor.pointer(cie.fdePointerEncoding & 0x0F, fieldAddress: 0) else {
                    throw fail("bad pc_range", cursor.pos)
                }
                var lsda: UInt64? = nil
                if cie.hasAugmentationData {
                    guard let augLength = cursor.uleb(), augLength <= UInt64(end - cursor.pos) else {
                        throw fail("bad augmentation data length", cursor.pos)
                    }
                    let augEnd = cursor.pos + Int(augLength)
                    if cie.lsdaEncoding != 0xFF {
                        // A raw value of 0 means "no LSDA", whatever the pointer's application.
                        let field = cursor.pos
                        guard let raw = cursor.pointer(cie.lsdaEncoding & 0x0F, fieldAddress: 0), cursor.pos <= augEnd else {
                            throw fail("bad LSDA pointer (encoding 0x\(String(cie.lsdaEncoding, radix: 16)))", field)
                        }
                        if let target = relocated?(field) {
                            lsda = target
                        } else if raw != 0 {
                            cursor.pos = field
                            guard let v = cursor.pointer(cie.lsdaEncoding, fieldAddress: sectionAddress &+ UInt64(field)) else {
                                throw fail("bad LSDA pointer (encoding 0x\(String(cie.lsdaEncoding, radix: 16)))", field)
                            }
                            lsda = v
                        }
                    }
                    cursor.pos = augEnd
                }
                guard recordStart <= Int(UInt32.max) else { throw fail("FDE beyond 4 GiB", recordStart) }
                out.append(EHFrameFDE(offset: UInt32(recordStart), cieOffset: UInt32(cieOffset), functionAddress: pcBegin,
                                      functionLength: range, lsdaAddress: lsda))
            }
            pos = end
        }
        return out
    }

    private static func parseCIE(_ c: inout Reader, at start: Int, _ fail: (String, Int) -> LinkError) throws(LinkError) -> CIE {
        guard let version = c.u8(), version == 1 || version == 3 || version == 4 else {
            throw fail("unsupported CIE version", c.pos)
        }
        let augStart = c.pos
        guard let aug = c.cString() else { throw fail("unterminated CIE augmentation string", augStart) }
        if version == 4 {
            guard c.u8() != nil, c.u8() != nil else { throw fail("truncated CIE", c.pos) }  // address and segment size
        }
        guard c.uleb() != nil, c.sleb() != nil else { throw fail("truncated CIE alignment factors", c.pos) }
        if version == 1 { guard c.u8() != nil else { throw fail("truncated CIE", c.pos) } } else { guard c.uleb() != nil else { throw fail("truncated CIE", c.pos) } }
        var cie = CIE()
        guard aug.first == UInt8(ascii: "z") else {
            if aug.isEmpty { return cie }
            throw fail("CIE augmentation '\(String(decoding: aug, as: UTF8.self))' without 'z' cannot be read", augStart)
        }
        cie.hasAugmentationData = true
        guard let augLength = c.uleb(), augLength <= UInt64(c.bytes.count - c.pos) else { throw fail("bad CIE augmentation length", c.pos) }
        let augEnd = c.pos + Int(augLength)
        for ch in aug.dropFirst() {
            switch ch {
            case UInt8(ascii: "R"):
                guard let e = c.u8() else { throw fail("truncated CIE augmentation", c.pos) }
                cie.fdePointerEncoding = e
            case UInt8(ascii: "L"):
                guard let e = c.u8() else { throw fail("truncated CIE augmentation", c.pos) }
                cie.lsdaEncoding = e
            case UInt8(ascii: "P"):
                guard let e = c.u8(), c.pointer(e, fieldAddress: 0) != nil else { throw fail("bad CIE personality pointer", c.pos) }
            case UInt8(ascii: "S"), UInt8(ascii: "B"), UInt8(ascii: "G"):
                break   // signal frame, arm64 pointer-authentication key, MTE tagged frame: no data
            default:
                c.pos = augEnd  // unknown: its data is the rest of the block
            }
            if c.pos > augEnd { throw fail("CIE augmentation data overruns its length", c.pos) }
        }
        c.pos = augEnd
        return cie
    }

    /// Bounds-checked little-endian reads; nil past the end.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var pos: Int

        mutating func u8() -> UInt8? {
            guard pos < bytes.count else { return nil }
            defer { pos += 1 }
            return bytes[pos]
        }
        mutating func fixed<T: FixedWidthInteger>(_: T.Type) -> T? {
            guard MemoryLayout<T>.size <= bytes.count - pos else { return nil }
            defer { pos += MemoryLayout<T>.size }
            return T(littleEndian: bytes.loadUnaligned(fromByteOffset: pos, as: T.self))
        }
        mutating func u32() -> UInt32? { fixed(UInt32.self) }
        mutating func u64() -> UInt64? { fixed(UInt64.self) }
        mutating func uleb() -> UInt64? { LEB128.readULEB(bytes, &pos) }
        mutating func sleb() -> Int64? {
            var result: Int64 = 0, shift: Int64 = 0
            while pos < bytes.count {
                let b = bytes[pos]; pos += 1
                if shift < 64 { result |= Int64(b & 0x7F) << shift }
                shift += 7
                if b & 0x80 == 0 {
                    if shift < 64 && b & 0x40 != 0 { result |= -1 << shift }
                    return result
                }
                if shift > 70 { return nil }
            }
            return nil
        }
        mutating func cString() -> [UInt8]? {
            var s: [UInt8] = []
            while pos < bytes.count {
                let b = bytes[pos]; pos += 1
                if b == 0 { return s }
                s.append(b)
            }
            return nil
        }

        /// A DWARF EH pointer (`DW_EH_PE_*`): value format in the low nibble, application in
        /// the high. Only absolute and pc-relative applications can be resolved here.
        mutating func pointer(_ encoding: UInt8, fieldAddress: UInt64) -> UInt64? {
            if encoding == 0xFF { return 0 }
            let value: UInt64
            switch encoding & 0x0F {
            case 0x00, 0x04: guard let v = u64() else { return nil }; value = v
            case 0x01: guard let v = uleb() else { return nil }; value = v
            case 0x02: guard let v = fixed(UInt16.self) else { return nil }; value = UInt64(v)
            case 0x03: guard let v = u32() else { return nil }; value = UInt64(v)
            case 0x09: guard let v = sleb() else { return nil }; value = UInt64(bitPattern: v)
            case 0x0A: guard let v = fixed(Int16.self) else { return nil }; value = UInt64(bitPattern: Int64(v))
            case 0x0B: guard let v = fixed(Int32.self) else { return nil }; value = UInt64(bitPattern: Int64(v))
            case 0x0C: guard let v = fixed(Int64.self) else { return nil }; value = UInt64(bitPattern: v)
            default: return nil
            }
            switch encoding & 0x70 {
            case 0x00: return value
            case 0x10: return value &+ fieldAddress
            default: return nil   // textrel, datarel, funcrel, aligned: not used on Darwin
            }
        }
    }
}
