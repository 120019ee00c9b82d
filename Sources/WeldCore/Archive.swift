#if canImport(Glibc)
import Glibc
#endif

// Reader for `ar` archives, read in place over a MappedFile.
//
// Formats (one parser; each header is classified by its name field, so mixed archives such as
// llvm-ar's BSD-named members with a `/SYM64/` table also work):
// - GNU / SysV: `/` symbol table (32-bit big-endian), `/SYM64/` (64-bit big-endian), `//`
//   long-name table referenced by `/123` names, short names end in `/`.
// - BSD / Darwin: `#1/LEN` names stored at the start of the member data, `__.SYMDEF`,
//   `__.SYMDEF SORTED`, `__.SYMDEF_64` ranlib tables (little-endian, as every producer in use
//   writes them).
// - GNU thin (`!<thin>\n`): regular members have a header but no data; their names (from `//`)
//   are paths relative to the archive's directory. Special members (`/`, `//`) keep their data.
//
// Every header is validated once; a broken archive throws a LinkError naming the file and the
// byte offset and never traps.

/// One member of an archive. For a regular archive the member's bytes are
/// `file.base + dataOffset ..< + size`; for a thin archive they live in the file `thinPath`.
public struct ArchiveMember: Sendable {
    /// The member name as stored (long and BSD names resolved, trailing `/` removed).
    public let name: String
    /// Offset of the member's bytes in the archive (for thin members: just past the header).
    public let dataOffset: Int
    /// Size of the member's bytes (for BSD members: without the name stored before them).
    public let size: Int
    /// For thin archives: the member's path, resolved against the archive's directory.
    public let thinPath: String?
    /// Offset of the member's 60-byte header; symbol tables point here.
    public let headerOffset: Int
}

public final class Archive: @unchecked Sendable {
    public let file: MappedFile
    public let members: [ArchiveMember]
    public let isThin: Bool
    /// False when the archive has no `/`, `/SYM64/` or `__.SYMDEF*` member: the linker then has
    /// to scan the members' own symbol tables.
    public let hasSymbolTable: Bool

    /// One symbol-table entry: a view of the name in the mapping and the member defining it.
    /// 16 bytes, stored in one array: no allocation per symbol.
    @usableFromInline
    struct Symbol {
        @usableFromInline let nameOffset: Int
        @usableFromInline let nameLength: UInt32
        @usableFromInline let member: UInt32
    }

    @usableFromInline let symbols: [Symbol]

    init(file: MappedFile, members: [ArchiveMember], isThin: Bool, hasSymbolTable: Bool,
         symbols: [Symbol]) {
        self.file = file
        self.members = members
        self.isThin = isThin
        self.hasSymbolTable = hasSymbolTable
        self.symbols = symbols
    }

    /// Number of entries in the archive's symbol table (0 without one).
    @inlinable public var symbolCount: Int { symbols.count }

    /// The name of symbol `i`, a view into the mapping (no NUL included).
    @inlinable
    public func symbolName(_ i: Int) -> UnsafeRawBufferPointer {
        let s = symbols[i]
        return UnsafeRawBufferPointer(start: file.base + s.nameOffset, count: Int(s.nameLength))
    }

    /// Index into `members` of the member that defines symbol `i`.
    @inlinable
    public func symbolMember(_ i: Int) -> Int { Int(symbols[i].member) }

    /// The bytes of member `i` inside the archive; nil for thin members (map `thinPath`).
    public func memberData(_ i: Int) -> UnsafeRawBufferPointer? {
        if isThin { return nil }
        let m = members[i]
        return UnsafeRawBufferPointer(start: file.base + m.dataOffset, count: m.size)
    }

    /// Index of the member whose header starts at `headerOffset`, if any.
    public func memberIndex(headerOffset: Int) -> Int? {
        Archive.findMember(members, headerOffset)
    }

    static let magic: UInt64 = 0x0a3e_6863_7261_3c21   // "!<arch>\n" little-endian
    static let thinMagic: UInt64 = 0x0a3e_6e69_6874_3c21 // "!<thin>\n"

    /// True if `bytes` start with a regular or thin archive magic.
    public static func isArchive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 8, let p = bytes.baseAddress else { return false }
        let m = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
        return m == magic || m == thinMagic
    }

    // MARK: - Parsing

    private enum SymbolTableKind { case gnu32, gnu64, bsd32, bsd64 }

    public static func parse(_ file: MappedFile) throws(LinkError) -> Archive {
        let base = file.base
        let size = file.size
        func bad(_ what: String) -> LinkError {
            LinkError("\(file.path): malformed archive: \(what)")
        }
        guard size >= 8 else { throw bad("file is too short for the archive magic") }
        let m = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard m == magic || m == thinMagic else { throw bad("bad magic (expected !<arch> or !<thin>)") }
        let thin = m == thinMagic

        var members: [ArchiveMember] = []
        var longNames: (start: Int, count: Int)? = nil
        var symtab: (kind: SymbolTableKind, start: Int, count: Int, header: Int)? = nil
        var foundSymtab = false
        // A thin archive's members are relative to the archive's directory.
        let dir: String? = thin ? directoryPrefix(file.path) : nil

        var off = 8
        while off < size {
            guard size - off >= 60 else {
                throw bad("member header at offset \(hex(off)) is truncated (\(size - off) of 60 bytes)")
            }
            let h = base + off
            guard h.load(fromByteOffset: 58, as: UInt8.self) == 0x60,
                  h.load(fromByteOffset: 59, as: UInt8.self) == 0x0a else {
                throw bad("member header at offset \(hex(off)) has a bad terminator (expected \"`\\n\")")
            }
            guard let rawSize = parseDecimal(h + 48, 10) else {
                throw bad("member header at offset \(hex(off)) has a bad size field")
            }
            let dataStart = off + 60
            let b0 = h.load(as: UInt8.self)
            var special: SymbolTableKind?? = nil   // .some(nil): `//` or other special, not a member
            var nameStart = off, nameLen = 0       // the name, in the mapping
            var prefix = 0                         // BSD: name bytes before the member's data

            if b0 == UInt8(ascii: "#") && h.load(fromByteOffset: 1, as: UInt8.self) == UInt8(ascii: "1")
                && h.load(fromByteOffset: 2, as: UInt8.self) == UInt8(ascii: "/") {
                // BSD long name: `#1/LEN`, the name is the first LEN bytes of the data.
                guard let n = parseDecimal(h + 3, 13) else {
                    throw bad("member header at offset \(hex(off)) has a bad BSD name length")
                }
                guard n <= rawSize, dataStart + n <= size else {
                    throw bad("member header at offset \(hex(off)) has a BSD name running past the member")
                }
                prefix = n
                nameStart = dataStart
                nameLen = n
                // Producers pad the name with NULs for alignment.
                if let z = memchr(base + nameStart, 0, n) { nameLen = base.distance(to: UnsafeRawPointer(z)) - nameStart }
            } else if b0 == UInt8(ascii: "/") {
                let field = trimmedLength(h, 16)
                let b1 = field > 1 ? h.load(fromByteOffset: 1, as: UInt8.self) : 0
                if field == 1 {
                    special = .some(.gnu32)
                } else if field == 2 && b1 == UInt8(ascii: "/") {
                    special = .some(nil)
                    guard dataStart + rawSize <= size else {
                        throw bad("long-name table at offset \(hex(off)) (size \(rawSize)) runs past the end of the file")
                    }
                    if longNames == nil { longNames = (dataStart, rawSize) }
                } else if field == 7 && equals(h, "/SYM64/") {
                    special = .some(.gnu64)
                } else if b1 >= UInt8(ascii: "0") && b1 <= UInt8(ascii: "9") {
                    // `/123`: the name is at offset 123 in `//`, ended by "\n" (with a `/` before it).
                    guard let lo = parseDecimal(h + 1, 15) else {
                        throw bad("member header at offset \(hex(off)) has a bad long-name offset")
                    }
                    guard let table = longNames, lo < table.count else {
                        throw bad("member header at offset \(hex(off)) has long-name offset \(lo) out of range "
                                  + "(long-name table size \(longNames?.count ?? 0))")
                    }
                    guard let nl = memchr(base + table.start + lo, 0x0a, table.count - lo) else {
                        throw bad("member header at offset \(hex(off)) has an unterminated long name at offset \(lo)")
                    }
                    nameStart = table.start + lo
                    nameLen = base.distance(to: UnsafeRawPointer(nl)) - nameStart
                    if nameLen > 0 && base.load(fromByteOffset: nameStart + nameLen - 1, as: UInt8.self) == UInt8(ascii: "/") {
                        nameLen -= 1
                    }
                } else {
                    // Other `/…` names (`/<ECSYMBOLS>/` and the like in COFF archives) are
                    // tables for other linkers, not members.
                    special = .some(nil)
                }
            } else {
                // Short name: GNU ends it with `/`, BSD pads with spaces only.
                nameStart = off
                nameLen = trimmedLength(h, 16)
                if nameLen > 0 && h.load(fromByteOffset: nameLen - 1, as: UInt8.self) == UInt8(ascii: "/") {
                    nameLen -= 1
                }
            }

            // BSD ranlib tables are ordinary-looking members with reserved names.
            if special == nil {
                let n = UnsafeRawBufferPointer(start: base + nameStart, count: nameLen)
                if bytesEqual(n, "__.SYMDEF") || bytesEqual(n, "__.SYMDEF SORTED") {
                    special = .some(.bsd32)
                } else if bytesEqual(n, "__.SYMDEF_64") || bytesEqual(n, "__.SYMDEF_64 SORTED") {
                    special = .some(.bsd64)
                }
            }

            // Thin archives keep the data of their own tables only.
            let hasData = !thin || special != nil
            if hasData && rawSize > size - dataStart {
                throw bad("member at offset \(hex(off)) (size \(rawSize)) runs past the end of the file (size \(size))")
            }

            if let s = special {
                if let kind = s, !foundSymtab {
                    foundSymtab = true
                    symtab = (kind, dataStart + prefix, rawSize - prefix, off)
                }
            } else {
                let name = String(decoding: UnsafeRawBufferPointer(start: base + nameStart, count: nameLen),
                                  as: UTF8.self)
                var thinPath: String? = nil
                if let dir {
                    thinPath = name.utf8.first == UInt8(ascii: "/") ? name : dir + name
                }
                members.append(ArchiveMember(name: name, dataOffset: dataStart + prefix,
                                             size: rawSize - prefix, thinPath: thinPath,
                                             headerOffset: off))
            }

            // Members are 2-byte aligned; a missing final pad byte is tolerated.
            off = dataStart + (hasData ? rawSize : 0)
            off += off & 1
        }

        var symbols: [Symbol] = []
        if let t = symtab {
            symbols = try parseSymbolTable(base: base, kind: t.kind, start: t.start, count: t.count,
                                           header: t.header, members: members, bad: bad)
        }
        return Archive(file: file, members: members, isThin: thin, hasSymbolTable: foundSymtab,
                       symbols: symbols)
    }

    /// Decodes a symbol table into (name view, member index) entries. Offsets in the table point
    /// at member headers; each must be the header of a member found by the scan.
    private static func parseSymbolTable(
        base: UnsafeRawPointer, kind: SymbolTableKind, start: Int, count len: Int, header: Int,
        members: [ArchiveMember], bad: (String) -> LinkError
    ) throws(LinkError) -> [Symbol] {
        let at = hex(header)
        let p = base + start
        let word = (kind == .gnu32 || kind == .bsd32) ? 4 : 8
        @inline(__always) func load(_ o: Int) -> UInt64 {
            switch kind {
            case .gnu32: return UInt64(UInt32(bigEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
            case .gnu64: return UInt64(bigEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self))
            case .bsd32: return UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
            case .bsd64: return UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self))
            }
        }
        guard len >= word else { throw bad("symbol table at offset \(at) is truncated") }

        // Lay out: where the (offset) entries start, their stride, where strings are.
        let n: Int, entries: Int, stride: Int, strStart: Int, strEnd: Int
        switch kind {
        case .gnu32, .gnu64:
            // count, offsets[count], NUL-terminated names in the same order.
            let c = load(0)
            guard c <= UInt64((len - word) / word) else {
                throw bad("symbol table at offset \(at) has \(c) entries, more than fit in its \(len) bytes")
            }
            n = Int(c); entries = word; stride = word
            strStart = word + n * word; strEnd = len
        case .bsd32, .bsd64:
            // ranlib-size, {strx, offset}[ranlib-size / (2*word)], strtab-size, strtab.
            let r = load(0)
            guard r <= UInt64(len - word), r % UInt64(2 * word) == 0, Int(r) + 2 * word <= len else {
                throw bad("symbol table at offset \(at) has a bad ranlib size \(r)")
            }
            let s = load(word + Int(r))
            guard s <= UInt64(len - 2 * word - Int(r)) else {
                throw bad("symbol table at offset \(at) has a string table size \(s) running past the member")
            }
            n = Int(r) / (2 * word); entries = word; stride = 2 * word
            strStart = 2 * word + Int(r); strEnd = strStart + Int(s)
        }

        var symbols: [Symbol] = []
        symbols.reserveCapacity(n)
        // Names ending inside the table: with a NUL as its last byte, `strlen` cannot leave it.
        let terminated = strEnd > strStart && p.load(fromByteOffset: strEnd - 1, as: UInt8.self) == 0
        var cursor = strStart       // GNU: names follow one another
        var last = 0                // symbols come grouped by member: try the last hit first
        for i in 0..<n {
            let target: UInt64
            var nameAt: Int
            if kind == .gnu32 || kind == .gnu64 {
                target = load(entries + i * stride)
                nameAt = cursor
            } else {
                let strx = load(entries + i * stride)
                target = load(entries + i * stride + word)
                guard strx < UInt64(strEnd - strStart) else {
                    throw bad("symbol table at offset \(at): entry \(i) has name offset \(strx) out of range")
                }
                nameAt = strStart + Int(strx)
            }
            let nameLen: Int
            if nameAt < strEnd && terminated {
                nameLen = strlen((p + nameAt).assumingMemoryBound(to: CChar.self))
            } else {
                guard nameAt < strEnd, let z = memchr(p + nameAt, 0, strEnd - nameAt) else {
                    throw bad("symbol table at offset \(at): name of entry \(i) runs past the end of the table")
                }
                nameLen = p.distance(to: UnsafeRawPointer(z)) - nameAt
            }
            cursor = nameAt + nameLen + 1

            var idx = -1
            if target <= UInt64(Int.max) {
                let t = Int(target)
                if last < members.count && members[last].headerOffset == t {
                    idx = last
                } else if last + 1 < members.count && members[last + 1].headerOffset == t {
                    idx = last + 1
                } else if let j = findMember(members, t) {
                    idx = j
                }
            }
            guard idx >= 0, nameLen <= Int(UInt32.max) else {
                throw bad("symbol table at offset \(at): entry \(i) points at offset \(hex(target)), "
                          + "which is not a member header")
            }
            last = idx
            symbols.append(Symbol(nameOffset: start + nameAt, nameLength: UInt32(nameLen),
                                  member: UInt32(idx)))
        }
        return symbols
    }

    /// Binary search over members (sorted by header offset, as scanned).
    static func findMember(_ members: [ArchiveMember], _ headerOffset: Int) -> Int? {
        var lo = 0, hi = members.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let o = members[mid].headerOffset
            if o == headerOffset { return mid }
            if o < headerOffset { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }
}

// MARK: - Small helpers over raw header bytes

/// Parses a left-aligned, space-padded ASCII decimal field (at least one digit, then only
/// spaces), as ar writes sizes and offsets. Nil if malformed.
@inline(__always)
private func parseDecimal(_ p: UnsafeRawPointer, _ width: Int) -> Int? {
    var v = 0, i = 0
    while i < width {
        let c = p.load(fromByteOffset: i, as: UInt8.self)
        if c < UInt8(ascii: "0") || c > UInt8(ascii: "9") { break }
        v = v * 10 + Int(c - UInt8(ascii: "0"))   // at most 15 digits: no overflow
        i += 1
    }
    if i == 0 { return nil }
    while i < width {
        if p.load(fromByteOffset: i, as: UInt8.self) != 0x20 { return nil }
        i += 1
    }
    return v
}

/// Length of a space-padded field without its trailing spaces.
@inline(__always)
private func trimmedLength(_ p: UnsafeRawPointer, _ width: Int) -> Int {
    var n = width
    while n > 0 && p.load(fromByteOffset: n - 1, as: UInt8.self) == 0x20 { n -= 1 }
    return n
}

private func equals(_ p: UnsafeRawPointer, _ s: StaticString) -> Bool {
    s.withUTF8Buffer { memcmp(p, $0.baseAddress!, $0.count) == 0 }
}

private func bytesEqual(_ b: UnsafeRawBufferPointer, _ s: StaticString) -> Bool {
    b.count == s.utf8CodeUnitCount && (b.count == 0 || equals(b.baseAddress!, s))
}

private func hex(_ v: Int) -> String { "0x" + String(v, radix: 16) }
private func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

/// "dir/lib.a" → "dir/", "lib.a" → "" (thin members are then relative to the current directory).
private func directoryPrefix(_ path: String) -> String {
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
    return String(path[...slash])
}
