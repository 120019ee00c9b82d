"""Which symbols each system library exports, read from the harness's own text stubs
(sdk/usr/lib/*.tbd). The emulator binds a two-level-namespace import only if the library the
linker named exports it, as dyld does: a bind to the wrong library ordinal fails."""
import os
import re

SDK_LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sdk", "usr", "lib")
LIST = re.compile(r"(?:symbols|weak-symbols|thread-local-symbols):\s*\[([^\]]*)\]", re.S)


class SystemLibrary:
    def __init__(self, install_name, symbols):
        self.install_name, self.symbols = install_name, symbols


def load_stubs(directory=SDK_LIB):
    """install name -> SystemLibrary, for every .tbd in the stub SDK."""
    out = {}
    for entry in sorted(os.listdir(directory)):
        if not entry.endswith(".tbd"):
            continue
        with open(os.path.join(directory, entry)) as f:
            text = f.read()
        name = re.search(r"install-name:\s*'?([^'\n]+)'?", text).group(1).strip()
        text = re.sub(r"#[^\n]*", "", text)
        symbols = {s.strip() for block in LIST.findall(text) for s in block.split(",") if s.strip()}
        out[name] = SystemLibrary(name, symbols)
    return out
