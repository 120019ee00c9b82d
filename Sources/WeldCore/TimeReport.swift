#if canImport(Glibc)
import Glibc
#endif

/// The outputs of `PhaseTimer`: the `--time-report` table (text or JSON) and the
/// `--time-trace` Chrome trace. Numbers are formatted with integer arithmetic (no Foundation,
/// no locale), milliseconds with three decimals.
extension PhaseTimer {
    /// Time from process start to `PhaseTimer` initialization, in nanoseconds.
    ///
    /// The kernel only exposes the start time in clock ticks (/proc/self/stat field 22,
    /// `starttime`, measured on CLOCK_BOOTTIME, truncated to 1/USER_HZ = 10 ms), so the wall
    /// time since start lies in (E - 1 tick, E] with E = BOOTTIME at init - starttime. The
    /// process CPU time at init (ns resolution) is a lower bound of it when start-up is
    /// single-threaded; start-up is normally CPU-bound, so the estimate is the CPU time clamped
    /// into that interval: exact for a CPU-bound start, within one tick otherwise. "Start" is
    /// the fork that created the process, so the short stretch before `exec` is included.
    public var processStartNanos: UInt64 {
        guard let ticks = readStartTimeTicks() else { return startCPUNanos }
        let hz = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))
        let tick = 1_000_000_000 / hz
        let startBoot = ticks * tick
        guard startBootNanos >= startBoot else { return startCPUNanos }
        let upper = startBootNanos - startBoot
        let lower = upper > tick ? upper - tick : 0
        return min(max(startCPUNanos, lower), upper)
    }

    /// The report rows: "process start", the phases in order (each followed by its steps, if
    /// it timed any), "other" (time since initialization spent outside any phase), "total"
    /// (process start to now). Each row has its wall time and the process's CPU time (all
    /// threads) over it.
    public func reportRows() -> [Phase] {
        let start = processStartNanos
        let elapsed = monotonicNanos() - startNanos
        let busy = busyCPUNanos(), cpuSinceStart = busy > startCPUNanos ? busy - startCPUNanos : 0
        let list = phasesAndSteps
        let topLevel = list.filter { $0.within == nil }
        let inPhases = topLevel.reduce(UInt64(0)) { $0 + $1.nanos }
        let cpuInPhases = topLevel.reduce(UInt64(0)) { $0 + $1.cpuNanos }
        return [Phase(name: "process start", nanos: start, cpuNanos: startCPUNanos)] + list + [
            Phase(name: "other", nanos: elapsed > inPhases ? elapsed - inPhases : 0,
                  cpuNanos: cpuSinceStart > cpuInPhases ? cpuSinceStart - cpuInPhases : 0),
            Phase(name: "total", nanos: start + elapsed, cpuNanos: startCPUNanos + cpuSinceStart),
        ]
    }

    /// A table: phase, wall milliseconds, share of the total, CPU milliseconds (all threads)
    /// and "cores", CPU over wall: the average number of threads the phase kept busy, so a
    /// phase that should be parallel but shows 1.0 stands out. The last row is the total.
    public func reportText() -> String {
        let rows = reportRows()
        let total = rows.last!.nanos
        let width = max(12, rows.map { $0.name.utf8.count + ($0.within == nil ? 0 : 2) }.max()!)
        var out = pad("phase", width, right: false) + "   " + pad("wall ms", 10) + "  " + pad("share", 7)
            + "  " + pad("cpu ms", 10) + "  " + pad("cores", 5) + "\n"
        for row in rows {
            // Share in tenths of a percent, rounded.
            let permille = total == 0 ? 0 : (row.nanos * 1000 + total / 2) / total
            out += pad(row.within == nil ? row.name : "  " + row.name, width, right: false) + "   " + pad(formatMillis(row.nanos), 10) + "  "
                + pad("\(permille / 10).\(permille % 10)%", 7) + "  " + pad(formatMillis(row.cpuNanos), 10)
                + "  " + pad(formatCores(cpu: row.cpuNanos, wall: row.nanos), 5) + "\n"
        }
        return out
    }

    /// `[{"phase": "parse", "ms": 1.234, "cpu_ms": 2.100}, ..., {"phase": "total", ...}]`, same
    /// rows as the text report; a step has `"within": "its phase"` (leave steps out when
    /// adding rows up: their phase counts them already).
    public func reportJSON() -> String {
        let items = reportRows().map { row -> String in
            let within = row.within.map { ", \"within\": \(jsonString($0))" } ?? ""
            return "{\"phase\": \(jsonString(row.name))\(within), \"ms\": \(formatMillis(row.nanos)), \"cpu_ms\": \(formatMillis(row.cpuNanos))}"
        }
        return "[" + items.joined(separator: ", ") + "]"
    }

    /// Writes every recorded span (and the phases, when they ran with `tracing` on) in the
    /// Chrome trace event format, which chrome://tracing and ui.perfetto.dev open: complete
    /// events ("ph": "X") with microsecond `ts`/`dur`, counted from process start, and a
    /// `thread_name` record per thread; tids are small numbers, 1 for the main thread.
    /// Call after parallel work has ended: the per-thread buffers are read without a lock.
    public func writeChromeTrace(path: String) throws(LinkError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        if fd < 0 { throw LinkError("cannot open \(path): \(String(cString: strerror(errno)))") }
        var w = TraceWriter(fd: fd)
        let pid = Int(getpid())
        // Timestamps count from process start so the first event is the start-up itself.
        let shift = processStartNanos
        func ts(_ monotonic: UInt64) -> String { formatMicros(monotonic &- startNanos &+ shift) }

        let buffers = traceBuffers.withLock { $0 }
        var ordered = buffers.filter { $0.isMain } + buffers.filter { !$0.isMain }
        if ordered.isEmpty || !ordered[0].isMain { ordered.insert(ThreadTrace(osTid: pid, isMain: true), at: 0) }

        w.append("{\"traceEvents\":[\n")
        w.append("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":\(pid),\"tid\":1,\"args\":{\"name\":\"weld\"}}")
        for (n, thread) in ordered.enumerated() {
            let tid = n + 1
            let name = thread.isMain ? "main" : "worker \(n)"
            w.append(",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":\(pid),\"tid\":\(tid),\"args\":{\"name\":\(jsonString(name))}}")
            w.append(",\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":\(pid),\"tid\":\(tid),\"args\":{\"sort_index\":\(tid)}}")
            if thread.isMain {
                w.append(",\n{\"name\":\"process start\",\"cat\":\"weld\",\"ph\":\"X\",\"ts\":0.000,\"dur\":\(formatMicros(shift)),\"pid\":\(pid),\"tid\":\(tid)}")
            }
            // Spans are stored as they end (children first); viewers want parents first.
            let events = thread.events.sorted { $0.start != $1.start ? $0.start < $1.start : $0.duration > $1.duration }
            for e in events {
                w.append(",\n{\"name\":\(jsonString(e.name)),\"cat\":\"weld\",\"ph\":\"X\",\"ts\":\(ts(e.start)),\"dur\":\(formatMicros(e.duration)),\"pid\":\(pid),\"tid\":\(tid)")
                if let d = e.detail { w.append(",\"args\":{\"detail\":\(jsonString(d))}") }
                w.append("}")
            }
        }
        w.append("\n],\"displayTimeUnit\":\"ms\"}\n")
        let ok = w.flush()
        let e = errno
        if close(fd) != 0 || !ok {
            throw LinkError("cannot write \(path): \(String(cString: strerror(ok ? errno : e)))")
        }
    }

    /// Reads field 22 (`starttime`) of /proc/self/stat. Field 2 is the command name in
    /// parentheses and may hold spaces, so fields are counted after the last ')'.
    func readStartTimeTicks() -> UInt64? {
        let fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        return withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 1) { buf -> UInt64? in
            let n = read(fd, buf.baseAddress, buf.count)
            if n <= 0 { return nil }
            let bytes = UnsafeRawBufferPointer(rebasing: buf[0..<n])
            guard let paren = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
            var field = 2
            var value: UInt64 = 0
            var inField = false
            for c in bytes[(paren + 1)...] {
                if c == UInt8(ascii: " ") || c == UInt8(ascii: "\n") {
                    if inField && field == 22 { return value }
                    inField = false
                } else {
                    if !inField { inField = true; field += 1; value = 0 }
                    if field == 22 {
                        guard c >= 48 && c <= 57 else { return nil }
                        value = value * 10 + UInt64(c - 48)
                    }
                }
            }
            return nil
        }
    }
}

/// Appends to a buffer and writes it out in large pieces, so a trace of many spans is neither
/// one huge string nor a write per event.
private struct TraceWriter {
    let fd: Int32
    var buffer: [UInt8] = []
    var failed = false

    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(1 << 16)
    }

    mutating func append(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 16 { _ = flush() }
    }

    /// Writes the buffer; false once any write has failed (errno set).
    mutating func flush() -> Bool {
        if failed { return false }
        var done = 0
        buffer.withUnsafeBytes { raw in
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    return
                }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
        return !failed
    }
}

/// `nanos` as milliseconds with three decimals, rounded: 1234567 -> "1.235".
func formatMillis(_ nanos: UInt64) -> String {
    let micros = (nanos + 500) / 1000
    return "\(micros / 1000).\(threeDigits(micros % 1000))"
}

/// CPU time over wall time with two decimals, rounded ("1.87"); "-" for an empty phase, whose
/// ratio would be noise.
func formatCores(cpu: UInt64, wall: UInt64) -> String {
    if wall < 10_000 { return "-" }
    let hundredths = (cpu * 100 + wall / 2) / wall
    return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
}

/// `nanos` as microseconds with three decimals (exact): 1234567 -> "1234.567".
func formatMicros(_ nanos: UInt64) -> String {
    "\(nanos / 1000).\(threeDigits(nanos % 1000))"
}

private func threeDigits(_ v: UInt64) -> String {
    v < 10 ? "00\(v)" : v < 100 ? "0\(v)" : "\(v)"
}

private func pad(_ s: String, _ width: Int, right: Bool = true) -> String {
    let n = s.utf8.count
    if n >= width { return s }
    let fill = String(repeating: " ", count: width - n)
    return right ? fill + s : s + fill
}

/// A JSON string literal: quotes, backslashes and control characters escaped.
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if u.value < 0x20 {
                let hex = Array("0123456789abcdef".utf8)
                out += "\\u00" + String(decoding: [hex[Int(u.value >> 4)], hex[Int(u.value & 15)]], as: UTF8.self)
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}
