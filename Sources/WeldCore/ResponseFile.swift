#if canImport(Glibc)
import Glibc
#endif

/// Nesting limit for response files that name response files; deeper means a loop.
let responseFileMaxDepth = 64

/// Replaces each `@file` argument by the arguments written in `file`, recursively, as GNU ld
/// (libiberty's `expandargv`) does: arguments are separated by whitespace, single and double
/// quotes group (and are removed), and a backslash makes the next character literal, also
/// inside quotes. An `@file` that cannot be opened is kept as a literal argument, as in GNU ld
/// (so a file literally named "@foo" can still be passed). Nested files are read relative to
/// the current directory. Throws on a directory and on nesting deeper than 64 (a loop).
public func expandResponseFiles(_ args: [String]) throws(LinkError) -> [String] {
    // The common case: no response file, no copy.
    if !args.contains(where: { $0.utf8.first == UInt8(ascii: "@") }) { return args }
    var out: [String] = []
    out.reserveCapacity(args.count)
    try expand(args, depth: 0, into: &out)
    return out
}

private func expand(_ args: [String], depth: Int, into out: inout [String]) throws(LinkError) {
    for arg in args {
        guard arg.utf8.count > 1, arg.utf8.first == UInt8(ascii: "@") else {
            out.append(arg)
            continue
        }
        let path = String(arg.dropFirst())
        guard let contents = try readResponseFile(path) else {
            out.append(arg)
            continue
        }
        if depth >= responseFileMaxDepth {
            throw LinkError("\(arg): response files nested more than \(responseFileMaxDepth) deep (a loop?)")
        }
        try expand(splitResponseFile(contents), depth: depth + 1, into: &out)
    }
}

/// The file's bytes, or nil if it cannot be opened or read (the argument then stays literal).
private func readResponseFile(_ path: String) throws(LinkError) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return nil }
    defer { close(fd) }
    var st = stat()
    if fstat(fd, &st) != 0 { return nil }
    if (st.st_mode & S_IFMT) == S_IFDIR { throw LinkError("@\(path): is a directory") }
    var bytes: [UInt8] = []
    var capacity = max(Int(st.st_size), 0) + 1  // +1 so a full read reaches EOF in one more call
    while true {
        let old = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: capacity))
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + old, capacity) }
        if n < 0 {
            if errno == EINTR { bytes.removeLast(capacity); continue }
            return nil
        }
        bytes.removeLast(capacity - n)
        if n == 0 { return bytes }
        capacity = max(4096, capacity)
    }
}

/// Splits response-file text into arguments (libiberty `buildargv` rules). An argument starts
/// at any non-space character, so `''` is an empty argument.
func splitResponseFile(_ text: [UInt8]) -> [String] {
    var args: [String] = []
    var current: [UInt8] = []
    var inArg = false, squote = false, dquote = false, escaped = false
    for c in text {
        if escaped {
            current.append(c)
            escaped = false
            continue
        }
        if !squote && !dquote && isResponseFileSpace(c) {
            if inArg {
                args.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
                inArg = false
            }
            continue
        }
        inArg = true
        if c == UInt8(ascii: "\\") {
            escaped = true
        } else if squote {
            if c == UInt8(ascii: "'") { squote = false } else { current.append(c) }
        } else if dquote {
            if c == UInt8(ascii: "\"") { dquote = false } else { current.append(c) }
        } else if c == UInt8(ascii: "'") {
            squote = true
        } else if c == UInt8(ascii: "\"") {
            dquote = true
        } else {
            current.append(c)
        }
    }
    if inArg { args.append(String(decoding: current, as: UTF8.self)) }
    return args
}

/// C `isspace` in the C locale: space, \t, \n, \v, \f, \r.
@inline(__always)
private func isResponseFileSpace(_ c: UInt8) -> Bool {
    c == 0x20 || (c >= 0x09 && c <= 0x0D)
}
