import WeldCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes a link map (`-Map FILE`, `--print-map`) in lld's format: every output section with its
/// address, size and alignment, the input sections in it, and the global symbols each defines.
func writeLinkMap(_ ctx: Context) throws(LinkError) {
    guard ctx.options.mapFile != nil || ctx.options.printMap else { return }
    // Global definitions by input section, in file order.
    var symbolsBySection: [ObjectIdentifier: [(UInt64, String)]] = [:]
    for obj in ctx.objects {
        for (k, id) in obj.symbolIds.enumerated() {
            let s = ctx.symbols[id]
            guard s.isDefinedInObject, s.fileIndex == obj.index, s.symIndex == Int32(obj.firstGlobal + k), let sec = s.section else { continue }
            symbolsBySection[ObjectIdentifier(sec), default: []].append((s.value, s.name.string))
        }
    }
    var out = "             VMA              LMA     Size Align Out     In      Symbol\n"
    func hex16(_ v: UInt64) -> String { let h = String(v, radix: 16); return String(repeating: " ", count: max(0, 16 - h.count)) + h }
    func hex8(_ v: UInt64) -> String { let h = String(v, radix: 16); return String(repeating: " ", count: max(0, 8 - h.count)) + h }
    func dec5(_ v: UInt64) -> String { let d = String(v); return String(repeating: " ", count: max(0, 5 - d.count)) + d }
    for os in ctx.outputSections where os.isAlloc {
        // Load addresses differ from addresses only under a script's AT().
        let lma = ctx.script.map { scriptLoadAddress($0, os) &- os.addr } ?? 0
        out += "\(hex16(os.addr)) \(hex16(os.addr &+ lma)) \(hex8(os.size)) \(dec5(os.align)) \(os.name)\n"
        for m in os.members where m.alive {
            let addr = os.addr + m.outOffset
            let size = m.pieces == nil ? m.size : m.size
            out += "\(hex16(addr)) \(hex16(addr &+ lma)) \(hex8(size)) \(dec5(m.align))         \(m.file.displayName):(\(m.name.string))\n"
            if let list = symbolsBySection[ObjectIdentifier(m)] {
                for (v, n) in list.sorted(by: { $0.0 < $1.0 }) {
                    out += "\(hex16(v)) \(hex16(v &+ lma))        0     1                 \(n)\n"
                }
            }
        }
    }
    if ctx.options.printMap { fputs(out, stdout) }
    if let path = ctx.options.mapFile {
        guard let f = fopen(path, "w") else { throw LinkError("cannot open map file \(path): \(String(cString: strerror(errno)))") }
        fputs(out, f)
        fclose(f)
    }
}
