import WeldCore
import Synchronization

/// A compressed input section waiting to be inflated: where its compressed bytes are in the
/// mapping and how to read them. `parse()` records one per compressed section and gives the
/// `InputSection` its uncompressed size and alignment, so relocation offsets are checked
/// against the real contents; `decompressSections` fills in the data after resolution.
public struct CompressedInput: Sendable {
    public let sectionIndex: Int
    public let format: CompressionFormat
    public let payloadOffset: Int        // compressed bytes, from the start of the file
    public let payloadSize: Int
}

/// The parts of a compressed section's header that parse() needs.
struct CompressedHeader {
    var format: CompressionFormat
    var size: UInt64
    var align: UInt64
    var payloadOffset: Int
    var payloadSize: Int
}

/// Largest uncompressed size weld accepts for one section. A header claiming more is corrupt
/// (or a decompression bomb): say so instead of trying to allocate it.
let maxUncompressedSectionSize: UInt64 = 1 << 36

extension ObjectFile {
    /// Reads the `Elf64_Chdr` at the start of an SHF_COMPRESSED section's contents (ch_type,
    /// ch_reserved, ch_size, ch_addralign: 24 bytes).
    func compressedHeader(section name: NameRef, offset: UInt64, size: UInt64) throws(LinkError) -> CompressedHeader {
        let where_ = "section \(name.string)"
        if size < 24 { throw corrupt("\(where_) is compressed (SHF_COMPRESSED) but is too small (\(size) bytes) for its compression header") }
        let p = base + Int(offset)
        let type = p.u32(0)
        guard let format = CompressionFormat(rawValue: type) else {
            throw corrupt("\(where_) uses unknown compression type \(type) (1 = zlib, 2 = zstd)")
        }
        let rawSize = p.u64(8), align = p.u64(16)
        if rawSize > maxUncompressedSectionSize {
            throw corrupt("\(where_) claims an uncompressed size of \(rawSize) bytes, too large")
        }
        if align > 1 << 30 || align & (align &- 1) != 0 {
            throw corrupt("\(where_) has uncompressed alignment \(align) in its compression header, not a power of two")
        }
        return CompressedHeader(format: format, size: rawSize, align: align, payloadOffset: Int(offset) + 24, payloadSize: Int(size) - 24)
    }

    /// The legacy GNU form `.zdebug_*`: "ZLIB", the uncompressed size as 8 big-endian bytes,
    /// then a zlib stream. nil if the section does not start with that magic (it is then kept
    /// as it is, like GNU ld keeps an uncompressed .zdebug section).
    func legacyCompressedHeader(section name: NameRef, offset: UInt64, size: UInt64, align: UInt64) throws(LinkError) -> CompressedHeader? {
        let p = base + Int(offset)
        guard size >= 12, p.u32(0) == 0x4249_4c5a /* "ZLIB" */ else { return nil }
        var rawSize: UInt64 = 0
        for k in 0..<8 { rawSize = rawSize << 8 | UInt64(p.u8(4 + k)) }
        if rawSize > maxUncompressedSectionSize {
            throw corrupt("section \(name.string) claims an uncompressed size of \(rawSize) bytes, too large")
        }
        return CompressedHeader(format: .zlib, size: rawSize, align: align, payloadOffset: Int(offset) + 12, payloadSize: Int(size) - 12)
    }
}

/// `.zdebug_info` → `.debug_info`, made once per distinct name for the whole process (the
/// name outlives any one file's mapping). The table keeps every name reachable, so leak
/// checkers (the fuzz build) do not count them as lost.
private let legacyNames = Mutex<[String: NameRef]>([:])

func uncompressedName(ofLegacy name: NameRef) -> NameRef {
    let plain = "." + String(name.string.dropFirst(2))
    return legacyNames.withLock { table in
        if let n = table[plain] { return n }
        let n = permanentName(plain)
        table[plain] = n
        return n
    }
}
