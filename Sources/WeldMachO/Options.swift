import WeldCore

/// The ld64 (Apple ld) command line, as clang and swiftc pass it.
struct Options {
    enum OutputKind { case executable, dylib, bundle }
    enum UndefinedTreatment { case error, warning, suppress, dynamicLookup }
    enum TimeReportFormat { case text, json }

    /// One input in command-line order: a file, a `-l`/`-framework` to search for, or a
    /// `-force_load`ed archive. `weak`/`reexport`/`needed` apply to dylibs.
    struct Input {
        enum Kind { case path(String), library(String), framework(String) }
        var kind: Kind
        var forceLoad = false
        var weak = false
        var reexport = false
        var needed = false       // -needed-l / -needed_framework: kept by -dead_strip_dylibs
    }

    var output = "a.out"
    var outputKind = OutputKind.executable
    var arch = "arm64"
    var platform: UInt32 = MachO.platformMacOS
    var minOS: UInt32 = 0x000d_0000     // 13.0 when -platform_version is missing
    var sdkVersion: UInt32 = 0x000d_0000
    var sawPlatformVersion = false
    var syslibroots: [String] = []
    var libraryPaths: [String] = []
    var frameworkPaths: [String] = []
    var inputs: [Input] = []
    var entry: String? = nil
    var installName: String? = nil
    var currentVersion: UInt32 = 0x1_0000
    var compatibilityVersion: UInt32 = 0x1_0000
    var rpaths: [String] = []
    var deadStrip = false
    var deadStripDylibs = false
    var orderFile: String? = nil
    var exportedSymbols: [String] = []          // patterns (exact names or globs)
    var unexportedSymbols: [String] = []
    var hasExportList = false
    var undefined = UndefinedTreatment.error
    var dynamicUndefineds: [String] = []         // -U
    var allLoad = false
    var objC = false
    var mapFile: String? = nil
    var whyLive: [String] = []
    var adhocCodesign = true
    var headerpad: UInt64 = 32
    var headerpadMaxInstallNames = false
    var fixupChains: Bool? = nil                 // nil: by deployment target
    var noUUID = false
    var threads = 0
    var timeReport: TimeReportFormat? = nil
    var timeTrace: String? = nil
    var verbose = false
    var printStatistics = false
    var dependencyInfo: String? = nil
    var stackSize: UInt64 = 0
    var exportDynamic = false
    var reproducible = false
    var noImplicitDylibs = false
    var noLOH = false                            // -no_loh: keep adrp pairs as compiled
    var noFunctionStarts = false
    var bindAtLoad = false                       // classic dyld info without lazy binding
    var deadStrippableDylib = false
    var applicationExtension = false
    var searchDylibsFirst = false
    var initSymbol: String? = nil                // -init: an initializer that runs first
    var stripLocals = false                      // -x: no local symbols in the symbol table
    var pagezeroSize: UInt64 = 0x1_0000_0000
    var sectionAlignments: [(segment: String, section: String, log2: UInt8)] = []   // -sectalign
    var forcedUndefined: [String] = []           // -u: pulled from archives as if referenced
    var aliases: [(symbol: String, alias: String)] = []   // -alias
    /// -sectcreate SEGMENT SECTION FILE: a section holding a file's bytes (Info.plist, ...).
    var createdSections: [(segment: String, section: String, path: String)] = []
    var stripDebugMap = false                   // -S: no debug map stabs

    /// Options accepted for compatibility that change nothing weld writes (clang passes them on
    /// every link, or they only affect LTO, which weld does not do).
    static let accepted0: Set<String> = [
        "-demangle", "-dynamic", "-no_deduplicate", "-no_warn_duplicate_libraries",
        "-no_application_extension", "-pie", "-execute", "-warn_commons",
        "-merge_zero_fill_sections",   // zero-fill sections always come last in their segment
        "-no_branch_islands", "-ld_classic", "-ld64", "-ld_new",
        "-search_paths_first", "-twolevel_namespace",
        "-no_objc_category_merging", "-objc_category_merging",
        "-dead_strip_dylibs_if_unused", "-no_uuid_warning", "-data_const", "-no_warn_inits",
    ]
    /// Options with one argument that weld accepts and ignores, with the reason in the comment.
    static let accepted1: Set<String> = [
        "-mllvm",            // LLVM options for LTO code generation: weld does not do LTO
        "-lto_library",      // same
        "-object_path_lto",  // same
        "-cache_path_lto",
        "-add_ast_path",     // debugger module paths; only a debug-map stab in ld64
        "-oso_prefix",
        "-sdk_version",
        "-source_version",
        "-framework_search_path",
        "-objc_abi_version",
        "-executable_path",
        "-max_default_common_align",
        "-bundle_loader",
        "-multiply_defined",
    ]

    /// ld64 options weld does not implement yet, with how many arguments each takes: they are
    /// reported and their arguments skipped (so `-segprot __DATA rw rw` never turns `__DATA`
    /// into an input file).
    static let unsupported: [String: Int] = [
        "-alias_list": 1, "-segprot": 3,
        "-image_base": 1, "-seg1addr": 1, "-segaddr": 2, "-dylib_file": 1,
        "-allowable_client": 1, "-client_name": 1, "-umbrella": 1, "-sub_library": 1,
        "-sub_umbrella": 1, "-final_output": 1, "-read_only_relocs": 1, "-interposable_list": 1,
        "-exported_symbols_order": 1, "-sect_diff_relocs": 1, "-weak_reference_mismatches": 1,
        "-order_file_statistics": 0, "-no_pie": 0, "-flat_namespace": 0, "-interposable": 0,
        "-force_flat_namespace": 0, "-prebind": 0, "-no_eh_labels": 0, "-warn_stabs": 0,
        "-dtrace": 1, "-reexported_symbols_list": 1,
        "-unexported_symbols_order": 1, "-rename_section": 4, "-rename_segment": 2,
        "-move_to_rw_segment": 2, "-move_to_ro_segment": 2, "-bitcode_bundle": 0,
    ]

    static func parse(_ rawArgs: [String]) throws(LinkError) -> Options {
        let args = try expandResponseFiles(rawArgs)
        var o = Options()
        var i = 0
        func value(_ name: String) throws(LinkError) -> String {
            i += 1
            guard i < args.count else { throw LinkError("\(name): missing argument") }
            return args[i]
        }
        func version(_ s: String, _ what: String) throws(LinkError) -> UInt32 {
            guard let v = parseVersion(s) else { throw LinkError("\(what): malformed version '\(s)'") }
            return v
        }
        while i < args.count {
            let arg = args[i]
            defer { i += 1 }
            if !arg.hasPrefix("-") || arg == "-" {
                o.inputs.append(Input(kind: .path(arg)))
                continue
            }
            // GNU-style long options weld shares with its ELF flavor.
            if arg.hasPrefix("--threads=") {
                guard let n = Int(arg.dropFirst(10)), n > 0 else { throw LinkError("\(arg): expected a positive thread count") }
                o.threads = n; continue
            }
            if arg == "--time-report" || arg == "-time-report" || arg == "--time-report=text" { o.timeReport = .text; continue }
            if arg == "--time-report=json" { o.timeReport = .json; continue }
            if arg.hasPrefix("--time-trace") {
                if let eq = arg.firstIndex(of: "=") { o.timeTrace = String(arg[arg.index(after: eq)...]) } else { o.timeTrace = "" }
                continue
            }
            switch arg {
            case "-o": o.output = try value(arg)
            case "-arch":
                o.arch = try value(arg)
                if o.arch != "arm64" { throw LinkError("-arch \(o.arch): unsupported architecture; weld links arm64 only") }
            case "-platform_version":
                let p = try value(arg)
                switch p {
                case "macos", "1": o.platform = MachO.platformMacOS
                default: throw LinkError("-platform_version \(p): unsupported platform; weld links macos only")
                }
                o.minOS = try version(try value(arg), "-platform_version")
                o.sdkVersion = try version(try value(arg), "-platform_version")
                o.sawPlatformVersion = true
            case "-macosx_version_min", "-macos_version_min":
                o.minOS = try version(try value(arg), arg)
                if !o.sawPlatformVersion { o.sdkVersion = o.minOS }
            case "-syslibroot": o.syslibroots.append(try value(arg))
            case "-L": o.libraryPaths.append(try value(arg))
            case "-F": o.frameworkPaths.append(try value(arg))
            case "-l": o.inputs.append(Input(kind: .library(try value(arg))))
            case "-framework": o.inputs.append(Input(kind: .framework(try value(arg))))
            case "-needed_framework": o.inputs.append(Input(kind: .framework(try value(arg)), needed: true))
            case "-weak_framework": o.inputs.append(Input(kind: .framework(try value(arg)), weak: true))
            case "-reexport_framework": o.inputs.append(Input(kind: .framework(try value(arg)), reexport: true))
            case "-weak_library": o.inputs.append(Input(kind: .path(try value(arg)), weak: true))
            case "-reexport_library": o.inputs.append(Input(kind: .path(try value(arg)), reexport: true))
            case "-needed_library": o.inputs.append(Input(kind: .path(try value(arg)), needed: true))
            case "-force_load": o.inputs.append(Input(kind: .path(try value(arg)), forceLoad: true))
            case "-filelist":
                let spec = try value(arg)
                var path = spec, dir: String? = nil
                if let comma = spec.lastIndex(of: ",") { path = String(spec[..<comma]); dir = String(spec[spec.index(after: comma)...]) }
                for line in try readLines(path, what: "-filelist") {
                    o.inputs.append(Input(kind: .path(dir.map { "\($0)/\(line)" } ?? line)))
                }
            case "-e": o.entry = try value(arg)
            case "-reproducible": o.reproducible = true
            case "-no_implicit_dylibs": o.noImplicitDylibs = true
            case "-no_loh": o.noLOH = true
            case "-no_function_starts": o.noFunctionStarts = true
            case "-bind_at_load": o.bindAtLoad = true
            case "-mark_dead_strippable_dylib": o.deadStrippableDylib = true
            case "-application_extension": o.applicationExtension = true
            case "-search_dylibs_first": o.searchDylibsFirst = true
            case "-init": o.initSymbol = try value(arg)
            case "-fatal_warnings": Diagnostics.shared.fatalWarnings = true
            case "-w": Diagnostics.shared.suppressWarnings = true
            case "-no_data_const", "-no_compact_unwind", "-keep_dwarf_unwind", "-no_keep_dwarf_unwind":
                Diagnostics.shared.warning("\(arg) is not supported yet; ignored")
            case "-x": o.stripLocals = true
            case "-pagezero_size":
                let v = try value(arg)
                guard let n = UInt64(v.hasPrefix("0x") ? String(v.dropFirst(2)) : v, radix: 16), n % MachO.pageSize == 0 else {
                    throw LinkError("-pagezero_size: '\(v)' is not a hexadecimal multiple of 16 KiB")
                }
                o.pagezeroSize = n
            case "-sectalign":
                let seg = try value(arg), sect = try value(arg), v = try value(arg)
                guard let n = UInt64(v.hasPrefix("0x") ? String(v.dropFirst(2)) : v, radix: 16), n > 0, n & (n - 1) == 0, n <= 0x8000 else {
                    throw LinkError("-sectalign \(seg) \(sect): '\(v)' is not a hexadecimal power of two up to 0x8000")
                }
                o.sectionAlignments.append((seg, sect, UInt8(n.trailingZeroBitCount)))
            case "-u": o.forcedUndefined.append(try value(arg))
            case "-alias":
                let symbol = try value(arg), alias = try value(arg)
                o.aliases.append((symbol, alias))
            case "-sectcreate", "-segcreate":
                let seg = try value(arg), sect = try value(arg), path = try value(arg)
                o.createdSections.append((seg, sect, path))
            case "-export_dynamic": o.exportDynamic = true
            case "-S": o.stripDebugMap = true
            case "-dylib": o.outputKind = .dylib
            case "-bundle": o.outputKind = .bundle
            case "-execute": o.outputKind = .executable
            case "-r": throw LinkError("-r (relocatable output) is not supported yet")
            case "-static": throw LinkError("-static is not supported (arm64 macOS programs are dynamic)")
            case "-install_name", "-dylib_install_name": o.installName = try value(arg)
            case "-current_version", "-dylib_current_version": o.currentVersion = try version(try value(arg), arg)
            case "-compatibility_version", "-dylib_compatibility_version": o.compatibilityVersion = try version(try value(arg), arg)
            case "-rpath": o.rpaths.append(try value(arg))
            case "-dead_strip": o.deadStrip = true
            case "-no_dead_strip": o.deadStrip = false
            case "-dead_strip_dylibs": o.deadStripDylibs = true
            case "-order_file": o.orderFile = try value(arg)
            case "-exported_symbols_list":
                o.exportedSymbols += try readLines(try value(arg), what: arg); o.hasExportList = true
            case "-exported_symbol": o.exportedSymbols.append(try value(arg)); o.hasExportList = true
            case "-unexported_symbols_list": o.unexportedSymbols += try readLines(try value(arg), what: arg)
            case "-unexported_symbol": o.unexportedSymbols.append(try value(arg))
            case "-undefined":
                switch try value(arg) {
                case "error": o.undefined = .error
                case "warning": o.undefined = .warning
                case "suppress": o.undefined = .suppress
                case "dynamic_lookup": o.undefined = .dynamicLookup
                case let v: throw LinkError("-undefined \(v): expected error, warning, suppress or dynamic_lookup")
                }
            case "-U": o.dynamicUndefineds.append(try value(arg))
            case "-all_load": o.allLoad = true
            case "-noall_load": o.allLoad = false
            case "-ObjC": o.objC = true
            case "-map": o.mapFile = try value(arg)
            case "-why_live": o.whyLive.append(try value(arg))
            case "-adhoc_codesign": o.adhocCodesign = true
            case "-no_adhoc_codesign": o.adhocCodesign = false
            case "-headerpad":
                let v = try value(arg)
                guard let n = UInt64(v.hasPrefix("0x") ? String(v.dropFirst(2)) : v, radix: 16) else {
                    throw LinkError("-headerpad: malformed size '\(v)' (hexadecimal)")
                }
                o.headerpad = n
            case "-headerpad_max_install_names": o.headerpadMaxInstallNames = true
            case "-fixup_chains": o.fixupChains = true
            case "-no_fixup_chains": o.fixupChains = false
            case "-no_uuid": o.noUUID = true
            case "-threads", "-j":
                let v = try value(arg)
                guard let n = Int(v), n > 0 else { throw LinkError("\(arg) \(v): expected a positive thread count") }
                o.threads = n
            case "-v": o.verbose = true
            case "-print_statistics": o.printStatistics = true
            case "-dependency_info": o.dependencyInfo = try value(arg)
            case "-stack_size":
                let v = try value(arg)
                guard let n = UInt64(v.hasPrefix("0x") ? String(v.dropFirst(2)) : v, radix: 16) else {
                    throw LinkError("-stack_size: malformed size '\(v)' (hexadecimal)")
                }
                o.stackSize = n
            default:
                if accepted0.contains(arg) { break }
                if accepted1.contains(arg) { _ = try value(arg); break }
                if let arity = unsupported[arg] {
                    var operands: [String] = []
                    for _ in 0..<arity { operands.append(try value(arg)) }
                    Diagnostics.shared.warning("\(arg)\(operands.isEmpty ? "" : " " + operands.joined(separator: " ")) is not supported yet; ignored")
                    break
                }
                // Prefix forms, after every exact name (-lto_library is not -l to_library).
                if arg.hasPrefix("-l") && arg.count > 2 { o.inputs.append(Input(kind: .library(String(arg.dropFirst(2))))); break }
                if arg.hasPrefix("-L") && arg.count > 2 { o.libraryPaths.append(String(arg.dropFirst(2))); break }
                if arg.hasPrefix("-F") && arg.count > 2 { o.frameworkPaths.append(String(arg.dropFirst(2))); break }
                if arg.hasPrefix("-weak-l") { o.inputs.append(Input(kind: .library(String(arg.dropFirst(7))), weak: true)); break }
                if arg.hasPrefix("-reexport-l") { o.inputs.append(Input(kind: .library(String(arg.dropFirst(11))), reexport: true)); break }
                if arg.hasPrefix("-needed-l") { o.inputs.append(Input(kind: .library(String(arg.dropFirst(9))), needed: true)); break }
                if arg.hasPrefix("-hidden-l") { o.inputs.append(Input(kind: .library(String(arg.dropFirst(9))))); break }
                if arg.hasPrefix("-mllvm") || arg.hasPrefix("-flto") { break }
                // Unknown options are reported, never silently obeyed or dropped without a word.
                Diagnostics.shared.warning("ignoring unknown option: \(arg)")
            }
        }
        if o.outputKind == .dylib && o.installName == nil {
            o.installName = o.output
        }
        return o
    }

    /// The deployment target decides between chained fixups and classic dyld info, as ld64 does
    /// (macOS 12 and later: chained fixups).
    var useChainedFixups: Bool { fixupChains ?? (minOS >= 0x000c_0000) }

    var isExecutable: Bool { outputKind == .executable }

    /// Initializers as __TEXT,__init_offsets (32-bit offsets) instead of __mod_init_func
    /// pointers: Apple's linker does this for macOS 13 and later with chained fixups.
    var useInitOffsets: Bool { useChainedFixups && minOS >= 0x000d_0000 }
}

/// Parses `X[.Y[.Z]]` into the packed xxxx.yy.zz form Mach-O uses.
func parseVersion(_ s: String) -> UInt32? {
    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
    guard !parts.isEmpty, parts.count <= 3 else { return nil }
    var v: [UInt32] = []
    for p in parts {
        guard let n = UInt32(p) else { return nil }
        v.append(n)
    }
    while v.count < 3 { v.append(0) }
    guard v[0] <= 0xffff, v[1] <= 0xff, v[2] <= 0xff else { return nil }
    return v[0] << 16 | v[1] << 8 | v[2]
}

func formatVersion(_ v: UInt32) -> String { "\(v >> 16).\((v >> 8) & 0xff).\(v & 0xff)" }

/// Lines of a symbol list or order file: `#` comments and blank lines dropped, spaces trimmed.
func readLines(_ path: String, what: String) throws(LinkError) -> [String] {
    let f: MappedFile
    do { f = try MappedFile.open(path) } catch { throw LinkError("\(what): \(error.message)") }
    let text = String(decoding: f.bytes, as: UTF8.self)
    var out: [String] = []
    for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
        var l = Substring(line)
        if let hash = l.firstIndex(of: "#") { l = l[..<hash] }
        let t = l.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" })
        let s = String(t.reversed())
        if !s.isEmpty { out.append(s) }
    }
    return out
}
