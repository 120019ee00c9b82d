import WeldCore

/// The ad-hoc code signature Apple's linkers put at the end of an arm64 Mach-O (its
/// `LC_CODE_SIGNATURE`): a SuperBlob holding one CodeDirectory with the SHA-256 of every
/// 4 KiB page of the file before the signature, flags adhoc | linker-signed, no special slots.
///
/// Use in two steps, since `__LINKEDIT`'s size depends on the signature's:
/// 1. At layout, once the signature's file offset is known (it must be a multiple of
///    ``alignment`` and is everything the signature covers), build the value and reserve
///    ``size`` bytes there: `LC_CODE_SIGNATURE` gets `dataoff = codeLimit`, `datasize = size`.
/// 2. After every other byte of the output is written, call ``write(into:)`` on the mapped
///    output; it hashes the pages in parallel and fills in the blob.
///
/// The blob is laid out as lld lays it out (the SuperBlob header padded to 8 bytes, the
/// identifier padded so the hashes start 16-byte aligned), so weld's and lld's signatures of
/// the same bytes are identical.
public struct AdHocCodeSignature: Sendable {
    /// Bytes per hashed page. arm64 macOS uses 4 KiB code-signing pages even with 16 KiB VM pages.
    public static let pageSize = 4096
    static let pageSizeLog2: UInt8 = 12
    /// Required alignment of the signature's file offset.
    public static let alignment = 16

    /// The code-signing identifier, usually the output file's base name.
    public let identifier: String
    /// File offset of the signature = number of bytes hashed.
    public let codeLimit: Int
    /// File offset and size of `__TEXT` (execSegBase / execSegLimit).
    public let execSegmentBase: UInt64
    public let execSegmentLimit: UInt64
    /// True for `MH_EXECUTE` (sets `CS_EXECSEG_MAIN_BINARY`), false for dylibs and bundles.
    public let isMainBinary: Bool

    /// - Precondition: `codeLimit` is a multiple of ``alignment``; `identifier` contains no NUL.
    public init(identifier: String, codeLimit: Int, execSegmentBase: UInt64, execSegmentLimit: UInt64,
                isMainBinary: Bool) {
        precondition(codeLimit >= 0 && codeLimit % Self.alignment == 0, "code signature offset must be 16-byte aligned")
        precondition(!identifier.utf8.contains(0), "code signing identifier contains NUL")
        self.identifier = identifier
        self.codeLimit = codeLimit
        self.execSegmentBase = execSegmentBase
        self.execSegmentLimit = execSegmentLimit
        self.isMainBinary = isMainBinary
    }

    /// Number of page hashes (the last page may be short).
    public var pageCount: Int { (codeLimit + Self.pageSize - 1) / Self.pageSize }

    /// Where the CodeDirectory starts inside the blob: the SuperBlob header and its one index
    /// entry, rounded up to 8.
    static var codeDirectoryOffset: Int {
        (CodeSignatureFormat.superBlobHeaderSize + CodeSignatureFormat.blobIndexSize + 7) & ~7
    }

    /// Offset of the first page hash from the start of the blob: headers and the
    /// NUL-terminated identifier, rounded up to 16.
    var hashesOffset: Int {
        (Self.codeDirectoryOffset + CodeSignatureFormat.codeDirectorySize + identifier.utf8.count + 1 + 15) & ~15
    }

    /// Total bytes of the signature: `LC_CODE_SIGNATURE`'s datasize.
    public var size: Int { hashesOffset + pageCount * CodeSignatureFormat.sha256Size }

    /// Writes the signature at `output + codeLimit`, hashing `output[0..<codeLimit]`.
    /// `output` must hold at least `codeLimit + size` bytes. Pages are hashed in parallel
    /// (WeldCore `Parallel`), each into its own slot, so the result does not depend on the
    /// thread count. `hash` picks the SHA-256 implementation (any `HashFunction` with a
    /// 32-byte digest).
    public func write<H: HashFunction>(into output: UnsafeMutableRawPointer, using hash: H.Type = SHA256.self) {
        precondition(H.digestSize == CodeSignatureFormat.sha256Size)
        let blob = output + codeLimit
        let total = size
        let cdOffset = Self.codeDirectoryOffset
        let hashesOffset = self.hashesOffset
        let identifierOffset = cdOffset + CodeSignatureFormat.codeDirectorySize
        // Headers, identifier and padding first; every byte of the blob is written, so the
        // output need not be zero-filled.
        blob.initializeMemory(as: UInt8.self, repeating: 0, count: hashesOffset)
        storeBE32(blob, 0, CodeSignatureFormat.embeddedSignatureMagic)
        storeBE32(blob, 4, UInt32(total))
        storeBE32(blob, 8, 1)
        storeBE32(blob, 12, CodeSignatureFormat.codeDirectorySlot)
        storeBE32(blob, 16, UInt32(cdOffset))

        let cd = blob + cdOffset
        storeBE32(cd, 0, CodeSignatureFormat.codeDirectoryMagic)
        storeBE32(cd, 4, UInt32(total - cdOffset))
        storeBE32(cd, 8, CodeSignatureFormat.codeDirectoryVersion)
        storeBE32(cd, 12, CodeSignatureFormat.flagAdHoc | CodeSignatureFormat.flagLinkerSigned)
        storeBE32(cd, 16, UInt32(hashesOffset - cdOffset))            // hashOffset
        storeBE32(cd, 20, UInt32(identifierOffset - cdOffset))        // identOffset
        storeBE32(cd, 24, 0)                                          // nSpecialSlots
        storeBE32(cd, 28, UInt32(pageCount))                          // nCodeSlots
        // codeLimit is 32-bit; past 4 GiB the 64-bit field carries it (cs_blobs.h).
        let limit32 = codeLimit <= Int(UInt32.max) ? UInt32(codeLimit) : UInt32.max
        storeBE32(cd, 32, limit32)
        cd.storeBytes(of: UInt8(CodeSignatureFormat.sha256Size), toByteOffset: 36, as: UInt8.self)
        cd.storeBytes(of: CodeSignatureFormat.hashTypeSHA256, toByteOffset: 37, as: UInt8.self)
        cd.storeBytes(of: UInt8(0), toByteOffset: 38, as: UInt8.self)  // platform
        cd.storeBytes(of: Self.pageSizeLog2, toByteOffset: 39, as: UInt8.self)
        // 40 spare2, 44 scatterOffset, 48 teamOffset, 52 spare3: zero.
        storeBE64(cd, 56, codeLimit <= Int(UInt32.max) ? 0 : UInt64(codeLimit))
        storeBE64(cd, 64, execSegmentBase)
        storeBE64(cd, 72, execSegmentLimit)
        storeBE64(cd, 80, isMainBinary ? CodeSignatureFormat.execSegMainBinary : 0)
        var id = identifier
        id.withUTF8 { (blob + identifierOffset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }

        let hashes = blob + hashesOffset
        let limit = codeLimit
        let input = UnsafeRawPointer(output)
        // 16 pages (64 KiB) per task at least: hashing one page is ≈ 2–10 µs.
        Parallel.forEach(pageCount, minChunk: 16) { page in
            let start = page * Self.pageSize
            let end = min(start + Self.pageSize, limit)
            var h = H()
            h.update(UnsafeRawBufferPointer(start: input + start, count: end - start))
            h.finalize(into: hashes + page * CodeSignatureFormat.sha256Size)
        }
    }
}

@inline(__always) func storeBE32(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt32) {
    p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self)
}

@inline(__always) func storeBE64(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt64) {
    p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt64.self)
}
