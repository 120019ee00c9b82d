import WeldCore

/// Evaluates script expressions during one layout pass: the location counter, the section
/// being laid out, memory regions, and symbols (the script's own, then the inputs').
struct ScriptEvaluator {
    unowned(unsafe) let ctx: Context
    unowned(unsafe) let state: ScriptState
    var dot: UInt64 = 0
    /// The output section whose description is being evaluated, if any.
    var section: OutputSection? = nil
    var sizeofHeaders: UInt64
    var regionCursor: [String: UInt64] = [:]
    /// Script symbols assigned so far in this pass (DEFINED sees only these and the inputs').
    var definedThisPass: Set<String> = []

    var sources: ScriptSources { state.script.sources }

    init(ctx: Context, state: ScriptState, sizeofHeaders: UInt64) {
        self.ctx = ctx
        self.state = state
        self.sizeofHeaders = sizeofHeaders
    }

    func region(_ name: String, _ loc: ScriptLocation) throws(LinkError) -> ScriptMemoryRegion {
        let real = state.script.regionName(name)
        guard let r = state.script.memory.first(where: { $0.name == real }) else {
            throw sources.error(loc, "memory region '\(name)' is not defined")
        }
        return r
    }

    /// The output section a name refers to in ADDR/SIZEOF/…: a laid-out section, or nil for
    /// one the script describes that turned out empty.
    func outputSection(_ name: String, _ loc: ScriptLocation) throws(LinkError) -> OutputSection? {
        if let os = ctx.outputSections.first(where: { $0.name == name }) { return os }
        if state.descriptions.contains(where: { $0.name == name }) { return nil }
        throw sources.error(loc, "undefined section '\(name)' referenced in expression")
    }

    func symbolValue(_ name: String, _ loc: ScriptLocation) throws(LinkError) -> ScriptValue {
        if !definedThisPass.contains(name), let original = state.predefined[name] {
            switch original.linkerValue {
            case .absolute(let n)?: return ScriptValue(value: n, isAddress: false)
            case .alias(let target, let off)?:
                // --defsym x=y+off: y as the script or the inputs have it (no recursion).
                let t = ctx.symbols[target]
                var v: ScriptValue
                if let known = state.symbolValues[t.name.string] { v = known } else { v = try value(of: t, t.name.string, loc) }
                return ScriptValue(value: v.value &+ UInt64(bitPattern: off), isAddress: v.isAddress)
            default:
                if original.kind == .common { return ScriptValue(value: (ctx.synth.bss?.addr ?? 0) &+ original.value, isAddress: true) }
                guard original.fileIndex >= 0 else { return ScriptValue(value: original.value, isAddress: false) }
                let obj = ctx.objects[Int(original.fileIndex)]
                if let sec = obj.symSection(Int(original.symIndex)) {
                    return ScriptValue(value: sectionAddress(ctx, sec, obj.symValue(Int(original.symIndex))), isAddress: true)
                }
                return ScriptValue(value: obj.symValue(Int(original.symIndex)), isAddress: false)
            }
        }
        if let v = state.symbolValues[name] { return v }
        guard let id = ctx.symbols.find(name) else {
            throw sources.error(loc, "undefined symbol '\(name)' referenced in expression")
        }
        return try value(of: ctx.symbols[id], name, loc)
    }

    /// The address or value of a symbol as the inputs define it.
    private func value(of s: Symbol, _ name: String, _ loc: ScriptLocation) throws(LinkError) -> ScriptValue {
        switch s.kind {
        case .strong, .weak:
            if let sec = s.section {
                let obj = ctx.objects[Int(s.fileIndex)]
                return ScriptValue(value: sectionAddress(ctx, sec, obj.symValue(Int(s.symIndex))), isAddress: true)
            }
            if s.fileIndex >= 0 {
                return ScriptValue(value: ctx.objects[Int(s.fileIndex)].symValue(Int(s.symIndex)), isAddress: false)
            }
            return ScriptValue(value: s.value, isAddress: !s.isAbsolute)
        case .common:
            return ScriptValue(value: (ctx.synth.bss?.addr ?? 0) &+ s.value, isAddress: true)
        default:
            throw sources.error(loc, "undefined symbol '\(name)' referenced in expression")
        }
    }

    func isDefined(_ name: String) -> Bool {
        if definedThisPass.contains(name) || state.predefined[name] != nil { return true }
        if state.symbolIds[name] != nil { return false }
        guard let id = ctx.symbols.find(name) else { return false }
        let k = ctx.symbols[id].kind
        return k == .strong || k == .weak || k == .common || k == .shared
    }

    func evaluate(_ e: ScriptExpr) throws(LinkError) -> ScriptValue {
        switch e {
        case .number(let n): return ScriptValue(value: n, isAddress: false)
        case .dot(let loc):
            if section == nil && state.script.hasSections == false { throw sources.error(loc, "'.' used outside SECTIONS") }
            return ScriptValue(value: dot, isAddress: true)
        case .symbol(let n, let loc): return try symbolValue(n, loc)
        case .sizeofHeaders: return ScriptValue(value: sizeofHeaders, isAddress: false)
        case .defined(let n): return ScriptValue(value: isDefined(n) ? 1 : 0, isAddress: false)
        case .constant(let n, _):
            return ScriptValue(value: n == "MAXPAGESIZE" ? ctx.options.maxPageSize : 4096, isAddress: false)
        case .region(let f, let n, let loc):
            let r = try region(n, loc)
            var copy = self
            copy.section = nil
            let v = try copy.evaluate(f == "ORIGIN" ? r.origin : r.length)
            return ScriptValue(value: v.value, isAddress: false)
        case .section(let f, let n, let loc):
            let os = try outputSection(n, loc)
            switch f {
            case "ADDR": return ScriptValue(value: os?.addr ?? 0, isAddress: true)
            case "LOADADDR":
                let lma = os.flatMap { state.loadAddresses[ObjectIdentifier($0)] } ?? os?.addr ?? 0
                return ScriptValue(value: lma, isAddress: false)   // absolute, as in GNU ld
            case "SIZEOF": return ScriptValue(value: os?.size ?? 0, isAddress: false)
            default: return ScriptValue(value: os?.align ?? 1, isAddress: false)
            }
        case .unary(let op, let a):
            let v = try evaluate(a)
            switch op {
            case "-": return ScriptValue(value: 0 &- v.value, isAddress: false)
            case "~": return ScriptValue(value: ~v.value, isAddress: false)
            case "!": return ScriptValue(value: v.value == 0 ? 1 : 0, isAddress: false)
            default: return v
            }
        case .conditional(let c, let a, let b):
            return try evaluate(c).value != 0 ? evaluate(a) : evaluate(b)
        case .binary(let op, let a, let b, let loc):
            let x = try evaluate(a)
            // && and || evaluate their right side only when it decides the result.
            if op == "&&" {
                if x.value == 0 { return ScriptValue(value: 0, isAddress: false) }
                return ScriptValue(value: try evaluate(b).value != 0 ? 1 : 0, isAddress: false)
            }
            if op == "||" {
                if x.value != 0 { return ScriptValue(value: 1, isAddress: false) }
                return ScriptValue(value: try evaluate(b).value != 0 ? 1 : 0, isAddress: false)
            }
            let y = try evaluate(b)
            var l = x.value, r = y.value
            func bool(_ c: Bool) -> ScriptValue { ScriptValue(value: c ? 1 : 0, isAddress: false) }
            // Inside a section `.` is an offset from its start (GNU ld): comparing an address
            // with a number compares the offset (`. != 0` at the start of a section is false).
            if let s = section, ["<", ">", "<=", ">=", "==", "!="].contains(op), x.isAddress != y.isAddress {
                if x.isAddress { l = l &- s.addr } else { r = r &- s.addr }
            }
            switch op {
            case "+": return ScriptValue(value: l &+ r, isAddress: x.isAddress != y.isAddress)
            case "-": return ScriptValue(value: l &- r, isAddress: x.isAddress && !y.isAddress)
            case "*": return ScriptValue(value: l &* r, isAddress: false)
            case "/", "%":
                guard r != 0 else { throw sources.error(loc, "division by zero") }
                return ScriptValue(value: op == "/" ? l / r : l % r, isAddress: false)
            case "<<": return ScriptValue(value: r >= 64 ? 0 : l << r, isAddress: false)
            case ">>": return ScriptValue(value: r >= 64 ? 0 : l >> r, isAddress: false)
            case "&": return ScriptValue(value: l & r, isAddress: x.isAddress && !y.isAddress)
            case "|": return ScriptValue(value: l | r, isAddress: x.isAddress)
            case "^": return ScriptValue(value: l ^ r, isAddress: false)
            case "<": return bool(l < r)
            case ">": return bool(l > r)
            case "<=": return bool(l <= r)
            case ">=": return bool(l >= r)
            case "==": return bool(l == r)
            case "!=": return bool(l != r)
            default: throw sources.error(loc, "unknown operator '\(op)'")
            }
        case .function(let name, let args, let loc):
            switch name {
            case "ALIGN", "NEXT":
                let a = try evaluate(args.count == 2 ? args[1] : args[0]).value
                guard a == 0 || a & (a - 1) == 0 else { throw sources.error(loc, "\(name) alignment must be a power of two, found 0x\(hex(a))") }
                if args.count == 2 {
                    let v = try evaluate(args[0])
                    return ScriptValue(value: scriptAlignUp(v.value, a), isAddress: v.isAddress)
                }
                return ScriptValue(value: scriptAlignUp(dot, a), isAddress: true)
            case "MAX", "MIN":
                let a = try evaluate(args[0]), b = try evaluate(args[1])
                let pick = name == "MAX" ? (a.value >= b.value ? a : b) : (a.value <= b.value ? a : b)
                return ScriptValue(value: pick.value, isAddress: a.isAddress || b.isAddress)
            case "ABSOLUTE": return ScriptValue(value: try evaluate(args[0]).value, isAddress: false)
            case "LOG2CEIL":
                let v = try evaluate(args[0]).value
                var n: UInt64 = 0
                while n < 64 && (UInt64(1) << n) < v { n &+= 1 }
                return ScriptValue(value: n, isAddress: false)
            case "DATA_SEGMENT_ALIGN":
                let maxPage = try evaluate(args[0]).value, commonPage = try evaluate(args[1]).value
                guard maxPage > 0 && maxPage & (maxPage &- 1) == 0, commonPage > 0 && commonPage & (commonPage &- 1) == 0 else {
                    throw sources.error(loc, "DATA_SEGMENT_ALIGN: page sizes must be powers of two")
                }
                // The data segment starts on a new page at the same offset within it; with
                // RELRO, padded so DATA_SEGMENT_RELRO_END falls on a page boundary (GNU ld).
                state.dataSegmentCommonPage = commonPage
                let base = scriptAlignUp(dot, maxPage) &+ (dot & (maxPage &- 1))
                return ScriptValue(value: base &+ (ctx.options.zRelro ? state.relroPad : 0), isAddress: true)
            case "DATA_SEGMENT_END": return try evaluate(args[0])
            case "DATA_SEGMENT_RELRO_END":
                let offset = try evaluate(args[0]).value
                let v = try evaluate(args[1])
                if ctx.options.zRelro {
                    let end = v.value &+ offset
                    let page = state.dataSegmentCommonPage
                    state.relroEnd = end
                    // Only ever grows: alignments inside the segment can absorb part of a shift,
                    // and a growing pad cannot oscillate (it stops below one page).
                    let wanted = (state.relroPad &+ (scriptAlignUp(end, page) &- end)) & (page &- 1)
                    state.relroPadNext = max(state.relroPad, wanted)
                }
                return v
            case "SEGMENT_START": return try evaluate(args[1])
            default: throw sources.error(loc, "unknown function '\(name)'")
            }
        }
    }
}
