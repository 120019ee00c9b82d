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
    /// Each output section's address and section header index, by output index, as plain
    /// memory (`computeSectionAddresses`, once layout is final): the parallel relocation and
    /// symbol-table loops read them without retaining the shared OutputSection objects.
    public var outputAddressTable = UnsafeMutablePointer<UInt64>(bitPattern: 8)!
    public var outputHeaderIndexTable = UnsafeMutablePointer<Int32>(bitPattern: 8)!
    /// Sections identical code folding merged into another (see IdenticalCodeFolding.swift).
    public var foldedSections: [InputSection] = []
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
    /// --retain-symbols-file: the names of the globals .symtab keeps (nil: no such option).
    public var retainedSymbols: Set<NameRef>? = nil
    /// The -T linker script, if any (Script/).
    public var script: ScriptState? = nil

    /// Set by the relocation scan when a local-dynamic TLS sequence needs the module's GOT pair.
    public let needsTlsLd = Atomic<Bool>(false)
    public let needsStaticTLS = Atomic<Bool>(false)
    /// Names a version script makes local (hidden from the dynamic symbol table).
    public var localPatterns: [String] = []
    public var globalPatterns: [String] = []
    public var localAll = false
    /// Version definitions (.gnu.version_d), index i → version index i + 2; nodes' patterns.
    public var versionDefinitions: [String] = []
    public var versionParents: [[String]] = []
    public var versionPatterns: [(index: UInt16, patterns: [String])] = []
    public var versionLocalPatterns: [UInt16: [String]] = [:]

    /// A `.symver` definition of version V is local if V's node has a `local:` pattern that
    /// matches it and no `global:` one does (GNU ld's rule).
    func explicitVersionIsLocal(_ id: Int32) -> Bool {
        guard let (v, _) = explicitVersions[id], let locals = versionLocalPatterns[v], !locals.isEmpty else { return false }
        let n = (dynamicNames[id] ?? symbols[id].name).string
        if let globals = versionPatterns.first(where: { $0.index == v })?.patterns, globals.contains(where: { globMatch($0, n) }) { return false }
        return locals.contains { globMatch($0, n) }
    }
    /// Versions given by `.symver` in objects: symbol id → (version index, hidden).
    public var explicitVersions: [Int32: (UInt16, Bool)] = [:]
    /// The name a `foo@V1` definition has in .dynsym ("foo").
    public var dynamicNames: [Int32: NameRef] = [:]

    /// Names exported by --export-dynamic-symbol and --dynamic-list (patterns allowed).
    public var exportPatterns: [String] = []
    private var exportExact: Set<String> = []
    private var exportWildcards: [String] = []
    func setExportPatterns(_ patterns: [String]) {
        exportPatterns = patterns
        for p in patterns {
            if p.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) { exportWildcards.append(p) } else { exportExact.insert(p) }
        }
    }

    /// Whether a definition goes to .dynsym: in a shared library every default or protected
    /// definition a version script does not make local; in an executable what --export-dynamic,
    /// --export-dynamic-symbol or --dynamic-list name, and what a shared library refers to.
    /// Used by the synthetic sections and by --gc-sections (as roots), so both agree.
    func exportsDefinition(_ id: Int32) -> Bool {
        let s = symbols[id]
        guard s.isDefinedInObject, s.fileIndex >= 0, s.visibility == STV.default || s.visibility == STV.protected,
              s.binding != STB.local else { return false }
        if isShared {
            if explicitVersions[id] != nil { return !explicitVersionIsLocal(id) }
            return !versionScriptLocal(s.name)
        }
        if options.exportDynamic || s.referencedByShared { return true }
        // --dynamic-list-data: every data symbol, as if a dynamic list named it.
        if options.dynamicListData && (s.type == STT.object || s.type == STT.tls || s.kind == .common) { return true }
        if exportExact.isEmpty && exportWildcards.isEmpty { return false }
        let n = s.name.string
        return exportExact.contains(n) || exportWildcards.contains { globMatch($0, n) }
    }

    /// The name a symbol has in .dynsym.
    func dynamicName(_ id: Int32) -> NameRef { dynamicNames[id] ?? symbols[id].name }

    /// Version index for an exported definition named `name` (1 = global, unversioned).
    func scriptVersion(_ name: String) -> UInt16 {
        for (index, pats) in versionPatterns where pats.contains(name) { return index }
        for (index, pats) in versionPatterns where pats.contains(where: { $0 != "*" && globMatch($0, name) }) { return index }
        for (index, pats) in versionPatterns where pats.contains("*") { return index }
        return 1
    }
    func versionIndex(named v: String) -> UInt16 {
        if let i = versionDefinitions.firstIndex(of: v) { return UInt16(i + 2) }
        versionDefinitions.append(v); versionParents.append([])
        return UInt16(versionDefinitions.count + 1)
    }

    func versionScriptLocal(_ name: NameRef) -> Bool {
        if !localAll && localPatterns.isEmpty { return false }
        let n = name.string
        if globalPatterns.contains(where: { globMatch($0, n) }) { return false }
        return localAll || localPatterns.contains(where: { globMatch($0, n) })
    }

    public init(options: Options) {
        self.options = options
        script = options.linkerScript.map(ScriptState.init)
    }
}

/// An archive on the command line: its members are loaded only when a symbol needs them.
public final class ArchiveInput: @unchecked Sendable {
    public let archive: Archive
    public let priority: Int64
    public let wholeArchive: Bool
    public var loaded: [Bool]
    /// The file name without directories ("libfoo.a"), for --exclude-libs: made once here,
    /// not once per extracted member.
    public let fileName: String
    init(archive: Archive, priority: Int64, wholeArchive: Bool) {
        self.archive = archive; self.priority = priority; self.wholeArchive = wholeArchive
        loaded = [Bool](repeating: false, count: archive.members.count)
        fileName = archive.file.path.split(separator: "/").last.map(String.init) ?? archive.file.path
    }
    public var path: String { archive.file.path }
}
