import WeldCore

/// Reads a TAPI v3 document (`--- !tapi-tbd-v3`, Xcode 11-era SDKs): `archs` and one
/// `platform` instead of `targets`, export sections filtered by `archs`, re-exported
/// libraries and allowable clients inside the export sections.
struct TextStubV3Reader {
    let source: TextStubSource
    let request: TextStubTargetRequest

    /// v3 platform names and the v4 names they stand for.
    private static func platforms(_ name: String) -> [String] {
        switch name {
        case "macosx", "macos": return ["macos"]
        case "iosmac", "maccatalyst": return ["maccatalyst"]
        case "zippered": return ["macos", "maccatalyst"]
        default: return [name]   // ios, tvos, watchos, bridgeos, driverkit
        }
    }

    func read(_ entries: [TextStubMappingEntry], at: Int) throws(LinkError) -> TextStubDocument {
        var b = TextStubDocumentBuilder(source: source, request: request)
        var archs: [String]? = nil
        var platform: String? = nil
        for e in entries {
            if source.equals(e.key, "archs") { archs = try b.strings(e.value, "archs") }
            else if source.equals(e.key, "platform") { platform = try b.string(e.value, "platform") }
        }
        guard let archs else { throw source.error("the document has no 'archs'", at: at) }
        guard let platform else { throw source.error("the document has no 'platform'", at: at) }
        let platformNames = Self.platforms(platform)
        b.setTargets(archs.flatMap { a in platformNames.map { "\(a)-\($0)" } })

        for e in entries {
            let key = e.key, value = e.value
            if source.equals(key, "install-name") {
                b.installName = try b.string(value, "install-name")
            } else if source.equals(key, "current-version") {
                b.currentVersion = try b.version(value, "current-version")
            } else if source.equals(key, "compatibility-version") {
                b.compatibilityVersion = try b.version(value, "compatibility-version")
            } else if source.equals(key, "flags") {
                for flag in try b.strings(value, "flags") { b.applyFlag(flag) }
            } else if source.equals(key, "parent-umbrella") {
                b.parentUmbrella = try b.string(value, "parent-umbrella")
            } else if source.equals(key, "exports") {
                for section in try b.list(value, "exports") {
                    let keys = try b.mapping(section, "exports")
                    var sectionArchs: [String]? = nil
                    for k in keys where source.equals(k.key, "archs") { sectionArchs = try b.strings(k.value, "archs") }
                    guard let sectionArchs else { throw source.error("an 'exports' entry has no 'archs'", at: section.offset) }
                    // The platform is the document's; only the architecture selects a section.
                    guard b.isCompatible, sectionArchs.contains(where: { arch in
                        platformNames.contains { request.accepts("\(arch)-\($0)"[...]) }
                    }) else { continue }
                    for k in keys where !source.equals(k.key, "archs") { try addList(k, &b) }
                }
            }
            // uuids, objc-constraint, swift-version, undefineds: nothing a client links against.
        }
        return try b.finish(at: at, installNameKey: "install-name")
    }

    private func addList(_ s: TextStubMappingEntry, _ b: inout TextStubDocumentBuilder) throws(LinkError) {
        let key = s.key
        if source.equals(key, "symbols") {
            try b.addSymbols(s.value, "symbols", kind: .regular, form: .plain, isReexport: false)
        } else if source.equals(key, "weak-def-symbols") {
            try b.addSymbols(s.value, "weak-def-symbols", kind: .weak, form: .plain, isReexport: false)
        } else if source.equals(key, "thread-local-symbols") {
            try b.addSymbols(s.value, "thread-local-symbols", kind: .threadLocal, form: .plain, isReexport: false)
        } else if source.equals(key, "objc-classes") {
            try b.addSymbols(s.value, "objc-classes", kind: .regular, form: .objcClass, isReexport: false)
        } else if source.equals(key, "objc-eh-types") {
            try b.addSymbols(s.value, "objc-eh-types", kind: .regular, form: .objcEHType, isReexport: false)
        } else if source.equals(key, "objc-ivars") {
            try b.addSymbols(s.value, "objc-ivars", kind: .regular, form: .objcIvar, isReexport: false)
        } else if source.equals(key, "re-exports") {
            b.reexportedLibraries += try b.strings(s.value, "re-exports")
        } else if source.equals(key, "allowable-clients") {
            b.allowableClients += try b.strings(s.value, "allowable-clients")
        } else {
            throw source.error("unknown key '\(source.string(key))' in an 'exports' entry", at: key.offset)
        }
    }
}
