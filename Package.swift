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
        .target(name: "WeldCore", swiftSettings: fastFlags),
        .target(name: "WeldELF", dependencies: ["WeldCore"], swiftSettings: fastFlags),
        .executableTarget(name: "weld", dependencies: ["WeldCore", "WeldELF"], swiftSettings: fastFlags),
        .testTarget(name: "WeldCoreTests", dependencies: ["WeldCore"]),
        .testTarget(name: "WeldELFTests", dependencies: ["WeldELF", "WeldCore"]),
        .testTarget(name: "EndToEndTests", dependencies: [], resources: []),
    ],
    swiftLanguageModes: [.v5]
)
