#if canImport(Glibc)
import Glibc
#endif
import WeldCore
import WeldELF
import WeldMachO

// The flavor comes from argv[0] or a leading `-flavor NAME`: ld, ld.weld and weld speak GNU ld
// (ELF); ld64, ld64.weld and `-flavor darwin` speak Apple's ld (Mach-O).
var args = Array(CommandLine.arguments.dropFirst())
let argv0 = CommandLine.arguments.first ?? "weld"
let programName = argv0.split(separator: "/").last.map(String.init) ?? argv0
var flavor = programName.hasPrefix("ld64") ? "darwin" : "gnu"
if args.count >= 2 && args[0] == "-flavor" {
    flavor = args[1]
    args.removeFirst(2)
}
switch flavor {
case "darwin", "darwinnew", "macho", "ld64":
    ProcessExit.exit(MachODriver.main(args, argv0: argv0))
case "gnu", "elf", "ld":
    ProcessExit.exit(ELFDriver.main(args, argv0: argv0))
default:
    fputs("weld: error: unknown flavor '\(flavor)' (expected gnu or darwin)\n", stderr)
    exit(1)
}
