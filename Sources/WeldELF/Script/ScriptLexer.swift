import WeldCore

// Tokens of full linker scripts. GNU ld's grammar is context dependent: `*(.text.*)` is a file
// pattern and a section pattern, `a-b` is a subtraction in an expression but `-lfoo` or
// `.text-x` is one name. The parser therefore asks for each token in a mode: `.name` reads
// maximal runs of name characters (patterns, file and section names), `.expression` splits
// operators from identifiers and numbers.

/// Where something is in a script: file (index into `ScriptSources`), line and column (1-based).
public struct ScriptLocation: Sendable, Equatable {
    public var file: Int32
    public var line: Int32
    public var column: Int32
}

/// The files a link's scripts came from (the -T script and what it INCLUDEs), for messages.
public struct ScriptSources: Sendable {
    public var paths: [String] = []
    public func describe(_ loc: ScriptLocation) -> String {
        "\(paths[Int(loc.file)]):\(loc.line):\(loc.column)"
    }
    public func error(_ loc: ScriptLocation, _ message: String) -> LinkError {
        LinkError("\(describe(loc)): \(message)")
    }
}

enum ScriptLexMode { case name, expression }

struct ScriptLexToken {
    enum Kind: Equatable { case word, string, number, punct, eof }
    var kind: Kind
    var text: String
    var value: UInt64 = 0
    var loc: ScriptLocation
}

struct ScriptTokenizer {
    let base: UnsafeRawPointer?
    let count: Int
    let file: Int32
    let path: String
    var pos = 0
    var line: Int32 = 1
    var lineStart = 0

    init(text: UnsafeRawBufferPointer, file: Int32, path: String) {
        base = text.baseAddress
        count = text.count
        self.file = file
        self.path = path
    }

    @inline(__always) func byte(_ i: Int) -> UInt8 { i < count ? base!.load(fromByteOffset: i, as: UInt8.self) : 0 }

    var location: ScriptLocation { ScriptLocation(file: file, line: line, column: Int32(pos - lineStart + 1)) }

    func error(_ loc: ScriptLocation, _ message: String) -> LinkError {
        LinkError("\(path):\(loc.line):\(loc.column): \(message)")
    }

    private mutating func skipBlanks() throws(LinkError) {
        while pos < count {
            let c = byte(pos)
            if c == 0x0a {
                pos += 1; line += 1; lineStart = pos
            } else if c == 0x20 || (c >= 0x09 && c <= 0x0d) {
                pos += 1
            } else if c == UInt8(ascii: "/") && byte(pos + 1) == UInt8(ascii: "*") {
                let open = location
                pos += 2
                while pos < count && !(byte(pos) == UInt8(ascii: "*") && byte(pos + 1) == UInt8(ascii: "/")) {
                    if byte(pos) == 0x0a { line += 1; lineStart = pos + 1 }
                    pos += 1
                }
                guard pos < count else { throw error(open, "unterminated comment") }
                pos += 2
            } else if c == UInt8(ascii: "#") {
                while pos < count && byte(pos) != 0x0a { pos += 1 }
            } else {
                return
            }
        }
    }

    private func text(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(start: base! + start, count: end - start), as: UTF8.self)
    }

    /// Characters that end a name in `.name` mode (besides blanks).
    @inline(__always) private static func endsName(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ","),
             UInt8(ascii: ";"), UInt8(ascii: "\""), UInt8(ascii: "="), UInt8(ascii: ":"): return true
        default: return c <= 0x20
        }
    }

    @inline(__always) private static func isIdentifier(_ c: UInt8) -> Bool {
        (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
            || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") || c == UInt8(ascii: "$")
    }

    private static let operators: [String] = [
        "<<=", ">>=", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=", "&=", "|=", "^=",
        "+", "-", "*", "/", "%", "<", ">", "&", "|", "^", "~", "!", "?", ":", "=", "(", ")", "{", "}", ",", ";",
    ]

    mutating func next(_ mode: ScriptLexMode) throws(LinkError) -> ScriptLexToken {
        try skipBlanks()
        let loc = location
        guard pos < count else { return ScriptLexToken(kind: .eof, text: "", loc: loc) }
        let start = pos
        let c = byte(pos)
        if c == UInt8(ascii: "\"") {
            pos += 1
            while pos < count && byte(pos) != UInt8(ascii: "\"") && byte(pos) != 0x0a { pos += 1 }
            guard byte(pos) == UInt8(ascii: "\"") else { throw error(loc, "unterminated quoted string") }
            pos += 1
            return ScriptLexToken(kind: .string, text: text(start + 1, pos - 1), loc: loc)
        }
        if mode == .name {
            if Self.endsName(c) {
                // `=` may start an assignment operator; the others are single punctuation.
                pos += 1
                if c == UInt8(ascii: "=") && byte(pos) == UInt8(ascii: "=") { pos += 1 }
                return ScriptLexToken(kind: .punct, text: text(start, pos), loc: loc)
            }
            while pos < count && !Self.endsName(byte(pos)) {
                if byte(pos) == UInt8(ascii: "/") && byte(pos + 1) == UInt8(ascii: "*") { break }
                // An assignment operator right after a name (`.+=4`, `x|=1`) ends it.
                if byte(pos + 1) == UInt8(ascii: "=") && pos > start, "+-*/&|^".utf8.contains(byte(pos)) { break }
                pos += 1
            }
            return ScriptLexToken(kind: .word, text: text(start, pos), loc: loc)
        }
        // Expression mode.
        if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
            while pos < count && Self.isIdentifier(byte(pos)) && byte(pos) != UInt8(ascii: ".") { pos += 1 }
            let s = text(start, pos)
            guard let v = Self.parseInteger(s) else { throw error(loc, "malformed number '\(s)'") }
            return ScriptLexToken(kind: .number, text: s, value: v, loc: loc)
        }
        if Self.isIdentifier(c) {
            while pos < count && Self.isIdentifier(byte(pos)) { pos += 1 }
            return ScriptLexToken(kind: .word, text: text(start, pos), loc: loc)
        }
        for op in Self.operators where matches(op) {
            pos += op.utf8.count
            return ScriptLexToken(kind: .punct, text: op, loc: loc)
        }
        throw error(loc, "unexpected character '\(text(start, start + 1))'")
    }

    /// Whether the text after blanks and comments starts with `s` (`/DISCARD/` after a fill
    /// expression is a section, not a division).
    func upcoming(_ s: String) -> Bool {
        var copy = self
        do { try copy.skipBlanks() } catch { return false }
        return copy.matches(s)
    }

    private func matches(_ op: String) -> Bool {
        var i = pos
        for b in op.utf8 {
            if byte(i) != b || i >= count { return false }
            i += 1
        }
        return true
    }

    /// GNU ld integers: decimal, `0x` hex, a leading `0` for octal, `h`/`o`/`d` suffixes for a
    /// radix and `K`/`M` suffixes for a multiple of 1024 / 1024².
    static func parseInteger(_ s: String) -> UInt64? {
        var body = Substring(s)
        var multiplier: UInt64 = 1
        if let last = body.last, last == "K" || last == "k" { multiplier = 1024; body = body.dropLast() }
        else if let last = body.last, last == "M" || last == "m" { multiplier = 1024 * 1024; body = body.dropLast() }
        var radix = 10
        if body.hasPrefix("0x") || body.hasPrefix("0X") { radix = 16; body = body.dropFirst(2) }
        else if let last = body.last, last == "h" || last == "H" { radix = 16; body = body.dropLast() }
        else if let last = body.last, last == "o" || last == "O" { radix = 8; body = body.dropLast() }
        else if let last = body.last, last == "d" || last == "D" { body = body.dropLast() }
        else if body.count > 1 && body.hasPrefix("0") { radix = 8; body = body.dropFirst() }
        guard !body.isEmpty, let v = UInt64(body, radix: radix) else { return nil }
        let (r, overflow) = v.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : r
    }
}
