#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// -dependency_info FILE: the records Xcode's build system reads to know what a link used
/// (ld64's format: one opcode byte and a NUL-terminated string per record — 0x00 the linker's
/// version, 0x10 an input file, 0x40 the output).
func writeDependencyInfo(_ ctx: LinkContext, _ path: String) throws(LinkError) {
    var w = ByteWriter()
    w.u8(0x00); w.cString("weld-0.1.0 (ld64 flavor)")
    var seen = Set<String>()
    for input in ctx.inputPaths where seen.insert(input).inserted {
        w.u8(0x10); w.cString(input)
    }
    w.u8(0x40); w.cString(ctx.options.output)
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    if fd < 0 { throw LinkError("-dependency_info: cannot write \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let ok = w.bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) == $0.count }
    if !ok { throw LinkError("-dependency_info: cannot write \(path): \(String(cString: strerror(errno)))") }
}
