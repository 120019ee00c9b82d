import WeldCore

/// --package-metadata=JSON: a `.note.package` note (owner "FDO", type
/// NT_FDO_PACKAGING_METADATA 0xcafe1a7e, the JSON text NUL-terminated as its descriptor; see
/// systemd's "Package Metadata for Executable Files"), added as an input object so layout
/// gives it a PT_NOTE like any other allocated note.
func packageMetadataObject(_ json: String, priority: Int64) -> ObjectFile {
    let owner = Array("FDO\0".utf8)
    let desc = Array(json.utf8) + [0]
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
