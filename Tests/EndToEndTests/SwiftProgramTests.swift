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

/// A Swift library (`swiftc -emit-library`) and a program that imports it, both linked by weld:
/// public generic and class API crossing the library boundary, run like swiftc's default link.
@Suite("Swift library links with weld")
struct SwiftLibraryTests {
    static let library = """
        public struct Counter<T: Hashable> {
            public private(set) var counts: [T: Int] = [:]
            public init() {}
            public mutating func add(_ x: T) { counts[x, default: 0] += 1 }
            public func top() -> (T, Int)? { counts.max { $0.value < $1.value || ($0.value == $1.value && "\\($0.key)" > "\\($1.key)") }.map { ($0.key, $0.value) } }
        }
        open class Greeter {
            public init() {}
            open func greet(_ name: String) -> String { "hello, \\(name)" }
        }
        public func libraryVersion() -> String { "weldlib 1.0" }
        """
    static let program = """
        import WeldLib
        final class LoudGreeter: Greeter {
            override func greet(_ name: String) -> String { super.greet(name).uppercased() + "!" }
        }
        var c = Counter<String>()
        for w in "the quick brown fox jumps over the lazy dog the end".split(separator: " ") { c.add(String(w)) }
        let (word, n) = c.top()!
        print(libraryVersion(), word, n)
        print(LoudGreeter().greet("weld"))
        """

    @Test("swiftc -emit-library and a program using it, both linked by weld",
          .enabled(if: Weld.shouldRun, Comment(rawValue: Weld.missingMessage)),
          .enabled(if: Tools.swiftc != nil, "swiftc not found"))
    func libraryAndProgram() async throws {
        let weld = try #require(Weld.path, Comment(rawValue: Weld.missingMessage))
        let swiftc = try #require(Tools.swiftc)
        let dir = "\(Paths.work)/swift/library"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Self.library.write(toFile: dir + "/WeldLib.swift", atomically: true, encoding: .utf8)
        try Self.program.write(toFile: dir + "/main.swift", atomically: true, encoding: .utf8)
        var outputs: [String] = []
        for (tag, linker) in [("default", [String]()), ("weld", ["-use-ld=\(weld)"])] {
            let d = "\(dir)/\(tag)"
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            let lib = await ProcessRunner.run([swiftc, "-emit-library", "-emit-module", "-module-name", "WeldLib", "-O",
                                               dir + "/WeldLib.swift", "-o", d + "/libWeldLib.so", "-emit-module-path", d + "/WeldLib.swiftmodule"] + linker,
                                              timeout: 600, scratch: d)
            try #require(lib.termination.isSuccess, Comment(rawValue: Report.step("\(tag): swiftc -emit-library", lib)))
            let exe = await ProcessRunner.run([swiftc, "-O", "-I", d, "-L", d, "-lWeldLib", "-Xlinker", "-rpath", "-Xlinker", d,
                                               dir + "/main.swift", "-o", d + "/main"] + linker, timeout: 600, scratch: d)
            try #require(exe.termination.isSuccess, Comment(rawValue: Report.step("\(tag): swiftc program", exe)))
            let env = ["PATH": "/usr/bin:/bin", "LANG": "C", "LC_ALL": "C", "HOME": Paths.work]
            let run = await ProcessRunner.run([d + "/main"], environment: env, timeout: 20, scratch: d)
            #expect(run.termination == .exited(0), Comment(rawValue: Report.step("\(tag): running", run)))
            outputs.append(run.stdoutText)
        }
        #expect(outputs[0] == "weldlib 1.0 the 3\nHELLO, WELD!\n", "swiftc's default link printed \(outputs[0])")
        #expect(outputs[1] == outputs[0], "weld's link printed \(outputs[1])")
    }
}
