"""printf-family formatting with C semantics, reading arguments the way Darwin arm64 passes
them: the caller places every variadic argument in its own 8-byte stack slot (doubles too),
and a va_list is a plain pointer to the next slot."""
import re
import struct

SPEC = re.compile(rb"%([-+ #0']*)(\*|\d+)?(?:\.(\*|\d*))?(hh|h|ll|l|j|z|t|L|q)?([diouxXcspfFeEgGaAn%])")


class StackArguments:
    def __init__(self, machine, address):
        self.machine, self.address = machine, address

    def next_u64(self):
        value = self.machine.u64(self.address)
        self.address += 8
        return value

    def next_double(self):
        return struct.unpack("<d", struct.pack("<Q", self.next_u64()))[0]


def _signed(value, bits):
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _int_bits(length):
    return {b"hh": 8, b"h": 16, None: 32}.get(length, 64)


def _hex_float(value, precision, upper):
    if value != value or value in (float("inf"), float("-inf")):
        text = repr(value).replace("inf", "inf").replace("nan", "nan")
    elif value == 0:
        text = ("-" if str(value).startswith("-") else "") + "0x0p+0"
    else:
        text = value.hex()                      # e.g. 0x1.8000000000000p+1
        mantissa, exponent = text.split("p")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        text = f"{mantissa}p{exponent}"
    return text.upper().replace("0X", "0X") if upper else text


def format_c(machine, fmt, args):
    """Format `fmt` (bytes) with arguments taken from `args`; returns bytes."""
    out = bytearray()
    pos = 0
    while True:
        m = SPEC.search(fmt, pos)
        if m is None:
            out += fmt[pos:]
            return bytes(out)
        out += fmt[pos:m.start()]
        pos = m.end()
        flags, width, precision, length, conv = m.groups()
        flags = flags.replace(b"'", b"")
        if conv == b"%":
            out += b"%"
            continue
        if width == b"*":
            w = _signed(args.next_u64(), 32)
            if w < 0:
                flags += b"-"
                w = -w
            width = str(w).encode()
        if precision == b"*":
            p = _signed(args.next_u64(), 32)
            precision = None if p < 0 else str(p).encode()
        spec = b"%" + flags + (width or b"") + (b"." + precision if precision is not None else b"")
        if conv in b"di":
            out += (spec + b"d") % _signed(args.next_u64(), _int_bits(length))
        elif conv in b"ouxX":
            value = args.next_u64() & ((1 << _int_bits(length)) - 1)
            if b"#" in flags and (value == 0 or conv == b"o"):
                # C: "%#x" of 0 is "0"; "%#o" only guarantees a leading 0 (Python would say 0o)
                spec = spec.replace(b"#", b"")
                if conv == b"o" and value:
                    out += (spec + b"s") % (b"0%o" % value)
                    continue
            out += (spec + conv.replace(b"u", b"d")) % value
        elif conv == b"c":
            out += (spec.replace(b".", b"") + b"c") % (args.next_u64() & 0xFF)
        elif conv == b"s":
            addr = args.next_u64()
            text = b"(null)" if addr == 0 else machine.cstring(addr)
            out += (spec + b"s") % text
        elif conv == b"p":
            out += (b"%" + flags + (width or b"") + b"s") % (b"0x%x" % args.next_u64())
        elif conv in b"fFeEgG":
            out += (spec + conv) % args.next_double()
        elif conv in b"aA":
            text = _hex_float(args.next_double(), precision, conv == b"A").encode()
            out += (b"%" + flags.replace(b"0", b"") + (width or b"") + b"s") % text
        elif conv == b"n":
            addr = args.next_u64()
            machine.write(addr, struct.pack("<i", len(out)))
