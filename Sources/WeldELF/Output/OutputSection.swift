import WeldCore

/// What fills an output section.
public enum SectionContent: Sendable {
    case inputs          // input sections copied and relocated
    case merged          // deduplicated pieces of SHF_MERGE inputs
    case ehFrame         // CIE/FDE records of live functions
    case synthetic(SyntheticKind)
}

public enum SyntheticKind: Sendable {
    case interp, buildID, gnuProperty, gnuHash, sysvHash, dynsym, dynstr, versym, verneed, verdef
    case relaDyn, relrDyn, relaPlt, plt, got, gotPlt, dynamic, ehFrameHdr, bss, tbss
    case symtab, strtab, shstrtab
}

/// A section of the output file.
public final class OutputSection: @unchecked Sendable {
    public let name: String
    public var type: UInt32
    public var flags: UInt64
    public var align: UInt64 = 1
    public var entsize: UInt64 = 0
    public var link: UInt32 = 0
    public var info: UInt32 = 0
    public var content: SectionContent
    public var members: [InputSection] = []
    public var addr: UInt64 = 0
    public var offset: UInt64 = 0
    public var size: UInt64 = 0
    public var headerIndex: Int = 0         // index in the section header table
    public var nameOffset: UInt32 = 0       // in .shstrtab
    /// The unique merged pieces as laid out in the section (merged sections only; see mergePieces).
    public var mergedBytes: MergedBytes? = nil
    /// Number of dynamic relocations each member emits, turned into offsets by a prefix sum.
    public var dynRelocStart: [Int] = []
    /// The compressed contents (--compress-debug-sections); `size` is then the compressed size.
    public var compressed: CompressedContents? = nil

    public init(name: String, type: UInt32, flags: UInt64, content: SectionContent) {
        self.name = name; self.type = type; self.flags = flags; self.content = content
    }

    public var isAlloc: Bool { flags & SHF.alloc != 0 }
    public var isNoBits: Bool { type == SHT.nobits }
    public var isTLS: Bool { flags & SHF.tls != 0 }
    public var isWritable: Bool { flags & SHF.write != 0 }
    public var isExec: Bool { flags & SHF.execinstr != 0 }
}

/// A program header and the output sections it covers.
public struct Segment: Sendable {
    public var type: UInt32
    public var flags: UInt32
    public var offset: UInt64 = 0
    public var vaddr: UInt64 = 0
    public var filesz: UInt64 = 0
    public var memsz: UInt64 = 0
    public var align: UInt64 = 1
    /// p_paddr when it differs from p_vaddr (a linker script's AT); nil: the same.
    public var paddr: UInt64? = nil
}
