#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
import Testing
@testable import WeldCore

/// A thread-safe log of task names in the order they ran.
final class RunLog: Sendable {
    let names = Mutex<[String]>([])
    func add(_ name: String) { names.withLock { $0.append(name) } }
    var all: [String] { names.withLock { $0 } }
    func position(_ name: String) -> Int? { all.firstIndex(of: name) }
}

@Suite struct TaskGraphTests {
    /// load -> {parseA, parseB} -> resolve -> {layout, gc(after parseA)} -> write
    func diamond(_ log: RunLog) -> TaskGraph {
        var g = TaskGraph()
        // Added out of order: dependencies are by name.
        g.add("write", dependsOn: ["layout", "gc"]) { log.add("write") }
        g.add("load") { log.add("load") }
        g.add("parseA", dependsOn: ["load"]) { usleep(1000); log.add("parseA") }
        g.add("parseB", dependsOn: ["load"]) { log.add("parseB") }
        g.add("resolve", dependsOn: ["parseA", "parseB"]) { log.add("resolve") }
        g.add("layout", dependsOn: ["resolve"]) { log.add("layout") }
        g.add("gc", dependsOn: ["resolve", "parseA"]) { log.add("gc") }
        return g
    }

    @Test(arguments: [1, 2, 4])
    func runsEachTaskAfterItsDependencies(threads: Int) throws {
        let log = RunLog()
        let g = diamond(log)
        try g.run(threads: threads)
        let order = log.all
        #expect(order.count == 7)
        #expect(Set(order).count == 7)
        func before(_ a: String, _ b: String) -> Bool { log.position(a)! < log.position(b)! }
        #expect(before("load", "parseA") && before("load", "parseB"))
        #expect(before("parseA", "resolve") && before("parseB", "resolve"))
        #expect(before("resolve", "layout") && before("resolve", "gc"))
        #expect(before("layout", "write") && before("gc", "write"))
    }

    @Test func serialOrderIsDeterministic() throws {
        let log = RunLog()
        try diamond(log).run(threads: 1)
        // Ready tasks run in insertion order.
        #expect(log.all == ["load", "parseA", "parseB", "resolve", "layout", "gc", "write"])
    }

    @Test(.enabled(if: machineCPUs >= 2))
    func runsIndependentTasksInParallel() throws {
        // Each task waits for the other to have started: only a parallel run finishes both.
        let aStarted = DispatchSemaphore(value: 0)
        let bStarted = DispatchSemaphore(value: 0)
        let sawOther = Atomic<Int>(0)
        var g = TaskGraph()
        g.add("a") {
            aStarted.signal()
            if bStarted.wait(timeout: .now() + 10) == .success { sawOther.add(1, ordering: .relaxed) }
        }
        g.add("b") {
            bStarted.signal()
            if aStarted.wait(timeout: .now() + 10) == .success { sawOther.add(1, ordering: .relaxed) }
        }
        try g.run(threads: 2)
        #expect(sawOther.load(ordering: .relaxed) == 2)
    }

    @Test func respectsTheThreadLimit() throws {
        let running = Atomic<Int>(0)
        let peak = Atomic<Int>(0)
        var g = TaskGraph()
        for i in 0..<12 {
            g.add("t\(i)") {
                let now = running.add(1, ordering: .relaxed).newValue
                var p = peak.load(ordering: .relaxed)
                while now > p {
                    let r = peak.compareExchange(expected: p, desired: now, ordering: .relaxed)
                    if r.exchanged { break }
                    p = r.original
                }
                usleep(2000)
                running.subtract(1, ordering: .relaxed)
            }
        }
        try g.run(threads: 2)
        #expect(peak.load(ordering: .relaxed) <= 2)
    }

    @Test func reportsACycleByNameAndRunsNothing() {
        let ran = Atomic<Int>(0)
        var g = TaskGraph()
        g.add("independent") { ran.add(1, ordering: .relaxed) }
        g.add("a", dependsOn: ["c"]) { ran.add(1, ordering: .relaxed) }
        g.add("b", dependsOn: ["a"]) { ran.add(1, ordering: .relaxed) }
        g.add("c", dependsOn: ["b"]) { ran.add(1, ordering: .relaxed) }
        g.add("after", dependsOn: ["c"]) { ran.add(1, ordering: .relaxed) }
        let error = #expect(throws: LinkError.self) { try g.run(threads: 2) }
        #expect(error?.message == "dependency cycle between tasks: a -> c -> b -> a (each depends on the next)")
        #expect(ran.load(ordering: .relaxed) == 0)
    }

    @Test func reportsASelfDependency() {
        var g = TaskGraph()
        g.add("x", dependsOn: ["x"]) {}
        let error = #expect(throws: LinkError.self) { try g.run() }
        #expect(error?.message.contains("x -> x") == true)
    }

    @Test func rejectsUnknownDependenciesAndDuplicates() {
        var g = TaskGraph()
        g.add("a", dependsOn: ["nope"]) {}
        let e1 = #expect(throws: LinkError.self) { try g.run() }
        #expect(e1?.message == "task 'a' depends on unknown task 'nope'")

        var h = TaskGraph()
        h.add("a") {}
        h.add("a") {}
        let e2 = #expect(throws: LinkError.self) { try h.run() }
        #expect(e2?.message == "duplicate task name 'a'")
    }

    @Test(arguments: [1, 2])
    func aFailedTaskStopsItsDependentsOnly(threads: Int) {
        let log = RunLog()
        var g = TaskGraph()
        g.add("parse") { log.add("parse"); throw LinkError("bad.o: truncated section header") }
        g.add("resolve", dependsOn: ["parse"]) { log.add("resolve") }
        g.add("write", dependsOn: ["resolve", "prefetch"]) { log.add("write") }
        g.add("prefetch") { usleep(1000); log.add("prefetch") }
        g.add("other") { log.add("other") }
        let error = #expect(throws: LinkError.self) { try g.run(threads: threads) }
        #expect(error?.message == "task 'parse' failed: bad.o: truncated section header (not run: resolve, write)")
        #expect(Set(log.all) == ["parse", "prefetch", "other"])
    }

    @Test(arguments: [1, 2])
    func reportsEveryFailureInInsertionOrder(threads: Int) {
        struct Oops: Error, CustomStringConvertible { var description: String { "oops" } }
        var g = TaskGraph()
        g.add("first") { usleep(3000); throw Oops() }
        g.add("second") { throw LinkError("broken") }
        let error = #expect(throws: LinkError.self) { try g.run(threads: threads) }
        #expect(error?.message == "task 'first' failed: oops\ntask 'second' failed: broken")
    }

    @Test func emptyAndSingleGraphs() throws {
        try TaskGraph().run()
        let log = RunLog()
        var g = TaskGraph()
        g.add("only") { log.add("only") }
        try g.run(threads: 8)
        #expect(log.all == ["only"])
    }
}
