import WeldCore

/// --retain-symbols-file=FILE: one symbol name per line (blank lines and surrounding spaces
/// ignored). Only the defined global symbols it names stay in .symtab; local symbols go (as
/// lld does); undefined symbols stay (as GNU ld keeps them). .dynsym is not affected.
func loadRetainSymbolsFile(_ ctx: Context) throws(LinkError) {
    guard let path = ctx.options.retainSymbolsFile else { return }
    var names: Set<NameRef> = []
    // GNU ld's format has no comments: a `#` is part of a name.
    for name in try readListFile(path, what: "--retain-symbols-file", comments: false) { names.insert(permanentName(name)) }
    ctx.retainedSymbols = names
}

/// Whether a defined global named `name` goes to .symtab under --retain-symbols-file.
@inline(__always) func isRetained(_ ctx: Context, _ name: NameRef) -> Bool {
    guard let set = ctx.retainedSymbols else { return true }
    return set.contains(name)
}
