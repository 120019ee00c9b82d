// -ffunction-sections -fdata-sections with --gc-sections: unreferenced functions and data are
// discarded, referenced ones (and those kept alive by 'used' or by __start_/__stop_ sections)
// survive, and the program still runs identically.
// CFLAGS: -ffunction-sections -fdata-sections
// LINKFLAGS: -Wl,--gc-sections
#include <stdio.h>

int unused_data[1000] = {1};
int used_data[4] = {4, 3, 2, 1};
int unused_function(int x) { return x * unused_data[0]; }
int used_function(int x) { return x + used_data[0]; }
__attribute__((used)) static int kept_by_attribute(void) { return 5; }
__attribute__((section("gc_keep"), used)) static const int keep_entry = 77;
extern const int __start_gc_keep[], __stop_gc_keep[];

int main(void) {
    printf("used_function(1) = %d\n", used_function(1));
    printf("gc_keep entries = %d first = %d\n", (int)(__stop_gc_keep - __start_gc_keep), __start_gc_keep[0]);
    return 0;
}
