import WeldCore
#if canImport(Glibc)
import Glibc
#endif

public let weldVersion = "0.1.0"

/// The GNU ld-compatible entry point: parses the command line, runs the link, reports.
public enum ELFDriver {
    public static func main(_ args: [String], argv0: String) -> Int32 {
        let timer = PhaseTimer.shared
        if args.contains("--version") || args.contains("-version") || args == ["-v"] || args == ["-V"] {
            print("weld \(weldVersion) (compatible with GNU linkers)")
            return 0
        }
        if args.contains("--help") || args.contains("-help") {
            printHelp(argv0)
            return 0
        }
        // Timing must be on before the first phase runs.
        if args.contains(where: { $0.hasPrefix("--time-report") || $0.hasPrefix("-time-report") }) { timer.enabled = true }
        if args.contains(where: { $0.hasPrefix("--time-trace") || $0.hasPrefix("-time-trace") }) { timer.enabled = true; timer.tracing = true }
        let options: Options
        do {
            let t0 = monotonicNanos(), cpu0 = processCPUNanos()
            options = try applyLinkerScripts(Options.parse(args))
            timer.record("option parsing", monotonicNanos() - t0, cpuNanos: processCPUNanos() &- cpu0)
        } catch {
            Diagnostics.shared.error(error.message)
            return 1
        }
        if options.verbose { print("weld \(weldVersion) (compatible with GNU linkers)") }
        if options.inputs.isEmpty && options.verbose { return 0 }
        Diagnostics.shared.fatalWarnings = options.fatalWarnings
        Diagnostics.shared.traceInputs = options.trace
        if options.threads > 0 { Parallel.threadCount = options.threads }
        ProcessExit.defersTeardown = options.defersTeardown
        let status = link(options)
        if let fmt = options.timeReport {
            let report = fmt == .json ? timer.reportJSON() : timer.reportText()
            fputs(report + (report.hasSuffix("\n") ? "" : "\n"), stderr)
        }
        if let trace = options.timeTrace {
            do { try timer.writeChromeTrace(path: trace) } catch { Diagnostics.shared.error(error.message) }
        }
        return status
    }

    static func link(_ options: Options) -> Int32 {
        let ctx = Context(options: options)
        // The context lives until the process exits: freeing hundreds of thousands of
        // sections and symbols one by one would only delay the exit.
        _ = Unmanaged.passRetained(ctx)
        let timer = PhaseTimer.shared
        var output: OutputFile? = nil
        do {
            try timer.phase("open and map inputs") { () throws in try loadInputs(ctx) }
            // A small link is faster on one thread: waking the workers and splitting some 30
            // parallel loops costs more than they save (hello, 5.4 MB of inputs: 4.9 ms at 2
            // threads, 4.2 at 1). `--threads=N` still decides when given.
            if options.threads == 0 && Parallel.threadCount > 1 && MappedFile.totalMappedBytes < smallLinkInputBytes {
                Parallel.threadCount = 1
            }
            ctx.isStatic = !options.pie && !ctx.isShared && ctx.shareds.isEmpty
            try loadVersionScripts(ctx)
            try loadDynamicLists(ctx)
            try loadRetainSymbolsFile(ctx)
            try timer.phase("parse and resolve symbols") { () throws in try resolveSymbols(ctx) }
            try check(ctx)
            try checkVersionScriptSymbols(ctx)
            if ctx.objects.contains(where: { !$0.compressedInputs.isEmpty }) {
                try timer.phase("decompress sections") { () throws in try decompressSections(ctx) }
            }
            if options.outputKind == .relocatable {
                try timer.phase("write relocatable output") { () throws in try linkRelocatable(ctx) }
                return 0
            }
            computeOutputProperties(ctx)
            if let s = ctx.script, s.hasSections { timer.phase("place sections by script") { placeSectionsByScript(ctx, s) } }
            if options.gcSections { garbageCollectSections(ctx) }
            if options.icf != .none { timer.phase("identical code folding") { foldIdenticalCode(ctx) } }
            if let s = ctx.script, s.hasSections {
                timer.phase("create output sections") { createScriptOutputSections(ctx, s) }
            } else {
                timer.phase("create output sections") { createOutputSections(ctx) }
                try timer.phase("order sections") { () throws in try orderSections(ctx) }
            }
            defineLinkerSymbols(ctx)
            if let s = ctx.script { defineScriptSymbols(ctx, s) }
            computePreemption(ctx)
            timer.phase("scan relocations") { scanRelocations(ctx) }
            try check(ctx)
            try timer.phase("synthetic sections") { () throws in
                try synthesize(ctx)
                countDynamicRelocs(ctx)
                if let r = ctx.synth.relaDyn { r.size = UInt64((ctx.synth.staticDynRelocCount + ctx.synth.sectionDynRelocCount) * 24) }
            }
            if ctx.synth.hasTextRelocs && options.zText {
                throw LinkError("relocations against read-only sections would need text relocations (-z text); recompile with -fPIC")
            }
            timer.phase("layout") { layout(ctx) }
            _ = ctx.allocSectionsByName   // create the lazy index now, before threads share it
            timer.phase("finalize symbols") {
                computeOutputSectionTables(ctx)
                finalizeSymbolAddresses(ctx)
                computeSectionAddresses(ctx)
            }
            if let format = options.compressDebugSections {
                try timer.phase("compress debug sections") { () throws in try compressDebugSections(ctx, format) }
            }
            try writeLinkMap(ctx)
            try check(ctx)
            let out = try timer.phase("create output file") { () throws -> OutputFile in
                try OutputFile(path: options.output, size: Int(ctx.fileSize), executable: options.outputKind != .relocatable,
                               spares: options.recyclesOutput ? SpareOutputs.standard() : nil)
            }
            output = out
            timer.phase("release section headers") { releaseSectionHeaders(ctx) }
            timer.phase("prefault output") { out.prefault() }
            try timer.phase("write") { () throws in try writeOutput(ctx, out) }
            try check(ctx)
            if let bid = ctx.synth.buildID {
                timer.phase("build id") {
                    let digest = computeBuildID(options.buildID, over: UnsafeRawBufferPointer(start: out.base, count: out.size))
                    let p = out.base + Int(bid.offset) + 16
                    for (i, b) in digest.enumerated() { p.w8(i, b) }
                }
            }
            try timer.phase("close and rename") { () throws in try out.commit() }
            output = nil
            return 0
        } catch {
            let message = (error as? LinkError)?.message ?? "\(error)"
            if !message.isEmpty { Diagnostics.shared.error(message) }
            output?.discard()
            return 1
        }
    }

    static func check(_ ctx: Context) throws(LinkError) {
        if ctx.diag.hasErrors { throw LinkError("") }
    }

    static func printHelp(_ argv0: String) {
        print("""
        Usage: \(argv0) [options] file...
        weld \(weldVersion): a fast linker (compatible with GNU linkers)
        Options:
          -o FILE                 Set output file name
          -T FILE, --script FILE  Use a linker script (SECTIONS, MEMORY, PHDRS, …); -dT FILE: default script
          -l LIBNAME, -L DIR      Search for library LIBNAME in DIR
          -static, -pie, -no-pie, -shared, -static-pie via -static -pie --no-dynamic-linker
          --threads=N, -j N       Use N threads (default: all cores; one below 12 MB of input)
          --time-report[=json]    Print the time spent in each phase
          --time-trace[=FILE]     Write a Chrome trace of the link
          --no-recycle-output     Always write a new file (default: write into a spare output
                                  kept from an earlier link, if unused; WELD_SPARE_DIR=DIR|off)
          --no-fork               Exit only after the kernel has released the link's memory
          --build-id[=fast|md5|sha1|sha256|uuid|0xHEX|none]
          --eh-frame-hdr, --hash-style=gnu|sysv|both, -z now|lazy|relro|norelro|noexecstack
          --as-needed, --whole-archive, --start-group, --push-state, --wrap=SYM, --defsym=SYM=VAL
        \(argv0): supported targets: elf64-x86-64 elf32-i386 elf32-iamcu elf32-x86-64 pei-i386 pe-x86-64 pei-x86-64 elf64-little elf64-big elf32-little elf32-big srec symbolsrec verilog tekhex binary ihex plugin
        \(argv0): supported emulations: elf_x86_64
        """)
    }
}

/// Output-wide facts from all inputs: the x86 feature bits (AND over every object; IBT is
/// dropped because weld's PLT has no ENDBR64), and whether the stack is executable.
func computeOutputProperties(_ ctx: Context) {
    var features: UInt32? = 0xffff_ffff
    for obj in ctx.objects {
        guard let f = obj.x86Features else { features = nil; break }
        features = features! & f
    }
    if let f = features { ctx.x86Features = f & ~1 }
    ctx.execStack = ctx.options.zExecstack || ctx.objects.contains { $0.hasExecStackNote }
}

/// Reads --version-script files into the patterns that decide what a shared library exports.
func loadVersionScripts(_ ctx: Context) throws(LinkError) {
    for path in ctx.options.versionScripts {
        let f = try MappedFile.open(path)
        let text = String(decoding: f.bytes, as: UTF8.self)
        let vs = try parseVersionScript(text, path: path)
        ctx.globalPatterns += vs.globals
        for node in vs.nodes {
            let index = ctx.versionIndex(named: node.name)
            ctx.versionParents[Int(index) - 2] = node.parents
            ctx.versionPatterns.append((index, node.globals))
            ctx.versionLocalPatterns[index] = node.locals
        }
        for l in vs.locals { if l == "*" { ctx.localAll = true } else { ctx.localPatterns.append(l) } }
    }
    // --default-symver: exported symbols no version node claims get a version named after the
    // library's soname (GNU ld's rule), declared after the script's nodes so theirs win.
    if ctx.options.defaultSymver && ctx.isShared {
        let name = ctx.options.soname ?? String(ctx.options.output.split(separator: "/").last ?? "")
        ctx.versionPatterns.append((ctx.versionIndex(named: name), ["*"]))
    }
}

/// --dynamic-list files (`{ sym; pattern*; };`) and --export-dynamic-symbol names.
func loadDynamicLists(_ ctx: Context) throws(LinkError) {
    var patterns = ctx.options.exportDynamicSymbols
    for path in ctx.options.dynamicLists {
        let f = try MappedFile.open(path)
        patterns += try parseVersionScript(String(decoding: f.bytes, as: UTF8.self), path: path).globals
    }
    ctx.setExportPatterns(patterns)
}

/// Below this much input (all files mapped), a link runs on one thread unless `--threads` says.
let smallLinkInputBytes = 12 << 20
