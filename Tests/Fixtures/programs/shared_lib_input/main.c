// MODES: pie nopie
// LIBS: -lpthread
#include <pthread.h>
#include <stdio.h>
extern int shared_value;
extern int shared_array[8];
extern __thread int shared_tls;
const char *shared_name(void);
int shared_fn(int);
void *shared_fn_address(void);
int *shared_value_address(void);
int *shared_tls_address(void);
int versioned(void);
int maybe_present(void) __attribute__((weak));
int not_present(void) __attribute__((weak));

static int tls_same;
static void *thread(void *arg) {
    (void)arg;
    tls_same = &shared_tls == shared_tls_address() && shared_tls == 77;
    shared_tls = 5;
    return NULL;
}

int main(void) {
    printf("%s: shared_fn(8) = %d, versioned() = %d\n", shared_name(), shared_fn(8), versioned());
    shared_value += 1;
    printf("shared_value = %d (same object as the library's: %d), array[7] = %d\n", shared_value,
           &shared_value == shared_value_address(), shared_array[7]);
    printf("function address canonical: %d\n", (void *)shared_fn == shared_fn_address());
    printf("weak: maybe_present %s, not_present %s\n", maybe_present ? "found" : "absent",
           not_present ? "found" : "absent");
    shared_tls += 1;
    pthread_t t;
    pthread_create(&t, NULL, thread, NULL);
    pthread_join(t, NULL);
    printf("tls: main %d, thread saw its own copy %d, same address as library %d\n", shared_tls, tls_same,
           &shared_tls == shared_tls_address());
    return 0;
}
