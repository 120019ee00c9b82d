#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// -map: the link map in ld64's format (object files, sections, then every symbol with its
/// address and size).
func writeMapFile(_ ctx: LinkContext, _ path: String) throws(LinkError) {
    var t = "# Path: \(ctx.options.output)\n# Arch: arm64\n# Object files:\n[  0] linker synthesized\n"
    for (i, f) in ctx.objects.enumerated() { t += "[\(String(i + 1).leftPad(3))] \(f.name)\n" }
    t += "# Sections:\n# Address\tSize    \tSegment\tSection\n"
    for s in ctx.layout.sections {
        t += "0x\(hex(s.addr, 8))\t0x\(hex(s.size, 8))\t\(s.segname)\t\(s.sectname)\n"
    }
    t += "# Symbols:\n# Address\tSize    \tFile  Name\n"
    for s in ctx.layout.sections where s.kind == .atoms {
        for a in s.atoms {
            let atom = ctx.atoms[Int(a)]
            let file = atom.file + 1
            var names: [String] = []
            if atom.file >= 0 {
                let f = ctx.objects[Int(atom.file)]
                for k in f.nlists.indices where f.symbolAtom[k] == a - f.atomBase && f.symbolOffset[k] == 0 {
                    let id = f.symbolIDs[k]
                    if id >= 0 && ctx.symtab.symbols[Int(id)].atom == a { names.append(f.symbolNameString(k)) }
                }
            } else if let id = ctx.commonSymbols.first(where: { ctx.symtab.symbols[Int($0)].atom == a }) {
                names.append(ctx.symtab.symbols[Int(id)].name.string)
            }
            if names.isEmpty { names = [s.sectname == "__cstring" ? "literal string" : "<anonymous>"] }
            for n in names { t += "0x\(hex(s.addr + atom.outOffset, 8))\t0x\(hex(UInt64(atom.size), 8))\t[\(String(file).leftPad(3))] \(n)\n" }
        }
    }
    for (i, id) in ctx.stubSymbols.enumerated() {
        t += "0x\(hex(ctx.layout.stubs!.addr + UInt64(i * 12), 8))\t0x0000000C\t[  0] \(ctx.symtab.symbols[Int(id)].name.string) stub\n"
    }
    for (i, id) in ctx.gotSymbols.enumerated() {
        t += "0x\(hex(ctx.layout.got!.addr + UInt64(i * 8), 8))\t0x00000008\t[  0] non-lazy-pointer-to: \(ctx.symtab.symbols[Int(id)].name.string)\n"
    }
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    if fd < 0 { throw LinkError("-map: cannot write \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var text = t
    let ok = text.withUTF8 { b in write(fd, b.baseAddress, b.count) == b.count }
    if !ok { throw LinkError("-map: cannot write \(path): \(String(cString: strerror(errno)))") }
}

func hex(_ v: UInt64, _ width: Int) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, width - s.count)) + s
}

extension String {
    func leftPad(_ n: Int) -> String { String(repeating: " ", count: max(0, n - count)) + self }
}
