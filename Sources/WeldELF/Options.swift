import WeldCore

/// One input named on the command line, with the state the options in force gave it.
public struct InputSpec: Sendable {
    public enum Kind: Sendable { case path(String), library(String) }
    public var kind: Kind
    public var wholeArchive: Bool
    public var asNeeded: Bool
    public var staticOnly: Bool      // -Bstatic in force: -l finds only .a
    /// `-b binary` in force: the file's bytes become a data section with _binary_* symbols.
    public var binary = false
}

public enum OutputKind: Sendable { case executable, sharedLibrary, relocatable }
/// How much identical code folding `--icf` asks for: `safe` never folds a section whose
/// address is taken (per `.llvm_addrsig`; every section of an object without one).
public enum ICFLevel: Sendable { case none, safe, all }

/// The GNU ld command line, as gcc, clang and swiftc pass it.
public struct Options: Sendable {
    public var output = "a.out"
    public var inputs: [InputSpec] = []
    public var searchPaths: [String] = []
    public var sysroot = ""
    public var outputKind = OutputKind.executable
    public var pie = false
    public var isStatic = false            // -static / -Bstatic at the start with no dynamic inputs
    public var noDynamicLinker = false
    public var dynamicLinker: String? = nil
    public var entry: String? = nil
    public var undefined: [String] = []
    public var defsyms: [(String, String)] = []
    public var wraps: [String] = []
    public var exportDynamic = false
    public var exportDynamicSymbols: [String] = []
    public var rpaths: [String] = []
    public var enableNewDtags = true
    public var soname: String? = nil
    public var buildID: BuildIDKind = .none
    public var ehFrameHdr = false
    public var hashStyleGNU = true
    public var hashStyleSysv = false
    public var zNow = false
    public var zRelro = true
    /// `-z pack-relative-relocs`: relative relocations go to .relr.dyn (PIE and shared outputs).
    public var packRelativeRelocs = false
    /// Section ordering (SectionOrdering.swift): a symbol list, a call graph file, or the
    /// call graph profiles compilers leave in objects (on by default, as lld).
    /// `--icf=all|safe|none` (IdenticalCodeFolding.swift) and `--print-icf-sections`.
    public var icf: ICFLevel = .none
    public var printICFSections = false
    public var symbolOrderingFile: String? = nil
    public var callGraphOrderingFile: String? = nil
    public var callGraphProfileSort = true
    public var warnSymbolOrdering = true
    /// `-z keep-text-section-prefix`: .text.hot/.unlikely/.startup/.exit/.split stay apart.
    public var keepTextSectionPrefix = false
    public var zExecstack = false
    public var zText = false
    /// -z separate-code: code gets pages of its own in the file too (lld's default is off).
    public var zSeparateCode = false
    public var zOrigin = false
    public var zNodelete = false
    public var zInitfirst = false
    public var zNodlopen = false
    public var zDefs = false
    public var zStackSize: UInt64 = 0
    public var maxPageSize: UInt64 = 4096
    public var threads = 0
    /// Exit before the kernel has unmapped everything (`--no-fork` turns it off): ProcessExit.
    public var defersTeardown = true
    /// Write into a spare output file and keep the replaced output as one (SpareOutputs);
    /// `--no-recycle-output` turns it off.
    public var recyclesOutput = true
    public var timeReport: TimeReportFormat? = nil
    public var timeTrace: String? = nil
    public var stripAll = false
    public var stripDebug = false
    public var discardAll = false
    public var discardLocals = false
    public var gcSections = false
    public var printGcSections = false
    public var allowMultipleDefinition = false
    public var warnCommon = false
    public var fatalWarnings = false
    public var printMap = false
    public var mapFile: String? = nil
    public var trace = false
    public var eagerLoad = true
    public var unresolvedIgnoreAll = false
    public var bsymbolic = false
    public var bsymbolicFunctions = false
    public var verbose = false
    public var allowShlibUndefined: Bool? = nil
    public var versionScripts: [String] = []
    public var dynamicLists: [String] = []
    /// --exclude-libs: archives whose symbols are not exported automatically ("ALL": every one).
    public var excludeLibs: Set<String> = []
    /// --compress-debug-sections: how non-allocated .debug_* output sections are compressed.
    public var compressDebugSections: CompressionFormat? = nil
    /// --why-extract=FILE ("-": standard output): why each archive member was extracted.
    public var whyExtract: String? = nil
    /// --retain-symbols-file=FILE: only the global symbols it names stay in .symtab.
    public var retainSymbolsFile: String? = nil
    /// --default-symver: a shared library's exported symbols get a version named after its soname.
    public var defaultSymver = false
    /// --no-undefined-version: a version script naming a symbol that is not defined is an error.
    public var noUndefinedVersion = false
    /// --dynamic-list-data: data symbols are exported as if named by a dynamic list.
    public var dynamicListData = false
    /// --package-metadata=JSON: the text of a .note.package note (FDO package metadata).
    public var packageMetadata: String? = nil
    /// Linker scripts: `-T`/`--script` files, the `-dT`/`--default-script` file, and the
    /// script they make once read (Script/LoadScript.swift).
    public var scriptPaths: [String] = []
    public var defaultScriptPath: String? = nil
    public var linkerScript: LinkerScript? = nil

    public enum TimeReportFormat: Sendable { case text, json }
}

extension Options {
    /// Parses the command line. Unknown options are errors, as in GNU ld, except for a set of
    /// options that are accepted and have no effect on weld's output (listed in `ignored`).
    public static func parse(_ argv: [String]) throws(LinkError) -> Options {
        var o = Options()
        var args: [String]
        do { args = try expandResponseFiles(argv) } catch { throw error }
        var i = 0
        var wholeArchive = false, asNeeded = false, staticOnly = false, binaryInputs = false
        var stateStack: [(Bool, Bool, Bool)] = []
        var sawDynamicInput = false

        func value(_ name: String) throws(LinkError) -> String {
            i += 1
            if i >= args.count { throw LinkError("\(name): missing argument") }
            return args[i]
        }

        while i < args.count {
            let raw = args[i]
            defer { i += 1 }
            if raw.isEmpty { continue }
            if !raw.hasPrefix("-") || raw == "-" {
                Prefetcher.shared.start(raw)   // map and read ahead while parsing goes on
                o.inputs.append(InputSpec(kind: .path(raw), wholeArchive: wholeArchive, asNeeded: asNeeded, staticOnly: staticOnly, binary: binaryInputs))
                continue
            }
            // GNU ld accepts both -opt and --opt for long options, and --opt=value or --opt value.
            var arg = raw
            if arg.hasPrefix("--") { arg.removeFirst() }
            var inlineValue: String? = nil
            if arg.hasPrefix("-defsym=") { inlineValue = String(arg.dropFirst(8)); arg = "-defsym" }
            else if let eq = arg.firstIndex(of: "="), !arg.hasPrefix("-defsym"), !arg.hasPrefix("-l") {
                inlineValue = String(arg[arg.index(after: eq)...])
                arg = String(arg[..<eq])
            }
            func val(_ name: String) throws(LinkError) -> String {
                if let v = inlineValue { return v }
                return try value(name)
            }
            // Options with the value glued on (-lfoo, -Lpath, -ofile, -zfoo, -efoo).
            if raw.hasPrefix("-l") && !raw.hasPrefix("--") && raw.count > 2 {
                let name = String(raw.dropFirst(2))
                o.inputs.append(InputSpec(kind: .library(name), wholeArchive: wholeArchive, asNeeded: asNeeded, staticOnly: staticOnly))
                continue
            }
            if raw.hasPrefix("-L") && !raw.hasPrefix("--") && raw.count > 2 { o.searchPaths.append(String(raw.dropFirst(2))); continue }
            if raw.hasPrefix("-T") && raw.count > 2 && !["-Ttext", "-Tdata", "-Tbss"].contains(where: { raw.hasPrefix($0) }) {
                o.scriptPaths.append(String(raw.dropFirst(2))); continue   // -Tscript.ld
            }
            switch arg {
            case "-o", "-output": o.output = try val(arg)
            case "-l", "-library":
                o.inputs.append(InputSpec(kind: .library(try val(arg)), wholeArchive: wholeArchive, asNeeded: asNeeded, staticOnly: staticOnly))
            case "-L", "-library-path": o.searchPaths.append(try val(arg))
            case "-sysroot": o.sysroot = try val(arg)
            case "-e", "-entry": o.entry = try val(arg)
            case "-T", "-script": o.scriptPaths.append(try val(arg))
            case "-dT", "-default-script": o.defaultScriptPath = try val(arg)
            case "-u", "-undefined": o.undefined.append(try val(arg))
            case "-require-defined": o.undefined.append(try val(arg))
            case "-defsym":
                let d = try val(arg)
                guard let eq = d.firstIndex(of: "=") else { throw LinkError("--defsym: expected SYMBOL=EXPRESSION, got '\(d)'") }
                o.defsyms.append((String(d[..<eq]), String(d[d.index(after: eq)...])))
            case "-wrap": o.wraps.append(try val(arg))
            case "-shared", "-Bshareable": o.outputKind = .sharedLibrary
            case "-r", "-relocatable", "-i": o.outputKind = .relocatable
            case "-pie", "-pic-executable": o.pie = true
            case "-no-pie", "-no-pic-executable": o.pie = false
            case "-static", "-Bstatic", "-dn", "-non_shared":
                staticOnly = true
                if !sawDynamicInput && arg == "-static" { o.isStatic = true }
            case "-Bdynamic", "-dy", "-call_shared": staticOnly = false
            case "-no-dynamic-linker": o.noDynamicLinker = true
            case "-dynamic-linker", "-I": o.dynamicLinker = try val(arg)
            case "-whole-archive": wholeArchive = true
            case "-no-whole-archive": wholeArchive = false
            case "-as-needed": asNeeded = true
            case "-no-as-needed": asNeeded = false
            case "-push-state": stateStack.append((wholeArchive, asNeeded, staticOnly))
            case "-pop-state":
                guard let s = stateStack.popLast() else { throw LinkError("--pop-state without --push-state") }
                (wholeArchive, asNeeded, staticOnly) = s
            case "-start-group", "-(", "-end-group", "-)":
                break // weld extracts archive members in any order, so groups need no rescans
            case "-export-dynamic", "-E": o.exportDynamic = true
            case "-no-export-dynamic": o.exportDynamic = false
            case "-export-dynamic-symbol": o.exportDynamicSymbols.append(try val(arg))
            case "-rpath", "-R": o.rpaths.append(try val(arg))
            case "-enable-new-dtags": o.enableNewDtags = true
            case "-disable-new-dtags": o.enableNewDtags = false
            case "-soname", "-h": o.soname = try val(arg)
            case "-build-id":
                o.buildID = try BuildIDKind.parse(inlineValue)
            case "-eh-frame-hdr": o.ehFrameHdr = true
            case "-no-eh-frame-hdr": o.ehFrameHdr = false
            case "-hash-style":
                switch try val(arg) {
                case "gnu": o.hashStyleGNU = true; o.hashStyleSysv = false
                case "sysv": o.hashStyleGNU = false; o.hashStyleSysv = true
                case "both": o.hashStyleGNU = true; o.hashStyleSysv = true
                case let v: throw LinkError("--hash-style: unknown style '\(v)'")
                }
            case "-z":
                try o.parseZ(try val(arg))
            case "-icf":
                switch try val(arg) {
                case "all": o.icf = .all
                case "safe": o.icf = .safe
                case "none": o.icf = .none
                case let v: throw LinkError("--icf: unknown mode '\(v)' (all, safe or none)")
                }
            case "-print-icf-sections": o.printICFSections = true
            case "-no-print-icf-sections": o.printICFSections = false
            case "-symbol-ordering-file": o.symbolOrderingFile = try val(arg)
            case "-no-symbol-ordering-file": o.symbolOrderingFile = nil
            case "-call-graph-ordering-file": o.callGraphOrderingFile = try val(arg)
            case "-call-graph-profile-sort":
                switch inlineValue {
                case nil, "hfsort", "cdsort": o.callGraphProfileSort = true
                case "none": o.callGraphProfileSort = false
                case let v?: throw LinkError("--call-graph-profile-sort: unknown algorithm '\(v)' (none, hfsort or cdsort)")
                }
            case "-no-call-graph-profile-sort": o.callGraphProfileSort = false
            case "-warn-symbol-ordering": o.warnSymbolOrdering = true
            case "-no-warn-symbol-ordering": o.warnSymbolOrdering = false
            case "-m":
                let emu = try val(arg)
                if emu != "elf_x86_64" { throw LinkError("-m \(emu): unsupported emulation; weld supports elf_x86_64") }
            case "-threads", "-thread-count", "-j":
                var v = inlineValue
                if v == nil && arg != "-threads" { v = try value(arg) }
                guard let v else { o.threads = 0; break }
                guard let n = Int(v), n >= 1 else { throw LinkError("\(raw): expected a positive thread count, got '\(v)'") }
                o.threads = n
            case "-no-threads": o.threads = 1
            case "-time-report":
                switch inlineValue {
                case nil, "text": o.timeReport = .text
                case "json": o.timeReport = .json
                case let v?: throw LinkError("--time-report: unknown format '\(v)' (text or json)")
                }
            case "-time-trace": o.timeTrace = inlineValue ?? (o.output + ".time-trace.json")
            case "-time-trace-file": o.timeTrace = try val(arg)
            case "-strip-all", "-s": o.stripAll = true
            case "-strip-debug", "-S": o.stripDebug = true
            case "-discard-all", "-x": o.discardAll = true
            case "-discard-locals", "-X": o.discardLocals = true
            case "-gc-sections": o.gcSections = true
            case "-no-gc-sections": o.gcSections = false
            case "-print-gc-sections": o.printGcSections = true
            case "-no-print-gc-sections": o.printGcSections = false
            case "-allow-multiple-definition": o.allowMultipleDefinition = true
            case "-warn-common": o.warnCommon = true
            case "-fatal-warnings": o.fatalWarnings = true
            case "-no-fatal-warnings": o.fatalWarnings = false
            case "-print-map", "-M": o.printMap = true
            case "-Map": o.mapFile = try val(arg)
            case "-trace", "-t": o.trace = true
            case "-error-limit":
                guard let n = Int(try val(arg)), n >= 0 else { throw LinkError("--error-limit: expected a number") }
                Diagnostics.shared.errorLimit = n
            case "-Bsymbolic": o.bsymbolic = true
            case "-Bsymbolic-functions": o.bsymbolicFunctions = true
            case "-no-undefined": o.zDefs = true
            case "-allow-shlib-undefined": o.allowShlibUndefined = true
            case "-no-allow-shlib-undefined": o.allowShlibUndefined = false
            case "-unresolved-symbols":
                o.unresolvedIgnoreAll = (try val(arg)) == "ignore-all"
            case "-version-script": o.versionScripts.append(try val(arg))
            case "-dynamic-list": o.dynamicLists.append(try val(arg))
            case "-exclude-libs":
                // ALL, or archive names separated by ',' or ':'.
                o.excludeLibs.formUnion((try val(arg)).split(whereSeparator: { $0 == "," || $0 == ":" }).map(String.init))
            case "-compress-debug-sections":
                switch try val(arg) {
                case "none": o.compressDebugSections = nil
                case "zlib", "zlib-gabi": o.compressDebugSections = .zlib
                case "zlib-gnu":
                    // The .zdebug_* form is obsolete (and lld rejects it); readers of both forms
                    // read SHF_COMPRESSED.
                    Diagnostics.shared.warning("--compress-debug-sections=zlib-gnu: writing SHF_COMPRESSED (zlib-gabi) sections instead of the obsolete .zdebug_* form")
                    o.compressDebugSections = .zlib
                case "zstd": o.compressDebugSections = .zstd
                case let v: throw LinkError("--compress-debug-sections: unknown value '\(v)' (none, zlib, zlib-gabi, zlib-gnu or zstd)")
                }
            case "-why-extract": o.whyExtract = try val(arg)
            case "-verbose": o.verbose = true
            case "-package-metadata": o.packageMetadata = try val(arg)
            case "-retain-symbols-file": o.retainSymbolsFile = try val(arg)
            case "-default-symver": o.defaultSymver = true
            case "-no-undefined-version": o.noUndefinedVersion = true
            case "-undefined-version": o.noUndefinedVersion = false
            case "-dynamic-list-data": o.dynamicListData = true
            case "-b", "-format":
                switch try val(arg) {
                case "binary": binaryInputs = true
                case "elf64-x86-64", "elf64-little", "default": binaryInputs = false
                case let v: throw LinkError("\(raw): unsupported input format '\(v)' (binary or elf64-x86-64)")
                }
            case "-plugin", "-plugin-opt", "-dependency-file", "-Y", "-y", "-trace-symbol":
                // Accepted; LTO plugins only matter when an LTO input appears (weld reports
                // such inputs as unsupported), the rest do not change a static link's output.
                _ = try val(arg)
            case "-O", "-O0", "-O1", "-O2", "-O3":
                if arg == "-O" { _ = try value(arg) }
            case "-no-warn-mismatch", "-nostdlib", "-no-copy-dt-needed-entries", "-copy-dt-needed-entries",
                 "-warn-shared-textrel", "-color-diagnostics",
                 "-no-color-diagnostics", "-demangle", "-no-demangle", "-relax", "-no-relax", "-sort-common",
                 "-gdb-index", "-no-gdb-index", "-disable-verify", "-no-add-needed", "-add-needed",
                 "-warn-once", "-no-warn-rwx-segments", "-warn-rwx-segments", "-no-keep-memory",
                 "-reduce-memory-overheads", "-stats", "-build-id=none", "-dc", "-dp", "-d", "-EL",
                 "-enable-non-contiguous-regions", "-noinhibit-exec",
                 "-rosegment", "-no-rosegment", "-nmagic", "-omagic",
                 "-Qy", "-Qn", "-allow-multiple-definitions", "-discard-none":
                break
            case "-fork", "-no-fork":
                o.defersTeardown = arg == "-fork"
            case "-recycle-output", "-no-recycle-output":
                o.recyclesOutput = arg == "-recycle-output"
            case "-v", "-V":
                o.verbose = true
            default:
                throw LinkError("unknown option: \(raw)")
            }
            if case .library = o.inputs.last?.kind, !staticOnly { sawDynamicInput = true }
        }
        if o.outputKind == .sharedLibrary { o.pie = false }
        return o
    }

    mutating func parseZ(_ z: String) throws(LinkError) {
        switch z {
        case "now": zNow = true
        case "lazy": zNow = false
        case "relro": zRelro = true
        case "pack-relative-relocs": packRelativeRelocs = true
        case "keep-text-section-prefix": keepTextSectionPrefix = true
        case "nokeep-text-section-prefix": keepTextSectionPrefix = false
        case "nopack-relative-relocs": packRelativeRelocs = false
        case "norelro": zRelro = false
        case "execstack": zExecstack = true
        case "noexecstack": zExecstack = false
        case "text": zText = true
        case "notext", "textoff": zText = false
        case "separate-code": zSeparateCode = true
        case "noseparate-code": zSeparateCode = false
        case "origin": zOrigin = true
        case "nodelete": zNodelete = true
        case "initfirst": zInitfirst = true
        case "nodlopen": zNodlopen = true
        case "defs": zDefs = true
        case "undefs": zDefs = false
        case "combreloc", "nocombreloc", "noexecheap", "nocopyreloc", "ibt", "shstk", "cet-report=none",
             "nognustack", "max-page-size=4096",
             "start-stop-visibility=hidden", "rel", "rela",
             "interpose", "muldefs", "nodump", "noextern-protected-data", "dynamic-undefined-weak", "global":
            break
        default:
            if let v = z.dropPrefix("max-page-size=") {
                guard let n = parseNumber(v), n > 0, n & (n - 1) == 0 else { throw LinkError("-z max-page-size: not a power of two: \(v)") }
                maxPageSize = n
            } else if z.hasPrefix("common-page-size=") {
            } else if let v = z.dropPrefix("stack-size=") {
                guard let n = parseNumber(v) else { throw LinkError("-z stack-size: bad number \(v)") }
                zStackSize = n
            } else {
                Diagnostics.shared.warning("unknown -z value: \(z)")
            }
        }
    }
}

extension String {
    func dropPrefix(_ p: String) -> String? { hasPrefix(p) ? String(dropFirst(p.count)) : nil }
}

/// Parses 123, 0x1f, 0o17 and 017 forms as GNU ld does.
func parseNumber(_ s: String) -> UInt64? {
    if s.hasPrefix("0x") || s.hasPrefix("0X") { return UInt64(s.dropFirst(2), radix: 16) }
    if s.count > 1 && s.hasPrefix("0") { return UInt64(s.dropFirst(1), radix: 8) }
    return UInt64(s)
}
