// swift-tools-version: 6.0
import PackageDescription

// Release builds skip dynamic exclusivity checks: class-property reads in hot loops otherwise
// cost a swift_beginAccess each (measured 2–8× on class-heavy loops, see DESIGN.md).
let fastFlags: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "weld",
    targets: [
        // OpenSSL's libcrypto (Debian: libssl-dev) for the build-id SHA-1/SHA-256; see Sources/CLibCrypto.
        .target(name: "CLibCrypto", linkerSettings: [.linkedLibrary("crypto")]),
        // zlib and zstd (Debian: zlib1g-dev, libzstd-dev) for compressed debug sections; see Sources/CCompression.
        .target(name: "CCompression", linkerSettings: [.linkedLibrary("z"), .linkedLibrary("zstd")]),
        // The process's last act: exit now, unmap later (see Sources/CProcessExit).
        .target(name: "CProcessExit"),
        // renameat2(RENAME_EXCHANGE) for recycling replaced outputs; see Sources/WeldCore/SpareOutputs.swift.
        .target(name: "CFileSystem"),
        // Memory hints: a prefetch for the relocation loops, dropping read input pages in batches.
        .target(name: "CMemoryHints"),
        .target(name: "WeldCore", dependencies: ["CLibCrypto", "CCompression", "CProcessExit", "CFileSystem", "CMemoryHints"], swiftSettings: fastFlags),
        .target(name: "WeldELF", dependencies: ["WeldCore", "CMemoryHints"], swiftSettings: fastFlags),
        .target(name: "WeldMachO", dependencies: ["WeldCore"], swiftSettings: fastFlags),
        .executableTarget(name: "weld", dependencies: ["WeldCore", "WeldELF", "WeldMachO"], swiftSettings: fastFlags),
        .testTarget(name: "WeldCoreTests", dependencies: ["WeldCore"]),
        .testTarget(name: "WeldELFTests", dependencies: ["WeldELF", "WeldCore"]),
        .testTarget(name: "WeldMachOTests", dependencies: ["WeldMachO", "WeldCore"]),
        .testTarget(name: "EndToEndTests", dependencies: [], exclude: ["elflint-allowlist.txt"]),
    ],
    swiftLanguageModes: [.v5]
)
