// Hot/cold layout (issue 5, item 5): --symbol-ordering-file puts the named functions first
// and contiguous in .text (a static function too), --call-graph-ordering-file and the
// .llvm.call-graph-profile sections clang writes (here from `.cg_profile`) put a hot callee
// right after its caller, and -z keep-text-section-prefix keeps .text.hot and .text.unlikely
// apart. Every program still runs.
import Foundation
import Testing

enum OrderingFixtures {
    static let source = """
        #include <stdio.h>
        __attribute__((noinline)) int order_f1(int x) { return x + 1; }
        __attribute__((noinline)) int order_f2(int x) { return x * 2; }
        __attribute__((noinline)) static int order_f3(int x) { return x - 3; }
        __attribute__((noinline)) int order_f4(int x) { return x ^ 4; }
        __attribute__((noinline)) int order_f5(int x) { return order_f3(x) + 5; }
        __attribute__((noinline, hot)) int order_hot(int x) { return x * 7; }
        __attribute__((noinline, cold)) int order_cold(int x) { return x * 9; }
        int main(int argc, char **argv) {
            (void)argv;
            printf("%d\\n", order_f1(argc) + order_f2(argc) + order_f4(argc) + order_f5(argc) + order_hot(argc) + order_cold(argc));
            return 0;
        }
        """
    // Input order puts two cold functions between the hot caller and its callee.
    static let profiled = """
            .section .text.main,"ax",@progbits
            .globl main
        main:
            call cg_caller
            xor %eax, %eax
            ret
            .size main, .-main
            .section .text.cg_caller,"ax",@progbits
            .globl cg_caller
        cg_caller:
            call cg_callee
            ret
            .size cg_caller, .-cg_caller
            .section .text.cg_cold_a,"ax",@progbits
            .globl cg_cold_a
        cg_cold_a:
            .fill 200, 1, 0x90
            ret
            .size cg_cold_a, .-cg_cold_a
            .section .text.cg_cold_b,"ax",@progbits
            .globl cg_cold_b
        cg_cold_b:
            .fill 200, 1, 0x90
            ret
            .size cg_cold_b, .-cg_cold_b
            .section .text.cg_callee,"ax",@progbits
            .globl cg_callee
        cg_callee:
            ret
            .size cg_callee, .-cg_callee
            .section .note.GNU-stack,"",@progbits
            .cg_profile main, cg_caller, 10
            .cg_profile cg_caller, cg_callee, 5000
        """

    struct Function { var address: UInt64; var size: UInt64 }

    /// Function symbols of `file` by name (`nm -S`).
    static func functions(_ file: String) async throws -> [String: Function] {
        let r = await ProcessRunner.run(["nm", "-S", file], timeout: 60, scratch: (file as NSString).deletingLastPathComponent)
        guard r.termination.isSuccess else { throw GcFixtures.FixtureError(description: Report.step("nm failed", r)) }
        var result: [String: Function] = [:]
        for line in r.stdoutText.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 4, f[2] == "T" || f[2] == "t", let a = UInt64(f[0], radix: 16), let s = UInt64(f[1], radix: 16) else { continue }
            result[String(f[3])] = Function(address: a, size: s)
        }
        return result
    }

    /// Start address of output section `name` (nil if absent).
    static func sectionAddress(_ file: String, _ name: String) async throws -> UInt64? {
        for line in try await GcFixtures.readelf(["-S"], file).split(separator: "\n") {
            guard let close = line.firstIndex(of: "]") else { continue }
            let f = line[line.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
            if f.count >= 3 && f[0] == name { return UInt64(f[2], radix: 16) }
        }
        return nil
    }
}

@Suite("section ordering", .serialized)
struct OrderingTests {
    static let enabled = Weld.shouldRun && Tools.gcc != nil && Tools.readelf != nil

    @Test("--symbol-ordering-file puts the named functions first and contiguous in .text",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func symbolOrderingFile() async throws {
        let d = try GcFixtures.caseDir("order-symbols")
        let obj = try await RelrFixtures.compile(OrderingFixtures.source, "order", ["-ffunction-sections"], in: d)
        let list = d + "/order.txt"
        try "order_f5\norder_f3\n# a comment\n  order_f2  \norder_missing\norder_f4\n".write(toFile: list, atomically: true, encoding: .utf8)
        let exe = d + "/ordered", plain = d + "/plain"
        let link = try await GcFixtures.linkOK([obj], output: exe, flags: ["-Wl,--symbol-ordering-file=\(list)"])
        _ = try await GcFixtures.linkOK([obj], output: plain, flags: [])
        let r = await GcFixtures.run(exe), expected = await GcFixtures.run(plain)
        #expect(r.termination == .exited(0) && r.stdoutText == expected.stdoutText, Comment(rawValue: Report.step("running the ordered program", r)))
        weldSpecific("a warning names the missing symbol") {
            #expect(link.stderrText.contains("no such symbol: order_missing"), Comment(rawValue: Report.step("linking", link)))
        }

        let fns = try await OrderingFixtures.functions(exe)
        let named = ["order_f5", "order_f3", "order_f2", "order_f4"]
        let placed = try named.map { name in try #require(fns[name], "\(name) missing from \(exe)") }
        let text = try #require(try await OrderingFixtures.sectionAddress(exe, ".text"))
        #expect(placed[0].address == text, "order_f5 at 0x\(String(placed[0].address, radix: 16)), .text starts at 0x\(String(text, radix: 16))")
        for k in 1..<placed.count {
            // Contiguous: each starts where the previous ends, up to its 16-byte alignment.
            let end = placed[k - 1].address + placed[k - 1].size
            #expect(placed[k].address >= end && placed[k].address < end + 16,
                    "\(named[k]) at 0x\(String(placed[k].address, radix: 16)) should follow \(named[k - 1]) ending at 0x\(String(end, radix: 16))")
        }
        // Everything else comes after the ordered functions.
        for (name, f) in fns where !named.contains(name) && f.address >= text && f.address < placed[3].address {
            Issue.record("\(name) at 0x\(String(f.address, radix: 16)) is placed among the ordered functions")
        }
    }

    @Test(".llvm.call-graph-profile puts a hot callee right after its caller",
          .enabled(if: enabled && Tools.clang != nil, Comment(rawValue: Weld.missingMessage)))
    func callGraphProfile() async throws {
        let d = try GcFixtures.caseDir("order-profile")
        let src = d + "/profiled.s", obj = d + "/profiled.o"
        try OrderingFixtures.profiled.write(toFile: src, atomically: true, encoding: .utf8)
        let cc = await ProcessRunner.run([Tools.clang!, "-c", src, "-o", obj], timeout: 120, scratch: d)
        #expect(cc.termination.isSuccess, Comment(rawValue: Report.step("clang -c", cc)))
        let sorted = d + "/sorted", unsorted = d + "/unsorted"
        _ = try await GcFixtures.linkOK([obj], output: sorted, flags: [])
        _ = try await GcFixtures.linkOK([obj], output: unsorted, flags: ["-Wl,--no-call-graph-profile-sort"])
        for exe in [sorted, unsorted] {
            let r = await GcFixtures.run(exe)
            #expect(r.termination == .exited(0), Comment(rawValue: Report.step("running \(exe)", r)))
        }
        let s = try await OrderingFixtures.functions(sorted)
        let caller = try #require(s["cg_caller"]), callee = try #require(s["cg_callee"])
        #expect(callee.address == caller.address + caller.size, "cg_callee at 0x\(String(callee.address, radix: 16)) should follow cg_caller (0x\(String(caller.address, radix: 16)), \(caller.size) bytes)")
        let u = try await OrderingFixtures.functions(unsorted)
        #expect(try #require(u["cg_callee"]).address > (try #require(u["cg_cold_b"])).address,
                "--no-call-graph-profile-sort keeps input order (callee last)")
    }

    @Test("--call-graph-ordering-file clusters caller and callee",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func callGraphOrderingFile() async throws {
        let d = try GcFixtures.caseDir("order-cg-file")
        let obj = try await RelrFixtures.compile(OrderingFixtures.source, "order", ["-ffunction-sections"], in: d)
        let graph = d + "/graph.txt"
        try "main order_f4 100\norder_f4 order_f1 900\n".write(toFile: graph, atomically: true, encoding: .utf8)
        let exe = d + "/clustered"
        _ = try await GcFixtures.linkOK([obj], output: exe, flags: ["-Wl,--call-graph-ordering-file=\(graph)"])
        let r = await GcFixtures.run(exe)
        #expect(r.termination == .exited(0), Comment(rawValue: Report.step("running", r)))
        let fns = try await OrderingFixtures.functions(exe)
        let f4 = try #require(fns["order_f4"]), f1 = try #require(fns["order_f1"])
        let end = f4.address + f4.size
        #expect(f1.address >= end && f1.address < end + 16, "order_f1 (0x\(String(f1.address, radix: 16))) should follow its caller order_f4 (ends 0x\(String(end, radix: 16)))")
    }

    @Test("-z keep-text-section-prefix keeps .text.hot and .text.unlikely apart",
          .enabled(if: enabled, Comment(rawValue: Weld.missingMessage)))
    func keepTextSectionPrefix() async throws {
        let d = try GcFixtures.caseDir("order-prefix")
        let obj = try await RelrFixtures.compile(OrderingFixtures.source, "order", ["-ffunction-sections"], in: d)
        let kept = d + "/kept", merged = d + "/merged"
        _ = try await GcFixtures.linkOK([obj], output: kept, flags: ["-Wl,-z,keep-text-section-prefix"])
        _ = try await GcFixtures.linkOK([obj], output: merged, flags: [])
        for exe in [kept, merged] {
            let r = await GcFixtures.run(exe)
            #expect(r.termination == .exited(0), Comment(rawValue: Report.step("running \(exe)", r)))
        }
        let hot = try await OrderingFixtures.sectionAddress(kept, ".text.hot")
        let cold = try await OrderingFixtures.sectionAddress(kept, ".text.unlikely")
        #expect(hot != nil && cold != nil, "-z keep-text-section-prefix: .text.hot \(String(describing: hot)), .text.unlikely \(String(describing: cold))")
        let fns = try await OrderingFixtures.functions(kept)
        if let hot, let f = fns["order_hot"] { #expect(f.address >= hot, "order_hot should be in .text.hot") }
        #expect(try await OrderingFixtures.sectionAddress(merged, ".text.hot") == nil, "without the option .text.hot is merged into .text")
    }
}
