import WeldCore

/// One library described by a text-based stub (`.tbd`): what a linker needs to bind against
/// it without the binary. A `.tbd` file holds one document for the library itself followed by
/// documents for the libraries it re-exports (real SDK stubs inline them this way).
///
/// Symbol names live in one byte pool per document (`symbolNameBytes`), so a stub with
/// thousands of exports costs a handful of allocations; read a name with ``name(of:)`` or,
/// on hot paths, ``withNameBytes(of:_:)``.
public struct TextStubDocument: Sendable {
    /// `install-name` / `install_names`: the path written into the client's `LC_LOAD_DYLIB`.
    public var installName: String
    /// Packed `xxxx.yy.zz` (major << 16 | minor << 8 | patch), as in `LC_LOAD_DYLIB`.
    /// 1.0.0 (0x10000) when the stub does not say.
    public var currentVersion: UInt32
    /// Packed like ``currentVersion``; 1.0.0 when the stub does not say.
    public var compatibilityVersion: UInt32
    /// Every target the document lists, as written (`arm64-macos`, `arm64e-macos`, …).
    public var targets: [String]
    /// Whether one of ``targets`` can serve the requested architecture and platform. The
    /// symbol lists of an incompatible document are empty.
    public var isCompatible: Bool
    /// `parent-umbrella` for the requested target (`System` for libSystem's sub-libraries).
    public var parentUmbrella: String?
    /// Install names of the libraries this one re-exports, for the requested target.
    public var reexportedLibraries: [String]
    /// `allowable-clients` for the requested target: who may link against this library.
    public var allowableClients: [String]
    /// `flags` / `attributes` that hold for the requested target.
    public var flags: TextStubFlags
    /// Exported (and re-exported) symbols for the requested target, in file order. Objective-C
    /// entries are already expanded to their symbol names (`_OBJC_CLASS_$_X`, …).
    public var exports: [ExportedSymbol]
    /// The bytes of every name in ``exports``, concatenated.
    public var symbolNameBytes: [UInt8]

    /// The symbol's name as a `String` (allocates; prefer ``withNameBytes(of:_:)`` in loops).
    public func name(of symbol: ExportedSymbol) -> String {
        withNameBytes(of: symbol) { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the symbol's name bytes, borrowed from ``symbolNameBytes``.
    public func withNameBytes<R>(of symbol: ExportedSymbol, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try symbolNameBytes.withUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[Int(symbol.nameOffset)..<Int(symbol.nameOffset + symbol.nameLength)]))
        }
    }

    /// All export names as strings, in order. For tests and diagnostics.
    public var exportedNames: [String] { exports.map { name(of: $0) } }
}

/// One exported symbol of a stub. The name is a range of the document's ``TextStubDocument/symbolNameBytes``.
public struct ExportedSymbol: Equatable, Hashable, Sendable {
    public enum Kind: UInt8, Sendable {
        /// An ordinary definition (functions, data, Objective-C metadata).
        case regular
        /// A weak definition (`weak-symbols`, `weak`): another image's strong definition wins.
        case weak
        /// A thread-local variable (`thread-local-symbols`, `thread_local`).
        case threadLocal
    }
    public var nameOffset: UInt32
    public var nameLength: UInt32
    public var kind: Kind
    /// Listed under `reexports` / `reexported_symbols`: exported by this library on behalf of
    /// another one. A linker binds it to this library all the same.
    public var isReexport: Bool

    public init(nameOffset: UInt32, nameLength: UInt32, kind: Kind, isReexport: Bool) {
        self.nameOffset = nameOffset
        self.nameLength = nameLength
        self.kind = kind
        self.isReexport = isReexport
    }
}

/// Library attributes from the stub's `flags`.
public struct TextStubFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// `flat_namespace`: the library was linked without two-level namespace.
    public static let flatNamespace = TextStubFlags(rawValue: 1 << 0)
    /// `not_app_extension_safe`: app extensions must not link it.
    public static let notAppExtensionSafe = TextStubFlags(rawValue: 1 << 1)
    /// `installapi`: the stub was produced by InstallAPI.
    public static let installAPI = TextStubFlags(rawValue: 1 << 2)
    /// `sim_support` (v5).
    public static let simulatorSupport = TextStubFlags(rawValue: 1 << 3)
}

extension TextStubDocument {
    /// Reads a `.tbd` file: TAPI v4 YAML (`--- !tapi-tbd`, `tbd-version: 4`, one or more
    /// documents), v3 YAML (`--- !tapi-tbd-v3`, `archs` and `platform`) or v5 JSON
    /// (`"tapi_tbd_version": 5`, `main_library` plus `libraries`).
    ///
    /// - Parameters:
    ///   - bytes: the file's contents, typically a `MappedFile`'s bytes; read in place.
    ///   - path: the file's name, used in every error message.
    ///   - architecture: the link's architecture (`arm64`). A target counts as compatible
    ///     when its CPU type matches, so `arm64e` entries serve an `arm64` link (current SDK
    ///     stubs often list only `arm64e`); unknown architectures never match.
    ///   - platform: the link's platform as written in targets (`macos`, `ios`,
    ///     `ios-simulator`, `maccatalyst`, …).
    /// - Returns: the documents in file order; the first describes the file's own library,
    ///   the others the libraries it re-exports.
    /// - Throws: `LinkError` naming `path:line:column` for malformed input, for an unsupported
    ///   version (v1, v2), and when the first document has no compatible target.
    public static func parse(_ bytes: UnsafeRawBufferPointer, path: String,
                             architecture: String = "arm64", platform: String = "macos") throws(LinkError) -> [TextStubDocument] {
        let source = TextStubSource(bytes: bytes, path: path)
        let request = TextStubTargetRequest(architecture: architecture, platform: platform)
        // Name offsets are 32-bit; no real stub comes near (the largest SDK stubs are a few MB).
        if bytes.count >= Int(UInt32.max) / 2 { throw LinkError("\(path): text-based stub (.tbd) file too large (\(bytes.count) bytes)") }
        // A UTF-8 byte-order mark, which some editors write, is not part of the text.
        let start = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        var i = start
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
        if i == bytes.count { throw LinkError("\(path): empty text-based stub (.tbd) file") }
        let documents: [TextStubDocument]
        if bytes[i] == UInt8(ascii: "{") {
            var parser = TextStubJSONParser(source: source, start: start)
            documents = try TextStubV5Reader(source: source, request: request).read(try parser.parseDocument())
        } else {
            var parser = TextStubYAMLParser(source: source, start: start)
            documents = try TextStubV4Reader(source: source, request: request).read(try parser.parseStream())
        }
        guard let first = documents.first else { throw LinkError("\(path): text-based stub (.tbd) file contains no document") }
        if !first.isCompatible {
            throw LinkError("\(path): '\(first.installName)' has no target compatible with \(architecture)-\(platform) (it lists: \(first.targets.joined(separator: ", ")))")
        }
        return documents
    }
}
