#!/usr/bin/env python3
"""An independent check of the ad-hoc code signature arm64 macOS requires on every executable
and dylib: recomputes each page hash of the CodeDirectory and checks the fields the kernel and
dyld rely on. Written for weld's tests from Apple's published code-signing format
(SuperBlob / CodeDirectory, big-endian).

  check_signature.py FILE...    prints `ok` or the problems; exit status 1 on any problem
                                (the identifier must be the file's base name, as ld64 writes it)
"""
import hashlib
import os
import struct
import sys

import macho_file as M

CSMAGIC_EMBEDDED_SIGNATURE = 0xFADE0CC0
CSMAGIC_CODEDIRECTORY = 0xFADE0C02
CSMAGIC_REQUIREMENTS = 0xFADE0C01
CSSLOT_CODEDIRECTORY = 0
CSSLOT_REQUIREMENTS = 2
CS_ADHOC = 0x2
CS_LINKER_SIGNED = 0x20000
CS_EXECSEG_MAIN_BINARY = 0x1
HASH_SHA256 = 2


def check_file(path, data=None, identifier=None):
    """A list of problems (empty when the signature is valid). With `identifier`, the
    CodeDirectory must name the file so (linkers use the output's base name)."""
    try:
        if data is None:
            with open(path, "rb") as f:
                data = f.read()
        macho = M.MachOFile(data, path)
        return check(macho, identifier)
    except (M.MachOError, struct.error) as e:
        return [f"unreadable: {e}"]


def check(macho, identifier=None):
    problems = []
    data = macho.data
    if macho.code_signature is None:
        return ["no LC_CODE_SIGNATURE"]
    dataoff, datasize = macho.code_signature
    linkedit = macho.segment("__LINKEDIT")
    if linkedit is None:
        return ["no __LINKEDIT segment"]
    if not (linkedit.fileoff <= dataoff and dataoff + datasize <= linkedit.fileoff + linkedit.filesize):
        problems.append("signature is not inside __LINKEDIT")
    if dataoff % 16:
        problems.append(f"signature offset {dataoff:#x} is not 16-byte aligned")
    if dataoff + datasize != len(data):
        problems.append(f"signature ends at {dataoff + datasize:#x}, file at {len(data):#x}: it must be last")
    blob = data[dataoff:dataoff + datasize]
    if len(blob) < 12:
        return problems + ["signature blob truncated"]
    magic, length, count = struct.unpack_from(">III", blob, 0)
    if magic != CSMAGIC_EMBEDDED_SIGNATURE:
        return problems + [f"SuperBlob magic {magic:#x}"]
    if length > datasize or 12 + 8 * count > length:
        return problems + [f"SuperBlob length {length} / count {count} inconsistent with {datasize} bytes"]
    slots = {}
    for i in range(count):
        slot_type, offset = struct.unpack_from(">II", blob, 12 + 8 * i)
        if offset + 8 > length:
            problems.append(f"blob index {i} offset {offset} is outside the SuperBlob")
            continue
        slots[slot_type] = offset
    if CSSLOT_CODEDIRECTORY not in slots:
        return problems + ["no CodeDirectory"]
    cd_off = slots[CSSLOT_CODEDIRECTORY]
    (cd_magic, cd_length, version, flags, hash_offset, ident_offset, n_special, n_code, code_limit,
     hash_size, hash_type, platform, page_shift, _spare2) = struct.unpack_from(">IIIIIIIIIBBBBI", blob, cd_off)
    if cd_magic != CSMAGIC_CODEDIRECTORY:
        return problems + [f"CodeDirectory magic {cd_magic:#x}"]
    if cd_off + cd_length > length:
        problems.append("CodeDirectory runs past the SuperBlob")
    cd = blob[cd_off:cd_off + cd_length]
    if flags & CS_ADHOC == 0:
        problems.append(f"flags {flags:#x} lack CS_ADHOC")
    if flags & CS_LINKER_SIGNED == 0:
        problems.append(f"flags {flags:#x} lack CS_LINKER_SIGNED")
    if hash_type != HASH_SHA256 or hash_size != 32:
        problems.append(f"hash type {hash_type} size {hash_size}: expected SHA-256 (2, 32)")
        return problems
    if code_limit != dataoff:
        problems.append(f"codeLimit {code_limit:#x} != signature offset {dataoff:#x}")
    page = 1 << page_shift if page_shift else 0
    if page_shift not in (12, 14):
        problems.append(f"page size 2^{page_shift}")
        return problems
    want_slots = (code_limit + page - 1) // page
    if n_code != want_slots:
        problems.append(f"nCodeSlots {n_code}, expected {want_slots} for codeLimit {code_limit:#x}")
    if ident_offset >= cd_length or cd.find(b"\0", ident_offset) < 0:
        problems.append("identifier is not a string inside the CodeDirectory")
    elif identifier is not None:
        have = cd[ident_offset:cd.find(b"\0", ident_offset)].decode("utf-8", "replace")
        if have != identifier:
            problems.append(f"identifier {have!r}, expected {identifier!r}")
    if hash_offset + n_code * 32 > cd_length or hash_offset < n_special * 32:
        return problems + ["hash slots lie outside the CodeDirectory"]
    wrong = []
    for i in range(min(n_code, want_slots)):
        chunk = data[i * page:min((i + 1) * page, code_limit)]
        if hashlib.sha256(chunk).digest() != cd[hash_offset + 32 * i:hash_offset + 32 * (i + 1)]:
            wrong.append(i)
    if wrong:
        problems.append(f"{len(wrong)} of {n_code} page hashes wrong (first: page {wrong[0]})")
    # special slots sit before hash_offset, slot -n at hash_offset - 32 * n
    if n_special >= CSSLOT_REQUIREMENTS and CSSLOT_REQUIREMENTS in slots:
        r_off = slots[CSSLOT_REQUIREMENTS]
        (_, r_len) = struct.unpack_from(">II", blob, r_off)
        want = hashlib.sha256(blob[r_off:r_off + r_len]).digest()
        have = cd[hash_offset - 32 * CSSLOT_REQUIREMENTS:hash_offset - 32 * (CSSLOT_REQUIREMENTS - 1)]
        if want != have:
            problems.append("requirements special slot hash wrong")
    if version >= 0x20400 and len(cd) >= 88:
        exec_base, exec_limit, exec_flags = struct.unpack_from(">QQQ", cd, 64)
        text = macho.segment("__TEXT")
        if text is not None and (exec_base != text.fileoff or exec_limit != text.filesize):
            problems.append(f"execSeg {exec_base:#x}+{exec_limit:#x} is not __TEXT ({text.fileoff:#x}+{text.filesize:#x})")
        is_main = macho.filetype == M.MH_EXECUTE
        if bool(exec_flags & CS_EXECSEG_MAIN_BINARY) != is_main:
            problems.append(f"execSegFlags {exec_flags:#x}: MAIN_BINARY must be set exactly for executables")
    return problems


def main(paths):
    status = 0
    for path in paths:
        problems = check_file(path, identifier=os.path.basename(path))
        print(f"{path}: " + ("ok" if not problems else "; ".join(problems)))
        status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
