// libFuzzer target: ELF shared libraries. SharedFile.parse on the input in place, then every
// dynamic symbol through the accessors the linker uses (name, binding, type, section, value,
// version index and hidden bit, version name as Synthesize looks it up) and the soname.
import WeldCore
import WeldELF

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzShared(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let so = SharedFile(path: "fuzz.so", base: data, size: size, priority: 0, asNeeded: false)
    do { try so.parse() } catch { _ = error.message.utf8.count; return 0 }
    var sink = so.soname.utf8.count
    if so.dynsym != nil {
        for i in 0..<so.symbolCount {
            let n = so.symName(i)
            sink &+= n.count
            if n.count > 0 { sink &+= Int(n.ptr.load(fromByteOffset: n.count - 1, as: UInt8.self)) }
            sink &+= Int(so.symBind(i)) &+ Int(so.symType(i)) &+ Int(so.symVisibility(i)) &+ Int(so.symShndx(i))
            sink &+= Int(truncatingIfNeeded: so.symValue(i) &+ so.symSize(i))
            if so.symVersionHidden(i) { sink &+= 1 }
            let v = Int(so.symVersion(i))
            if v >= 2, v < so.versionNames.count, let vname = so.versionNames[v] {
                sink &+= vname.string.utf8.count
            }
        }
    }
    for case let v? in so.versionNames { sink &+= v.count }
    if sink == 0x5eed_f00d { print(sink) }
    return 0
}
