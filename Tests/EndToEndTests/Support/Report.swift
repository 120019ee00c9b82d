// Failure reports: commands, linker messages, and a diff-friendly view of two outputs.
import Foundation

enum Report {
    static let maxLines = 60

    /// A failed step: its command, how it ended, and what it printed.
    static func step(_ title: String, _ r: ProcessResult) -> String {
        var s = "\(title)\n  command: \(r.commandLine)\n"
        if !r.stdout.isEmpty { s += "  stdout:\n" + indent(clip(r.stdoutText)) }
        if !r.stderr.isEmpty { s += "  stderr:\n" + indent(clip(r.stderrText)) }
        return s
    }

    static func indent(_ text: String, by prefix: String = "    ") -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 }.joined(separator: "\n") + "\n"
    }

    static func clip(_ text: String, lines: Int = maxLines) -> String {
        let all = text.split(separator: "\n", omittingEmptySubsequences: false)
        if all.count <= lines { return text }
        return all.prefix(lines).joined(separator: "\n") + "\n… (\(all.count - lines) more lines)"
    }

    /// A compact line diff: the first differing line and both sides around it.
    static func diff(_ label: String, reference: String, actual: String) -> String {
        let a = reference.split(separator: "\n", omittingEmptySubsequences: false)
        let b = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var first = 0
        while first < a.count && first < b.count && a[first] == b[first] { first += 1 }
        let from = max(0, first - 3)
        var s = "\(label) differs: first difference at line \(first + 1) "
        s += "(reference has \(a.count) lines, weld has \(b.count))\n"
        s += "  --- reference (GNU ld)\n"
        for i in from..<min(a.count, from + 25) { s += "  \(i == first ? "-" : " ") \(i + 1): \(a[i])\n" }
        s += "  +++ weld\n"
        for i in from..<min(b.count, from + 25) { s += "  \(i == first ? "+" : " ") \(i + 1): \(b[i])\n" }
        return s
    }
}

/// eu-elflint messages, normalized so that section, symbol and offset numbers do not matter,
/// and the allowlist (Tests/EndToEndTests/elflint-allowlist.txt) of accepted messages.
enum ElfLint {
    /// `section [ 8] '.rela.plt': relocation 0: ...` → `section [N] '.rela.plt': relocation N: ...`
    static func normalize(_ line: String) -> String {
        var s = line
        s = s.replacingOccurrences(of: #"0x[0-9a-fA-F]+"#, with: "0xN", options: .regularExpression)
        s = s.replacingOccurrences(of: #"\[\s*\d+\]"#, with: "[N]", options: .regularExpression)
        s = s.replacingOccurrences(of: #"\b\d+\b"#, with: "N", options: .regularExpression)
        return s
    }

    static func messages(_ output: String) -> [String] {
        output.split(separator: "\n").map { String($0).trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && $0 != "No errors" }
    }

    /// Allowlist entries: one normalized message per line; `*` matches any text; `#` starts a
    /// comment line. Each entry should say (in a comment above it) why the message is acceptable.
    static let allowlist: [String] = {
        guard let text = try? String(contentsOfFile: Paths.elflintAllowlist, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }()

    static func isAllowed(_ normalized: String) -> Bool {
        allowlist.contains { glob($0, matches: normalized) }
    }

    static func glob(_ pattern: String, matches text: String) -> Bool {
        let parts = pattern.components(separatedBy: "*")
        if parts.count == 1 { return pattern == text }
        guard text.hasPrefix(parts[0]) else { return false }
        var rest = text[text.index(text.startIndex, offsetBy: parts[0].count)...]
        for (i, part) in parts.enumerated().dropFirst() {
            if i == parts.count - 1 { return part.isEmpty || rest.hasSuffix(part) }
            guard let r = rest.range(of: part) else { return false }
            rest = rest[r.upperBound...]
        }
        return true
    }
}
