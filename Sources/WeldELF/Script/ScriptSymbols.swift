import WeldCore

/// Defines the symbols a script assigns, before relocations are scanned (so references to them
/// resolve). `sym = expr` and `HIDDEN(sym = expr)` always define `sym` (over an input's
/// definition, as GNU ld does); `PROVIDE` and `PROVIDE_HIDDEN` only when something refers to
/// `sym` and no input defines it. Values come from layout.
func defineScriptSymbols(_ ctx: Context, _ state: ScriptState) {
    var assignments: [(ScriptAssignment, inSection: Bool)] = []
    for c in state.script.sectionsCommands {
        switch c {
        case .assignment(let a): assignments.append((a, false))
        case .output(let d):
            for case .assignment(let a) in d.commands { assignments.append((a, true)) }
        case .assert: break
        }
    }
    let syms = ctx.symbols
    var defined: [Int32] = []
    for (a, inSection) in assignments where a.name != "." {
        let id: Int32
        switch a.kind {
        case .provide, .provideHidden:
            if state.symbolIds[a.name] != nil { continue }
            guard let found = syms.find(a.name) else { continue }
            let s = syms[found]
            // PROVIDE also replaces weld's own definitions of the conventional names (etext,
            // _end, …), except the IRELATIVE table bounds: weld knows where it put that table
            // (GNU ld's scripts place them around an input section weld does not have).
            let linkerDefined = s.kind == .strong && s.fileIndex == -2 && a.name != "__rela_iplt_start" && a.name != "__rela_iplt_end"
            guard s.referenced, s.isUndefined || linkerDefined else { continue }
            id = found
        case .plain, .hidden:
            if let known = state.symbolIds[a.name] { id = known } else {
                id = syms.intern(a.name)
                // What the inputs or --defsym said before the script: `DEFINED(x) ? x : 1K`
                // keeps it, and `x` before the script's own assignment reads it (GNU ld).
                let s = syms[id]
                if s.isDefinedInObject || ctx.options.defsyms.contains(where: { $0.0 == a.name }) {
                    state.predefined[a.name] = PredefinedSymbol(kind: s.kind, fileIndex: s.fileIndex, symIndex: s.symIndex, value: s.value,
                                                                linkerValue: ctx.linkerSymbols.last { $0.0 == id }?.1)
                }
            }
        }
        syms[id].kind = .strong
        syms[id].fileIndex = -2
        syms[id].section = nil
        syms[id].type = STT.notype
        syms[id].binding = STB.global
        syms[id].isAbsolute = !inSection && !isAddressExpression(a.expr)
        if a.kind == .hidden || a.kind == .provideHidden { syms[id].visibility = STV.hidden }
        state.symbolIds[a.name] = id
        defined.append(id)
    }
    guard !defined.isEmpty else { return }
    let ids = Set(defined)
    ctx.linkerSymbols.removeAll { ids.contains($0.0) }
    for id in defined where !ctx.linkerSymbols.contains(where: { $0.0 == id }) {
        ctx.linkerSymbols.append((id, .script))
    }
}

/// Whether an expression gives an address (it reads `.`, a section's address or a symbol)
/// rather than a plain number. Decides SHN_ABS and, in a PIE, whether references relocate.
func isAddressExpression(_ e: ScriptExpr) -> Bool {
    switch e {
    case .number, .defined, .constant, .sizeofHeaders, .region: return false
    case .dot, .symbol: return true
    case .section(let f, _, _): return f == "ADDR"
    case .unary: return false
    case .binary(let op, let a, let b, _):
        switch op {
        case "+": return isAddressExpression(a) != isAddressExpression(b)
        case "-", "&": return isAddressExpression(a) && !isAddressExpression(b)
        case "|": return isAddressExpression(a)
        default: return false
        }
    case .conditional(_, let a, let b): return isAddressExpression(a) && isAddressExpression(b)
    case .function(let name, let args, _):
        switch name {
        case "ABSOLUTE", "LOG2CEIL": return false
        case "ALIGN", "NEXT": return args.count == 1 || isAddressExpression(args[0])
        case "MAX", "MIN": return args.contains(where: isAddressExpression)
        case "SEGMENT_START": return false
        default: return true
        }
    }
}

/// After the last layout pass: script symbols take the values it computed. A symbol assigned
/// between sections belongs to the section holding its address; else to the section of the
/// statement just before the assignment, or if that one was dropped, of the one after (GNU
/// ld); else to the nearest section by address.
func finalizeScriptSymbols(_ ctx: Context, _ state: ScriptState) {
    let allocs = ctx.outputSections.filter { $0.isAlloc }
    for (name, id) in state.symbolIds {
        let value = state.symbolValues[name]?.value ?? 0
        ctx.symbols[id].value = value
        guard state.symbolSections[id] == nil, !ctx.symbols[id].isAbsolute else { continue }
        let holds = allocs.contains { $0.addr <= value && value <= $0.addr &+ $0.size }
        if !holds, let c = state.symbolCommand[id], let os = neighbourSection(ctx, state, command: c) {
            state.symbolSections[id] = os
        } else if !holds, let near = allocs.filter({ $0.addr &+ $0.size <= value }).max(by: { $0.addr < $1.addr })
            ?? allocs.filter({ $0.addr > value }).min(by: { $0.addr < $1.addr }) {
            state.symbolSections[id] = near
        }
    }
}

/// The section of the output statement just before SECTIONS command `command` if it was kept,
/// else of the first statement after it that was.
private func neighbourSection(_ ctx: Context, _ state: ScriptState, command: Int) -> OutputSection? {
    let commands = state.script.sectionsCommands
    func section(_ c: Int) -> OutputSection?? {
        guard let d = state.descriptionOfCommand[c], !state.descriptions[d].isDiscard, !state.disabledDescriptions[d] else { return nil }
        let os = state.outputs[d]
        return .some(os.flatMap { o in o.isAlloc && ctx.outputSections.contains { $0 === o } ? o : nil })
    }
    var c = command - 1
    while c >= 0 {
        if let found = section(c) {
            if let os = found { return os }
            break
        }
        c -= 1
    }
    c = command + 1
    while c < commands.count {
        if let found = section(c), let os = found { return os }
        c += 1
    }
    return nil
}
