/// The `$ld$…` pseudo-symbols a dylib or stub exports to steer the linker by deployment
/// target (ld64's "magic symbols"). They are instructions, not definitions.
///
/// Forms (versions are `X[.Y[.Z]]`, packed like `PackedVersion`):
/// - `$ld$previous$<install name>$<compat version>$<platform>$<start>$<end>$<symbol>$`: when
///   linking for `<platform>` (a `PLATFORM_*` number: 1 macOS, 2 iOS, …) with a minimum OS in
///   [start, end): with an empty `<symbol>`, the library's install name (and compatibility
///   version, unless empty) become these; with a symbol, only that symbol binds to a library
///   of that install name (how Swift and Foundation moved symbols between libraries).
/// - `$ld$install_name$os<version>$<install name>`, `$ld$compatibility_version$os<version>$<version>`:
///   the library's install name or compatibility version when the minimum OS is exactly `<version>`.
/// - `$ld$hide$os<version>$<symbol>`, `$ld$add$os<version>$<symbol>`, `$ld$weak$os<version>$<symbol>`:
///   hide, add, or weak-import `<symbol>` when the minimum OS is exactly `<version>`.
public enum LinkerDirectiveSymbol: Equatable, Sendable {
    case previous(installName: String, compatibilityVersion: UInt32?, platform: UInt32, start: UInt32, end: UInt32, symbol: String?)
    case installName(os: UInt32, installName: String)
    case compatibilityVersion(os: UInt32, version: UInt32)
    case hide(os: UInt32, symbol: String)
    case add(os: UInt32, symbol: String)
    case weak(os: UInt32, symbol: String)

    /// Whether `name` is a `$ld$` pseudo-symbol at all (well-formed or not).
    public static func isDirective<S: StringProtocol>(_ name: S) -> Bool { name.hasPrefix("$ld$") }

    /// Parses a `$ld$` name; nil for anything else or a malformed directive (ld64 ignores
    /// those too).
    public static func parse<S: StringProtocol>(_ name: S) -> LinkerDirectiveSymbol? {
        guard name.hasPrefix("$ld$") else { return nil }
        let rest = name.dropFirst(4)
        guard let actionEnd = rest.firstIndex(of: "$") else { return nil }
        let action = rest[..<actionEnd]
        let args = rest[rest.index(after: actionEnd)...]
        if action == "previous" {
            // Six fields, then a trailing '$'. The install name cannot contain '$'; the symbol can.
            var fields: [Substring] = []
            var cursor = args.startIndex
            for _ in 0..<5 {
                guard let d = args[cursor...].firstIndex(of: "$") else { return nil }
                fields.append(Substring(args[cursor..<d]))
                cursor = args.index(after: d)
            }
            let tail = args[cursor...]
            guard tail.hasSuffix("$") else { return nil }
            let symbol = tail.dropLast()
            guard !fields[0].isEmpty, let platform = UInt32(fields[2]),
                  let start = PackedVersion.parse(fields[3]), let end = PackedVersion.parse(fields[4]) else { return nil }
            var compat: UInt32? = nil
            if !fields[1].isEmpty {
                guard let v = PackedVersion.parse(fields[1]) else { return nil }
                compat = v
            }
            return .previous(installName: String(fields[0]), compatibilityVersion: compat, platform: platform,
                             start: start, end: end, symbol: symbol.isEmpty ? nil : String(symbol))
        }
        // The others: os<version>$<operand>
        guard args.hasPrefix("os"), let d = args.firstIndex(of: "$"),
              let os = PackedVersion.parse(args[args.index(args.startIndex, offsetBy: 2)..<d]) else { return nil }
        let operand = String(args[args.index(after: d)...])
        guard !operand.isEmpty else { return nil }
        switch action {
        case "install_name": return .installName(os: os, installName: operand)
        case "compatibility_version":
            guard let v = PackedVersion.parse(operand) else { return nil }
            return .compatibilityVersion(os: os, version: v)
        case "hide": return .hide(os: os, symbol: operand)
        case "add": return .add(os: os, symbol: operand)
        case "weak": return .weak(os: os, symbol: operand)
        default: return nil
        }
    }

    /// Whether the directive takes effect for a link for `platform` (`PLATFORM_*`) with
    /// minimum OS `minimumOS` (packed). The `os<version>` forms name no platform: they hold
    /// for any platform whose minimum OS equals the version.
    public func applies(platform: UInt32, minimumOS: UInt32) -> Bool {
        switch self {
        case .previous(_, _, let p, let start, let end, _): return p == platform && start <= minimumOS && minimumOS < end
        case .installName(let os, _), .compatibilityVersion(let os, _), .hide(let os, _), .add(let os, _), .weak(let os, _):
            return os == minimumOS
        }
    }
}

/// A symbol that, for this link's deployment target, must be bound to a library other than
/// the one exporting it (`$ld$previous$` with a symbol).
public struct MovedSymbol: Equatable, Sendable {
    public var symbol: String
    public var installName: String
    public var compatibilityVersion: UInt32?
}

extension TextStubDocument {
    /// Applies the document's `$ld$` directives for a link for `platform` (`PLATFORM_*`
    /// number, 1 = macOS) with minimum OS `minimumOS` (packed), as ld64 does, and removes
    /// every `$ld$` pseudo-symbol from ``exports``.
    ///
    /// Install name and compatibility version changes, hidden and added symbols are applied
    /// here. Returns the symbols moved to another library (`$ld$previous$` with a symbol);
    /// the caller binds each to a library of that install name (adding a load command).
    /// Symbols that `$ld$weak$` directives make weak imports come back in `weakImports`.
    public mutating func applyLinkerDirectives(platform: UInt32, minimumOS: UInt32) -> (moved: [MovedSymbol], weakImports: [String]) {
        var directives: [LinkerDirectiveSymbol] = []
        var kept: [ExportedSymbol] = []
        kept.reserveCapacity(exports.count)
        for e in exports {
            let isDirective = withNameBytes(of: e) { $0.count >= 4 && $0[0] == 0x24 && $0[1] == 0x6C && $0[2] == 0x64 && $0[3] == 0x24 }
            if !isDirective { kept.append(e); continue }
            if let d = LinkerDirectiveSymbol.parse(name(of: e)), d.applies(platform: platform, minimumOS: minimumOS) {
                directives.append(d)
            }
        }
        if directives.isEmpty {
            exports = kept
            return ([], [])
        }
        var hidden = Set<String>()
        var moved: [MovedSymbol] = []
        var weakImports: [String] = []
        for d in directives {
            switch d {
            case .previous(let path, let compat, _, _, _, let symbol):
                if let symbol {
                    moved.append(MovedSymbol(symbol: symbol, installName: path, compatibilityVersion: compat))
                } else {
                    installName = path
                    if let compat { compatibilityVersion = compat }
                }
            case .installName(_, let path): installName = path
            case .compatibilityVersion(_, let v): compatibilityVersion = v
            case .hide(_, let symbol): hidden.insert(symbol)
            case .add(_, let symbol):
                let offset = symbolNameBytes.count
                symbolNameBytes.append(contentsOf: symbol.utf8)
                kept.append(ExportedSymbol(nameOffset: UInt32(offset), nameLength: UInt32(symbol.utf8.count), kind: .regular, isReexport: false))
            case .weak(_, let symbol): weakImports.append(symbol)
            }
        }
        if !hidden.isEmpty { kept.removeAll { hidden.contains(name(of: $0)) } }
        exports = kept
        return (moved, weakImports)
    }
}
