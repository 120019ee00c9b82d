import WeldCore

/// A linker script during one link: the parsed script, where each input section goes, the
/// output sections it made, and the values of the symbols it defines. Links without `-T` have
/// none, and every script-only step is skipped.
public final class ScriptState: @unchecked Sendable {
    public let script: LinkerScript
    /// The output section descriptions of SECTIONS, in order.
    let descriptions: [ScriptOutputSection]
    /// Every input section description, flattened in script order: the first that matches an
    /// input section takes it (GNU ld's rule).
    let rules: [ScriptRule]
    /// Per object (by index), per section index: the rule that took it, or `orphanPlacement`.
    var placement: [[Int32]] = []
    /// The output section made for each description (nil for /DISCARD/, for one ONLY_IF_RO/RW
    /// dropped, and for one that ended up empty).
    var outputs: [OutputSection?] = []
    /// Per description, per command: the range of the output section's members it placed,
    /// then one range for orphans that joined the section by name.
    var memberRanges: [[Range<Int>]] = []
    /// Script-defined symbols: name → symbol id, and their values and absoluteness as the last
    /// layout pass computed them.
    var symbolIds: [String: Int32] = [:]
    var symbolValues: [String: ScriptValue] = [:]
    /// Symbols the script assigns that an input or --defsym defined first: their definitions
    /// as they were (DEFINED() is true for them; reading one before its assignment sees it).
    var predefined: [String: PredefinedSymbol] = [:]
    /// The output section a script symbol belongs to (.symtab's st_shndx): the one it is
    /// assigned in, or for an assignment between sections the one before it (GNU ld).
    public internal(set) var symbolSections: [Int32: OutputSection] = [:]
    /// The SECTIONS command that assigns a symbol between sections.
    var symbolCommand: [Int32: Int] = [:]
    /// Names script expressions refer to (garbage collection roots, as lld keeps them).
    var referencedNames: [String] = []
    /// LMA of each output section (by identity) from the last layout pass.
    var loadAddresses: [ObjectIdentifier: UInt64] = [:]
    /// DATA_SEGMENT_RELRO_END: where RELRO ends in the current pass, and the padding
    /// DATA_SEGMENT_ALIGN adds so that it ends on a page (converges over the passes).
    var relroEnd: UInt64? = nil
    var relroPad: UInt64 = 0
    var relroPadNext: UInt64 = 0
    var dataSegmentCommonPage: UInt64 = 4096
    /// Output sections left out for being empty, each with the allocated section before it.
    var droppedEmpty: [(OutputSection, OutputSection?)] = []
    /// Descriptions dropped by ONLY_IF_RO / ONLY_IF_RW.
    var disabledDescriptions: [Bool] = []
    /// SECTIONS command index → description index (nil for assignments and asserts).
    var descriptionOfCommand: [Int: Int] = [:]
    /// The order layout walks: commands, with orphans at the places chosen for them.
    var plan: [ScriptPlanItem] = []
    /// Gaps to fill with a section's fill pattern: section, offset in it, length, pattern.
    var fillRanges: [(OutputSection, UInt64, UInt64, [UInt8])] = []
    /// Data commands placed by layout: section, offset in it, size, value.
    var dataItems: [(OutputSection, UInt64, Int, UInt64)] = []
    /// Sections placed as one block (split .eh_frame, synthetic): their size and where
    /// their contents currently start within the section.
    var blockSizes: [ObjectIdentifier: UInt64] = [:]
    var blockOffsets: [ObjectIdentifier: UInt64] = [:]

    public var hasSections: Bool { script.hasSections }

    /// Whether a section that ends up empty stays, as GNU ld decides: it moves `.` to an
    /// address computed from `.` as a whole (`. = ALIGN(4)`, `. = .`, `MAX(., x)`), not by
    /// arithmetic on it (`. += 0`, `ALIGN(. != 0 ? 8 : 1)`) nor to a plain number.
    func keepsWhenEmpty(_ os: OutputSection) -> Bool {
        guard let i = outputs.firstIndex(where: { $0 === os }) else { return false }
        func containsDot(_ e: ScriptExpr) -> Bool {
            switch e {
            case .dot: return true
            case .unary(_, let a): return containsDot(a)
            case .binary(_, let a, let b, _): return containsDot(a) || containsDot(b)
            case .conditional(let a, let b, let c): return containsDot(a) || containsDot(b) || containsDot(c)
            case .function(_, let args, _): return args.contains(where: containsDot)
            default: return false
            }
        }
        func keeps(_ e: ScriptExpr) -> Bool {
            switch e {
            case .dot: return true
            case .function(let f, let args, _) where f == "ALIGN" || f == "NEXT": return !args.contains(where: containsDot)
            case .function(let f, let args, _) where f == "MAX" || f == "MIN": return args.contains(where: keeps)
            case .binary(_, let a, let b, _): return !containsDot(a) && !containsDot(b) && (keeps(a) || keeps(b))
            default: return false
            }
        }
        return descriptions[i].commands.contains {
            if case .assignment(let a) = $0, a.name == "." { return keeps(a.expr) }
            return false
        }
    }

    public init(_ script: LinkerScript) {
        self.script = script
        var descs: [ScriptOutputSection] = []
        var rules: [ScriptRule] = []
        var commandToDescription: [Int: Int] = [:]
        for (ci, command) in script.sectionsCommands.enumerated() {
            guard case .output(let d) = command else { continue }
            commandToDescription[ci] = descs.count
            for (k, c) in d.commands.enumerated() {
                if case .input(let i) = c { rules.append(ScriptRule(description: descs.count, command: k, input: i)) }
            }
            descs.append(d)
        }
        descriptions = descs
        self.rules = rules
        descriptionOfCommand = commandToDescription
        var names: [String] = []
        func collect(_ e: ScriptExpr) {
            switch e {
            case .symbol(let n, _): names.append(n)
            case .unary(_, let a): collect(a)
            case .binary(_, let a, let b, _): collect(a); collect(b)
            case .conditional(let a, let b, let c): collect(a); collect(b); collect(c)
            case .function(_, let args, _): args.forEach(collect)
            default: break
            }
        }
        for c in script.sectionsCommands {
            switch c {
            case .assignment(let a): collect(a.expr)
            case .assert(let e, _, _): collect(e)
            case .output(let d):
                for oc in d.commands {
                    switch oc {
                    case .assignment(let a): collect(a.expr)
                    case .data(_, let e), .fill(let e): collect(e)
                    case .assert(let e, _, _): collect(e)
                    case .input: break
                    }
                }
            }
        }
        referencedNames = names
    }

    /// Whether a section with no members stays in the output: it has data or moves the
    /// location counter (GNU ld drops one that only defines symbols; they keep their values).
    func keepsEmpty(_ os: OutputSection) -> Bool {
        guard let i = outputs.firstIndex(where: { $0 === os }) else { return false }
        return descriptions[i].commands.contains {
            switch $0 {
            case .data: return true
            case .assignment(let a): return a.name == "."
            default: return false
            }
        }
    }
}

let orphanPlacement: Int32 = -1
/// Taken by /DISCARD/.
let discardPlacement: Int32 = -2
/// KEEP: the high bit of a placement.
let keepPlacementBit: Int32 = 1 << 30

/// One input section description and the output section description it belongs to.
struct ScriptRule {
    let description: Int
    let command: Int
    let input: ScriptInputDescription
    let filePattern: ScriptGlob
    /// `archive:member`: the archive part (empty: only files outside archives); nil otherwise.
    let archivePattern: ScriptGlob?
    let excludedFiles: [ScriptGlob]
    let sections: [(glob: ScriptGlob, excluded: [ScriptGlob], sort: ScriptSort)]

    init(description: Int, command: Int, input: ScriptInputDescription) {
        self.description = description
        self.command = command
        self.input = input
        if let colon = input.filePattern.firstIndex(of: ":") {
            let member = input.filePattern[input.filePattern.index(after: colon)...]
            archivePattern = ScriptGlob(String(input.filePattern[..<colon]))
            filePattern = ScriptGlob(member.isEmpty ? "*" : String(member))
        } else {
            archivePattern = nil
            filePattern = ScriptGlob(input.filePattern)
        }
        excludedFiles = input.excludedFiles.map(ScriptGlob.init)
        sections = input.sections.map { (ScriptGlob($0.pattern), $0.excludedFiles.map(ScriptGlob.init), $0.sort) }
        // The first two bytes every matching name must start with (nil: any name can match).
        var keys: [UInt16] = []
        var any = false
        for p in sections {
            if p.glob.prefix.count >= 2 { keys.append(UInt16(p.glob.prefix[0]) | UInt16(p.glob.prefix[1]) << 8) } else { any = true }
        }
        leadingKeys = any ? nil : keys
        hasPatternExclusions = sections.contains { !$0.excluded.isEmpty }
    }

    /// Some section pattern has its own EXCLUDE_FILE list.
    let hasPatternExclusions: Bool

    /// A cheap filter before the patterns: see `init`.
    let leadingKeys: [UInt16]?

    var sort: ScriptSort { sections.first { $0.sort != .none }?.sort ?? .none }
}

/// A wildcard pattern of the script language (`*`, `?`, `[a-z]`, `[!x]`), matched on bytes.
struct ScriptGlob: Sendable {
    let bytes: [UInt8]
    let isLiteral: Bool
    let matchesAll: Bool
    /// The bytes before the first wildcard: most patterns (`.text.*`) are rejected by them.
    let prefix: [UInt8]

    init(_ pattern: String) {
        bytes = Array(pattern.utf8)
        let wild = bytes.firstIndex { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") }
        isLiteral = wild == nil
        prefix = Array(bytes[..<(wild ?? bytes.count)])
        matchesAll = pattern == "*"
    }

    func matches(_ name: UnsafeRawBufferPointer) -> Bool {
        if matchesAll { return true }
        if isLiteral {
            return name.count == bytes.count && bytes.withUnsafeBytes { memcmpEqual($0, name) }
        }
        if name.count < prefix.count { return false }
        if !prefix.isEmpty && !prefix.withUnsafeBytes({ memcmpEqual($0, UnsafeRawBufferPointer(rebasing: name[..<prefix.count])) }) { return false }
        return bytes.withUnsafeBufferPointer { p in globMatchBytes(p, name) }
    }

    func matches(_ s: String) -> Bool {
        var copy = s
        return copy.withUTF8 { matches(UnsafeRawBufferPointer($0)) }
    }
}

@inline(__always) private func memcmpEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    for i in 0..<a.count where a[i] != b[i] { return false }
    return true
}

/// Iterative wildcard matching with one backtrack point per `*`.
private func globMatchBytes(_ p: UnsafeBufferPointer<UInt8>, _ n: UnsafeRawBufferPointer) -> Bool {
    var pi = 0, ni = 0, starP = -1, starN = 0
    while ni < n.count {
        if pi < p.count {
            let c = p[pi]
            if c == UInt8(ascii: "*") { starP = pi; starN = ni; pi += 1; continue }
            if c == UInt8(ascii: "?") { pi += 1; ni += 1; continue }
            if c == UInt8(ascii: "[") {
                var k = pi + 1
                var negate = false
                if k < p.count && (p[k] == UInt8(ascii: "!") || p[k] == UInt8(ascii: "^")) { negate = true; k += 1 }
                var matched = false
                var first = true
                while k < p.count && (first || p[k] != UInt8(ascii: "]")) {
                    first = false
                    if k + 2 < p.count && p[k + 1] == UInt8(ascii: "-") && p[k + 2] != UInt8(ascii: "]") {
                        if n[ni] >= p[k] && n[ni] <= p[k + 2] { matched = true }
                        k += 3
                    } else {
                        if n[ni] == p[k] { matched = true }
                        k += 1
                    }
                }
                if k < p.count && matched != negate { pi = k + 1; ni += 1; continue }
            } else if c == n[ni] {
                pi += 1; ni += 1; continue
            }
        }
        if starP < 0 { return false }
        pi = starP + 1
        starN += 1
        ni = starN
    }
    while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
    return pi == p.count
}

/// A value of a script expression: a number, and whether it is an address (relative to the
/// image, so relocatable in a PIE) rather than an absolute number.
struct ScriptValue {
    var value: UInt64
    var isAddress: Bool
}

/// A definition a script assignment replaced: where the inputs (or --defsym) had the symbol.
struct PredefinedSymbol {
    var kind: DefinitionKind
    var fileIndex: Int32
    var symIndex: Int32
    var value: UInt64
    var linkerValue: LinkerSymbolValue?
}
