#!/usr/bin/env python3
"""Run a linked arm64 macOS executable (and its own dylibs) under emulation.

  run_macho.py [--slide HEX]... [--lib-path DIR]... [--timeout S] [--json] [--trace] EXE [ARGS...]

Without --json: the program's stdout and stderr are copied through and the exit status is the
program's (a crash or a harness limit prints `run_macho: error: ...` and exits 139).
With --json: one JSON object per --slide, each {slide, status, stdout, stderr, error}; this is
what the Swift end-to-end tests read. Several slides in one process share the start-up cost.
"""
import argparse
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from macho_file import MachOError  # noqa: E402
from emulator import Machine, EmulationError  # noqa: E402
from libsystem import System  # noqa: E402


def run_once(exe, args, slide, lib_paths, timeout, trace=None):
    system = System()
    result = {"slide": slide, "status": None, "stdout": "", "stderr": "", "error": None}
    machine = None
    try:
        machine = Machine(exe, args, system, slide=slide, lib_paths=lib_paths, timeout=timeout, trace=trace)
        result["status"] = machine.run(system.start(machine))
    except (EmulationError, MachOError) as e:
        result["error"] = str(e)
    except RecursionError:
        result["error"] = "harness recursion limit (callbacks nested too deeply)"
    except Exception as e:   # a harness bug must show as this program's error, not end the corpus
        result["error"] = f"harness error: {traceback.format_exc()}"
    if machine is not None:
        if result["error"]:
            system.flush_stdout()
        result["stdout"] = machine.output[1].decode("utf-8", "replace")
        result["stderr"] = machine.output[2].decode("utf-8", "replace")
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--slide", action="append", type=lambda s: int(s, 16), help="load slide (hex, 16 KiB multiple)")
    p.add_argument("--lib-path", action="append", default=[], help="also look for dylibs here")
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--json", action="store_true")
    p.add_argument("--trace", action="store_true", help="log every system call (name, x0-x3, caller) to stderr")
    p.add_argument("exe")
    p.add_argument("args", nargs=argparse.REMAINDER)
    a = p.parse_args()
    slides = a.slide or [0]
    for s in slides:
        if s % 0x4000:
            p.error(f"slide {s:#x} is not a multiple of 16 KiB")
    if a.json:
        results = [run_once(a.exe, a.args, s, a.lib_path, a.timeout) for s in slides]
        json.dump(results, sys.stdout)
        sys.stdout.write("\n")
        return 0
    status = 0
    for s in slides:
        r = run_once(a.exe, a.args, s, a.lib_path, a.timeout, sys.stderr if a.trace else None)
        sys.stdout.write(r["stdout"])
        sys.stderr.write(r["stderr"])
        if r["error"]:
            sys.stderr.write(f"run_macho: error: {r['error']}\n")
            status = 139
        else:
            status = r["status"]
    return status


if __name__ == "__main__":
    sys.exit(main())
