#include <stdio.h>
#include <string.h>
#include "registry.h"
extern const struct entry __start_weld_registry[], __stop_weld_registry[];
extern const char __start_weld_strings[], __stop_weld_strings[];
extern const char __start_weld_absent[] __attribute__((weak));
extern const char __stop_weld_absent[] __attribute__((weak));
static int ident(int x) { return x; }
REGISTER("ident", ident, 0);
__attribute__((section("weld_strings"), used)) static const char tag_main[] = "from-main";

int main(void) {
    int n = (int)(__stop_weld_registry - __start_weld_registry);
    printf("%d entries\n", n);
    /* print in 'order' so the result does not depend on the input order of sections */
    for (int want = 0; want < n; want++)
        for (const struct entry *e = __start_weld_registry; e < __stop_weld_registry; e++)
            if (e->order == want) printf("  %s(3) = %d\n", e->name, e->fn(3));
    size_t bytes = (size_t)(__stop_weld_strings - __start_weld_strings);
    printf("weld_strings holds at least 17 bytes: %d\n", bytes >= 17);
    int seen_b = 0, seen_main = 0;
    for (const char *p = __start_weld_strings; p < __stop_weld_strings; p += strlen(p) + 1) {
        seen_b |= strcmp(p, "from-b") == 0;
        seen_main |= strcmp(p, "from-main") == 0;
    }
    printf("found from-b=%d from-main=%d\n", seen_b, seen_main);
    printf("absent section: start=%d stop=%d\n", __start_weld_absent != 0, __stop_weld_absent != 0);
    return 0;
}
