/* Linked against version 1 (binds ver_func@VER_1) or version 2 (binds ver_func@@VER_2) of
 * libver.so.1; always run with version 2. */
#include <stdio.h>

int ver_func(int x);
int ver_only1(void);
extern int ver_data;

int main(void) {
    printf("ver_func(1)=%d ver_only1()=%d ver_data=%d\n", ver_func(1), ver_only1(), ver_data);
    return ver_func(2) % 256;
}
