#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// What a file on the command line turned out to be.
enum LoadedInput {
    case object(ObjectFile)
    case archive(ArchiveInput, forceLoad: Bool)
    case dylibs([DylibFile])
}

/// Finds `-lNAME` and `-framework NAME` the way ld64 does: each search directory in turn, and
/// in each a text stub or dylib before a static archive.
struct LibrarySearch {
    var libraryDirs: [String] = []
    var frameworkDirs: [String] = []
    /// -search_dylibs_first: every directory for a dylib or stub before any for an archive.
    var dylibsFirst = false

    init(_ o: Options) {
        let roots = o.syslibroots
        func rooted(_ dirs: [String]) -> [String] {
            var out: [String] = []
            for d in dirs {
                var found = false
                if d.hasPrefix("/") {
                    for r in roots where isDirectory(r + d) { out.append(r + d); found = true }
                }
                if !found || roots.isEmpty { out.append(d) }
            }
            return out
        }
        dylibsFirst = o.searchDylibsFirst
        libraryDirs = rooted(o.libraryPaths)
        frameworkDirs = rooted(o.frameworkPaths)
        if roots.isEmpty {
            libraryDirs += ["/usr/lib", "/usr/local/lib"]
            frameworkDirs += ["/Library/Frameworks", "/System/Library/Frameworks"]
        } else {
            for r in roots {
                libraryDirs += [r + "/usr/lib", r + "/usr/local/lib"]
                frameworkDirs += [r + "/Library/Frameworks", r + "/System/Library/Frameworks"]
            }
        }
    }

    func findLibrary(_ name: String) -> String? {
        if dylibsFirst {
            for candidate in ["lib\(name).tbd", "lib\(name).dylib", "lib\(name).a"] {
                for dir in libraryDirs where fileExists("\(dir)/\(candidate)") { return "\(dir)/\(candidate)" }
            }
            return nil
        }
        for dir in libraryDirs {
            for candidate in ["lib\(name).tbd", "lib\(name).dylib", "lib\(name).a"] where fileExists("\(dir)/\(candidate)") {
                return "\(dir)/\(candidate)"
            }
        }
        return nil
    }

    func findFramework(_ name: String) -> String? {
        for dir in frameworkDirs {
            for candidate in ["\(name).framework/\(name).tbd", "\(name).framework/\(name)"] where fileExists("\(dir)/\(candidate)") {
                return "\(dir)/\(candidate)"
            }
        }
        return nil
    }
}

func isDirectory(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

/// Opens one input and classifies it by its first bytes. Objects are parsed here (this runs in
/// parallel over the command line).
func openInput(_ path: String, forceLoad: Bool) throws(LinkError) -> LoadedInput {
    let f = try MappedFile.open(path)
    var bytes = f.bytes
    if bytes.count >= 8, let b = bytes.baseAddress, UInt32(bigEndian: b.loadUnaligned(as: UInt32.self)) == MachO.fatMagic {
        bytes = try arm64Slice(of: bytes, path: path)
    }
    if Archive.isArchive(bytes) {
        return .archive(ArchiveInput(archive: try Archive.parse(f), path: path), forceLoad: forceLoad)
    }
    if bytes.count >= 16, let b = bytes.baseAddress, b.u32(0) == MachO.magic64 {
        switch b.u32(12) {
        case MachO.mhObject:
            let obj = try ObjectFile(name: path, bytes: bytes)
            var st = stat()
            if stat(path, &st) == 0 { obj.modificationTime = UInt64(max(0, st.st_mtim.tv_sec)) }
            return .object(obj)
        case MachO.mhDylib: return .dylibs([try DylibFile.readBinary(path: path, bytes: bytes)])
        default: throw LinkError("\(path): Mach-O file type \(b.u32(12)) cannot be linked in")
        }
    }
    if path.hasSuffix(".tbd") || startsWith(bytes, "--- !tapi") || startsWith(bytes, "{") {
        return .dylibs(try DylibFile.readTextStub(path: path, bytes: bytes))
    }
    if bytes.count >= 4, let b = bytes.baseAddress, b.u32(0) == 0x0b17_c0de || b.u32(0) == 0xdec0_4342 {
        throw LinkError("\(path): LLVM bitcode (LTO) inputs are not supported")
    }
    throw LinkError("\(path): unknown file type (not a Mach-O object, dylib, archive or .tbd)")
}

/// The arm64 slice of a universal (fat) file.
func arm64Slice(of bytes: UnsafeRawBufferPointer, path: String) throws(LinkError) -> UnsafeRawBufferPointer {
    let b = bytes.baseAddress!
    func be(_ o: Int) -> UInt32 { UInt32(bigEndian: b.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
    let n = Int(be(4))
    guard 8 + n * 20 <= bytes.count else { throw LinkError("\(path): malformed universal file header") }
    for k in 0..<n where be(8 + k * 20) == MachO.cpuTypeARM64 {
        let off = Int(be(8 + k * 20 + 8)), size = Int(be(8 + k * 20 + 12))
        guard off + size <= bytes.count else { throw LinkError("\(path): arm64 slice runs past the end of the file") }
        return UnsafeRawBufferPointer(start: b + off, count: size)
    }
    throw LinkError("\(path): universal file has no arm64 slice")
}

func startsWith(_ bytes: UnsafeRawBufferPointer, _ prefix: String) -> Bool {
    let p = Array(prefix.utf8)
    return bytes.count >= p.count && zip(bytes, p).allSatisfy { $0 == $1 }
}
