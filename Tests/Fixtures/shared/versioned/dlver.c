/* dlsym and dlvsym on version 2 of libver.so.1 (argv[1]). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

static void call(void *h, const char *name, const char *version) {
    void *p = version ? dlvsym(h, name, version) : dlsym(h, name);
    if (!p) {
        printf("%s@%s: absent\n", name, version ? version : "(default)");
        return;
    }
    printf("%s@%s(7)=%d\n", name, version ? version : "(default)", ((int (*)(int))p)(7));
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) { printf("dlopen failed: %s\n", dlerror()); return 3; }
    call(h, "ver_func", 0);
    call(h, "ver_func", "VER_1");
    call(h, "ver_func", "VER_2");
    call(h, "ver_only1", "VER_1");
    call(h, "ver_only1", "VER_2");
    call(h, "ver_only2", "VER_2");
    call(h, "ver_call_default", 0);
    call(h, "ver_old_impl", 0);
    call(h, "ver_new_impl", 0);
    call(h, "ver_internal", 0);
    int *data = (int *)dlvsym(h, "ver_data", "VER_1");
    printf("ver_data@VER_1=%d\n", data ? *data : -1);
    return 0;
}
