import WeldCore

/// One function's compact unwind information, with addresses already resolved to offsets
/// from the image's Mach-O header.
public struct CompactUnwindEntry: Sendable, Equatable {
    public var functionOffset: UInt32
    public var length: UInt32
    /// The compact encoding from `__compact_unwind` (personality bits are replaced by the
    /// builder). For `arm64ModeDwarf`, the low 24 bits must already hold the offset of the
    /// function's FDE from the start of the output `__eh_frame`.
    public var encoding: UInt32
    /// Image offset of the pointer to the personality routine (its GOT slot); 0 for none.
    public var personality: UInt32
    /// Image offset of the LSDA (`__gcc_except_tab` entry); 0 for none.
    public var lsda: UInt32

    public init(functionOffset: UInt32, length: UInt32, encoding: UInt32, personality: UInt32 = 0, lsda: UInt32 = 0) {
        self.functionOffset = functionOffset
        self.length = length
        self.encoding = encoding
        self.personality = personality
        self.lsda = lsda
    }
}

/// Builds `__TEXT,__unwind_info` from the compact unwind entries of the output's functions.
///
/// Give an entry for every function in `__text`, including functions without unwind
/// information (encoding 0), so the unwinder never applies a neighbour's entry to them.
///
/// What it does, in order: sorts entries by address; numbers personalities in order of
/// first use (at most 3) and puts the number and the has-LSDA bit in each encoding; folds
/// runs of neighbours with the same encoding and personality and no LSDA into their first
/// entry; picks the common encodings (most used first, ties by larger encoding, at most
/// 127); fills 4 KiB second-level pages, compressed unless the page is not the last and the
/// regular form would hold more entries; writes the index, the LSDA index and the pages,
/// each page in its own 4 KiB slot. The layout matches lld's, so the two agree byte for
/// byte for the same entries.
///
/// DWARF-mode functions (`arm64ModeDwarf`) carry their FDE's `__eh_frame` offset in the
/// encoding (see `EHFrameReader`). The size depends only on which entries share an encoding,
/// so a layout-time build may give each such function a distinct placeholder offset and the
/// write-time build the real ones: the size stays the same while there are at most 127
/// distinct encodings (beyond that, which ones are common depends on their values).
public struct UnwindInfo: Sendable {
    struct Page {
        var first: Int          // index into `folded`
        var count: Int
        var compressed: Bool
        var localEncodings: [UInt32]
        var offset = 0          // from the section start
        var lsdaIndexStart = 0  // LSDA entries before this page
    }

    /// The entries after sorting, personality numbering and folding.
    public let foldedEntries: [CompactUnwindEntry]
    public let commonEncodings: [UInt32]
    /// Image offsets of the personality pointers; encoding personality index i+1 is element i.
    public let personalities: [UInt32]
    /// Bytes of the section.
    public let size: Int

    let pages: [Page]
    let lsdaCount: Int
    let endOfLastFunction: UInt32

    /// - Throws: `LinkError` for two entries at the same address, more than 3 personality
    ///   routines, or a function end beyond 4 GiB from the image base.
    public init(entries: [CompactUnwindEntry]) throws(LinkError) {
        var sorted = entries
        sorted.sort { $0.functionOffset < $1.functionOffset }
        var personalities: [UInt32] = []
        for i in sorted.indices {
            if i > 0 && sorted[i].functionOffset == sorted[i - 1].functionOffset {
                throw LinkError("__unwind_info: two compact unwind entries for the function at image offset 0x\(String(sorted[i].functionOffset, radix: 16))")
            }
            var e = sorted[i]
            var index: UInt32 = 0
            if e.personality != 0 {
                if let k = personalities.firstIndex(of: e.personality) {
                    index = UInt32(k + 1)
                } else {
                    guard personalities.count < UnwindInfoFormat.maxPersonalities else {
                        throw LinkError("__unwind_info: more than \(UnwindInfoFormat.maxPersonalities) personality routines (the function at image offset 0x\(String(e.functionOffset, radix: 16)) uses a fourth)")
                    }
                    personalities.append(e.personality)
                    index = UInt32(personalities.count)
                }
            }
            e.encoding = (e.encoding & ~UnwindInfoFormat.personalityMask) | index << UnwindInfoFormat.personalityShift
            if e.lsda != 0 { e.encoding |= UnwindInfoFormat.hasLSDA }
            sorted[i] = e
        }
        self.personalities = personalities
        if let last = sorted.last {
            let end = UInt64(last.functionOffset) + UInt64(last.length)
            guard end <= UInt64(UInt32.max) else { throw LinkError("__unwind_info: function at image offset 0x\(String(last.functionOffset, radix: 16)) ends beyond 4 GiB") }
            endOfLastFunction = UInt32(end)
        } else {
            endOfLastFunction = 0
        }

        // A neighbour adds nothing when it unwinds the same way and has no LSDA to name.
        var folded: [CompactUnwindEntry] = []
        folded.reserveCapacity(sorted.count)
        for e in sorted {
            if let prev = folded.last, prev.encoding == e.encoding, prev.personality == e.personality,
               prev.lsda == 0, e.lsda == 0,
               e.encoding & UnwindInfoFormat.arm64ModeMask != UnwindInfoFormat.arm64ModeDwarf {
                continue
            }
            folded.append(e)
        }
        foldedEntries = folded

        var frequency: [UInt32: Int] = [:]
        for e in folded { frequency[e.encoding, default: 0] += 1 }
        let ranked = frequency.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key > $1.key }
        commonEncodings = ranked.prefix(UnwindInfoFormat.maxCommonEncodings).map(\.key)
        var commonIndex: [UInt32: Int] = [:]
        for (i, enc) in commonEncodings.enumerated() { commonIndex[enc] = i }

        // Second-level pages.
        let wordsPerCompressedPage = (UnwindInfoFormat.secondLevelPageSize - UnwindInfoFormat.compressedPageHeaderSize) / 4
        let entriesPerRegularPage = (UnwindInfoFormat.secondLevelPageSize - UnwindInfoFormat.regularPageHeaderSize) / UnwindInfoFormat.regularEntrySize
        var pages: [Page] = []
        var i = 0
        while i < folded.count {
            let first = i
            let base = folded[first].functionOffset
            var words = wordsPerCompressedPage
            var local: [UInt32] = []
            var localSet: Set<UInt32> = []
            while i < folded.count && words >= 1 {
                let e = folded[i]
                if e.functionOffset - base > UnwindInfoFormat.compressedFunctionOffsetMask { break }
                if commonIndex[e.encoding] != nil || localSet.contains(e.encoding) {
                    words -= 1
                } else if words >= 2 && commonEncodings.count + local.count < UnwindInfoFormat.maxEncodings {
                    local.append(e.encoding)
                    localSet.insert(e.encoding)
                    words -= 2
                } else {
                    break
                }
                i += 1
            }
            let compressedCount = i - first
            if i < folded.count && compressedCount < entriesPerRegularPage {
                // More entries fit in a regular page (a page of many distinct encodings, or
                // functions spread over more than 16 MiB).
                let count = min(entriesPerRegularPage, folded.count - first)
                pages.append(Page(first: first, count: count, compressed: false, localEncodings: []))
                i = first + count
            } else {
                pages.append(Page(first: first, count: compressedCount, compressed: true, localEncodings: local))
            }
        }

        // Layout.
        let commonOffset = UnwindInfoFormat.headerSize
        let personalitiesOffset = commonOffset + 4 * commonEncodings.count
        let indexOffset = personalitiesOffset + 4 * personalities.count
        let lsdaOffset = indexOffset + UnwindInfoFormat.indexEntrySize * (pages.count + 1)
        var lsdaBefore = 0
        var k = 0
        for p in pages.indices {
            pages[p].lsdaIndexStart = lsdaBefore
            while k < pages[p].first + pages[p].count {
                if folded[k].lsda != 0 { lsdaBefore += 1 }
                k += 1
            }
        }
        lsdaCount = lsdaBefore
        // Each second-level page gets a whole 4 KiB slot, as lld lays them out; the unused
        // tail of a slot is zero.
        let pagesOffset = lsdaOffset + UnwindInfoFormat.lsdaEntrySize * lsdaCount
        for p in pages.indices { pages[p].offset = pagesOffset + p * UnwindInfoFormat.secondLevelPageSize }
        self.pages = pages
        size = pagesOffset + pages.count * UnwindInfoFormat.secondLevelPageSize
    }

    /// Writes the section's `size` bytes at `p`.
    public func write(into p: UnsafeMutableRawPointer) {
        p.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        func put32(_ o: Int, _ v: UInt32) { p.storeBytes(of: v.littleEndian, toByteOffset: o, as: UInt32.self) }
        func put16(_ o: Int, _ v: UInt16) { p.storeBytes(of: v.littleEndian, toByteOffset: o, as: UInt16.self) }
        let commonOffset = UnwindInfoFormat.headerSize
        let personalitiesOffset = commonOffset + 4 * commonEncodings.count
        let indexOffset = personalitiesOffset + 4 * personalities.count
        let lsdaOffset = indexOffset + UnwindInfoFormat.indexEntrySize * (pages.count + 1)

        put32(0, UnwindInfoFormat.version)
        put32(4, UInt32(commonOffset))
        put32(8, UInt32(commonEncodings.count))
        put32(12, UInt32(personalitiesOffset))
        put32(16, UInt32(personalities.count))
        put32(20, UInt32(indexOffset))
        put32(24, UInt32(pages.count + 1))
        for (i, e) in commonEncodings.enumerated() { put32(commonOffset + 4 * i, e) }
        for (i, e) in personalities.enumerated() { put32(personalitiesOffset + 4 * i, e) }

        for (n, page) in pages.enumerated() {
            let o = indexOffset + UnwindInfoFormat.indexEntrySize * n
            put32(o, foldedEntries[page.first].functionOffset)
            put32(o + 4, UInt32(page.offset))
            put32(o + 8, UInt32(lsdaOffset + UnwindInfoFormat.lsdaEntrySize * page.lsdaIndexStart))
        }
        let sentinel = indexOffset + UnwindInfoFormat.indexEntrySize * pages.count
        put32(sentinel, endOfLastFunction)
        put32(sentinel + 4, 0)
        put32(sentinel + 8, UInt32(lsdaOffset + UnwindInfoFormat.lsdaEntrySize * lsdaCount))

        var l = lsdaOffset
        for e in foldedEntries where e.lsda != 0 {
            put32(l, e.functionOffset)
            put32(l + 4, e.lsda)
            l += UnwindInfoFormat.lsdaEntrySize
        }

        var commonIndex: [UInt32: UInt32] = [:]
        for (i, enc) in commonEncodings.enumerated() { commonIndex[enc] = UInt32(i) }
        for page in pages {
            let o = page.offset
            let entries = foldedEntries[page.first..<page.first + page.count]
            if page.compressed {
                let entriesOffset = UnwindInfoFormat.compressedPageHeaderSize
                let encodingsOffset = entriesOffset + 4 * page.count
                put32(o, UnwindInfoFormat.compressedPageKind)
                put16(o + 4, UInt16(entriesOffset))
                put16(o + 6, UInt16(page.count))
                put16(o + 8, UInt16(encodingsOffset))
                put16(o + 10, UInt16(page.localEncodings.count))
                let base = entries.first!.functionOffset
                for (k, e) in entries.enumerated() {
                    let index = commonIndex[e.encoding]
                        ?? UInt32(commonEncodings.count + page.localEncodings.firstIndex(of: e.encoding)!)
                    put32(o + entriesOffset + 4 * k, (e.functionOffset - base) | index << 24)
                }
                for (k, enc) in page.localEncodings.enumerated() { put32(o + encodingsOffset + 4 * k, enc) }
            } else {
                put32(o, UnwindInfoFormat.regularPageKind)
                put16(o + 4, UInt16(UnwindInfoFormat.regularPageHeaderSize))
                put16(o + 6, UInt16(page.count))
                for (k, e) in entries.enumerated() {
                    put32(o + 8 + 8 * k, e.functionOffset)
                    put32(o + 12 + 8 * k, e.encoding)
                }
            }
        }
    }
}
