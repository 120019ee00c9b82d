internal import CCompression

/// The compression formats of ELF debug sections (`Elf64_Chdr.ch_type`).
public enum CompressionFormat: UInt32, Sendable {
    case zlib = 1   // ELFCOMPRESS_ZLIB
    case zstd = 2   // ELFCOMPRESS_ZSTD

    public var name: String { self == .zlib ? "zlib" : "zstd" }
}

/// Decompresses `src` (one zlib stream, or one or more concatenated zstd frames) into exactly
/// `dstSize` bytes at `dst`. Returns nil on success, else why the data is bad, for an error
/// message that names the file and section.
///
/// Neither library has global state to set up: a link without compressed sections never calls
/// into them, and each call here uses its own short-lived decoder.
public func decompress(_ format: CompressionFormat, from src: UnsafeRawPointer, count srcSize: Int,
                       into dst: UnsafeMutableRawPointer, count dstSize: Int) -> String? {
    switch format {
    case .zlib:
        switch weld_zlib_inflate(src, srcSize, dst, dstSize) {
        case 0: return nil
        case -2: return "the zlib stream does not hold the \(dstSize) bytes the header promises"
        case -3: return "zlib could not allocate its state"
        default: return "corrupt or truncated zlib stream"
        }
    case .zstd:
        let n = ZSTD_decompress(dst, dstSize, src, srcSize)
        if ZSTD_isError(n) != 0 {
            let why = String(cString: ZSTD_getErrorName(n))
            // A destination that is too small means the data holds more than promised.
            if ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall {
                return "the zstd data holds more than the \(dstSize) bytes the header promises"
            }
            return "corrupt zstd data (\(why))"
        }
        if n != dstSize { return "the zstd data holds \(n) bytes, not the \(dstSize) the header promises" }
        return nil
    }
}
