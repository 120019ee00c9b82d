/* The executable linked against the C shared library (shtest.c). It overrides the library's
 * weak lib_hook and defines lib_interposed_data and lib_protected_fn itself; what the library's
 * own calls reach depends on -Bsymbolic / -Bsymbolic-functions, and must be what GNU ld gives. */
#include <stdio.h>
#include <string.h>
#include "shtest.h"

int lib_hook(int x) { return x * 100; }          /* interposes the library's weak definition */
int lib_interposed_data = 2000;                   /* interposes the library's definition */
int lib_protected_fn(int x) { return x + 7000; }  /* does NOT interpose: the library's is protected */

int main(int argc, char **argv) {
    (void)argv;
    printf("constructor ran before main: %d\n", lib_constructor_ran());
    printf("lib_name=%s lib_counter=%d\n", lib_name, lib_counter);
    lib_counter += argc;
    printf("after += argc: lib_counter=%d *lib_counter_ptr=%d via library=%d\n", lib_counter, *lib_counter_ptr,
           *lib_counter_address());
    printf("lib_counter_ptr is the library's &lib_counter: %d; is ours: %d\n",
           lib_counter_ptr == lib_counter_address(), lib_counter_ptr == &lib_counter);
    printf("&lib_add equal in executable and library: %d\n", (void *)lib_add == lib_add_address());
    printf("lib_add(2,3)=%d\n", lib_add(2, 3));
    printf("lib_hook(3) from the executable=%d\n", lib_hook(3));
    printf("lib_call_hook(3)=%d\n", lib_call_hook(3));
    printf("table: %d %d %d %d\n", lib_call_table(0, 5), lib_call_table(1, 5), lib_call_table(2, 5), lib_call_table(3, 5));
    printf("table direct: %d %d %d\n", lib_table[0](6), lib_table[1](6), lib_table[2](6));
    printf("table[1] is our lib_hook: %d\n", lib_table[1] == lib_hook);
    printf("lib_ptrs: data %d, string %s, hook(2)=%d, data is ours: %d\n", *(int *)lib_ptrs[0], (const char *)lib_ptrs[1],
           ((int (*)(int))lib_ptrs[2])(2), lib_ptrs[0] == (void *)&lib_interposed_data);
    printf("lib_interposed_data here=%d, library reads %d\n", lib_interposed_data, lib_read_interposed_data());
    lib_interposed_data = 2500;
    printf("after write: library reads %d\n", lib_read_interposed_data());
    int pd1 = lib_get_protected_data();
    int pd2 = lib_get_protected_data();
    printf("protected: ours(1)=%d library's call=%d data=%d,%d\n", lib_protected_fn(1), lib_call_protected(1), pd1, pd2);
    printf("hidden via library: %d\n", lib_call_hidden(4));
    printf("lib_tls=%d\n", lib_tls);
    lib_tls = 20;
    int bumped = lib_tls_bump(3);
    printf("lib_tls_bump(3)=%d lib_tls now %d\n", bumped, lib_tls);
    printf("lib_local_tls_bump(2)=%d\n", lib_local_tls_bump(2));
    char buf[512];
    if (lib_thread_report(buf, sizeof buf) < 0) return 2;
    printf("%s\n", buf);
    printf("lib_tls in main thread after the thread: %d\n", lib_tls);
    return lib_call_hook(1) % 256 == 100 ? 10 : 11;
}
