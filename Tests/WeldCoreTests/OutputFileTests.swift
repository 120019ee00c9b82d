#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import WeldCore

/// OutputFile in process: the temporary file beside the target, rename on commit, the old
/// output kept on discard, symlinks replaced rather than written through, permissions from the
/// umask, errors that leave nothing behind. Serialized: the process has one live temporary
/// file for its signal handlers. Signals, `ulimit -f` and a full disk are tested end to end in
/// Tests/EndToEndTests/FailureSafetyTests.swift.
@Suite(.serialized) struct OutputFileTests {
    /// The process umask, read without changing it (/proc/self/status, Linux 4.7+).
    func currentUmask() -> mode_t? {
        guard let text = readFile("/proc/self/status").map({ String(decoding: $0, as: UTF8.self) }) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("Umask:") {
            return mode_t(String(line.dropFirst(6).filter { $0 != "\t" && $0 != " " }), radix: 8)
        }
        return nil
    }

    func entries(_ dir: String) -> [String] {
        (runCommand("ls -A '\(dir)'") ?? "").split(separator: "\n").map(String.init).sorted()
    }

    func temps(_ dir: String) -> [String] { entries(dir).filter { $0.contains(".weld-tmp-") } }

    func mode(_ path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
    }

    func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    func fill(_ out: OutputFile, _ byte: UInt8) {
        if out.size > 0 { memset(out.base, Int32(byte), out.size) }
    }

    @Test func writesBesideTheTargetThenRenames() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        let path = dir + "/prog"
        let out = try OutputFile(path: path, size: 8192, executable: true)
        #expect(out.tempPath.hasPrefix(dir + "/.prog.weld-tmp-"))
        #expect(temps(dir).count == 1)
        #expect(!fileExists(path), "nothing at the target before commit")
        fill(out, 0xab)
        try out.commit()
        #expect(readFile(path) == [UInt8](repeating: 0xab, count: 8192))
        #expect(temps(dir).isEmpty)
        #expect(entries(dir) == ["prog"])
    }

    @Test func permissionsFollowTheUmask() throws {
        let mask = try #require(currentUmask())
        let dir = makeTempDir()
        defer { removeTree(dir) }
        let exe = try OutputFile(path: dir + "/exe", size: 16, executable: true)
        try exe.commit()
        #expect(mode(dir + "/exe") == 0o777 & ~mask)
        let data = try OutputFile(path: dir + "/data", size: 16, executable: false)
        try data.commit()
        #expect(mode(dir + "/data") == 0o666 & ~mask)
        // A replaced file gets fresh permissions, not the old file's.
        chmod(dir + "/exe", 0o600)
        let again = try OutputFile(path: dir + "/exe", size: 16, executable: true)
        try again.commit()
        #expect(mode(dir + "/exe") == 0o777 & ~mask)
        #expect(currentUmask() == mask, "the umask is restored after being read")
    }

    @Test func discardKeepsThePreviousOutput() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        let path = dir + "/prog"
        writeFile(path, "previous output\n")
        let out = try OutputFile(path: path, size: 4096, executable: true)
        fill(out, 0xcc)
        out.discard()
        #expect(readFile(path) == Array("previous output\n".utf8))
        #expect(entries(dir) == ["prog"])
    }

    @Test func commitReplacesASymlinkInsteadOfWritingThroughIt() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        writeFile(dir + "/target", "not to be written\n")
        #expect(symlink("target", dir + "/prog") == 0)
        let out = try OutputFile(path: dir + "/prog", size: 64, executable: true)
        #expect(out.tempPath.hasPrefix(dir + "/.prog.weld-tmp-"), "the temporary file is beside the link, not its target")
        fill(out, 0x11)
        try out.commit()
        #expect(!isSymlink(dir + "/prog"))
        #expect(readFile(dir + "/prog") == [UInt8](repeating: 0x11, count: 64))
        #expect(readFile(dir + "/target") == Array("not to be written\n".utf8))
    }

    @Test func emptyOutput() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        let out = try OutputFile(path: dir + "/empty", size: 0, executable: false)
        try out.commit()
        #expect(readFile(dir + "/empty") == [])
        #expect(temps(dir).isEmpty)
    }

    @Test func missingDirectoryIsAnErrorNamingTheOutput() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        #expect {
            _ = try OutputFile(path: dir + "/no/such/dir/prog", size: 64, executable: true)
        } throws: { error in
            (error as? LinkError)?.message.contains(dir + "/no/such/dir/prog") == true
        }
        #expect(entries(dir).isEmpty)
        #expect(OutputFile.liveTempPath == nil, "no cleanup left armed after a failed create")
    }

    @Test func renameOntoADirectoryFailsAndRemovesTheTemporaryFile() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        #expect(mkdir(dir + "/prog", 0o755) == 0)
        writeFile(dir + "/prog/keep", "x")
        let out = try OutputFile(path: dir + "/prog", size: 64, executable: true)
        #expect(throws: LinkError.self) { try out.commit() }
        #expect(temps(dir).isEmpty)
        #expect(readFile(dir + "/prog/keep") == Array("x".utf8))
        #expect(OutputFile.liveTempPath == nil)
    }

    @Test func signalHandlingIsArmed() throws {
        let dir = makeTempDir()
        defer { removeTree(dir) }
        let out = try OutputFile(path: dir + "/prog", size: 64, executable: true)
        defer { out.discard() }
        #expect(OutputFile.liveTempPath.map { String(cString: $0) } == out.tempPath)
        // SIGXFSZ is ignored (`ulimit -f` becomes an EFBIG error); SIGTERM removes the file.
        var old = sigaction()
        sigaction(SIGXFSZ, nil, &old)
        #expect(unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self))
        sigaction(SIGTERM, nil, &old)
        #expect(old.sa_flags & SA_SIGINFO != 0, "SIGTERM should run the cleanup handler")
    }
}
