import WeldCore

/// What a version script says: which names are global or local (with `*`, `?`, `[...]`
/// wildcards), and the version nodes (`V1 { global: a; }; V2 { global: b; } V1;`) that
/// become .gnu.version_d entries.
struct VersionScript {
    var globals: [String] = []
    var locals: [String] = []
    var versionNames: [String] = []
    var nodes: [VersionNode] = []
}

struct VersionNode {
    var name: String
    var globals: [String] = []
    var locals: [String] = []
    var parents: [String] = []
}

/// Parses a GNU version script: `{ global: a; b*; local: *; };` or named nodes
/// `V1 { ... }; V2 { ... } V1;`. Errors name the file, line and column.
func parseVersionScript(_ text: String, path: String) throws(LinkError) -> VersionScript {
    var script = VersionScript()
    var tokens: [(String, Int, Int)] = []
    var line = 1, col = 1
    var cur = ""
    var startLine = 1, startCol = 1
    var chars = Array(text.unicodeScalars)
    var i = 0
    func flush() { if !cur.isEmpty { tokens.append((cur, startLine, startCol)); cur = "" } }
    while i < chars.count {
        let c = chars[i]
        if c == "/" && i + 1 < chars.count && chars[i + 1] == "*" {
            flush()
            i += 2
            while i + 1 < chars.count && !(chars[i] == "*" && chars[i + 1] == "/") { if chars[i] == "\n" { line += 1; col = 1 } else { col += 1 }; i += 1 }
            i += 2; col += 4
            continue
        }
        if c == "#" { flush(); while i < chars.count && chars[i] != "\n" { i += 1 }; continue }
        if c == "\"" {
            flush(); startLine = line; startCol = col
            i += 1; col += 1
            var q = ""
            while i < chars.count && chars[i] != "\"" { q.unicodeScalars.append(chars[i]); i += 1; col += 1 }
            tokens.append(("\"" + q, startLine, startCol))
            i += 1; col += 1
            continue
        }
        if c == "{" || c == "}" || c == ";" || c == ":" {
            // "::" inside C++ names stays part of the name.
            if c == ":" && i + 1 < chars.count && chars[i + 1] == ":" { if cur.isEmpty { startLine = line; startCol = col }; cur += "::"; i += 2; col += 2; continue }
            flush()
            tokens.append((String(c), line, col))
        } else if c == " " || c == "\t" || c == "\n" || c == "\r" {
            flush()
        } else {
            if cur.isEmpty { startLine = line; startCol = col }
            cur.unicodeScalars.append(c)
        }
        if c == "\n" { line += 1; col = 1 } else { col += 1 }
        i += 1
    }
    flush()
    chars = []
    var k = 0
    func err(_ msg: String) -> LinkError {
        let (t, l, c) = k < tokens.count ? tokens[k] : ("end of file", line, col)
        return LinkError("\(path):\(l):\(c): \(msg), found '\(t)'")
    }
    while k < tokens.count {
        // Optional version name.
        var node = VersionNode(name: "")
        if tokens[k].0 != "{" { script.versionNames.append(tokens[k].0); node.name = tokens[k].0; k += 1 }
        guard k < tokens.count, tokens[k].0 == "{" else { throw err("expected '{'") }
        k += 1
        var isLocal = false
        while k < tokens.count && tokens[k].0 != "}" {
            let t = tokens[k].0
            if (t == "global" || t == "local") && k + 1 < tokens.count && tokens[k + 1].0 == ":" {
                isLocal = t == "local"; k += 2; continue
            }
            if t == "extern" {
                // extern "C++" { patterns };  (patterns are matched as written)
                k += 2
                guard k < tokens.count, tokens[k].0 == "{" else { throw err("expected '{' after extern") }
                k += 1
                while k < tokens.count && tokens[k].0 != "}" {
                    if tokens[k].0 != ";" {
                        let p = tokens[k].0.hasPrefix("\"") ? String(tokens[k].0.dropFirst()) : tokens[k].0
                        if isLocal { script.locals.append(p); node.locals.append(p) } else { script.globals.append(p); node.globals.append(p) }
                    }
                    k += 1
                }
                k += 1
                if k < tokens.count && tokens[k].0 == ";" { k += 1 }
                continue
            }
            if t == ";" { k += 1; continue }
            let p = t.hasPrefix("\"") ? String(t.dropFirst()) : t
            if isLocal { script.locals.append(p); node.locals.append(p) } else { script.globals.append(p); node.globals.append(p) }
            k += 1
            guard k < tokens.count, tokens[k].0 == ";" else { throw err("expected ';' after '\(p)'") }
            k += 1
        }
        guard k < tokens.count else { throw err("expected '}'") }
        k += 1
        // Optional parent version names, then ';'.
        while k < tokens.count && tokens[k].0 != ";" { node.parents.append(tokens[k].0); k += 1 }
        if !node.name.isEmpty { script.nodes.append(node) }
        k += 1
    }
    return script
}

/// Shell-style matching with `*`, `?` and `[...]`, as version scripts use.
func globMatch(_ pattern: String, _ name: String) -> Bool {
    if !pattern.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) { return pattern == name }
    let p = Array(pattern.utf8), n = Array(name.utf8)
    var pi = 0, ni = 0, star = -1, mark = 0
    while ni < n.count {
        if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == n[ni]) { pi += 1; ni += 1 }
        else if pi < p.count && p[pi] == UInt8(ascii: "*") { star = pi; mark = ni; pi += 1 }
        else if pi < p.count && p[pi] == UInt8(ascii: "[") {
            var j = pi + 1, matched = false
            while j < p.count && p[j] != UInt8(ascii: "]") { if p[j] == n[ni] { matched = true }; j += 1 }
            if matched { pi = j + 1; ni += 1 } else if star >= 0 { pi = star + 1; mark += 1; ni = mark } else { return false }
        }
        else if star >= 0 { pi = star + 1; mark += 1; ni = mark }
        else { return false }
    }
    while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
    return pi == p.count
}
