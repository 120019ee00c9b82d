import WeldCore

/// A section of an input object, read in place. Lives as long as the link; passes refer to it
/// by reference from the file's section array and from its output section's member list.
public final class InputSection: @unchecked Sendable {
    public unowned(unsafe) let file: ObjectFile
    public let index: Int
    public let name: NameRef
    public let type: UInt32
    public let flags: UInt64
    /// Start of the contents in the mapping (unused for NOBITS); for a compressed section, the
    /// buffer it was inflated into (set once by `decompressSections`, before any pass reads it).
    public var data: UnsafeRawPointer
    public let size: UInt64
    public let align: UInt64
    public let entsize: UInt64
    public let info: UInt32                 // sh_info (used by .init_array priority parsing etc.)
    /// sh_link of an SHF_LINK_ORDER section: the section it accompanies (0 otherwise).
    public var linkOrder: UInt32 = 0
    /// RELA entries that apply to this section (24 bytes each), or nil.
    public var relocs: UnsafeRawPointer? = nil
    public var relocCount = 0
    public var alive = true
    /// Output placement, set by layout.
    public var outputIndex: Int32 = -1
    public var outOffset: UInt64 = 0
    /// Split contents for SHF_MERGE and .eh_frame sections; nil for plain sections.
    public var pieces: SectionPieces? = nil
    /// Sort key for .init_array.N / .fini_array.N / .ctors.N priorities (65536 = none).
    public var priority: UInt32 = 65536
    /// Dynamic relocations this section emits (R_X86_64_64 in PIE), and where they start in .rela.dyn.
    public var dynRelocCount: Int32 = 0
    public var dynRelocStart: Int32 = 0
    /// Relative relocations packed into .relr.dyn (`-z pack-relative-relocs`), not in dynRelocCount.
    public var relrCount: Int32 = 0
    /// Place given by section ordering (SectionOrdering.swift); unordered sections keep Int32.max.
    public var orderPriority: Int32 = .max
    /// Identical code folding: the section this one was folded into (it then takes that
    /// section's place: same output section and offset) and this section's ICF candidate index.
    public unowned(unsafe) var foldedInto: InputSection? = nil
    public var icfIndex: Int32 = -1
    public var isAddressSignificant = false

    init(file: ObjectFile, index: Int, name: NameRef, type: UInt32, flags: UInt64, data: UnsafeRawPointer,
         size: UInt64, align: UInt64, entsize: UInt64, info: UInt32) {
        self.file = file; self.index = index; self.name = name; self.type = type; self.flags = flags
        self.data = data; self.size = size; self.align = max(align, 1); self.entsize = entsize; self.info = info
    }

    @inline(__always) public func reloc(_ i: Int) -> Rela {
        let p = relocs! + i * 24
        return Rela(offset: p.u64(0), info: p.u64(8), addend: p.i64(16))
    }

    public var isNoBits: Bool { type == SHT.nobits }
    public var displayName: String { "\(file.displayName):(\(name.string))" }
}

public struct Rela {
    public let offset: UInt64
    public let info: UInt64
    public let addend: Int64
    @inline(__always) public var type: UInt32 { UInt32(truncatingIfNeeded: info) }
    @inline(__always) public var sym: Int { Int(info >> 32) }
}

/// A section split into pieces: strings of a mergeable section, or the CIE/FDE records of
/// .eh_frame. Each piece maps an input offset range to an output offset.
public final class SectionPieces: @unchecked Sendable {
    public var inOffsets: [UInt32] = []     // start of each piece; sorted
    public var sizes: [UInt32] = []
    public var outOffsets: [UInt64] = []    // offset within the output section; UInt64.max = dropped
    public var hashes: [UInt64] = []        // string hash for merge pieces

    /// Index of the piece that contains input offset `off` (binary search).
    @inline(__always) public func pieceIndex(containing off: UInt64) -> Int? {
        var lo = 0, hi = inOffsets.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if UInt64(inOffsets[mid]) <= off { lo = mid + 1 } else { hi = mid }
        }
        let i = lo - 1
        if i < 0 { return nil }
        return i
    }
}
