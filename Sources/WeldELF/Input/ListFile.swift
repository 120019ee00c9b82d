import WeldCore

/// Reads a file of one entry per line (--retain-symbols-file, --symbol-ordering-file,
/// --call-graph-ordering-file): surrounding blanks and CRs are dropped, empty lines skipped,
/// and with `comments`, everything from `#` to the end of a line.
func readListFile(_ path: String, what: String, comments: Bool = true) throws(LinkError) -> [String] {
    let file: MappedFile
    do { file = try MappedFile.open(path) } catch { throw LinkError("cannot open \(what): \(error.message)") }
    var lines: [String] = []
    for raw in String(decoding: file.bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true) {
        var line = Substring(raw)
        if comments, let hash = line.firstIndex(of: "#") { line = line[..<hash] }
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        while let c = line.first, blank(c) { line.removeFirst() }
        while let c = line.last, blank(c) { line.removeLast() }
        if !line.isEmpty { lines.append(String(line)) }
    }
    return lines
}
