// Weak definitions: one is overridden by a strong definition in main.c, one is not.
#include <stdio.h>
__attribute__((weak)) const char *greeting(void) { return "weak greeting (WRONG)"; }
__attribute__((weak)) const char *farewell(void) { return "weak farewell (kept)"; }
__attribute__((weak)) int weak_data = 1;
__attribute__((weak)) int weak_data_kept = 2;
const char *lib_greeting(void) { return greeting(); }
int lib_weak_data(void) { return weak_data; }
