import WeldCore

// A recursive-descent parser for full linker scripts (`-T`). Each rule asks the tokenizer for
// the next token in the mode its position needs (see ScriptLexer.swift). Errors name the file,
// line and column of the offending token.

/// Parses a script (the text of `path`) and the files it INCLUDEs. `include` maps an INCLUDEd
/// file, given its name as written, where it was named, and the files read so far.
public typealias ScriptIncluder = (String, ScriptLocation, ScriptSources) throws(LinkError) -> (UnsafeRawBufferPointer, String)

public func parseLinkerScript(_ text: UnsafeRawBufferPointer, path: String,
                              include: @escaping ScriptIncluder = { name, loc, sources throws(LinkError) in
                                  throw sources.error(loc, "cannot INCLUDE \(name)") }) throws(LinkError) -> LinkerScript {
    var script = LinkerScript()
    try parseLinkerScript(text, path: path, into: &script, include: include)
    return script
}

/// Appends a script's commands to `script` (several -T options make one script).
public func parseLinkerScript(_ text: UnsafeRawBufferPointer, path: String, into script: inout LinkerScript,
                              include: @escaping ScriptIncluder) throws(LinkError) {
    let index = Int32(script.sources.paths.count)
    script.sources.paths.append(path)
    var parser = ScriptParser(tokens: ScriptTokenizer(text: text, file: index, path: path), include: include)
    try parser.parseTopLevel(into: &script, depth: 0)
}

struct ScriptParser {
    var lx: ScriptTokenizer
    let include: ScriptIncluder
    /// Nesting of expressions being parsed: a hostile script ends in an error, not a stack overflow.
    var expressionDepth = 0

    init(tokens: ScriptTokenizer, include: @escaping ScriptIncluder) {
        lx = tokens
        self.include = include
    }

    // MARK: tokens

    mutating func next(_ mode: ScriptLexMode = .name) throws(LinkError) -> ScriptLexToken { try lx.next(mode) }

    mutating func peek(_ mode: ScriptLexMode = .name) throws(LinkError) -> ScriptLexToken {
        var copy = lx
        return try copy.next(mode)
    }

    func describe(_ t: ScriptLexToken) -> String {
        switch t.kind {
        case .eof: return "end of file"
        case .string: return "\"\(t.text)\""
        default: return "'\(t.text)'"
        }
    }

    func error(_ t: ScriptLexToken, _ message: String) -> LinkError { lx.error(t.loc, message) }

    mutating func expect(_ text: String, _ mode: ScriptLexMode = .name, context: String) throws(LinkError) {
        let t = try next(mode)
        guard t.kind == .punct && t.text == text else {
            throw error(t, "expected '\(text)' \(context), found \(describe(t))")
        }
    }

    mutating func skipIf(_ text: String, _ mode: ScriptLexMode = .name) throws(LinkError) -> Bool {
        let t = try peek(mode)
        if t.kind == .punct && t.text == text { _ = try next(mode); return true }
        return false
    }

    /// A name: a word or a quoted string.
    mutating func name(_ what: String) throws(LinkError) -> ScriptLexToken {
        let t = try next()
        guard t.kind == .word || t.kind == .string else { throw error(t, "expected \(what), found \(describe(t))") }
        return t
    }

    // MARK: top level

    mutating func parseTopLevel(into s: inout LinkerScript, depth: Int) throws(LinkError) {
        while true {
            let t = try next()
            switch t.kind {
            case .eof: return
            case .punct where t.text == ";": continue
            case .word, .string: break
            default: throw error(t, "expected a linker script command, found \(describe(t))")
            }
            switch t.text {
            case "ENTRY":
                try expect("(", context: "after ENTRY")
                s.entry = try name("a symbol name").text
                try expect(")", context: "to close ENTRY(")
            case "OUTPUT_ARCH":
                try expect("(", context: "after OUTPUT_ARCH")
                // `i386:x86-64`: the colon belongs to the name here.
                var arch = try name("an architecture").text
                while true {
                    let t = try next()
                    if t.kind == .punct && t.text == ")" { break }
                    guard t.kind != .eof else { throw error(t, "expected ')' to close OUTPUT_ARCH(, found end of file") }
                    arch += t.text
                }
                s.outputArch = arch
            case "OUTPUT_FORMAT":
                try expect("(", context: "after OUTPUT_FORMAT")
                var args: [ScriptLexToken] = []
                while true {
                    let a = try next()
                    if a.kind == .punct && a.text == ")" { break }
                    if a.kind == .punct && a.text == "," { continue }
                    guard a.kind == .word || a.kind == .string else { throw error(a, "expected a format name, found \(describe(a))") }
                    args.append(a)
                }
                guard args.count == 1 || args.count == 3 else { throw error(t, "OUTPUT_FORMAT takes 1 or 3 arguments, found \(args.count)") }
                guard args[0].text.hasPrefix("elf64-x86-64") || args[0].text == "elf64-little" else {
                    throw error(args[0], "unsupported output format '\(args[0].text)': weld writes elf64-x86-64")
                }
            case "TARGET":
                try expect("(", context: "after TARGET")
                _ = try name("a target name")
                try expect(")", context: "to close TARGET(")
            case "SEARCH_DIR":
                try expect("(", context: "after SEARCH_DIR")
                s.searchDirs.append(try name("a directory").text)
                try expect(")", context: "to close SEARCH_DIR(")
            case "INPUT", "GROUP":
                try expect("(", context: "after \(t.text)")
                try parseInputList(into: &s, inGroup: t.text == "GROUP", asNeeded: false, opener: t)
            case "INCLUDE":
                let file = try name("a file name after INCLUDE")
                guard depth < maxScriptNesting else { throw error(file, "INCLUDE nested more than \(maxScriptNesting) deep") }
                let (text, path) = try include(file.text, file.loc, s.sources)
                let index = Int32(s.sources.paths.count)
                s.sources.paths.append(path)
                var sub = ScriptParser(tokens: ScriptTokenizer(text: text, file: index, path: path), include: include)
                try sub.parseTopLevel(into: &s, depth: depth + 1)
            case "SECTIONS":
                s.hasSections = true
                try expect("{", context: "after SECTIONS")
                try parseSections(into: &s, depth: depth)
            case "MEMORY":
                try expect("{", context: "after MEMORY")
                try parseMemory(into: &s)
            case "PHDRS":
                try expect("{", context: "after PHDRS")
                try parsePhdrs(into: &s)
            case "ASSERT":
                s.sectionsCommands.append(try parseAssert(t))
            case "PROVIDE", "PROVIDE_HIDDEN", "HIDDEN":
                s.sectionsCommands.append(.assignment(try parseProvide(t)))
            case "EXTERN":
                // Symbols to treat as undefined (like -u): they pull archive members in.
                try expect("(", context: "after EXTERN")
                while true {
                    let n = try next()
                    if n.kind == .punct && n.text == ")" { break }
                    if n.kind == .punct && n.text == "," { continue }
                    guard n.kind == .word || n.kind == .string else { throw error(n, "expected a symbol name in EXTERN(...), found \(describe(n))") }
                    s.externs.append(n.text)
                }
            case "REGION_ALIAS":
                try expect("(", context: "after REGION_ALIAS")
                let alias = try name("an alias name")
                try expect(",", context: "after the alias name")
                let region = try name("a memory region name")
                try expect(")", context: "to close REGION_ALIAS(")
                s.regionAliases[alias.text] = (region.text, region.loc)
            case "FORCE_COMMON_ALLOCATION", "INHIBIT_COMMON_ALLOCATION", "LD_FEATURE":
                if try skipIf("(") {
                    while true {
                        let n = try next()
                        if n.kind == .eof { throw error(n, "expected ')' to close \(t.text)(, found end of file") }
                        if n.kind == .punct && n.text == ")" { break }
                    }
                }
            default:
                let op = try peek(.expression)
                if op.kind == .punct && isAssignmentOperator(op.text) {
                    s.sectionsCommands.append(.assignment(try parseAssignment(t, kind: .plain)))
                } else if fullOnlyCommands.contains(t.text) {
                    throw error(t, "unsupported linker script command '\(t.text)'")
                } else {
                    throw error(t, "unknown linker script command '\(t.text)'")
                }
            }
        }
    }

    mutating func parseInputList(into s: inout LinkerScript, inGroup: Bool, asNeeded: Bool, opener: ScriptLexToken) throws(LinkError) {
        while true {
            let t = try next()
            if t.kind == .eof { throw error(t, "expected ')' to close \(opener.text)( at \(opener.loc.line):\(opener.loc.column), found end of file") }
            if t.kind == .punct && t.text == ")" { return }
            if t.kind == .punct && t.text == "," { continue }
            if t.kind == .word && t.text == "AS_NEEDED" {
                try expect("(", context: "after AS_NEEDED")
                try parseInputList(into: &s, inGroup: inGroup, asNeeded: true, opener: t)
                continue
            }
            guard t.kind == .word || t.kind == .string else { throw error(t, "expected a file name, found \(describe(t))") }
            if t.kind == .word && t.text.hasPrefix("-l") {
                s.inputs.append(ScriptInput(path: String(t.text.dropFirst(2)), isLibrary: true, asNeeded: asNeeded, inGroup: inGroup))
            } else {
                s.inputs.append(ScriptInput(path: t.text, asNeeded: asNeeded, inGroup: inGroup))
            }
        }
    }

    // MARK: assignments

    func isAssignmentOperator(_ s: String) -> Bool {
        ["=", "+=", "-=", "*=", "/=", "<<=", ">>=", "&=", "|=", "^="].contains(s)
    }

    /// `name op expr ;` with `name` already read. Compound operators become `name = name op expr`.
    mutating func parseAssignment(_ nameToken: ScriptLexToken, kind: ScriptAssignment.Kind, needsSemicolon: Bool = true) throws(LinkError) -> ScriptAssignment {
        let op = try next(.expression)
        guard op.kind == .punct && isAssignmentOperator(op.text) else {
            throw error(op, "expected an assignment operator after '\(nameToken.text)', found \(describe(op))")
        }
        var e = try parseExpression()
        if op.text != "=" {
            let lhs: ScriptExpr = nameToken.text == "." ? .dot(nameToken.loc) : .symbol(nameToken.text, nameToken.loc)
            e = .binary(String(op.text.dropLast()), lhs, e, op.loc)
        }
        if needsSemicolon {
            // GNU ld allows the `;` to be left out before `}`.
            let t = try peek()
            if t.kind == .punct && t.text == ";" { _ = try next() }
            else if !(t.kind == .punct && t.text == "}") { throw error(t, "expected ';' after the assignment to '\(nameToken.text)', found \(describe(t))") }
        }
        return ScriptAssignment(name: nameToken.text, kind: kind, expr: e, loc: nameToken.loc)
    }

    /// PROVIDE(sym = expr); PROVIDE_HIDDEN(...); HIDDEN(...)
    mutating func parseProvide(_ t: ScriptLexToken) throws(LinkError) -> ScriptAssignment {
        try expect("(", context: "after \(t.text)")
        let sym = try next(.expression)
        guard sym.kind == .word else { throw error(sym, "expected a symbol name in \(t.text)(...), found \(describe(sym))") }
        let kind: ScriptAssignment.Kind = t.text == "PROVIDE" ? .provide : t.text == "PROVIDE_HIDDEN" ? .provideHidden : .hidden
        let a = try parseAssignment(sym, kind: kind, needsSemicolon: false)
        try expect(")", .expression, context: "to close \(t.text)(")
        _ = try skipIf(";")
        return a
    }

    mutating func parseAssert(_ t: ScriptLexToken) throws(LinkError) -> ScriptSectionsCommand {
        let (e, msg) = try parseAssertBody(t)
        return .assert(e, msg, t.loc)
    }

    mutating func parseAssertBody(_ t: ScriptLexToken) throws(LinkError) -> (ScriptExpr, String) {
        try expect("(", .expression, context: "after ASSERT")
        let e = try parseExpression()
        try expect(",", .expression, context: "after ASSERT's condition")
        let m = try next()
        guard m.kind == .string || m.kind == .word else { throw error(m, "expected a message in ASSERT, found \(describe(m))") }
        try expect(")", context: "to close ASSERT(")
        _ = try skipIf(";")
        return (e, m.text)
    }

    // MARK: SECTIONS

    /// Commands up to the closing `}`, or (an INCLUDEd file inside SECTIONS) to the end of the file.
    mutating func parseSections(into s: inout LinkerScript, depth: Int, untilEOF: Bool = false) throws(LinkError) {
        while true {
            let t = try next()
            if t.kind == .eof {
                if untilEOF { return }
                throw error(t, "expected '}' to close SECTIONS, found end of file")
            }
            if t.kind == .punct && t.text == "}" {
                if untilEOF { throw error(t, "unexpected '}' in a file INCLUDEd inside SECTIONS") }
                return
            }
            if t.kind == .punct && t.text == ";" { continue }
            guard t.kind == .word || t.kind == .string else { throw error(t, "expected an output section or an assignment, found \(describe(t))") }
            switch t.text {
            case "ENTRY":
                try expect("(", context: "after ENTRY")
                s.entry = try name("a symbol name").text
                try expect(")", context: "to close ENTRY(")
            case "ASSERT":
                s.sectionsCommands.append(try parseAssert(t))
            case "PROVIDE", "PROVIDE_HIDDEN", "HIDDEN":
                s.sectionsCommands.append(.assignment(try parseProvide(t)))
            case "INCLUDE":
                let file = try name("a file name after INCLUDE")
                guard depth < maxScriptNesting else { throw error(file, "INCLUDE nested more than \(maxScriptNesting) deep") }
                let (text, path) = try include(file.text, file.loc, s.sources)
                let index = Int32(s.sources.paths.count)
                s.sources.paths.append(path)
                var sub = ScriptParser(tokens: ScriptTokenizer(text: text, file: index, path: path), include: include)
                try sub.parseSections(into: &s, depth: depth + 1, untilEOF: true)
            case "OVERLAY", "INSERT":
                throw error(t, "unsupported linker script command '\(t.text)'")
            default:
                let op = try peek(.expression)
                if op.kind == .punct && isAssignmentOperator(op.text) {
                    s.sectionsCommands.append(.assignment(try parseAssignment(t, kind: .plain)))
                } else {
                    s.sectionsCommands.append(.output(try parseOutputSection(t)))
                }
            }
        }
    }

    mutating func parseOutputSection(_ nameToken: ScriptLexToken) throws(LinkError) -> ScriptOutputSection {
        var os = ScriptOutputSection(name: nameToken.text, loc: nameToken.loc)
        // [address] [(type)] :
        var t = try peek()
        if !(t.kind == .punct && (t.text == ":" || t.text == "(")) {
            os.address = try parseExpression()
            t = try peek()
        }
        if t.kind == .punct && t.text == "(" {
            // `(TYPE)` or an address in parentheses: `.text (0x1000) :` is an address.
            var copy = lx
            _ = try copy.next(.name)
            let word = try copy.next(.name)
            let close = try copy.next(.name)
            if word.kind == .word && close.text == ")" && ["NOLOAD", "INFO", "COPY", "DSECT", "OVERLAY", "READONLY"].contains(word.text) {
                lx = copy
                switch word.text {
                case "NOLOAD": os.kind = .noLoad
                case "READONLY": os.kind = .readOnly
                default: os.kind = .info
                }
            } else if os.address == nil {
                os.address = try parseExpression()
                if try peek().text == "(" {
                    _ = try next()
                    let w = try name("a section type")
                    try expect(")", context: "after the section type")
                    switch w.text {
                    case "NOLOAD": os.kind = .noLoad
                    case "READONLY": os.kind = .readOnly
                    case "INFO", "COPY", "DSECT", "OVERLAY": os.kind = .info
                    default: throw error(w, "unknown output section type '\(w.text)'")
                    }
                }
            } else {
                throw error(word, "unknown output section type '\(word.text)'")
            }
        }
        try expect(":", context: "after the output section name '\(os.name)'")
        // [AT(lma)] [ALIGN(n) | ALIGN_WITH_INPUT] [SUBALIGN(n)] [constraint]
        while true {
            let k = try peek()
            guard k.kind == .word else { break }
            switch k.text {
            case "AT":
                _ = try next()
                try expect("(", .expression, context: "after AT")
                os.lma = try parseExpression()
                try expect(")", .expression, context: "to close AT(")
            case "ALIGN":
                _ = try next()
                try expect("(", .expression, context: "after ALIGN")
                os.align = try parseExpression()
                try expect(")", .expression, context: "to close ALIGN(")
            case "SUBALIGN":
                _ = try next()
                try expect("(", .expression, context: "after SUBALIGN")
                os.subalign = try parseExpression()
                try expect(")", .expression, context: "to close SUBALIGN(")
            case "ONLY_IF_RO", "ONLY_IF_RW":
                _ = try next()
                os.constraint = k.text == "ONLY_IF_RO" ? .readOnly : .readWrite
            case "ALIGN_WITH_INPUT":
                throw error(k, "unsupported output section attribute '\(k.text)'")
            default:
                throw error(k, "expected '{' after '\(os.name) :', found \(describe(k))")
            }
        }
        try expect("{", context: "to open the output section '\(os.name)'")
        try parseOutputCommands(into: &os)
        // [>region] [AT>region] [:phdr ...] [=fill] [,]
        while true {
            let k = try peek()
            if k.kind == .word && k.text.hasPrefix(">") {
                _ = try next()
                if k.text == ">" { let r = try name("a memory region name"); os.region = (r.text, r.loc) }
                else { os.region = (String(k.text.dropFirst()), k.loc) }
            } else if k.kind == .word && k.text.hasPrefix("AT>") {
                _ = try next()
                if k.text == "AT>" { let r = try name("a memory region name"); os.lmaRegion = (r.text, r.loc) }
                else { os.lmaRegion = (String(k.text.dropFirst(3)), k.loc) }
            } else if k.kind == .word && k.text == "AT", { var c = lx; _ = try? c.next(.name); return c.upcoming(">") }() {
                // `AT > region`, with blanks.
                _ = try next()
                let gt = try next()
                if gt.text == ">" { let r = try name("a memory region name"); os.lmaRegion = (r.text, r.loc) }
                else { os.lmaRegion = (String(gt.text.dropFirst()), gt.loc) }
            } else if k.kind == .punct && k.text == ":" {
                _ = try next()
                let p = try name("a program header name after ':'")
                os.phdrs.append((p.text, p.loc))
            } else if k.kind == .punct && k.text == "=" {
                _ = try next()
                let lit = try peek(.expression)
                os.fill = try parseExpression()
                if case .number? = os.fill, lit.kind == .number, lit.text.hasPrefix("0x") || lit.text.hasPrefix("0X"),
                   lit.text.dropFirst(2).allSatisfy({ $0.isHexDigit }) {
                    os.fillWidth = max(1, (lit.text.count - 2 + 1) / 2)
                }
            } else if k.kind == .punct && k.text == "," {
                _ = try next()
            } else {
                break
            }
        }
        return os
    }

    mutating func parseOutputCommands(into os: inout ScriptOutputSection) throws(LinkError) {
        while true {
            let t = try next()
            if t.kind == .eof { throw error(t, "expected '}' to close the output section '\(os.name)', found end of file") }
            if t.kind == .punct && t.text == "}" { return }
            if t.kind == .punct && t.text == ";" { continue }
            if t.kind == .punct && t.text == ":" {
                // `:file(...)`: a file outside any archive.
                let w = try next()
                guard w.kind == .word else { throw error(w, "expected a file pattern after ':', found \(describe(w))") }
                os.commands.append(.input(try parseInputDescription(ScriptLexToken(kind: .word, text: ":" + w.text, loc: t.loc))))
                continue
            }
            guard t.kind == .word || t.kind == .string else {
                throw error(t, "expected an input section description, an assignment or '}', found \(describe(t))")
            }
            switch t.text {
            case "KEEP":
                try expect("(", context: "after KEEP")
                let p = try next()
                var d = try parseInputDescription(p)
                d.keep = true
                try expect(")", context: "to close KEEP(")
                os.commands.append(.input(d))
            case "PROVIDE", "PROVIDE_HIDDEN", "HIDDEN":
                os.commands.append(.assignment(try parseProvide(t)))
            case "ASSERT":
                let (e, m) = try parseAssertBody(t)
                os.commands.append(.assert(e, m, t.loc))
            case "BYTE", "SHORT", "LONG", "QUAD", "SQUAD":
                try expect("(", .expression, context: "after \(t.text)")
                let e = try parseExpression()
                try expect(")", .expression, context: "to close \(t.text)(")
                _ = try skipIf(";")
                let size = t.text == "BYTE" ? 1 : t.text == "SHORT" ? 2 : t.text == "LONG" ? 4 : 8
                os.commands.append(.data(size, e))
            case "FILL":
                try expect("(", .expression, context: "after FILL")
                let e = try parseExpression()
                try expect(")", .expression, context: "to close FILL(")
                _ = try skipIf(";")
                os.commands.append(.fill(e))
            case "CREATE_OBJECT_SYMBOLS", "CONSTRUCTORS":
                _ = try skipIf(";")
            case "SORT" where lx.upcoming("(") && { var c = lx; _ = try? c.next(.name); return (try? c.next(.name))?.text == "CONSTRUCTORS" }():
                // SORT(CONSTRUCTORS): a.out constructors, nothing on ELF.
                _ = try next(); _ = try next()
                try expect(")", context: "to close SORT(CONSTRUCTORS")
            case "INCLUDE":
                throw error(t, "INCLUDE inside an output section is not supported")
            default:
                let op = try peek(.expression)
                if t.kind == .word && op.kind == .punct && isAssignmentOperator(op.text) {
                    os.commands.append(.assignment(try parseAssignment(t, kind: .plain)))
                } else {
                    os.commands.append(.input(try parseInputDescription(t)))
                }
            }
        }
    }

    /// `filepattern[(section patterns)]` with `t` the first token (file pattern or EXCLUDE_FILE).
    mutating func parseInputDescription(_ first: ScriptLexToken) throws(LinkError) -> ScriptInputDescription {
        var t = first
        var excluded: [String] = []
        if t.kind == .word && t.text == "EXCLUDE_FILE" {
            excluded = try parseExcludeList(t)
            t = try next()
        }
        guard t.kind == .word || t.kind == .string else { throw error(t, "expected a file pattern, found \(describe(t))") }
        var pattern = t.text
        if t.kind == .word && lx.byte(lx.pos) == UInt8(ascii: ":") {
            // `archive:member` (either part may be empty): the colon is part of the pattern.
            lx.pos += 1
            pattern += ":"
            let c = lx.byte(lx.pos)
            if c > 0x20 && c != UInt8(ascii: "(") && c != UInt8(ascii: ")") { pattern += try next().text }
        }
        var d = ScriptInputDescription(filePattern: pattern, excludedFiles: excluded, sections: [], keep: false, loc: t.loc)
        // A bare file name (no parentheses) takes all its sections.
        guard try skipIf("(") else {
            d.sections = [ScriptSectionPattern(pattern: "*", excludedFiles: [], sort: .none)]
            return d
        }
        while true {
            let p = try next()
            if p.kind == .punct && p.text == ")" { break }
            if p.kind == .punct && p.text == "," { continue }
            if p.kind == .eof { throw error(p, "expected ')' to close the section list of '\(d.filePattern)', found end of file") }
            d.sections += try parseSectionPatterns(p, sort: .none)
        }
        return d
    }

    mutating func parseExcludeList(_ t: ScriptLexToken) throws(LinkError) -> [String] {
        try expect("(", context: "after EXCLUDE_FILE")
        var list: [String] = []
        while true {
            let f = try next()
            if f.kind == .punct && f.text == ")" { return list }
            guard f.kind == .word || f.kind == .string else { throw error(f, "expected a file pattern in EXCLUDE_FILE(...), found \(describe(f))") }
            list.append(f.text)
        }
    }

    /// A section pattern, `EXCLUDE_FILE(...) pattern`, or `SORT…(patterns)`.
    mutating func parseSectionPatterns(_ t: ScriptLexToken, sort: ScriptSort) throws(LinkError) -> [ScriptSectionPattern] {
        guard t.kind == .word || t.kind == .string else { throw error(t, "expected a section pattern, found \(describe(t))") }
        let sorts: [String: ScriptSort] = ["SORT": .name, "SORT_BY_NAME": .name, "SORT_BY_ALIGNMENT": .alignment,
                                           "SORT_BY_INIT_PRIORITY": .initPriority, "SORT_NONE": .none, "REVERSE": .none]
        if t.kind == .word, let s = sorts[t.text], try peek().text == "(" {
            _ = try next()
            var out: [ScriptSectionPattern] = []
            while true {
                let p = try next()
                if p.kind == .punct && p.text == ")" { return out }
                if p.kind == .eof { throw error(p, "expected ')' to close \(t.text)(, found end of file") }
                // The outer sort decides (SORT_BY_NAME(SORT_BY_ALIGNMENT(...)) sorts by name first).
                out += try parseSectionPatterns(p, sort: sort == .none ? s : sort)
            }
        }
        if t.kind == .word && t.text == "EXCLUDE_FILE" {
            let ex = try parseExcludeList(t)
            let p = try next()
            var list = try parseSectionPatterns(p, sort: sort)
            for i in list.indices { list[i].excludedFiles += ex }
            return list
        }
        return [ScriptSectionPattern(pattern: t.text, excludedFiles: [], sort: sort)]
    }

    // MARK: MEMORY and PHDRS

    mutating func parseMemory(into s: inout LinkerScript) throws(LinkError) {
        while true {
            let t = try next()
            if t.kind == .punct && t.text == "}" { return }
            if t.kind == .eof { throw error(t, "expected '}' to close MEMORY, found end of file") }
            guard t.kind == .word else { throw error(t, "expected a memory region name, found \(describe(t))") }
            var attrs = ""
            if try skipIf("(") {
                let a = try next()
                if a.kind == .word { attrs = a.text; try expect(")", context: "after the region attributes") }
                else if !(a.kind == .punct && a.text == ")") { throw error(a, "expected region attributes, found \(describe(a))") }
                for c in attrs where !"rRwWxXaAiIlL!".contains(c) {
                    throw error(a, "unknown memory region attribute '\(c)'")
                }
            }
            try expect(":", context: "after the memory region '\(t.text)'")
            let o = try next()
            guard o.kind == .word, ["ORIGIN", "org", "o"].contains(o.text) else { throw error(o, "expected ORIGIN, found \(describe(o))") }
            try expect("=", context: "after ORIGIN")
            let origin = try parseExpression()
            try expect(",", .expression, context: "after the ORIGIN of '\(t.text)'")
            let l = try next()
            guard l.kind == .word, ["LENGTH", "len", "l"].contains(l.text) else { throw error(l, "expected LENGTH, found \(describe(l))") }
            try expect("=", context: "after LENGTH")
            let length = try parseExpression()
            if s.memory.contains(where: { $0.name == t.text }) { throw error(t, "memory region '\(t.text)' is defined twice") }
            s.memory.append(ScriptMemoryRegion(name: t.text, attributes: attrs, origin: origin, length: length, loc: t.loc))
            _ = try skipIf(";")
        }
    }

    mutating func parsePhdrs(into s: inout LinkerScript) throws(LinkError) {
        var list: [ScriptPhdr] = []
        let types: [String: UInt32] = ["PT_NULL": 0, "PT_LOAD": 1, "PT_DYNAMIC": 2, "PT_INTERP": 3, "PT_NOTE": 4, "PT_SHLIB": 5,
                                       "PT_PHDR": 6, "PT_TLS": 7, "PT_GNU_EH_FRAME": PT.gnuEhFrame, "PT_GNU_STACK": PT.gnuStack,
                                       "PT_GNU_RELRO": PT.gnuRelro, "PT_GNU_PROPERTY": PT.gnuProperty]
        while true {
            let t = try next()
            if t.kind == .punct && t.text == "}" { s.phdrs = list; return }
            if t.kind == .eof { throw error(t, "expected '}' to close PHDRS, found end of file") }
            guard t.kind == .word || t.kind == .string else { throw error(t, "expected a program header name, found \(describe(t))") }
            let ty = try next(.expression)
            var type: UInt32
            if ty.kind == .number { type = UInt32(truncatingIfNeeded: ty.value) }
            else if ty.kind == .word, let v = types[ty.text] { type = v }
            else { throw error(ty, "unknown program header type \(describe(ty))") }
            var p = ScriptPhdr(name: t.text, type: type, fileHeader: false, programHeaders: false, at: nil, flags: nil, loc: t.loc)
            while true {
                let k = try next()
                if k.kind == .punct && k.text == ";" { break }
                switch k.text {
                case "FILEHDR": p.fileHeader = true
                case "PHDRS": p.programHeaders = true
                case "AT":
                    try expect("(", .expression, context: "after AT")
                    p.at = try parseExpression()
                    try expect(")", .expression, context: "to close AT(")
                case "FLAGS":
                    try expect("(", .expression, context: "after FLAGS")
                    p.flags = try parseExpression()
                    try expect(")", .expression, context: "to close FLAGS(")
                default:
                    throw error(k, "expected FILEHDR, PHDRS, AT, FLAGS or ';' in the program header '\(p.name)', found \(describe(k))")
                }
            }
            if list.contains(where: { $0.name == p.name }) { throw error(t, "program header '\(p.name)' is defined twice") }
            list.append(p)
        }
    }

    // MARK: expressions (C precedence)

    mutating func parseExpression() throws(LinkError) -> ScriptExpr {
        let cond = try parseBinary(0)
        if try skipIf("?", .expression) {
            let a = try parseExpression()
            try expect(":", .expression, context: "in a ?: expression")
            let b = try parseExpression()
            return .conditional(cond, a, b)
        }
        return cond
    }

    static let precedence: [String: Int] = [
        "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, ">": 7, "<=": 7, ">=": 7,
        "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
    ]

    mutating func parseBinary(_ minPrecedence: Int) throws(LinkError) -> ScriptExpr {
        var lhs = try parseUnary()
        while true {
            let op = try peek(.expression)
            guard op.kind == .punct, let p = Self.precedence[op.text], p > minPrecedence else { return lhs }
            if op.text == "/" && lx.upcoming("/DISCARD/") { return lhs }
            _ = try next(.expression)
            let rhs = try parseBinary(p)
            lhs = .binary(op.text, lhs, rhs, op.loc)
        }
    }

    mutating func parseUnary() throws(LinkError) -> ScriptExpr {
        let t = try next(.expression)
        expressionDepth += 1
        defer { expressionDepth -= 1 }
        if expressionDepth > 256 { throw error(t, "expression nested more than 256 deep") }
        switch t.kind {
        case .number: return .number(t.value)
        case .eof: throw error(t, "expected an expression, found end of file")
        case .string: return .symbol(t.text, t.loc)
        case .punct:
            switch t.text {
            case "(":
                let e = try parseExpression()
                try expect(")", .expression, context: "to close '('")
                return e
            case "-", "~", "!", "+": return .unary(t.text, try parseUnary())
            default: throw error(t, "expected an expression, found \(describe(t))")
            }
        case .word:
            if t.text == "." { return .dot(t.loc) }
            guard try peek(.expression).text == "(" else {
                if t.text == "SIZEOF_HEADERS" { return .sizeofHeaders }
                return .symbol(t.text, t.loc)
            }
            _ = try next(.expression)
            switch t.text {
            case "ADDR", "LOADADDR", "SIZEOF", "ALIGNOF":
                let n = try next()
                guard n.kind == .word || n.kind == .string else { throw error(n, "expected a section name in \(t.text)(...), found \(describe(n))") }
                try expect(")", context: "to close \(t.text)(")
                return .section(t.text, n.text, n.loc)
            case "ORIGIN", "LENGTH":
                let n = try name("a memory region name")
                try expect(")", context: "to close \(t.text)(")
                return .region(t.text, n.text, n.loc)
            case "DEFINED":
                let n = try next(.expression)
                guard n.kind == .word else { throw error(n, "expected a symbol name in DEFINED(...), found \(describe(n))") }
                try expect(")", .expression, context: "to close DEFINED(")
                return .defined(n.text)
            case "CONSTANT":
                let n = try next(.expression)
                try expect(")", .expression, context: "to close CONSTANT(")
                guard n.text == "MAXPAGESIZE" || n.text == "COMMONPAGESIZE" else {
                    throw error(n, "unknown constant '\(n.text)' (MAXPAGESIZE or COMMONPAGESIZE)")
                }
                return .constant(n.text, n.loc)
            case "SEGMENT_START":
                let n = try next(.expression)
                try expect(",", .expression, context: "in SEGMENT_START(")
                let d = try parseExpression()
                try expect(")", .expression, context: "to close SEGMENT_START(")
                return .function("SEGMENT_START", [.symbol(n.text, n.loc), d], t.loc)
            case "ALIGN", "BLOCK", "MAX", "MIN", "ABSOLUTE", "LOG2CEIL", "DATA_SEGMENT_ALIGN", "DATA_SEGMENT_END",
                 "DATA_SEGMENT_RELRO_END", "NEXT", "ALIGNOF_DUMMY":
                var args: [ScriptExpr] = []
                if try !skipIf(")", .expression) {
                    repeat { args.append(try parseExpression()) } while try skipIf(",", .expression)
                    try expect(")", .expression, context: "to close \(t.text)(")
                }
                let arity: [String: ClosedRange<Int>] = ["ALIGN": 1...2, "BLOCK": 1...1, "MAX": 2...2, "MIN": 2...2, "ABSOLUTE": 1...1, "LOG2CEIL": 1...1,
                                                         "DATA_SEGMENT_ALIGN": 2...2, "DATA_SEGMENT_END": 1...1,
                                                         "DATA_SEGMENT_RELRO_END": 2...2, "NEXT": 1...1]
                if let r = arity[t.text], !r.contains(args.count) {
                    throw error(t, "\(t.text) takes \(r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound) or \(r.upperBound)") argument\(r.upperBound == 1 ? "" : "s"), found \(args.count)")
                }
                // BLOCK(n) is an old name of ALIGN(n).
                return .function(t.text == "BLOCK" ? "ALIGN" : t.text, args, t.loc)
            default:
                throw error(t, "unknown function '\(t.text)' in an expression")
            }
        }
    }
}

/// Script commands weld does not implement, named as unsupported rather than unknown.
private let fullOnlyCommands: Set<String> = [
    "VERSION", "STARTUP", "OUTPUT", "INSERT", "NOCROSSREFS", "NOCROSSREFS_TO",
    "OUTPUT_SECTION_ORDER", "SORT_SECTIONS", "OVERLAY",
]
