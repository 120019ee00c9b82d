/// The architecture and platform a link wants from a stub, and the rule that decides whether
/// a stub target such as `arm64e-macos` serves it.
struct TextStubTargetRequest {
    let architecture: String
    let platform: String
    let cpuFamily: CPUFamily?

    init(architecture: String, platform: String) {
        self.architecture = architecture
        self.platform = platform
        self.cpuFamily = CPUFamily(architecture: architecture[...])
    }

    /// CPU types as Mach-O sees them; subtypes (`arm64e`, `x86_64h`) share one.
    enum CPUFamily: Equatable {
        case arm64, arm64_32, x86_64, i386, arm

        init?(architecture a: Substring) {
            if a == "arm64" || a == "arm64e" || a.hasPrefix("arm64e.") { self = .arm64 }
            else if a == "arm64_32" { self = .arm64_32 }
            else if a == "x86_64" || a == "x86_64h" { self = .x86_64 }
            else if a == "i386" { self = .i386 }
            else if a.hasPrefix("armv") { self = .arm }
            else { return nil }
        }
    }

    /// Whether the stub target `target` (`<arch>-<platform>`) serves this request: the same
    /// platform and the same CPU type (lld's rule; ld64 accepts `arm64e` stubs for `arm64`
    /// links too).
    func accepts(_ target: Substring) -> Bool {
        guard let dash = target.firstIndex(of: "-") else { return false }
        let arch = target[..<dash]
        let plat = target[target.index(after: dash)...]
        guard plat == platform[...] || (platform == "macos" && plat == "macosx") else { return false }
        if arch == architecture[...] { return true }
        guard let want = cpuFamily, let have = CPUFamily(architecture: arch) else { return false }
        return want == have
    }
}
