// CFLAGS: -fcommon
#include <stdio.h>
int shared_counter;
extern long shared_array[];
int initialized_elsewhere;
void bump_a(void);
void bump_b(void);
long *array_a(void);
long *array_b(void);
int main(void) {
    bump_a();
    bump_b();
    shared_counter += 100;
    printf("shared_counter=%d initialized_elsewhere=%d\n", shared_counter, initialized_elsewhere);
    printf("same array=%d a[15]=%ld a[31]=%ld a[0]=%ld\n", array_a() == array_b(),
           shared_array[15], shared_array[31], shared_array[0]);
    printf("array aligned=%d\n", (int)((unsigned long)shared_array % _Alignof(long) == 0));
    return 0;
}
