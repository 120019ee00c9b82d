import WeldCore

/// A pointer dyld must slide (classic rebase).
public struct DyldRebase: Sendable, Equatable {
    /// Index of the segment in load-command order (at most 15: the opcode's immediate).
    public var segmentIndex: Int
    /// Offset of the pointer from the segment's start.
    public var offset: UInt64

    public init(segmentIndex: Int, offset: UInt64) {
        self.segmentIndex = segmentIndex
        self.offset = offset
    }
}

/// A pointer dyld must bind to a symbol (classic bind, lazy bind or weak bind).
public struct DyldBind: Sendable, Equatable {
    public var segmentIndex: Int
    public var offset: UInt64
    /// 1-based `LC_LOAD_DYLIB` index, or a special ordinal (0 self, −1 main executable,
    /// −2 flat lookup). Ignored in the weak-bind stream.
    public var libraryOrdinal: Int
    public var symbolName: String
    public var isWeakImport: Bool
    public var addend: Int64

    public init(segmentIndex: Int, offset: UInt64, libraryOrdinal: Int, symbolName: String,
                isWeakImport: Bool = false, addend: Int64 = 0) {
        self.segmentIndex = segmentIndex
        self.offset = offset
        self.libraryOrdinal = libraryOrdinal
        self.symbolName = symbolName
        self.isWeakImport = isWeakImport
        self.addend = addend
    }
}

/// Encoders of the classic dyld information streams (`LC_DYLD_INFO_ONLY`), for targets
/// older than chained fixups or `-no_fixup_chains`. Each stream ends with DONE and is
/// padded with zeros to 8 bytes. Output depends only on the set of records: records are
/// sorted (rebases by address; binds by ordinal, name, flags, addend, then address; weak
/// binds by name as dyld requires), so input order does not matter (except for lazy
/// binds, whose order is the stub order).
public enum DyldInfoOpcodes {
    /// The rebase program. Contiguous pointers become one "rebase N times", evenly spaced
    /// ones one "N times, skipping K".
    /// - Throws: `LinkError` for a segment index above 15.
    public static func rebase(_ rebases: [DyldRebase]) throws(LinkError) -> [UInt8] {
        let sorted = rebases.sorted { ($0.segmentIndex, $0.offset) < ($1.segmentIndex, $1.offset) }
        var out: [UInt8] = []
        if sorted.isEmpty { return out }
        out.append(DyldInfoFormat.rebaseSetTypeImm | DyldInfoFormat.rebaseTypePointer)
        let p = DyldInfoFormat.pointerSize
        var segment = -1
        var address: UInt64 = 0
        var i = 0
        while i < sorted.count {
            let r = sorted[i]
            if i > 0 && r == sorted[i - 1] { i += 1; continue }  // duplicates rebase once
            try moveTo(r.segmentIndex, r.offset, &segment, &address, &out,
                       setOpcode: DyldInfoFormat.rebaseSetSegmentAndOffsetULEB,
                       addULEB: DyldInfoFormat.rebaseAddAddrULEB, addScaled: DyldInfoFormat.rebaseAddAddrImmScaled)
            let run = runLength(sorted, from: i, stride: p) { $0.segmentIndex } offset: { $0.offset }
            if run > 1 {
                if run < 16 {
                    out.append(DyldInfoFormat.rebaseDoRebaseImmTimes | UInt8(run))
                } else {
                    out.append(DyldInfoFormat.rebaseDoRebaseULEBTimes)
                    LEB128.appendULEB(UInt64(run), to: &out)
                }
                address += UInt64(run) * p
                i += run
                continue
            }
            if i + 1 < sorted.count && sorted[i + 1].segmentIndex == r.segmentIndex && sorted[i + 1].offset > r.offset {
                let gap = sorted[i + 1].offset - r.offset
                let spaced = runLength(sorted, from: i, stride: gap) { $0.segmentIndex } offset: { $0.offset }
                if spaced >= 3 {
                    out.append(DyldInfoFormat.rebaseDoRebaseULEBTimesSkippingULEB)
                    LEB128.appendULEB(UInt64(spaced), to: &out)
                    LEB128.appendULEB(gap - p, to: &out)
                    address += UInt64(spaced) * gap
                    i += spaced
                    continue
                }
                out.append(DyldInfoFormat.rebaseDoRebaseAddAddrULEB)
                LEB128.appendULEB(gap - p, to: &out)
                address += gap
                i += 1
                continue
            }
            out.append(DyldInfoFormat.rebaseDoRebaseImmTimes | 1)
            address += p
            i += 1
        }
        out.append(DyldInfoFormat.rebaseDone)
        padTo8(&out)
        return out
    }

    /// The (non-lazy) bind program.
    /// - Throws: `LinkError` for a segment index above 15, an ordinal below −2, or a
    ///   symbol name containing NUL.
    public static func bind(_ binds: [DyldBind]) throws(LinkError) -> [UInt8] {
        let sorted = binds.sorted(by: bindOrder)
        var out: [UInt8] = []
        if sorted.isEmpty { return out }
        out.append(DyldInfoFormat.bindSetTypeImm | DyldInfoFormat.bindTypePointer)
        var ordinal: Int? = nil
        var symbol: (String, Bool)? = nil
        var addend: Int64 = 0
        var segment = -1
        var address: UInt64 = 0
        var i = 0
        while i < sorted.count {
            let b = sorted[i]
            if ordinal != b.libraryOrdinal {
                try appendOrdinal(b.libraryOrdinal, b.symbolName, &out)
                ordinal = b.libraryOrdinal
            }
            if symbol == nil || symbol! != (b.symbolName, b.isWeakImport) {
                try appendSymbol(b.symbolName, flags: b.isWeakImport ? DyldInfoFormat.bindSymbolFlagWeakImport : 0, &out)
                symbol = (b.symbolName, b.isWeakImport)
            }
            if addend != b.addend {
                out.append(DyldInfoFormat.bindSetAddendSLEB)
                appendSLEB(b.addend, to: &out)
                addend = b.addend
            }
            i = try bindLocations(sorted, from: i, &segment, &address, &out) { a, b in
                a.libraryOrdinal == b.libraryOrdinal && a.symbolName == b.symbolName
                    && a.isWeakImport == b.isWeakImport && a.addend == b.addend
            }
        }
        out.append(DyldInfoFormat.bindDone)
        padTo8(&out)
        return out
    }

    /// The lazy bind program: one self-contained record per lazy pointer, in the order given
    /// (the order of the stubs). Returns the bytes and each record's offset, which the stub
    /// helper pushes for `dyld_stub_binder`.
    public static func lazyBind(_ binds: [DyldBind]) throws(LinkError) -> (bytes: [UInt8], recordOffsets: [UInt32]) {
        var out: [UInt8] = []
        var offsets: [UInt32] = []
        offsets.reserveCapacity(binds.count)
        for b in binds {
            offsets.append(UInt32(out.count))
            guard b.segmentIndex >= 0 && b.segmentIndex < 16 else { throw segmentError(b.segmentIndex) }
            out.append(DyldInfoFormat.bindSetSegmentAndOffsetULEB | UInt8(b.segmentIndex))
            LEB128.appendULEB(b.offset, to: &out)
            try appendOrdinal(b.libraryOrdinal, b.symbolName, &out)
            try appendSymbol(b.symbolName, flags: b.isWeakImport ? DyldInfoFormat.bindSymbolFlagWeakImport : 0, &out)
            out.append(DyldInfoFormat.bindDoBind)
            out.append(DyldInfoFormat.bindDone)
        }
        padTo8(&out)
        return (out, offsets)
    }

    /// The weak bind program: pointers to weak definitions that dyld coalesces across images
    /// (ordinals unused), plus `strongDefinitions`, names this image defines strongly and
    /// that override weak definitions elsewhere. Sorted by name, as dyld merges the streams
    /// of all images by name.
    public static func weakBind(_ binds: [DyldBind], strongDefinitions: [String] = []) throws(LinkError) -> [UInt8] {
        let locations = binds.sorted { a, b in
            let c = compareBytes(a.symbolName, b.symbolName)
            if c != 0 { return c < 0 }
            return (a.addend, a.segmentIndex, a.offset) < (b.addend, b.segmentIndex, b.offset)
        }
        let strong = Array(Set(strongDefinitions)).sorted { compareBytes($0, $1) < 0 }
        var out: [UInt8] = []
        if locations.isEmpty && strong.isEmpty { return out }
        out.append(DyldInfoFormat.bindSetTypeImm | DyldInfoFormat.bindTypePointer)
        var symbol: String? = nil
        var addend: Int64 = 0
        var segment = -1
        var address: UInt64 = 0
        var i = 0, s = 0
        while i < locations.count || s < strong.count {
            // Merge the two sorted lists; a name with locations is never also listed strong.
            if s < strong.count && (i == locations.count || compareBytes(strong[s], locations[i].symbolName) < 0) {
                try appendSymbol(strong[s], flags: DyldInfoFormat.bindSymbolFlagNonWeakDefinition, &out)
                symbol = nil
                s += 1
                continue
            }
            let b = locations[i]
            if s < strong.count && strong[s] == b.symbolName { s += 1 }
            if symbol != b.symbolName {
                try appendSymbol(b.symbolName, flags: 0, &out)
                symbol = b.symbolName
            }
            if addend != b.addend {
                out.append(DyldInfoFormat.bindSetAddendSLEB)
                appendSLEB(b.addend, to: &out)
                addend = b.addend
            }
            i = try bindLocations(locations, from: i, &segment, &address, &out) { a, b in
                a.symbolName == b.symbolName && a.addend == b.addend
            }
        }
        out.append(DyldInfoFormat.bindDone)
        padTo8(&out)
        return out
    }

    // MARK: - Pieces

    private static func bindOrder(_ a: DyldBind, _ b: DyldBind) -> Bool {
        if a.libraryOrdinal != b.libraryOrdinal { return a.libraryOrdinal < b.libraryOrdinal }
        let c = compareBytes(a.symbolName, b.symbolName)
        if c != 0 { return c < 0 }
        if a.isWeakImport != b.isWeakImport { return !a.isWeakImport }
        return (a.addend, a.segmentIndex, a.offset) < (b.addend, b.segmentIndex, b.offset)
    }

    private static func compareBytes(_ a: String, _ b: String) -> Int {
        var i = a.utf8.makeIterator(), j = b.utf8.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let x?, let y?): if x != y { return x < y ? -1 : 1 }
            }
        }
    }

    /// Emits the locations of records `from…` that share the current symbol state (per
    /// `same`); returns the index after them. Duplicate locations bind once.
    private static func bindLocations(_ sorted: [DyldBind], from start: Int, _ segment: inout Int, _ address: inout UInt64,
                                      _ out: inout [UInt8], same: (DyldBind, DyldBind) -> Bool) throws(LinkError) -> Int {
        let p = DyldInfoFormat.pointerSize
        var end = start
        while end < sorted.count && same(sorted[start], sorted[end]) { end += 1 }
        var i = start
        while i < end {
            let b = sorted[i]
            if i > start && b.segmentIndex == sorted[i - 1].segmentIndex && b.offset == sorted[i - 1].offset { i += 1; continue }
            try moveTo(b.segmentIndex, b.offset, &segment, &address, &out,
                       setOpcode: DyldInfoFormat.bindSetSegmentAndOffsetULEB,
                       addULEB: DyldInfoFormat.bindAddAddrULEB, addScaled: nil)
            if i + 1 < end && sorted[i + 1].segmentIndex == b.segmentIndex && sorted[i + 1].offset > b.offset {
                let gap = sorted[i + 1].offset - b.offset
                let slice = Array(sorted[i..<end])
                let spaced = runLength(slice, from: 0, stride: gap) { $0.segmentIndex } offset: { $0.offset }
                if spaced >= 3 {
                    out.append(DyldInfoFormat.bindDoBindULEBTimesSkippingULEB)
                    LEB128.appendULEB(UInt64(spaced), to: &out)
                    LEB128.appendULEB(gap - p, to: &out)
                    address += UInt64(spaced) * gap
                    i += spaced
                    continue
                }
                let skip = gap - p
                if skip == 0 {
                    out.append(DyldInfoFormat.bindDoBind)
                } else if skip % p == 0 && skip / p < 16 {
                    out.append(DyldInfoFormat.bindDoBindAddAddrImmScaled | UInt8(skip / p))
                } else {
                    out.append(DyldInfoFormat.bindDoBindAddAddrULEB)
                    LEB128.appendULEB(skip, to: &out)
                }
                address += gap
                i += 1
                continue
            }
            out.append(DyldInfoFormat.bindDoBind)
            address += p
            i += 1
        }
        return end
    }

    /// Moves the program's current address to (segment, offset): a new segment or a step
    /// back sets it outright, a step forward adds.
    private static func moveTo(_ seg: Int, _ offset: UInt64, _ segment: inout Int, _ address: inout UInt64,
                               _ out: inout [UInt8], setOpcode: UInt8, addULEB: UInt8, addScaled: UInt8?) throws(LinkError) {
        guard seg >= 0 && seg < 16 else { throw segmentError(seg) }
        if seg != segment || offset < address {
            out.append(setOpcode | UInt8(seg))
            LEB128.appendULEB(offset, to: &out)
        } else if offset > address {
            let delta = offset - address
            if let addScaled, delta % DyldInfoFormat.pointerSize == 0 && delta / DyldInfoFormat.pointerSize < 16 {
                out.append(addScaled | UInt8(delta / DyldInfoFormat.pointerSize))
            } else {
                out.append(addULEB)
                LEB128.appendULEB(delta, to: &out)
            }
        }
        segment = seg
        address = offset
    }

    /// How many records from `start` sit `stride` apart in one segment.
    private static func runLength<T>(_ records: [T], from start: Int, stride: UInt64,
                                     segment: (T) -> Int, offset: (T) -> UInt64) -> Int {
        var n = 1
        while start + n < records.count && segment(records[start + n]) == segment(records[start])
                && offset(records[start + n]) == offset(records[start + n - 1]) &+ stride {
            n += 1
        }
        return n
    }

    private static func appendOrdinal(_ ordinal: Int, _ name: String, _ out: inout [UInt8]) throws(LinkError) {
        if ordinal <= 0 {
            guard ordinal >= -2 else {
                throw LinkError("dyld info: library ordinal \(ordinal) of '\(name)' has no classic encoding")
            }
            out.append(DyldInfoFormat.bindSetDylibSpecialImm | (UInt8(truncatingIfNeeded: ordinal) & 0x0F))
        } else if ordinal < 16 {
            out.append(DyldInfoFormat.bindSetDylibOrdinalImm | UInt8(ordinal))
        } else {
            out.append(DyldInfoFormat.bindSetDylibOrdinalULEB)
            LEB128.appendULEB(UInt64(ordinal), to: &out)
        }
    }

    private static func appendSymbol(_ name: String, flags: UInt8, _ out: inout [UInt8]) throws(LinkError) {
        if name.utf8.contains(0) { throw LinkError("dyld info: symbol name '\(name)' contains NUL") }
        out.append(DyldInfoFormat.bindSetSymbolTrailingFlagsImm | flags)
        out.append(contentsOf: name.utf8)
        out.append(0)
    }

    private static func appendSLEB(_ value: Int64, to out: inout [UInt8]) {
        var v = value
        while true {
            let byte = UInt8(v & 0x7F)
            v >>= 7
            let done = (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0)
            out.append(done ? byte : byte | 0x80)
            if done { return }
        }
    }

    private static func padTo8(_ out: inout [UInt8]) {
        while out.count % 8 != 0 { out.append(0) }
    }

    private static func segmentError(_ seg: Int) -> LinkError {
        LinkError("dyld info: segment index \(seg) does not fit the 4-bit opcode immediate")
    }
}
