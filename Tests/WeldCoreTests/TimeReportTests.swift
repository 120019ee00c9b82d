#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import WeldCore

@Suite struct TimeReportTests {
    /// A private timer (not `.shared`) with two phases, "parse" run twice.
    func timerWithPhases() -> PhaseTimer {
        let t = PhaseTimer()
        t.enabled = true
        t.phase("parse") { pause(2000) }
        t.phase("write") { pause(1000) }
        t.phase("parse") { pause(1000) }
        return t
    }

    @Test func phasesAccumulateInFirstRunOrder() {
        let t = timerWithPhases()
        #expect(t.phases.map(\.name) == ["parse", "write"])
        #expect(t.phases[0].nanos >= 3_000_000)
        #expect(t.phases[1].nanos >= 1_000_000)
    }

    @Test func disabledTimerRecordsNothing() {
        let t = PhaseTimer()
        let v = t.phase("parse") { 42 }
        #expect(v == 42)
        #expect(t.phases.isEmpty)
        t.span("x") {}
        #expect(t.traceBuffers.withLock { $0.isEmpty })
    }

    @Test func jsonReportIsValidAndInOrder() throws {
        let json = timerWithPhases().reportJSON()
        #expect(json.hasPrefix("[{\"phase\": \"process start\", \"ms\": "))
        #expect(json.contains("{\"phase\": \"parse\", \"ms\": "))
        #expect(json.hasSuffix("}]"))
        let rows = try #require(JSON.parse(json)?.array)
        let names = rows.compactMap { $0["phase"]?.string }
        #expect(names == ["process start", "parse", "write", "other", "total"])
        let ms = rows.compactMap { $0["ms"]?.number }
        #expect(ms.count == 5)
        #expect(ms[1] >= 3.0 && ms[2] >= 1.0)
        // The total covers process start plus everything since the timer started.
        #expect(ms[4] >= ms[0] + ms[1] + ms[2] + ms[3] - 0.005)
    }

    @Test func textReportHasATableWithTotal() {
        let text = timerWithPhases().reportText()
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        #expect(lines[0].hasPrefix("phase"))
        #expect(lines[1].hasPrefix("process start"))
        #expect(lines[2].hasPrefix("parse"))
        #expect(lines[5].hasPrefix("total"))
        #expect(lines[5].contains(" 100.0% "))
        #expect(lines[0].hasSuffix("cpu ms  cores"))
        #expect(lines.allSatisfy { $0.utf8.count == lines[0].utf8.count })
    }

    @Test func stepsFollowTheirPhaseAndDoNotAddToTheTotal() throws {
        let t = PhaseTimer()
        t.enabled = true
        t.phase("resolve") {
            var start = monotonicNanos()
            pause(1000)
            t.endSpan("resolve: archives", since: start)
            start = monotonicNanos()
            pause(1000)
            t.endSpan("resolve: objects", since: start)
        }
        t.phase("write") { pause(500) }
        t.endSpan("outside any phase", since: monotonicNanos())   // not a step: no phase runs
        #expect(t.phases.map(\.name) == ["resolve", "write"])
        let rows = try #require(JSON.parse(t.reportJSON())?.array)
        #expect(rows.compactMap { $0["phase"]?.string } == ["process start", "resolve", "resolve: archives", "resolve: objects", "write", "other", "total"])
        #expect(rows[2]["within"]?.string == "resolve" && rows[1]["within"] == nil)
        // "other" is time outside the phases: steps must not be counted twice.
        let ms = rows.compactMap { $0["ms"]?.number }
        #expect(ms[2] >= 1.0 && ms[3] >= 1.0 && ms[1] >= ms[2] + ms[3])
        #expect(ms[6] >= ms[0] + ms[1] + ms[4] + ms[5] - 0.005)
        #expect(rows.allSatisfy { $0["cpu_ms"]?.number != nil })
        let lines = t.reportText().split(separator: "\n")
        #expect(lines[3].hasPrefix("  resolve: archives"))
        #expect(lines[0].hasSuffix("cores"))
    }

    @Test func coresFormatting() {
        #expect(formatCores(cpu: 1_870_000, wall: 1_000_000) == "1.87")
        #expect(formatCores(cpu: 1_000_000, wall: 1_000_000) == "1.00")
        #expect(formatCores(cpu: 1_050_000, wall: 1_000_000) == "1.05")
        #expect(formatCores(cpu: 5_000, wall: 5_000) == "-")
    }

    @Test func processStartIsPlausible() throws {
        let t = PhaseTimer()
        let ticks = try #require(t.readStartTimeTicks())
        #expect(ticks > 0)
        // The test process started before this timer, and not hours ago.
        let start = t.processStartNanos
        #expect(start > 0)
        #expect(start < 3_600_000_000_000)
    }

    @Test func numberFormatting() {
        #expect(formatMillis(0) == "0.000")
        #expect(formatMillis(1_234_567) == "1.235")
        #expect(formatMillis(12_000_499) == "12.000")
        #expect(formatMicros(1_234_567) == "1234.567")
        #expect(formatMicros(5) == "0.005")
        #expect(jsonString("a\"b\\c\n\u{1}") == "\"a\\\"b\\\\c\\n\\u0001\"")
    }

    @Test func tracingRecordsNestedSpansAndPhases() throws {
        let t = PhaseTimer()
        t.tracing = true
        t.phase("link") {
            t.span("outer") {
                t.span("inner", detail: "a.o") { pause(200) }
            }
        }
        let events = t.currentThreadTrace().events
        #expect(events.map(\.name) == ["inner", "outer", "link"])
        #expect(events[0].detail == "a.o")
        #expect(events[1].start <= events[0].start)
        #expect(events[1].start + events[1].duration >= events[0].start + events[0].duration)
        #expect(t.phases.map(\.name) == ["link"])
    }

    @Test func spansRecordWhenTheBodyThrows() {
        let t = PhaseTimer()
        t.tracing = true
        #expect(throws: LinkError.self) {
            try t.span("failing") { throw LinkError("no") }
        }
        #expect(t.currentThreadTrace().events.map(\.name) == ["failing"])
    }

    @Test func writeChromeTraceFailsOnABadPath() {
        let t = PhaseTimer()
        #expect(throws: LinkError.self) { try t.writeChromeTrace(path: "/nonexistent-dir/trace.json") }
    }
}

extension GlobalStateTests {
    @Test(.enabled(if: machineCPUs >= 2))
    func chromeTraceHasSpansFromTwoThreads() throws {
        let t = PhaseTimer()
        t.tracing = true
        withThreadCount(2) {
            t.phase("parse") {
                Parallel.forEach(64) { i in
                    t.span("parse file", detail: "f\(i).o") {
                        t.span("read") { pause(300) }
                    }
                }
            }
        }
        let dir = makeTempDir()
        defer { removeTree(dir) }
        let path = dir + "/trace.json"
        try t.writeChromeTrace(path: path)
        let text = String(decoding: try #require(readFile(path)), as: UTF8.self)
        let root = try #require(JSON.parse(text))
        let events = try #require(root["traceEvents"]?.array)

        let spans = events.filter { $0["ph"]?.string == "X" }
        let files = spans.filter { $0["name"]?.string == "parse file" }
        #expect(files.count == 64)
        #expect(spans.filter { $0["name"]?.string == "read" }.count == 64)
        #expect(spans.contains { $0["name"]?.string == "parse" })
        #expect(spans.contains { $0["name"]?.string == "process start" })
        let tids = Set(files.compactMap { $0["tid"]?.number })
        #expect(tids.count >= 2)
        #expect(files.allSatisfy { ($0["ts"]?.number ?? -1) >= 0 && ($0["dur"]?.number ?? -1) >= 300 })
        #expect(files.allSatisfy { $0["args"]?["detail"]?.string?.hasSuffix(".o") == true })

        // Every thread that has spans is named; the main thread is tid 1.
        let named = events.filter { $0["ph"]?.string == "M" && $0["name"]?.string == "thread_name" }
        let namedTids = Set(named.compactMap { $0["tid"]?.number })
        #expect(tids.isSubset(of: namedTids))
        #expect(named.contains { $0["tid"]?.number == 1 && $0["args"]?["name"]?.string == "main" })
    }
}
