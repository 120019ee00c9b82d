import Testing
import Dispatch
import WeldCore
@testable import WeldELF

// The output section name table gives every thread the same copy of a name, whichever thread
// put it there first, and leaves names alone once it is full.
@Suite struct OutputNameTableTests {
    /// `count` names "sec0", "sec1", ..., each in memory of its own (equal names from two
    /// calls never share a pointer by accident), kept for the test's life.
    static func names(_ count: Int) -> [NameRef] {
        (0..<count).map { i in
            let bytes = Array("sec\(i)".utf8)
            let p = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 1)
            p.copyMemory(from: bytes, byteCount: bytes.count)
            return NameRef(UnsafeRawPointer(p), bytes.count)
        }
    }

    @Test func threadsGetOneCopyOfEachName() {
        let table = OutputNameTable()
        let copies = (0..<8).map { _ in Self.names(300) }
        let results = UnsafeMutablePointer<NameRef?>.allocate(capacity: 8 * 300)
        results.initialize(repeating: nil, count: 8 * 300)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 8) { c in
            // Each thread its own copies, in its own order.
            for k in 0..<300 {
                let i = (k * 7 + c * 31) % 300
                let name = copies[c][i]
                let key = OutputSectionKey(name: name, flags: 6)
                results[c * 300 + i] = table.shared(name, hash: key.hash)
            }
        }
        for i in 0..<300 {
            let first = results[i]!
            #expect(first.string == "sec\(i)")
            for c in 1..<8 { #expect(results[c * 300 + i]!.ptr == first.ptr, "name \(i): thread \(c) got another copy") }
        }
        // Different names never share a copy.
        #expect(Set((0..<300).map { results[$0]!.ptr }).count == 300)
    }

    @Test func aFullTableLeavesNamesAsTheyAre() {
        let table = OutputNameTable()
        let many = Self.names(2100)
        var kept = 0
        for name in many {
            let shared = table.shared(name, hash: OutputSectionKey(name: name, flags: 2).hash)
            #expect(shared == name)
            if shared.ptr == name.ptr { kept += 1 }
        }
        #expect(kept == 2100, "new names come back as they are, table or not")
        // A second copy of a name that made it into the table gets the table's copy; one of a
        // name that did not (the table was full) comes back as it is.
        let again = Self.names(2100)
        let early = table.shared(again[5], hash: OutputSectionKey(name: again[5], flags: 2).hash)
        #expect(early.ptr == many[5].ptr)
        let late = table.shared(again[2099], hash: OutputSectionKey(name: again[2099], flags: 2).hash)
        #expect(late.ptr == again[2099].ptr && late == many[2099])
    }
}
