#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// Entry point of the Mach-O flavor: speaks Apple's ld64 command line.
public enum MachODriver {
    public static func main(_ args: [String], argv0: String) -> Int32 {
        let timer = PhaseTimer.shared
        Diagnostics.shared.programName = "ld64.weld"
        if args.contains("-v") && args.count == 1 || args.contains("-version_details") {
            print("@(#)PROGRAM:ld  PROJECT:weld-0.1.0 (compatible with Apple ld64)\nconfigured to support archs: arm64")
            return 0
        }
        if args.contains(where: { $0.hasPrefix("--time-report") || $0 == "-time-report" }) { timer.enabled = true }
        if args.contains(where: { $0.hasPrefix("--time-trace") }) { timer.enabled = true; timer.tracing = true }
        let options: Options
        do {
            let t0 = monotonicNanos(), cpu0 = processCPUNanos()
            options = try Options.parse(args)
            timer.record("option parsing", monotonicNanos() - t0, cpuNanos: processCPUNanos() &- cpu0)
        } catch {
            Diagnostics.shared.error(error.message)
            return 1
        }
        if options.verbose { print("@(#)PROGRAM:ld  PROJECT:weld-0.1.0 (compatible with Apple ld64)") }
        if options.inputs.isEmpty {
            Diagnostics.shared.error("no input files")
            return 1
        }
        if options.threads > 0 { Parallel.threadCount = options.threads }
        let status = link(options)
        if let fmt = options.timeReport {
            let report = fmt == .json ? timer.reportJSON() : timer.reportText()
            fputs(report + (report.hasSuffix("\n") ? "" : "\n"), stderr)
        }
        if let trace = options.timeTrace {
            do { try timer.writeChromeTrace(path: trace.isEmpty ? options.output + ".time-trace.json" : trace) }
            catch { Diagnostics.shared.error(error.message) }
        }
        return status
    }

    static func link(_ options: Options) -> Int32 {
        let ctx = LinkContext(options: options)
        _ = Unmanaged.passRetained(ctx)   // lives until exit: no teardown cost
        let timer = PhaseTimer.shared
        var output: OutputFile? = nil
        do {
            try timer.phase("load and resolve inputs") { () throws in try loadAndResolve(ctx) }
            try finishResolution(ctx)
            markExports(ctx)
            if options.deadStrip { timer.phase("dead strip") { deadStrip(ctx) } }
            pruneFDEs(ctx)
            timer.phase("merge literals") {
                mergeLiterals(ctx)
                mergeCIEs(ctx)
            }
            timer.phase("scan relocations") { scanRelocations(ctx) }
            try check(ctx)
            assignDylibOrdinals(ctx)
            try timer.phase("layout") { () throws in
                try layoutOutput(ctx)
                try planThunks(ctx)
            }
            let unwind = try timer.phase("unwind info") { () throws -> UnwindInfo? in try buildUnwindInfo(ctx) }
            let fixups = timer.phase("collect fixups") { collectFixups(ctx) }
            let dyld = try timer.phase("dyld info") { () throws in try buildDyldInfo(ctx, fixups) }
            let symtab = timer.phase("symbol table") { buildSymbolTable(ctx) }
            let functionStarts = options.noFunctionStarts ? [] : buildFunctionStarts(ctx)
            // __LINKEDIT, in lld's order.
            var le = LinkEditPlan()
            var off = ctx.layout.linkeditOffset
            func place(_ size: Int) -> (UInt64, UInt64) {
                let at = off
                off += UInt64(size)
                return (at, UInt64(size))
            }
            le.rebase = place(dyld.rebase.count)
            le.bind = place(dyld.bind.count)
            le.weakBind = place(dyld.weakBind.count)
            le.lazyBind = place(dyld.lazyBind.count)
            le.chainedFixups = place(dyld.chainedSize)
            le.exportsTrie = place(dyld.exportsTrie.count)
            le.functionStarts = place(functionStarts.count)
            le.dataInCode = place(0)
            le.symtab = (off, symtab.count); off += UInt64(symtab.nlists.count)
            le.indirect = (off, symtab.indirectCount); off += UInt64(symtab.indirect.count)
            le.strtab = place(symtab.strings.count)
            le.localCount = symtab.localCount; le.externalCount = symtab.externalCount; le.undefinedCount = symtab.undefinedCount
            var signature: AdHocCodeSignature? = nil
            if options.adhocCodesign {
                off = alignUp(off, UInt64(AdHocCodeSignature.alignment))
                let text = ctx.layout.segments.first { $0.name == "__TEXT" }!
                let identifier = options.output.split(separator: "/").last.map(String.init) ?? options.output
                let sig = AdHocCodeSignature(identifier: identifier, codeLimit: Int(off), execSegmentBase: text.fileoff,
                                             execSegmentLimit: text.filesize, isMainBinary: options.isExecutable)
                le.codeSignature = place(sig.size)
                signature = sig
            }
            let fileSize = off
            if let i = ctx.layout.segments.firstIndex(where: { $0.name == "__LINKEDIT" }) {
                ctx.layout.segments[i].filesize = fileSize - ctx.layout.linkeditOffset
                ctx.layout.segments[i].vmsize = alignUp(ctx.layout.segments[i].filesize, MachO.pageSize)
            }
            var uuidOffset = -1
            let header = buildHeaderAndLoadCommands(ctx, le, uuidOffset: &uuidOffset)
            try check(ctx)
            if let map = options.mapFile { try writeMapFile(ctx, map) }

            let out = try timer.phase("create output file") { () throws -> OutputFile in
                try OutputFile(path: options.output, size: Int(fileSize), executable: true)
            }
            output = out
            // One batched fault per 4 MiB chunk instead of a trap per page while copying.
            timer.phase("prefault output") { out.prefault() }
            let base = out.base
            try timer.phase("write") { () throws in
                header.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                writeSections(ctx, base)
                if let unwind, let sec = ctx.layout.unwindInfo {
                    try finalUnwindInfo(ctx, unwind, output: base).write(into: base + Int(sec.fileOffset))
                }
                try writeFixupChains(dyld, base, payloadOffset: le.chainedFixups.offset)
                func put(_ bytes: [UInt8], at o: UInt64) {
                    if !bytes.isEmpty { bytes.withUnsafeBytes { (base + Int(o)).copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
                }
                put(dyld.rebase, at: le.rebase.offset)
                put(dyld.bind, at: le.bind.offset)
                put(dyld.weakBind, at: le.weakBind.offset)
                put(dyld.lazyBind, at: le.lazyBind.offset)
                put(dyld.exportsTrie, at: le.exportsTrie.offset)
                put(functionStarts, at: le.functionStarts.offset)
                put(symtab.nlists.bytes, at: le.symtab.offset)
                put(symtab.indirect.bytes, at: le.indirect.offset)
                put(symtab.strings.bytes, at: le.strtab.offset)
            }
            try check(ctx)
            if uuidOffset >= 0 {
                timer.phase("uuid") { writeUUID(base, uuidOffset: uuidOffset, hashedSize: Int(signature.map { UInt64($0.codeLimit) } ?? fileSize)) }
            }
            // libcrypto's SHA-256 (SHA-NI where the CPU has it) is ≈ 4× the portable Swift one.
            if let signature { timer.phase("code signature") { signature.write(into: base, using: LibCryptoSHA256.self) } }
            try timer.phase("close and rename") { () throws in try out.commit() }
            output = nil
            if let info = options.dependencyInfo { try writeDependencyInfo(ctx, info) }
            return 0
        } catch {
            let message = (error as? LinkError)?.message ?? "\(error)"
            if !message.isEmpty { Diagnostics.shared.error(message) }
            output?.discard()
            return 1
        }
    }

    static func check(_ ctx: LinkContext) throws(LinkError) {
        if ctx.diag.hasErrors { throw LinkError("") }
    }
}
