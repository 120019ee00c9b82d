// A Swift program linked by weld through swiftc (`-use-ld=/path/to/weld`), with the Swift
// standard library dynamic, static (-static-stdlib), and a fully static executable; compared
// with swiftc's default link of the same program.
import Foundation
import Testing

enum SwiftLinkStyle: String, CaseIterable, Sendable {
    case dynamic
    case staticStdlib = "static-stdlib"
    case staticExecutable = "static-executable"

    var flags: [String] {
        switch self {
        case .dynamic: return []
        case .staticStdlib: return ["-static-stdlib"]
        case .staticExecutable: return ["-static-executable"]
        }
    }
}

@Suite("Swift programs link with weld")
struct SwiftProgramTests {
    static let source = Paths.fixtures + "/swift/hello.swift"

    @Test("swiftc -use-ld=weld", .enabled(if: Weld.shouldRun, Comment(rawValue: Weld.missingMessage)),
          .enabled(if: Tools.swiftc != nil, "swiftc not found"), arguments: SwiftLinkStyle.allCases)
    func swiftProgram(_ style: SwiftLinkStyle) async throws {
        let weld = try #require(Weld.path, Comment(rawValue: Weld.missingMessage))
        let swiftc = try #require(Tools.swiftc)
        let dir = "\(Paths.work)/swift/\(style.rawValue)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // Compile once, link twice from the same object.
        let object = dir + "/hello.o"
        let compile = await ProcessRunner.run([swiftc, "-c", "-O", Self.source, "-module-name", "hello", "-o", object]
                                              + (style == .staticExecutable ? ["-static-executable"] : []),
                                              timeout: 600, scratch: dir)
        try #require(compile.termination.isSuccess, Comment(rawValue: Report.step("swiftc -c failed", compile)))

        let refExe = dir + "/default-linker.out"
        let weldExe = dir + "/weld.out"
        let refLink = await ProcessRunner.run([swiftc] + style.flags + [object, "-o", refExe], timeout: 600, scratch: dir)
        try #require(refLink.termination.isSuccess, Comment(rawValue: Report.step("reference swiftc link failed", refLink)))
        let weldLink = await ProcessRunner.run([swiftc] + style.flags + ["-use-ld=\(weld)", object, "-o", weldExe],
                                               timeout: 600, scratch: dir)
        try #require(weldLink.termination.isSuccess, Comment(rawValue: Report.step("swiftc -use-ld=weld failed", weldLink)))

        let env = ["PATH": "/usr/bin:/bin", "LANG": "C", "LC_ALL": "C", "HOME": Paths.work]
        let ref = await ProcessRunner.run([refExe], environment: env, timeout: 20, scratch: dir)
        let out = await ProcessRunner.run([weldExe], environment: env, timeout: 20, scratch: dir)
        #expect(ref.termination == .exited(0), Comment(rawValue: Report.step("reference program", ref)))
        #expect(out.termination == ref.termination,
                Comment(rawValue: "termination: reference \(ref.termination), weld \(out.termination)\n"
                    + Report.step("weld-linked program", out) + "link: \(weldLink.commandLine)"))
        #expect(out.stdout == ref.stdout,
                Comment(rawValue: Report.diff("stdout", reference: ref.stdoutText, actual: out.stdoutText)
                    + "link: \(weldLink.commandLine)"))
        #expect(out.stdoutText.contains("Hello from Swift linked by weld"))
    }
}
