import WeldCore

/// Symbols the linker defines when something references them and no input defines them:
/// section boundaries (`__init_array_start`, `__start_SEC`, `_end`, …) and table addresses
/// (`_GLOBAL_OFFSET_TABLE_`, `_DYNAMIC`). Their values are computed once layout is done.
public enum LinkerSymbolValue: Sendable {
    case imageBase
    case sectionStart(String), sectionEnd(String)
    case got, dynamic, ehFrameHdr
    case relaIpltStart, relaIpltEnd
    case endOfExec, endOfData, endOfBss, bssStart, tlsStart
    case absolute(UInt64)
    case alias(Int32, Int64)
    /// Assigned by a linker script; layout has set the value.
    case script
}

func defineLinkerSymbols(_ ctx: Context) {
    var defs: [(String, LinkerSymbolValue)] = [
        ("__ehdr_start", .imageBase), ("__executable_start", .imageBase),
        ("__init_array_start", .sectionStart(".init_array")), ("__init_array_end", .sectionEnd(".init_array")),
        ("__fini_array_start", .sectionStart(".fini_array")), ("__fini_array_end", .sectionEnd(".fini_array")),
        ("__preinit_array_start", .sectionStart(".preinit_array")), ("__preinit_array_end", .sectionEnd(".preinit_array")),
        ("__rela_iplt_start", .relaIpltStart), ("__rela_iplt_end", .relaIpltEnd),
        ("_etext", .endOfExec), ("etext", .endOfExec), ("__etext", .endOfExec),
        ("_edata", .endOfData), ("edata", .endOfData),
        ("_end", .endOfBss), ("end", .endOfBss), ("__bss_start", .bssStart),
        ("_GLOBAL_OFFSET_TABLE_", .got), ("__GNU_EH_FRAME_HDR", .ehFrameHdr),
        ("_TLS_MODULE_BASE_", .tlsStart),
    ]
    if !ctx.isStatic { defs.append(("_DYNAMIC", .dynamic)) }
    for os in ctx.outputSections where isCIdentifier(os.name) {
        defs.append(("__start_" + os.name, .sectionStart(os.name)))
        defs.append(("__stop_" + os.name, .sectionEnd(os.name)))
    }
    let syms = ctx.symbols
    for (name, value) in defs {
        guard let id = syms.find(name) else { continue }
        let s = syms[id]
        if !(s.kind == .undefined || s.kind == .lazy) || !s.referenced { continue }
        syms[id].kind = .strong
        syms[id].fileIndex = -2
        syms[id].visibility = name.hasPrefix("__start_") || name.hasPrefix("__stop_") ? STV.protected : STV.hidden
        if name == "_end" || name == "end" || name == "_edata" || name == "edata" || name == "etext" || name == "_etext" || name == "__bss_start" { syms[id].visibility = STV.default }
        ctx.linkerSymbols.append((id, value))
    }
    // --defsym sym=value or sym=other(+/-offset).
    for (name, expr) in ctx.options.defsyms {
        let id = syms.intern(name)
        let value: LinkerSymbolValue
        if let n = parseNumber(expr) { value = .absolute(n) }
        else {
            var base = expr, off: Int64 = 0
            if let plus = expr.firstIndex(where: { $0 == "+" || $0 == "-" }), let n = parseNumber(String(expr[expr.index(after: plus)...]).trimmingCharacters()) {
                base = String(expr[..<plus]).trimmingCharacters()
                off = expr[plus] == "+" ? Int64(n) : -Int64(n)
            }
            value = .alias(syms.intern(base), off)
        }
        syms[id].kind = .strong
        syms[id].fileIndex = -2
        // An alias takes its target's nature now, before relocations are scanned: whether it
        // is absolute decides which dynamic relocations refer to it.
        if case .alias(let target, _) = value {
            let t = syms[target]
            syms[id].isAbsolute = t.isAbsolute
            syms[id].section = t.section
            syms[id].type = t.type
        } else {
            syms[id].isAbsolute = true
        }
        ctx.linkerSymbols.append((id, value))
    }
}

func isCIdentifier(_ s: String) -> Bool {
    guard let f = s.utf8.first, f == UInt8(ascii: "_") || (f | 0x20 >= UInt8(ascii: "a") && f | 0x20 <= UInt8(ascii: "z")) else { return false }
    return s.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
}

/// Computes the values of linker-defined symbols after layout.
func finalizeLinkerSymbols(_ ctx: Context) {
    func section(_ name: String) -> OutputSection? { ctx.allocSection(name) }
    let lastAlloc = ctx.outputSections.last { $0.isAlloc }
    for (id, v) in ctx.linkerSymbols {
        var value: UInt64 = 0
        switch v {
        case .imageBase: value = ctx.imageBase
        case .sectionStart(let n): value = section(n)?.addr ?? ctx.imageBase
        case .sectionEnd(let n): value = section(n).map { $0.addr + $0.size } ?? ctx.imageBase
        case .got: value = ctx.synth.gotPlt?.addr ?? ctx.synth.gotSection?.addr ?? 0
        case .dynamic: value = ctx.synth.dynamic?.addr ?? 0
        case .ehFrameHdr: value = ctx.synth.ehFrameHdr?.addr ?? 0
        case .relaIpltStart:
            value = ctx.isStatic ? (ctx.synth.relaPlt?.addr ?? 0) : ctx.imageBase
        case .relaIpltEnd:
            value = ctx.isStatic ? (ctx.synth.relaPlt.map { $0.addr + $0.size } ?? 0) : ctx.imageBase
        case .endOfExec:
            value = ctx.outputSections.last { $0.isAlloc && $0.isExec }.map { $0.addr + $0.size } ?? ctx.imageBase
        case .endOfData:
            value = ctx.outputSections.last { $0.isAlloc && !$0.isNoBits }.map { $0.addr + $0.size } ?? ctx.imageBase
        case .endOfBss: value = lastAlloc.map { $0.addr + $0.size } ?? ctx.imageBase
        case .bssStart: value = ctx.outputSections.first { $0.isAlloc && $0.isNoBits && !$0.isTLS }?.addr ?? (lastAlloc.map { $0.addr + $0.size } ?? 0)
        case .tlsStart: value = ctx.tlsStart
        case .absolute(let n): value = n
        case .alias(let other, let off): value = UInt64(bitPattern: Int64(bitPattern: ctx.symbols[other].value) &+ off)
        case .script: value = ctx.symbols[id].value
        }
        ctx.symbols[id].value = value
        if case .alias(let other, _) = v {
            ctx.symbols[id].section = ctx.symbols[other].section
            ctx.symbols[id].type = ctx.symbols[other].type
            ctx.symbols[id].isAbsolute = ctx.symbols[other].isAbsolute
        }
    }
}
