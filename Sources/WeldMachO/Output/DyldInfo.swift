import WeldCore

/// The dyld-facing tables of __LINKEDIT: chained fixups (imports, and per-page chains of
/// rebases and binds written into the pointer slots) and the export trie. Built on the
/// Dyld components (ChainedFixups*, ExportTrie).
struct DyldInfo {
    var exportsTrie: [UInt8] = []
    /// Classic LC_DYLD_INFO_ONLY streams (deployment targets without chained fixups).
    var rebase: [UInt8] = []
    var bind: [UInt8] = []
    var weakBind: [UInt8] = []
    var lazyBind: [UInt8] = []
    /// With chained fixups: the payload's layout and the fixups to encode at write time.
    var chained: ChainedFixupsPlan? = nil
    var chainedSize: Int { chained?.fixups.payloadSize ?? 0 }
}

func buildDyldInfo(_ ctx: LinkContext, _ fixups: [PointerFixup]) throws(LinkError) -> DyldInfo {
    var info = DyldInfo()
    if !ctx.options.useChainedFixups {
        let classic = try buildClassicDyldInfo(ctx, fixups)
        info.rebase = classic.rebase
        info.bind = classic.bind
        info.weakBind = classic.weakBind
        info.lazyBind = classic.lazyBind
        ctx.lazyBindOffsets = classic.lazyBindOffsets
    } else {
        info.chained = try planChainedFixups(ctx, fixups)
    }
    info.exportsTrie = try buildExportTrie(ctx)
    return info
}

/// Encodes the pointer slots as chains and writes the LC_DYLD_CHAINED_FIXUPS payload.
func writeFixupChains(_ info: DyldInfo, _ out: UnsafeMutableRawPointer, payloadOffset: UInt64) throws(LinkError) {
    guard let plan = info.chained else { return }   // classic: slots keep plain addresses
    try plan.fixups.write(fixups: plan.chained, payload: out + Int(payloadOffset), output: out)
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
