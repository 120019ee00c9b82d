import WeldCore

/// The dyld-facing tables of __LINKEDIT: chained fixups (imports, and per-page chains of
/// rebases and binds written into the pointer slots) and the export trie. Built on the
/// Dyld components (ChainedFixups*, ExportTrie).
struct DyldInfo {
    var chainedFixups: [UInt8] = []
    var exportsTrie: [UInt8] = []
    /// Classic LC_DYLD_INFO_ONLY streams (deployment targets without chained fixups).
    var rebase: [UInt8] = []
    var bind: [UInt8] = []
}

func buildDyldInfo(_ ctx: LinkContext, _ fixups: [PointerFixup]) throws(LinkError) -> DyldInfo {
    var info = DyldInfo()
    if !ctx.options.useChainedFixups {
        let classic = buildClassicDyldInfo(ctx, fixups)
        info.rebase = classic.rebase
        info.bind = classic.bind
    } else if !fixups.isEmpty || !ctx.imports.isEmpty {
        throw LinkError("chained fixups are not available yet in this build (the output needs \(fixups.count) pointer fixups)")
    }
    info.exportsTrie = try buildExportTrie(ctx)
    return info
}

/// Rewrites the pointer slots named by `fixups` into chain entries.
func writeFixupChains(_ ctx: LinkContext, _ out: UnsafeMutableRawPointer, _ fixups: [PointerFixup]) {
    guard ctx.options.useChainedFixups else { return }   // classic: slots keep plain addresses
}

/// The export trie: every exported definition, at its offset from the Mach-O header.
func buildExportTrie(_ ctx: LinkContext) throws(LinkError) -> [UInt8] {
    var trie = ExportTrieBuilder()
    let base = ctx.layout.imageBase
    for (i, s) in ctx.symtab.symbols.enumerated() where s.exported {
        switch s.kind {
        case .defined:
            guard ctx.atoms[Int(s.atom)].outSection >= 0 else { continue }
            trie.add(name: s.name.bytes, .regular(s.address - base, weak: s.weakDef, threadLocal: s.isThreadLocal))
        case .absolute:
            if ctx.imageBaseSymbols.contains(Int32(i)) {
                trie.add(name: s.name.bytes, .regular(0))
            } else {
                trie.add(name: s.name.bytes, ExportTrieEntry(flags: ExportTrieFormat.kindAbsolute, address: s.address))
            }
        default:
            continue
        }
    }
    if trie.count == 0 { return [] }
    var bytes = try trie.build()
    while bytes.count % 8 != 0 { bytes.append(0) }
    return bytes
}
