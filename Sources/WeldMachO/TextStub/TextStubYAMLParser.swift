import WeldCore

/// Parses the YAML subset that TAPI writes for `.tbd` v1–v4: a stream of `---` documents
/// (`--- !tapi-tbd` … `...`), block mappings and block sequences by indentation, flow lists
/// `[ a, b ]` and flow mappings `{ k: v }` that may span lines, plain, 'single' and "double"
/// quoted scalars, and `#` comments. Anchors, aliases, block scalars (`|`, `>`) and multi-line
/// plain scalars are not part of the format and are reported as errors.
struct TextStubYAMLParser {
    let source: TextStubSource
    private var pos = 0
    private var lineStart = 0
    private var depth = 0

    /// `start`: where the text begins (after a byte-order mark, if any).
    init(source: TextStubSource, start: Int = 0) {
        self.source = source
        self.pos = start
        self.lineStart = start  // columns count from after the mark
    }

    /// One parsed document: its root node and the tag after `---` (e.g. `!tapi-tbd`), if any.
    struct Document {
        var root: TextStubNode
        var tag: String?
        var offset: Int
    }

    mutating func parseStream() throws(LinkError) -> [Document] {
        var documents: [Document] = []
        while true {
            skipTrivia()
            if atEnd { break }
            let docStart = pos
            var tag: String? = nil
            if atMarker("---") {
                pos += 3
                skipSpacesInLine()
                if !atLineEnd {
                    let t = pos
                    while !atLineEnd, peek() != UInt8(ascii: " "), peek() != UInt8(ascii: "\t") { pos += 1 }
                    tag = String(decoding: UnsafeRawBufferPointer(rebasing: source.bytes[t..<pos]), as: UTF8.self)
                    try expectLineEnd()
                }
            } else if atMarker("...") {
                throw source.error("document end marker '...' without a document", at: pos)
            }
            let root = try parseBlock(parentIndent: -1)
            documents.append(Document(root: root, tag: tag, offset: docStart))
            skipTrivia()
            if atMarker("...") {
                pos += 3
                try expectLineEnd()
                skipTrivia()
            }
            if !atEnd && !atMarker("---") {
                throw source.error("expected a new document ('---') or the document end ('...')", at: pos)
            }
        }
        return documents
    }

    // MARK: - Characters

    private var atEnd: Bool { pos >= source.count }
    private var column: Int { pos - lineStart }

    @inline(__always) private func peek(_ k: Int = 0) -> UInt8 {
        pos + k < source.count ? source.byte(pos + k) : 0
    }

    @inline(__always) private static func isBlank(_ c: UInt8) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") || c == 0
    }

    private var atLineEnd: Bool {
        atEnd || peek() == UInt8(ascii: "\n") || peek() == UInt8(ascii: "\r")
    }

    /// At `---` or `...` in column 0, followed by a blank: a document boundary.
    private func atMarker(_ marker: StaticString) -> Bool {
        guard column == 0, pos + 3 <= source.count else { return false }
        let m = marker.utf8Start
        for i in 0..<3 where source.byte(pos + i) != m[i] { return false }
        return Self.isBlank(peek(3))
    }

    private var atAnyMarker: Bool { atMarker("---") || atMarker("...") }

    /// Skips spaces, line breaks and comments.
    private mutating func skipTrivia() {
        while pos < source.count {
            let c = source.byte(pos)
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") {
                pos += 1
            } else if c == UInt8(ascii: "\n") {
                pos += 1
                lineStart = pos
            } else if c == UInt8(ascii: "#") {
                while pos < source.count, source.byte(pos) != UInt8(ascii: "\n") { pos += 1 }
            } else {
                break
            }
        }
    }

    /// Skips spaces and a trailing comment, staying on the current line.
    private mutating func skipSpacesInLine() {
        while pos < source.count, source.byte(pos) == UInt8(ascii: " ") || source.byte(pos) == UInt8(ascii: "\t") { pos += 1 }
        if peek() == UInt8(ascii: "#") {
            while pos < source.count, source.byte(pos) != UInt8(ascii: "\n") { pos += 1 }
        }
    }

    private mutating func expectLineEnd() throws(LinkError) {
        skipSpacesInLine()
        if !atLineEnd {
            throw source.error("unexpected '\(printable(peek()))' after a value", at: pos)
        }
    }

    private var atSequenceItem: Bool { peek() == UInt8(ascii: "-") && Self.isBlank(peek(1)) }

    /// After a scalar: a `:` followed by a blank makes it a mapping key.
    private mutating func consumeKeyColon() -> Bool {
        let save = pos
        while peek() == UInt8(ascii: " ") || peek() == UInt8(ascii: "\t") { pos += 1 }
        if peek() == UInt8(ascii: ":") && Self.isBlank(peek(1)) {
            pos += 1
            return true
        }
        pos = save
        return false
    }

    private mutating func enter() throws(LinkError) {
        depth += 1
        if depth > TextStubSource.maxDepth {
            throw source.error("nesting deeper than \(TextStubSource.maxDepth) levels", at: pos)
        }
    }

    // MARK: - Block structure

    /// A node whose first token sits on a later line than its parent's, indented further
    /// than `parentIndent`; anything less indented means the value is empty.
    private mutating func parseBlock(parentIndent: Int) throws(LinkError) -> TextStubNode {
        skipTrivia()
        if atEnd || atAnyMarker || column <= parentIndent { return .null(at: pos) }
        try enter()
        defer { depth -= 1 }
        let indent = column
        if atSequenceItem { return try parseBlockSequence(indent: indent) }
        if peek() == UInt8(ascii: "[") || peek() == UInt8(ascii: "{") {
            let node = try parseFlow()
            try expectLineEnd()
            return node
        }
        let scalar = try scanScalar(inFlow: false)
        if consumeKeyColon() { return try parseBlockMapping(indent: indent, firstKey: scalar) }
        try expectLineEnd()
        return .scalar(scalar)
    }

    /// A block mapping whose keys sit at column `indent`; the first key and its `:` are
    /// already consumed.
    private mutating func parseBlockMapping(indent: Int, firstKey: TextStubScalar) throws(LinkError) -> TextStubNode {
        let at = firstKey.offset
        var entries: [TextStubMappingEntry] = []
        var key = firstKey
        while true {
            let value = try parseMappingValue(indent: indent)
            entries.append(TextStubMappingEntry(key: key, value: value))
            skipTrivia()
            if atEnd || atAnyMarker || column < indent { break }
            if column > indent {
                throw source.error("unexpected indentation (column \(column + 1), the mapping's keys are at column \(indent + 1))", at: pos)
            }
            if atSequenceItem {
                throw source.error("a list item where a mapping key was expected", at: pos)
            }
            key = try scanScalar(inFlow: false)
            if !consumeKeyColon() {
                throw source.error("expected ':' after the mapping key '\(source.string(key))'", at: pos)
            }
        }
        return .mapping(entries, at: at)
    }

    /// The value after `key:`: inline on the same line, or a block on the following lines.
    /// A block sequence may sit at the key's own indentation (`key:` then `- item`).
    private mutating func parseMappingValue(indent: Int) throws(LinkError) -> TextStubNode {
        skipSpacesInLine()
        if atLineEnd {
            skipTrivia()
            if atEnd || atAnyMarker { return .null(at: pos) }
            if column > indent { return try parseBlock(parentIndent: indent) }
            if column == indent && atSequenceItem {
                try enter()
                defer { depth -= 1 }
                return try parseBlockSequence(indent: indent)
            }
            return .null(at: pos)
        }
        let node = try parseInline()
        try expectLineEnd()
        return node
    }

    private mutating func parseInline() throws(LinkError) -> TextStubNode {
        let c = peek()
        if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") { return try parseFlow() }
        if c == UInt8(ascii: "|") || c == UInt8(ascii: ">") {
            throw source.error("block scalars ('|', '>') are not supported in .tbd files", at: pos)
        }
        if atSequenceItem {
            throw source.error("a list item cannot start on the line of its mapping key", at: pos)
        }
        return .scalar(try scanScalar(inFlow: false))
    }

    /// A block sequence whose `-` markers sit at column `indent`; positioned on the first `-`.
    private mutating func parseBlockSequence(indent: Int) throws(LinkError) -> TextStubNode {
        let at = pos
        var items: [TextStubNode] = []
        while true {
            pos += 1  // the '-'
            skipSpacesInLine()
            let item: TextStubNode
            if atLineEnd {
                item = try parseBlock(parentIndent: indent)
            } else {
                let itemColumn = column
                try enter()
                if atSequenceItem {
                    item = try parseBlockSequence(indent: itemColumn)
                } else if peek() == UInt8(ascii: "[") || peek() == UInt8(ascii: "{") {
                    item = try parseFlow()
                    try expectLineEnd()
                } else {
                    let scalar = try scanScalar(inFlow: false)
                    if consumeKeyColon() {
                        item = try parseBlockMapping(indent: itemColumn, firstKey: scalar)
                    } else {
                        try expectLineEnd()
                        item = .scalar(scalar)
                    }
                }
                depth -= 1
            }
            items.append(item)
            skipTrivia()
            if atEnd || atAnyMarker || column < indent { break }
            if column == indent {
                if atSequenceItem { continue }
                break  // the parent mapping's next key
            }
            throw source.error("unexpected indentation (column \(column + 1), the list's items are at column \(indent + 1))", at: pos)
        }
        return .sequence(items, at: at)
    }

    // MARK: - Flow structure

    /// `[ … ]`, `{ … }` or a scalar inside them. Line breaks and comments are allowed
    /// between tokens.
    private mutating func parseFlow() throws(LinkError) -> TextStubNode {
        skipTrivia()
        let open = pos
        let c = peek()
        if c == UInt8(ascii: "[") {
            try enter()
            defer { depth -= 1 }
            pos += 1
            var items: [TextStubNode] = []
            while true {
                skipTrivia()
                if atEnd { throw source.error("unterminated list: '[' is never closed", at: open) }
                if peek() == UInt8(ascii: "]") { pos += 1; break }
                items.append(try parseFlow())
                skipTrivia()
                if peek() == UInt8(ascii: ",") { pos += 1; continue }
                if peek() == UInt8(ascii: "]") { pos += 1; break }
                if atEnd { throw source.error("unterminated list: '[' is never closed", at: open) }
                let (l, c) = source.lineAndColumn(open)
                throw source.error("expected ',' or ']' in the list opened at \(l):\(c), found '\(printable(peek()))'", at: pos)
            }
            return .sequence(items, at: open)
        }
        if c == UInt8(ascii: "{") {
            try enter()
            defer { depth -= 1 }
            pos += 1
            var entries: [TextStubMappingEntry] = []
            while true {
                skipTrivia()
                if atEnd { throw source.error("unterminated mapping: '{' is never closed", at: open) }
                if peek() == UInt8(ascii: "}") { pos += 1; break }
                let key = try scanScalar(inFlow: true)
                skipTrivia()
                guard peek() == UInt8(ascii: ":") else {
                    throw source.error("expected ':' after the mapping key '\(source.string(key))'", at: pos)
                }
                pos += 1
                let value = try parseFlow()
                entries.append(TextStubMappingEntry(key: key, value: value))
                skipTrivia()
                if peek() == UInt8(ascii: ",") { pos += 1; continue }
                if peek() == UInt8(ascii: "}") { pos += 1; break }
                if atEnd { throw source.error("unterminated mapping: '{' is never closed", at: open) }
                let (l, c) = source.lineAndColumn(open)
                throw source.error("expected ',' or '}' in the mapping opened at \(l):\(c), found '\(printable(peek()))'", at: pos)
            }
            return .mapping(entries, at: open)
        }
        return .scalar(try scanScalar(inFlow: true))
    }

    // MARK: - Scalars

    private mutating func scanScalar(inFlow: Bool) throws(LinkError) -> TextStubScalar {
        let c = peek()
        if atEnd { throw source.error("expected a value, found the end of the file", at: pos) }
        if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
            let quote = c
            let open = pos
            pos += 1
            let start = pos
            var escapes = false
            while true {
                if atLineEnd { throw source.error("unterminated quoted string", at: open) }
                let d = source.byte(pos)
                if quote == UInt8(ascii: "'") && d == quote {
                    if peek(1) == quote { escapes = true; pos += 2; continue }
                    break
                }
                if quote == UInt8(ascii: "\"") {
                    if d == quote { break }
                    if d == UInt8(ascii: "\\") {
                        escapes = true
                        if pos + 1 >= source.count || source.byte(pos + 1) == UInt8(ascii: "\n") {
                            throw source.error("unterminated quoted string", at: open)
                        }
                        pos += 2
                        continue
                    }
                }
                pos += 1
            }
            let end = pos
            pos += 1  // closing quote
            return TextStubScalar(start: start, end: end,
                                  style: quote == UInt8(ascii: "'") ? .singleQuoted : .doubleQuoted,
                                  hasEscapes: escapes)
        }
        switch c {
        case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "{"),
             UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "%"), UInt8(ascii: "@"),
             UInt8(ascii: "`"), UInt8(ascii: "#"), UInt8(ascii: "|"), UInt8(ascii: ">"):
            throw source.error("unexpected '\(printable(c))' where a value was expected", at: pos)
        case UInt8(ascii: ":") where Self.isBlank(peek(1)):
            throw source.error("unexpected ':' where a value was expected", at: pos)
        default: break
        }
        let start = pos
        while pos < source.count {
            let d = source.byte(pos)
            // Fast path: symbol characters. Every byte that can end a plain scalar is below
            // '0' or is ':', '[', ']', '{' or '}' (bit 5 set folds brackets onto braces).
            if d >= UInt8(ascii: "0") && d != UInt8(ascii: ":") && d | 0x20 != UInt8(ascii: "{") && d | 0x20 != UInt8(ascii: "}") {
                pos += 1
                continue
            }
            if d == UInt8(ascii: "\n") || d == UInt8(ascii: "\r") { break }
            if d == UInt8(ascii: ":") {
                let n = peek(1)
                if Self.isBlank(n) { break }
                if inFlow && (n == UInt8(ascii: ",") || n == UInt8(ascii: "]") || n == UInt8(ascii: "}")) { break }
            }
            if d == UInt8(ascii: "#") && pos > start
                && (source.byte(pos - 1) == UInt8(ascii: " ") || source.byte(pos - 1) == UInt8(ascii: "\t")) { break }
            if inFlow && (d == UInt8(ascii: ",") || d == UInt8(ascii: "]") || d == UInt8(ascii: "}")
                || d == UInt8(ascii: "[") || d == UInt8(ascii: "{")) { break }
            pos += 1
        }
        var end = pos
        while end > start && (source.byte(end - 1) == UInt8(ascii: " ") || source.byte(end - 1) == UInt8(ascii: "\t")) { end -= 1 }
        if end == start { throw source.error("expected a value", at: start) }
        return TextStubScalar(start: start, end: end, style: .plain, hasEscapes: false)
    }
}

/// A byte as it should appear inside a diagnostic.
func printable(_ c: UInt8) -> String {
    if c == 0 { return "end of file" }
    if c >= 0x20 && c < 0x7f { return String(UnicodeScalar(c)) }
    if c == 10 { return "\\n" }
    return "\\x" + String(c, radix: 16)
}
