internal import CCompression

/// Decompresses sections one after another on one thread, reusing its zlib stream and zstd
/// context (each made on first use) instead of allocating them per section: a link with
/// thousands of compressed sections would otherwise set up a decoder thousands of times.
public final class Decompressor {
    private let decoder: OpaquePointer?

    public init() { decoder = weld_decoder_create() }
    deinit { weld_decoder_destroy(decoder) }

    /// Decompresses `src` (one zlib stream, or one or more concatenated zstd frames) into
    /// exactly `dstSize` bytes at `dst`. Returns nil on success, else why the data is bad, for
    /// an error message that names the file and section.
    public func decompress(_ format: CompressionFormat, from src: UnsafeRawPointer, count srcSize: Int,
                           into dst: UnsafeMutableRawPointer, count dstSize: Int) -> String? {
        guard let decoder else { return "cannot allocate a decompressor" }
        switch format {
        case .zlib:
            switch weld_decoder_zlib(decoder, src, srcSize, dst, dstSize) {
            case 0: return nil
            case -2: return "the zlib stream does not hold the \(dstSize) bytes the header promises"
            case -3: return "zlib could not allocate its state"
            default: return "corrupt or truncated zlib stream"
            }
        case .zstd:
            let n = weld_decoder_zstd(decoder, src, srcSize, dst, dstSize)
            if ZSTD_isError(n) != 0 {
                // A destination that is too small means the data holds more than promised.
                if ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall {
                    return "the zstd data holds more than the \(dstSize) bytes the header promises"
                }
                return "corrupt zstd data (\(String(cString: ZSTD_getErrorName(n))))"
            }
            if n != dstSize { return "the zstd data holds \(n) bytes, not the \(dstSize) the header promises" }
            return nil
        }
    }
}

/// One-off decompression with a decoder of its own (see `Decompressor.decompress`).
public func decompress(_ format: CompressionFormat, from src: UnsafeRawPointer, count srcSize: Int,
                       into dst: UnsafeMutableRawPointer, count dstSize: Int) -> String? {
    Decompressor().decompress(format, from: src, count: srcSize, into: dst, count: dstSize)
}
