#!/usr/bin/env python3
"""Structural comparison of two linked Mach-O files made from the same inputs (weld's and
ld64.lld's): the same header kind and flags, load-command kinds, dylibs and rpaths, sections,
symbols, exports, imports and binds, and code (per function: instruction mnemonics and
registers, with addresses and immediates left out, plus llvm-objdump's symbolic notes such as
`symbol stub for: _puts`). Layout -- addresses, sizes of linker-made sections, order -- is not
compared, except where listed.

Each difference has a key, e.g. `section-size __TEXT,__unwind_info`, and a detail. An
allow-list file explains the accepted ones, one per line:
    KEY-GLOB    -- why this difference is fine
A difference whose key matches no line is unexplained.

  compare_macho.py [--allowlist FILE] UNDER_TEST REFERENCE     (exit 1 if unexplained ones)
"""
import fnmatch
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import macho_file as M  # noqa: E402

OBJDUMP = os.environ.get("MACHO_OBJDUMP", "/opt/swift/usr/bin/llvm-objdump")
# sections whose size the linker decides (synthesized), compared by presence only
SYNTHESIZED = {"__stubs", "__stub_helper", "__got", "__la_symbol_ptr", "__unwind_info", "__eh_frame",
               "__thread_ptrs", "__init_offsets", "__mod_init_func", "__auth_got", "__auth_stubs",
               "__objc_stubs", "__chain_starts"}
MH_FLAG_NAMES = {0x1: "NOUNDEFS", 0x4: "DYLDLINK", 0x80: "TWOLEVEL", 0x8000: "WEAK_DEFINES",
                 0x10000: "BINDS_TO_WEAK", 0x200000: "PIE", 0x800000: "HAS_TLV_DESCRIPTORS",
                 0x2000000: "APP_EXTENSION_SAFE", 0x100000: "NO_REEXPORTED_DYLIBS"}


def load_allowlist(path):
    rules = []
    if not os.path.isfile(path):
        return rules
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            pattern, sep, why = line.partition("--")
            if not sep or not why.strip():
                raise ValueError(f"{path}:{n}: every allowed difference needs `-- explanation`")
            rules.append((pattern.strip(), why.strip()))
    return rules


def flags_text(flags):
    return sorted(name for bit, name in MH_FLAG_NAMES.items() if flags & bit)


def section_of(macho, addr):
    for s in macho.sections:
        if s.addr <= addr < s.addr + max(s.size, 1):
            return f"{s.segname},{s.name}"
    return "?"


def library_name(macho, ordinal):
    if ordinal > 0:
        return macho.dylibs[ordinal - 1][1] if ordinal <= len(macho.dylibs) else f"ordinal {ordinal}"
    return {0: "self", -1: "main executable", -2: "flat lookup", -3: "weak lookup"}.get(ordinal, str(ordinal))


def summary(macho):
    """Everything compared, as comparable Python values keyed by aspect."""
    s = {}
    s["filetype"] = macho.filetype
    s["header-flags"] = flags_text(macho.flags)
    s["load-commands"] = sorted({M.LOAD_COMMAND_NAMES.get(c, hex(c)) for c, _, _ in macho.load_commands})
    s["dylibs"] = [(M.LOAD_COMMAND_NAMES.get(c, hex(c)), n) for c, n in macho.dylibs]
    s["rpaths"] = macho.rpaths
    s["install-name"] = macho.install_name
    s["segments"] = [(g.name, g.initprot, g.maxprot) for g in macho.segments]
    sections = {}
    for sect in macho.sections:
        sections[f"{sect.segname},{sect.name}"] = sect
    s["sections"] = sections
    symbols = {}
    for sym in macho.symbols():
        if sym.is_stab or not sym.name:
            continue
        if sym.is_undefined:
            kind = ("undefined", library_name(macho, sym.library_ordinal if sym.library_ordinal < 0xFD else sym.library_ordinal - 0x100),
                    bool(sym.desc & M.N_WEAK_REF))
        else:
            sect = macho.sections[sym.sect - 1] if 0 < sym.sect <= len(macho.sections) else None
            where = f"{sect.segname},{sect.name}" if sect else "absolute"
            kind = ("defined", where, "external" if sym.is_external else ("private-extern" if sym.type & M.N_PEXT else "local"),
                    bool(sym.desc & M.N_WEAK_DEF))
        symbols.setdefault(sym.name, set()).add(kind)
    s["symbols"] = symbols
    s["exports"] = {e.name: e.flags for e in macho.exports()}
    rebases, binds, pointer_format = macho.fixups()
    s["fixup-format"] = "chained" if macho.chained_fixups else ("dyld-info" if macho.dyld_info else "none")
    bind_set = {}
    for b in binds:
        key = (b.name, library_name(macho, b.ordinal), b.kind if b.kind != "lazy" else "bind",
               section_of(macho, b.address), b.addend, b.weak_import)
        bind_set[key] = bind_set.get(key, 0) + 1
    s["binds"] = bind_set
    rebase_counts = {}
    for r in rebases:
        sect = section_of(macho, r.address)
        rebase_counts[sect] = rebase_counts.get(sect, 0) + 1
    s["rebases"] = rebase_counts
    entry = None
    if macho.entry_offset is not None:
        addr = macho.base_address + macho.entry_offset
        entry = next((sym.name for sym in macho.symbols() if not sym.is_stab and sym.value == addr
                      and (sym.type & M.N_TYPE) == M.N_SECT), hex(macho.entry_offset))
    s["entry"] = entry
    return s


NUMBER = re.compile(r"#?-?(0x[0-9a-fA-F]+|\d+)\b")


def code(path):
    """function -> normalised instruction lines, from llvm-objdump --macho -d."""
    out = subprocess.run([OBJDUMP, "--macho", "-d", "--no-show-raw-insn", path], capture_output=True, text=True)
    functions, current = {}, None
    for line in out.stdout.splitlines()[1:]:      # the first line names the file
        if not line or line.startswith("("):
            continue
        if line.endswith(":") and not re.match(r"^[0-9a-f]+:", line):
            current = line[:-1]
            functions[current] = []
            continue
        m = re.match(r"^[0-9a-f]+:\s*(.*)$", line)
        if m and current is not None:
            instruction, _, note = m.group(1).partition(";")
            functions[current].append((NUMBER.sub("#", instruction.strip()) + (" ; " + note.strip() if note else "")).strip())
    return functions


def differences(test_path, ref_path):
    a, b = M.MachOFile.from_path(test_path), M.MachOFile.from_path(ref_path)
    sa, sb = summary(a), summary(b)
    diffs = []

    def add(key, detail):
        diffs.append((key, detail))

    for key in ("filetype", "header-flags", "load-commands", "dylibs", "rpaths", "install-name",
                "segments", "fixup-format", "entry"):
        if sa[key] != sb[key]:
            add(key, f"{sa[key]} vs {sb[key]}")
    for name in sorted(set(sa["sections"]) | set(sb["sections"])):
        x, y = sa["sections"].get(name), sb["sections"].get(name)
        if x is None or y is None:
            add(f"section-presence {name}", "only in " + ("reference" if x is None else "the linker under test"))
            continue
        if x.type != y.type or x.flags != y.flags:
            add(f"section-flags {name}", f"{x.flags:#x} vs {y.flags:#x}")
        if x.align != y.align:
            add(f"section-align {name}", f"2^{x.align} vs 2^{y.align}")
        if x.size != y.size and name.split(",")[1] not in SYNTHESIZED:
            add(f"section-size {name}", f"{x.size:#x} vs {y.size:#x}")
    for name in sorted(set(sa["symbols"]) | set(sb["symbols"])):
        x, y = sa["symbols"].get(name), sb["symbols"].get(name)
        if x != y:
            add(f"symbol {name}", f"{sorted(x) if x else 'absent'} vs {sorted(y) if y else 'absent'}")
    for name in sorted(set(sa["exports"]) | set(sb["exports"])):
        x, y = sa["exports"].get(name), sb["exports"].get(name)
        if x != y:
            add(f"export {name}", f"flags {x} vs {y}")
    for key in sorted(set(sa["binds"]) | set(sb["binds"]), key=repr):
        x, y = sa["binds"].get(key, 0), sb["binds"].get(key, 0)
        if x != y:
            name, lib, kind, sect, addend, weak = key
            add(f"bind {name}", f"{kind} from {lib} in {sect} addend {addend} weak {weak}: {x} vs {y} slots")
    for sect in sorted(set(sa["rebases"]) | set(sb["rebases"])):
        x, y = sa["rebases"].get(sect, 0), sb["rebases"].get(sect, 0)
        if x != y:
            add(f"rebase-count {sect}", f"{x} vs {y}")
    ca, cb = code(test_path), code(ref_path)
    for name in sorted(set(ca) | set(cb)):
        x, y = ca.get(name), cb.get(name)
        if x is None or y is None:
            add(f"code-presence {name}", "only in " + ("reference" if x is None else "the linker under test"))
        elif x != y:
            first = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
            add(f"code {name}", f"{len(x)} vs {len(y)} instructions; first difference at {first}: "
                                f"{x[first] if first < len(x) else 'end'!r} vs {y[first] if first < len(y) else 'end'!r}")
    return diffs


def compare_files(test_path, ref_path, allowlist):
    """{"unexplained": [...], "explained": [...]} with 'key: detail' strings."""
    result = {"unexplained": [], "explained": []}
    try:
        diffs = differences(test_path, ref_path)
    except (M.MachOError, OSError) as e:
        return {"unexplained": [f"unreadable: {e}"], "explained": []}
    for key, detail in diffs:
        why = next((w for pattern, w in allowlist if fnmatch.fnmatchcase(key, pattern)), None)
        if why:
            result["explained"].append(f"{key}: {detail} (allowed: {why})")
        else:
            result["unexplained"].append(f"{key}: {detail}")
    return result


def main():
    import argparse
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--allowlist", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare-allowlist.txt"))
    p.add_argument("under_test")
    p.add_argument("reference")
    a = p.parse_args()
    r = compare_files(a.under_test, a.reference, load_allowlist(a.allowlist))
    for line in r["explained"]:
        print("explained:", line)
    for line in r["unexplained"]:
        print("DIFFERENT:", line)
    return 1 if r["unexplained"] else 0


if __name__ == "__main__":
    sys.exit(main())
