import WeldCore
import Synchronization

/// Everything one link works on. Passes are plain functions over the context (mold's style):
/// each reads what earlier passes produced and fills in its own part.
public final class Context: @unchecked Sendable {
    public let options: Options
    public var objects: [ObjectFile] = []
    public var shareds: [SharedFile] = []
    public var archives: [ArchiveInput] = []
    public let symbols = SymbolTable(expected: 1 << 14)
    public var outputSections: [OutputSection] = []
    public var segments: [Segment] = []
    public let diag = Diagnostics.shared

    // Output shape
    public var isPIC: Bool { options.pie || options.outputKind == .sharedLibrary }
    public var isStatic = false             // no dynamic linking at all (no .dynamic)
    public var isShared: Bool { options.outputKind == .sharedLibrary }
    public var imageBase: UInt64 = 0x400000

    // Synthetic state
    public var synth = Synthetics()
    public var commonSymbols: [Int32] = []
    public var localIfuncs: [Int32] = []
    public var tlsStart: UInt64 = 0
    public var tlsEnd: UInt64 = 0           // aligned end of the TLS block (TP on x86-64)
    public var tlsAlign: UInt64 = 1
    public var entryAddress: UInt64 = 0
    public var fileSize: UInt64 = 0
    public var x86Features: UInt32? = nil
    public var execStack = false
    public var phnum = 0
    public var shoff: UInt64 = 0
    public var shstrtab: [UInt8] = []
    public var symtabLayout = SymbolTableLayout()
    /// Allocated output sections by name, built once on first use after layout (linker-defined
    /// symbols and .dynamic entries look sections up by name, from several threads).
    public private(set) lazy var allocSectionsByName = Lazy<[String: OutputSection]> { [unowned(unsafe) self] in
        var map: [String: OutputSection] = [:]
        for os in self.outputSections where os.isAlloc && map[os.name] == nil { map[os.name] = os }
        return map
    }
    public func allocSection(_ name: String) -> OutputSection? { allocSectionsByName.value[name] }
    public var linkerSymbols: [(Int32, LinkerSymbolValue)] = []
    /// GOT slots for local symbols that a non-relaxable GOT reference names: (file << 32 | sym) → slot.
    public var localGot: [Int64: Int32] = [:]

    /// Set by the relocation scan when a local-dynamic TLS sequence needs the module's GOT pair.
    public let needsTlsLd = Atomic<Bool>(false)
    public let needsStaticTLS = Atomic<Bool>(false)
    /// Names a version script makes local (hidden from the dynamic symbol table).
    public var localPatterns: [String] = []
    public var globalPatterns: [String] = []
    public var localAll = false

    func versionScriptLocal(_ name: NameRef) -> Bool {
        if !localAll && localPatterns.isEmpty { return false }
        let n = name.string
        if globalPatterns.contains(where: { globMatch($0, n) }) { return false }
        return localAll || localPatterns.contains(where: { globMatch($0, n) })
    }

    public init(options: Options) {
        self.options = options
    }
}

/// An archive on the command line: its members are loaded only when a symbol needs them.
public final class ArchiveInput: @unchecked Sendable {
    public let archive: Archive
    public let priority: Int64
    public let wholeArchive: Bool
    public var loaded: [Bool]
    init(archive: Archive, priority: Int64, wholeArchive: Bool) {
        self.archive = archive; self.priority = priority; self.wholeArchive = wholeArchive
        loaded = [Bool](repeating: false, count: archive.members.count)
    }
    public var path: String { archive.file.path }
}
