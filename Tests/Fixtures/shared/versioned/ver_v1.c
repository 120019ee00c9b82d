/* Version 1 of libver.so.1: everything in version node VER_1 (ver_v1.map). Executables linked
 * against it keep running with version 2 (ver.c), where ver_func@VER_1 is the old behaviour. */
int ver_func(int x) { return x + 1; }
int ver_only1(void) { return 10; }
int ver_data = 5;
