/* Version 2 of libver.so.1: ver_func has a new default version VER_2 (ver_func@@VER_2) and
 * keeps the old one for executables linked against version 1 (ver_func@VER_1); VER_2 inherits
 * from VER_1 (ver.map). */
__asm__(".symver ver_old_impl, ver_func@VER_1");
__asm__(".symver ver_new_impl, ver_func@@VER_2");

int ver_old_impl(int x) { return x + 1; }
int ver_new_impl(int x) { return x * 100; }
int ver_only1(void) { return 10; }
int ver_only2(void) { return 20; }
int ver_data = 5;
int ver_internal(void) { return 99; }   /* local: * */

/* The library's own call: binds to the default version's definition (or, preempted, to
 * whatever the dynamic linker finds first for ver_func@@VER_2). */
int ver_call_default(int x) { return ver_new_impl(x) + 1; }
