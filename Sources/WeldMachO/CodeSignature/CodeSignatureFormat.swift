/// Constants of Apple's embedded code signature (`cs_blobs.h`). Every field of the blobs is
/// big-endian, unlike the rest of a Mach-O file.
public enum CodeSignatureFormat {
    /// SuperBlob holding all blobs of an embedded signature.
    public static let embeddedSignatureMagic: UInt32 = 0xFADE_0CC0
    /// CodeDirectory: the page hashes and what they cover.
    public static let codeDirectoryMagic: UInt32 = 0xFADE_0C02
    /// Slot type of the CodeDirectory in the SuperBlob's index.
    public static let codeDirectorySlot: UInt32 = 0

    /// CodeDirectory version with the execSeg fields (what ld64 and lld write).
    public static let codeDirectoryVersion: UInt32 = 0x20400
    /// `CS_ADHOC`: no certificate, identified by the CodeDirectory hash alone.
    public static let flagAdHoc: UInt32 = 0x0000_0002
    /// `CS_LINKER_SIGNED`: made by a linker; tools may re-sign it freely.
    public static let flagLinkerSigned: UInt32 = 0x0002_0000

    /// `CS_HASHTYPE_SHA256`.
    public static let hashTypeSHA256: UInt8 = 2
    public static let sha256Size = 32

    /// `CS_EXECSEG_MAIN_BINARY`: set in execSegFlags of an executable (not of a dylib).
    public static let execSegMainBinary: UInt64 = 0x1

    /// SuperBlob header (magic, length, count) plus one index entry (type, offset).
    static let superBlobHeaderSize = 12
    static let blobIndexSize = 8
    /// CodeDirectory fixed part for version 0x20400: 44 bytes of the original layout, then
    /// scatterOffset, teamOffset, spare3, codeLimit64, execSegBase, execSegLimit, execSegFlags.
    public static let codeDirectorySize = 88
}
