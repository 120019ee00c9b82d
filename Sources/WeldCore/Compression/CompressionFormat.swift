/// The compression formats of ELF debug sections (`Elf64_Chdr.ch_type`). A file of its own,
/// free of the C libraries, so the object reader (and its fuzz build) can name them.
public enum CompressionFormat: UInt32, Sendable {
    case zlib = 1   // ELFCOMPRESS_ZLIB
    case zstd = 2   // ELFCOMPRESS_ZSTD

    public var name: String { self == .zlib ? "zlib" : "zstd" }
}
