import WeldCore
import Synchronization

// Source file and line for a place in an input object, read from its DWARF `.debug_line`, for
// error messages ("undefined symbol: foo / >>> referenced by main.c:12"). This runs only on the
// error path, so it favours clarity over speed; it reads untrusted bytes, so every read is
// bounds-checked and a malformed table gives "no information" (nil), never a trap.
//
// In a relocatable object the line table's addresses are section-relative: each sequence's
// DW_LNE_set_address operand is 0 in the file, and its R_X86_64_64 relocation in
// .rela.debug_line names the section (through a section symbol) and the offset (its addend).
// DWARF 5 strings in DW_FORM_line_strp / DW_FORM_strp are likewise found through their
// R_X86_64_32 relocation against .debug_line_str / .debug_str.

/// A place in source code, as an object's line table gives it.
public struct SourceLocation: Equatable, Sendable, CustomStringConvertible {
    /// The file as completely as the line table names it: directory joined with file name
    /// ("/home/me/src/main.c"), or just the name when the table gives no directory ("main.c").
    public var path: String
    public var line: Int
    /// 0 when the table gives no column.
    public var column: Int

    public init(path: String, line: Int, column: Int) { self.path = path; self.line = line; self.column = column }

    /// The last component of `path`.
    public var fileName: String {
        if let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) {
            return String(path[path.utf8.index(after: slash)...])
        }
        return path
    }

    /// lld's form: "main.c:12", followed by " (/home/me/src/main.c:12)" when the path says more
    /// than the file name.
    public var description: String {
        let name = fileName
        return name == path ? "\(name):\(line)" : "\(name):\(line) (\(path):\(line))"
    }
}

/// Every row of every line program in one object's `.debug_line` section(s), with the section
/// each row's address belongs to. Built once per object (see `sourceLocation`).
public struct DebugLineTable: Sendable {
    struct Row {
        var section: Int32      // input section index, -1 if the address is not relocated
        var address: UInt64     // offset in that section
        var file: Int32         // index in `paths`, -1 if the file index is out of range
        var line: UInt32
        var column: UInt32
    }
    /// Rows in program order; `sequences` delimits each sequence (the last row of a sequence
    /// is its DW_LNE_end_sequence row, whose address ends the range of the one before it).
    var rows: [Row] = []
    var sequences: [Range<Int>] = []
    /// Full file paths of all units, each unit's files consecutive.
    var paths: [String] = []

    /// Reads all line programs of `obj`. Units that are malformed are dropped (with any rows
    /// after the point where they went wrong); the others are kept.
    public init(_ obj: ObjectFile) {
        for case let sec? in obj.sections where sec.name.equals(".debug_line") && !sec.isNoBits {
            let reader = DebugLineReader(obj: obj, sec: sec)
            reader.readAll(into: &self)
        }
    }

    /// The source location of `offset` in input section `section`, nil if the line table does
    /// not cover it (or says line 0, "no source line").
    public func lookup(section: Int, offset: UInt64) -> SourceLocation? {
        let s = Int32(truncatingIfNeeded: section)
        for seq in sequences where seq.count >= 2 {
            for k in seq.lowerBound..<(seq.upperBound - 1) {
                let r = rows[k], next = rows[k + 1]
                if r.section != s || next.section != s { continue }
                // Rows are ordered by address inside a sequence; the last row at an address wins.
                if r.address <= offset && offset < next.address {
                    if r.line == 0 || r.file < 0 || Int(r.file) >= paths.count { return nil }
                    return SourceLocation(path: paths[Int(r.file)], line: Int(r.line), column: Int(r.column))
                }
            }
        }
        return nil
    }

    /// Is there any row at all? (False for objects without debug info.)
    public var isEmpty: Bool { rows.isEmpty }
}

// MARK: - cached lookups for diagnostics

/// Line tables already read, per object. Objects live for the whole link, and the entry holds
/// its object, so an ObjectIdentifier is never reused for a different object while cached.
private let lineTableCache = Mutex<[ObjectIdentifier: (ObjectFile, DebugLineTable)]>([:])

/// The line table of `obj`, read on first use.
public func debugLineTable(_ obj: ObjectFile) -> DebugLineTable {
    let key = ObjectIdentifier(obj)
    if let cached = lineTableCache.withLock({ $0[key]?.1 }) { return cached }
    let table = DebugLineTable(obj)
    lineTableCache.withLock { $0[key] = (obj, table) }
    return table
}

/// Source file and line of byte `offset` in section `section` of `obj`, from its DWARF line
/// table; nil if the object has none or it does not cover that place.
public func sourceLocation(_ obj: ObjectFile, section: Int, offset: UInt64) -> SourceLocation? {
    if section <= 0 || section >= obj.sections.count { return nil }
    return debugLineTable(obj).lookup(section: section, offset: offset)
}

/// Source location of the definition of symbol `i` of `obj` (its section and value), nil for
/// symbols outside a section or without line information (data, usually).
public func sourceLocation(_ obj: ObjectFile, symbol i: Int) -> SourceLocation? {
    guard obj.symtab != nil, i > 0, i < obj.symbolCount else { return nil }
    let raw = obj.symtab!.u16(i * 24 + 6)
    if raw == SHN.undef || raw >= SHN.loreserve && raw != SHN.xindex { return nil }  // ABS, COMMON
    return sourceLocation(obj, section: Int(obj.symShndx(i)), offset: obj.symValue(i))
}

/// The text after ">>> defined at " for a definition of symbol `i` of `obj`: lld's two lines
/// ("a.c:3 (/src/a.c:3)" then "a.o:(.text+0x0)" aligned under it) when the line table knows
/// the place, else just `place`.
func definedAtText(_ obj: ObjectFile, symbol i: Int, place: String) -> String {
    guard let src = sourceLocation(obj, symbol: i) else { return place }
    return "\(src)\n>>>            \(place)"
}

// MARK: - the reader

private struct Malformed: Error {}

/// A bounds-checked little-endian reader over `[pos, end)` of a section.
private struct Cursor {
    let base: UnsafeRawPointer
    let end: Int
    var pos: Int

    var atEnd: Bool { pos >= end }

    func need(_ n: Int) throws(Malformed) {
        if n < 0 || pos < 0 || pos > end || end - pos < n { throw Malformed() }
    }
    mutating func skip(_ n: Int) throws(Malformed) { try need(n); pos += n }
    mutating func u8() throws(Malformed) -> UInt8 { try need(1); defer { pos += 1 }; return base.u8(pos) }
    mutating func u16() throws(Malformed) -> UInt16 { try need(2); defer { pos += 2 }; return base.u16(pos) }
    mutating func u32() throws(Malformed) -> UInt32 { try need(4); defer { pos += 4 }; return base.u32(pos) }
    mutating func u64() throws(Malformed) -> UInt64 { try need(8); defer { pos += 8 }; return base.u64(pos) }
    mutating func offset(_ size: Int) throws(Malformed) -> UInt64 { size == 8 ? try u64() : UInt64(try u32()) }

    mutating func uleb() throws(Malformed) -> UInt64 {
        var result: UInt64 = 0, shift: UInt64 = 0
        while true {
            let b = try u8()
            if shift < 64 { result |= UInt64(b & 0x7f) << shift }  // bits past 64 are dropped
            shift += 7
            if b & 0x80 == 0 { return result }
        }
    }
    mutating func sleb() throws(Malformed) -> Int64 {
        var result: Int64 = 0, shift: Int64 = 0, b: UInt8 = 0
        repeat {
            b = try u8()
            if shift < 64 { result |= Int64(b & 0x7f) << shift }
            shift += 7
        } while b & 0x80 != 0
        if shift < 64 && b & 0x40 != 0 { result |= -1 << shift }
        return result
    }
    /// A uleb that must fit an Int (counts and lengths).
    mutating func count() throws(Malformed) -> Int {
        let v = try uleb()
        if v > UInt64(Int32.max) { throw Malformed() }
        return Int(v)
    }
    /// A NUL-terminated string in place; the cursor moves past its terminator.
    mutating func cString() throws(Malformed) -> String {
        if pos < 0 || pos >= end { throw Malformed() }
        guard let len = base.cStringLength(pos, limit: end - pos) else { throw Malformed() }
        defer { pos += len + 1 }
        return String(decoding: UnsafeRawBufferPointer(start: base + pos, count: len), as: UTF8.self)
    }
}

// DWARF constants used here.
private enum DW {
    static let lnsCopy: UInt8 = 1, lnsAdvancePc: UInt8 = 2, lnsAdvanceLine: UInt8 = 3, lnsSetFile: UInt8 = 4
    static let lnsSetColumn: UInt8 = 5, lnsNegateStmt: UInt8 = 6, lnsSetBasicBlock: UInt8 = 7
    static let lnsConstAddPc: UInt8 = 8, lnsFixedAdvancePc: UInt8 = 9
    static let lneEndSequence: UInt8 = 1, lneSetAddress: UInt8 = 2, lneDefineFile: UInt8 = 3
    static let lnctPath: UInt64 = 1, lnctDirectoryIndex: UInt64 = 2
    static let formBlock2: UInt64 = 0x03, formBlock4: UInt64 = 0x04, formData2: UInt64 = 0x05
    static let formData4: UInt64 = 0x06, formData8: UInt64 = 0x07, formString: UInt64 = 0x08
    static let formBlock: UInt64 = 0x09, formBlock1: UInt64 = 0x0a, formData1: UInt64 = 0x0b
    static let formFlag: UInt64 = 0x0c, formSdata: UInt64 = 0x0d, formStrp: UInt64 = 0x0e
    static let formUdata: UInt64 = 0x0f, formSecOffset: UInt64 = 0x17, formFlagPresent: UInt64 = 0x19
    static let formStrx: UInt64 = 0x1a, formData16: UInt64 = 0x1e, formLineStrp: UInt64 = 0x1f
    static let formStrx1: UInt64 = 0x25, formStrx2: UInt64 = 0x26, formStrx3: UInt64 = 0x27, formStrx4: UInt64 = 0x28
}

/// Reads the line programs of one `.debug_line` input section.
private struct DebugLineReader {
    let obj: ObjectFile
    let sec: InputSection
    let size: Int
    /// Relocation index by the offset it applies to in `.debug_line`.
    let relocAt: [UInt64: Int]

    init(obj: ObjectFile, sec: InputSection) {
        self.obj = obj; self.sec = sec
        self.size = sec.size > UInt64(Int32.max) ? 0 : Int(sec.size)
        var m: [UInt64: Int] = [:]
        if sec.relocs != nil {
            for r in 0..<sec.relocCount { m[sec.reloc(r).offset] = r }
        }
        relocAt = m
    }

    func readAll(into table: inout DebugLineTable) {
        var pos = 0
        while pos < size {
            // A unit whose length runs past the section ends the section; one that is
            // malformed inside is dropped from the point where it went wrong (complete
            // sequences before that point are kept) and the next unit is read.
            guard let unitEnd = try? readUnit(at: pos, into: &table) else { return }
            table.rows.removeSubrange((table.sequences.last?.upperBound ?? 0)...)
            pos = unitEnd
        }
    }

    /// The section and offset a relocated field at `fieldOffset` points to: symbol value plus
    /// addend, in the symbol's section. nil if no relocation applies there.
    func relocatedTarget(_ fieldOffset: Int) -> (section: Int32, value: UInt64)? {
        guard let r = relocAt[UInt64(fieldOffset)], obj.symtab != nil else { return nil }
        let rel = sec.reloc(r)
        let addend = UInt64(bitPattern: rel.addend)
        if rel.sym == 0 || rel.sym >= obj.symbolCount { return (-1, addend) }
        let raw = obj.symtab!.u16(rel.sym * 24 + 6)
        if raw == SHN.undef || raw >= SHN.loreserve && raw != SHN.xindex { return (-1, addend) }
        let shndx = Int(obj.symShndx(rel.sym))
        if shndx >= obj.sections.count { return (-1, addend) }
        return (Int32(shndx), obj.symValue(rel.sym) &+ addend)
    }

    /// The string at `offset` in the section named `name` of this object.
    func string(inSection index: Int32, at offset: UInt64) -> String? {
        guard index > 0, Int(index) < obj.sections.count, let s = obj.sections[Int(index)], !s.isNoBits,
              offset < s.size, s.size <= UInt64(Int32.max) else { return nil }
        let o = Int(offset)
        guard let len = s.data.cStringLength(o, limit: Int(s.size) - o) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: s.data + o, count: len), as: UTF8.self)
    }

    func sectionIndex(named name: StaticString) -> Int32? {
        for case let s? in obj.sections where s.name.equals(name) { return Int32(s.index) }
        return nil
    }

    /// A string-valued attribute of form `strp` / `line_strp`: through its relocation if it has
    /// one, else the in-place offset into the object's own string section.
    func indirectString(_ c: inout Cursor, offsetSize: Int, section name: StaticString) throws(Malformed) -> String? {
        let field = c.pos
        let inPlace = try c.offset(offsetSize)
        if let t = relocatedTarget(field) { return t.section >= 0 ? string(inSection: t.section, at: t.value) : nil }
        guard let s = sectionIndex(named: name) else { return nil }
        return string(inSection: s, at: inPlace)
    }

    /// Skips a value of `form`, or reads it when it is a string or a number.
    enum Value { case string(String?), number(UInt64), other }
    func value(_ c: inout Cursor, form: UInt64, offsetSize: Int) throws(Malformed) -> Value {
        switch form {
        case DW.formString: return .string(try c.cString())
        case DW.formLineStrp: return .string(try indirectString(&c, offsetSize: offsetSize, section: ".debug_line_str"))
        case DW.formStrp: return .string(try indirectString(&c, offsetSize: offsetSize, section: ".debug_str"))
        case DW.formData1, DW.formFlag, DW.formStrx1: return .number(UInt64(try c.u8()))
        case DW.formData2, DW.formStrx2: return .number(UInt64(try c.u16()))
        case DW.formStrx3: try c.skip(3); return .other
        case DW.formData4, DW.formStrx4: return .number(UInt64(try c.u32()))
        case DW.formData8: return .number(try c.u64())
        case DW.formData16: try c.skip(16); return .other
        case DW.formUdata, DW.formStrx: return .number(try c.uleb())
        case DW.formSdata: _ = try c.sleb(); return .other
        case DW.formSecOffset: _ = try c.offset(offsetSize); return .other
        case DW.formFlagPresent: return .other
        case DW.formBlock: try c.skip(try c.count()); return .other
        case DW.formBlock1: try c.skip(Int(try c.u8())); return .other
        case DW.formBlock2: try c.skip(Int(try c.u16())); return .other
        case DW.formBlock4: try c.skip(Int(try c.u32())); return .other
        default: throw Malformed()   // unknown size: the rest of the header cannot be read
        }
    }

    /// Reads a DWARF 5 entry-format list and its entries: (path, directory index) per entry.
    func entries(_ c: inout Cursor, offsetSize: Int) throws(Malformed) -> [(String?, Int)] {
        let formatCount = Int(try c.u8())
        var format: [(UInt64, UInt64)] = []
        for _ in 0..<formatCount { format.append((try c.uleb(), try c.uleb())) }
        let n = try c.count()
        var out: [(String?, Int)] = []
        for _ in 0..<n {
            var path: String? = nil, dir = 0
            for (kind, form) in format {
                let v = try value(&c, form: form, offsetSize: offsetSize)
                if kind == DW.lnctPath, case .string(let s) = v { path = s }
                if kind == DW.lnctDirectoryIndex, case .number(let d) = v { dir = d > UInt64(Int32.max) ? -1 : Int(d) }
            }
            out.append((path, dir))
        }
        return out
    }

    /// Delimits the unit at `start` and reads it (see `readUnitContents`); returns where the
    /// next unit starts. Throws only if the unit's length cannot be read or runs past the end.
    func readUnit(at start: Int, into table: inout DebugLineTable) throws(Malformed) -> Int {
        var c = Cursor(base: sec.data, end: size, pos: start)
        var offsetSize = 4
        var length = UInt64(try c.u32())
        if length == 0xffff_ffff { length = try c.u64(); offsetSize = 8 }
        else if length >= 0xffff_fff0 { throw Malformed() }
        if length > UInt64(size - c.pos) { throw Malformed() }
        let unitEnd = c.pos + Int(length)
        _ = try? readUnitContents(Cursor(base: sec.data, end: unitEnd, pos: c.pos), offsetSize: offsetSize, into: &table)
        return unitEnd
    }

    /// Reads one unit's header and line program (from just after its length), appending its
    /// files to `table.paths`, its rows to `table.rows` and each complete sequence to
    /// `table.sequences`.
    func readUnitContents(_ unit: Cursor, offsetSize: Int, into table: inout DebugLineTable) throws(Malformed) {
        var c = unit
        let unitEnd = unit.end

        let version = try c.u16()
        if version < 2 || version > 5 { return }           // a version we do not read: skip it
        if version >= 5 { _ = try c.u8(); _ = try c.u8() }  // address_size, segment_selector_size
        let headerLength = try c.offset(offsetSize)
        if headerLength > UInt64(unitEnd - c.pos) { throw Malformed() }
        let programStart = c.pos + Int(headerLength)
        var h = Cursor(base: sec.data, end: programStart, pos: c.pos)
        let minInst = UInt64(try h.u8())
        if version >= 4 { _ = try h.u8() }                 // maximum_operations_per_instruction
        _ = try h.u8()                                     // default_is_stmt: every row counts here
        let lineBase = Int64(Int8(bitPattern: try h.u8()))
        let lineRange = UInt64(try h.u8())
        let opcodeBase = try h.u8()
        if lineRange == 0 || opcodeBase == 0 { throw Malformed() }
        var standardLengths: [UInt8] = [0]
        for _ in 1..<Int(opcodeBase) { standardLengths.append(try h.u8()) }

        // Directories and files, resolved to full paths in `table.paths`.
        let fileBase = table.paths.count
        var dirs: [String] = []
        if version >= 5 {
            let dirEntries = try entries(&h, offsetSize: offsetSize)
            dirs = dirEntries.map { $0.0 ?? "" }
            // Directories other than 0 may be relative to directory 0 (the compilation directory).
            for k in dirs.indices.dropFirst() where !dirs[k].hasPrefix("/") && !dirs[0].isEmpty {
                dirs[k] = joinPath(dirs[0], dirs[k])
            }
            for (name, dir) in try entries(&h, offsetSize: offsetSize) {
                let d = dir >= 0 && dir < dirs.count ? dirs[dir] : ""
                table.paths.append(joinPath(d, name ?? ""))
            }
        } else {
            // include_directories: strings up to an empty one; directory 0 is the compilation
            // directory, which the line table does not name.
            dirs = [""]
            while true {
                let d = try h.cString()
                if d.isEmpty { break }
                dirs.append(d)
            }
            while true {
                let name = try h.cString()
                if name.isEmpty { break }
                let dir = try h.count()
                _ = try h.uleb(); _ = try h.uleb()          // modification time, length
                table.paths.append(joinPath(dir < dirs.count ? dirs[dir] : "", name))
            }
        }

        // The line program.
        var p = Cursor(base: sec.data, end: unitEnd, pos: programStart)
        var section: Int32 = -1
        var address: UInt64 = 0, file: UInt64 = 1, line: Int64 = 1, column: UInt64 = 0
        var seqStart = table.rows.count
        func reset() {
            section = -1; address = 0; file = 1; line = 1; column = 0
        }
        func emit(into table: inout DebugLineTable) {
            // DWARF 5 numbers files from 0, earlier versions from 1.
            let unitIndex = version >= 5 ? Int64(bitPattern: file) : Int64(bitPattern: file) &- 1
            let g = unitIndex >= 0 && unitIndex < Int64(table.paths.count - fileBase) ? Int32(fileBase + Int(unitIndex)) : -1
            table.rows.append(DebugLineTable.Row(section: section, address: address, file: g,
                                                 line: line > 0 && line <= Int64(UInt32.max) ? UInt32(line) : 0,
                                                 column: UInt32(truncatingIfNeeded: column)))
        }
        func advance(_ operationAdvance: UInt64) { address = address &+ operationAdvance &* minInst }
        // Rows of a sequence cut short by malformed bytes are dropped by the caller's catch:
        // only complete sequences are recorded.
        while !p.atEnd {
            let op = try p.u8()
            if op >= opcodeBase {
                let adjusted = UInt64(op - opcodeBase)
                advance(adjusted / lineRange)
                line = line &+ lineBase &+ Int64(adjusted % lineRange)
                emit(into: &table)
                continue
            }
            switch op {
            case 0:
                let len = try p.count()
                if len == 0 { continue }
                let next = p.pos + len
                try p.need(len)
                let sub = try p.u8()
                switch sub {
                case DW.lneEndSequence:
                    emit(into: &table)
                    table.sequences.append(seqStart..<table.rows.count)
                    seqStart = table.rows.count
                    reset()
                case DW.lneSetAddress:
                    let field = p.pos
                    let width = len - 1
                    let inPlace: UInt64 = width == 8 ? try p.u64() : width == 4 ? UInt64(try p.u32()) : 0
                    if let t = relocatedTarget(field) { section = t.section; address = t.value }
                    else { section = -1; address = inPlace }
                case DW.lneDefineFile where version <= 4:
                    let name = try p.cString()
                    let dir = try p.count()
                    table.paths.append(joinPath(dir < dirs.count ? dirs[dir] : "", name))
                default:
                    break                                  // set_discriminator, vendor opcodes
                }
                p.pos = next
            case DW.lnsCopy:
                emit(into: &table)
            case DW.lnsAdvancePc:
                advance(try p.uleb())
            case DW.lnsAdvanceLine:
                line = line &+ (try p.sleb())
            case DW.lnsSetFile:
                file = try p.uleb()
            case DW.lnsSetColumn:
                column = try p.uleb()
            case DW.lnsConstAddPc:
                advance(UInt64(255 - opcodeBase) / lineRange)
            case DW.lnsFixedAdvancePc:
                address = address &+ UInt64(try p.u16())
            case DW.lnsNegateStmt, DW.lnsSetBasicBlock:
                break
            default:
                // negate_stmt, prologue_end, set_isa and unknown standard opcodes: skip the
                // number of uleb operands the header declares.
                for _ in 0..<Int(standardLengths[Int(op)]) { _ = try p.uleb() }
            }
        }
        // Rows after the last end_sequence do not form a sequence; the caller drops them.
    }
}

/// `dir/name`, or `name` alone when it is absolute or there is no directory.
private func joinPath(_ dir: String, _ name: String) -> String {
    if dir.isEmpty || name.hasPrefix("/") { return name }
    return dir.hasSuffix("/") ? dir + name : dir + "/" + name
}
