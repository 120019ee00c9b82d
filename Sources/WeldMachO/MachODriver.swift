#if canImport(Glibc)
import Glibc
#endif
import WeldCore

/// Entry point of the Mach-O flavor: speaks Apple's ld64 command line.
public enum MachODriver {
    public static func main(_ args: [String], argv0: String) -> Int32 {
        fputs("ld64.weld: error: Mach-O linking is not implemented yet\n", stderr)
        return 1
    }
}
