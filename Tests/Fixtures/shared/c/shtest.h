/* The C shared-library fixture's interface (Tests/EndToEndTests/SharedLibraryTests.swift). */
#ifndef SHTEST_H
#define SHTEST_H

extern int lib_counter;                 /* exported data, may be copied into a non-PIE executable */
extern const char *lib_name;            /* exported data holding a pointer (RELATIVE) */
extern int *lib_counter_ptr;            /* R_X86_64_64 against a preemptible data symbol */
extern int lib_interposed_data;         /* the executable defines it too: interposed */
extern __thread int lib_tls;            /* TLS: initial-exec from the executable, GD in the library */
extern int (*const lib_table[4])(int);  /* function pointers: symbolic and RELATIVE relocations */
extern void *lib_ptrs[3];               /* writable pointers (R_X86_64_64 and RELATIVE) */

int lib_add(int a, int b);
int lib_hook(int x);                    /* weak in the library, overridden by the executable */
int lib_call_hook(int x);               /* calls lib_hook from inside the library */
int lib_call_table(int i, int x);
int lib_read_interposed_data(void);
int *lib_counter_address(void);
void *lib_add_address(void);            /* the library's view of &lib_add */
int lib_tls_bump(int by);               /* lib_tls += by (general dynamic) */
int lib_local_tls_bump(int by);         /* a static __thread (local dynamic) */
int lib_thread_report(char *buf, int size); /* TLS values seen in a new thread */
int lib_protected_fn(int x);
int lib_call_protected(int x);          /* the library's call to its protected function */
int lib_get_protected_data(void);
int lib_call_hidden(int x);
int lib_constructor_ran(void);
int lib_unlisted(void);                 /* not in the version script: absent from the script variants */

#endif
