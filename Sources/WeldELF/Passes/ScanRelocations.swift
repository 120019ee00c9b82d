import WeldCore
import Synchronization

/// How a GOT-indirect reference can be rewritten to a direct one (x86-64 psABI "GOTPCRELX"
/// relaxation), judged from the instruction bytes in front of the relocated field.
enum GotRelaxation { case none, movToLea, call, jmp }

@inline(__always)
func gotRelaxation(_ sec: InputSection, _ rel: Rela, canRelax: Bool) -> GotRelaxation {
    if !canRelax || rel.offset < 2 { return .none }
    let t = rel.type
    if t != R_X86_64.gotpcrelx && t != R_X86_64.rexGotpcrelx { return .none }
    if rel.addend != -4 { return .none }
    let op = sec.data.u8(Int(rel.offset) - 2)
    let modrm = sec.data.u8(Int(rel.offset) - 1)
    if op == 0x8b { return .movToLea }
    if t == R_X86_64.gotpcrelx && op == 0xff {
        if modrm == 0x15 { return .call }
        if modrm == 0x25 { return .jmp }
    }
    return .none
}

/// One undefined-symbol reference found by the scan, reported after it, sorted.
struct UndefinedReference: Sendable {
    var symbol: Int32
    var file: Int32
    var section: Int32
    var offset: UInt64
}

/// Scans every relocation of every live allocated section, in parallel, and records what
/// each symbol needs: a GOT slot, a PLT entry, a copy relocation, a TLS GOT slot. Symbol needs
/// are merged with atomic ORs, so the order in which threads run does not matter.
func scanRelocations(_ ctx: Context) {
    let syms = ctx.symbols
    let pic = ctx.isPIC
    let undefLists: [[UndefinedReference]] = Parallel.map(ctx.objects.count) { f in
        let obj = ctx.objects[f]
        var undefs: [UndefinedReference] = []
        for case let sec? in obj.sections where sec.alive && sec.relocCount > 0 && sec.foldedInto == nil {
            let alloc = sec.flags & SHF.alloc != 0
            let countDynamic = alloc && !ctx.isStatic
            var dynamicRelocs: Int32 = 0
            defer { sec.dynRelocCount = dynamicRelocs }
            var r = 0
            while r < sec.relocCount {
                let rel = sec.reloc(r)
                r += 1
                let t = rel.type
                // Whether an R_X86_64_64 becomes a dynamic relocation does not depend on what
                // the rest of the scan finds (RELATIVE and symbolic both count), so count here.
                if countDynamic && t == R_X86_64.r64 && dynamicRelocKind(ctx, obj, sec, rel) != .none { dynamicRelocs += 1 }
                // In an executable, GD and LD sequences are relaxed: their __tls_get_addr call
                // disappears, so its relocation needs nothing.
                if (t == R_X86_64.tlsgd || t == R_X86_64.tlsld) && ctx.options.outputKind == .executable { r += 1 }
                if t == R_X86_64.tlsld && ctx.isShared { ctx.needsTlsLd.store(true, ordering: .relaxed) }

                if t == R_X86_64.none || rel.sym == 0 { continue }
                let id: Int32
                if rel.sym < obj.firstGlobal {
                    // Local targets need nothing shared, except local IFUNCs (a PLT stub).
                    guard let lid = obj.promotedLocals[rel.sym] else { continue }
                    id = lid
                } else {
                    id = obj.symbolIds[rel.sym - obj.firstGlobal]
                }
                // Read in place: a copy of the Symbol per relocation is costly.
                let s = UnsafePointer(syms.symbols + Int(id))
                if s.pointee.isUndefined && !s.pointee.isPreemptible {
                    // A weak undefined symbol read through the GOT gets a slot holding 0.
                    if alloc && isGotRelocation(t) { syms.setFlag(id, SymbolFlag.needsGot) }
                    if alloc && obj.symBind(rel.sym) != STB.weak && !ctx.options.unresolvedIgnoreAll && !isLinkerDefinedLater(ctx, id) {
                        undefs.append(UndefinedReference(symbol: id, file: obj.index, section: Int32(sec.index), offset: rel.offset))
                    }
                    continue
                }
                if !alloc { continue }
                let imported = s.pointee.isPreemptible
                let sharedOut = ctx.isShared
                let ifunc = s.pointee.flags & SymbolFlag.isIfunc != 0
                switch t {
                case R_X86_64.plt32:
                    if imported || ifunc { syms.setFlag(id, SymbolFlag.needsPlt) }
                case R_X86_64.pc32, R_X86_64.r32, R_X86_64.r32s, R_X86_64.r64, R_X86_64.pc64,
                     R_X86_64.r16, R_X86_64.r8, R_X86_64.pc16, R_X86_64.pc8:
                    if ifunc { syms.setFlag(id, SymbolFlag.needsPlt) }
                    // A PC-relative reference to an absolute symbol (e.g. `-b binary`'s
                    // _binary_*_size) cannot be computed when the load address is unknown;
                    // lld and GNU ld refuse it too.
                    if pic && s.pointee.isAbsolute && !imported && (t == R_X86_64.pc32 || t == R_X86_64.pc64 || t == R_X86_64.pc16 || t == R_X86_64.pc8) {
                        ctx.diag.error("\(sec.displayName)+0x\(hex(rel.offset)): relocation \(R_X86_64.name(t)) cannot refer to absolute symbol \(s.pointee.name.string) in a position-independent output; link with -no-pie or take its value from a data word")
                        break
                    }
                    if imported {
                        if t == R_X86_64.r64 && (pic || sec.flags & SHF.write != 0) {
                            break // a symbolic dynamic relocation does it
                        }
                        if sharedOut {
                            ctx.diag.error("\(sec.displayName)+0x\(hex(rel.offset)): relocation \(R_X86_64.name(t)) against symbol \(s.pointee.name.string) cannot be used when making a shared object; recompile with -fPIC")
                            break
                        }
                        if s.pointee.type == STT.func || s.pointee.type == STT.gnuIfunc {
                            syms.setFlag(id, SymbolFlag.needsPlt | SymbolFlag.needsCanonicalPlt)
                        } else {
                            syms.setFlag(id, SymbolFlag.needsCopy)
                        }
                    }
                case R_X86_64.gotpcrel, R_X86_64.gotpcrelx, R_X86_64.rexGotpcrelx, R_X86_64.got32,
                     R_X86_64.gotpcrel64, R_X86_64.got64, R_X86_64.gotplt64:
                    let canRelax = !imported && !ifunc && !(pic && s.pointee.isAbsolute) && !s.pointee.isUndefined
                    if gotRelaxation(sec, rel, canRelax: canRelax) == .none {
                        syms.setFlag(id, ifunc ? (SymbolFlag.needsGot | SymbolFlag.needsPlt) : SymbolFlag.needsGot)
                    }
                case R_X86_64.tlsgd:
                    if sharedOut { syms.setFlag(id, SymbolFlag.needsTlsGd) }
                    else if imported { syms.setFlag(id, SymbolFlag.needsGotTp) }
                case R_X86_64.gotpc32Tlsdesc:
                    if sharedOut { syms.setFlag(id, SymbolFlag.needsTlsDesc) }
                    else if imported { syms.setFlag(id, SymbolFlag.needsGotTp) }
                case R_X86_64.gottpoff:
                    if sharedOut { syms.setFlag(id, SymbolFlag.needsGotTp); ctx.needsStaticTLS.store(true, ordering: .relaxed) }
                    else if imported || !canRelaxIE(sec, rel) { syms.setFlag(id, SymbolFlag.needsGotTp) }
                case R_X86_64.tpoff32, R_X86_64.tpoff64:
                    if sharedOut {
                        ctx.diag.error("\(sec.displayName)+0x\(hex(rel.offset)): relocation \(R_X86_64.name(t)) against \(s.pointee.name.string) cannot be used when making a shared object; recompile with -fPIC")
                    }
                case R_X86_64.pltoff64:
                    if imported || ifunc { syms.setFlag(id, SymbolFlag.needsPlt) }
                default:
                    break
                }
            }
        }
        return undefs
    }
    var undefs = undefLists.flatMap { $0 }
    if !undefs.isEmpty { reportUndefined(ctx, &undefs) }
}

/// `movq x@gottpoff(%rip), %reg` and `addq x@gottpoff(%rip), %reg` become immediates.
@inline(__always) func canRelaxIE(_ sec: InputSection, _ rel: Rela) -> Bool {
    if rel.offset < 3 { return false }
    let op = sec.data.u8(Int(rel.offset) - 2)
    let modrm = sec.data.u8(Int(rel.offset) - 1)
    return (op == 0x8b || op == 0x03) && (modrm & 0xc7) == 0x05
}

/// Symbols weld defines itself when they are referenced and nothing else defines them.
func isLinkerDefinedLater(_ ctx: Context, _ id: Int32) -> Bool {
    ctx.symbols[id].kind == .strong && ctx.symbols[id].fileIndex == -2
}

/// Prints "undefined symbol" errors grouped by symbol, each with up to 5 references
/// (lld's format), naming the function and source file where the object says.
func reportUndefined(_ ctx: Context, _ list: inout [UndefinedReference]) {
    list.sort { ($0.file, $0.section, $0.offset) < ($1.file, $1.section, $1.offset) }
    var bySymbol: [Int32: [UndefinedReference]] = [:]
    var order: [Int32] = []
    for u in list {
        if bySymbol[u.symbol] == nil { order.append(u.symbol) }
        bySymbol[u.symbol, default: []].append(u)
    }
    for id in order {
        let refs = bySymbol[id]!
        var msg = "undefined symbol: \(demangleIfPossible(ctx.symbols[id].name.string))"
        for u in refs.prefix(5) {
            let obj = ctx.objects[Int(u.file)]
            let secName = obj.sectionNames[Int(u.section)].string
            let fn = enclosingFunction(obj, section: Int(u.section), offset: u.offset)
            if let line = sourceLocation(obj, section: Int(u.section), offset: u.offset) {
                // lld's form when DWARF knows the line: "main.c:12 (/src/main.c:12)".
                msg += "\n>>> referenced by \(line)"
                msg += "\n>>>               \(obj.displayName):(\(secName)+0x\(hex(u.offset)))\(fn.map { " in function \($0)" } ?? "")"
            } else {
                let source = sourceFileName(obj)
                msg += "\n>>> referenced by \(source.map { $0 + ":" } ?? "")\(fn.map { "(\($0))" } ?? "")"
                msg += "\n>>>               \(obj.displayName):(\(secName)+0x\(hex(u.offset)))"
            }
        }
        if refs.count > 5 { msg += "\n>>> referenced \(refs.count - 5) more times" }
        ctx.diag.error(msg)
    }
}

func sourceFileName(_ obj: ObjectFile) -> String? {
    for i in 0..<min(obj.firstGlobal, obj.symbolCount) where obj.symType(i) == STT.file {
        return obj.symName(i).string
    }
    return nil
}

func enclosingFunction(_ obj: ObjectFile, section: Int, offset: UInt64) -> String? {
    var best: (UInt64, String)? = nil
    for i in 1..<max(obj.symbolCount, 1) {
        let t = obj.symType(i)
        if t != STT.func && t != STT.object && t != STT.notype { continue }
        if Int(obj.symShndx(i)) != section { continue }
        let v = obj.symValue(i), sz = obj.symSize(i)
        if v <= offset && (offset < v + sz || sz == 0) {
            if best == nil || v > best!.0 { best = (v, obj.symName(i).string) }
        }
    }
    if let b = best, !b.1.isEmpty { return demangleIfPossible(b.1) }
    return nil
}

/// Itanium C++ names are printed as they are; a demangler is future work.
func demangleIfPossible(_ s: String) -> String { s }

@inline(__always) func isGotRelocation(_ t: UInt32) -> Bool {
    switch t {
    case R_X86_64.gotpcrel, R_X86_64.gotpcrelx, R_X86_64.rexGotpcrelx, R_X86_64.got32, R_X86_64.gotpcrel64, R_X86_64.got64, R_X86_64.gotplt64:
        return true
    default: return false
    }
}
