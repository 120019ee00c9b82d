/// Mach-O format constants (from the public <mach-o/loader.h>, <mach-o/nlist.h>,
/// <mach-o/reloc.h> and <mach-o/arm64/reloc.h> definitions). Only what weld reads or writes.
enum MachO {
    static let magic64: UInt32 = 0xfeed_facf
    static let fatMagic: UInt32 = 0xcafe_babe          // stored big-endian
    static let cpuTypeARM64: UInt32 = 0x0100_000c
    static let cpuTypeX86_64: UInt32 = 0x0100_0007

    // File types.
    static let mhObject: UInt32 = 1
    static let mhExecute: UInt32 = 2
    static let mhDylib: UInt32 = 6
    static let mhBundle: UInt32 = 8

    // Header flags.
    static let mhNoUndefs: UInt32 = 0x1
    static let mhDyldLink: UInt32 = 0x4
    static let mhTwoLevel: UInt32 = 0x80
    static let mhWeakDefines: UInt32 = 0x8000
    static let mhBindsToWeak: UInt32 = 0x1_0000
    static let mhSubsectionsViaSymbols: UInt32 = 0x2000
    static let mhNoReexportedDylibs: UInt32 = 0x10_0000
    static let mhPIE: UInt32 = 0x20_0000
    static let mhHasTLVDescriptors: UInt32 = 0x80_0000
    static let mhDeadStrippableDylib: UInt32 = 0x40_0000
    static let mhAppExtensionSafe: UInt32 = 0x200_0000

    // Load commands.
    static let lcReqDyld: UInt32 = 0x8000_0000
    static let lcSymtab: UInt32 = 0x2
    static let lcDysymtab: UInt32 = 0xb
    static let lcLoadDylib: UInt32 = 0xc
    static let lcIdDylib: UInt32 = 0xd
    static let lcLoadDylinker: UInt32 = 0xe
    static let lcLoadWeakDylib: UInt32 = 0x18 | lcReqDyld
    static let lcSegment64: UInt32 = 0x19
    static let lcUUID: UInt32 = 0x1b
    static let lcRpath: UInt32 = 0x1c | lcReqDyld
    static let lcCodeSignature: UInt32 = 0x1d
    static let lcReexportDylib: UInt32 = 0x1f | lcReqDyld
    static let lcDyldInfo: UInt32 = 0x22
    static let lcDyldInfoOnly: UInt32 = 0x22 | lcReqDyld
    static let lcFunctionStarts: UInt32 = 0x26
    static let lcMain: UInt32 = 0x28 | lcReqDyld
    static let lcDataInCode: UInt32 = 0x29
    static let lcSourceVersion: UInt32 = 0x2a
    static let lcLinkerOption: UInt32 = 0x2d
    static let lcLinkerOptimizationHint: UInt32 = 0x2e
    static let lcBuildVersion: UInt32 = 0x32
    static let lcDyldExportsTrie: UInt32 = 0x33 | lcReqDyld
    static let lcDyldChainedFixups: UInt32 = 0x34 | lcReqDyld

    // Segment flags and protections.
    static let sgReadOnly: UInt32 = 0x10
    static let protR: UInt32 = 1, protW: UInt32 = 2, protX: UInt32 = 4

    // Section types (low byte of flags).
    static let sectionTypeMask: UInt32 = 0xff
    static let sRegular: UInt32 = 0x0
    static let sZerofill: UInt32 = 0x1
    static let sCStringLiterals: UInt32 = 0x2
    static let s4ByteLiterals: UInt32 = 0x3
    static let s8ByteLiterals: UInt32 = 0x4
    static let sLiteralPointers: UInt32 = 0x5
    static let sNonLazySymbolPointers: UInt32 = 0x6
    static let sLazySymbolPointers: UInt32 = 0x7
    static let sSymbolStubs: UInt32 = 0x8
    static let sModInitFuncPointers: UInt32 = 0x9
    static let sModTermFuncPointers: UInt32 = 0xa
    static let sCoalesced: UInt32 = 0xb
    static let sGBZerofill: UInt32 = 0xc
    static let s16ByteLiterals: UInt32 = 0xe
    static let sThreadLocalRegular: UInt32 = 0x11
    static let sThreadLocalZerofill: UInt32 = 0x12
    static let sThreadLocalVariables: UInt32 = 0x13
    static let sThreadLocalVariablePointers: UInt32 = 0x14
    static let sThreadLocalInitFunctionPointers: UInt32 = 0x15
    static let sInitFuncOffsets: UInt32 = 0x16

    // Section attributes.
    static let attrPureInstructions: UInt32 = 0x8000_0000
    static let attrNoDeadStrip: UInt32 = 0x1000_0000
    static let attrLiveSupport: UInt32 = 0x0800_0000
    static let attrDebug: UInt32 = 0x0200_0000
    static let attrSomeInstructions: UInt32 = 0x400

    // nlist_64 n_type bits.
    static let nStab: UInt8 = 0xe0
    static let nPext: UInt8 = 0x10
    static let nTypeMask: UInt8 = 0x0e
    static let nExt: UInt8 = 0x01
    static let nUndf: UInt8 = 0x0
    static let nAbs: UInt8 = 0x2
    static let nSect: UInt8 = 0xe
    static let nIndr: UInt8 = 0xa

    // nlist_64 n_desc bits.
    static let nNoDeadStrip: UInt16 = 0x20
    static let nWeakRef: UInt16 = 0x40
    static let nWeakDef: UInt16 = 0x80
    static let nAltEntry: UInt16 = 0x200
    static let referencedDynamically: UInt16 = 0x10

    static let indirectSymbolLocal: UInt32 = 0x8000_0000
    static let indirectSymbolAbs: UInt32 = 0x4000_0000

    // Platforms and tools (LC_BUILD_VERSION).
    static let platformMacOS: UInt32 = 1
    static let toolLD: UInt32 = 3

    static let pageSize: UInt64 = 0x4000       // arm64 segments are aligned to 16 KiB
}

/// arm64 relocation types (<mach-o/arm64/reloc.h>).
enum ARM64Reloc {
    static let unsigned: UInt8 = 0
    static let subtractor: UInt8 = 1
    static let branch26: UInt8 = 2
    static let page21: UInt8 = 3
    static let pageoff12: UInt8 = 4
    static let gotLoadPage21: UInt8 = 5
    static let gotLoadPageoff12: UInt8 = 6
    static let pointerToGOT: UInt8 = 7
    static let tlvpLoadPage21: UInt8 = 8
    static let tlvpLoadPageoff12: UInt8 = 9
    static let addend: UInt8 = 10
    static let authenticatedPointer: UInt8 = 11

    static func name(_ t: UInt8) -> String {
        switch t {
        case 0: return "ARM64_RELOC_UNSIGNED"
        case 1: return "ARM64_RELOC_SUBTRACTOR"
        case 2: return "ARM64_RELOC_BRANCH26"
        case 3: return "ARM64_RELOC_PAGE21"
        case 4: return "ARM64_RELOC_PAGEOFF12"
        case 5: return "ARM64_RELOC_GOT_LOAD_PAGE21"
        case 6: return "ARM64_RELOC_GOT_LOAD_PAGEOFF12"
        case 7: return "ARM64_RELOC_POINTER_TO_GOT"
        case 8: return "ARM64_RELOC_TLVP_LOAD_PAGE21"
        case 9: return "ARM64_RELOC_TLVP_LOAD_PAGEOFF12"
        case 10: return "ARM64_RELOC_ADDEND"
        case 11: return "ARM64_RELOC_AUTHENTICATED_POINTER"
        default: return "relocation type \(t)"
        }
    }
}
