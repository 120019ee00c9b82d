import WeldCore

/// A scalar in a `.tbd` file, kept as a byte range of the mapped input. Only a quoted scalar
/// with escapes is ever copied, so reading a large stub allocates per list, not per symbol.
struct TextStubScalar {
    enum Style: UInt8 { case plain, singleQuoted, doubleQuoted }
    /// Byte offsets of the content (quotes excluded).
    var start: Int
    var end: Int
    var style: Style
    /// The content contains `''` (single-quoted) or a backslash escape (double-quoted).
    var hasEscapes: Bool

    /// Where the scalar starts in the file, its opening quote included.
    var offset: Int { style == .plain ? start : start - 1 }
}

/// One entry of a mapping: the key and its value.
struct TextStubMappingEntry {
    var key: TextStubScalar
    var value: TextStubNode
}

/// The tree both the YAML-subset (v4) and the JSON (v5) parsers produce. Every node records
/// the byte offset where it starts, so the readers can name the line and column of a
/// malformed value.
enum TextStubNode {
    case null(at: Int)
    case scalar(TextStubScalar)
    case sequence([TextStubNode], at: Int)
    case mapping([TextStubMappingEntry], at: Int)

    var offset: Int {
        switch self {
        case .null(let at): return at
        case .scalar(let s): return s.offset
        case .sequence(_, let at): return at
        case .mapping(_, let at): return at
        }
    }

    var kindName: String {
        switch self {
        case .null: return "an empty value"
        case .scalar: return "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// The input text of one `.tbd` file and what is needed to report a position in it.
struct TextStubSource {
    let bytes: UnsafeRawBufferPointer
    let path: String
    /// Nesting limit of lists and mappings: deeper input is an error, never a stack overflow.
    static let maxDepth = 64

    var count: Int { bytes.count }

    @inline(__always) func byte(_ i: Int) -> UInt8 { bytes[i] }

    /// 1-based line and column of a byte offset. Only called on the error path.
    func lineAndColumn(_ offset: Int) -> (line: Int, column: Int) {
        var line = 1, lineStart = 0
        let limit = min(max(offset, 0), count)
        var i = 0
        while i < limit {
            if bytes[i] == UInt8(ascii: "\n") { line += 1; lineStart = i + 1 }
            i += 1
        }
        return (line, limit - lineStart + 1)
    }

    func error(_ message: String, at offset: Int) -> LinkError {
        let (line, column) = lineAndColumn(offset)
        return LinkError("\(path):\(line):\(column): \(message)")
    }

    /// Whether the scalar's content equals `literal` byte for byte (escaped scalars never
    /// name a key we look for, so they compare unequal unless unescaped content matches).
    func equals(_ s: TextStubScalar, _ literal: StaticString) -> Bool {
        if s.hasEscapes { return string(s) == literal.description }
        let n = literal.utf8CodeUnitCount
        guard s.end - s.start == n else { return false }
        let lit = literal.utf8Start
        for i in 0..<n where bytes[s.start + i] != lit[i] { return false }
        return true
    }

    /// Appends the scalar's content, unescaped, to `pool`.
    func append(_ s: TextStubScalar, to pool: inout [UInt8]) {
        if !s.hasEscapes {
            pool.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[s.start..<s.end]))
            return
        }
        var i = s.start
        while i < s.end {
            let c = bytes[i]
            if s.style == .singleQuoted, c == UInt8(ascii: "'") {
                pool.append(c); i += 2; continue  // '' is one quote
            }
            if s.style == .doubleQuoted, c == UInt8(ascii: "\\"), i + 1 < s.end {
                i += 1
                switch bytes[i] {
                case UInt8(ascii: "n"): pool.append(10)
                case UInt8(ascii: "t"): pool.append(9)
                case UInt8(ascii: "r"): pool.append(13)
                case UInt8(ascii: "0"): pool.append(0)
                case UInt8(ascii: "b"): pool.append(8)
                case UInt8(ascii: "f"): pool.append(12)
                case UInt8(ascii: "u"):
                    // \uXXXX; validated by the parser, encoded as UTF-8.
                    var v: UInt32 = 0
                    var k = 1
                    while k <= 4, i + k < s.end, let d = hexValue(bytes[i + k]) { v = v << 4 | UInt32(d); k += 1 }
                    i += k - 1
                    appendUTF8(v, to: &pool)
                case UInt8(ascii: "x"):
                    var v: UInt32 = 0
                    var k = 1
                    while k <= 2, i + k < s.end, let d = hexValue(bytes[i + k]) { v = v << 4 | UInt32(d); k += 1 }
                    i += k - 1
                    appendUTF8(v, to: &pool)
                default: pool.append(bytes[i])  // \\ \" \/ and anything else: the character itself
                }
                i += 1
                continue
            }
            pool.append(c)
            i += 1
        }
    }

    func string(_ s: TextStubScalar) -> String {
        var pool: [UInt8] = []
        append(s, to: &pool)
        return String(decoding: pool, as: UTF8.self)
    }
}

@inline(__always) func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}

private func appendUTF8(_ v: UInt32, to pool: inout [UInt8]) {
    guard let scalar = Unicode.Scalar(v) else { pool.append(contentsOf: [0xEF, 0xBF, 0xBD]); return }
    pool.append(contentsOf: String(Character(scalar)).utf8)
}
