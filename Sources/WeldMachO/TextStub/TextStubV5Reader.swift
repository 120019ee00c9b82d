import WeldCore

/// Turns a parsed TAPI v5 JSON tree into `TextStubDocument`s for one target: `main_library`
/// first, then each entry of `libraries`.
struct TextStubV5Reader {
    let source: TextStubSource
    let request: TextStubTargetRequest

    func read(_ root: TextStubNode) throws(LinkError) -> [TextStubDocument] {
        let b = TextStubDocumentBuilder(source: source, request: request)
        let entries = try b.mapping(root, "the JSON document")
        var main: TextStubNode? = nil
        var libraries: [TextStubNode] = []
        var sawVersion = false
        for e in entries {
            if source.equals(e.key, "tapi_tbd_version") {
                let v = try b.string(e.value, "tapi_tbd_version")
                guard v == "5" else {
                    throw source.error("unsupported tapi_tbd_version \(v): weld reads v4 YAML and v5 JSON", at: e.value.offset)
                }
                sawVersion = true
            } else if source.equals(e.key, "main_library") {
                main = e.value
            } else if source.equals(e.key, "libraries") {
                libraries = try b.list(e.value, "libraries")
            }
        }
        guard sawVersion else { throw source.error("the JSON document has no 'tapi_tbd_version'", at: root.offset) }
        guard let main else { throw source.error("the JSON document has no 'main_library'", at: root.offset) }
        var result = [try library(main)]
        for l in libraries { result.append(try library(l)) }
        return result
    }

    private func library(_ node: TextStubNode) throws(LinkError) -> TextStubDocument {
        var b = TextStubDocumentBuilder(source: source, request: request)
        let entries = try b.mapping(node, "library")
        var sawTargets = false
        for e in entries where source.equals(e.key, "target_info") {
            var names: [String] = []
            for info in try b.list(e.value, "target_info") {
                var target: String? = nil
                for k in try b.mapping(info, "target_info") where source.equals(k.key, "target") {
                    target = try b.string(k.value, "target")
                }
                guard let target else { throw source.error("a 'target_info' entry has no 'target'", at: info.offset) }
                names.append(target)
            }
            b.setTargets(names)
            sawTargets = true
        }
        guard sawTargets else { throw source.error("the library has no 'target_info'", at: node.offset) }

        for e in entries {
            let key = e.key
            if source.equals(key, "install_names") {
                // The name for the requested target; else the first one, so that a library
                // without a compatible target can still be named.
                for acceptAll in [false, true] where b.installName == nil {
                    try forEachSection(e.value, "install_names", &b, acceptAll: acceptAll) { k, b throws(LinkError) in
                        if source.equals(k.key, "name"), b.installName == nil { b.installName = try b.string(k.value, "name") }
                    }
                }
            } else if source.equals(key, "current_versions") {
                try forEachSection(e.value, "current_versions", &b) { k, b throws(LinkError) in
                    if source.equals(k.key, "version") { b.currentVersion = try b.version(k.value, "current version") }
                }
            } else if source.equals(key, "compatibility_versions") {
                try forEachSection(e.value, "compatibility_versions", &b) { k, b throws(LinkError) in
                    if source.equals(k.key, "version") { b.compatibilityVersion = try b.version(k.value, "compatibility version") }
                }
            } else if source.equals(key, "flags") {
                try forEachSection(e.value, "flags", &b) { k, b throws(LinkError) in
                    if source.equals(k.key, "attributes") { for f in try b.strings(k.value, "attributes") { b.applyFlag(f) } }
                }
            } else if source.equals(key, "parent_umbrellas") {
                try forEachSection(e.value, "parent_umbrellas", &b) { k, b throws(LinkError) in
                    if source.equals(k.key, "umbrella") { b.parentUmbrella = try b.string(k.value, "umbrella") }
                }
            } else if source.equals(key, "allowable_clients") {
                try forEachSection(e.value, "allowable_clients", &b) { k, b throws(LinkError) in
                    if source.equals(k.key, "clients") { b.allowableClients += try b.strings(k.value, "clients") }
                }
            } else if source.equals(key, "reexported_libraries") {
                try forEachSection(e.value, "reexported_libraries", &b) { k, b throws(LinkError) in
                    if source.equals(k.key, "names") { b.reexportedLibraries += try b.strings(k.value, "names") }
                }
            } else if source.equals(key, "exported_symbols") || source.equals(key, "reexported_symbols") {
                let isReexport = source.equals(key, "reexported_symbols")
                let what = isReexport ? "reexported_symbols" : "exported_symbols"
                try forEachSection(e.value, what, &b) { k, b throws(LinkError) in
                    guard source.equals(k.key, "data") || source.equals(k.key, "text") else {
                        throw source.error("unknown key '\(source.string(k.key))' in '\(what)' (expected targets, data or text)", at: k.key.offset)
                    }
                    for list in try b.mapping(k.value, source.string(k.key)) {
                        try addSymbolList(list, isReexport: isReexport, &b)
                    }
                }
            }
            // rpaths, swift_abi, undefined_symbols do not affect linking against the library.
        }
        return try b.finish(at: node.offset, installNameKey: "install_names")
    }

    /// Calls `body` for each key of each section that serves the request. A section without
    /// `targets` applies to all of the library's targets.
    private func forEachSection(_ node: TextStubNode, _ what: String, _ b: inout TextStubDocumentBuilder,
                                acceptAll: Bool = false,
                                _ body: (TextStubMappingEntry, inout TextStubDocumentBuilder) throws(LinkError) -> Void) throws(LinkError) {
        for section in try b.list(node, what) {
            let keys = try b.mapping(section, what)
            var accepted = b.isCompatible
            for k in keys where source.equals(k.key, "targets") { accepted = try b.targetsAccepted(k.value) }
            if !accepted && !acceptAll { continue }
            for k in keys where !source.equals(k.key, "targets") { try body(k, &b) }
        }
    }

    private func addSymbolList(_ s: TextStubMappingEntry, isReexport: Bool, _ b: inout TextStubDocumentBuilder) throws(LinkError) {
        let key = s.key
        if source.equals(key, "global") {
            try b.addSymbols(s.value, "global", kind: .regular, form: .plain, isReexport: isReexport)
        } else if source.equals(key, "weak") {
            try b.addSymbols(s.value, "weak", kind: .weak, form: .plain, isReexport: isReexport)
        } else if source.equals(key, "thread_local") {
            try b.addSymbols(s.value, "thread_local", kind: .threadLocal, form: .plain, isReexport: isReexport)
        } else if source.equals(key, "objc_class") {
            try b.addSymbols(s.value, "objc_class", kind: .regular, form: .objcClass, isReexport: isReexport)
        } else if source.equals(key, "objc_eh_type") {
            try b.addSymbols(s.value, "objc_eh_type", kind: .regular, form: .objcEHType, isReexport: isReexport)
        } else if source.equals(key, "objc_ivar") {
            try b.addSymbols(s.value, "objc_ivar", kind: .regular, form: .objcIvar, isReexport: isReexport)
        } else {
            throw source.error("unknown symbol kind '\(source.string(key))' (expected global, weak, thread_local, objc_class, objc_eh_type or objc_ivar)", at: key.offset)
        }
    }
}
