#!/usr/bin/env python3
"""Rewrite a Mach-O's chained fixups from pointer format 2 (DYLD_CHAINED_PTR_64: rebase
targets are vm addresses, what ld64.lld emits) to format 6 (DYLD_CHAINED_PTR_64_OFFSET:
targets are offsets from the mach header, what Apple's ld emits for arm64 macOS 12+), so the
harness's format-6 path is tested on files whose behaviour is known. The code signature is
not redone (the emulator does not check it).

  rewrite_chains.py IN OUT
"""
import struct
import sys

import macho_file as M


def rewrite(data):
    macho = M.MachOFile(data)
    if macho.chained_fixups is None:
        raise SystemExit("no LC_DYLD_CHAINED_FIXUPS")
    out = bytearray(data)
    blob_off = macho.chained_fixups[0]
    starts = blob_off + struct.unpack_from("<I", data, blob_off + 4)[0]
    base = macho.base_address
    (seg_count,) = struct.unpack_from("<I", data, starts)
    for seg_index in range(seg_count):
        (info,) = struct.unpack_from("<I", data, starts + 4 + 4 * seg_index)
        if info == 0:
            continue
        at = starts + info
        _, page_size, pointer_format, _, _, page_count = struct.unpack_from("<IHHQIH", data, at)
        if pointer_format != M.CHAINED_PTR_64:
            raise SystemExit(f"segment {seg_index} uses pointer format {pointer_format}, not 2")
        struct.pack_into("<H", out, at + 6, M.CHAINED_PTR_64_OFFSET)
        seg = macho.segments[seg_index]
        for page in range(page_count):
            (start,) = struct.unpack_from("<H", data, at + 22 + 2 * page)
            if start == 0xFFFF:
                continue
            vm = seg.vmaddr + page * page_size + start
            while True:
                off = macho.file_offset_of(vm)
                (raw,) = struct.unpack_from("<Q", data, off)
                if not raw >> 63:               # a rebase: vm address -> offset from the header
                    target = (raw & 0xFFFFFFFFF) - base
                    if not 0 <= target < 1 << 36:
                        raise SystemExit(f"rebase target at {vm:#x} is below the image")
                    struct.pack_into("<Q", out, off, (raw & ~0xFFFFFFFFF) | target)
                nxt = (raw >> 51) & 0xFFF
                if nxt == 0:
                    break
                vm += 4 * nxt
    return bytes(out)


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    with open(sys.argv[2], "wb") as f:
        f.write(rewrite(data))
