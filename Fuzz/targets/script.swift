// libFuzzer target: library linker scripts (glibc's libc.so and the like). Classifies the
// input as the loader does, then parses it as a library script whatever the classification
// said (the parser must cope with any bytes).
import WeldCore
import WeldELF

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzScript(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: size > 0 ? data : nil, count: size)
    var sink = looksLikeLinkerScript(bytes) ? 1 : 0
    do {
        let s = try parseLibraryScript(bytes, path: "fuzz.so")
        for i in s.inputs { sink &+= i.path.utf8.count }
        for d in s.searchDirs { sink &+= d.utf8.count }
        sink &+= (s.entry?.utf8.count ?? 0) &+ (s.outputFormat?.utf8.count ?? 0) &+ (s.outputArch?.utf8.count ?? 0)
    } catch {
        sink &+= error.message.utf8.count
    }
    if sink == 0x5eed_f00d { print(sink) }
    return 0
}
