// A full linker script as parsed: the commands of GNU ld's script language that weld supports,
// with the location of everything that can fail later (a symbol an expression names, a region
// a section asks for), so layout errors point into the script.

/// An expression of the script language. Evaluated during layout, possibly several times.
public indirect enum ScriptExpr: Sendable {
    case number(UInt64)
    case dot(ScriptLocation)
    case symbol(String, ScriptLocation)
    case unary(String, ScriptExpr)
    case binary(String, ScriptExpr, ScriptExpr, ScriptLocation)
    case conditional(ScriptExpr, ScriptExpr, ScriptExpr)
    /// ALIGN, MAX, MIN, ABSOLUTE, LOG2CEIL, DATA_SEGMENT_*, SEGMENT_START, NEXT
    case function(String, [ScriptExpr], ScriptLocation)
    /// ADDR, LOADADDR, SIZEOF, ALIGNOF of an output section.
    case section(String, String, ScriptLocation)
    /// ORIGIN, LENGTH of a memory region.
    case region(String, String, ScriptLocation)
    case defined(String)
    case constant(String, ScriptLocation)
    case sizeofHeaders
}

/// `sym = expr;` and its variants; `name` is "." for the location counter.
public struct ScriptAssignment: Sendable {
    public enum Kind: Sendable { case plain, provide, provideHidden, hidden }
    public var name: String
    public var kind: Kind
    public var expr: ScriptExpr
    public var loc: ScriptLocation
}

/// How matched sections are ordered within one input section description.
public enum ScriptSort: Sendable, Equatable { case none, name, alignment, initPriority }

/// One `pattern(sections…)` with the file patterns it excludes.
public struct ScriptSectionPattern: Sendable {
    public var pattern: String
    public var excludedFiles: [String]
    public var sort: ScriptSort
}

/// `filepattern(section patterns)`, possibly inside KEEP(...).
public struct ScriptInputDescription: Sendable {
    public var filePattern: String
    public var excludedFiles: [String]
    public var sections: [ScriptSectionPattern]
    public var keep: Bool
    public var loc: ScriptLocation
}

/// What an output section description contains.
public enum ScriptOutputCommand: Sendable {
    case input(ScriptInputDescription)
    case assignment(ScriptAssignment)
    /// BYTE(1) SHORT(2) LONG(4) QUAD(8) SQUAD(8): size and value.
    case data(Int, ScriptExpr)
    case assert(ScriptExpr, String, ScriptLocation)
    /// FILL(expr) inside a section.
    case fill(ScriptExpr)
}

/// `.name [address] [(type)] : [AT(lma)] [ALIGN(n)] [SUBALIGN(n)] { … } [>region] [AT>region] [:phdr…] [=fill]`
public struct ScriptOutputSection: Sendable {
    public enum Kind: Sendable { case normal, noLoad, info, readOnly }
    public var name: String
    public var address: ScriptExpr?
    public var kind: Kind = .normal
    /// ONLY_IF_RO / ONLY_IF_RW: the description exists only if all its inputs are read-only
    /// (writable); otherwise its inputs go to the next description that matches them.
    public enum Constraint: Sendable { case none, readOnly, readWrite }
    public var constraint: Constraint = .none
    public var lma: ScriptExpr?
    public var align: ScriptExpr?
    public var subalign: ScriptExpr?
    public var commands: [ScriptOutputCommand] = []
    public var region: (String, ScriptLocation)?
    public var lmaRegion: (String, ScriptLocation)?
    public var phdrs: [(String, ScriptLocation)] = []
    public var fill: ScriptExpr?
    /// `=0x9090`: a plain hex literal gives a pattern as wide as its digits (GNU ld's rule);
    /// any other fill expression is a 4-byte pattern. Big-endian either way.
    public var fillWidth = 4
    public var loc: ScriptLocation
    public var isDiscard: Bool { name == "/DISCARD/" }
}

/// A command of SECTIONS { … }.
public enum ScriptSectionsCommand: Sendable {
    case assignment(ScriptAssignment)
    case output(ScriptOutputSection)
    case assert(ScriptExpr, String, ScriptLocation)
}

/// `name (attrs) : ORIGIN = o, LENGTH = l`
public struct ScriptMemoryRegion: Sendable {
    public var name: String
    /// Attribute letters that must (or, after `!`, must not) match a section's flags.
    public var attributes: String
    public var origin: ScriptExpr
    public var length: ScriptExpr
    public var loc: ScriptLocation
}

/// `name TYPE [FILEHDR] [PHDRS] [AT(addr)] [FLAGS(flags)];`
public struct ScriptPhdr: Sendable {
    public var name: String
    public var type: UInt32
    public var fileHeader: Bool
    public var programHeaders: Bool
    public var at: ScriptExpr?
    public var flags: ScriptExpr?
    public var loc: ScriptLocation
}

/// A whole script (the -T file and everything it INCLUDEs, merged in order).
public struct LinkerScript: Sendable {
    public var sources = ScriptSources()
    public var entry: String?
    public var outputArch: String?
    public var inputs: [ScriptInput] = []
    public var searchDirs: [String] = []
    /// Assignments and asserts outside SECTIONS, in order, with where they stood relative to
    /// SECTIONS (GNU ld evaluates them in script order).
    public var sectionsCommands: [ScriptSectionsCommand] = []
    public var hasSections = false
    public var memory: [ScriptMemoryRegion] = []
    public var phdrs: [ScriptPhdr]? = nil
    /// EXTERN(sym …): undefined symbols, as with -u.
    public var externs: [String] = []
    /// REGION_ALIAS("alias", region): another name for a memory region.
    public var regionAliases: [String: (String, ScriptLocation)] = [:]
    public init() {}

    /// A region name with aliases resolved.
    public func regionName(_ name: String) -> String {
        var n = name
        var hops = 0
        while let (target, _) = regionAliases[n], hops < 16 { n = target; hops += 1 }
        return n
    }
}
