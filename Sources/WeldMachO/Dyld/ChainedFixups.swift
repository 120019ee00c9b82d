import WeldCore

/// A segment as chained fixups see it.
public struct ChainedFixupSegment: Sendable {
    /// For error messages (`__DATA_CONST`).
    public var name: String
    /// Offset of the segment's start from the image's Mach-O header (vmaddr − image base).
    public var vmOffset: UInt64
    public var vmSize: UInt64
    /// Where the segment's bytes sit in the output file, and how many are file-backed.
    public var fileOffset: UInt64
    public var fileSize: UInt64
    /// Whether the segment gets a `dyld_chained_starts_in_segment` (may hold fixups). Must
    /// be decided at layout: it changes the payload's size.
    public var hasFixups: Bool

    public init(name: String, vmOffset: UInt64, vmSize: UInt64, fileOffset: UInt64, fileSize: UInt64, hasFixups: Bool) {
        self.name = name
        self.vmOffset = vmOffset
        self.vmSize = vmSize
        self.fileOffset = fileOffset
        self.fileSize = fileSize
        self.hasFixups = hasFixups
    }

    /// Pages that may hold fixups: the file-backed ones (zero-fill holds no pointer values).
    var pageCount: Int { Int((fileSize + UInt64(ChainedFixupsFormat.pageSize) - 1) / UInt64(ChainedFixupsFormat.pageSize)) }

    /// Bytes of its `dyld_chained_starts_in_segment`, padded to 8 (the padding is counted
    /// in the struct's `size` field, as lld writes it).
    var startsSize: Int { (ChainedFixupsFormat.startsInSegmentHeaderSize + 2 * pageCount + 7) & ~7 }
}

/// One imported symbol (a bind target).
public struct ChainedImport: Sendable, Equatable {
    public var name: String
    /// 1-based index of the `LC_LOAD_DYLIB` that provides it, or one of the special
    /// ordinals in `ChainedFixupsFormat` (0 self, −1 main executable, −2 flat lookup,
    /// −3 weak lookup).
    public var libraryOrdinal: Int
    /// A weak import: dyld binds it to 0 when no library defines it.
    public var isWeak: Bool
    /// Added to the symbol's address. Binds whose addend fits `pointerAddendRange` put it
    /// in the pointer instead and share the import with addend 0.
    public var addend: Int64

    public init(name: String, libraryOrdinal: Int, isWeak: Bool = false, addend: Int64 = 0) {
        self.name = name
        self.libraryOrdinal = libraryOrdinal
        self.isWeak = isWeak
        self.addend = addend
    }
}

/// One pointer-sized location dyld must fix up.
public struct ChainedFixup: Sendable {
    public enum Target: Sendable, Equatable {
        /// Slide the pointer: `vmOffset` from the image base, `high8` the pointer's top byte.
        case rebase(vmOffset: UInt64, high8: UInt8)
        /// Bind to `imports[importIndex]` plus `addend` (0…255, see `pointerAddendRange`).
        case bind(importIndex: UInt32, addend: UInt8)
    }
    /// Index into the segments passed to `ChainedFixups`.
    public var segmentIndex: Int
    /// Offset of the pointer from the segment's start; a multiple of 4.
    public var offset: UInt64
    public var target: Target

    public init(segmentIndex: Int, offset: UInt64, target: Target) {
        self.segmentIndex = segmentIndex
        self.offset = offset
        self.target = target
    }
}

/// The `LC_DYLD_CHAINED_FIXUPS` payload and the chains it describes, pointer format 6
/// (`DYLD_CHAINED_PTR_64_OFFSET`), as Apple's ld writes for arm64 macOS 12+.
///
/// 1. At layout: `try ChainedFixups(segments:imports:)` with every segment in load-command
///    order and the final import list; reserve ``payloadSize`` bytes in `__LINKEDIT`.
/// 2. After the segments' contents are written: ``write(fixups:payload:output:)`` encodes
///    each fixup as a chained pointer in place (pages in parallel) and writes the payload.
///
/// The payload is laid out as lld lays it out (header, then starts 8-byte aligned, imports,
/// names in import order with duplicates shared, total padded to 8), so the two agree byte
/// for byte for the same inputs apart from the pointer format field.
public struct ChainedFixups: Sendable {
    public let segments: [ChainedFixupSegment]
    public let imports: [ChainedImport]
    /// Chosen from the imports: the smallest format that holds every ordinal, name offset
    /// and addend.
    public let importFormat: ChainedFixupsFormat.ImportFormat
    /// Bytes of the payload (`LC_DYLD_CHAINED_FIXUPS` datasize), a multiple of 8.
    public let payloadSize: Int

    let startsOffset: Int
    let segmentInfoOffsets: [Int]      // from starts_in_image; 0 = none
    let importsOffset: Int
    let symbolsOffset: Int
    let nameOffsets: [UInt32]          // per import, into the symbol pool
    let symbolPool: [UInt8]
    let pageBase: [Int]                // per segment: index of its first page among all pages

    /// - Throws: `LinkError` for an import whose ordinal no format can hold, or a segment
    ///   with fixups larger than 65535 pages (1 GiB).
    public init(segments: [ChainedFixupSegment], imports: [ChainedImport]) throws(LinkError) {
        self.segments = segments
        self.imports = imports

        var pool: [UInt8] = []
        var offsetOfName: [String: UInt32] = [:]
        var nameOffsets: [UInt32] = []
        nameOffsets.reserveCapacity(imports.count)
        var needsAddend = false, needs64 = false
        for imp in imports {
            if imp.libraryOrdinal < ChainedFixupsFormat.ordinalWeakLookup || imp.libraryOrdinal > 0xFFF0 {
                throw LinkError("chained fixups: library ordinal \(imp.libraryOrdinal) of '\(imp.name)' cannot be encoded")
            }
            if imp.name.utf8.contains(0) { throw LinkError("chained fixups: import name '\(imp.name)' contains NUL") }
            let off: UInt32
            if let known = offsetOfName[imp.name] {
                off = known
            } else {
                guard pool.count <= Int(UInt32.max) else { throw LinkError("chained fixups: symbol names exceed 4 GiB") }
                off = UInt32(pool.count)
                offsetOfName[imp.name] = off
                pool.append(contentsOf: imp.name.utf8)
                pool.append(0)
            }
            nameOffsets.append(off)
            if imp.addend != 0 { needsAddend = true }
            if imp.addend < Int64(Int32.min) || imp.addend > Int64(Int32.max) { needs64 = true }
            if imp.libraryOrdinal > ChainedFixupsFormat.maxOrdinal8 { needs64 = true }
            if off >= 1 << 23 { needs64 = true }
        }
        importFormat = needs64 ? .importAddend64 : (needsAddend ? .importAddend : .import)
        self.nameOffsets = nameOffsets
        self.symbolPool = pool

        // Header, starts_in_image (8-aligned), one starts_in_segment per segment with fixups
        // (each 8-aligned), imports (aligned to their entry), names; total padded to 8.
        startsOffset = align(ChainedFixupsFormat.headerSize, 8)
        var cursor = align(4 + 4 * segments.count, 8)   // relative to starts_in_image
        var infos: [Int] = []
        var pageBase: [Int] = []
        var pages = 0
        for seg in segments {
            pageBase.append(pages)
            if seg.hasFixups && seg.pageCount > Int(UInt16.max) {
                throw LinkError("chained fixups: segment \(seg.name) spans \(seg.pageCount) pages of 16 KiB; page_count holds at most 65535")
            }
            if seg.hasFixups {
                infos.append(cursor)
                cursor += seg.startsSize
                pages += seg.pageCount
            } else {
                infos.append(0)
            }
        }
        segmentInfoOffsets = infos
        self.pageBase = pageBase
        importsOffset = align(startsOffset + cursor, importFormat == .importAddend64 ? 8 : 4)
        symbolsOffset = importsOffset + imports.count * importFormat.entrySize
        payloadSize = align(symbolsOffset + pool.count, 8)
    }

    private var totalPages: Int { segments.last.map { pageBase[pageBase.count - 1] + ($0.hasFixups ? $0.pageCount : 0) } ?? 0 }

    /// Encodes every fixup as a `DYLD_CHAINED_PTR_64_OFFSET` pointer at its place in
    /// `output` (the mapped output file) and writes the payload at `payload`
    /// (`payloadSize` bytes, inside the same mapping or elsewhere).
    ///
    /// Pages are independent chains and are written in parallel; fixups may come in any
    /// order. The result does not depend on either.
    /// - Throws: `LinkError` naming the segment and offset for a fixup outside a segment
    ///   with fixups or past its file-backed bytes, misaligned (not a multiple of 4),
    ///   crossing a 16 KiB page, overlapping another, with a rebase target beyond 36 bits
    ///   or an import index beyond 24 bits. With several, the first in address order.
    public func write(fixups: [ChainedFixup], payload: UnsafeMutableRawPointer, output: UnsafeMutableRawPointer) throws(LinkError) {
        let pageSize = ChainedFixupsFormat.pageSize
        let pageCount = totalPages
        // Validate and bucket by page (a counting sort, stable).
        var counts = [Int](repeating: 0, count: pageCount + 1)
        var pageOf = [Int32](repeating: 0, count: fixups.count)
        for (i, f) in fixups.enumerated() {
            guard f.segmentIndex >= 0 && f.segmentIndex < segments.count else {
                throw LinkError("chained fixups: fixup #\(i) names segment \(f.segmentIndex), but there are \(segments.count)")
            }
            let seg = segments[f.segmentIndex]
            func fail(_ why: String) -> LinkError {
                LinkError("chained fixups: pointer at \(seg.name)+0x\(String(f.offset, radix: 16)) \(why)")
            }
            guard seg.hasFixups else { throw fail("is in a segment laid out without fixups") }
            guard f.offset <= seg.fileSize && seg.fileSize - f.offset >= 8 else {
                throw fail("is outside the segment's 0x\(String(seg.fileSize, radix: 16)) file-backed bytes")
            }
            guard f.offset % UInt64(ChainedFixupsFormat.strideBytes) == 0 else { throw fail("is not 4-byte aligned") }
            guard Int(f.offset % UInt64(pageSize)) + 8 <= pageSize else { throw fail("crosses a 16 KiB page boundary") }
            switch f.target {
            case .rebase(let target, _):
                guard target >> ChainedFixupsFormat.rebaseTargetBits == 0 else {
                    throw fail("targets offset 0x\(String(target, radix: 16)), beyond the 36 bits of a chained rebase")
                }
            case .bind(let index, _):
                guard Int(index) < imports.count else { throw fail("binds to import #\(index) of \(imports.count)") }
                guard index >> ChainedFixupsFormat.bindOrdinalBits == 0 else { throw fail("binds to import #\(index), beyond 24 bits") }
            }
            let page = pageBase[f.segmentIndex] + Int(f.offset / UInt64(pageSize))
            pageOf[i] = Int32(page)
            counts[page + 1] += 1
        }
        for p in 0..<pageCount { counts[p + 1] += counts[p] }
        var sorted = [ChainedFixup](unsafeUninitializedCapacity: fixups.count) { buffer, initialized in
            var next = counts
            for (i, f) in fixups.enumerated() {
                let page = Int(pageOf[i])
                (buffer.baseAddress! + next[page]).initialize(to: f)
                next[page] += 1
            }
            initialized = fixups.count
        }

        // Each page: order by offset, check spacing, link and encode.
        var pageStarts = [UInt16](repeating: ChainedFixupsFormat.pageStartNone, count: pageCount)
        var pageErrors = [LinkError?](repeating: nil, count: pageCount)
        let segs = segments
        sorted.withUnsafeMutableBufferPointer { all in
            pageStarts.withUnsafeMutableBufferPointer { starts in
                pageErrors.withUnsafeMutableBufferPointer { errors in
                    let allBase = all.baseAddress!, startsBase = starts.baseAddress!, errorsBase = errors.baseAddress!
                    Parallel.forEach(pageCount, minChunk: 8) { page in
                        let lo = counts[page], hi = counts[page + 1]
                        if lo == hi { return }
                        var slice = UnsafeMutableBufferPointer(start: allBase + lo, count: hi - lo)
                        slice.sort { $0.offset < $1.offset }
                        let seg = segs[slice[0].segmentIndex]
                        for k in 0..<slice.count - 1 where slice[k + 1].offset - slice[k].offset < 8 {
                            errorsBase[page] = LinkError("chained fixups: pointers at \(seg.name)+0x\(String(slice[k].offset, radix: 16)) and \(seg.name)+0x\(String(slice[k + 1].offset, radix: 16)) overlap")
                            return
                        }
                        startsBase[page] = UInt16(slice[0].offset % UInt64(pageSize))
                        for k in 0..<slice.count {
                            let f = slice[k]
                            let next: UInt64 = k + 1 < slice.count ? (slice[k + 1].offset - f.offset) / 4 : 0
                            let value: UInt64
                            switch f.target {
                            case .rebase(let target, let high8):
                                value = target | UInt64(high8) << 36 | next << 51
                            case .bind(let index, let addend):
                                value = UInt64(index) | UInt64(addend) << 24 | next << 51 | 1 << 63
                            }
                            output.storeBytes(of: value.littleEndian, toByteOffset: Int(seg.fileOffset + f.offset), as: UInt64.self)
                        }
                    }
                }
            }
        }
        if let error = pageErrors.first(where: { $0 != nil }) { throw error! }
        writePayload(payload, pageStarts: pageStarts)
    }

    private func writePayload(_ p: UnsafeMutableRawPointer, pageStarts: [UInt16]) {
        p.initializeMemory(as: UInt8.self, repeating: 0, count: payloadSize)
        func put32(_ o: Int, _ v: UInt32) { p.storeBytes(of: v.littleEndian, toByteOffset: o, as: UInt32.self) }
        func put16(_ o: Int, _ v: UInt16) { p.storeBytes(of: v.littleEndian, toByteOffset: o, as: UInt16.self) }
        func put64(_ o: Int, _ v: UInt64) { p.storeBytes(of: v.littleEndian, toByteOffset: o, as: UInt64.self) }
        put32(0, ChainedFixupsFormat.fixupsVersion)
        put32(4, UInt32(startsOffset))
        put32(8, UInt32(importsOffset))
        put32(12, UInt32(symbolsOffset))
        put32(16, UInt32(imports.count))
        put32(20, importFormat.rawValue)
        put32(24, ChainedFixupsFormat.symbolsFormatUncompressed)

        put32(startsOffset, UInt32(segments.count))
        for (i, seg) in segments.enumerated() {
            let info = segmentInfoOffsets[i]
            put32(startsOffset + 4 + 4 * i, UInt32(info))
            guard seg.hasFixups else { continue }
            let s = startsOffset + info
            put32(s, UInt32(seg.startsSize))
            put16(s + 4, UInt16(ChainedFixupsFormat.pageSize))
            put16(s + 6, ChainedFixupsFormat.pointerFormat64Offset)
            put64(s + 8, seg.vmOffset)
            put32(s + 16, 0)  // max_valid_pointer: unused by 64-bit formats
            put16(s + 20, UInt16(seg.pageCount))
            for k in 0..<seg.pageCount { put16(s + 22 + 2 * k, pageStarts[pageBase[i] + k]) }
        }

        for (i, imp) in imports.enumerated() {
            let o = importsOffset + i * importFormat.entrySize
            let weak: UInt64 = imp.isWeak ? 1 : 0
            switch importFormat {
            case .import, .importAddend:
                let ordinal = UInt32(truncatingIfNeeded: imp.libraryOrdinal) & 0xFF
                put32(o, ordinal | UInt32(weak) << 8 | nameOffsets[i] << 9)
                if importFormat == .importAddend { put32(o + 4, UInt32(bitPattern: Int32(imp.addend))) }
            case .importAddend64:
                let ordinal = UInt64(UInt16(truncatingIfNeeded: imp.libraryOrdinal))
                put64(o, ordinal | weak << 16 | UInt64(nameOffsets[i]) << 32)
                put64(o + 8, UInt64(bitPattern: imp.addend))
            }
        }
        symbolPool.withUnsafeBytes { if let b = $0.baseAddress { (p + symbolsOffset).copyMemory(from: b, byteCount: $0.count) } }
    }
}

@inline(__always) private func align(_ x: Int, _ a: Int) -> Int { (x + a - 1) & ~(a - 1) }
