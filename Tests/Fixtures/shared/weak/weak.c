/* A shared library with weak undefined references. The executable (main.c) defines
 * exe_provided and exe_data, so the dynamic linker binds them there; nobody defines
 * nobody_provides, which stays null. GNU ld keeps all three in .dynsym (also with -z defs)
 * and reaches them through the GOT and PLT. */
#include "weak.h"

extern int exe_provided(int) __attribute__((weak));
extern int nobody_provides(int) __attribute__((weak));
extern int exe_data __attribute__((weak));

int weak_tail_call(int x) { return exe_provided ? exe_provided(x) : -1; }

int weak_call(int x) { return exe_provided ? exe_provided(x) + 1 : -1; }

int weak_call_missing(int x) { return nobody_provides ? nobody_provides(x) : -2; }

int weak_data(void) { return &exe_data ? exe_data : -3; }

void *weak_address(void) { return (void *)exe_provided; }
