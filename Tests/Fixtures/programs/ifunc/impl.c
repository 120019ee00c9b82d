// IFUNC symbols: a resolver picks the implementation at load time (IRELATIVE relocations in
// static and dynamic outputs, canonical PLT entries when the address is taken in non-PIE code).
#include <stddef.h>

static int add_generic(int a, int b) { return a + b; }
static int add_fancy(int a, int b) { return a + b + 1000; }
static const char *name_a(void) { return "impl-a"; }
static const char *name_b(void) { return "impl-b"; }

volatile int ifunc_selector = 1;   /* read by the resolvers; initialized data only */

typedef int (*add_fn)(int, int);
static add_fn resolve_add(void) { return ifunc_selector ? add_fancy : add_generic; }
int ifunc_add(int, int) __attribute__((ifunc("resolve_add")));

typedef const char *(*name_fn)(void);
static name_fn resolve_name(void) { return ifunc_selector ? name_b : name_a; }
const char *ifunc_name(void) __attribute__((ifunc("resolve_name")));

/* An ifunc used only inside this file (local reference). */
static int twice_impl(int x) { return 2 * x; }
static int (*resolve_twice(void))(int) { return twice_impl; }
static int local_twice(int) __attribute__((ifunc("resolve_twice")));
int call_local_twice(int x) { return local_twice(x); }

void *addr_of_add_in_impl(void) { return (void *)ifunc_add; }
