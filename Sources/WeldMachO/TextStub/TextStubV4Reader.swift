import WeldCore

/// Turns parsed TAPI v4 YAML documents (and v3 ones, through `TextStubV3Reader`) into
/// `TextStubDocument`s for one target.
struct TextStubV4Reader {
    let source: TextStubSource
    let request: TextStubTargetRequest

    func read(_ documents: [TextStubYAMLParser.Document]) throws(LinkError) -> [TextStubDocument] {
        var result: [TextStubDocument] = []
        result.reserveCapacity(documents.count)
        for document in documents { result.append(try read(document)) }
        return result
    }

    private func read(_ document: TextStubYAMLParser.Document) throws(LinkError) -> TextStubDocument {
        guard case .mapping(let entries, let at) = document.root else {
            throw source.error("a .tbd document must be a mapping, found \(document.root.kindName)", at: document.root.offset)
        }
        if document.tag == "!tapi-tbd-v3" {
            return try TextStubV3Reader(source: source, request: request).read(entries, at: at)
        }
        if let tag = document.tag, tag != "!tapi-tbd" {
            let version = tag.hasPrefix("!tapi-tbd-") ? " " + tag.dropFirst("!tapi-tbd-".count) : " (tag '\(tag)')"
            throw source.error("unsupported .tbd format\(version): weld reads v3 and v4 YAML and v5 JSON", at: document.offset)
        }
        var b = TextStubDocumentBuilder(source: source, request: request)
        var sawVersion = false
        var sawTargets = false
        for entry in entries where b.source.equals(entry.key, "tbd-version") {
            let v = try b.string(entry.value, "tbd-version")
            guard v == "4" else {
                throw source.error("unsupported tbd-version \(v): weld reads v3 and v4 YAML and v5 JSON", at: entry.value.offset)
            }
            sawVersion = true
        }
        if !sawVersion {
            throw source.error("the document has no 'tbd-version' (v1 and v2 stubs are not supported)", at: at)
        }
        // Targets first: every filtered section below depends on them.
        for entry in entries where source.equals(entry.key, "targets") {
            b.setTargets(try b.strings(entry.value, "targets"))
            sawTargets = true
        }
        if !sawTargets { throw source.error("the document has no 'targets'", at: at) }

        for entry in entries {
            let key = entry.key
            let value = entry.value
            if source.equals(key, "install-name") {
                b.installName = try b.string(value, "install-name")
            } else if source.equals(key, "current-version") {
                b.currentVersion = try b.version(value, "current-version")
            } else if source.equals(key, "compatibility-version") {
                b.compatibilityVersion = try b.version(value, "compatibility-version")
            } else if source.equals(key, "flags") {
                for flag in try b.strings(value, "flags") { b.applyFlag(flag) }
            } else if source.equals(key, "parent-umbrella") {
                if case .scalar = value {
                    b.parentUmbrella = try b.string(value, "parent-umbrella")
                    continue
                }
                try forEachSection(value, "parent-umbrella", &b) { s, b throws(LinkError) in
                    if source.equals(s.key, "umbrella") { b.parentUmbrella = try b.string(s.value, "umbrella") }
                }
            } else if source.equals(key, "allowable-clients") {
                try forEachSection(value, "allowable-clients", &b) { s, b throws(LinkError) in
                    if source.equals(s.key, "clients") { b.allowableClients += try b.strings(s.value, "clients") }
                }
            } else if source.equals(key, "reexported-libraries") {
                try forEachSection(value, "reexported-libraries", &b) { s, b throws(LinkError) in
                    if source.equals(s.key, "libraries") { b.reexportedLibraries += try b.strings(s.value, "libraries") }
                }
            } else if source.equals(key, "exports") || source.equals(key, "reexports") {
                let isReexport = source.equals(key, "reexports")
                try forEachSection(value, isReexport ? "reexports" : "exports", &b) { s, b throws(LinkError) in
                    try addSymbolList(s, isReexport: isReexport, &b)
                }
            }
            // Other keys (uuids, swift-abi-version, undefineds, rpaths) do not affect linking against the library.
        }
        return try b.finish(at: at, installNameKey: "install-name")
    }

    /// Calls `body` for each key of each `- targets: [...]` section that serves the request.
    private func forEachSection(_ node: TextStubNode, _ what: String, _ b: inout TextStubDocumentBuilder,
                                _ body: (TextStubMappingEntry, inout TextStubDocumentBuilder) throws(LinkError) -> Void) throws(LinkError) {
        for section in try b.list(node, what) {
            let keys = try b.mapping(section, what)
            var targets: TextStubNode? = nil
            for k in keys where source.equals(k.key, "targets") { targets = k.value }
            guard let targets else {
                throw source.error("a '\(what)' entry has no 'targets'", at: section.offset)
            }
            if !(try b.targetsAccepted(targets)) { continue }
            for k in keys where !source.equals(k.key, "targets") { try body(k, &b) }
        }
    }

    private func addSymbolList(_ s: TextStubMappingEntry, isReexport: Bool, _ b: inout TextStubDocumentBuilder) throws(LinkError) {
        let key = s.key
        if source.equals(key, "symbols") {
            try b.addSymbols(s.value, "symbols", kind: .regular, form: .plain, isReexport: isReexport)
        } else if source.equals(key, "weak-symbols") {
            try b.addSymbols(s.value, "weak-symbols", kind: .weak, form: .plain, isReexport: isReexport)
        } else if source.equals(key, "thread-local-symbols") {
            try b.addSymbols(s.value, "thread-local-symbols", kind: .threadLocal, form: .plain, isReexport: isReexport)
        } else if source.equals(key, "objc-classes") {
            try b.addSymbols(s.value, "objc-classes", kind: .regular, form: .objcClass, isReexport: isReexport)
        } else if source.equals(key, "objc-eh-types") {
            try b.addSymbols(s.value, "objc-eh-types", kind: .regular, form: .objcEHType, isReexport: isReexport)
        } else if source.equals(key, "objc-ivars") {
            try b.addSymbols(s.value, "objc-ivars", kind: .regular, form: .objcIvar, isReexport: isReexport)
        } else {
            throw source.error("unknown key '\(source.string(key))' in a symbol list (expected symbols, weak-symbols, thread-local-symbols, objc-classes, objc-eh-types or objc-ivars)", at: key.offset)
        }
    }
}
