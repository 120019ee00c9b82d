#!/usr/bin/env python3
"""Structural comparison of two linked Mach-O files made from the same inputs (weld's and
ld64.lld's): the same header kind and flags, load-command kinds, dylibs and rpaths, sections,
symbols, debug-map stabs, exports, imports and binds, C string literals (as a set), function starts, unwind entries (encoding,
personality, LSDA per function), data-in-code entries, and code (per function: instruction mnemonics and
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
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import macho_file as M  # noqa: E402
from unwind_info import UnwindInfo, UNWIND_PERSONALITY_MASK  # noqa: E402

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
    symbols, stabs = {}, {}
    for sym in macho.symbols():
        if sym.is_stab:
            # the debug map: N_SO/N_OSO/N_FUN/N_STSYM... by kind and name (values are layout)
            key = f"{sym.type:#04x} {sym.name}"
            stabs[key] = stabs.get(key, 0) + 1
            continue
        if not sym.name:
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
    s["stabs"] = stabs
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
    names = function_names(macho)
    s["function-starts"] = function_starts(macho, names)
    s["unwind"] = unwind(macho, names, binds)
    s["data-in-code"] = data_in_code(macho, names)
    s["cstrings"] = cstrings(macho)
    entry = None
    if macho.entry_offset is not None:
        addr = macho.base_address + macho.entry_offset
        entry = next((sym.name for sym in macho.symbols() if not sym.is_stab and sym.value == addr
                      and (sym.type & M.N_TYPE) == M.N_SECT), hex(macho.entry_offset))
    s["entry"] = entry
    return s


def function_names(macho):
    """address -> name of the defined symbols (the first name wins for aliases)."""
    names = {}
    for sym in macho.symbols():
        if not sym.is_stab and (sym.type & M.N_TYPE) == M.N_SECT and sym.name:
            names.setdefault(sym.value, sym.name)
    return names


def function_starts(macho, names):
    """Names of the functions LC_FUNCTION_STARTS lists (uleb deltas from __TEXT's start)."""
    if macho.function_starts is None:
        return {}
    data = macho.linkedit(macho.function_starts, "function starts")
    out, addr, p = {}, macho.base_address, 0
    while p < len(data):
        delta, p = M.read_uleb(data, p)
        if delta == 0:
            break
        addr += delta
        name = names.get(addr, "<unnamed>")
        out[name] = out.get(name, 0) + 1
    return out


def unwind(macho, names, binds):
    """function name -> (encoding without the personality index, personality, has LSDA), for
    every function in __text: looked up per function, so linkers that fold neighbours with one
    encoding into one entry (or do not) compare equal."""
    text = macho.section("__TEXT", "__text")
    if text is None:
        return {}
    base = macho.base_address
    bound = {b.address: b.name for b in binds}
    info = UnwindInfo(macho)
    out = {}
    for addr, name in names.items():
        if not text.addr <= addr < text.addr + text.size:
            continue
        e = info.lookup(addr - base)
        if e is None:
            out[name] = ("no entry", None, False)
            continue
        personality = None
        if e.personality_slot is not None:
            personality = bound.get(base + e.personality_slot, "<local personality>")
        out[name] = (f"{e.encoding & ~UNWIND_PERSONALITY_MASK:#010x}", personality, e.lsda is not None)
    return out


def cstrings(macho):
    """The set of C string literals in __TEXT,__cstring (a set: deduplication may differ)."""
    sect = macho.section("__TEXT", "__cstring")
    if sect is None:
        return set()
    data = macho.data[sect.offset:sect.offset + sect.size]
    return {bytes(x) for x in data.split(b"\0")[:-1]}


def data_in_code(macho, names):
    if macho.data_in_code is None:
        return {}
    data = macho.linkedit(macho.data_in_code, "data in code")
    out = {}
    starts = sorted(names)
    import bisect
    for i in range(0, len(data) - 7, 8):
        offset, length, kind = struct.unpack_from("<IHH", data, i)
        addr = macho.base_address + offset
        j = bisect.bisect_right(starts, addr) - 1
        key = (names[starts[j]] if j >= 0 else "<unnamed>", length, kind)
        out[key] = out.get(key, 0) + 1
    return out


NUMBER = re.compile(r"#?-?(0x[0-9a-fA-F]+|\d+)\b")


LOADS = {"ldr", "ldrsw", "ldrb", "ldrsb", "ldrh", "ldrsh", "ldur"}


def canonical(instructions):
    """Instructions with layout taken out, so two linkers' code for the same objects compares
    equal unless its shape differs. Numbers go (addresses, offsets). A register that receives
    an address the linker chose -- by adrp, adr, adrp+add, a GOT load or a PC-relative literal
    load -- is tracked and its materialization left out (linkers relax GOT loads into address
    computations, and LOH rewrites adrp+add into adr+nop and adrp+ldr+ldr into one literal
    load); a load or store through such a register, or a literal load of a value, becomes
    `OP REG, [linker address]`. `nop`s go. Of llvm-objdump's notes only `symbol stub for:`
    stays (it shows the indirect symbol table). The emulator checks the values; this checks
    everything else."""
    def reg(r):
        return "x" + r[1:] if r and r[0] in "wx" and r[1:].isdigit() else r

    addresses = set()     # x registers holding a linker-chosen address
    out = []
    for text, note in instructions:
        mnemonic, _, operands = text.partition("\t") if "\t" in text else text.partition(" ")
        mnemonic = mnemonic.strip()
        ops = [o.strip() for o in re.split(r",(?![^\[]*\])", operands)] if operands.strip() else []
        keep = note if note.startswith("symbol stub for:") else ""
        dest = reg(ops[0]) if ops else None
        memory = next((o for o in ops if o.startswith("[")), None)
        base = reg(memory[1:].split(",")[0].rstrip("]!")) if memory else None
        writes = bool(ops) and not mnemonic.startswith(("st", "cmp", "cmn", "tst", "cb", "tb", "b", "ret"))
        if mnemonic == "nop":
            continue
        if mnemonic in ("adrp", "adr") or \
           (mnemonic == "add" and len(ops) == 3 and reg(ops[1]) in addresses and ops[2].startswith("#")):
            addresses.add(dest)
            continue
        literal = mnemonic in LOADS and len(ops) == 2 and memory is None
        through = memory is not None and base in addresses and memory.count(",") <= 1
        if (literal or through) and mnemonic == "ldr" and ops[0].startswith("x"):
            addresses.add(dest)          # a pointer: a GOT entry or data holding an address
            continue
        if literal:
            out.append(NUMBER.sub("#", f"{mnemonic} {ops[0]}, [linker address]"))
        elif through:
            shown = [("[linker address]" if o is memory else o) for o in ops]
            out.append(NUMBER.sub("#", f"{mnemonic} {', '.join(shown)}"))
        else:
            line = NUMBER.sub("#", f"{mnemonic} {', '.join(ops)}").strip()
            out.append(line + (f" ; {keep}" if keep else ""))
        if writes:
            addresses.discard(dest)
            if mnemonic.startswith("ldp") and len(ops) > 1:
                addresses.discard(reg(ops[1]))
    return out


def code(path):
    """function -> canonical instructions, from llvm-objdump --macho -d."""
    out = subprocess.run([OBJDUMP, "--macho", "-d", "--no-show-raw-insn", path], capture_output=True, text=True)
    functions, current = {}, None
    for line in out.stdout.splitlines()[1:]:      # the first line names the file
        if not line or line.startswith("("):
            continue
        if line.endswith(":") and not re.match(r"^\s*[0-9a-f]+:", line):
            current = line[:-1]
            functions[current] = []
            continue
        m = re.match(r"^\s*[0-9a-f]+:\s*(.*)$", line)
        if m and current is not None:
            instruction, _, note = m.group(1).partition(";")
            functions[current].append((instruction.strip(), note.strip()))
    return {name: canonical(instructions) for name, instructions in functions.items()}


def differences(test_path, ref_path):
    a, b = M.MachOFile.from_path(test_path), M.MachOFile.from_path(ref_path)
    sa, sb = summary(a), summary(b)
    diffs = []

    def add(key, detail):
        diffs.append((key, detail))

    for key in ("filetype", "header-flags", "dylibs", "rpaths", "install-name",
                "segments", "fixup-format", "entry"):
        if sa[key] != sb[key]:
            add(key, f"{sa[key]} vs {sb[key]}")
    for name in sorted(set(sa["load-commands"]) ^ set(sb["load-commands"])):
        add(f"load-command {name}", "only in " + ("the linker under test" if name in sa["load-commands"] else "reference"))
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
    for stab in sorted(set(sa["stabs"]) | set(sb["stabs"])):
        x, y = sa["stabs"].get(stab, 0), sb["stabs"].get(stab, 0)
        if x != y:
            add(f"stab {stab}", f"{x} vs {y}")
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
    for aspect in ("function-starts", "unwind", "data-in-code"):
        for key in sorted(set(sa[aspect]) | set(sb[aspect]), key=repr):
            x, y = sa[aspect].get(key), sb[aspect].get(key)
            if x != y:
                label = key if isinstance(key, str) else key[0]
                add(f"{aspect} {label}", f"{x} vs {y}")
    for text in sorted(sa["cstrings"] ^ sb["cstrings"]):
        add(f"cstring {text[:40]!r}", "only in " + ("the linker under test" if text in sa["cstrings"] else "reference"))
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
