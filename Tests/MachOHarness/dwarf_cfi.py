"""DWARF call-frame information (__TEXT,__eh_frame) for the unwinder: the frames whose compact
unwind encoding says "see DWARF" (UNWIND_ARM64_MODE_DWARF, low 24 bits = the FDE's offset in
__eh_frame). Reads a CIE and FDE from emulated memory, runs the CFA program up to the return
address, and steps to the caller. Format: the DWARF 4 .debug_frame rules with the GNU/LSB
.eh_frame augmentations ("zR", "zPLR"); arm64 register numbers (x0-x30 = 0-30, sp = 31,
v0-v31 = 64-95)."""
import struct

from emulator import EmulationError
from macho_file import read_uleb, read_sleb

SP_REG, RA_REG = 31, 30
FLOAT_BASE = 64


class Cursor:
    """Sequential reads from emulated memory."""
    def __init__(self, m, addr):
        self.m, self.addr = m, addr

    def u8(self):
        v = self.m.read(self.addr, 1)[0]
        self.addr += 1
        return v

    def fixed(self, fmt):
        size = struct.calcsize(fmt)
        (v,) = struct.unpack(fmt, self.m.read(self.addr, size))
        self.addr += size
        return v

    def uleb(self):
        v, n = read_uleb(self.m.read(self.addr, 10), 0)
        self.addr += n
        return v

    def sleb(self):
        v, n = read_sleb(self.m.read(self.addr, 10), 0)
        self.addr += n
        return v

    def cstring(self):
        s = self.m.cstring(self.addr)
        self.addr += len(s) + 1
        return s

    def encoded(self, enc):
        value, self.addr = read_encoded(self.m, self.addr, enc)
        return value


def read_encoded(m, addr, enc):
    """A DW_EH_PE-encoded pointer at `addr` (as in __eh_frame and LSDAs): (value, next address).
    Absolute or pc-relative, optionally indirect; a zero stays zero (a null type-table entry
    is catch-all, not `pc + 0`). 0xff (omit) gives None."""
    if enc == 0xFF:
        return None, addr
    fmt, app = enc & 0x0F, enc & 0x70
    if fmt == 0x01:
        value, n = read_uleb(m.read(addr, 10), 0)
    elif fmt == 0x09:
        value, n = read_sleb(m.read(addr, 10), 0)
    else:
        sizes = {0x00: ("<Q", 8), 0x02: ("<H", 2), 0x03: ("<I", 4), 0x04: ("<Q", 8),
                 0x0A: ("<h", 2), 0x0B: ("<i", 4), 0x0C: ("<q", 8)}
        if fmt not in sizes:
            raise EmulationError(f"pointer encoding {enc:#x} not modelled")
        f, n = sizes[fmt]
        (value,) = struct.unpack(f, m.read(addr, n))
    if value == 0:
        return 0, addr + n
    if app == 0x10:
        value += addr
    elif app:
        raise EmulationError(f"pointer application {app:#x} not modelled")
    value &= 0xFFFF_FFFF_FFFF_FFFF
    if enc & 0x80:
        value = m.u64(value)
    return value, addr + n


class FrameDescription:
    def __init__(self, m, fde):
        c = Cursor(m, fde)
        length = c.fixed("<I")
        if length in (0, 0xFFFFFFFF):
            raise EmulationError(f"FDE at {fde:#x}: length {length:#x} not modelled")
        end = c.addr + length
        cie_pointer = c.fixed("<I")
        if cie_pointer == 0:
            raise EmulationError(f"{fde:#x} is a CIE, not an FDE: the unwind entry's FDE offset is wrong")
        cie = c.addr - 4 - cie_pointer
        self._parse_cie(m, cie)
        self.pc_begin = c.encoded(self.fde_encoding)
        self.pc_range = c.encoded(self.fde_encoding & 0x0F)
        self.lsda = None
        if self.augmentation.startswith(b"z"):
            aug_len = c.uleb()
            after = c.addr + aug_len
            if b"L" in self.augmentation:
                self.lsda = c.encoded(self.lsda_encoding) or None
            c.addr = after
        self.instructions = (c.addr, end)

    def _parse_cie(self, m, cie):
        c = Cursor(m, cie)
        length = c.fixed("<I")
        end = c.addr + length
        if c.fixed("<I") != 0:
            raise EmulationError(f"CIE at {cie:#x} has a non-zero id")
        version = c.u8()
        self.augmentation = c.cstring()
        self.code_align = c.uleb()
        self.data_align = c.sleb()
        self.ra_register = c.u8() if version == 1 else c.uleb()
        self.fde_encoding, self.lsda_encoding, self.personality = 0x00, 0xFF, None
        if self.augmentation.startswith(b"z"):
            aug_len = c.uleb()
            after = c.addr + aug_len
            for ch in self.augmentation[1:]:
                if ch == ord("R"):
                    self.fde_encoding = c.u8()
                elif ch == ord("P"):
                    self.personality = c.encoded(c.u8())
                elif ch == ord("L"):
                    self.lsda_encoding = c.u8()
                elif ch not in (ord("S"), ord("B")):
                    raise EmulationError(f"CIE augmentation {self.augmentation!r} not modelled")
            c.addr = after
        self.initial = (c.addr, end)

    def rules_at(self, m, target):
        """(cfa register, cfa offset, {register: offset from CFA}) in force at `target`."""
        state = {"cfa": (SP_REG, 0), "saved": {}}
        stack = []
        initial = None

        def run(start, end, stop_at):
            nonlocal initial
            c = Cursor(m, start)
            loc = self.pc_begin
            while c.addr < end:
                op = c.u8()
                high, low = op >> 6, op & 0x3F
                if high == 1:                       # advance_loc
                    loc += low * self.code_align
                elif high == 2:                     # offset
                    state["saved"][low] = c.uleb() * self.data_align
                elif high == 3:                     # restore
                    state["saved"].pop(low, None)
                    if initial and low in initial:
                        state["saved"][low] = initial[low]
                elif op == 0x00:                    # nop
                    pass
                elif op in (0x02, 0x03, 0x04):      # advance_loc1/2/4
                    loc += c.fixed({2: "<B", 3: "<H", 4: "<I"}[op]) * self.code_align
                elif op == 0x05:                    # offset_extended
                    reg = c.uleb()
                    state["saved"][reg] = c.uleb() * self.data_align
                elif op in (0x06, 0x07, 0x08):      # restore_extended, undefined, same_value
                    state["saved"].pop(c.uleb(), None)
                elif op == 0x0A:                    # remember_state
                    stack.append((state["cfa"], dict(state["saved"])))
                elif op == 0x0B:                    # restore_state
                    state["cfa"], state["saved"] = stack.pop()
                elif op == 0x0C:                    # def_cfa
                    reg = c.uleb()
                    state["cfa"] = (reg, c.uleb())
                elif op == 0x0D:                    # def_cfa_register
                    state["cfa"] = (c.uleb(), state["cfa"][1])
                elif op == 0x0E:                    # def_cfa_offset
                    state["cfa"] = (state["cfa"][0], c.uleb())
                elif op == 0x11:                    # offset_extended_sf
                    reg = c.uleb()
                    state["saved"][reg] = c.sleb() * self.data_align
                elif op == 0x12:                    # def_cfa_sf
                    reg = c.uleb()
                    state["cfa"] = (reg, c.sleb() * self.data_align)
                elif op == 0x13:                    # def_cfa_offset_sf
                    state["cfa"] = (state["cfa"][0], c.sleb() * self.data_align)
                elif op == 0x2E:                    # GNU_args_size
                    c.uleb()
                else:
                    raise EmulationError(f"DWARF CFA instruction {op:#x} not modelled")
                if stop_at is not None and loc > stop_at:
                    return

        run(*self.initial, None)
        initial = dict(state["saved"])
        run(*self.instructions, target)
        return state["cfa"][0], state["cfa"][1], state["saved"]


def step(m, fde_address, pc, regs, floats, sp):
    """Unwind one DWARF-described frame. regs: {19..30: value}, floats: {8..15: raw bits}.
    Returns the caller's (regs, floats, sp, pc)."""
    fde = FrameDescription(m, fde_address)
    if not fde.pc_begin <= pc - 1 < fde.pc_begin + fde.pc_range:
        raise EmulationError(f"FDE at {fde_address:#x} covers {fde.pc_begin:#x}+{fde.pc_range:#x}, "
                             f"not the return address {pc:#x}: the unwind entry points at the wrong FDE")
    cfa_reg, cfa_off, saved = fde.rules_at(m, pc - 1)
    base = sp if cfa_reg == SP_REG else regs.get(cfa_reg)
    if base is None:
        raise EmulationError(f"CFA register {cfa_reg} is not one the unwinder tracks")
    cfa = base + cfa_off
    regs, floats = dict(regs), dict(floats)
    for reg, offset in saved.items():
        if reg in regs or reg == RA_REG:
            regs[reg] = m.u64(cfa + offset)
        elif FLOAT_BASE + 8 <= reg <= FLOAT_BASE + 15:
            floats[reg - FLOAT_BASE] = m.u64(cfa + offset)
    return regs, floats, cfa, regs[RA_REG]
