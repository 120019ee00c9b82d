// What configure scripts and libtool look for: `--version` and `-v` print a line containing
// "compatible with GNU linkers"; `--help` lists "supported targets: elf64-x86-64".
import Foundation
import Testing

@Suite("weld identifies itself like GNU ld")
struct LinkerInfoTests {
    @Test("version line", .enabled(if: Weld.shouldRun, Comment(rawValue: Weld.missingMessage)),
          arguments: ["--version", "-v"])
    func version(_ flag: String) async throws {
        let weld = try #require(Weld.path, Comment(rawValue: Weld.missingMessage))
        let r = await ProcessRunner.run([weld, flag], timeout: 30, scratch: Paths.work + "/info")
        #expect(r.termination == .exited(0), Comment(rawValue: Report.step("weld \(flag)", r)))
        weldSpecific("the 'compatible with GNU linkers' version line") {
            #expect(r.stdoutText.split(separator: "\n").contains { $0.contains("compatible with GNU linkers") },
                    Comment(rawValue: Report.step("no line containing 'compatible with GNU linkers'", r)))
        }
    }

    @Test("--help lists the supported targets", .enabled(if: Weld.shouldRun, Comment(rawValue: Weld.missingMessage)))
    func help() async throws {
        let weld = try #require(Weld.path, Comment(rawValue: Weld.missingMessage))
        let r = await ProcessRunner.run([weld, "--help"], timeout: 30, scratch: Paths.work + "/info")
        #expect(r.termination == .exited(0), Comment(rawValue: Report.step("weld --help", r)))
        #expect(r.stdoutText.contains("supported targets: elf64-x86-64"),
                Comment(rawValue: Report.step("--help should contain 'supported targets: elf64-x86-64'", r)))
    }
}
