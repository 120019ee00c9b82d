/* Defines what the library (weak.c) references weakly; the library must reach these. */
#include <stdio.h>
#include "weak.h"

int exe_provided(int x) { return x * 11; }
int exe_data = 1234;

int main(void) {
    printf("weak_data()=%d\n", weak_data());
    printf("library's &exe_provided is ours: %d\n", weak_address() == (void *)exe_provided);
    printf("weak_call_missing(5)=%d\n", weak_call_missing(5));
    fflush(stdout);
    printf("weak_call(5)=%d\n", weak_call(5));
    fflush(stdout);
    printf("weak_tail_call(5)=%d\n", weak_tail_call(5));
    return 0;
}
