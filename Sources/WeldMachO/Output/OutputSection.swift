/// What fills an output section: atoms from the inputs, or a table the linker makes.
enum OutputSectionKind {
    case atoms
    case stubs          // __TEXT,__stubs: adrp/ldr/br through the GOT
    case got            // __DATA_CONST,__got
    case tlvPointers    // __DATA,__thread_ptrs
    case unwindInfo     // __TEXT,__unwind_info
    case initOffsets    // __TEXT,__init_offsets: __mod_init_func pointers as 32-bit image offsets
    case stubHelper     // __TEXT,__stub_helper: classic lazy binding's trampolines
    case lazyPointers   // __DATA,__la_symbol_ptr
    case created        // -sectcreate: a file's bytes
}

/// One section of the output, with its atoms in output order.
final class OutputSection {
    let segname: String
    let sectname: String
    var flags: UInt32
    var kind: OutputSectionKind
    var alignLog2: UInt8 = 0
    var atoms: [Int32] = []
    var size: UInt64 = 0
    var addr: UInt64 = 0
    var fileOffset: UInt64 = 0
    var reserved1: UInt32 = 0
    var reserved2: UInt32 = 0
    /// 1-based section number in the output (n_sect).
    var ordinal: UInt8 = 0
    var firstSeen: Int

    init(segname: String, sectname: String, flags: UInt32, kind: OutputSectionKind, firstSeen: Int) {
        self.segname = segname
        self.sectname = sectname
        self.flags = flags
        self.kind = kind
        self.firstSeen = firstSeen
    }

    var type: UInt32 { flags & MachO.sectionTypeMask }
    var isZerofill: Bool {
        let t = type
        return t == MachO.sZerofill || t == MachO.sGBZerofill || t == MachO.sThreadLocalZerofill
    }
    var isThreadLocalTemplate: Bool { type == MachO.sThreadLocalRegular || type == MachO.sThreadLocalZerofill }
}

/// One segment of the output.
struct OutputSegment {
    var name: String
    var sections: [OutputSection] = []
    var vmaddr: UInt64 = 0
    var vmsize: UInt64 = 0
    var fileoff: UInt64 = 0
    var filesize: UInt64 = 0
    var maxprot: UInt32
    var initprot: UInt32
    var flags: UInt32 = 0
}

/// Where everything goes in the output file and in memory.
struct OutputLayout {
    var sections: [OutputSection] = []
    var segments: [OutputSegment] = []
    var imageBase: UInt64 = 0
    var got: OutputSection? = nil
    var stubs: OutputSection? = nil
    var tlvPointers: OutputSection? = nil
    var stubHelper: OutputSection? = nil
    var lazyPointers: OutputSection? = nil
    var unwindInfo: OutputSection? = nil
    /// Start of the thread-local template (__thread_data, then __thread_bss).
    var tlvTemplateStart: UInt64 = 0
    var sizeofcmds: Int = 0
    var linkeditOffset: UInt64 = 0
    var fileSize: UInt64 = 0
}

func alignUp(_ v: UInt64, _ a: UInt64) -> UInt64 { (v + a - 1) & ~(a - 1) }
