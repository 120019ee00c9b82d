// Identical code folding (issue 5, item 2): --icf=all folds identical functions (and their
// identical callers, whose targets became equal), checked by their addresses in .symtab;
// --icf=safe never folds a function whose address is taken (clang's .llvm_addrsig) and folds
// nothing from objects without that table (gcc's); --print-icf-sections lists the folds; the
// folded programs print what GNU ld's unfolded link prints; the output is the same at 1 and 2
// threads.
import Foundation
import Testing

enum ICFFixtures {
    static let source = """
        #include <stdio.h>
        __attribute__((noinline)) int icf_a(int x) { return x * 31 + 7; }
        __attribute__((noinline)) int icf_b(int x) { return x * 31 + 7; }
        __attribute__((noinline)) int icf_c(int x) { return x * 31 + 8; }
        __attribute__((noinline)) int icf_call_a(int x) { return icf_a(x) * 3 + 1; }
        __attribute__((noinline)) int icf_call_b(int x) { return icf_b(x) * 3 + 1; }
        __attribute__((noinline)) int icf_taken(int x) { return x ^ 0x5a5a; }
        __attribute__((noinline)) int icf_twin_of_taken(int x) { return x ^ 0x5a5a; }
        int (*volatile icf_pointer)(int) = icf_taken;
        int main(int argc, char **argv) {
            (void)argv;
            printf("%d %d %d %d %d %d %d\\n", icf_a(argc), icf_b(argc), icf_c(argc), icf_call_a(argc), icf_call_b(argc),
                   icf_pointer(argc), icf_twin_of_taken(argc));
            return 0;
        }
        """

    static func compile(_ compiler: String, in dir: String) async throws -> String {
        let src = dir + "/icf.c", obj = dir + "/icf-\((compiler as NSString).lastPathComponent).o"
        try source.write(toFile: src, atomically: true, encoding: .utf8)
        // -faddrsig is clang's default on Linux; it is spelled out so the test says what it needs.
        let flags = compiler.hasSuffix("clang") ? ["-faddrsig"] : []
        let r = await ProcessRunner.run([compiler, "-c", "-O2", "-ffunction-sections"] + flags + [src, "-o", obj], timeout: 300, scratch: dir)
        guard r.termination.isSuccess else { throw GcFixtures.FixtureError(description: Report.step("compiling icf.c", r)) }
        return obj
    }

    static func addresses(_ file: String) async throws -> [String: UInt64] {
        try await OrderingFixtures.functions(file).mapValues { $0.address }
    }
}

@Suite("--icf", .serialized)
struct ICFTests {
    static let enabled = Weld.shouldRun && Tools.gcc != nil && Tools.clang != nil && Tools.readelf != nil

    @Test("--icf=all folds identical functions and their callers; the program still runs",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)), arguments: ["gcc", "clang"])
    func all(_ compiler: String) async throws {
        let d = try GcFixtures.caseDir("icf-all-\(compiler)")
        let obj = try await ICFFixtures.compile(compiler == "gcc" ? Tools.gcc! : Tools.clang!, in: d)
        let folded = d + "/folded", ref = d + "/gnu-ld"
        let link = try await GcFixtures.linkOK([obj], output: folded, flags: ["-Wl,--icf=all", "-Wl,--print-icf-sections"])
        _ = try await GcFixtures.linkOK([obj], output: ref, reference: true, flags: [])
        let expected = await GcFixtures.run(ref), r = await GcFixtures.run(folded)
        #expect(r.termination == .exited(0) && r.stdoutText == expected.stdoutText, Comment(rawValue: Report.step("running the folded program", r)))

        let a = try await ICFFixtures.addresses(folded)
        #expect(a["icf_a"] != nil && a["icf_a"] == a["icf_b"], "icf_a and icf_b are identical: \(a)")
        #expect(a["icf_call_a"] != nil && a["icf_call_a"] == a["icf_call_b"], "their callers become identical too: \(a)")
        #expect(a["icf_taken"] != nil && a["icf_taken"] == a["icf_twin_of_taken"], "--icf=all folds address-taken functions too: \(a)")
        #expect(a["icf_c"] != nil && a["icf_c"] != a["icf_a"], "icf_c differs in one byte: \(a)")
        weldSpecific("--print-icf-sections lists the folds") {
            #expect(link.stdoutText.contains("selected section \(obj):(.text.icf_a)\n  removing identical section \(obj):(.text.icf_b)\n"),
                    Comment(rawValue: Report.step("--print-icf-sections", link)))
        }
        let plain = try await ICFFixtures.addresses(ref)
        #expect(plain["icf_a"] != plain["icf_b"], "without ICF the functions stay apart")

        // Same bytes at 1 and 2 threads.
        let one = d + "/folded-1", two = d + "/folded-2"
        _ = try await GcFixtures.linkOK([obj], output: one, flags: ["-Wl,--icf=all", "-Wl,--threads=1"])
        _ = try await GcFixtures.linkOK([obj], output: two, flags: ["-Wl,--icf=all", "-Wl,--threads=2"])
        #expect(FileManager.default.contentsEqual(atPath: one, andPath: two), "--icf=all output differs between 1 and 2 threads")
    }

    @Test("--icf=safe keeps address-taken functions apart (clang's .llvm_addrsig) and trusts nothing without the table (gcc)",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)), arguments: ["gcc", "clang"])
    func safe(_ compiler: String) async throws {
        let d = try GcFixtures.caseDir("icf-safe-\(compiler)")
        let obj = try await ICFFixtures.compile(compiler == "gcc" ? Tools.gcc! : Tools.clang!, in: d)
        let out = d + "/safe", ref = d + "/gnu-ld"
        _ = try await GcFixtures.linkOK([obj], output: out, flags: ["-Wl,--icf=safe"])
        _ = try await GcFixtures.linkOK([obj], output: ref, reference: true, flags: [])
        let expected = await GcFixtures.run(ref), r = await GcFixtures.run(out)
        #expect(r.termination == .exited(0) && r.stdoutText == expected.stdoutText, Comment(rawValue: Report.step("running", r)))
        let a = try await ICFFixtures.addresses(out)
        #expect(a["icf_taken"] != nil && a["icf_taken"] != a["icf_twin_of_taken"], "--icf=safe must not fold an address-taken function: \(a)")
        if compiler == "clang" {
            #expect(a["icf_a"] != nil && a["icf_a"] == a["icf_b"], "clang's table says icf_a's and icf_b's addresses are not taken: fold them: \(a)")
        } else {
            #expect(a["icf_a"] != nil && a["icf_a"] != a["icf_b"], "gcc writes no .llvm_addrsig: --icf=safe must fold nothing: \(a)")
        }
        let none = d + "/none"
        _ = try await GcFixtures.linkOK([obj], output: none, flags: ["-Wl,--icf=all", "-Wl,--icf=none"])
        let n = try await ICFFixtures.addresses(none)
        #expect(n["icf_a"] != n["icf_b"], "--icf=none (the last option wins) folds nothing")
    }
}
