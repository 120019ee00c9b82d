import WeldCore

/// A dynamic library the output links against: a binary MH_DYLIB or a text stub (.tbd). Only
/// its identity and its exported names matter to the link.
final class DylibFile {
    struct Export {
        var name: UnsafeRawBufferPointer
        var weakDef: Bool
        var threadLocal: Bool
    }

    let path: String
    var installName: String
    var currentVersion: UInt32
    var compatibilityVersion: UInt32
    var exports: [Export] = []
    /// Install names of libraries this one re-exports (their exports count as its own).
    var reexports: [String] = []
    var weak = false
    var reexported = false
    var needed = false
    /// 1-based LC_LOAD_DYLIB ordinal in the output; 0 until assigned.
    var ordinal: Int = 0
    var isReferenced = false
    /// True for a library only reachable as a re-export of another (no load command of its own
    /// unless it is hoisted, see `isPublic`).
    var isHidden = false
    /// `parent-umbrella` of a text stub (System for libSystem's parts).
    var parentUmbrella: String? = nil

    /// A re-exported library ld64 "hoists" to a load command of its own when the output uses it
    /// (what `-no_implicit_dylibs` turns off): one at a public path (/usr/lib/X.dylib or a
    /// framework in /System/Library/Frameworks) without an umbrella.
    var isPublic: Bool {
        guard parentUmbrella == nil else { return false }
        if installName.hasPrefix("/usr/lib/") { return !installName.dropFirst(9).contains("/") }
        if installName.hasPrefix("/System/Library/Frameworks/") {
            let rest = installName.dropFirst(27).split(separator: "/")
            return rest.count == 2 && rest[0] == rest[1] + ".framework"
        }
        return false
    }

    init(path: String, installName: String, currentVersion: UInt32, compatibilityVersion: UInt32) {
        self.path = path
        self.installName = installName
        self.currentVersion = currentVersion
        self.compatibilityVersion = compatibilityVersion
    }

    /// Reads a binary arm64 MH_DYLIB: LC_ID_DYLIB, re-exports, and the external definitions of
    /// its symbol table (which for a linked dylib lists exactly what the export trie holds).
    static func readBinary(path: String, bytes: UnsafeRawBufferPointer) throws(LinkError) -> DylibFile {
        guard let base = bytes.baseAddress, bytes.count >= 32, base.u32(0) == MachO.magic64 else {
            throw LinkError("\(path): not a 64-bit Mach-O file")
        }
        func bad(_ what: String) -> LinkError { LinkError("\(path): malformed dylib: \(what)") }
        guard base.u32(4) == MachO.cpuTypeARM64 else { throw LinkError("\(path): dylib is not for arm64") }
        guard base.u32(12) == MachO.mhDylib else { throw LinkError("\(path): not a dylib (file type \(base.u32(12)))") }
        let ncmds = Int(base.u32(16)), sizeofcmds = Int(base.u32(20))
        guard 32 + sizeofcmds <= bytes.count else { throw bad("load commands run past the end of the file") }
        let d = DylibFile(path: path, installName: path, currentVersion: 0, compatibilityVersion: 0)
        var sawID = false
        var symoff = 0, nsyms = 0, stroff = 0, strsize = 0
        var sectionTypes: [UInt32] = []
        var off = 32
        for _ in 0..<ncmds {
            guard off + 8 <= 32 + sizeofcmds else { throw bad("load command at offset \(off) runs past sizeofcmds") }
            let cmd = base.u32(off), size = Int(base.u32(off + 4))
            guard size >= 8, off + size <= 32 + sizeofcmds else { throw bad("load command at offset \(off) has bad size \(size)") }
            let minimum: Int
            switch cmd {
            case MachO.lcIdDylib, MachO.lcReexportDylib, MachO.lcSymtab: minimum = 24
            case MachO.lcSegment64: minimum = 72
            default: minimum = 8
            }
            guard size >= minimum else { throw bad("load command 0x\(String(cmd, radix: 16)) at offset \(off) is too small (\(size) bytes)") }
            func str(_ at: Int) throws(LinkError) -> String {
                let o = Int(base.u32(off + at))
                guard o < size else { throw bad("string offset \(o) past its load command at \(off)") }
                var n = 0
                while o + n < size && base.u8(off + o + n) != 0 { n += 1 }
                return String(decoding: UnsafeRawBufferPointer(start: base + off + o, count: n), as: UTF8.self)
            }
            switch cmd {
            case MachO.lcIdDylib:
                d.installName = try str(8)
                d.currentVersion = base.u32(off + 16)
                d.compatibilityVersion = base.u32(off + 20)
                sawID = true
            case MachO.lcReexportDylib:
                d.reexports.append(try str(8))
            case MachO.lcSymtab:
                symoff = Int(base.u32(off + 8)); nsyms = Int(base.u32(off + 12))
                stroff = Int(base.u32(off + 16)); strsize = Int(base.u32(off + 20))
            case MachO.lcSegment64:
                let nsects = Int(base.u32(off + 64))
                guard 72 + nsects * 80 <= size else { throw bad("segment at offset \(off): sections do not fit") }
                for k in 0..<nsects { sectionTypes.append(base.u32(off + 72 + k * 80 + 64) & MachO.sectionTypeMask) }
            default: break
            }
            off += size
        }
        guard sawID else { throw bad("no LC_ID_DYLIB") }
        guard symoff + nsyms * 16 <= bytes.count, stroff + strsize <= bytes.count else { throw bad("symbol table runs past the end of the file") }
        for k in 0..<nsyms {
            let p = symoff + k * 16
            let type = base.u8(p + 4)
            guard type & MachO.nStab == 0, type & MachO.nExt != 0, type & MachO.nPext == 0,
                  type & MachO.nTypeMask == MachO.nSect || type & MachO.nTypeMask == MachO.nAbs else { continue }
            let strx = Int(base.u32(p))
            guard strx < strsize else { throw bad("symbol \(k) has a string index past the string table") }
            var n = 0
            while strx + n < strsize && base.u8(stroff + strx + n) != 0 { n += 1 }
            let sect = Int(base.u8(p + 5))
            let tlv = sect >= 1 && sect <= sectionTypes.count && sectionTypes[sect - 1] == MachO.sThreadLocalVariables
            d.exports.append(Export(name: UnsafeRawBufferPointer(start: base + stroff + strx, count: n),
                                    weakDef: base.u16(p + 6) & MachO.nWeakDef != 0, threadLocal: tlv))
        }
        return d
    }
}
