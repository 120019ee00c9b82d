import WeldCore

/// Parses JSON (RFC 8259) for `.tbd` v5 into the same tree the YAML parser builds: objects
/// become mappings, arrays sequences, strings double-quoted scalars, numbers and `true` /
/// `false` plain scalars, `null` a null node. Strings stay byte ranges of the input.
struct TextStubJSONParser {
    let source: TextStubSource
    private var pos = 0
    private var depth = 0

    /// `start`: where the text begins (after a byte-order mark, if any).
    init(source: TextStubSource, start: Int = 0) {
        self.source = source
        self.pos = start
    }

    mutating func parseDocument() throws(LinkError) -> TextStubNode {
        let root = try parseValue()
        skipWhitespace()
        if pos < source.count {
            throw source.error("unexpected '\(printable(source.byte(pos)))' after the JSON document", at: pos)
        }
        return root
    }

    @inline(__always) private func peek() -> UInt8 { pos < source.count ? source.byte(pos) : 0 }

    private mutating func skipWhitespace() {
        while pos < source.count {
            let c = source.byte(pos)
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            pos += 1
        }
    }

    private mutating func parseValue() throws(LinkError) -> TextStubNode {
        skipWhitespace()
        guard pos < source.count else { throw source.error("expected a JSON value, found the end of the file", at: pos) }
        let start = pos
        switch peek() {
        case UInt8(ascii: "{"):
            depth += 1
            defer { depth -= 1 }
            if depth > TextStubSource.maxDepth { throw source.error("nesting deeper than \(TextStubSource.maxDepth) levels", at: pos) }
            pos += 1
            var entries: [TextStubMappingEntry] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { pos += 1; return .mapping(entries, at: start) }
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else {
                    throw source.error(pos < source.count ? "expected a string key in a JSON object, found '\(printable(peek()))'"
                                                          : "unterminated JSON object", at: pos < source.count ? pos : start)
                }
                let key = try parseString()
                skipWhitespace()
                guard peek() == UInt8(ascii: ":") else { throw source.error("expected ':' after the key '\(source.string(key))'", at: pos) }
                pos += 1
                entries.append(TextStubMappingEntry(key: key, value: try parseValue()))
                skipWhitespace()
                if peek() == UInt8(ascii: ",") { pos += 1; continue }
                if peek() == UInt8(ascii: "}") { pos += 1; break }
                if pos >= source.count { throw source.error("unterminated JSON object: '{' is never closed", at: start) }
                throw source.error("expected ',' or '}' in a JSON object, found '\(printable(peek()))'", at: pos)
            }
            return .mapping(entries, at: start)
        case UInt8(ascii: "["):
            depth += 1
            defer { depth -= 1 }
            if depth > TextStubSource.maxDepth { throw source.error("nesting deeper than \(TextStubSource.maxDepth) levels", at: pos) }
            pos += 1
            var items: [TextStubNode] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { pos += 1; return .sequence(items, at: start) }
            while true {
                items.append(try parseValue())
                skipWhitespace()
                if peek() == UInt8(ascii: ",") { pos += 1; continue }
                if peek() == UInt8(ascii: "]") { pos += 1; break }
                if pos >= source.count { throw source.error("unterminated JSON array: '[' is never closed", at: start) }
                throw source.error("expected ',' or ']' in a JSON array, found '\(printable(peek()))'", at: pos)
            }
            return .sequence(items, at: start)
        case UInt8(ascii: "\""):
            return .scalar(try parseString())
        case UInt8(ascii: "t"):
            try expectWord("true"); return .scalar(TextStubScalar(start: start, end: pos, style: .plain, hasEscapes: false))
        case UInt8(ascii: "f"):
            try expectWord("false"); return .scalar(TextStubScalar(start: start, end: pos, style: .plain, hasEscapes: false))
        case UInt8(ascii: "n"):
            try expectWord("null"); return .null(at: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            if peek() == UInt8(ascii: "-") { pos += 1 }
            var digits = 0
            while pos < source.count {
                let c = source.byte(pos)
                let isNumberByte = (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ".")
                    || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
                guard isNumberByte else { break }
                if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") { digits += 1 }
                pos += 1
            }
            if digits == 0 { throw source.error("malformed number", at: start) }
            return .scalar(TextStubScalar(start: start, end: pos, style: .plain, hasEscapes: false))
        default:
            throw source.error("unexpected '\(printable(peek()))' where a JSON value was expected", at: pos)
        }
    }

    private mutating func expectWord(_ word: StaticString) throws(LinkError) {
        let n = word.utf8CodeUnitCount
        let w = word.utf8Start
        let start = pos
        for i in 0..<n {
            guard pos + i < source.count, source.byte(pos + i) == w[i] else {
                throw source.error("unexpected '\(printable(source.byte(start)))' where a JSON value was expected", at: start)
            }
        }
        pos += n
    }

    /// A string; positioned on its opening quote. Escapes are validated here so that
    /// unescaping later cannot fail.
    private mutating func parseString() throws(LinkError) -> TextStubScalar {
        let open = pos
        pos += 1
        let start = pos
        var escapes = false
        while true {
            guard pos < source.count else { throw source.error("unterminated string", at: open) }
            let c = source.byte(pos)
            if c == UInt8(ascii: "\"") { break }
            if c < 0x20 { throw source.error("control character \(printable(c)) inside a string", at: pos) }
            if c == UInt8(ascii: "\\") {
                escapes = true
                guard pos + 1 < source.count else { throw source.error("unterminated string", at: open) }
                let e = source.byte(pos + 1)
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    pos += 2
                case UInt8(ascii: "u"):
                    for k in 2..<6 {
                        guard pos + k < source.count, hexValue(source.byte(pos + k)) != nil else {
                            throw source.error("malformed \\u escape", at: pos)
                        }
                    }
                    pos += 6
                default:
                    throw source.error("unknown escape '\\\(printable(e))' in a string", at: pos)
                }
                continue
            }
            pos += 1
        }
        let end = pos
        pos += 1
        return TextStubScalar(start: start, end: end, style: .doubleQuoted, hasEscapes: escapes)
    }
}
