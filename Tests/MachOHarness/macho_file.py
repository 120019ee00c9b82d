"""A read-only view of one 64-bit Mach-O file: header, load commands, segments, sections,
symbol table, export trie, and the dynamic-linking records (chained fixups or classic
dyld-info opcodes) decoded into plain lists of rebases and binds.

Written for weld's tests from the Mach-O format as documented in <mach-o/loader.h>,
<mach-o/nlist.h> and <mach-o/fixup-chains.h>; every offset read is bounds-checked so a
broken linker output raises MachOError instead of producing nonsense.
"""
import struct

MH_MAGIC_64 = 0xFEEDFACF
MH_EXECUTE, MH_DYLIB, MH_BUNDLE = 2, 6, 8

LC_REQ_DYLD = 0x80000000
LC_SEGMENT_64 = 0x19
LC_SYMTAB = 0x2
LC_DYSYMTAB = 0xB
LC_LOAD_DYLIB = 0xC
LC_ID_DYLIB = 0xD
LC_LOAD_DYLINKER = 0xE
LC_UUID = 0x1B
LC_CODE_SIGNATURE = 0x1D
LC_LOAD_WEAK_DYLIB = 0x18 | LC_REQ_DYLD
LC_RPATH = 0x1C | LC_REQ_DYLD
LC_REEXPORT_DYLIB = 0x1F | LC_REQ_DYLD
LC_DYLD_INFO = 0x22
LC_DYLD_INFO_ONLY = 0x22 | LC_REQ_DYLD
LC_LOAD_UPWARD_DYLIB = 0x23 | LC_REQ_DYLD
LC_FUNCTION_STARTS = 0x26
LC_MAIN = 0x28 | LC_REQ_DYLD
LC_DATA_IN_CODE = 0x29
LC_SOURCE_VERSION = 0x2A
LC_BUILD_VERSION = 0x32
LC_DYLD_EXPORTS_TRIE = 0x33 | LC_REQ_DYLD
LC_DYLD_CHAINED_FIXUPS = 0x34 | LC_REQ_DYLD

DYLIB_LOAD_COMMANDS = (LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB, LC_LOAD_UPWARD_DYLIB)

LOAD_COMMAND_NAMES = {
    LC_SEGMENT_64: "LC_SEGMENT_64", LC_SYMTAB: "LC_SYMTAB", LC_DYSYMTAB: "LC_DYSYMTAB",
    LC_LOAD_DYLIB: "LC_LOAD_DYLIB", LC_ID_DYLIB: "LC_ID_DYLIB", LC_LOAD_DYLINKER: "LC_LOAD_DYLINKER",
    LC_UUID: "LC_UUID", LC_CODE_SIGNATURE: "LC_CODE_SIGNATURE", LC_LOAD_WEAK_DYLIB: "LC_LOAD_WEAK_DYLIB",
    LC_RPATH: "LC_RPATH", LC_REEXPORT_DYLIB: "LC_REEXPORT_DYLIB", LC_DYLD_INFO: "LC_DYLD_INFO",
    LC_DYLD_INFO_ONLY: "LC_DYLD_INFO_ONLY", LC_LOAD_UPWARD_DYLIB: "LC_LOAD_UPWARD_DYLIB",
    LC_FUNCTION_STARTS: "LC_FUNCTION_STARTS", LC_MAIN: "LC_MAIN", LC_DATA_IN_CODE: "LC_DATA_IN_CODE",
    LC_SOURCE_VERSION: "LC_SOURCE_VERSION", LC_BUILD_VERSION: "LC_BUILD_VERSION",
    LC_DYLD_EXPORTS_TRIE: "LC_DYLD_EXPORTS_TRIE", LC_DYLD_CHAINED_FIXUPS: "LC_DYLD_CHAINED_FIXUPS",
}

# section types (low byte of section flags)
S_ZEROFILL = 0x1
S_MOD_INIT_FUNC_POINTERS = 0x9
S_MOD_TERM_FUNC_POINTERS = 0xA
S_THREAD_LOCAL_REGULAR = 0x11
S_THREAD_LOCAL_ZEROFILL = 0x12
S_THREAD_LOCAL_VARIABLES = 0x13
S_INIT_FUNC_OFFSETS = 0x16
ZEROFILL_TYPES = (S_ZEROFILL, S_THREAD_LOCAL_ZEROFILL, 0xC)  # 0xC = S_GB_ZEROFILL

# symbol table
N_STAB, N_PEXT, N_TYPE, N_EXT = 0xE0, 0x10, 0x0E, 0x01
N_UNDF, N_ABS, N_SECT, N_INDR = 0x0, 0x2, 0xE, 0xA
N_WEAK_REF, N_WEAK_DEF = 0x40, 0x80

# two-level namespace special ordinals
ORDINAL_SELF, ORDINAL_MAIN, ORDINAL_FLAT, ORDINAL_WEAK = 0, -1, -2, -3

EXPORT_KIND_MASK = 0x3
EXPORT_THREAD_LOCAL = 0x1
EXPORT_ABSOLUTE = 0x2
EXPORT_WEAK_DEFINITION = 0x4
EXPORT_REEXPORT = 0x8
EXPORT_STUB_AND_RESOLVER = 0x10

CHAINED_PTR_64 = 2          # target is an unslid vm address
CHAINED_PTR_64_OFFSET = 6   # target is an offset from the image's mach header


class MachOError(Exception):
    pass


def cstr(data, off, limit=None):
    end = data.find(b"\0", off, limit if limit is not None else len(data))
    if end < 0:
        raise MachOError(f"unterminated string at {off:#x}")
    return data[off:end].decode("utf-8", "replace")


def read_uleb(data, off):
    value = shift = 0
    while True:
        if off >= len(data):
            raise MachOError("ULEB128 runs past its table")
        b = data[off]
        off += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, off


def read_sleb(data, off):
    value = shift = 0
    while True:
        if off >= len(data):
            raise MachOError("SLEB128 runs past its table")
        b = data[off]
        off += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            if b & 0x40:
                value -= 1 << shift
            return value, off


class Section:
    def __init__(self, sectname, segname, addr, size, offset, align, reloff, nreloc, flags, r1, r2):
        self.name, self.segname = sectname, segname
        self.addr, self.size, self.offset, self.align = addr, size, offset, align
        self.reloff, self.nreloc, self.flags = reloff, nreloc, flags
        self.reserved1, self.reserved2 = r1, r2

    @property
    def type(self):
        return self.flags & 0xFF

    @property
    def is_zerofill(self):
        return self.type in ZEROFILL_TYPES

    def __repr__(self):
        return f"{self.segname},{self.name}@{self.addr:#x}+{self.size:#x}"


class Segment:
    def __init__(self, name, vmaddr, vmsize, fileoff, filesize, maxprot, initprot, flags):
        self.name, self.vmaddr, self.vmsize = name, vmaddr, vmsize
        self.fileoff, self.filesize = fileoff, filesize
        self.maxprot, self.initprot, self.flags = maxprot, initprot, flags
        self.sections = []


class Symbol:
    def __init__(self, name, n_type, n_sect, n_desc, n_value):
        self.name, self.type, self.sect, self.desc, self.value = name, n_type, n_sect, n_desc, n_value

    @property
    def is_stab(self):
        return bool(self.type & N_STAB)

    @property
    def is_external(self):
        return bool(self.type & N_EXT)

    @property
    def is_undefined(self):
        return not self.is_stab and (self.type & N_TYPE) == N_UNDF

    @property
    def library_ordinal(self):
        return (self.desc >> 8) & 0xFF


class Rebase:
    """A pointer-sized slot at `address` (unslid) that must hold `target` + slide."""
    def __init__(self, address, target):
        self.address, self.target = address, target


class Bind:
    """A slot at `address` (unslid) that must hold the address of `name` from library
    `ordinal` (1-based index into the dylib load commands, or a special ordinal) + addend.
    A lazy bind also has `lazy_offset`: where its opcodes start in the lazy-bind stream, the
    number a __stub_helper entry hands to dyld_stub_binder."""
    def __init__(self, address, name, ordinal, addend, weak_import, kind, lazy_offset=None):
        self.address, self.name, self.ordinal = address, name, ordinal
        self.addend, self.weak_import, self.kind = addend, weak_import, kind  # kind: bind|lazy|weak
        self.lazy_offset = lazy_offset


class Export:
    def __init__(self, name, flags, address, reexport_ordinal=None, reexport_name=None):
        self.name, self.flags, self.address = name, flags, address
        self.reexport_ordinal, self.reexport_name = reexport_ordinal, reexport_name


class MachOFile:
    def __init__(self, data, path="<memory>"):
        self.data = bytes(data)
        self.path = path
        self.load_commands = []        # (cmd, offset, cmdsize)
        self.segments = []
        self.sections = []             # 1-based n_sect order
        self.dylibs = []               # (cmd, install name) in ordinal order
        self.rpaths = []
        self.install_name = None
        self.entry_offset = None
        self.uuid = None
        self.build_version = None
        self.symtab = None
        self.dysymtab = None
        self.dyld_info = None
        self.chained_fixups = None     # (dataoff, datasize)
        self.exports_trie = None       # (dataoff, datasize)
        self.code_signature = None     # (dataoff, datasize)
        self.function_starts = None
        self.data_in_code = None
        self._parse_header()

    @classmethod
    def from_path(cls, path):
        with open(path, "rb") as f:
            return cls(f.read(), path)

    # -- header and load commands ---------------------------------------------------------
    def _u(self, fmt, off):
        size = struct.calcsize(fmt)
        if off < 0 or off + size > len(self.data):
            raise MachOError(f"{self.path}: read of {size} bytes at {off:#x} is past the end of the file")
        return struct.unpack_from(fmt, self.data, off)

    def _parse_header(self):
        (magic, self.cputype, self.cpusubtype, self.filetype, ncmds, sizeofcmds,
         self.flags, _) = self._u("<IiiIIIII", 0)
        if magic != MH_MAGIC_64:
            raise MachOError(f"{self.path}: not a 64-bit little-endian Mach-O (magic {magic:#x})")
        if 32 + sizeofcmds > len(self.data):
            raise MachOError(f"{self.path}: load commands run past the end of the file")
        self.sizeofcmds = sizeofcmds
        off = 32
        for _ in range(ncmds):
            cmd, cmdsize = self._u("<II", off)
            if cmdsize < 8 or off + cmdsize > 32 + sizeofcmds:
                raise MachOError(f"{self.path}: load command {cmd:#x} at {off:#x} has bad size {cmdsize}")
            self.load_commands.append((cmd, off, cmdsize))
            self._parse_command(cmd, off, cmdsize)
            off += cmdsize

    def _lc_string(self, off, cmdsize, rel):
        if rel >= cmdsize:
            raise MachOError(f"{self.path}: load command string offset {rel} outside its command")
        return cstr(self.data, off + rel, off + cmdsize)

    def _parse_command(self, cmd, off, cmdsize):
        if cmd == LC_SEGMENT_64:
            name, vmaddr, vmsize, fileoff, filesize, maxprot, initprot, nsects, flags = \
                self._u("<16sQQQQiiII", off + 8)
            seg = Segment(name.rstrip(b"\0").decode("utf-8", "replace"), vmaddr, vmsize, fileoff, filesize, maxprot, initprot, flags)
            if 72 + nsects * 80 > cmdsize:
                raise MachOError(f"{self.path}: segment {seg.name} claims more sections than fit")
            for i in range(nsects):
                f = self._u("<16s16sQQIIIIIIII", off + 72 + i * 80)
                sect = Section(f[0].rstrip(b"\0").decode("utf-8", "replace"), f[1].rstrip(b"\0").decode("utf-8", "replace"), *f[2:11])
                seg.sections.append(sect)
                self.sections.append(sect)
            self.segments.append(seg)
        elif cmd == LC_SYMTAB:
            self.symtab = self._u("<IIII", off + 8)
        elif cmd == LC_DYSYMTAB:
            self.dysymtab = self._u("<18I", off + 8)
        elif cmd in DYLIB_LOAD_COMMANDS:
            (name_off,) = self._u("<I", off + 8)
            self.dylibs.append((cmd, self._lc_string(off, cmdsize, name_off)))
        elif cmd == LC_ID_DYLIB:
            (name_off,) = self._u("<I", off + 8)
            self.install_name = self._lc_string(off, cmdsize, name_off)
        elif cmd == LC_RPATH:
            (path_off,) = self._u("<I", off + 8)
            self.rpaths.append(self._lc_string(off, cmdsize, path_off))
        elif cmd == LC_MAIN:
            self.entry_offset, _ = self._u("<QQ", off + 8)
        elif cmd == LC_UUID:
            self.uuid = self.data[off + 8:off + 24]
        elif cmd == LC_BUILD_VERSION:
            self.build_version = self._u("<III", off + 8)
        elif cmd in (LC_DYLD_INFO, LC_DYLD_INFO_ONLY):
            self.dyld_info = self._u("<10I", off + 8)
        elif cmd == LC_DYLD_CHAINED_FIXUPS:
            self.chained_fixups = self._u("<II", off + 8)
        elif cmd == LC_DYLD_EXPORTS_TRIE:
            self.exports_trie = self._u("<II", off + 8)
        elif cmd == LC_CODE_SIGNATURE:
            self.code_signature = self._u("<II", off + 8)
        elif cmd == LC_FUNCTION_STARTS:
            self.function_starts = self._u("<II", off + 8)
        elif cmd == LC_DATA_IN_CODE:
            self.data_in_code = self._u("<II", off + 8)

    # -- lookups --------------------------------------------------------------------------
    def segment(self, name):
        return next((s for s in self.segments if s.name == name), None)

    def section(self, segname, sectname):
        return next((s for s in self.sections if s.segname == segname and s.name == sectname), None)

    @property
    def base_address(self):
        """The vm address of the mach header: __TEXT's start (file offset 0)."""
        text = next((s for s in self.segments if s.fileoff == 0 and s.filesize), None)
        if text is None:
            raise MachOError(f"{self.path}: no segment maps the mach header")
        return text.vmaddr

    def file_offset_of(self, vmaddr):
        for seg in self.segments:
            if seg.vmaddr <= vmaddr < seg.vmaddr + seg.filesize:
                return seg.fileoff + (vmaddr - seg.vmaddr)
        raise MachOError(f"{self.path}: address {vmaddr:#x} is not backed by file data")

    def linkedit(self, pair, what):
        off, size = pair
        if off + size > len(self.data):
            raise MachOError(f"{self.path}: {what} ({off:#x}+{size:#x}) runs past the end of the file")
        return self.data[off:off + size]

    # -- symbol table ---------------------------------------------------------------------
    def symbols(self):
        if self.symtab is None:
            return []
        symoff, nsyms, stroff, strsize = self.symtab
        strtab = self.linkedit((stroff, strsize), "string table")
        table = self.linkedit((symoff, nsyms * 16), "symbol table")
        out = []
        for i in range(nsyms):
            strx, n_type, n_sect, n_desc, n_value = struct.unpack_from("<IBBHQ", table, i * 16)
            if strx >= len(strtab) and strx != 0:
                raise MachOError(f"{self.path}: symbol {i} name offset {strx} outside the string table")
            out.append(Symbol(cstr(strtab, strx) if strx else "", n_type, n_sect, n_desc, n_value))
        return out

    def indirect_symbols(self):
        if not self.dysymtab:
            return []
        off, n = self.dysymtab[12], self.dysymtab[13]
        raw = self.linkedit((off, n * 4), "indirect symbol table")
        return list(struct.unpack_from(f"<{n}I", raw, 0))

    # -- exports --------------------------------------------------------------------------
    def exports(self):
        if self.exports_trie is not None:
            trie = self.linkedit(self.exports_trie, "export trie")
        elif self.dyld_info is not None and self.dyld_info[9]:
            trie = self.linkedit((self.dyld_info[8], self.dyld_info[9]), "export trie")
        else:
            return []
        out = []
        visited = set()

        def walk(node, prefix):
            if node in visited or node >= len(trie):
                raise MachOError(f"{self.path}: export trie node {node:#x} loops or is out of range")
            visited.add(node)
            terminal_size, p = read_uleb(trie, node)
            if terminal_size:
                flags, q = read_uleb(trie, p)
                if flags & EXPORT_REEXPORT:
                    ordinal, q = read_uleb(trie, q)
                    imported = cstr(trie, q)
                    out.append(Export(prefix, flags, 0, ordinal, imported or prefix))
                else:
                    address, q = read_uleb(trie, q)
                    out.append(Export(prefix, flags, address))
            p += terminal_size
            count = trie[p]
            p += 1
            for _ in range(count):
                edge = cstr(trie, p)
                p += len(edge.encode()) + 1
                child, p = read_uleb(trie, p)
                walk(child, prefix + edge)

        if trie:
            walk(0, "")
        return out

    # -- dynamic fixups -------------------------------------------------------------------
    def fixups(self):
        """(rebases, binds, pointer_format) for the whole image, in file order."""
        if self.chained_fixups is not None:
            return self._chained_fixups()
        if self.dyld_info is not None:
            return self._dyld_info_fixups()
        return [], [], None

    def _chained_fixups(self):
        blob = self.linkedit(self.chained_fixups, "chained fixups")
        (version, starts_off, imports_off, symbols_off, imports_count, imports_format,
         symbols_format) = struct.unpack_from("<7I", blob, 0)
        if version != 0:
            raise MachOError(f"{self.path}: chained fixups version {version} unknown")
        if symbols_format != 0:
            raise MachOError(f"{self.path}: compressed chained-fixup symbol names are not supported")
        imports = []
        for i in range(imports_count):
            if imports_format == 1:
                (raw,) = struct.unpack_from("<I", blob, imports_off + 4 * i)
                ordinal, weak, name_off, addend = raw & 0xFF, (raw >> 8) & 1, raw >> 9, 0
                if ordinal >= 0xF0:
                    ordinal -= 0x100
            elif imports_format == 2:
                raw, addend = struct.unpack_from("<Ii", blob, imports_off + 8 * i)
                ordinal, weak, name_off = raw & 0xFF, (raw >> 8) & 1, raw >> 9
                if ordinal >= 0xF0:
                    ordinal -= 0x100
            elif imports_format == 3:
                raw, addend = struct.unpack_from("<Qq", blob, imports_off + 16 * i)
                ordinal, weak, name_off = raw & 0xFFFF, (raw >> 16) & 1, raw >> 32
                if ordinal >= 0xFFF0:
                    ordinal -= 0x10000
            else:
                raise MachOError(f"{self.path}: chained imports format {imports_format} unknown")
            if symbols_off + name_off >= len(blob):
                raise MachOError(f"{self.path}: import {i} name offset outside the fixups blob")
            imports.append((cstr(blob, symbols_off + name_off), ordinal, addend, bool(weak)))

        base = self.base_address
        rebases, binds, formats = [], [], set()
        (seg_count,) = struct.unpack_from("<I", blob, starts_off)
        for seg_index in range(seg_count):
            (seg_info,) = struct.unpack_from("<I", blob, starts_off + 4 + 4 * seg_index)
            if seg_info == 0:
                continue
            at = starts_off + seg_info
            size, page_size, pointer_format, segment_offset, _max_valid, page_count = \
                struct.unpack_from("<IHHQIH", blob, at)
            if pointer_format not in (CHAINED_PTR_64, CHAINED_PTR_64_OFFSET):
                raise MachOError(f"{self.path}: chained pointer format {pointer_format} unsupported")
            formats.add(pointer_format)
            if seg_index >= len(self.segments):
                raise MachOError(f"{self.path}: chained starts for segment {seg_index}, which does not exist")
            seg = self.segments[seg_index]
            for page in range(page_count):
                (start,) = struct.unpack_from("<H", blob, at + 22 + 2 * page)
                if start == 0xFFFF:
                    continue
                if start & 0x8000:
                    raise MachOError(f"{self.path}: multiple chain starts per page are not supported")
                vm = seg.vmaddr + page * page_size + start
                while True:
                    (raw,) = self._u("<Q", self.file_offset_of(vm))
                    nxt = (raw >> 51) & 0xFFF
                    if raw >> 63:
                        ordinal = raw & 0xFFFFFF
                        if ordinal >= len(imports):
                            raise MachOError(f"{self.path}: chained bind at {vm:#x} uses import {ordinal} of {len(imports)}")
                        name, lib, addend, weak = imports[ordinal]
                        inline = (raw >> 24) & 0xFF
                        binds.append(Bind(vm, name, lib, addend + inline, weak, "bind"))
                    else:
                        target = raw & 0xFFFFFFFFF
                        high8 = (raw >> 36) & 0xFF
                        if pointer_format == CHAINED_PTR_64_OFFSET:
                            target += base
                        rebases.append(Rebase(vm, target | (high8 << 56)))
                    if nxt == 0:
                        break
                    vm += nxt * 4
        if len(formats) > 1:
            raise MachOError(f"{self.path}: segments mix chained pointer formats {sorted(formats)}")
        return rebases, binds, (formats.pop() if formats else None)

    def _segment_address(self, seg_index, offset, what):
        if seg_index >= len(self.segments):
            raise MachOError(f"{self.path}: {what} names segment {seg_index}, which does not exist")
        return self.segments[seg_index].vmaddr + offset

    def _dyld_info_fixups(self):
        rebase_off, rebase_size, bind_off, bind_size, weak_off, weak_size, lazy_off, lazy_size = self.dyld_info[:8]
        rebases = []
        ops = self.linkedit((rebase_off, rebase_size), "rebase opcodes")
        p, addr, seg_base = 0, 0, None

        def slot(a):
            (v,) = self._u("<Q", self.file_offset_of(a))
            rebases.append(Rebase(a, v))

        while p < len(ops):
            op, imm = ops[p] & 0xF0, ops[p] & 0x0F
            p += 1
            if op == 0x00:      # DONE
                break
            elif op == 0x10:    # SET_TYPE_IMM
                if imm != 1:
                    raise MachOError(f"{self.path}: rebase type {imm} is not a pointer")
            elif op == 0x20:    # SET_SEGMENT_AND_OFFSET_ULEB
                off, p = read_uleb(ops, p)
                addr = self._segment_address(imm, off, "rebase")
                seg_base = imm
            elif op == 0x30:    # ADD_ADDR_ULEB
                d, p = read_uleb(ops, p)
                addr += d
            elif op == 0x40:    # ADD_ADDR_IMM_SCALED
                addr += imm * 8
            elif op == 0x50:    # DO_REBASE_IMM_TIMES
                for _ in range(imm):
                    slot(addr)
                    addr += 8
            elif op == 0x60:    # DO_REBASE_ULEB_TIMES
                n, p = read_uleb(ops, p)
                for _ in range(n):
                    slot(addr)
                    addr += 8
            elif op == 0x70:    # DO_REBASE_ADD_ADDR_ULEB
                d, p = read_uleb(ops, p)
                slot(addr)
                addr += 8 + d
            elif op == 0x80:    # DO_REBASE_ULEB_TIMES_SKIPPING_ULEB
                n, p = read_uleb(ops, p)
                skip, p = read_uleb(ops, p)
                for _ in range(n):
                    slot(addr)
                    addr += 8 + skip
            else:
                raise MachOError(f"{self.path}: rebase opcode {op:#x} unknown")
            if seg_base is None and op >= 0x50:
                raise MachOError(f"{self.path}: rebase before any segment was set")

        binds = []
        binds += self._bind_opcodes(self.linkedit((bind_off, bind_size), "bind opcodes"), "bind")
        binds += self._bind_opcodes(self.linkedit((lazy_off, lazy_size), "lazy bind opcodes"), "lazy")
        binds += self._bind_opcodes(self.linkedit((weak_off, weak_size), "weak bind opcodes"), "weak")
        return rebases, binds, None

    def _bind_opcodes(self, ops, kind):
        out = []
        p = entry = 0
        ordinal, name, addend, addr, weak = 0, None, 0, 0, False
        while p < len(ops):
            op, imm = ops[p] & 0xF0, ops[p] & 0x0F
            p += 1
            if op == 0x00:      # DONE: lazy-bind streams keep going, one entry after another
                if kind != "lazy":
                    break
                entry = p
            elif op == 0x10:    # SET_DYLIB_ORDINAL_IMM
                ordinal = imm
            elif op == 0x20:    # SET_DYLIB_ORDINAL_ULEB
                ordinal, p = read_uleb(ops, p)
            elif op == 0x30:    # SET_DYLIB_SPECIAL_IMM (sign-extended 4-bit)
                ordinal = imm - 16 if imm else 0
            elif op == 0x40:    # SET_SYMBOL_TRAILING_FLAGS_IMM
                weak = bool(imm & 0x1)
                name = cstr(ops, p)
                p += len(name.encode()) + 1
                if imm & 0x8:   # BIND_SYMBOL_FLAGS_NON_WEAK_DEFINITION: no slot, a marker
                    pass
            elif op == 0x50:    # SET_TYPE_IMM
                if imm != 1:
                    raise MachOError(f"{self.path}: bind type {imm} is not a pointer")
            elif op == 0x60:    # SET_ADDEND_SLEB
                addend, p = read_sleb(ops, p)
            elif op == 0x70:    # SET_SEGMENT_AND_OFFSET_ULEB
                off, p = read_uleb(ops, p)
                addr = self._segment_address(imm, off, f"{kind} bind")
            elif op == 0x80:    # ADD_ADDR_ULEB
                d, p = read_uleb(ops, p)
                addr = (addr + d) & 0xFFFFFFFFFFFFFFFF
            elif op == 0x90:    # DO_BIND
                out.append(Bind(addr, name, ordinal, addend, weak, kind, entry if kind == "lazy" else None))
                addr += 8
            elif op == 0xA0:    # DO_BIND_ADD_ADDR_ULEB
                d, p = read_uleb(ops, p)
                out.append(Bind(addr, name, ordinal, addend, weak, kind, entry if kind == "lazy" else None))
                addr = (addr + 8 + d) & 0xFFFFFFFFFFFFFFFF
            elif op == 0xB0:    # DO_BIND_ADD_ADDR_IMM_SCALED
                out.append(Bind(addr, name, ordinal, addend, weak, kind, entry if kind == "lazy" else None))
                addr += 8 + imm * 8
            elif op == 0xC0:    # DO_BIND_ULEB_TIMES_SKIPPING_ULEB
                n, p = read_uleb(ops, p)
                skip, p = read_uleb(ops, p)
                for _ in range(n):
                    out.append(Bind(addr, name, ordinal, addend, weak, kind, entry if kind == "lazy" else None))
                    addr += 8 + skip
            else:
                raise MachOError(f"{self.path}: {kind} bind opcode {op:#x} unknown")
        return out


def describe(macho):
    """A readable dump: what the harness understood of a file (for debugging a linker)."""
    lines = [f"{macho.path}: filetype {macho.filetype}, flags {macho.flags:#x}, {len(macho.load_commands)} load commands"]
    for cmd, off, size in macho.load_commands:
        lines.append(f"  {LOAD_COMMAND_NAMES.get(cmd, hex(cmd))} at {off:#x} ({size} bytes)")
    for seg in macho.segments:
        lines.append(f"  segment {seg.name} vm {seg.vmaddr:#x}+{seg.vmsize:#x} file {seg.fileoff:#x}+{seg.filesize:#x} "
                     f"prot {seg.initprot}/{seg.maxprot} flags {seg.flags:#x}")
        for s in seg.sections:
            lines.append(f"    {s.segname},{s.name} {s.addr:#x}+{s.size:#x} offset {s.offset:#x} align 2^{s.align} flags {s.flags:#x}")
    for kind, name in macho.dylibs:
        lines.append(f"  dylib {name} ({LOAD_COMMAND_NAMES.get(kind, hex(kind))})")
    rebases, binds, pointer_format = macho.fixups()
    lines.append(f"  fixups: {'chained, pointer format ' + str(pointer_format) if macho.chained_fixups else 'dyld-info' if macho.dyld_info else 'none'}")
    for r in rebases:
        lines.append(f"    rebase {r.address:#x} -> {r.target:#x}")
    for b in binds:
        lines.append(f"    {b.kind} {b.address:#x} -> {b.name} (library {b.ordinal}, addend {b.addend}{', weak import' if b.weak_import else ''})")
    for e in macho.exports():
        lines.append(f"  export {e.name} {e.address:#x} flags {e.flags:#x}")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys
    for p in sys.argv[1:]:
        print(describe(MachOFile.from_path(p)))
