/// Constants of `__TEXT,__unwind_info` and of arm64 compact unwind encodings
/// (`mach-o/compact_unwind_encoding.h`). All fields little-endian.
///
/// Layout: a 7-word header (version, then offset and count of the common encodings, the
/// personalities and the first-level index), the common encodings (u32), personalities
/// (u32 image offsets of the pointers to them), first-level index entries (function
/// offset, second-level page offset, LSDA-index offset; a final sentinel whose function
/// offset is the end of the last function), the LSDA index (function offset, LSDA offset
/// pairs), then the second-level pages.
public enum UnwindInfoFormat {
    public static let version: UInt32 = 1
    public static let headerSize = 28
    public static let indexEntrySize = 12
    public static let lsdaEntrySize = 8

    /// Second-level page kinds.
    public static let regularPageKind: UInt32 = 2
    public static let compressedPageKind: UInt32 = 3
    /// A second-level page holds at most this many bytes.
    public static let secondLevelPageSize = 4096
    public static let regularPageHeaderSize = 8
    public static let compressedPageHeaderSize = 12
    /// Regular entries are (function offset, encoding) pairs.
    public static let regularEntrySize = 8
    /// Compressed entries are one word: function offset from the page's first function in
    /// the low 24 bits, encoding index in the high 8.
    public static let compressedFunctionOffsetMask: UInt32 = 0x00FF_FFFF
    /// Encoding indexes are 8 bits; the common table takes at most 127 of them.
    public static let maxEncodings = 256
    public static let maxCommonEncodings = 127
    /// Personality index is 2 bits of the encoding: at most 3 personalities.
    public static let maxPersonalities = 3

    /// Encoding bits shared by all architectures.
    public static let isNotFunctionStart: UInt32 = 0x8000_0000
    public static let hasLSDA: UInt32 = 0x4000_0000
    public static let personalityMask: UInt32 = 0x3000_0000
    public static let personalityShift: UInt32 = 28

    /// arm64 modes (`UNWIND_ARM64_MODE_*`).
    public static let arm64ModeMask: UInt32 = 0x0F00_0000
    public static let arm64ModeFrameless: UInt32 = 0x0200_0000
    /// The function's unwind info is the FDE at the offset in the low 24 bits of `__eh_frame`.
    public static let arm64ModeDwarf: UInt32 = 0x0300_0000
    public static let arm64ModeFrame: UInt32 = 0x0400_0000
    public static let arm64DwarfSectionOffsetMask: UInt32 = 0x00FF_FFFF
}
