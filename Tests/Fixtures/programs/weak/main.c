// Weak symbols overridden across files, and weak undefined references (if (&f)).
#include <stdio.h>
const char *greeting(void) { return "strong greeting"; }
const char *farewell(void);
int weak_data = 100;
extern int weak_data_kept;
const char *lib_greeting(void);
int lib_weak_data(void);

extern void missing_function(void) __attribute__((weak));
extern int missing_variable __attribute__((weak));
extern int also_missing[] __attribute__((weak));

int main(void) {
    printf("%s / %s\n", greeting(), lib_greeting());
    printf("%s\n", farewell());
    printf("weak_data=%d lib sees %d, weak_data_kept=%d\n", weak_data, lib_weak_data(), weak_data_kept);
    printf("missing_function %s\n", &missing_function ? "present (WRONG)" : "absent");
    printf("missing_variable %s\n", &missing_variable ? "present (WRONG)" : "absent");
    printf("also_missing %s\n", also_missing ? "present (WRONG)" : "absent");
    if (missing_function) missing_function();
    return 0;
}
