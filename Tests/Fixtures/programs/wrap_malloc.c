// --wrap=malloc and --wrap=free: references to malloc from this file go to __wrap_malloc,
// which forwards to __real_malloc (libc's malloc). libc's own internal calls are not wrapped.
// LINKFLAGS: -Wl,--wrap=malloc -Wl,--wrap=free
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t);
void __real_free(void *);
static int mallocs, frees;
static size_t bytes;

void *__wrap_malloc(size_t n) { mallocs++; bytes += n; return __real_malloc(n); }
void __wrap_free(void *p) { if (p) frees++; __real_free(p); }

int main(void) {
    char *bufs[10];
    for (int i = 0; i < 10; i++) {
        bufs[i] = malloc(16 + i);
        strcpy(bufs[i], "wrapped");
    }
    for (int i = 0; i < 10; i++) free(bufs[i]);
    free(NULL);
    void *(*volatile via_pointer)(size_t) = malloc;
    free(via_pointer(100));
    printf("mallocs=%d frees=%d bytes=%zu\n", mallocs, frees, bytes);
    return mallocs;
}
