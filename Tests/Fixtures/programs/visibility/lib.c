// Hidden and protected visibility across translation units (compiled -fPIC here so references
// to default-visibility symbols go through the GOT while hidden/protected ones do not), plus
// an internal symbol. None of the hidden symbols may appear in .dynsym.
// CFLAGS: -fPIC
#include <stdio.h>
__attribute__((visibility("hidden"))) int hidden_counter = 10;
__attribute__((visibility("protected"))) int protected_value = 20;
__attribute__((visibility("internal"))) int internal_value = 30;
int default_value = 40;
__attribute__((visibility("hidden"))) int hidden_fn(int x) { return x + hidden_counter++; }
__attribute__((visibility("protected"))) int protected_fn(int x) { return x * protected_value; }
int default_fn(int x) { return hidden_fn(x) + protected_fn(1) + internal_value + default_value; }
int *protected_addr_from_lib(void) { return &protected_value; }
