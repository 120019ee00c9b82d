import WeldCore

/// How a global symbol is currently defined; lower raw values win resolution (then lower
/// file priority). Mirrors GNU ld's precedence: a strong object definition beats a weak one,
/// which beats a common, which beats a shared library's, which beats an archive's lazy one.
public enum DefinitionKind: UInt8, Sendable {
    case strong = 1, weak = 2, common = 3, shared = 4, lazy = 5, undefined = 6
}

/// A global symbol: one per distinct name, stored in `SymbolTable.symbols` and referred to by
/// its index everywhere (no class instances, no ARC on hot paths).
public struct Symbol: @unchecked Sendable {
    public var name: NameRef
    // Resolution
    public var kind: DefinitionKind = .undefined
    public var fileIndex: Int32 = -1        // object index (strong/weak/common) or shared index
    public var symIndex: Int32 = -1         // index in that file's symbol table
    /// Best definition so far: `symbolRank(kind, priority)`, lowered with an atomic minimum.
    public var rank: UInt64 = .max
    /// Best archive member offering this name: its priority (archive priority + member + 1).
    public var lazyKey: UInt64 = .max
    public var commonAlign: UInt64 = 0      // largest alignment among common definitions
    public var visibility: UInt8 = STV.default  // most constraining seen on any reference/definition
    public var referenced: Bool {
        get { flags & SymbolFlag.referenced != 0 }
        set { if newValue { flags |= SymbolFlag.referenced } else { flags &= ~SymbolFlag.referenced } }
    }
    public var referencedStrongly: Bool { flags & SymbolFlag.referencedStrongly != 0 }
    public var referencedByShared: Bool { flags & SymbolFlag.referencedByShared != 0 }
    // After resolution
    public var type: UInt8 = STT.notype
    public var binding: UInt8 = STB.global
    public var size: UInt64 = 0
    public var value: UInt64 = 0            // address once laid out
    /// The defining section, not retained: copying a Symbol must not retain, and hot loops
    /// read it lent (`sectionRef._withUnsafeGuaranteedRef`), since even an `unowned(unsafe)`
    /// read is a retain and a release. Sections live for the whole link.
    public var sectionRef: Unmanaged<InputSection>? = nil
    public var section: InputSection? {
        get { sectionRef?.takeUnretainedValue() }
        set { sectionRef = newValue.map { Unmanaged.passUnretained($0) } }
    }
    public var isAbsolute = false
    public var versionIndex: UInt16 = 1     // for imports: verneed index in the output
    public var flags: UInt32 = 0
    public var gotIndex: Int32 = -1
    public var pltIndex: Int32 = -1         // index in .plt (or .iplt for IFUNC in static links)
    public var gotTpIndex: Int32 = -1
    public var tlsGdIndex: Int32 = -1       // first of two GOT slots
    public var tlsDescIndex: Int32 = -1
    public var dynsymIndex: Int32 = -1
    public var copyOffset: UInt64 = 0

    public init(name: NameRef) { self.name = name }

    public var isDefinedInObject: Bool { kind == .strong || kind == .weak || kind == .common }
    public var isImported: Bool { kind == .shared }
    public var isUndefined: Bool { kind == .undefined || kind == .lazy }
    /// Bound at run time: an import, or (in a shared library) a default-visibility definition
    /// another module may interpose.
    @inline(__always) public var isPreemptible: Bool { flags & SymbolFlag.isPreemptible != 0 }
    /// Preemptible and not defined in this output.
    @inline(__always) public var isDynamicImport: Bool { isPreemptible && !isDefinedInObject }
}

/// Per-symbol needs found by the relocation scan, merged with an atomic OR.
public enum SymbolFlag {
    public static let needsGot: UInt32 = 1 << 0
    public static let needsPlt: UInt32 = 1 << 1
    public static let needsCopy: UInt32 = 1 << 2
    public static let needsGotTp: UInt32 = 1 << 3
    public static let needsTlsGd: UInt32 = 1 << 4
    public static let needsTlsDesc: UInt32 = 1 << 5
    public static let needsCanonicalPlt: UInt32 = 1 << 6   // non-PIC address of an imported function
    public static let exported: UInt32 = 1 << 7            // goes to .dynsym as a definition
    public static let isIfunc: UInt32 = 1 << 8
    public static let isPreemptible: UInt32 = 1 << 9
    public static let hasDynamicRelocs: UInt32 = 1 << 10
    public static let isCopyAlias: UInt32 = 1 << 11
    public static let inLazyPlt: UInt32 = 1 << 12
    public static let referenced: UInt32 = 1 << 13          // some object refers to it
    public static let referencedStrongly: UInt32 = 1 << 14  // ... with a non-weak reference
    public static let referencedByShared: UInt32 = 1 << 15  // a shared library names it
    public static let visInternal: UInt32 = 1 << 16
    public static let visHidden: UInt32 = 1 << 17
    public static let visProtected: UInt32 = 1 << 18
}
