"""The Python stand-in for the system libraries a corpus program imports: libSystem (C library,
stdio, malloc, exit, thread-local variables) plus the C++ runtime from cxx_runtime.py. Each
function reads its arguments from the arm64 registers per the Darwin calling convention and
returns its result (or a generator, when it must call back into the program)."""
import struct

from c_format import StackArguments, format_c
from emulator import Call, EmulationError, HEAP_BASE, HEAP_SIZE, Jump, ProgramExit, SP
import cxx_runtime

FILE_SIZE = 152
STDIO_BUFFER = 4096   # Darwin's stdout to a pipe is fully buffered


class System:
    def __init__(self):
        self.functions = {}     # Mach-O symbol name -> python function(machine)
        self.data = {}          # Mach-O symbol name -> address, created on attach
        self.machine = None
        self.heap_next = HEAP_BASE
        self.blocks = {}        # live allocation address -> size
        self.freed = set()
        self.atexit = []        # (function, argument or None)
        self.stdout_buffer = bytearray()
        self.rand_state = 1
        self.tls_blocks = {}    # image index -> thread-local block address
        self.errno_cell = None
        for name in dir(self):
            if name.startswith("f_"):
                self.functions["_" + name[2:]] = getattr(self, name)
        self.functions.update(ALIASES_TO(self))
        cxx_runtime.install(self)

    # -- wiring ----------------------------------------------------------------------------
    def attach(self, machine):
        self.machine = machine
        self.files = {}
        for fd, name in ((0, "___stdinp"), (1, "___stdoutp"), (2, "___stderrp")):
            file = machine.sysdata(FILE_SIZE, name=f"FILE({fd})")
            self.files[file] = fd
            cell = machine.sysdata(8, name=name)
            machine.put64(cell, file)
            self.data[name] = cell
        guard = machine.sysdata(8, name="___stack_chk_guard")
        machine.put64(guard, 0x2F8A5C3B00D1E4F7)
        self.data["___stack_chk_guard"] = guard
        self.errno_cell = machine.sysdata(4, name="errno")
        cxx_runtime.attach(self, machine)

    def address_of(self, name, weak_import=False):
        """The address of a system symbol. An unknown name is a trap that reports the missing
        function when called -- or, for a weak import, NULL, as for a symbol the OS lacks."""
        if name in self.data:
            return self.data[name]
        function = self.functions.get(name)
        if function is None and weak_import:
            return None
        if function is None:
            def missing(machine, name=name):
                raise EmulationError(f"{name} is not implemented by the harness's libSystem "
                                     f"(called from {machine.symbolize(machine.x(30))})")
            function = missing
        return self.machine.trap(name, function)

    # -- start-up and exit -----------------------------------------------------------------
    def start(self, machine):
        """Initializers of every image (dependencies first), then main, then exit."""
        argv_ptrs = []
        strings = [a.encode() + b"\0" for a in machine.argv] + [b"executable_path=" + machine.argv[0].encode() + b"\0"]
        area = self.malloc(sum(len(s) for s in strings) + 8 * (len(strings) + 4))
        at = area
        for s in strings:
            machine.write(at, s)
            argv_ptrs.append(at)
            at += len(s)
        at = (at + 7) & ~7
        argv = at
        vector = argv_ptrs[:-1] + [0, 0] + argv_ptrs[-1:] + [0]   # argv, NULL, envp = {NULL}, apple
        machine.write(argv, struct.pack(f"<{len(vector)}Q", *vector))
        argc, envp, apple = len(machine.argv), argv + 8 * (len(machine.argv) + 1), argv + 8 * (len(machine.argv) + 2)
        for image in machine.initialization_order:
            for init in machine.initializers(image):
                yield Call(init, argc, argv, envp, apple)
        if machine.main.macho.entry_offset is None:
            raise EmulationError("the executable has no LC_MAIN")
        status = yield Call(machine.main.load_address + machine.main.macho.entry_offset, argc, argv, envp, apple)
        yield from self.exit_sequence(status)

    def exit_sequence(self, status):
        while self.atexit:
            function, argument = self.atexit.pop()
            if argument is None:
                yield Call(function)
            else:
                yield Call(function, argument)
        self.flush_stdout()
        raise ProgramExit(status & 0xFF)

    def flush_stdout(self):
        if self.stdout_buffer:
            self.machine.emit(1, bytes(self.stdout_buffer))
            self.stdout_buffer.clear()

    # -- memory ----------------------------------------------------------------------------
    def malloc(self, size, align=16):
        addr = (self.heap_next + align - 1) & ~(align - 1)
        if addr + size > HEAP_BASE + HEAP_SIZE:
            return 0
        self.heap_next = addr + max(size, 1)
        self.blocks[addr] = size
        return addr

    def free(self, addr):
        if addr == 0:
            return
        if addr in self.freed:
            raise EmulationError(f"double free of {addr:#x} (from {self.machine.symbolize(self.machine.x(30))})")
        if addr not in self.blocks:
            raise EmulationError(f"free of {addr:#x}, which malloc did not return")
        del self.blocks[addr]
        self.freed.add(addr)

    # -- stdio -----------------------------------------------------------------------------
    def fd_of(self, file):
        if file not in self.files:
            raise EmulationError(f"FILE* {file:#x} is not stdin, stdout or stderr")
        return self.files[file]

    def stdio_write(self, fd, data):
        if fd == 1:
            self.stdout_buffer += data
            if len(self.stdout_buffer) >= STDIO_BUFFER:
                self.flush_stdout()
        else:
            self.machine.emit(fd, data)
        return len(data)

    def store_string(self, buf, capacity, text):
        if capacity > 0:
            n = min(len(text), capacity - 1)
            self.machine.write(buf, text[:n] + b"\0")
        return len(text)

    def _stack(self):
        return StackArguments(self.machine, self.machine.sp)

    def _va(self, reg):
        return StackArguments(self.machine, self.machine.x(reg))

    def f_write(self, m):
        data = m.read(m.x(1), m.x(2))
        if m.x(0) == 1:
            self.flush_stdout()
        m.emit(m.x(0), data)
        return len(data)

    def f_read(self, m):
        return 0    # stdin is empty

    def f_printf(self, m):
        return self.stdio_write(1, format_c(m, m.cstring(m.x(0)), self._stack()))

    def f_vprintf(self, m):
        return self.stdio_write(1, format_c(m, m.cstring(m.x(0)), self._va(1)))

    def f_fprintf(self, m):
        return self.stdio_write(self.fd_of(m.x(0)), format_c(m, m.cstring(m.x(1)), self._stack()))

    def f_vfprintf(self, m):
        return self.stdio_write(self.fd_of(m.x(0)), format_c(m, m.cstring(m.x(1)), self._va(2)))

    def f_sprintf(self, m):
        return self.store_string(m.x(0), 1 << 30, format_c(m, m.cstring(m.x(1)), self._stack()))

    def f_vsprintf(self, m):
        return self.store_string(m.x(0), 1 << 30, format_c(m, m.cstring(m.x(1)), self._va(2)))

    def f_snprintf(self, m):
        return self.store_string(m.x(0), m.x(1), format_c(m, m.cstring(m.x(2)), self._stack()))

    def f_vsnprintf(self, m):
        return self.store_string(m.x(0), m.x(1), format_c(m, m.cstring(m.x(2)), self._va(3)))

    def f___sprintf_chk(self, m):      # (buf, flag, size, fmt, ...)
        return self.store_string(m.x(0), m.x(2), format_c(m, m.cstring(m.x(3)), self._stack()))

    def f___snprintf_chk(self, m):     # (buf, n, flag, size, fmt, ...)
        return self.store_string(m.x(0), m.x(1), format_c(m, m.cstring(m.x(4)), self._stack()))

    def f___vsnprintf_chk(self, m):    # (buf, n, flag, size, fmt, va)
        return self.store_string(m.x(0), m.x(1), format_c(m, m.cstring(m.x(4)), self._va(5)))

    def f_puts(self, m):
        self.stdio_write(1, m.cstring(m.x(0)) + b"\n")
        return 1

    def f_putchar(self, m):
        self.stdio_write(1, bytes([m.x(0) & 0xFF]))
        return m.x(0) & 0xFF

    def f_fputs(self, m):
        self.stdio_write(self.fd_of(m.x(1)), m.cstring(m.x(0)))
        return 1

    def f_fputc(self, m):
        self.stdio_write(self.fd_of(m.x(1)), bytes([m.x(0) & 0xFF]))
        return m.x(0) & 0xFF

    def f_fwrite(self, m):             # (ptr, size, count, file)
        self.stdio_write(self.fd_of(m.x(3)), m.read(m.x(0), m.x(1) * m.x(2)))
        return m.x(2)

    def f_fflush(self, m):
        if m.x(0) == 0 or self.files.get(m.x(0)) == 1:
            self.flush_stdout()
        return 0

    def f_setvbuf(self, m):
        return 0

    def f_isatty(self, m):
        return 0

    # -- process ---------------------------------------------------------------------------
    def f_exit(self, m):
        return self.exit_sequence(m.x(0))

    def f__exit(self, m):
        raise ProgramExit(m.x(0) & 0xFF)

    def f_abort(self, m):
        self.flush_stdout()
        m.emit(2, b"abort() called\n")
        raise ProgramExit(134)

    def f_atexit(self, m):
        self.atexit.append((m.x(0), None))
        return 0

    def f___cxa_atexit(self, m):
        self.atexit.append((m.x(0), m.x(1)))
        return 0

    def f___stack_chk_fail(self, m):
        raise EmulationError(f"stack smashing detected in {m.symbolize(m.x(30))}")

    def f___assert_rtn(self, m):       # (function, file, line, expression)
        self.flush_stdout()
        m.emit(2, b"Assertion failed: (%s), function %s, file %s, line %d.\n" % (
            m.cstring(m.x(3)), m.cstring(m.x(0)), m.cstring(m.x(1)), m.x(2)))
        raise ProgramExit(134)

    def f___error(self, m):
        return self.errno_cell

    def f_getenv(self, m):
        return 0

    def f_time(self, m):
        if m.x(0):
            m.put64(m.x(0), 1700000000)
        return 1700000000

    def f_dyld_stub_binder(self, m):
        """Reached from a __stub_helper entry (classic lazy binding), which pushed the entry's
        lazy-bind offset and the image's __dyld_private address: bind the lazy pointer, pop
        them, and continue into the target with the caller's arguments and return address."""
        sp = m.sp
        offset, private = m.u64(sp) & 0xFFFFFFFF, m.u64(sp + 8)
        image = m.image_at(private)
        if image is None:
            raise EmulationError(f"dyld_stub_binder: {private:#x} (pushed by __stub_helper) is in no image")
        bind = image.lazy_binds.get(offset)
        if bind is None:
            raise EmulationError(f"dyld_stub_binder: {image.path} has no lazy bind at offset {offset:#x} "
                                 f"(from {m.symbolize(m.x(30))})")
        target = m.resolve(image, bind)
        m.put64(bind.address + image.slide, target + bind.addend if target else 0)
        m.uc.reg_write(SP, sp + 16)
        return Jump(target + bind.addend)

    # -- thread-local variables ------------------------------------------------------------
    def f__tlv_bootstrap(self, m):
        """The thunk of every __thread_vars descriptor: x0 = descriptor -> x0 = variable."""
        descriptor = m.x(0)
        key, offset = m.u64(descriptor + 8), m.u64(descriptor + 16)
        if key >= len(m.images) or m.images[key].tls_template is None:
            raise EmulationError(f"thread-variable descriptor {descriptor:#x} has bad key {key}")
        block = self.tls_blocks.get(key)
        if block is None:
            template = m.images[key].tls_template
            block = self.malloc(len(template))
            m.write(block, template)
            self.tls_blocks[key] = block
        if offset >= len(m.images[key].tls_template):
            raise EmulationError(f"thread-variable offset {offset:#x} outside the image's TLS template")
        return block + offset

    # -- heap ------------------------------------------------------------------------------
    def f_malloc(self, m):
        return self.malloc(m.x(0))

    def f_calloc(self, m):
        size = m.x(0) * m.x(1)
        addr = self.malloc(size)
        m.write(addr, bytes(size))
        return addr

    def f_realloc(self, m):
        old, size = m.x(0), m.x(1)
        addr = self.malloc(size)
        if old:
            if old not in self.blocks:
                raise EmulationError(f"realloc of {old:#x}, which malloc did not return")
            m.write(addr, m.read(old, min(size, self.blocks[old])))
            self.free(old)
        return addr

    def f_free(self, m):
        self.free(m.x(0))

    def f_posix_memalign(self, m):
        addr = self.malloc(m.x(2), max(16, m.x(1)))
        m.put64(m.x(0), addr)
        return 0

    # -- strings and memory ----------------------------------------------------------------
    def f_strlen(self, m):
        return len(m.cstring(m.x(0)))

    def f_strnlen(self, m):
        return len(m.cstring(m.x(0), limit=m.x(1) + 256)[:m.x(1)])

    def f_strcmp(self, m):
        a, b = m.cstring(m.x(0)), m.cstring(m.x(1))
        return (a > b) - (a < b)

    def f_strncmp(self, m):
        n = m.x(2)
        a, b = m.cstring(m.x(0))[:n], m.cstring(m.x(1))[:n]
        return (a > b) - (a < b)

    def f_strcpy(self, m):
        m.write(m.x(0), m.cstring(m.x(1)) + b"\0")
        return m.x(0)

    def f_stpcpy(self, m):
        s = m.cstring(m.x(1))
        m.write(m.x(0), s + b"\0")
        return m.x(0) + len(s)

    def f_strncpy(self, m):
        n = m.x(2)
        s = m.cstring(m.x(1))[:n]
        m.write(m.x(0), s + bytes(n - len(s)))
        return m.x(0)

    def f_strcat(self, m):
        d = m.x(0)
        m.write(d + len(m.cstring(d)), m.cstring(m.x(1)) + b"\0")
        return d

    def f_strncat(self, m):
        d = m.x(0)
        m.write(d + len(m.cstring(d)), m.cstring(m.x(1))[:m.x(2)] + b"\0")
        return d

    def f_strchr(self, m):
        s, c = m.cstring(m.x(0)), m.x(1) & 0xFF
        if c == 0:
            return m.x(0) + len(s)
        i = s.find(bytes([c]))
        return 0 if i < 0 else m.x(0) + i

    def f_strrchr(self, m):
        s, c = m.cstring(m.x(0)), m.x(1) & 0xFF
        if c == 0:
            return m.x(0) + len(s)
        i = s.rfind(bytes([c]))
        return 0 if i < 0 else m.x(0) + i

    def f_strstr(self, m):
        i = m.cstring(m.x(0)).find(m.cstring(m.x(1)))
        return 0 if i < 0 else m.x(0) + i

    def f_strdup(self, m):
        s = m.cstring(m.x(0))
        addr = self.malloc(len(s) + 1)
        m.write(addr, s + b"\0")
        return addr

    def f_memcpy(self, m):
        m.write(m.x(0), m.read(m.x(1), m.x(2)))
        return m.x(0)

    def f_memset(self, m):
        m.write(m.x(0), bytes([m.x(1) & 0xFF]) * m.x(2))
        return m.x(0)

    def f_bzero(self, m):
        m.write(m.x(0), bytes(m.x(1)))

    def f_memcmp(self, m):
        a, b = m.read(m.x(0), m.x(2)), m.read(m.x(1), m.x(2))
        return (a > b) - (a < b)

    def f_memchr(self, m):
        i = m.read(m.x(0), m.x(2)).find(bytes([m.x(1) & 0xFF]))
        return 0 if i < 0 else m.x(0) + i

    # -- conversion and arithmetic ---------------------------------------------------------
    def _parse_int(self, text, base):
        s = text.lstrip(b" \t\n\r\f\v")
        sign = -1 if s[:1] == b"-" else 1
        if s[:1] in (b"-", b"+"):
            s = s[1:]
        if base in (0, 16) and s[:2].lower() == b"0x":
            s, base = s[2:], 16
        elif base == 0:
            base = 8 if s[:1] == b"0" else 10
        digits = b""
        for ch in s:
            v = int(chr(ch), 36) if chr(ch).isalnum() else 99
            if v >= base:
                break
            digits += bytes([ch])
        consumed = len(text) - len(s) + len(digits)
        return sign * (int(digits, base) if digits else 0), consumed

    def f_atoi(self, m):
        return self._parse_int(m.cstring(m.x(0)), 10)[0] & 0xFFFFFFFF

    def f_strtol(self, m):
        text = m.cstring(m.x(0))
        value, used = self._parse_int(text, m.x(2))
        if m.x(1):
            m.put64(m.x(1), m.x(0) + used)
        return value

    def f_abs(self, m):
        v = m.x(0) & 0xFFFFFFFF
        v = v - (1 << 32) if v >> 31 else v
        return abs(v)

    def f_labs(self, m):
        v = m.x(0)
        return abs(v - (1 << 64) if v >> 63 else v)

    def f_toupper(self, m):
        c = m.x(0) & 0xFFFFFFFF
        return c - 32 if 97 <= c <= 122 else c

    def f_tolower(self, m):
        c = m.x(0) & 0xFFFFFFFF
        return c + 32 if 65 <= c <= 90 else c

    def f_rand(self, m):
        # a fixed LCG: deterministic, though not macOS's sequence (corpus output never shows it)
        self.rand_state = (self.rand_state * 1103515245 + 12345) & 0x7FFFFFFF
        return self.rand_state

    def f_srand(self, m):
        self.rand_state = m.x(0) & 0xFFFFFFFF

    def f_sqrt(self, m):
        return m.d(0) ** 0.5

    # -- callbacks -------------------------------------------------------------------------
    def f_qsort(self, m):               # (base, count, size, compare): a stable merge sort
        base, count, size, compare = m.x(0), m.x(1), m.x(2), m.x(3)
        scratch = self.malloc(2 * size)
        a_slot, b_slot = scratch, scratch + size
        items = [m.read(base + i * size, size) for i in range(count)]

        def merge_sort(xs):
            if len(xs) <= 1:
                return xs
            mid = len(xs) // 2
            left = yield from merge_sort(xs[:mid])
            right = yield from merge_sort(xs[mid:])
            out = []
            while left and right:
                m.write(a_slot, left[0])
                m.write(b_slot, right[0])
                r = yield Call(compare, a_slot, b_slot)
                r &= 0xFFFFFFFF
                out.append(right.pop(0) if r and r >> 31 == 0 else left.pop(0))
            return out + left + right

        ordered = yield from merge_sort(items)
        m.write(base, b"".join(ordered))
        self.free(scratch)

    def f_bsearch(self, m):             # (key, base, count, size, compare)
        key, base, count, size, compare = m.x(0), m.x(1), m.x(2), m.x(3), m.x(4)
        lo, hi = 0, count
        while lo < hi:
            mid = (lo + hi) // 2
            r = (yield Call(compare, key, base + mid * size)) & 0xFFFFFFFF
            if r == 0:
                return base + mid * size
            if r >> 31:
                hi = mid
            else:
                lo = mid + 1
        return 0


def ALIASES_TO(system):
    """Names that are the same function under another name."""
    return {
        "_putc": system.f_fputc, "_memmove": system.f_memcpy, "_bcmp": system.f_memcmp,
        "___memcpy_chk": system.f_memcpy, "___memmove_chk": system.f_memcpy,
        "___memset_chk": system.f_memset,
        "_atol": lambda m: system._parse_int(m.cstring(m.x(0)), 10)[0],
        "_strtoll": system.f_strtol, "_strtoul": system.f_strtol, "_strtoull": system.f_strtol,
        "___strcpy_chk": system.f_strcpy, "___strcat_chk": system.f_strcat,
        "___stpcpy_chk": system.f_stpcpy, "___strncpy_chk": system.f_strncpy,
        "___vsprintf_chk": lambda m: system.store_string(    # (buf, flag, size, fmt, va)
            m.x(0), m.x(2), format_c(m, m.cstring(m.x(3)), system._va(4))),
        "_llabs": system.f_labs, "dyld_stub_binder": system.f_dyld_stub_binder,
    }
