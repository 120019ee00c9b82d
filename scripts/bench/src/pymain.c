/* weld benchmark workload "python": the python3.11 interpreter relinked from
 * Debian's static libpython3.11.a.  This is all of CPython's own
 * Programs/python.c on POSIX systems. */
#include <Python.h>

int main(int argc, char **argv) {
  return Py_BytesMain(argc, argv);
}
