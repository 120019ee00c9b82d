import WeldCore

/// Reads the `-T` script (or the `-dT` default script when there is no `-T`) and folds what it
/// says about inputs into the options: ENTRY (unless `-e` was given), INPUT/GROUP files after
/// the command line's, SEARCH_DIR directories. The parsed script rides along for layout.
func applyLinkerScripts(_ options: Options) throws(LinkError) -> Options {
    let paths = options.scriptPaths.isEmpty ? options.defaultScriptPath.map { [$0] } ?? [] : options.scriptPaths
    guard !paths.isEmpty else { return options }
    var o = options
    var merged = LinkerScript()
    let searchPaths = o.searchPaths
    for path in paths {
        let file = try openScript(path, searchPaths: searchPaths, beside: nil)
        try parseLinkerScript(file.bytes, path: file.path, into: &merged) { name, loc, sources throws(LinkError) in
            let including = sources.paths[Int(loc.file)]
            let dir = including.lastIndex(of: "/").map { String(including[..<$0]) } ?? "."
            do {
                let f = try openScript(name, searchPaths: searchPaths, beside: dir)
                return (f.bytes, f.path)
            } catch {
                throw sources.error(loc, "cannot open INCLUDE file \(name)")
            }
        }
    }
    if let arch = merged.outputArch, !(arch == "i386:x86-64" || arch == "x86-64" || arch == "x86_64" || arch.hasPrefix("i386:x86-64")) {
        throw LinkError("\(paths[0]): OUTPUT_ARCH(\(arch)) is not x86-64; weld links x86-64")
    }
    // A shared library's ENTRY (GNU ld's default script names _start) is not an error when
    // missing: only executables take the script's entry point.
    if o.entry == nil && o.outputKind == .executable { o.entry = merged.entry }
    o.searchPaths += merged.searchDirs
    o.undefined += merged.externs
    for input in merged.inputs {
        var path = input.path
        if !input.isLibrary && !path.hasPrefix("/") && !fileExists(path) {
            // As GNU ld: beside the script, then in the library search path.
            let script = merged.sources.paths[0]
            let dir = script.lastIndex(of: "/").map { String(script[..<$0]) } ?? "."
            if fileExists(dir + "/" + path) { path = dir + "/" + path }
            else if let found = o.searchPaths.first(where: { fileExists($0 + "/" + path) }) { path = found + "/" + path }
        }
        let kind: InputSpec.Kind = input.isLibrary ? .library(path) : .path(path)
        o.inputs.append(InputSpec(kind: kind, wholeArchive: false, asNeeded: input.asNeeded, staticOnly: o.isStatic))
    }
    o.linkerScript = merged
    return o
}

/// A script file: as named, else beside the including script, else in the library path.
private func openScript(_ name: String, searchPaths: [String], beside: String?) throws(LinkError) -> (bytes: UnsafeRawBufferPointer, path: String) {
    var candidates = [name]
    if !name.hasPrefix("/") {
        if let b = beside { candidates.append(b + "/" + name) }
        candidates += searchPaths.map { $0 + "/" + name }
    }
    for c in candidates where fileExists(c) {
        let f = try MappedFile.open(c)
        _ = Unmanaged.passRetained(f)    // scripts live for the whole link, like every input
        return (f.bytes, c)
    }
    throw LinkError("cannot open linker script file \(name)")
}

