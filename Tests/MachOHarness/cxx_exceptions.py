"""C++ exceptions: placeholder until the unwinder lands."""
def install(system):
    pass
