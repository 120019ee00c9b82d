// weld benchmark workload "lld": an ELF-only lld 14 driver, relinked from
// Debian's static liblldELF.a / liblldCommon.a and the libLLVM*.a archives.
//
// lld 14's entry point (lld/Common/Driver.h):
//   bool lld::elf::link(llvm::ArrayRef<const char *> args,
//                       llvm::raw_ostream &stdoutOS, llvm::raw_ostream &stderrOS,
//                       bool exitEarly, bool disableOutput);
#include "lld/Common/Driver.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, const char **argv) {
  llvm::InitLLVM init(argc, argv);
  // Register every target, as the real lld does for LTO inputs. This is what
  // makes the link large: all of LLVM's code generators end up in the output.
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmParsers();
  llvm::InitializeAllAsmPrinters();
  llvm::ArrayRef<const char *> args(argv, argv + argc);
  const bool ok = lld::elf::link(args, llvm::outs(), llvm::errs(),
                                 /*exitEarly=*/true, /*disableOutput=*/false);
  return ok ? 0 : 1;
}
