import WeldCore

/// A version script that names a symbol no input defines is most likely stale: GNU ld and
/// lld say "version script assignment of 'V' to symbol 'foo' failed: symbol not defined".
/// weld warns, and with --no-undefined-version it is an error. Only plain names are checked:
/// wildcard patterns and C++ (`extern "C++"`) names may legitimately match nothing.
func checkVersionScriptSymbols(_ ctx: Context) throws(LinkError) {
    if ctx.options.versionScripts.isEmpty { return }
    let defsyms = Set(ctx.options.defsyms.map { $0.0 })
    func isPlainName(_ p: String) -> Bool {
        !p.contains(where: { "*?[ (:".contains($0) })
    }
    func defined(_ name: String) -> Bool {
        if defsyms.contains(name) { return true }
        guard let id = ctx.symbols.find(name) else { return false }
        return ctx.symbols[id].isDefinedInObject
    }
    var named: Set<String> = []
    var missing: [(version: String, symbol: String)] = []
    for (index, patterns) in ctx.versionPatterns {
        let version = ctx.versionDefinitions[Int(index) - 2]
        for p in patterns where isPlainName(p) {
            named.insert(p)
            if !defined(p) { missing.append((version, p)) }
        }
    }
    // Names in anonymous `{ global: ...; }` nodes.
    for p in ctx.globalPatterns where isPlainName(p) && !named.contains(p) {
        named.insert(p)
        if !defined(p) { missing.append(("global", p)) }
    }
    for m in missing {
        let message = "version script assignment of '\(m.version)' to symbol '\(m.symbol)' failed: symbol not defined"
        if ctx.options.noUndefinedVersion { ctx.diag.error(message) } else { ctx.diag.warning(message) }
    }
    if ctx.diag.hasErrors { throw LinkError("") }
}
