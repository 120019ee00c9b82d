import WeldCore

// The linker scripts that systems install in place of libraries: glibc's libc.so, libm.so and
// libm.a, gcc's libgcc_s.so, ncurses' libcurses.so, … They only name inputs:
//
//   /* GNU ld script */
//   OUTPUT_FORMAT(elf64-x86-64)
//   GROUP ( /lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libc_nonshared.a
//           AS_NEEDED ( /lib64/ld-linux-x86-64.so.2 ) )
//
// Supported: GROUP, INPUT, AS_NEEDED inside them, `-lfoo`, OUTPUT_FORMAT (1 or 3 arguments),
// OUTPUT_ARCH, SEARCH_DIR, ENTRY, C comments (and `#` line comments, which GNU ld does not have
// but are harmless), quoted names, commas or blanks between names, `;` between commands. Any
// other command (SECTIONS, MEMORY, …) is an error naming it: full scripts are a separate job.
//
// The text is read in place; only the resulting names become Strings.

/// One input named by a script.
public struct ScriptInput: Equatable, Sendable {
    /// A path as written (absolute, or relative: the caller looks beside the script and in the
    /// search path), or for `-lfoo` the library name `foo` (`-l:file.a` gives `:file.a`).
    public var path: String
    /// Named as `-lfoo`: search the library path.
    public var isLibrary: Bool
    /// Inside `AS_NEEDED(...)`.
    public var asNeeded: Bool
    /// Inside `GROUP(...)`: archives of the group are rescanned until nothing new resolves.
    public var inGroup: Bool

    public init(path: String, isLibrary: Bool = false, asNeeded: Bool = false, inGroup: Bool = false) {
        self.path = path
        self.isLibrary = isLibrary
        self.asNeeded = asNeeded
        self.inGroup = inGroup
    }
}

/// What a library script asks for, in script order.
public struct LibraryScript: Sendable {
    public var inputs: [ScriptInput] = []
    /// `SEARCH_DIR(dir)`: appended to the library search path.
    public var searchDirs: [String] = []
    /// `ENTRY(sym)`; the last one wins.
    public var entry: String? = nil
    /// `OUTPUT_FORMAT(default[, big, little])`: the default (first) name.
    public var outputFormat: String? = nil
    /// `OUTPUT_ARCH(arch)`.
    public var outputArch: String? = nil

    public init() {}
}

/// True if `bytes` could be a linker script: not ELF, not an archive, and text (no NUL or
/// control bytes other than blanks in the first 4 KiB). Used to classify inputs, so it only
/// rules out what certainly is not a script; the parser reports the rest.
public func looksLikeLinkerScript(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard bytes.count > 0, let p = bytes.baseAddress else { return false }
    if bytes.count >= 4 && p.loadUnaligned(as: UInt32.self) == UInt32(littleEndian: 0x464c_457f) { return false }
    if Archive.isArchive(bytes) { return false }
    for i in 0..<min(bytes.count, 4096) {
        let c = p.load(fromByteOffset: i, as: UInt8.self)
        // \t \n \v \f \r are fine; any other control byte (NUL included) means binary.
        if c < 0x20 && !(c >= 0x09 && c <= 0x0d) { return false }
        if c == 0x7f { return false }
    }
    return true
}

/// Parses a library script. Errors name the file, line and column:
/// `libc.so:3:12: expected ')' to close GROUP( at 3:1, found end of file`.
public func parseLibraryScript(_ text: UnsafeRawBufferPointer, path: String) throws(LinkError) -> LibraryScript {
    var lx = ScriptLexer(text: text, path: path)
    var script = LibraryScript()
    while true {
        let t = try lx.next()
        switch t.kind {
        case .eof:
            return script
        case .semicolon:
            continue   // GNU ld allows `;` after commands
        case .word:
            if lx.equals(t, "GROUP") || lx.equals(t, "INPUT") {
                let group = lx.equals(t, "GROUP")
                try lx.expect(.lparen, after: t)
                try parseInputList(&lx, into: &script, opener: t, asNeeded: false, inGroup: group)
            } else if lx.equals(t, "OUTPUT_FORMAT") {
                let args = try parseArguments(&lx, command: t)
                guard args.count == 1 || args.count == 3 else {
                    throw lx.error(at: t.start, "OUTPUT_FORMAT takes 1 or 3 arguments, found \(args.count)")
                }
                script.outputFormat = args[0]
            } else if lx.equals(t, "OUTPUT_ARCH") {
                script.outputArch = try parseSingleArgument(&lx, command: t)
            } else if lx.equals(t, "SEARCH_DIR") {
                script.searchDirs.append(try parseSingleArgument(&lx, command: t))
            } else if lx.equals(t, "ENTRY") {
                script.entry = try parseSingleArgument(&lx, command: t)
            } else if lx.equals(t, "AS_NEEDED") {
                throw lx.error(at: t.start, "AS_NEEDED is only allowed inside GROUP(...) or INPUT(...)")
            } else {
                let name = lx.string(t)
                if fullScriptCommands.contains(name) {
                    throw lx.error(at: t.start, "unsupported linker script command '\(name)': only library "
                                   + "scripts (GROUP, INPUT, AS_NEEDED, OUTPUT_FORMAT, OUTPUT_ARCH, SEARCH_DIR, "
                                   + "ENTRY) are supported in a script given as an input file; pass a full script with -T")
                }
                throw lx.error(at: t.start, "unknown linker script command '\(name)'")
            }
        default:
            throw lx.error(at: t.start, "expected a linker script command, found \(lx.describe(t))")
        }
    }
}

/// GNU ld commands that belong to full linker scripts; named as unsupported rather than unknown.
private let fullScriptCommands: Set<String> = [
    "SECTIONS", "MEMORY", "PHDRS", "VERSION", "INCLUDE", "PROVIDE", "PROVIDE_HIDDEN", "HIDDEN",
    "ASSERT", "EXTERN", "TARGET", "STARTUP", "OUTPUT", "INSERT", "NOCROSSREFS", "NOCROSSREFS_TO",
    "REGION_ALIAS", "FORCE_COMMON_ALLOCATION", "INHIBIT_COMMON_ALLOCATION", "LD_FEATURE",
    "OUTPUT_SECTION_ORDER", "SORT_SECTIONS",
]

/// AS_NEEDED( inside AS_NEEDED( nests at most this deep: the parser recurses, and a hostile
/// script must end in an error, not a stack overflow (real scripts nest once).
let maxScriptNesting = 64

/// The body of GROUP( / INPUT( / AS_NEEDED( up to and including its `)`.
private func parseInputList(_ lx: inout ScriptLexer, into script: inout LibraryScript, opener: ScriptToken,
                            asNeeded: Bool, inGroup: Bool, depth: Int = 0) throws(LinkError) {
    while true {
        let t = try lx.next()
        switch t.kind {
        case .rparen:
            return
        case .comma:
            continue
        case .word where lx.equals(t, "AS_NEEDED") && lx.peekIsLParen():
            _ = try lx.next()
            if depth >= maxScriptNesting {
                throw lx.error(at: t.start, "AS_NEEDED nested more than \(maxScriptNesting) deep")
            }
            try parseInputList(&lx, into: &script, opener: t, asNeeded: true, inGroup: inGroup, depth: depth + 1)
        case .word where lx.hasLibraryPrefix(t):
            guard t.length > 2 else { throw lx.error(at: t.start, "missing library name after -l") }
            script.inputs.append(ScriptInput(path: lx.string(t, dropFirst: 2), isLibrary: true,
                                             asNeeded: asNeeded, inGroup: inGroup))
        case .word, .string:
            // A quoted "-lfoo" is a file name, as in GNU ld.
            script.inputs.append(ScriptInput(path: lx.string(t), isLibrary: false,
                                             asNeeded: asNeeded, inGroup: inGroup))
        case .eof:
            throw lx.unclosed(opener, at: t.start)
        case .lparen, .semicolon:
            throw lx.error(at: t.start, "expected a file name or ')' in \(lx.string(opener))(...), found \(lx.describe(t))")
        }
    }
}

/// `( name [,] name … )` after a command; the names as Strings.
private func parseArguments(_ lx: inout ScriptLexer, command: ScriptToken) throws(LinkError) -> [String] {
    try lx.expect(.lparen, after: command)
    var args: [String] = []
    while true {
        let t = try lx.next()
        switch t.kind {
        case .rparen: return args
        case .comma: continue
        case .word, .string: args.append(lx.string(t))
        case .eof: throw lx.unclosed(command, at: t.start)
        case .lparen, .semicolon:
            throw lx.error(at: t.start, "expected an argument or ')' in \(lx.string(command))(...), found \(lx.describe(t))")
        }
    }
}

private func parseSingleArgument(_ lx: inout ScriptLexer, command: ScriptToken) throws(LinkError) -> String {
    let args = try parseArguments(&lx, command: command)
    guard args.count == 1 else {
        throw lx.error(at: command.start, "\(lx.string(command)) takes 1 argument, found \(args.count)")
    }
    return args[0]
}

// MARK: - Lexer

fileprivate enum ScriptTokenKind { case word, string, lparen, rparen, comma, semicolon, eof }

/// A token as a byte range of the script. For strings the range excludes the quotes.
fileprivate struct ScriptToken {
    var kind: ScriptTokenKind
    var start: Int
    var length: Int
}

fileprivate struct ScriptLexer {
    let base: UnsafeRawPointer?
    let count: Int
    let path: String
    var pos = 0

    init(text: UnsafeRawBufferPointer, path: String) {
        base = text.baseAddress
        count = text.count
        self.path = path
    }

    @inline(__always) func byte(_ i: Int) -> UInt8 { base!.load(fromByteOffset: i, as: UInt8.self) }

    /// Skips blanks and comments, then reads one token.
    mutating func next() throws(LinkError) -> ScriptToken {
        while pos < count {
            let c = byte(pos)
            if c == 0x20 || (c >= 0x09 && c <= 0x0d) {
                pos += 1
            } else if c == UInt8(ascii: "/") && pos + 1 < count && byte(pos + 1) == UInt8(ascii: "*") {
                let open = pos
                pos += 2
                while pos + 1 < count && !(byte(pos) == UInt8(ascii: "*") && byte(pos + 1) == UInt8(ascii: "/")) { pos += 1 }
                guard pos + 1 < count else { throw error(at: open, "unterminated comment") }
                pos += 2
            } else if c == UInt8(ascii: "#") {
                while pos < count && byte(pos) != 0x0a { pos += 1 }
            } else {
                break
            }
        }
        guard pos < count else { return ScriptToken(kind: .eof, start: count, length: 0) }
        let start = pos
        let c = byte(pos)
        let single: ScriptTokenKind? = switch c {
        case UInt8(ascii: "("): .lparen
        case UInt8(ascii: ")"): .rparen
        case UInt8(ascii: ","): .comma
        case UInt8(ascii: ";"): .semicolon
        default: nil
        }
        if let single {
            pos += 1
            return ScriptToken(kind: single, start: start, length: 1)
        }
        if c == UInt8(ascii: "\"") {
            pos += 1
            while pos < count && byte(pos) != UInt8(ascii: "\"") && byte(pos) != 0x0a { pos += 1 }
            guard pos < count && byte(pos) == UInt8(ascii: "\"") else {
                throw error(at: start, "unterminated quoted string")
            }
            pos += 1
            return ScriptToken(kind: .string, start: start + 1, length: pos - start - 2)
        }
        // A word: a command, a file name, a symbol. Ends at a blank, punctuation or a comment
        // (no file name in a library script contains "/*").
        while pos < count {
            let d = byte(pos)
            if d == 0x20 || (d >= 0x09 && d <= 0x0d) || d == UInt8(ascii: "(") || d == UInt8(ascii: ")")
                || d == UInt8(ascii: ",") || d == UInt8(ascii: ";") || d == UInt8(ascii: "\"") { break }
            if d == UInt8(ascii: "/") && pos + 1 < count && byte(pos + 1) == UInt8(ascii: "*") { break }
            pos += 1
        }
        return ScriptToken(kind: .word, start: start, length: pos - start)
    }

    /// Whether the next token is `(`, without consuming it.
    mutating func peekIsLParen() -> Bool {
        var copy = self
        return (try? copy.next().kind) == .lparen
    }

    mutating func expect(_ kind: ScriptTokenKind, after command: ScriptToken) throws(LinkError) {
        let t = try next()
        if t.kind != kind {
            throw error(at: t.start, "expected '(' after \(string(command)), found \(describe(t))")
        }
    }

    func equals(_ t: ScriptToken, _ s: StaticString) -> Bool {
        guard t.kind == .word, t.length == s.utf8CodeUnitCount else { return false }
        return s.withUTF8Buffer { buf in
            for i in 0..<t.length where byte(t.start + i) != buf[i] { return false }
            return true
        }
    }

    func hasLibraryPrefix(_ t: ScriptToken) -> Bool {
        t.kind == .word && t.length >= 2 && byte(t.start) == UInt8(ascii: "-") && byte(t.start + 1) == UInt8(ascii: "l")
    }

    func string(_ t: ScriptToken, dropFirst: Int = 0) -> String {
        guard let base, t.length > dropFirst else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: base + t.start + dropFirst, count: t.length - dropFirst),
                      as: UTF8.self)
    }

    func describe(_ t: ScriptToken) -> String {
        switch t.kind {
        case .eof: return "end of file"
        case .string: return "\"\(string(t))\""
        default: return "'\(string(t))'"
        }
    }

    /// 1-based line and column (in bytes) of `offset`; computed only when reporting an error.
    func location(_ offset: Int) -> (line: Int, column: Int) {
        var line = 1, lineStart = 0
        for i in 0..<min(offset, count) where byte(i) == 0x0a {
            line += 1
            lineStart = i + 1
        }
        return (line, offset - lineStart + 1)
    }

    func error(at offset: Int, _ message: String) -> LinkError {
        let (l, c) = location(offset)
        return LinkError("\(path):\(l):\(c): \(message)")
    }

    func unclosed(_ opener: ScriptToken, at offset: Int) -> LinkError {
        let (l, c) = location(opener.start)
        return error(at: offset, "expected ')' to close \(string(opener))( at \(l):\(c), found end of file")
    }
}
