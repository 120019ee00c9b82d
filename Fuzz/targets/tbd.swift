// libFuzzer target: text-based stubs (.tbd, TAPI v3/v4 YAML and v5 JSON). Parses the input for
// arm64-macos and for x86_64-macos, touches every field and symbol name of the result, and
// applies its $ld$ directives for macOS 11.
import WeldCore
import WeldMachO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTextStub(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: size > 0 ? data : nil, count: size)
    var sink = 0
    for arch in ["arm64", "x86_64"] {
        do {
            for d in try TextStubDocument.parse(bytes, path: "fuzz.tbd", architecture: arch, platform: "macos") {
                sink &+= d.installName.utf8.count &+ Int(d.currentVersion) &+ Int(d.compatibilityVersion)
                sink &+= d.targets.count &+ d.reexportedLibraries.count &+ d.allowableClients.count
                sink &+= (d.parentUmbrella?.utf8.count ?? 0) &+ Int(d.flags.rawValue)
                for s in d.exports {
                    sink &+= d.withNameBytes(of: s) { $0.count } &+ Int(s.kind.rawValue)
                }
                var applied = d
                let r = applied.applyLinkerDirectives(platform: 1, minimumOS: 0x0B_0000)
                sink &+= applied.exports.count &+ r.moved.count &+ r.weakImports.count &+ applied.installName.utf8.count
            }
        } catch {
            sink &+= error.message.utf8.count
        }
    }
    if sink == 0x5eed_f00d { print(sink) }
    return 0
}
