import WeldCore
import Dispatch

/// Finds, maps and classifies every input named on the command line (following linker
/// scripts such as glibc's libc.so), in command-line order. Each mapping is prefetched on a
/// background queue as soon as it is opened, so the kernel reads ahead while the rest of the
/// command line is still being processed.
func loadInputs(_ ctx: Context) throws(LinkError) {
    let o = ctx.options
    var priority: Int64 = 0
    var searchPaths = o.searchPaths.map { withSysroot($0, o.sysroot) }
    var seenScripts = 0
    var loadedPaths = Set<String>()
    var loadedArchives = Set<String>()
    var pendingArchives: [(MappedFile, Int64, Bool)] = []
    var spanStart = monotonicNanos()

    func open(_ path: String) throws(LinkError) -> MappedFile {
        try Prefetcher.shared.take(path)
    }

    func findLibrary(_ name: String, staticOnly: Bool) -> String? {
        if name.hasPrefix(":") {
            let file = String(name.dropFirst())
            for dir in searchPaths where fileExists(dir + "/" + file) { return dir + "/" + file }
            return nil
        }
        for dir in searchPaths {
            if !staticOnly && !ctx.options.isStatic {
                let so = dir + "/lib" + name + ".so"
                if fileExists(so) { return so }
            }
            let a = dir + "/lib" + name + ".a"
            if fileExists(a) { return a }
        }
        return nil
    }

    func add(path: String, spec: InputSpec, fromScript: String?) throws(LinkError) {
        let file: MappedFile
        do { file = try open(path) } catch {
            if let s = fromScript { throw LinkError("\(s): cannot open \(path) (named by this linker script): \(error.message.split(separator: ":").last.map { String($0).trimmingCharacters() } ?? "")") }
            throw error
        }
        priority += 1 << 24
        if ctx.options.trace { print(path) }
        let bytes = file.bytes
        if spec.binary {
            ctx.objects.append(binaryInputObject(path: path, contents: bytes, priority: priority))
            return
        }
        if bytes.count >= 4 && file.base.u32(0) == 0x464c_457f {
            let type = bytes.count >= 18 ? file.base.u16(16) : 0
            if type == ET.rel {
                let obj = ObjectFile(displayName: path, base: file.base, size: file.size, priority: priority, isFromArchive: false)
                ctx.objects.append(obj)
            } else if type == ET.dyn {
                if ctx.options.isStatic { throw LinkError("\(path): attempted static link of a shared library") }
                // The same library named twice (e.g. via -lc and libc.so's GROUP) loads once.
                if loadedPaths.contains(path) { return }
                loadedPaths.insert(path)
                ctx.shareds.append(SharedFile(path: path, base: file.base, size: file.size, priority: priority, asNeeded: spec.asNeeded))
            } else {
                throw LinkError("\(path): unsupported ELF file type \(type) (expected a relocatable object or a shared library)")
            }
        } else if Archive.isArchive(bytes) {
            // An archive named again (drivers repeat -lgcc, -lc, swiftc repeats -lswiftCore
            // after the group) adds nothing: its members offer the same names at a later
            // priority, and resolution takes the earliest offer. Parsing it and interning its
            // symbol table again cost the swift workload 26,000 names. Only a repeat under
            // --whole-archive loads anything.
            if !spec.wholeArchive && !loadedArchives.insert(path).inserted { return }
            // Parsed later, all archives in parallel.
            pendingArchives.append((file, priority, spec.wholeArchive))
        } else if looksLikeLinkerScript(bytes) {
            seenScripts += 1
            if seenScripts > 64 { throw LinkError("\(path): too many nested linker scripts") }
            let script = try parseLibraryScript(bytes, path: path)
            searchPaths.append(contentsOf: script.searchDirs.map { withSysroot($0, o.sysroot) })
            for input in script.inputs {
                var sub = spec
                sub.asNeeded = spec.asNeeded || input.asNeeded
                if input.isLibrary {
                    guard let found = findLibrary(input.path, staticOnly: spec.staticOnly) else {
                        throw LinkError("\(path): unable to find library -l\(input.path) (named by this linker script)")
                    }
                    try add(path: found, spec: sub, fromScript: path)
                } else {
                    var p = input.path
                    // GNU ld: an absolute path in a script found in the sysroot is prefixed with it;
                    // a relative one is looked up beside the script, then in the search path.
                    if p.hasPrefix("/") { p = withSysroot("=" + p, o.sysroot) }
                    else if !fileExists(p) {
                        let dir = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
                        if fileExists(dir + "/" + p) { p = dir + "/" + p }
                        else if let f = searchPaths.first(where: { fileExists($0 + "/" + p) }) { p = f + "/" + p }
                    }
                    try add(path: p, spec: sub, fromScript: path)
                }
            }
        } else if bytes.count == 0 {
            throw LinkError("\(path): file is empty")
        } else {
            throw LinkError("\(path): unknown file type (not an ELF object, archive, shared library or linker script)")
        }
    }

    for spec in o.inputs {
        switch spec.kind {
        case .path(let p):
            try add(path: p, spec: spec, fromScript: nil)
        case .library(let name):
            guard let path = findLibrary(name, staticOnly: spec.staticOnly) else {
                throw LinkError("unable to find library -l\(name)")
            }
            try add(path: path, spec: spec, fromScript: nil)
        }
    }
    PhaseTimer.shared.endSpan("open: map and identify files", since: spanStart); spanStart = monotonicNanos()
    let parsed: [Result<Archive, LinkError>] = Parallel.map(pendingArchives.count) { i in
        do { return .success(try Archive.parse(pendingArchives[i].0)) } catch { return .failure(error as? LinkError ?? LinkError("\(error)")) }
    }
    for (i, r) in parsed.enumerated() {
        switch r {
        case .success(let ar): ctx.archives.append(ArchiveInput(archive: ar, priority: pendingArchives[i].1, wholeArchive: pendingArchives[i].2))
        case .failure(let e): throw e
        }
    }
    PhaseTimer.shared.endSpan("open: archive symbol tables and members", since: spanStart)
    if ctx.objects.isEmpty && ctx.archives.isEmpty && ctx.shareds.isEmpty { throw LinkError("no input files") }
    if let json = o.packageMetadata { ctx.objects.append(packageMetadataObject(json, priority: priority + 1 << 24)) }
}

/// `=dir` and `$SYSROOT/dir` name a directory inside the sysroot.
func withSysroot(_ p: String, _ sysroot: String) -> String {
    if p.hasPrefix("=") { return sysroot + String(p.dropFirst()) }
    if p.hasPrefix("$SYSROOT") { return sysroot + String(p.dropFirst(8)) }
    return p
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
