"""The C++ runtime pieces (libc++abi / libc++) a corpus program imports, other than exception
unwinding (cxx_exceptions.py): operator new/delete, guarded statics, pure virtual calls, and
the type_info objects and vtables the runtime owns."""
from emulator import EmulationError, ProgramExit
import cxx_exceptions

# Itanium type_info classes whose vtables live in libc++abi. Programs refer to `vtable + 16`.
TYPEINFO_CLASSES = {
    "class": "__ZTVN10__cxxabiv117__class_type_infoE",
    "si_class": "__ZTVN10__cxxabiv120__si_class_type_infoE",
    "vmi_class": "__ZTVN10__cxxabiv121__vmi_class_type_infoE",
    "fundamental": "__ZTVN10__cxxabiv123__fundamental_type_infoE",
    "pointer": "__ZTVN10__cxxabiv119__pointer_type_infoE",
}

# type_info objects for fundamental types that libc++abi defines: mangled type -> symbol
FUNDAMENTAL_TYPES = ["i", "j", "l", "m", "x", "y", "c", "h", "s", "t", "b", "f", "d", "v", "PKc", "Pc", "Pv"]


def install(system):
    def new(m):
        addr = system.malloc(m.x(0))
        if addr == 0:
            raise EmulationError("operator new: out of memory")
        return addr

    def delete(m):
        system.free(m.x(0))

    def guard_acquire(m):
        # a guard's first byte says "initialised"; one thread, so never contended
        return 0 if m.read(m.x(0), 1)[0] else 1

    def guard_release(m):
        m.write(m.x(0), b"\x01")

    def pure_virtual(m):
        system.flush_stdout()
        m.emit(2, b"Pure virtual function called!\n")
        raise ProgramExit(134)

    def terminate(m):
        system.flush_stdout()
        m.emit(2, b"libc++abi: terminating\n")
        raise ProgramExit(134)

    for name in ("__Znwm", "__Znam", "__ZnwmRKSt9nothrow_t", "__ZnamRKSt9nothrow_t"):
        system.functions[name] = new
    for name in ("__ZdlPv", "__ZdaPv", "__ZdlPvm", "__ZdaPvm"):
        system.functions[name] = delete
    system.functions["___cxa_guard_acquire"] = guard_acquire
    system.functions["___cxa_guard_release"] = guard_release
    system.functions["___cxa_guard_abort"] = lambda m: None
    system.functions["___cxa_pure_virtual"] = pure_virtual
    system.functions["___cxa_deleted_virtual"] = pure_virtual
    system.functions["__ZSt9terminatev"] = terminate
    cxx_exceptions.install(system)


def attach(system, machine):
    for symbol in TYPEINFO_CLASSES.values():
        # a vtable: offset-to-top, typeinfo, then a few slots no corpus program calls
        vtable = machine.sysdata(8 * 8, name=symbol)
        system.data[symbol] = vtable
    fundamental_vtable = system.data[TYPEINFO_CLASSES["fundamental"]] + 16
    for mangled in FUNDAMENTAL_TYPES:
        name = machine.sysdata(len(mangled) + 1)
        machine.write(name, mangled.encode() + b"\0")
        info = machine.sysdata(16, name=f"__ZTI{mangled}")
        machine.put64(info, fundamental_vtable)
        machine.put64(info + 8, name)
        system.data[f"__ZTI{mangled}"] = info
