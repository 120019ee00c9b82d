import WeldCore

/// Decides which symbols the dynamic linker binds at run time. In an executable only imports
/// are. In a shared library every default-visibility definition may be interposed by another
/// module (unless -Bsymbolic / -Bsymbolic-functions), and every undefined symbol is an import
/// to be found at run time (unless -z defs).
func computePreemption(_ ctx: Context) {
    let syms = ctx.symbols
    let shared = ctx.isShared
    let o = ctx.options
    Parallel.forEach(syms.count, minChunk: 4096) { idx in
        let id = Int32(idx)
        let s = syms[id]
        if s.name.count < 0 { return }
        var preempt = false
        switch s.kind {
        case .shared:
            preempt = true
        case .undefined, .lazy:
            preempt = shared && s.referenced && s.visibility == STV.default && !(o.zDefs && s.referencedStrongly)
        case .strong, .weak, .common:
            if shared && s.fileIndex >= 0 && s.visibility == STV.default && s.binding != STB.local {
                // --dynamic-list-data makes only data preemptible: functions bind locally.
                preempt = !o.bsymbolic && !((o.bsymbolicFunctions || o.dynamicListData) && (s.type == STT.func || s.type == STT.gnuIfunc))
                if ctx.explicitVersions[id] != nil ? ctx.explicitVersionIsLocal(id) : ctx.versionScriptLocal(s.name) { preempt = false }
            }
        }
        if preempt { syms[id].flags |= SymbolFlag.isPreemptible }
    }
}
