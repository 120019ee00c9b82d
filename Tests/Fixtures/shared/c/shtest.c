/* The C shared library (compiled -fPIC; linked -shared by weld and by GNU ld). Every feature
 * here is observable from the executables (main.c, dlmain.c) through their output. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "shtest.h"

int lib_counter = 42;
const char *lib_name = "shtest";
int *lib_counter_ptr = &lib_counter;
int lib_interposed_data = 1000;
__thread int lib_tls = 7;
static __thread int local_tls = 100;
static __thread char local_tls_buf[64] = "local-dynamic";

__attribute__((visibility("protected"))) int lib_protected_data = 31;

static int constructed;

__attribute__((constructor)) static void lib_init(void) {
    constructed = 1 + lib_counter;      /* runs before the executable's main */
}

__attribute__((visibility("hidden"))) int lib_hidden(int x) { return x * 3 + 1; }

static int times_two(int x) { return x * 2; }

int lib_add(int a, int b) { return a + b; }

__attribute__((weak)) int lib_hook(int x) { return x + 1; }

int lib_call_hook(int x) { return lib_hook(x) + 0; }

/* Relocations in .data.rel.ro: lib_add and lib_hook are preemptible (R_X86_64_64 against the
 * symbol, or RELATIVE under -Bsymbolic), times_two and lib_hidden are local (RELATIVE). */
int (*const lib_table[4])(int) = { times_two, lib_hook, lib_hidden, 0 };

/* Writable data with pointers: one to preemptible data, one to a local string, one to a
 * preemptible function. */
void *lib_ptrs[3] = { &lib_interposed_data, (void *)"ptr-string", (void *)lib_hook };

int lib_call_table(int i, int x) {
    if (i == 3) return lib_add(x, 1000);
    return lib_table[i](x);
}

int lib_read_interposed_data(void) { return lib_interposed_data; }

int *lib_counter_address(void) { return &lib_counter; }

void *lib_add_address(void) { return (void *)lib_add; }

int lib_tls_bump(int by) { lib_tls += by; return lib_tls; }

int lib_local_tls_bump(int by) {
    local_tls += by;
    size_t n = strlen(local_tls_buf);
    if (n + 1 < sizeof local_tls_buf) { local_tls_buf[n] = '+'; local_tls_buf[n + 1] = 0; }
    return local_tls;
}

static char thread_buf[256];

static void *thread_main(void *arg) {
    (void)arg;
    lib_tls_bump(5);
    lib_local_tls_bump(1);
    snprintf(thread_buf, sizeof thread_buf, "thread: lib_tls=%d local_tls=%d buf=%s", lib_tls, local_tls, local_tls_buf);
    return 0;
}

int lib_thread_report(char *buf, int size) {
    pthread_t t;
    if (pthread_create(&t, 0, thread_main, 0) != 0) return -1;
    pthread_join(t, 0);
    return snprintf(buf, (size_t)size, "%s; main: lib_tls=%d local_tls=%d buf=%s", thread_buf, lib_tls, local_tls, local_tls_buf);
}

__attribute__((visibility("protected"))) int lib_protected_fn(int x) { return x - 7; }

int lib_call_protected(int x) { return lib_protected_fn(x); }

int lib_get_protected_data(void) { return lib_protected_data++; }

int lib_call_hidden(int x) { return lib_hidden(x); }

int lib_constructor_ran(void) { return constructed; }

int lib_unlisted(void) { return 77; }

