// libFuzzer target: @response files. The input is written to a file named `rsp` in a private
// directory (the process's working directory, so `@rsp` inside the file names the file itself,
// and the dictionary offers it) and expanded as the command line `weld @rsp -o out`.
#if canImport(Glibc)
import Glibc
#endif
import WeldCore

nonisolated(unsafe) var responseDirReady = false
nonisolated(unsafe) var responseDir: UnsafeMutablePointer<CChar>? = nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResponse(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    if !responseDirReady {
        var template = Array("/tmp/weld-fuzz-rsp-XXXXXX".utf8CString)
        guard let d = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }), chdir(d) == 0 else {
            fatalError("cannot make a scratch directory")
        }
        responseDir = strdup(d)
        responseDirReady = true
        atexit {
            unlink("rsp")
            if let d = responseDir { rmdir(d) }
        }
    }
    let fd = open("rsp", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if fd < 0 { fatalError("cannot write rsp") }
    var done = 0
    while done < size {
        let n = write(fd, data! + done, size - done)
        if n <= 0 { fatalError("cannot write rsp") }
        done += n
    }
    close(fd)
    var sink = 0
    do {
        let args = try expandResponseFiles(["weld", "@rsp", "-o", "out"])
        for a in args { sink &+= a.utf8.count }
    } catch {
        sink &+= error.message.utf8.count
    }
    if sink == 0x5eed_f00d { print(sink) }
    return 0
}
