import WeldCore

/// `-b binary` (`--format=binary`): a file's bytes linked as data, as GNU ld does: a writable
/// `.data` section holding them, and three global symbols named after the path as given
/// (every character other than an ASCII letter or digit becomes `_`): `_binary_<name>_start`
/// and `_binary_<name>_end` around the bytes, and the absolute `_binary_<name>_size`.
func binaryInputObject(path: String, contents: UnsafeRawBufferPointer, priority: Int64) -> ObjectFile {
    let mangled = String(decoding: path.utf8.map { c -> UInt8 in
        let alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
        return alnum ? c : UInt8(ascii: "_")
    }, as: UTF8.self)
    let base = "_binary_" + mangled
    var object = MemoryObject()
    object.sections = [.init(name: ".data", type: SHT.progbits, flags: SHF.alloc | SHF.write, align: 1, contents: contents)]
    object.symbols = [
        .init(name: base + "_start", section: 0, value: 0),
        .init(name: base + "_end", section: 0, value: UInt64(contents.count)),
        .init(name: base + "_size", section: nil, value: UInt64(contents.count)),
    ]
    return object.build(displayName: path, priority: priority)
}
