"""The __TEXT,__unwind_info section of a linked image, decoded from the file: for each
function (by offset from the mach header) its compact unwind encoding, its personality slot
and its LSDA. Used by the C++ unwinder (cxx_exceptions.py) and the structural comparator.
Format: Apple's <mach-o/compact_unwind_encoding.h> (version 1: a first-level index, regular
and compressed second-level pages, common encodings, personalities, LSDA index)."""
import bisect
import struct

from macho_file import MachOError

UNWIND_HAS_LSDA = 0x40000000
UNWIND_PERSONALITY_MASK = 0x30000000
REGULAR_PAGE, COMPRESSED_PAGE = 2, 3


class UnwindEntry:
    def __init__(self, function, encoding, personality_slot, lsda):
        self.function = function                  # offset from the mach header
        self.encoding = encoding
        self.personality_slot = personality_slot  # offset of the pointer to the personality, or None
        self.lsda = lsda                          # offset of the LSDA, or None


class UnwindInfo:
    def __init__(self, macho):
        self.entries = []
        self.end = None       # the first offset past the last described function
        sect = macho.section("__TEXT", "__unwind_info")
        if sect is None:
            return
        if sect.offset + sect.size > len(macho.data):
            raise MachOError(f"{macho.path}: __unwind_info runs past the end of the file")
        self._parse(macho.data[sect.offset:sect.offset + sect.size], macho.path)
        self.starts = [e.function for e in self.entries]

    def _parse(self, data, path):
        def u32s(off, n):
            if off + 4 * n > len(data):
                raise MachOError(f"{path}: __unwind_info table at {off:#x} runs past the section")
            return struct.unpack_from(f"<{n}I", data, off)

        version, common_off, common_count, pers_off, pers_count, index_off, index_count = u32s(0, 7)
        if version != 1:
            raise MachOError(f"{path}: __unwind_info version {version}")
        common = u32s(common_off, common_count)
        personalities = u32s(pers_off, pers_count)
        index = [u32s(index_off + 12 * i, 3) for i in range(index_count)]
        if not index:
            return
        self.end = index[-1][0]
        lsdas = {}
        if len(index) > 1:
            first, last = index[0][2], index[-1][2]
            for off in range(first, last, 8):
                function, lsda = u32s(off, 2)
                lsdas[function] = lsda
        for (first_function, page, _), _next in zip(index, index[1:]):
            if page == 0:
                continue
            (kind,) = u32s(page, 1)
            if kind == REGULAR_PAGE:
                entry_off, count = struct.unpack_from("<HH", data, page + 4)
                pairs = [u32s(page + entry_off + 8 * j, 2) for j in range(count)]
            elif kind == COMPRESSED_PAGE:
                entry_off, count, enc_off, enc_count = struct.unpack_from("<HHHH", data, page + 4)
                local = u32s(page + enc_off, enc_count)
                pairs = []
                for raw in u32s(page + entry_off, count):
                    i = raw >> 24
                    if i >= common_count + enc_count:
                        raise MachOError(f"{path}: unwind encoding index {i} out of range")
                    pairs.append((first_function + (raw & 0xFFFFFF),
                                  common[i] if i < common_count else local[i - common_count]))
            else:
                raise MachOError(f"{path}: unwind second-level page kind {kind}")
            for function, encoding in pairs:
                p = (encoding & UNWIND_PERSONALITY_MASK) >> 28
                if p > pers_count:
                    raise MachOError(f"{path}: function +{function:#x} uses personality {p} of {pers_count}")
                if encoding & UNWIND_HAS_LSDA and function not in lsdas:
                    raise MachOError(f"{path}: function +{function:#x} claims an LSDA the index lacks")
                self.entries.append(UnwindEntry(function, encoding, personalities[p - 1] if p else None,
                                                lsdas.get(function) if encoding & UNWIND_HAS_LSDA else None))
        self.entries.sort(key=lambda e: e.function)

    def lookup(self, offset):
        """The entry for the function containing `offset` (from the mach header), or None."""
        if not self.entries or self.end is None or offset >= self.end:
            return None
        i = bisect.bisect_right(self.starts, offset) - 1
        return self.entries[i] if i >= 0 else None
