#if canImport(Glibc)
import Glibc
#endif
import WeldCore
import WeldELF

// The flavor comes from argv[0] or `-flavor`: ld, ld.weld and weld speak GNU ld (ELF).
// ld64.weld will speak Apple's ld once the Mach-O side lands.
let args = CommandLine.arguments
let status = ELFDriver.main(Array(args.dropFirst()), argv0: args.first ?? "weld")
exit(status)
