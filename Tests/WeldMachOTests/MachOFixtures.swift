#if canImport(Glibc)
import Glibc
#endif

/// Builds arm64 Mach-O fixtures with the reference toolchain (clang -target
/// arm64-apple-macos13 and Debian's ld64.lld, see /work/shared/macho/README.md) and reads
/// the parts of a Mach-O the component tests compare. Everything is namespaced here so it
/// cannot collide with other test files of the target.
enum MachOFixtures {
    static let shared = "/work/shared/macho"
    static let clang = "/opt/swift/usr/bin/clang"
    static let ld64 = "/usr/lib/llvm-19/bin/ld64.lld"
    static var available: Bool { access(ld64, X_OK) == 0 && access(clang, X_OK) == 0 && access("\(shared)/sdk", R_OK) == 0 }

    /// Runs a shell command; returns its exit status and standard output.
    @discardableResult
    static func run(_ command: String) -> (status: Int32, output: String) {
        guard let f = popen(command + " 2>&1", "r") else { return (-1, "") }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        let status = pclose(f)
        return ((status >> 8) & 0xFF, String(decoding: out, as: UTF8.self))
    }

    /// A fresh directory under /tmp.
    static func tempDir() -> String {
        var template = Array("/tmp/weld-macho-parts-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(p != nil, "mkdtemp failed")
        return String(cString: p!)
    }

    static func write(_ path: String, _ bytes: [UInt8]) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o755)
        precondition(fd >= 0, "cannot create \(path)")
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                precondition(n > 0)
                done += n
            }
        }
        close(fd)
    }

    static func write(_ path: String, _ text: String) { write(path, Array(text.utf8)) }

    static func read(_ path: String) -> [UInt8] {
        guard let f = fopen(path, "rb") else { return [] }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { return out }
            out += buf[0..<n]
        }
    }

    /// Compiles `source` (C, C++ or assembly, by extension of `name`) to an arm64 Mach-O
    /// object in `dir`; returns its path or nil with the compiler's output.
    static func compile(_ source: String, name: String, in dir: String, flags: String = "-O1") -> String? {
        write("\(dir)/\(name)", source)
        let obj = "\(dir)/\(name).o"
        let r = run("\(clang) -target arm64-apple-macos13 -isysroot \(dir)/no-sdk -Wno-missing-sysroot \(flags) -c \(dir)/\(name) -o \(obj)")
        if r.status != 0 { print(r.output); return nil }
        return obj
    }

    /// Links objects with ld64.lld against the stub SDK; `extra` adds options (`-dylib …`).
    static func link(_ objects: [String], output: String, extra: String = "") -> Bool {
        let r = run("\(ld64) -arch arm64 -platform_version macos 13.0 13.0 -syslibroot \(shared)/sdk -lSystem -o \(output) \(objects.joined(separator: " ")) \(extra)")
        if r.status != 0 { print(r.output) }
        return r.status == 0
    }

    // MARK: - Reading a Mach-O (test-side, independent of the code under test)

    struct Segment { var name: String; var vmaddr: UInt64; var vmsize: UInt64; var fileoff: UInt64; var filesize: UInt64 }
    struct Section { var segment: String; var name: String; var addr: UInt64; var size: UInt64; var offset: UInt32 }

    struct Image {
        var bytes: [UInt8]
        var fileType: UInt32 = 0
        var segments: [Segment] = []
        var sections: [Section] = []
        /// (cmd, dataoff, datasize) of linkedit-data load commands.
        var linkeditData: [UInt32: (offset: Int, size: Int)] = [:]

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
            fileType = u32(12)
            let ncmds = Int(u32(16))
            var off = 32
            for _ in 0..<ncmds {
                let cmd = u32(off), size = Int(u32(off + 4))
                if cmd == 0x19 {
                    let seg = Segment(name: name(off + 8), vmaddr: u64(off + 24), vmsize: u64(off + 32),
                                      fileoff: u64(off + 40), filesize: u64(off + 48))
                    segments.append(seg)
                    let nsects = Int(u32(off + 64))
                    for s in 0..<nsects {
                        let so = off + 72 + s * 80
                        sections.append(Section(segment: name(so + 16), name: name(so), addr: u64(so + 32),
                                                size: u64(so + 40), offset: u32(so + 48)))
                    }
                } else if [0x1d, 0x26, 0x29, 0x8000_0033, 0x8000_0034].contains(cmd) {
                    linkeditData[cmd] = (Int(u32(off + 8)), Int(u32(off + 12)))
                }
                off += size
            }
        }

        func u32(_ o: Int) -> UInt32 { UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24 }
        func u64(_ o: Int) -> UInt64 { UInt64(u32(o)) | UInt64(u32(o + 4)) << 32 }
        func name(_ o: Int) -> String { String(decoding: bytes[o..<o + 16].prefix { $0 != 0 }, as: UTF8.self) }

        func segment(_ n: String) -> Segment? { segments.first { $0.name == n } }
        func section(_ seg: String, _ sect: String) -> Section? { sections.first { $0.segment == seg && $0.name == sect } }
        func data(_ cmd: UInt32) -> [UInt8]? {
            guard let (o, s) = linkeditData[cmd] else { return nil }
            return Array(bytes[o..<o + s])
        }
        func sectionBytes(_ seg: String, _ sect: String) -> [UInt8]? {
            guard let s = section(seg, sect) else { return nil }
            return Array(bytes[Int(s.offset)..<Int(s.offset) + Int(s.size)])
        }
    }

    /// Index of the first differing byte (or the shorter length); -1 when equal. Keeps
    /// failure messages short: `#expect(a == b)` on whole files would print both.
    static func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a == b { return -1 }
        return a.indices.first { $0 >= b.count || a[$0] != b[$0] } ?? a.count
    }

    static let LC_CODE_SIGNATURE: UInt32 = 0x1d
    static let LC_DYLD_EXPORTS_TRIE: UInt32 = 0x8000_0033
    static let LC_DYLD_CHAINED_FIXUPS: UInt32 = 0x8000_0034
}
