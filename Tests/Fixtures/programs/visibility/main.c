#include <stdio.h>
extern int hidden_counter __attribute__((visibility("hidden")));
extern int protected_value;
extern int default_value;
int hidden_fn(int) __attribute__((visibility("hidden")));
int protected_fn(int);
int default_fn(int);
int *protected_addr_from_lib(void);
#pragma GCC visibility push(hidden)
int pragma_hidden = 5;
#pragma GCC visibility pop
int main(void) {
    printf("hidden_fn(1)=%d hidden_counter=%d\n", hidden_fn(1), hidden_counter);
    printf("protected_fn(2)=%d default_fn(3)=%d\n", protected_fn(2), default_fn(3));
    printf("protected address agrees: %d\n", protected_addr_from_lib() == &protected_value);
    default_value += pragma_hidden;
    printf("default_value=%d hidden_counter=%d\n", default_value, hidden_counter);
    return 0;
}
