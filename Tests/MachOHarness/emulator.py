"""An arm64 machine (Unicorn) that loads a linked Mach-O executable and its own dylibs the way
dyld does -- maps segments at a chosen slide with their protections, applies chained fixups or
classic dyld-info rebases and binds, sets up thread-local variables, runs initializers, calls
main -- and routes every call into a system library (/usr/lib, /System) to a Python function.

System functions are reached through trap stubs (`svc #0; ret`). A trap stops the emulator;
the Python side runs outside it, because Unicorn cannot nest emu_start. Python functions that
must call back into emulated code (qsort's comparator, atexit handlers, initializers, main)
are generators that yield `Call(function, args)` and receive the callee's x0.
"""
import inspect
import os
import struct
import time

from unicorn import (Uc, UcError, UC_ARCH_ARM64, UC_MODE_ARM, UC_HOOK_INTR, UC_HOOK_MEM_INVALID,
                     UC_PROT_NONE, UC_PROT_READ, UC_PROT_WRITE, UC_PROT_EXEC, UC_PROT_ALL)
from unicorn import arm64_const as A

import macho_file as M
from system_libraries import SystemLibrary, load_stubs

PAGE = 0x4000                       # arm64 macOS page size; dyld refuses other segment alignment
EXE_SLOT = 0x1_0000_0000            # where an executable's __TEXT is linked (after __PAGEZERO)
DYLIB_BASE = 0x2_0000_0000          # dylibs are linked at 0; each gets a 256 MiB window from here
DYLIB_WINDOW = 0x1000_0000
TRAP_BASE = 0x6_0000_0000           # one 8-byte stub per system function
TRAP_COUNT = 8192
SYSDATA_BASE = 0x6_1000_0000        # data owned by the Python libSystem (FILEs, typeinfo, guard)
SYSDATA_SIZE = 0x10_0000
HEAP_BASE = 0x7_0000_0000
HEAP_SIZE = 0x1000_0000
STACK_TOP = 0x7_f000_0000
STACK_SIZE = 0x80_0000
STOP_ADDRESS = 0xFFFF_FFFF_FFFF_0000  # never executed: emu_start needs an "until"

X = [A.UC_ARM64_REG_X0 + i for i in range(29)] + [A.UC_ARM64_REG_X29, A.UC_ARM64_REG_X30]
D = [A.UC_ARM64_REG_D0 + i for i in range(32)]
SP, PC = A.UC_ARM64_REG_SP, A.UC_ARM64_REG_PC

SVC0_RET = struct.pack("<II", 0xD4000001, 0xD65F03C0)
SYSTEM_PREFIXES = ("/usr/lib/", "/System/")
MH_PIE = 0x200000


class ProgramExit(Exception):
    def __init__(self, status):
        self.status = status


class EmulationError(Exception):
    """The program did something a Mac would kill it for, or that the harness cannot model."""


class Call:
    """Yielded by a generator shim: run emulated `function(*args)`, resume with its x0."""
    def __init__(self, function, *args):
        self.function, self.args = function, args


class Jump:
    """Returned by a shim that has set every register itself (the unwinder landing in a
    handler): the machine resumes at `pc` instead of returning to the caller."""
    def __init__(self, pc):
        self.pc = pc


class Image:
    def __init__(self, macho, path, load_address, index):
        self.macho, self.path, self.index = macho, path, index
        self.load_address = load_address
        self.slide = load_address - macho.base_address
        self.dependencies = []      # per dylib load command: Image, SystemLibrary, or None (weak, missing)
        self.exports = {e.name: e for e in macho.exports()}
        self.tls_template = None    # initial contents of one thread's TLS block, after fixups
        self.lazy_binds = {}        # lazy-bind stream offset -> Bind, for dyld_stub_binder
        self.defined = sorted((s.value + self.slide, s.name) for s in macho.symbols()
                              if not s.is_stab and (s.type & M.N_TYPE) == M.N_SECT)

    def contains(self, addr):
        return any(s.vmaddr + self.slide <= addr < s.vmaddr + s.vmsize + self.slide
                   for s in self.macho.segments if s.name != "__PAGEZERO")

    def symbolize(self, addr):
        best = None
        for value, name in self.defined:
            if value > addr:
                break
            best = (value, name)
        name = os.path.basename(self.path)
        return f"{name}`{best[1]}+{addr - best[0]:#x}" if best else f"{name}+{addr - self.load_address:#x}"


class Machine:
    def __init__(self, exe_path, argv, system, slide=0, lib_paths=(), timeout=30.0, max_output=1 << 22,
                 trace=None):
        self.system = system            # the Python libSystem: names -> functions and data
        self.trace = trace              # a file to log each system call to, or None
        self.uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
        self.uc.ctl_set_cpu_model(A.UC_CPU_ARM64_MAX)   # LSE atomics, as an Apple M1 has
        self.slide = slide
        self.lib_paths = list(lib_paths)
        self.deadline = time.monotonic() + timeout
        self.max_output = max_output
        self.images = []
        self.initialization_order = []  # dependencies before the images that load them, as dyld
        self.output = {1: bytearray(), 2: bytearray()}
        self.traps = []                 # index -> (name, python function)
        self.trap_by_name = {}
        self.frames = []                # generator shims waiting for an emulated callee
        self.fault = None
        self.sysdata_next = SYSDATA_BASE
        self.sysdata_symbols = {}
        self.uc.mem_map(TRAP_BASE, TRAP_COUNT * 8, UC_PROT_READ | UC_PROT_EXEC)
        self.uc.mem_map(SYSDATA_BASE, SYSDATA_SIZE, UC_PROT_READ | UC_PROT_WRITE)
        self.uc.mem_map(HEAP_BASE, HEAP_SIZE, UC_PROT_READ | UC_PROT_WRITE)
        self.uc.mem_map(STACK_TOP - STACK_SIZE, STACK_SIZE, UC_PROT_READ | UC_PROT_WRITE)
        self.uc.hook_add(UC_HOOK_INTR, self._on_trap)
        self.uc.hook_add(UC_HOOK_MEM_INVALID, self._on_invalid_memory)
        self.return_trap = self.trap("<return from callback>", None)
        self.argv = [exe_path] + list(argv)
        self.system_libraries = load_stubs()
        system.attach(self)
        self.main = None
        self.load(exe_path, EXE_SLOT + slide, is_main=True)

    # -- registers and memory ---------------------------------------------------------------
    def x(self, i):
        return self.uc.reg_read(X[i])

    def set_x(self, i, value):
        self.uc.reg_write(X[i], value & 0xFFFF_FFFF_FFFF_FFFF)

    def d(self, i):
        return struct.unpack("<d", struct.pack("<Q", self.uc.reg_read(D[i])))[0]

    def set_d(self, i, value):
        self.uc.reg_write(D[i], struct.unpack("<Q", struct.pack("<d", value))[0])

    @property
    def sp(self):
        return self.uc.reg_read(SP)

    def read(self, addr, n):
        return bytes(self.uc.mem_read(addr, n)) if n else b""

    def write(self, addr, data):
        if data:
            self.uc.mem_write(addr, bytes(data))

    def u64(self, addr):
        return struct.unpack("<Q", self.read(addr, 8))[0]

    def u32(self, addr):
        return struct.unpack("<I", self.read(addr, 4))[0]

    def put64(self, addr, value):
        self.write(addr, struct.pack("<Q", value & 0xFFFF_FFFF_FFFF_FFFF))

    def cstring(self, addr, limit=1 << 20):
        if addr == 0:
            raise EmulationError("NULL passed where a C string was expected")
        out = bytearray()
        while len(out) < limit:
            chunk = self.read(addr + len(out), 256 - ((addr + len(out)) & 255))
            end = chunk.find(b"\0")
            if end >= 0:
                return bytes(out + chunk[:end])
            out += chunk
        raise EmulationError(f"unterminated string at {addr:#x}")

    def sysdata(self, size, align=16, name=None):
        """Memory owned by the Python libSystem (a FILE, a typeinfo object, a guard word)."""
        addr = (self.sysdata_next + align - 1) & ~(align - 1)
        self.sysdata_next = addr + max(size, 1)
        if self.sysdata_next > SYSDATA_BASE + SYSDATA_SIZE:
            raise EmulationError("system data region exhausted")
        if name:
            self.sysdata_symbols[addr] = name
        return addr

    def trap(self, name, function):
        if name in self.trap_by_name:
            return self.trap_by_name[name]
        index = len(self.traps)
        if index >= TRAP_COUNT:
            raise EmulationError("too many system functions")
        addr = TRAP_BASE + 8 * index
        self.uc.mem_write(addr, SVC0_RET)
        self.traps.append((name, function))
        self.trap_by_name[name] = addr
        return addr

    def emit(self, fd, data):
        buf = self.output.setdefault(fd, bytearray())
        buf += data
        if len(buf) > self.max_output:
            raise EmulationError(f"more than {self.max_output} bytes written to fd {fd}")

    # -- loading (what dyld does) -----------------------------------------------------------
    def load(self, path, load_address, is_main=False):
        macho = M.MachOFile.from_path(path)
        want = M.MH_EXECUTE if is_main else M.MH_DYLIB
        if macho.filetype != want:
            raise EmulationError(f"{path}: file type {macho.filetype}, expected {want}")
        if macho.cputype != 0x0100000C:
            raise EmulationError(f"{path}: not arm64 (cputype {macho.cputype:#x})")
        if is_main and not macho.flags & MH_PIE:
            raise EmulationError(f"{path}: not position-independent (MH_PIE unset): arm64 macOS refuses it")
        if macho.build_version is None:
            raise EmulationError(f"{path}: no LC_BUILD_VERSION: dyld cannot tell the platform")
        self._validate_layout(macho, path)
        image = Image(macho, path, load_address, len(self.images))
        self.images.append(image)
        if is_main:
            self.main = image
        self._map_segments(image)
        for cmd, name in macho.dylibs:
            image.dependencies.append(self._dependency(image, cmd, name))
        self.initialization_order.append(image)
        self._apply_fixups(image)
        self._prepare_tls(image)
        self._protect(image)
        return image

    def _validate_layout(self, macho, path):
        """What dyld rejects as a malformed image before mapping anything."""
        def bad(why):
            raise EmulationError(f"{path}: malformed: {why}")
        segments = [s for s in macho.segments if s.name != "__PAGEZERO"]
        file_sections = [s for s in macho.sections if not s.is_zerofill and s.size]
        if file_sections and 32 + macho.sizeofcmds > min(s.offset for s in file_sections):
            bad("the load commands overlap the first section's data")
        for seg in segments:
            for sect in seg.sections:
                if sect.segname != seg.name:
                    bad(f"section {sect.name} names segment {sect.segname} but lies in {seg.name}")
                if not (seg.vmaddr <= sect.addr and sect.addr + sect.size <= seg.vmaddr + seg.vmsize):
                    bad(f"section {sect.segname},{sect.name} lies outside its segment's addresses")
                if not sect.is_zerofill and sect.size and not (
                        seg.fileoff <= sect.offset and sect.offset + sect.size <= seg.fileoff + seg.filesize):
                    bad(f"section {sect.segname},{sect.name} lies outside its segment's file range")
                if sect.align > 15 or sect.addr % (1 << sect.align):
                    bad(f"section {sect.segname},{sect.name} at {sect.addr:#x} is not 2^{sect.align}-aligned")
        for a, b in zip(segments, segments[1:]):
            if a.vmaddr + a.vmsize > b.vmaddr:
                bad(f"segments {a.name} and {b.name} overlap in memory (or are out of order)")
            if a.filesize and b.filesize and a.fileoff + a.filesize > b.fileoff:
                bad(f"segments {a.name} and {b.name} overlap in the file (or are out of order)")
        linkedit = macho.segment("__LINKEDIT")
        if linkedit is None or segments[-1] is not linkedit:
            bad("__LINKEDIT is missing or not the last segment")
        if linkedit.fileoff + linkedit.filesize != len(macho.data):
            bad(f"__LINKEDIT ends at {linkedit.fileoff + linkedit.filesize:#x}, the file at {len(macho.data):#x}")
        tables = {"symbol table": macho.symtab and (macho.symtab[0], 16 * macho.symtab[1]),
                  "string table": macho.symtab and (macho.symtab[2], macho.symtab[3]),
                  "chained fixups": macho.chained_fixups, "export trie": macho.exports_trie,
                  "code signature": macho.code_signature, "function starts": macho.function_starts,
                  "data in code": macho.data_in_code}
        if macho.dyld_info:
            for i, what in enumerate(("rebase", "bind", "weak bind", "lazy bind", "export")):
                tables[f"{what} opcodes"] = (macho.dyld_info[2 * i], macho.dyld_info[2 * i + 1])
        for what, span in tables.items():
            if span and span[1] and not (linkedit.fileoff <= span[0] and span[0] + span[1] <= linkedit.fileoff + linkedit.filesize):
                bad(f"the {what} ({span[0]:#x}+{span[1]:#x}) is not inside __LINKEDIT")

    def _map_segments(self, image):
        for seg in image.macho.segments:
            if seg.name == "__PAGEZERO" or seg.vmsize == 0:
                continue
            if seg.vmaddr % PAGE or seg.fileoff % PAGE:
                raise EmulationError(f"{image.path}: segment {seg.name} is not 16 KiB aligned "
                                     f"(vmaddr {seg.vmaddr:#x}, fileoff {seg.fileoff:#x})")
            if seg.filesize > seg.vmsize or seg.fileoff + seg.filesize > len(image.macho.data):
                raise EmulationError(f"{image.path}: segment {seg.name} file range is invalid")
            size = (seg.vmsize + PAGE - 1) & ~(PAGE - 1)
            try:
                self.uc.mem_map(seg.vmaddr + image.slide, size, UC_PROT_ALL)
            except UcError as e:
                raise EmulationError(f"{image.path}: segment {seg.name} overlaps another mapping ({e})")
            self.write(seg.vmaddr + image.slide, image.macho.data[seg.fileoff:seg.fileoff + seg.filesize])

    def _protect(self, image):
        for seg in image.macho.segments:
            if seg.name == "__PAGEZERO" or seg.vmsize == 0:
                continue
            prot = UC_PROT_NONE
            if seg.initprot & 1:
                prot |= UC_PROT_READ
            if seg.initprot & 2 and not seg.flags & 0x10:    # SG_READ_ONLY: dyld seals after fixups
                prot |= UC_PROT_WRITE
            if seg.initprot & 4:
                prot |= UC_PROT_EXEC
            self.uc.mem_protect(seg.vmaddr + image.slide, (seg.vmsize + PAGE - 1) & ~(PAGE - 1), prot)

    def _dependency(self, image, cmd, name):
        if name.startswith(SYSTEM_PREFIXES):
            if name not in self.system_libraries:
                if cmd == M.LC_LOAD_WEAK_DYLIB:
                    return None
                raise EmulationError(f"{image.path}: system library {name} is not in the harness's stub SDK")
            return self.system_libraries[name]
        for candidate in self._candidates(image, name):
            if os.path.isfile(candidate):
                real = os.path.realpath(candidate)
                for other in self.images:
                    if os.path.realpath(other.path) == real:
                        return other
                return self.load(candidate, DYLIB_BASE + DYLIB_WINDOW * len(self.images) + self.slide)
        if cmd == M.LC_LOAD_WEAK_DYLIB:
            return None
        raise EmulationError(f"{image.path}: cannot find dylib {name}")

    def _candidates(self, image, name):
        exe_dir = os.path.dirname(self.main.path)
        loader_dir = os.path.dirname(image.path)

        def expand(p):
            return p.replace("@executable_path", exe_dir).replace("@loader_path", loader_dir)

        out = []
        if name.startswith("@rpath/"):
            rest = name[len("@rpath/"):]
            for owner in [image] + ([self.main] if self.main is not image else []):
                for rpath in owner.macho.rpaths:
                    out.append(os.path.join(expand(rpath), rest))
        elif name.startswith("@"):
            out.append(expand(name))
        else:
            out.append(name)
        out += [os.path.join(d, os.path.basename(name)) for d in self.lib_paths]
        return out

    def export_address(self, image, name, depth=0):
        e = image.exports.get(name)
        if e is None or depth > 8:
            return None
        if e.flags & M.EXPORT_REEXPORT:
            dep = image.dependencies[e.reexport_ordinal - 1] if 0 < e.reexport_ordinal <= len(image.dependencies) else None
            if isinstance(dep, SystemLibrary):
                return self.system.address_of(e.reexport_name) if e.reexport_name in dep.symbols else None
            return self.export_address(dep, e.reexport_name, depth + 1) if isinstance(dep, Image) else None
        if e.flags & M.EXPORT_KIND_MASK == M.EXPORT_ABSOLUTE:
            return e.address
        return image.load_address + e.address

    def resolve(self, image, bind):
        ordinal, name = bind.ordinal, bind.name
        if bind.kind == "weak" or ordinal == M.ORDINAL_WEAK:
            # coalesced weak definitions: the first image in load order that exports the name
            for candidate in self.images:
                addr = self.export_address(candidate, name)
                if addr is not None:
                    return addr
            if bind.kind == "weak":
                return None     # nothing to coalesce with: the slot keeps its own definition
            return self.system.address_of(name, bind.weak_import)
        if ordinal == M.ORDINAL_SELF:
            addr = self.export_address(image, name)
        elif ordinal == M.ORDINAL_MAIN:
            addr = self.export_address(self.main, name)
        elif ordinal == M.ORDINAL_FLAT:
            # flat namespace: every loaded image in order, then the system libraries
            addr = next((a for a in (self.export_address(i, name) for i in self.images) if a is not None), None)
            if addr is None and any(name in lib.symbols for lib in self.system_libraries.values()):
                addr = self.system.address_of(name, bind.weak_import)
        else:
            if ordinal > len(image.dependencies):
                raise EmulationError(f"{image.path}: bind of {name} uses library ordinal {ordinal}, "
                                     f"but the image loads {len(image.dependencies)} dylibs")
            dep = image.dependencies[ordinal - 1]
            if isinstance(dep, SystemLibrary):
                # two-level namespace: the library the linker chose must export the name
                addr = self.system.address_of(name, bind.weak_import) if name in dep.symbols else None
            elif dep is None:
                addr = None
            else:
                addr = self.export_address(dep, name)
        if addr is None:
            if bind.weak_import:
                return 0
            where = image.macho.dylibs[ordinal - 1][1] if 0 < ordinal <= len(image.macho.dylibs) else \
                {M.ORDINAL_FLAT: "the flat namespace"}.get(ordinal, f"ordinal {ordinal}")
            raise EmulationError(f"{image.path}: symbol not found: {name}, expected in {where}")
        return addr

    def _apply_fixups(self, image):
        rebases, binds, _ = image.macho.fixups()
        for r in rebases:
            self.put64(r.address + image.slide, r.target + image.slide)
        for b in binds:
            if b.kind == "lazy":
                # bound on first call, through __stub_helper and dyld_stub_binder, as by dyld
                image.lazy_binds[b.lazy_offset] = b
                continue
            target = self.resolve(image, b)
            if target is None:
                continue
            self.put64(b.address + image.slide, (target + b.addend) if target else 0)

    def _prepare_tls(self, image):
        """Give each thread-variable descriptor this image's key; keep the initial contents."""
        tls = [s for s in image.macho.sections if s.type in (M.S_THREAD_LOCAL_REGULAR, M.S_THREAD_LOCAL_ZEROFILL)]
        if tls:
            start = min(s.addr for s in tls)
            end = max(s.addr + s.size for s in tls)
            template = bytearray(end - start)
            for s in tls:
                if s.type == M.S_THREAD_LOCAL_REGULAR:
                    template[s.addr - start:s.addr - start + s.size] = self.read(s.addr + image.slide, s.size)
            image.tls_template = bytes(template)
        for s in image.macho.sections:
            if s.type == M.S_THREAD_LOCAL_VARIABLES:
                for at in range(s.addr + image.slide, s.addr + image.slide + s.size, 24):
                    self.put64(at + 8, image.index)

    def initializers(self, image):
        out = []
        for s in image.macho.sections:
            if s.type == M.S_INIT_FUNC_OFFSETS:
                raw = self.read(s.addr + image.slide, s.size)
                out += [image.load_address + o for o in struct.unpack(f"<{s.size // 4}I", raw)]
            elif s.type == M.S_MOD_INIT_FUNC_POINTERS:
                raw = self.read(s.addr + image.slide, s.size)
                out += list(struct.unpack(f"<{s.size // 8}Q", raw))
        return out

    def image_at(self, addr):
        return next((i for i in self.images if i.contains(addr)), None)

    def symbolize(self, addr):
        if TRAP_BASE <= addr < TRAP_BASE + 8 * len(self.traps):
            return f"libSystem`{self.traps[(addr - TRAP_BASE) // 8][0]}"
        image = self.image_at(addr)
        if image:
            return image.symbolize(addr)
        owned = [a for a in self.sysdata_symbols if a <= addr < a + 256]
        return f"libSystem`{self.sysdata_symbols[max(owned)]}+{addr - max(owned):#x}" if owned else f"{addr:#x}"

    # -- running ----------------------------------------------------------------------------
    def _on_trap(self, uc, intno, _):
        self.pending_trap = (uc.reg_read(PC) - 4 - TRAP_BASE) // 8
        uc.emu_stop()

    def _on_invalid_memory(self, uc, access, address, size, value, _):
        kinds = {19: "read of unmapped", 20: "write to unmapped", 21: "fetch from unmapped",
                 22: "write to read-only", 23: "read of unreadable", 24: "fetch from non-executable"}
        pc = uc.reg_read(PC)
        lr = uc.reg_read(X[30])
        self.fault = (f"{kinds.get(access, f'access {access} at')} memory {address:#x} "
                      f"at pc {self.symbolize(pc)} (lr {self.symbolize(lr)})")
        return False

    def _start_generator(self, gen, return_to):
        self.frames.append((gen, return_to))
        return self._advance(None)

    def _advance(self, value):
        """Resume the innermost generator shim; returns the next pc to run."""
        gen, return_to = self.frames[-1]
        try:
            request = gen.send(value)
        except StopIteration as done:
            self.frames.pop()
            return self._finish(done.value, return_to)
        if not isinstance(request, Call):
            raise EmulationError(f"a shim yielded {request!r}")
        if len(request.args) > 8:
            raise EmulationError("callbacks with more than 8 arguments are not modelled")
        for i, a in enumerate(request.args):
            self.set_x(i, a)
        self.set_x(30, self.return_trap)
        return request.function

    def _finish(self, result, return_to):
        if isinstance(result, Jump):
            return result.pc
        if result is not None:
            if isinstance(result, float):
                self.set_d(0, result)
            else:
                self.set_x(0, result)
        return return_to

    def _dispatch(self, index):
        if index == 0:              # the return trap: a callback finished
            if not self.frames:
                raise EmulationError("return into the harness with no callback pending")
            return self._advance(self.x(0))
        name, function = self.traps[index]
        return_to = self.x(30)
        if self.trace:
            args = ", ".join(f"{self.x(i):#x}" for i in range(4))
            print(f"[trace] {name}({args}, ...) from {self.symbolize(return_to)}", file=self.trace)
        result = function(self)
        if inspect.isgenerator(result):
            return self._start_generator(result, return_to)
        return self._finish(result, return_to)

    def run(self, start_generator):
        """Run `start_generator` (the program's start-up: initializers, main, exit) to the end."""
        self.uc.reg_write(SP, STACK_TOP - 0x1000)
        last_stop, spurious_stops = None, 0
        try:
            pc = self._start_generator(start_generator, STOP_ADDRESS)
            while True:
                self.pending_trap = None
                self.fault = None
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    raise EmulationError(f"timed out at pc {self.symbolize(pc)}")
                try:
                    self.uc.emu_start(pc, STOP_ADDRESS, timeout=int(remaining * 1e6))
                except UcError as e:
                    raise EmulationError(self.fault or f"{e} at pc {self.symbolize(self.uc.reg_read(PC))}")
                if self.pending_trap is None:
                    pc = self.uc.reg_read(PC)
                    if time.monotonic() >= self.deadline:
                        raise EmulationError(f"timed out at pc {self.symbolize(pc)}")
                    if pc == STOP_ADDRESS:
                        raise EmulationError("start-up returned without exiting")
                    # Unicorn returned with time left and no trap or fault: its timeout timer
                    # can stop a run early on a loaded machine (seen once in CI, on a program
                    # that passes on rerun). Resume where it stopped; a real stop repeats at
                    # the same place and is reported.
                    spurious_stops = spurious_stops + 1 if pc == last_stop else 1
                    last_stop = pc
                    if spurious_stops >= 100:
                        raise EmulationError(f"emulation stopped at {self.symbolize(pc)}")
                    continue
                pc = self._dispatch(self.pending_trap)
        except ProgramExit as e:
            return e.status
