// ELF constants used by weld (System V gABI, x86-64 psABI). Names follow <elf.h>.

public enum SHT {
    public static let null: UInt32 = 0, progbits: UInt32 = 1, symtab: UInt32 = 2, strtab: UInt32 = 3
    public static let rela: UInt32 = 4, hash: UInt32 = 5, dynamic: UInt32 = 6, note: UInt32 = 7
    public static let nobits: UInt32 = 8, rel: UInt32 = 9, dynsym: UInt32 = 11
    public static let initArray: UInt32 = 14, finiArray: UInt32 = 15, preinitArray: UInt32 = 16
    public static let group: UInt32 = 17, symtabShndx: UInt32 = 18, relr: UInt32 = 19
    public static let llvmCallGraphProfile: UInt32 = 0x6fff_4c09
    public static let gnuHash: UInt32 = 0x6fff_fff6, gnuVerdef: UInt32 = 0x6fff_fffd
    public static let gnuVerneed: UInt32 = 0x6fff_fffe, gnuVersym: UInt32 = 0x6fff_ffff
    public static let x86_64Unwind: UInt32 = 0x7000_0001
    public static let llvmAddrsig: UInt32 = 0x6fff_4c03
}

public enum SHF {
    public static let write: UInt64 = 0x1, alloc: UInt64 = 0x2, execinstr: UInt64 = 0x4
    public static let merge: UInt64 = 0x10, strings: UInt64 = 0x20, infoLink: UInt64 = 0x40
    public static let linkOrder: UInt64 = 0x80, group: UInt64 = 0x200, tls: UInt64 = 0x400
    public static let compressed: UInt64 = 0x800, gnuRetain: UInt64 = 0x20_0000
    public static let exclude: UInt64 = 0x8000_0000
}

public enum SHN {
    public static let undef: UInt16 = 0, abs: UInt16 = 0xfff1, common: UInt16 = 0xfff2
    public static let xindex: UInt16 = 0xffff, loreserve: UInt16 = 0xff00
}

public enum STB { public static let local: UInt8 = 0, global: UInt8 = 1, weak: UInt8 = 2, gnuUnique: UInt8 = 10 }
public enum STT {
    public static let notype: UInt8 = 0, object: UInt8 = 1, `func`: UInt8 = 2, section: UInt8 = 3
    public static let file: UInt8 = 4, common: UInt8 = 5, tls: UInt8 = 6, gnuIfunc: UInt8 = 10
}
public enum STV { public static let `default`: UInt8 = 0, `internal`: UInt8 = 1, hidden: UInt8 = 2, protected: UInt8 = 3 }

public enum PT {
    public static let null: UInt32 = 0, load: UInt32 = 1, dynamic: UInt32 = 2, interp: UInt32 = 3
    public static let note: UInt32 = 4, phdr: UInt32 = 6, tls: UInt32 = 7
    public static let gnuEhFrame: UInt32 = 0x6474_e550, gnuStack: UInt32 = 0x6474_e551
    public static let gnuRelro: UInt32 = 0x6474_e552, gnuProperty: UInt32 = 0x6474_e553
}
public enum PF { public static let x: UInt32 = 1, w: UInt32 = 2, r: UInt32 = 4 }

public enum DT {
    public static let null: Int64 = 0, needed: Int64 = 1, pltrelsz: Int64 = 2, pltgot: Int64 = 3
    public static let hash: Int64 = 4, strtab: Int64 = 5, symtab: Int64 = 6, rela: Int64 = 7
    public static let relasz: Int64 = 8, relaent: Int64 = 9, strsz: Int64 = 10, syment: Int64 = 11
    public static let `init`: Int64 = 12, fini: Int64 = 13, soname: Int64 = 14, rpath: Int64 = 15
    public static let symbolic: Int64 = 16, pltrel: Int64 = 20, debug: Int64 = 21, textrel: Int64 = 22
    public static let jmprel: Int64 = 23, bindNow: Int64 = 24, initArray: Int64 = 25, finiArray: Int64 = 26
    public static let initArraysz: Int64 = 27, finiArraysz: Int64 = 28, runpath: Int64 = 29, flags: Int64 = 30
    public static let preinitArray: Int64 = 32, preinitArraysz: Int64 = 33
    public static let relrsz: Int64 = 35, relr: Int64 = 36, relrent: Int64 = 37
    public static let gnuHash: Int64 = 0x6fff_fef5, versym: Int64 = 0x6fff_fff0
    public static let relacount: Int64 = 0x6fff_fff9, flags1: Int64 = 0x6fff_fffb
    public static let verdef: Int64 = 0x6fff_fffc, verdefnum: Int64 = 0x6fff_fffd
    public static let verneed: Int64 = 0x6fff_fffe, verneednum: Int64 = 0x6fff_ffff
}
public enum DF {
    public static let origin: UInt64 = 1, symbolic: UInt64 = 2, textrel: UInt64 = 4, bindNow: UInt64 = 8
    public static let staticTLS: UInt64 = 0x10
    public static let one_now: UInt64 = 1, one_nodelete: UInt64 = 8, one_initfirst: UInt64 = 0x20
    public static let one_noopen: UInt64 = 0x40, one_origin: UInt64 = 0x80, one_pie: UInt64 = 0x0800_0000
}

public enum ET { public static let rel: UInt16 = 1, exec: UInt16 = 2, dyn: UInt16 = 3 }
public let EM_X86_64: UInt16 = 62

/// x86-64 relocation types (psABI).
public enum R_X86_64 {
    public static let none: UInt32 = 0, r64: UInt32 = 1, pc32: UInt32 = 2, got32: UInt32 = 3
    public static let plt32: UInt32 = 4, copy: UInt32 = 5, globDat: UInt32 = 6, jumpSlot: UInt32 = 7
    public static let relative: UInt32 = 8, gotpcrel: UInt32 = 9, r32: UInt32 = 10, r32s: UInt32 = 11
    public static let r16: UInt32 = 12, pc16: UInt32 = 13, r8: UInt32 = 14, pc8: UInt32 = 15
    public static let dtpmod64: UInt32 = 16, dtpoff64: UInt32 = 17, tpoff64: UInt32 = 18
    public static let tlsgd: UInt32 = 19, tlsld: UInt32 = 20, dtpoff32: UInt32 = 21
    public static let gottpoff: UInt32 = 22, tpoff32: UInt32 = 23, pc64: UInt32 = 24
    public static let gotoff64: UInt32 = 25, gotpc32: UInt32 = 26, got64: UInt32 = 27
    public static let gotpcrel64: UInt32 = 28, gotpc64: UInt32 = 29, gotplt64: UInt32 = 30
    public static let pltoff64: UInt32 = 31, size32: UInt32 = 32, size64: UInt32 = 33
    public static let gotpc32Tlsdesc: UInt32 = 34, tlsdescCall: UInt32 = 35, tlsdesc: UInt32 = 36
    public static let irelative: UInt32 = 37, gotpcrelx: UInt32 = 41, rexGotpcrelx: UInt32 = 42

    public static func name(_ t: UInt32) -> String {
        let names = ["R_X86_64_NONE", "R_X86_64_64", "R_X86_64_PC32", "R_X86_64_GOT32", "R_X86_64_PLT32",
                     "R_X86_64_COPY", "R_X86_64_GLOB_DAT", "R_X86_64_JUMP_SLOT", "R_X86_64_RELATIVE",
                     "R_X86_64_GOTPCREL", "R_X86_64_32", "R_X86_64_32S", "R_X86_64_16", "R_X86_64_PC16",
                     "R_X86_64_8", "R_X86_64_PC8", "R_X86_64_DTPMOD64", "R_X86_64_DTPOFF64",
                     "R_X86_64_TPOFF64", "R_X86_64_TLSGD", "R_X86_64_TLSLD", "R_X86_64_DTPOFF32",
                     "R_X86_64_GOTTPOFF", "R_X86_64_TPOFF32", "R_X86_64_PC64", "R_X86_64_GOTOFF64",
                     "R_X86_64_GOTPC32", "R_X86_64_GOT64", "R_X86_64_GOTPCREL64", "R_X86_64_GOTPC64",
                     "R_X86_64_GOTPLT64", "R_X86_64_PLTOFF64", "R_X86_64_SIZE32", "R_X86_64_SIZE64",
                     "R_X86_64_GOTPC32_TLSDESC", "R_X86_64_TLSDESC_CALL", "R_X86_64_TLSDESC",
                     "R_X86_64_IRELATIVE", "R_X86_64_RELATIVE64", "39", "40", "R_X86_64_GOTPCRELX",
                     "R_X86_64_REX_GOTPCRELX"]
        return Int(t) < names.count ? names[Int(t)] : "unknown relocation \(t)"
    }
}
