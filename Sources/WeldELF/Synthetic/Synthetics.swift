import WeldCore

/// A GOT slot and what it holds.
public enum GotEntryKind: Sendable {
    case address(Int32)          // the symbol's address (GLOB_DAT if imported)
    case tpOffset(Int32)         // the symbol's offset from the thread pointer (TPOFF64 if imported)
    case ifunc(Int32)            // resolved by IRELATIVE (static links and local IFUNCs)
    case tlsModule(Int32)        // DTPMOD64: the module id (-1: this module, for local-dynamic)
    case tlsOffset(Int32)        // DTPOFF64: offset in the module's TLS block (-1: 0)
    case tlsDesc(Int32)          // TLSDESC: two slots, one relocation on the first
    case tlsDescHigh             // the second slot of a TLS descriptor
}

/// A dynamic relocation, ready to be written as Elf64_Rela once addresses are known.
public struct DynamicReloc: Sendable {
    public var offset: UInt64
    public var type: UInt32
    public var symbol: UInt32            // dynsym index
    public var addend: Int64
}

/// State of the sections weld makes itself.
public struct Synthetics: Sendable {
    public var got: [GotEntryKind] = []
    public var pltSymbols: [Int32] = []      // lazy-binding PLT entries (imported functions)
    public var ipltSymbols: [Int32] = []     // IFUNCs defined in this output (IRELATIVE GOT slots)
    public var ipltGotIndex: [Int32] = []
    public var tlsLdGotIndex: Int32 = -1
    public var copySymbols: [Int32] = []
    public var copyAliases: [Int32] = []     // symbols at the same address in the DSO as a copied one
    public var dynsyms: [Int32] = []         // dynsym index - 1 → symbol id
    public var firstExportedDynsym = 1       // first defined symbol (the GNU hash covers from here)
    public var dynstr = StringTableBuilder()
    public var neededOffsets: [UInt32] = []
    public var sonameOffset: UInt32? = nil
    public var rpathOffset: UInt32? = nil
    public var interpPath = "/lib64/ld-linux-x86-64.so.2"
    /// Version needs: per shared library, (soname offset, [(version name offset, hash, other index)]).
    public var verneed: [(file: UInt32, versions: [(name: UInt32, hash: UInt32, index: UInt16)])] = []
    public var versionIndexOfSymbol: [Int32: UInt16] = [:]
    /// .gnu.version_d: names (dynstr offsets) of the base and each definition, their ELF hashes, parents.
    public var verdefNames: [UInt32] = []
    public var verdefHashes: [UInt32] = []
    public var verdefParents: [[UInt32]] = []
    public var gnuHashBuckets = 1
    public var gnuHashBloomWords = 1
    public var gnuHashShift: UInt32 = 26
    /// .rela.dyn: GOT and copy relocations first, then the relocations input sections emit.
    public var staticDynRelocCount = 0
    public var sectionDynRelocCount = 0
    public var relaDyn: OutputSection? = nil
    public var relaPlt: OutputSection? = nil
    public var relrDyn: OutputSection? = nil
    /// The encoded .relr.dyn, built once addresses are known (see RelativeRelocationPacking.swift).
    public var relrWords: [UInt64] = []
    public var plt: OutputSection? = nil
    public var gotSection: OutputSection? = nil
    public var gotPlt: OutputSection? = nil
    public var dynamic: OutputSection? = nil
    public var dynsymSection: OutputSection? = nil
    public var dynstrSection: OutputSection? = nil
    public var ehFrameHdr: OutputSection? = nil
    public var ehFrame: OutputSection? = nil
    public var buildID: OutputSection? = nil
    public var bss: OutputSection? = nil
    public var interp: OutputSection? = nil
    public var commonsOffset: [UInt64] = []
    public var hasTextRelocs = false
    public var hasUniqueSymbols = false
    public var dynamicEntries: [(Int64, UInt64)] = []
}

/// Builds a string table (.dynstr, .strtab, .shstrtab): NUL first, strings appended, with
/// repeated strings stored once.
public struct StringTableBuilder: Sendable {
    public var bytes: [UInt8] = [0]
    private var index: [String: UInt32] = [:]
    public init() {}
    public mutating func add(_ s: String) -> UInt32 {
        if s.isEmpty { return 0 }
        if let o = index[s] { return o }
        let o = UInt32(bytes.count)
        bytes.append(contentsOf: s.utf8)
        bytes.append(0)
        index[s] = o
        return o
    }
    public mutating func add(_ n: NameRef) -> UInt32 {
        add(n.string)
    }
    public func lookupString(_ s: String) -> UInt32 { s.isEmpty ? 0 : (index[s] ?? 0) }
}
