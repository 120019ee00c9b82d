/// Constants of the classic dyld information (`LC_DYLD_INFO_ONLY`, `mach-o/loader.h`):
/// byte-coded rebase and bind programs. An opcode sits in the high nibble, a 4-bit immediate
/// in the low one; ULEB128/SLEB128 operands and C strings follow.
public enum DyldInfoFormat {
    public static let rebaseTypePointer: UInt8 = 1
    public static let bindTypePointer: UInt8 = 1

    public static let rebaseDone: UInt8 = 0x00
    public static let rebaseSetTypeImm: UInt8 = 0x10
    public static let rebaseSetSegmentAndOffsetULEB: UInt8 = 0x20
    public static let rebaseAddAddrULEB: UInt8 = 0x30
    public static let rebaseAddAddrImmScaled: UInt8 = 0x40
    public static let rebaseDoRebaseImmTimes: UInt8 = 0x50
    public static let rebaseDoRebaseULEBTimes: UInt8 = 0x60
    public static let rebaseDoRebaseAddAddrULEB: UInt8 = 0x70
    public static let rebaseDoRebaseULEBTimesSkippingULEB: UInt8 = 0x80

    public static let bindDone: UInt8 = 0x00
    public static let bindSetDylibOrdinalImm: UInt8 = 0x10
    public static let bindSetDylibOrdinalULEB: UInt8 = 0x20
    public static let bindSetDylibSpecialImm: UInt8 = 0x30
    public static let bindSetSymbolTrailingFlagsImm: UInt8 = 0x40
    public static let bindSetTypeImm: UInt8 = 0x50
    public static let bindSetAddendSLEB: UInt8 = 0x60
    public static let bindSetSegmentAndOffsetULEB: UInt8 = 0x70
    public static let bindAddAddrULEB: UInt8 = 0x80
    public static let bindDoBind: UInt8 = 0x90
    public static let bindDoBindAddAddrULEB: UInt8 = 0xA0
    public static let bindDoBindAddAddrImmScaled: UInt8 = 0xB0
    public static let bindDoBindULEBTimesSkippingULEB: UInt8 = 0xC0

    /// `BIND_SYMBOL_FLAGS_WEAK_IMPORT`: a missing definition binds to 0.
    public static let bindSymbolFlagWeakImport: UInt8 = 0x1
    /// `BIND_SYMBOL_FLAGS_NON_WEAK_DEFINITION` (weak-bind stream): this image has a strong
    /// definition that overrides weak ones elsewhere.
    public static let bindSymbolFlagNonWeakDefinition: UInt8 = 0x8

    static let pointerSize: UInt64 = 8
}
