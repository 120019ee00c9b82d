/// One section of an input object, as its header says, plus the range of atoms cut from it.
struct InputSection {
    var segname: String
    var sectname: String
    var addr: UInt64
    var size: UInt64
    var offset: UInt32
    var alignLog2: UInt32
    var reloff: UInt32
    var nreloc: UInt32
    var flags: UInt32
    /// File-local atom indices `firstAtom ..< firstAtom + atomCount`, sorted by input offset.
    var firstAtom: Int32 = 0
    var atomCount: Int32 = 0
    var kind: SectionKind = .regular

    var type: UInt32 { flags & MachO.sectionTypeMask }
    var isZerofill: Bool {
        let t = type
        return t == MachO.sZerofill || t == MachO.sGBZerofill || t == MachO.sThreadLocalZerofill
    }
}

/// How the linker treats an input section's contents.
enum SectionKind: UInt8 {
    case regular          // copied, relocated
    case cstrings         // NUL-terminated strings, deduplicated
    case literals         // fixed-size literals (4, 8, 16 bytes), deduplicated
    case compactUnwind    // __LD,__compact_unwind: input to __unwind_info, not copied
    case ehFrame          // __TEXT,__eh_frame
    case dropped          // debug info and other sections that do not reach the output
}
