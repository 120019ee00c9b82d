/// Constants of `LC_DYLD_CHAINED_FIXUPS` (`mach-o/fixup-chains.h`). All fields little-endian.
///
/// Payload: `dyld_chained_fixups_header` (7 × u32), `dyld_chained_starts_in_image`
/// (seg_count, then one u32 offset per segment, 0 for a segment without fixups), one
/// `dyld_chained_starts_in_segment` per segment with fixups (size u32, page_size u16,
/// pointer_format u16, segment_offset u64, max_valid_pointer u32, page_count u16,
/// page_start[page_count] u16), the imports table, then the symbol names.
public enum ChainedFixupsFormat {
    public static let headerSize = 28
    public static let fixupsVersion: UInt32 = 0

    /// `DYLD_CHAINED_PTR_64_OFFSET`: 64-bit pointers, rebase targets are offsets from the
    /// image's Mach-O header (what Apple's ld writes for arm64 on macOS 12 and later).
    public static let pointerFormat64Offset: UInt16 = 6
    /// `DYLD_CHAINED_PTR_64`: rebase targets are unslid addresses (what ld64.lld writes).
    public static let pointerFormat64: UInt16 = 2
    /// Chains link pointers within one 16 KiB page.
    public static let pageSize = 0x4000
    /// `next` counts 4-byte strides for the 64-bit formats.
    public static let strideBytes = 4
    /// `page_start` value of a page without fixups.
    public static let pageStartNone: UInt16 = 0xFFFF
    /// Size of `dyld_chained_starts_in_segment` before `page_start[]`.
    public static let startsInSegmentHeaderSize = 22

    /// Import table formats (`imports_format`).
    public enum ImportFormat: UInt32, Sendable {
        /// `DYLD_CHAINED_IMPORT`: u32 lib_ordinal:8, weak_import:1, name_offset:23.
        case `import` = 1
        /// `DYLD_CHAINED_IMPORT_ADDEND`: the same plus an i32 addend.
        case importAddend = 2
        /// `DYLD_CHAINED_IMPORT_ADDEND64`: u64 lib_ordinal:16, weak_import:1, reserved:15,
        /// name_offset:32, then an i64 addend.
        case importAddend64 = 3

        public var entrySize: Int {
            switch self {
            case .import: return 4
            case .importAddend: return 8
            case .importAddend64: return 16
            }
        }
    }

    /// `symbols_format` 0: names are plain NUL-terminated strings.
    public static let symbolsFormatUncompressed: UInt32 = 0

    /// Special library ordinals (`BIND_SPECIAL_DYLIB_*`), stored truncated to the ordinal
    /// field's width (0xFF / 0xFFFF for -1, …).
    public static let ordinalSelf = 0
    public static let ordinalMainExecutable = -1
    public static let ordinalFlatLookup = -2
    public static let ordinalWeakLookup = -3

    /// Largest positive ordinal an 8-bit import field holds; above it dyld reads the value
    /// as one of the special negative ordinals.
    public static let maxOrdinal8 = 0xF0

    /// Bits of a `dyld_chained_ptr_64_rebase` / `_bind` pointer.
    public static let rebaseTargetBits = 36
    public static let bindOrdinalBits = 24
    /// A bind pointer's own addend: 8 bits, unsigned. Larger addends go in the import.
    public static let pointerAddendRange: ClosedRange<Int64> = 0...255
}
