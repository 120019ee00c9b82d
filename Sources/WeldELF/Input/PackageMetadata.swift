import WeldCore

/// --package-metadata=JSON: a `.note.package` note (owner "FDO", type
/// NT_FDO_PACKAGING_METADATA 0xcafe1a7e, the decoded JSON text NUL-terminated as its descriptor; see
/// systemd's "Package Metadata for Executable Files"), added as an input object so layout
/// gives it a PT_NOTE like any other allocated note.
func packageMetadataObject(_ json: String, priority: Int64) -> ObjectFile {
    let owner = Array("FDO\0".utf8)
    let desc = decodePackageMetadata(json) + [0]
    var note: [UInt8] = []
    func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { note += $0 } }
    u32(UInt32(owner.count)); u32(UInt32(desc.count)); u32(0xcafe_1a7e)
    note += owner
    note += desc
    while note.count % 4 != 0 { note.append(0) }
    // Kept for the whole link: the object reads it in place.
    let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: note.count, alignment: 4)
    bytes.copyBytes(from: note)
    var object = MemoryObject()
    object.sections = [.init(name: ".note.package", type: SHT.note, flags: SHF.alloc, align: 4, contents: UnsafeRawBufferPointer(bytes))]
    return object.build(displayName: "<package metadata>", priority: priority)
}

/// The option's value as GNU ld (2.43+) and mold read it, so it survives compiler drivers
/// (which split -Wl at commas) and shells: `%XX` is the byte with hex code XX, and `%[comma]`,
/// `%[lbrace]`, `%[rbrace]`, `%[quot]`, `%[space]` are those characters; any other `%` stays.
func decodePackageMetadata(_ text: String) -> [UInt8] {
    let named: [(String, UInt8)] = [("comma", UInt8(ascii: ",")), ("lbrace", UInt8(ascii: "{")), ("rbrace", UInt8(ascii: "}")),
                                    ("quot", UInt8(ascii: "\"")), ("space", UInt8(ascii: " "))]
    func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
    let b = Array(text.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(b.count)
    var i = 0
    outer: while i < b.count {
        if b[i] == UInt8(ascii: "%") {
            if i + 2 < b.count, let hi = hexValue(b[i + 1]), let lo = hexValue(b[i + 2]) {
                out.append(hi << 4 | lo); i += 3; continue
            }
            if i + 1 < b.count, b[i + 1] == UInt8(ascii: "[") {
                for (name, c) in named {
                    let word = Array(name.utf8) + [UInt8(ascii: "]")]
                    if b.count - (i + 2) >= word.count && Array(b[(i + 2)..<(i + 2 + word.count)]) == word {
                        out.append(c); i += 2 + word.count; continue outer
                    }
                }
            }
        }
        out.append(b[i]); i += 1
    }
    return out
}
