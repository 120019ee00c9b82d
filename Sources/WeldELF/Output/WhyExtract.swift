#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// --why-extract=FILE in lld's format: a header line, then one tab-separated line per archive
/// member extracted: the file whose reference pulled it in (`--entry` for the entry symbol,
/// `<internal>` for -u and other command-line roots), the member, the symbol. "-" is stdout.
func writeWhyExtract(_ lines: [(reference: String, member: String, symbol: String)], to path: String) throws(LinkError) {
    var text = "reference\textracted\tsymbol\n"
    for l in lines { text += "\(l.reference)\t\(l.member)\t\(l.symbol)\n" }
    if path == "-" { fputs(text, stdout); return }
    guard let f = fopen(path, "w") else { throw LinkError("cannot open --why-extract= file \(path): \(String(cString: strerror(errno)))") }
    fputs(text, f)
    if fclose(f) != 0 { throw LinkError("cannot write --why-extract= file \(path): \(String(cString: strerror(errno)))") }
}
