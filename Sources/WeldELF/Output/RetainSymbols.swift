import WeldCore

/// --retain-symbols-file=FILE: one symbol name per line (blank lines and surrounding spaces
/// ignored). Only the defined global symbols it names stay in .symtab; local symbols go (as
/// lld does); undefined symbols stay (as GNU ld keeps them). .dynsym is not affected.
func loadRetainSymbolsFile(_ ctx: Context) throws(LinkError) {
    guard let path = ctx.options.retainSymbolsFile else { return }
    let f = try MappedFile.open(path)
    var names: Set<NameRef> = []
    for line in String(decoding: f.bytes, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
        let name = line.trimmingSpaces
        if !name.isEmpty { names.insert(permanentName(name)) }
    }
    ctx.retainedSymbols = names
}

/// Whether a defined global named `name` goes to .symtab under --retain-symbols-file.
@inline(__always) func isRetained(_ ctx: Context, _ name: NameRef) -> Bool {
    guard let set = ctx.retainedSymbols else { return true }
    return set.contains(name)
}

extension Substring {
    var trimmingSpaces: String {
        var s = self[...]
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
