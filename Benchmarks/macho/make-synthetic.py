#!/usr/bin/env python3
"""make-synthetic.py [DIR] [FILES] -- a large generated arm64 Mach-O link job to complement
make-workload.sh (whose musl sources link into only about 0.5 MB): FILES C files (default
2000) of functions that call across files, string literals (merged), pointer tables (fixups),
thread-locals, C++-style weak definitions, compiled with clang for arm64-apple-macos13; a
third of the objects go into darwin archives. Writes DIR/link.args. Deterministic."""
import os, random, subprocess, sys
from concurrent.futures import ThreadPoolExecutor

DIR = sys.argv[1] if len(sys.argv) > 1 else "/var/tmp/weld-macho-synth"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
CLANG = os.environ.get("CLANG", "/opt/swift/usr/bin/clang")
AR = os.environ.get("AR", "/opt/swift/usr/bin/llvm-ar")
FUNCS = 24
rng = random.Random(1)
os.makedirs(f"{DIR}/src", exist_ok=True)
os.makedirs(f"{DIR}/obj", exist_ok=True)

def source(i):
    out = ["int printf(const char *, ...);"]
    calls = [(rng.randrange(N), rng.randrange(FUNCS)) for _ in range(FUNCS * 2)]
    for f, g in sorted(set(calls)):
        out.append(f"int f{f}_{g}(int);")
    out.append(f"static const char *names{i}[] = {{" + ", ".join(f'"name {i} {k}"' for k in range(8)) + ", \"shared\" };")
    out.append(f"__thread int tls{i};")
    out.append(f"__attribute__((weak)) int weak_counter = {i};")
    out.append(f"int table{i}[64] = {{" + ", ".join(str(rng.randrange(1000)) for _ in range(64)) + "};")
    for g in range(FUNCS):
        f2, g2 = calls[2 * g]
        f3, g3 = calls[2 * g + 1]
        out.append(f"int f{i}_{g}(int x) {{")
        out.append(f"  if (x <= 0) return table{i}[(x + {g}) & 63] + tls{i};")
        out.append(f"  switch (x & 7) {{ case 0: return f{f2}_{g2}(x - 1) + {g}; case 1: return f{f3}_{g3}(x - 2);")
        out.append(f"  case 2: printf(\"%s\\n\", names{i}[x & 7]); return weak_counter; case 3: return x * {g + 3};")
        out.append(f"  case 4: tls{i} += x; return tls{i}; default: return f{f2}_{g2}(x / 2) ^ f{f3}_{g3}(x / 3); }}")
        out.append("}")
    out.append(f"int (*ptrs{i}[])(int) = {{ " + ", ".join(f"f{i}_{g}" for g in range(FUNCS)) + " };")
    return "\n".join(out) + "\n"

def build(i):
    src, obj = f"{DIR}/src/s{i}.c", f"{DIR}/obj/s{i}.o"
    if not os.path.exists(obj):
        with open(src, "w") as f:
            f.write(sources[i])
        subprocess.run([CLANG, "-target", "arm64-apple-macos13", "-O1", "-w", "-c", src, "-o", obj], check=True)
    return obj

sources = [source(i) for i in range(N)]   # generated in order: the same files at any JOBS
with ThreadPoolExecutor(int(os.environ.get("JOBS", "2"))) as ex:
    objs = list(ex.map(build, range(N)))
with open(f"{DIR}/src/main.c", "w") as f:
    f.write("int f0_0(int);\nint main(int argc, char **argv) { return f0_0(argc) & 0x7f; }\n")
subprocess.run([CLANG, "-target", "arm64-apple-macos13", "-O1", "-c", f"{DIR}/src/main.c", "-o", f"{DIR}/obj/main.o"], check=True)
direct = [o for k, o in enumerate(objs) if k % 3 != 2]
archived = [o for k, o in enumerate(objs) if k % 3 == 2]
archives = []
for a in range(8):
    part = archived[a::8]
    path = f"{DIR}/lib{a}.a"
    if os.path.exists(path):
        os.remove(path)
    subprocess.run([AR, "--format=darwin", "rcs", path] + part, check=True)
    archives.append(path)
sdk = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../Tests/MachOHarness/sdk")
with open(f"{DIR}/link.args", "w") as f:
    f.write(" ".join(["-arch", "arm64", "-platform_version", "macos", "13.0", "13.0", "-syslibroot", os.path.abspath(sdk),
                      "-lSystem", "-o", "out", f"{DIR}/obj/main.o"] + direct + archives + ["-all_load"]) + "\n")
print(f"{len(objs)} objects ({len(direct)} direct, {len(archived)} in {len(archives)} archives) in {DIR}")
