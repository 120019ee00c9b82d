// Where things are: the package root (found from this source file, which is always present
// when the tests run), the fixtures, the weld binary under test, the compilers and tools, and
// a per-run scratch directory.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum Paths {
    /// <root>/Tests/EndToEndTests/Support/Paths.swift → <root>
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let fixtures = packageRoot + "/Tests/Fixtures"
    static let programs = fixtures + "/programs"
    static let testsDir = packageRoot + "/Tests/EndToEndTests"
    static let elflintAllowlist = testsDir + "/elflint-allowlist.txt"

    /// One scratch directory per test process: `$TMPDIR/weld-e2e-<pid>`. Directories left by
    /// earlier runs whose process is gone are removed the first time this is used. Set
    /// `WELD_E2E_WORKDIR` to choose the directory instead (it is then never cleaned).
    static let work: String = {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["WELD_E2E_WORKDIR"], !dir.isEmpty {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return dir
        }
        let tmp = env["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let fm = FileManager.default
        if let entries = try? fm.contentsOfDirectory(atPath: tmp) {
            for e in entries where e.hasPrefix("weld-e2e-") {
                guard let pid = Int32(e.dropFirst("weld-e2e-".count)) else { continue }
                if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                    unmountTestFileSystems(under: "\(tmp)/\(e)/")
                    try? fm.removeItem(atPath: "\(tmp)/\(e)")
                }
            }
        }
        let dir = "\(tmp)/weld-e2e-\(getpid())"
        try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// A run killed inside the disk-full test leaves its small tmpfs mounted, and the
    /// directory could never be removed; unmount what is still mounted under `prefix`.
    private static func unmountTestFileSystems(under prefix: String) {
        guard let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return }
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 1, fields[0] == "weld-test-tmpfs", fields[1].hasPrefix(prefix) else { continue }
            _ = umount2(String(fields[1]), 0)
        }
    }

    /// Keep linked executables after passing tests (`WELD_E2E_KEEP=1`).
    static let keepOutputs = ProcessInfo.processInfo.environment["WELD_E2E_KEEP"] == "1"
}

enum Weld {
    /// The linker under test: `$WELD`, else `<root>/.build/release/weld`, else
    /// `<root>/.build/debug/weld`.
    static let path: String? = {
        let fm = FileManager.default
        if let w = ProcessInfo.processInfo.environment["WELD"], !w.isEmpty {
            return fm.isExecutableFile(atPath: w) ? w : nil
        }
        for candidate in [".build/release/weld", ".build/debug/weld"] {
            let p = Paths.packageRoot + "/" + candidate
            if fm.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }()

    static var isAvailable: Bool { path != nil }

    /// In CI (`CI=true`) a missing weld is a failure, not a skip.
    static var isCI: Bool {
        let v = ProcessInfo.processInfo.environment["CI"]?.lowercased()
        return v == "true" || v == "1" || v == "yes"
    }

    /// Tests run when weld exists, and always in CI or when WELD is set (where a missing or
    /// non-executable weld then fails loudly).
    static var shouldRun: Bool {
        isAvailable || isCI || !(ProcessInfo.processInfo.environment["WELD"] ?? "").isEmpty
    }

    static let missingMessage =
        "weld not found: set WELD=/path/to/weld (an executable file) or build it with `swift build -c release` " +
        "(looked at $WELD, .build/release/weld, .build/debug/weld)"

    /// A directory holding a symlink `ld` → weld, for `gcc -B DIR`.
    static let gccBDir: String? = {
        guard let weld = path else { return nil }
        let dir = Paths.work + "/weld-as-ld"
        let fm = FileManager.default
        try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let link = dir + "/ld"
        try? fm.removeItem(atPath: link)
        do {
            try fm.createSymbolicLink(atPath: link, withDestinationPath: weld)
        } catch {
            return nil
        }
        return dir
    }()

    /// The first line of `weld --version`, computed once.
    static let versionLine: String = {
        guard let weld = path else { return "" }
        let p = Foundation.Process()
        p.executableURL = URL(fileURLWithPath: weld)
        p.arguments = ["--version"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    }()

    /// True when WELD points at another linker (e.g. GNU ld) standing in for weld: checks of
    /// weld's own message formats are then recorded as known issues instead of failures.
    static var isStandIn: Bool { !versionLine.lowercased().contains("weld") }
}

enum Tools {
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    private static func find(_ envVar: String, _ candidates: [String]) -> String? {
        if let v = ProcessInfo.processInfo.environment[envVar], !v.isEmpty { return v }
        for c in candidates {
            if c.contains("/") {
                if FileManager.default.isExecutableFile(atPath: c) { return c }
            } else if let p = which(c) {
                return p
            }
        }
        return nil
    }

    static let gcc = find("WELD_E2E_GCC", ["gcc"])
    static let gxx = find("WELD_E2E_GXX", ["g++"])
    static let clang = find("WELD_E2E_CLANG", ["/opt/swift/usr/bin/clang", "clang"])
    static let clangxx = find("WELD_E2E_CLANGXX", ["/opt/swift/usr/bin/clang++", "clang++"])
    static let swiftc = find("WELD_E2E_SWIFTC", ["/opt/swift/usr/bin/swiftc", "swiftc"])
    static let readelf = find("WELD_E2E_READELF", ["readelf"])
    static let elflint = find("WELD_E2E_ELFLINT", ["eu-elflint"])
    static let ar = find("WELD_E2E_AR", ["ar"])
    static let llvmAr = find("WELD_E2E_LLVM_AR", ["/opt/swift/usr/bin/llvm-ar", "llvm-ar"])
}
