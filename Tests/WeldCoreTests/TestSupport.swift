#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import WeldCore

/// Tests that change process-wide settings (`Parallel.threadCount`) run one at a time inside
/// this suite; they are declared in extensions next to the code they test.
@Suite(.serialized) struct GlobalStateTests {}

/// Runs `body` with `Parallel.threadCount` set to `n`, then restores it.
func withThreadCount<T>(_ n: Int, _ body: () throws -> T) rethrows -> T {
    let saved = Parallel.threadCount
    Parallel.threadCount = n
    defer { Parallel.threadCount = saved }
    return try body()
}

/// Sleeps `micros` microseconds (usleep without its result).
func pause(_ micros: UInt32) { _ = usleep(micros) }

var machineCPUs: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

/// A fresh directory under /tmp, removed (with its files) by `removeTree`.
func makeTempDir() -> String {
    var template = Array("/tmp/weldcore-test-XXXXXX".utf8CString)
    let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(p != nil, "mkdtemp failed")
    return String(cString: p!)
}

func removeTree(_ path: String) {
    _ = runCommand("rm -rf '\(path)'")
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0, "cannot create \(path)")
    var done = 0
    bytes.withUnsafeBytes { raw in
        while done < raw.count {
            let n = write(fd, raw.baseAddress! + done, raw.count - done)
            precondition(n > 0)
            done += n
        }
    }
    close(fd)
}

func writeFile(_ path: String, _ text: String) { writeFile(path, Array(text.utf8)) }

func readFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY)
    if fd < 0 { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return out }
        out += buf[0..<n]
    }
}

/// Runs a shell command and returns its standard output (nil if it could not start).
func runCommand(_ command: String) -> String? {
    guard let f = popen(command, "r") else { return nil }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n == 0 { break }
        out += buf[0..<n]
    }
    pclose(f)
    return String(decoding: out, as: UTF8.self)
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
}

/// Deterministic pseudo-random bytes (splitmix64).
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    var out = [UInt8](repeating: 0, count: count)
    for i in stride(from: 0, to: count, by: 8) {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        for j in 0..<min(8, count - i) { out[i + j] = UInt8(truncatingIfNeeded: z >> (8 * UInt64(j))) }
    }
    return out
}

/// A minimal JSON value and recursive-descent parser, enough to check that the reports and the
/// trace are well-formed JSON and to look inside them.
indirect enum JSON: Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSON]), object([(String, JSON)])

    static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    subscript(key: String) -> JSON? {
        if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
        return nil
    }
    var array: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var number: Double? { if case .number(let n) = self { return n } else { return nil } }

    static func parse(_ text: String) -> JSON? {
        var p = Parser(bytes: Array(text.utf8))
        guard let v = p.value() else { return nil }
        p.skipSpace()
        return p.i == p.bytes.count ? v : nil
    }

    struct Parser {
        let bytes: [UInt8]
        var i = 0

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
        }

        mutating func literal(_ s: String) -> Bool {
            let u = Array(s.utf8)
            guard i + u.count <= bytes.count, Array(bytes[i..<i + u.count]) == u else { return false }
            i += u.count
            return true
        }

        mutating func value() -> JSON? {
            skipSpace()
            guard i < bytes.count else { return nil }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var members: [(String, JSON)] = []
                skipSpace()
                if i < bytes.count && bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                while true {
                    skipSpace()
                    guard let k = string() else { return nil }
                    skipSpace()
                    guard literal(":"), let v = value() else { return nil }
                    members.append((k, v))
                    skipSpace()
                    if literal(",") { continue }
                    return literal("}") ? .object(members) : nil
                }
            case UInt8(ascii: "["):
                i += 1
                var items: [JSON] = []
                skipSpace()
                if i < bytes.count && bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                while true {
                    guard let v = value() else { return nil }
                    items.append(v)
                    skipSpace()
                    if literal(",") { continue }
                    return literal("]") ? .array(items) : nil
                }
            case UInt8(ascii: "\""):
                return string().map { .string($0) }
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            default:
                let start = i
                while i < bytes.count, "-+.eE0123456789".utf8.contains(bytes[i]) { i += 1 }
                return Double(String(decoding: bytes[start..<i], as: UTF8.self)).map { .number($0) }
            }
        }

        mutating func string() -> String? {
            guard literal("\"") else { return nil }
            var out: [UInt8] = []
            while i < bytes.count {
                let c = bytes[i]
                i += 1
                if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
                if c < 0x20 { return nil }
                if c == UInt8(ascii: "\\") {
                    guard i < bytes.count else { return nil }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "u"):
                        guard i + 4 <= bytes.count, let v = UInt8(String(decoding: bytes[i + 2..<i + 4], as: UTF8.self), radix: 16) else { return nil }
                        out.append(v)
                        i += 4
                    default: out.append(e)
                    }
                } else {
                    out.append(c)
                }
            }
            return nil
        }
    }
}
