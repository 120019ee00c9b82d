"""C++ exceptions for the emulated libc++abi: __cxa_throw and friends, an unwinder that steps
frames with the linker's __unwind_info (compact encodings), and the personality routine that
reads each frame's LSDA (__gcc_except_table) to find cleanups and handlers. Frames described
in DWARF (__eh_frame) are stepped by dwarf_cfi.py.

This tests the linker's unwind output for real: a wrong function offset, encoding, personality
slot or LSDA pointer in __unwind_info makes a corpus program print the wrong thing or
terminate. Only what clang emits for arm64 macOS is modelled: frame-based compact encodings,
DWARF-mode frames, and ___gxx_personality_v0.
"""
import struct

from emulator import SP, D, EmulationError, Jump, ProgramExit, Call
from macho_file import read_uleb, read_sleb
from unwind_info import UnwindInfo
from dwarf_cfi import FrameDescription, read_encoded, step as dwarf_step

UNWIND_MODE_MASK = 0x0F000000
MODE_FRAMELESS, MODE_DWARF, MODE_FRAME = 0x02000000, 0x03000000, 0x04000000
SAVED_PAIRS = [(0x1, (19, 20)), (0x2, (21, 22)), (0x4, (23, 24)), (0x8, (25, 26)), (0x10, (27, 28))]
SAVED_FLOAT_PAIRS = [(0x100, (8, 9)), (0x200, (10, 11)), (0x400, (12, 13)), (0x800, (14, 15))]
HEADER = 128          # bytes in front of a thrown object: our __cxa_exception stand-in
UNWIND_HEADER_AT = 96  # where the _Unwind_Exception the landing pad sees lives in that header
POINTER_MASK = 0x00FF_FFFF_FFFF_FFFF  # arm64 RTTI marks non-unique type names in the top bits


class Thrown:
    def __init__(self, obj, size):
        self.obj, self.size = obj, size
        self.type_info = self.destructor = 0
        self.handlers = 0
        self.rethrown = False
        self.adjusted = obj

    @property
    def unwind_header(self):
        return self.obj - HEADER + UNWIND_HEADER_AT


def install(system):
    thrown_by_obj, thrown_by_header, caught = {}, {}, []
    tables = {}

    def frame_info(m, pc):
        """(function start, encoding, personality, lsda, FDE or None) for the frame at pc, or
        None. A DWARF-mode frame takes its start, personality and LSDA from its FDE."""
        image = m.image_at(pc)
        if image is None:
            return None
        if image.index not in tables:
            tables[image.index] = UnwindInfo(image.macho)
        entry = tables[image.index].lookup(pc - image.load_address)
        if entry is None:
            return None
        base = image.load_address
        personality = m.u64(base + entry.personality_slot) if entry.personality_slot is not None else 0
        lsda = base + entry.lsda if entry.lsda is not None else 0
        if entry.encoding & UNWIND_MODE_MASK == MODE_DWARF:
            eh_frame = image.macho.section("__TEXT", "__eh_frame")
            if eh_frame is None:
                raise EmulationError(f"{m.symbolize(pc)}: DWARF-mode unwind entry but no __eh_frame")
            fde_address = eh_frame.addr + image.slide + (entry.encoding & 0xFFFFFF)
            fde = FrameDescription(m, fde_address)
            return fde.pc_begin, entry.encoding, fde.personality or 0, fde.lsda or 0, fde_address
        return base + entry.function, entry.encoding, personality, lsda, None

    def terminate(m, why):
        system.flush_stdout()
        m.emit(2, b"libc++abi: terminating: " + why.encode() + b"\n")
        raise ProgramExit(134)

    def type_name(m, ti):
        return m.cstring(m.u64(ti + 8) & POINTER_MASK).decode("latin-1")

    def kind_of(m, ti):
        vtable = m.u64(ti) - 16
        for kind, symbol in (("si_class", "__ZTVN10__cxxabiv120__si_class_type_infoE"),
                             ("vmi_class", "__ZTVN10__cxxabiv121__vmi_class_type_infoE")):
            if system.data.get(symbol) == vtable:
                return kind
        return "other"

    def match(m, catch_ti, thrown):
        """The adjusted object pointer when `catch_ti` catches `thrown`, else None."""
        def walk(ti, ptr):
            if ti == catch_ti or type_name(m, ti) == type_name(m, catch_ti):
                return ptr
            kind = kind_of(m, ti)
            if kind == "si_class":
                return walk(m.u64(ti + 16), ptr)
            if kind == "vmi_class":
                count = m.u32(ti + 20)
                for i in range(count):
                    base, offset_flags = struct.unpack("<Qq", m.read(ti + 24 + 16 * i, 16))
                    if offset_flags & 0x2 and not offset_flags & 0x1:   # public, non-virtual
                        hit = walk(base, ptr + (offset_flags >> 8))
                        if hit is not None:
                            return hit
            return None
        hit = walk(thrown.type_info, thrown.obj)
        if hit is not None and type_name(m, catch_ti).startswith("P"):
            hit = m.u64(thrown.obj)        # a pointer is caught by value: the handler gets it
        return hit

    def personality(m, func, lsda, pc, thrown):
        """(landing pad, selector) for this frame, or None to keep unwinding."""
        ip = pc - 1
        p = lsda
        lp_enc = m.read(p, 1)[0]
        p += 1
        lp_start, p = read_encoded(m, p, lp_enc)
        if lp_start is None:
            lp_start = func
        tt_enc = m.read(p, 1)[0]
        p += 1
        tt_base = None
        if tt_enc != 0xFF:
            off, n = read_uleb(m.read(p, 10), 0)
            p += n
            tt_base = p + off
        cs_enc = m.read(p, 1)[0]
        p += 1
        cs_len, n = read_uleb(m.read(p, 10), 0)
        p += n
        actions = p + cs_len
        while p < actions:
            start, p = read_encoded(m, p, cs_enc)
            length, p = read_encoded(m, p, cs_enc)
            pad, p = read_encoded(m, p, cs_enc)
            action, n = read_uleb(m.read(p, 10), 0)
            p += n
            if func + start <= ip < func + start + length:
                if pad == 0:
                    return None
                if action == 0:
                    return lp_start + pad, 0
                cleanup = False
                a = actions + action - 1
                while True:
                    flt, n1 = read_sleb(m.read(a, 10), 0)
                    disp, _ = read_sleb(m.read(a + n1, 10), 0)
                    if flt > 0:
                        size = {0x00: 8, 0x03: 4, 0x0B: 4, 0x04: 8, 0x0C: 8}.get(tt_enc & 0x0F)
                        if size is None or tt_base is None:
                            raise EmulationError(f"LSDA type table encoding {tt_enc:#x} not modelled")
                        entry = tt_base - flt * size
                        catch_ti, _ = read_encoded(m, entry, tt_enc)
                        adjusted = thrown.obj if catch_ti == 0 else match(m, catch_ti, thrown)
                        if adjusted is not None:
                            thrown.adjusted = adjusted
                            return lp_start + pad, flt
                    elif flt == 0:
                        cleanup = True
                    if disp == 0:
                        break
                    a = a + n1 + disp
                return (lp_start + pad, 0) if cleanup else None
        terminate(m, "call site not in the LSDA's table")

    def unwind(m, thrown):
        regs = {i: m.x(i) for i in range(19, 31)}
        floats = {i: m.uc.reg_read(D[i]) for i in range(8, 16)}
        sp, pc = m.sp, m.x(30)
        for _ in range(10000):
            found = frame_info(m, pc - 1)
            if found is None:
                terminate(m, f"uncaught exception of type {type_name(m, thrown.type_info)} "
                             f"(no unwind info at {m.symbolize(pc)})")
            func, encoding, pers, lsda, fde_address = found
            if pers and lsda:
                if pers != system.address_of("___gxx_personality_v0"):
                    raise EmulationError(f"personality {m.symbolize(pers)} at {m.symbolize(pc)} is not ___gxx_personality_v0")
                decision = personality(m, func, lsda, pc, thrown)
                if decision:
                    landing, selector = decision
                    for i, v in regs.items():
                        if i != 30:
                            m.set_x(i, v)
                    for i, v in floats.items():
                        m.uc.reg_write(D[i], v)
                    m.uc.reg_write(SP, sp)
                    m.set_x(0, thrown.unwind_header)
                    m.set_x(1, selector)
                    return Jump(landing)
            mode = encoding & UNWIND_MODE_MASK
            if mode == MODE_FRAME:
                fp = regs[29]
                loc = fp - 8
                for bit, pair in SAVED_PAIRS:
                    if encoding & bit:
                        regs[pair[0]], regs[pair[1]] = m.u64(loc), m.u64(loc - 8)
                        loc -= 16
                for bit, pair in SAVED_FLOAT_PAIRS:
                    if encoding & bit:
                        floats[pair[0]], floats[pair[1]] = m.u64(loc), m.u64(loc - 8)
                        loc -= 16
                regs[29], pc, sp = m.u64(fp), m.u64(fp + 8), fp + 16
            elif mode == MODE_FRAMELESS:
                raise EmulationError(f"unwinding through frameless {m.symbolize(func)}: only a leaf "
                                     "can be frameless, and a leaf does not call")
            elif mode == MODE_DWARF:
                regs, floats, sp, pc = dwarf_step(m, fde_address, pc, regs, floats, sp)
            else:
                terminate(m, f"no unwind encoding for {m.symbolize(func)} (encoding {encoding:#x})")
        raise EmulationError("unwinding did not reach a handler in 10000 frames")

    def allocate(m):
        size = m.x(0)
        block = system.malloc(HEADER + size)
        m.write(block, bytes(HEADER + size))
        thrown = Thrown(block + HEADER, size)
        thrown_by_obj[thrown.obj] = thrown
        thrown_by_header[thrown.unwind_header] = thrown
        return thrown.obj

    def free_exception(m):
        thrown = thrown_by_obj.pop(m.x(0), None)
        if thrown:
            thrown_by_header.pop(thrown.unwind_header, None)
            system.free(thrown.obj - HEADER)

    def throw(m):
        thrown = thrown_by_obj.get(m.x(0))
        if thrown is None:
            raise EmulationError("__cxa_throw of an object __cxa_allocate_exception did not return")
        thrown.type_info, thrown.destructor = m.x(1), m.x(2)
        return unwind(m, thrown)

    def by_header(m):
        thrown = thrown_by_header.get(m.x(0))
        if thrown is None:
            raise EmulationError(f"{m.x(0):#x} is not an exception in flight")
        return thrown

    def begin_catch(m):
        thrown = by_header(m)
        thrown.handlers += 1
        thrown.rethrown = False
        caught.append(thrown)
        return thrown.adjusted

    def end_catch(m):
        if not caught:
            raise EmulationError("__cxa_end_catch with no exception caught")
        thrown = caught[-1]
        thrown.handlers -= 1
        if thrown.handlers == 0:
            caught.pop()
            if thrown.rethrown:
                return None
            def destroy():
                if thrown.destructor:
                    yield Call(thrown.destructor, thrown.obj)
                thrown_by_obj.pop(thrown.obj, None)
                thrown_by_header.pop(thrown.unwind_header, None)
                system.free(thrown.obj - HEADER)
            return destroy()
        return None

    def rethrow(m):
        if not caught:
            terminate(m, "rethrow with no exception caught")
        thrown = caught[-1]
        thrown.rethrown = True
        return unwind(m, thrown)

    def resume(m):
        return unwind(m, by_header(m))

    def call_unexpected(m):
        terminate(m, "exception specification violated")

    system.functions.update({
        "___cxa_allocate_exception": allocate,
        "___cxa_free_exception": free_exception,
        "___cxa_throw": throw,
        "___cxa_begin_catch": begin_catch,
        "___cxa_end_catch": end_catch,
        "___cxa_rethrow": rethrow,
        "___cxa_get_exception_ptr": lambda m: by_header(m).adjusted,
        "___cxa_call_unexpected": call_unexpected,
        "__Unwind_Resume": resume,
        "___gxx_personality_v0": lambda m: terminate(m, "the personality routine was called directly"),
    })
