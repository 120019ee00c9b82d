import WeldCore

/// Helpers shared by the v4 and v5 readers: typed access to tree nodes with positioned
/// errors, target filtering, and the symbol pool of the document being built.
struct TextStubDocumentBuilder {
    let source: TextStubSource
    let request: TextStubTargetRequest

    var installName: String? = nil
    var currentVersion: UInt32 = 0x10000
    var compatibilityVersion: UInt32 = 0x10000
    var targets: [String] = []
    var isCompatible = false
    var parentUmbrella: String? = nil
    var reexportedLibraries: [String] = []
    var allowableClients: [String] = []
    var flags = TextStubFlags()
    var exports: [ExportedSymbol] = []
    var pool: [UInt8] = []

    init(source: TextStubSource, request: TextStubTargetRequest) {
        self.source = source
        self.request = request
    }

    func finish(at offset: Int, installNameKey: String) throws(LinkError) -> TextStubDocument {
        guard let installName else {
            throw source.error("the document has no '\(installNameKey)'", at: offset)
        }
        return TextStubDocument(installName: installName, currentVersion: currentVersion,
                                compatibilityVersion: compatibilityVersion, targets: targets,
                                isCompatible: isCompatible, parentUmbrella: parentUmbrella,
                                reexportedLibraries: reexportedLibraries, allowableClients: allowableClients,
                                flags: flags, exports: exports, symbolNameBytes: pool)
    }

    // MARK: - Node access

    func mapping(_ node: TextStubNode, _ what: String) throws(LinkError) -> [TextStubMappingEntry] {
        switch node {
        case .mapping(let entries, _): return entries
        case .null: return []
        default: throw source.error("'\(what)' must be a mapping, found \(node.kindName)", at: node.offset)
        }
    }

    func list(_ node: TextStubNode, _ what: String) throws(LinkError) -> [TextStubNode] {
        switch node {
        case .sequence(let items, _): return items
        case .null: return []
        default: throw source.error("'\(what)' must be a list, found \(node.kindName)", at: node.offset)
        }
    }

    func scalar(_ node: TextStubNode, _ what: String) throws(LinkError) -> TextStubScalar {
        guard case .scalar(let s) = node else {
            throw source.error("'\(what)' must be a single value, found \(node.kindName)", at: node.offset)
        }
        return s
    }

    func string(_ node: TextStubNode, _ what: String) throws(LinkError) -> String {
        source.string(try scalar(node, what))
    }

    func strings(_ node: TextStubNode, _ what: String) throws(LinkError) -> [String] {
        var out: [String] = []
        for item in try list(node, what) { out.append(try string(item, what)) }
        return out
    }

    func version(_ node: TextStubNode, _ what: String) throws(LinkError) -> UInt32 {
        let s = try scalar(node, what)
        let text = source.string(s)
        guard let v = PackedVersion.parse(text) else {
            throw source.error("malformed \(what) '\(text)' (expected X[.Y[.Z]] with X ≤ 65535, Y, Z ≤ 255)", at: node.offset)
        }
        return v
    }

    /// Whether a `targets` list names a target that serves the request.
    func targetsAccepted(_ node: TextStubNode) throws(LinkError) -> Bool {
        for item in try list(node, "targets") {
            let s = try scalar(item, "targets")
            if request.accepts(source.string(s)[...]) { return true }
        }
        return false
    }

    mutating func setTargets(_ names: [String]) {
        targets = names
        isCompatible = names.contains { request.accepts($0[...]) }
    }

    mutating func applyFlag(_ name: String) {
        switch name {
        case "flat_namespace": flags.insert(.flatNamespace)
        case "not_app_extension_safe": flags.insert(.notAppExtensionSafe)
        case "installapi": flags.insert(.installAPI)
        case "sim_support": flags.insert(.simulatorSupport)
        default: break  // informational flags do not change how a client links
        }
    }

    // MARK: - Symbols

    /// How a list entry becomes a symbol name: as written, or behind an Objective-C prefix.
    enum SymbolForm {
        case plain
        case objcClass      // _OBJC_CLASS_$_X and _OBJC_METACLASS_$_X
        case objcEHType     // _OBJC_EHTYPE_$_X
        case objcIvar       // _OBJC_IVAR_$_X.y
    }

    mutating func addSymbols(_ node: TextStubNode, _ what: String, kind: ExportedSymbol.Kind,
                             form: SymbolForm, isReexport: Bool) throws(LinkError) {
        for item in try list(node, what) {
            let s = try scalar(item, what)
            switch form {
            case .plain: add(s, prefix: "", kind: kind, isReexport: isReexport)
            case .objcClass:
                add(s, prefix: "_OBJC_CLASS_$_", kind: kind, isReexport: isReexport)
                add(s, prefix: "_OBJC_METACLASS_$_", kind: kind, isReexport: isReexport)
            case .objcEHType: add(s, prefix: "_OBJC_EHTYPE_$_", kind: kind, isReexport: isReexport)
            case .objcIvar: add(s, prefix: "_OBJC_IVAR_$_", kind: kind, isReexport: isReexport)
            }
        }
    }

    private mutating func add(_ s: TextStubScalar, prefix: StaticString, kind: ExportedSymbol.Kind, isReexport: Bool) {
        let start = pool.count
        pool.append(contentsOf: UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
        source.append(s, to: &pool)
        exports.append(ExportedSymbol(nameOffset: UInt32(start), nameLength: UInt32(pool.count - start),
                                      kind: kind, isReexport: isReexport))
    }
}
