/// Constants of the export trie (`LC_DYLD_EXPORTS_TRIE`, `mach-o/loader.h` EXPORT_SYMBOL_FLAGS_*).
///
/// Each node is: ULEB128 size of its terminal information (0 if no symbol ends here), the
/// terminal information (ULEB128 flags, then per kind: address; or dylib ordinal and
/// NUL-terminated import name for a re-export; or stub address and resolver address), one
/// byte of child count, then per child a NUL-terminated edge label and the ULEB128 offset of
/// the child node from the start of the trie.
public enum ExportTrieFormat {
    public static let kindMask: UInt64 = 0x03
    public static let kindRegular: UInt64 = 0x00
    public static let kindThreadLocal: UInt64 = 0x01
    public static let kindAbsolute: UInt64 = 0x02
    public static let weakDefinition: UInt64 = 0x04
    public static let reexport: UInt64 = 0x08
    public static let stubAndResolver: UInt64 = 0x10
    public static let staticResolver: UInt64 = 0x20
}
