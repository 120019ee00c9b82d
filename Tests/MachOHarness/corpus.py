#!/usr/bin/env python3
"""The Mach-O corpus (Tests/Fixtures/macho/*/program.txt): build each program for arm64 macOS,
link it with a linker under test, run it under emulation, and check it.

  corpus.py list
  corpus.py native [--update] [NAME...]     build natively on Linux; compare with (or --update)
                                            expected.stdout / expected.status
  corpus.py check [--linker CMD] [--reference CMD] [--determinism] [--jobs N] [--link-flags F]
                  --work DIR [NAME...]
                                            one JSON object per program on stdout: the linker
                                            under test's links, runs at two slides, signature
                                            checks (and --threads=1/2 digests), the reference's,
                                            and the structural comparison of the two

A program.txt has `key: value` lines:
  sources:  files linked into the executable, in order
  cflags:   compile flags (also used for the native build)
  ldflags:  ld64 flags for the executable link (run in the link directory)
  archive:  NAME.a SRC...                   a static archive built in the link directory
  dylib:    PATH INSTALL_NAME SRC... [-- FLAGS]  a dylib linked (by the same linker) before
                                            the exe, in the order given, with extra FLAGS
  dylib_ldflags: extra flags for the dylib links
  minos:    minimum macOS version (default 13.0)
  native:   none (no native build: expected.* are written by hand, e.g. for assembly)
  native_ldflags: extra flags for the native link
  native_sources: the executable's sources for the native build, when some are arm64 assembly
  nolibsystem: yes (do not pass -lSystem: the objects ask for it with LC_LINKER_OPTION)
In values, $SRC is the program's directory (for files such as an -exported_symbols_list).
"""
import argparse
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(ROOT, "Tests", "Fixtures", "macho")
SDK = os.path.join(HERE, "sdk")
CLANG = os.environ.get("MACHO_CLANG", "/opt/swift/usr/bin/clang")
CLANGXX = os.environ.get("MACHO_CLANGXX", "/opt/swift/usr/bin/clang++")
LLVM_AR = os.environ.get("MACHO_AR", "/opt/swift/usr/bin/llvm-ar")
NATIVE_CC = os.environ.get("MACHO_NATIVE_CC", CLANG)
NATIVE_CXX = os.environ.get("MACHO_NATIVE_CXX", CLANGXX)
SLIDES = [0, 0x4000000]
SDK_VERSION = "13.0"


class Program:
    def __init__(self, name):
        self.name = name
        self.dir = os.path.join(CORPUS, name)
        self.sources, self.cflags, self.ldflags, self.dylib_ldflags, self.native_ldflags = [], [], [], [], []
        self.native_sources = None
        self.archives, self.dylibs = [], []       # (name, [src]); (path, install_name, [src], [flag])
        self.minos, self.native, self.libsystem = "13.0", True, True
        with open(os.path.join(self.dir, "program.txt")) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                key, _, value = line.partition(":")
                value = value.replace("$SRC", self.dir)     # files beside the sources
                words = shlex.split(value)
                key = key.strip()
                if key == "sources":
                    self.sources = words
                elif key == "cflags":
                    self.cflags = words
                elif key == "ldflags":
                    self.ldflags = words
                elif key == "dylib_ldflags":
                    self.dylib_ldflags = words
                elif key == "native_ldflags":
                    self.native_ldflags = words
                elif key == "native_sources":
                    self.native_sources = words
                elif key == "archive":
                    self.archives.append((words[0], words[1:]))
                elif key == "dylib":
                    sources, _, flags = " ".join(words[2:]).partition(" -- ")
                    self.dylibs.append((words[0], words[1], sources.split(), shlex.split(flags)))
                elif key == "minos":
                    self.minos = value.strip()
                elif key == "native":
                    self.native = value.strip() != "none"
                elif key == "nolibsystem":
                    self.libsystem = value.strip() != "yes"
                else:
                    raise ValueError(f"{name}/program.txt: unknown key {key!r}")
        if not self.sources:
            raise ValueError(f"{name}/program.txt: no sources")

    @property
    def all_sources(self):
        out = list(self.sources)
        for _, srcs in self.archives:
            out += srcs
        for _, _, srcs, _ in self.dylibs:
            out += srcs
        return list(dict.fromkeys(out))

    @property
    def is_cxx(self):
        return any(s.endswith(".cpp") for s in self.all_sources)

    def expected(self):
        with open(os.path.join(self.dir, "expected.stdout"), encoding="utf-8") as f:
            stdout = f.read()
        with open(os.path.join(self.dir, "expected.status")) as f:
            status = int(f.read().strip())
        return stdout, status


def programs(names=None):
    all_names = sorted(d for d in os.listdir(CORPUS) if os.path.isfile(os.path.join(CORPUS, d, "program.txt")))
    if names:
        unknown = set(names) - set(all_names)
        if unknown:
            raise SystemExit(f"corpus.py: no such program: {', '.join(sorted(unknown))}")
        all_names = [n for n in all_names if n in names]
    return [Program(n) for n in all_names]


def sh(cmd, cwd=None):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def object_name(src):
    return os.path.splitext(src)[0] + ".o"


# -- building for arm64 macOS ----------------------------------------------------------------
def compile_objects(prog, objdir):
    """Compile every source once; all linkers link these same objects."""
    os.makedirs(objdir, exist_ok=True)
    target = f"arm64-apple-macos{prog.minos.split('.')[0] if prog.minos != '13.0' else '13'}"
    for src in prog.all_sources:
        out = os.path.join(objdir, object_name(src))
        compiler = CLANGXX if src.endswith(".cpp") else CLANG
        cmd = [compiler, "-target", target, "-isysroot", os.path.join(objdir, "no-sdk"), "-Wno-missing-sysroot",
               *prog.cflags, "-c", os.path.join(prog.dir, src), "-o", out]
        rc, log = sh(cmd)
        if rc != 0:
            return f"compile failed: {shlex.join(cmd)}\n{log}"
    return None


def base_link_flags(prog):
    return ["-arch", "arm64", "-platform_version", "macos", prog.minos, SDK_VERSION, "-syslibroot", SDK]


def system_libs(prog):
    return (["-lc++"] if prog.is_cxx else []) + (["-lSystem"] if prog.libsystem else [])


def link(prog, linker, objdir, linkdir, extra=()):
    """Link the program's archives, dylibs and executable into linkdir. Returns
    (ok, log, commands)."""
    if os.path.isdir(linkdir):
        shutil.rmtree(linkdir)
    os.makedirs(linkdir)
    commands, log = [], ""
    for archive, srcs in prog.archives:
        cmd = [LLVM_AR, "rcs", "--format=darwin", archive] + [os.path.join(objdir, object_name(s)) for s in srcs]
        rc, out = sh(cmd, cwd=linkdir)
        if rc:
            return False, f"archive failed: {shlex.join(cmd)}\n{out}", commands
    for path, install_name, srcs, flags in prog.dylibs:
        os.makedirs(os.path.join(linkdir, os.path.dirname(path) or "."), exist_ok=True)
        cmd = [*linker, *base_link_flags(prog), "-dylib", "-install_name", install_name, "-o", path,
               *[os.path.join(objdir, object_name(s)) for s in srcs], *flags, *prog.dylib_ldflags, *extra,
               *system_libs(prog)]
        commands.append(cmd)
        rc, out = sh(cmd, cwd=linkdir)
        log += out
        if rc:
            return False, f"$ {shlex.join(cmd)}\n{out}", commands
    cmd = [*linker, *base_link_flags(prog), "-o", prog.name,
           *[os.path.join(objdir, object_name(s)) for s in prog.sources], *prog.ldflags, *extra, *system_libs(prog)]
    commands.append(cmd)
    rc, out = sh(cmd, cwd=linkdir)
    log += out
    if rc or not os.path.isfile(os.path.join(linkdir, prog.name)):
        return False, f"$ {shlex.join(cmd)}\n{out}", commands
    return True, log, commands


def outputs(prog, linkdir):
    """The files a link produced that the checks look at: the executable and its dylibs."""
    return [prog.name] + [path for path, _, _, _ in prog.dylibs]


# -- running and checking --------------------------------------------------------------------
def run(prog, linkdir):
    from run_macho import run_once
    return [run_once(os.path.join(linkdir, prog.name), [], slide, [], 20.0) for slide in SLIDES]


def flip_offset(data):
    """A byte of code to flip: the middle of __text (signed, and what an attacker would patch),
    else the middle of the signed range."""
    import macho_file as M
    try:
        macho = M.MachOFile(data)
        text = macho.section("__TEXT", "__text")
        if text is not None and text.size:
            return text.offset + text.size // 2
        if macho.code_signature:
            return macho.code_signature[0] // 2
    except M.MachOError:
        pass
    return len(data) // 3


def check_signatures(prog, linkdir):
    from check_signature import check_file
    results = []
    for rel in outputs(prog, linkdir):
        path = os.path.join(linkdir, rel)
        problems = check_file(path, identifier=os.path.basename(rel))
        with open(path, "rb") as f:
            data = bytearray(f.read())
        flip_at = flip_offset(bytes(data))
        data[flip_at] ^= 0x01
        flipped_problems = check_file(path + ".flipped", data=bytes(data))
        results.append({"file": rel, "problems": problems, "flipped_at": flip_at,
                        "flipped_detected": bool(flipped_problems)})
    return results


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check_linker(prog, linker, objdir, linkdir, determinism, flags=()):
    ok, log, commands = link(prog, linker, objdir, linkdir, extra=flags)
    result = {"linked": ok, "log": log[-4000:], "commands": [shlex.join(c) for c in commands]}
    if not ok:
        return result
    result["runs"] = run(prog, linkdir)
    result["signatures"] = check_signatures(prog, linkdir)
    if determinism:
        digests = {}
        for threads in (1, 2):
            d = f"{linkdir}-threads{threads}"
            ok_t, log_t, _ = link(prog, linker, objdir, d, extra=[*flags, f"--threads={threads}"])
            if not ok_t:
                digests[threads] = {"error": log_t[-2000:]}
                continue
            digests[threads] = {rel: sha256(os.path.join(d, rel)) for rel in outputs(prog, d)}
        result["determinism"] = digests
    return result


def check(prog, linker, reference, workdir, determinism, flags=()):
    base = os.path.join(workdir, prog.name)
    objdir = os.path.join(base, "obj")
    stdout, status = prog.expected()
    result = {"program": prog.name, "expected": {"stdout": stdout, "status": status}}
    error = compile_objects(prog, objdir)
    if error:
        result["compile_error"] = error
        return result
    if linker:
        result["linker"] = check_linker(prog, linker, objdir, os.path.join(base, "under-test"), determinism, flags)
    if reference:
        result["reference"] = check_linker(prog, reference, objdir, os.path.join(base, "reference"), False, flags)
        if linker and result["linker"]["linked"] and result["reference"]["linked"]:
            from compare_macho import compare_files, load_allowlist
            allow = load_allowlist(os.path.join(HERE, "compare-allowlist.txt"))
            result["structure"] = {
                rel: compare_files(os.path.join(base, "under-test", rel), os.path.join(base, "reference", rel), allow)
                for rel in outputs(prog, base)}
    return result


# -- native builds: where expected output comes from ----------------------------------------
def native_run(prog, tmp):
    objs = []
    sources = prog.native_sources or prog.sources
    for src in list(dict.fromkeys(sources + prog.all_sources[len(prog.sources):])):
        cc = NATIVE_CXX if src.endswith(".cpp") else NATIVE_CC
        out = os.path.join(tmp, object_name(src))
        rc, log = sh([cc, *prog.cflags, "-fPIC", "-w", "-c", os.path.join(prog.dir, src), "-o", out])
        if rc:
            raise RuntimeError(f"{prog.name}: native compile of {src} failed:\n{log}")
        objs.append(out)
    driver = NATIVE_CXX if prog.is_cxx else NATIVE_CC
    inputs = [os.path.join(tmp, object_name(s)) for s in sources]
    for archive, srcs in prog.archives:
        rc, log = sh(["ar", "rcs", archive] + [os.path.join(tmp, object_name(s)) for s in srcs], cwd=tmp)
    rpaths = set()
    for path, _, srcs, _ in prog.dylibs:
        so = os.path.join(tmp, os.path.splitext(path)[0] + ".so")
        os.makedirs(os.path.dirname(so), exist_ok=True)
        rc, log = sh([driver, "-shared", "-o", so] + [os.path.join(tmp, object_name(s)) for s in srcs])
        if rc:
            raise RuntimeError(f"{prog.name}: native shared library failed:\n{log}")
        inputs.append(so)
        rpaths.add(os.path.dirname(os.path.relpath(so, tmp)))
    # a dylib listed later may use an earlier one: dependents go first for --as-needed linkers
    inputs[len(sources):] = reversed(inputs[len(sources):])
    inputs += [a for a, _ in prog.archives]
    cmd = [driver, "-o", "prog", *prog.native_ldflags, *inputs] + \
          [f"-Wl,-rpath,$ORIGIN/{r}" if r else "-Wl,-rpath,$ORIGIN" for r in sorted(rpaths)]
    rc, log = sh(cmd, cwd=tmp)
    if rc:
        raise RuntimeError(f"{prog.name}: native link failed: {shlex.join(cmd)}\n{log}")
    p = subprocess.run([os.path.join(tmp, "prog")], capture_output=True, timeout=30, cwd=tmp)
    return p.stdout.decode(), p.returncode


def cmd_native(args):
    failures = 0
    for prog in programs(args.names):
        if not prog.native:
            print(f"SKIP {prog.name} (no native build; expected output written by hand)")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            stdout, status = native_run(prog, tmp)
        if args.update:
            with open(os.path.join(prog.dir, "expected.stdout"), "w") as f:
                f.write(stdout)
            with open(os.path.join(prog.dir, "expected.status"), "w") as f:
                f.write(f"{status}\n")
            print(f"WROTE {prog.name} (status {status}, {len(stdout)} bytes)")
            continue
        want = prog.expected()
        if (stdout, status) == want:
            print(f"OK   {prog.name}")
        else:
            failures += 1
            print(f"DIFF {prog.name}: native gives status {status} and\n{stdout}\nexpected status {want[1]} and\n{want[0]}")
    return 1 if failures else 0


def cmd_check(args):
    linker = shlex.split(args.linker) if args.linker else None
    if not linker and not args.reference:
        raise SystemExit("corpus.py check: give --linker, --reference or both")
    reference = shlex.split(args.reference) if args.reference else None
    progs = programs(args.names)
    os.makedirs(args.work, exist_ok=True)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        flags = shlex.split(args.link_flags)
        for result in pool.map(lambda p: check(p, linker, reference, args.work, args.determinism, flags), progs):
            print(json.dumps(result), flush=True)
    return 0


def link_verdict(result, key):
    """(passed, [problems]) for the linker `key` ("linker" or "reference") of one program."""
    link = result.get(key)
    if link is None:
        return None, []
    if not link["linked"]:
        return False, ["link failed:\n" + link["log"].strip()]
    problems = []
    want_out, want_status = result["expected"]["stdout"], result["expected"]["status"]
    for run in link.get("runs", []):
        if run["error"]:
            problems.append(f"slide {run['slide']:#x}: {run['error']}")
        elif run["stdout"] != want_out or run["status"] != want_status:
            problems.append(f"slide {run['slide']:#x}: exit {run['status']} (want {want_status}), stdout:\n"
                            f"{run['stdout']}--- want:\n{want_out}")
    for sig in link.get("signatures", []):
        if sig["problems"]:
            problems.append(f"{sig['file']}: signature: {'; '.join(sig['problems'])}")
        if not sig["flipped_detected"]:
            problems.append(f"{sig['file']}: still verifies with byte {sig['flipped_at']} flipped")
    digests = link.get("determinism")
    if digests is not None and digests.get("1") != digests.get("2"):
        problems.append(f"--threads=1 and --threads=2 outputs differ: {digests}")
    if key == "linker":
        for rel, s in (result.get("structure") or {}).items():
            problems += [f"{rel}: differs from the reference: {d}" for d in s["unexplained"]]
    return not problems, problems


def cmd_report(args):
    """Human-readable summary of `check` output (JSON lines on stdin)."""
    totals = {"linker": [0, 0], "reference": [0, 0]}
    for line in sys.stdin:
        result = json.loads(line)
        if "compile_error" in result:
            print(f"FAIL {result['program']}: {result['compile_error']}")
            continue
        for key, label in (("linker", "linker under test"), ("reference", "reference")):
            passed, problems = link_verdict(result, key)
            if passed is None:
                continue
            totals[key][1] += 1
            totals[key][0] += bool(passed)
            print(f"{'PASS' if passed else 'FAIL'} {result['program']} ({label})")
            for p in problems if args.verbose or key == "linker" else problems[:1]:
                print("    " + p.replace("\n", "\n    "))
    for key, label in (("linker", "linker under test"), ("reference", "reference")):
        if totals[key][1]:
            print(f"{label}: {totals[key][0]} of {totals[key][1]} programs passed")
    return 0 if all(t[0] == t[1] for t in totals.values()) else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    n = sub.add_parser("native")
    n.add_argument("--update", action="store_true")
    n.add_argument("names", nargs="*")
    c = sub.add_parser("check")
    c.add_argument("--linker", help="linker under test, a command: e.g. '/path/to/weld -flavor darwin'")
    c.add_argument("--reference", help="reference linker command for the structural comparison")
    c.add_argument("--determinism", action="store_true", help="also link at --threads=1 and 2 and hash")
    c.add_argument("--work", required=True)
    c.add_argument("--jobs", type=int, default=1)
    c.add_argument("--link-flags", default="", help="extra flags for every link, e.g. '-no_fixup_chains' or '-dead_strip'")
    c.add_argument("names", nargs="*")
    r = sub.add_parser("report")
    r.add_argument("--verbose", action="store_true")
    a = p.parse_args()
    if a.cmd == "report":
        return cmd_report(a)
    if a.cmd == "list":
        for prog in programs():
            print(prog.name)
        return 0
    if a.cmd == "native":
        return cmd_native(a)
    return cmd_check(a)


if __name__ == "__main__":
    sys.exit(main())
