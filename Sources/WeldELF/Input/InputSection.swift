import WeldCore

/// A section of an input object, read in place. Lives as long as the link; passes refer to it
/// by reference from the file's section array and from its output section's member list.
public final class InputSection: @unchecked Sendable {
    // One of these per input section (some 200,000 in the lld workload), so the stored fields
    // go widest first, leaving no padding, and what can be read elsewhere is: 131 bytes, a
    // 144-byte heap block, instead of 181 and 192.
    /// The file, not retained (it outlives its sections): stored as Unmanaged because even an
    /// `unowned(unsafe)` read costs a retain and a release, per section in every pass.
    public let fileRef: Unmanaged<ObjectFile>
    public var file: ObjectFile { fileRef.takeUnretainedValue() }
    public let flags: UInt64
    /// Start of the contents in the mapping (unused for NOBITS); for a compressed section, the
    /// buffer it was inflated into (set once by `decompressSections`, before any pass reads it).
    public var data: UnsafeRawPointer
    public let size: UInt64
    /// RELA entries that apply to this section (24 bytes each), or nil.
    public var relocs: UnsafeRawPointer? = nil
    /// Output placement, set by layout.
    public var outOffset: UInt64 = 0
    /// Split contents for SHF_MERGE and .eh_frame sections; nil for plain sections.
    public var pieces: SectionPieces? = nil
    /// Identical code folding: the section this one was folded into (it then takes that
    /// section's place: same output section and offset) and this section's ICF candidate index.
    public var foldedInto: InputSection? {
        get { foldedIntoRef?.takeUnretainedValue() }
        set { foldedIntoRef = newValue.map { Unmanaged.passUnretained($0) } }
    }
    public var foldedIntoRef: Unmanaged<InputSection>? = nil
    private let indexInFile: Int32
    public let type: UInt32
    public let info: UInt32                 // sh_info (used by .init_array priority parsing etc.)
    /// sh_link of an SHF_LINK_ORDER section: the section it accompanies (0 otherwise).
    public var linkOrder: UInt32 = 0
    private var storedRelocCount: Int32 = 0
    public var outputIndex: Int32 = -1
    /// Sort key for .init_array.N / .fini_array.N / .ctors.N priorities (65536 = none).
    public var priority: UInt32 = 65536
    /// Dynamic relocations this section emits (R_X86_64_64 in PIE), and where they start in .rela.dyn.
    public var dynRelocCount: Int32 = 0
    public var dynRelocStart: Int32 = 0     // relative to the file's `dynRelocBase`
    /// Relative relocations packed into .relr.dyn (`-z pack-relative-relocs`), not in dynRelocCount.
    public var relrCount: Int32 = 0
    /// Place given by section ordering (SectionOrdering.swift); unordered sections keep Int32.max.
    public var orderPriority: Int32 = .max
    public var icfIndex: Int32 = -1
    private let alignLog2: UInt8
    public var alive = true
    public var isAddressSignificant = false

    /// Index in the file's section header table.
    public var index: Int { Int(indexInFile) }
    /// The name is the file's (`ObjectFile.sectionNames`, which parse() already holds).
    public var name: NameRef { file.sectionNames[index] }
    public var align: UInt64 { 1 << UInt64(alignLog2) }
    /// sh_entsize, read from the section header (only merge-string splitting needs it).
    public var entsize: UInt64 { file.sectionHeader(index).u64(56) }
    public var relocCount: Int {
        get { Int(storedRelocCount) }
        set { storedRelocCount = Int32(newValue) }
    }

    /// `name` must be the file's `sectionNames[index]`, `align` a power of two (or 0) and
    /// `entsize` the header's.
    init(file: ObjectFile, index: Int, name: NameRef, type: UInt32, flags: UInt64, data: UnsafeRawPointer,
         size: UInt64, align: UInt64, entsize: UInt64, info: UInt32) {
        self.fileRef = Unmanaged.passUnretained(file); self.indexInFile = Int32(index); self.type = type; self.flags = flags
        self.data = data; self.size = size; self.alignLog2 = UInt8(max(align, 1).trailingZeroBitCount); self.info = info
        assert(file.sectionNames[index] == name && self.entsize == entsize && self.align == max(align, 1))
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

    /// For sections of many pieces: the last piece starting at or before each 128-byte block
    /// of the input, so a lookup reads one entry and steps over a few pieces instead of a
    /// binary search (the cxx-debug workload resolves 1.7 million relocations from
    /// .debug_info into .debug_str pieces, at random offsets). 1/32 of the section's size.
    public var blockStarts: [UInt32] = []
    static let blockShift = 7

    /// Fills `blockStarts` for a section of `size` bytes, if it has enough pieces to gain.
    public func buildLookup(size: Int) {
        let n = inOffsets.count
        guard n >= 64, size > 0 else { return }
        blockStarts = [UInt32](unsafeUninitializedCapacity: (size >> Self.blockShift) + 1) { table, count in
            var k = 0
            for b in 0..<table.count {
                let start = b << Self.blockShift
                while k + 1 < n && Int(inOffsets[k + 1]) <= start { k += 1 }
                table[b] = UInt32(k)
            }
            count = table.count
        }
    }

    /// The input offset just past piece `k`. Pieces lie back to back, so this is where the next
    /// one starts: read from the cache line the lookup just read, instead of `sizes`.
    @inline(__always) public func pieceEnd(_ k: Int) -> UInt64 {
        k + 1 < inOffsets.count ? UInt64(inOffsets[k + 1]) : UInt64(inOffsets[k]) + UInt64(sizes[k])
    }

    /// Index of the piece that contains input offset `off`.
    @inline(__always) public func pieceIndex(containing off: UInt64) -> Int? {
        let block = Int(truncatingIfNeeded: off >> UInt64(Self.blockShift))
        if off < UInt64(UInt32.max), block < blockStarts.count {
            var i = Int(blockStarts[block])
            if UInt64(inOffsets[i]) > off { return nil }   // before the first piece
            while i + 1 < inOffsets.count && UInt64(inOffsets[i + 1]) <= off { i += 1 }
            return i
        }
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
