/* Loads the C shared library with dlopen (argv[1]) and uses it through dlsym only. No
 * executable definition interposes here, so the library's weak lib_hook is used. */
#include <dlfcn.h>
#include <stdio.h>

static void *must(void *h, const char *name) {
    void *p = dlsym(h, name);
    if (!p) { printf("dlsym(%s) failed: %s\n", name, dlerror()); }
    return p;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    for (int round = 0; round < 2; round++) {
        void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!h) { printf("dlopen failed: %s\n", dlerror()); return 3; }
        int (*add)(int, int) = (int (*)(int, int))must(h, "lib_add");
        int (*call_hook)(int) = (int (*)(int))must(h, "lib_call_hook");
        int (*call_table)(int, int) = (int (*)(int, int))must(h, "lib_call_table");
        int (*tls_bump)(int) = (int (*)(int))must(h, "lib_tls_bump");
        int (*local_bump)(int) = (int (*)(int))must(h, "lib_local_tls_bump");
        int (*report)(char *, int) = (int (*)(char *, int))must(h, "lib_thread_report");
        int (*ctor)(void) = (int (*)(void))must(h, "lib_constructor_ran");
        int (*call_protected)(int) = (int (*)(int))must(h, "lib_call_protected");
        int *counter = (int *)must(h, "lib_counter");
        int **counter_ptr = (int **)must(h, "lib_counter_ptr");
        int *tls = (int *)must(h, "lib_tls");
        const char **name = (const char **)must(h, "lib_name");
        if (!add || !call_hook || !call_table || !tls_bump || !local_bump || !report || !ctor || !call_protected
            || !counter || !counter_ptr || !tls || !name)
            return 4;
        printf("round %d: constructor %d, name %s, counter %d, counter_ptr ok %d\n", round, ctor(), *name, *counter,
               *counter_ptr == counter);
        printf("add %d, call_hook %d, table %d %d %d %d, protected %d\n", add(40, 2), call_hook(3), call_table(0, 5),
               call_table(1, 5), call_table(2, 5), call_table(3, 5), call_protected(1));
        int before = *tls;
        int bumped = tls_bump(4);
        int local = local_bump(3);
        printf("tls via dlsym %d, bump %d, now %d, local %d\n", before, bumped, *tls, local);
        char buf[512];
        if (report(buf, sizeof buf) < 0) return 5;
        printf("%s\n", buf);
        /* Not exported: hidden, static, and (with the version script) unlisted. */
        printf("lib_hidden %s, times_two %s, lib_unlisted %s\n", dlsym(h, "lib_hidden") ? "found" : "absent",
               dlsym(h, "times_two") ? "found" : "absent", dlsym(h, "lib_unlisted") ? "found" : "absent");
        dlerror();
        if (dlclose(h) != 0) { printf("dlclose failed: %s\n", dlerror()); return 6; }
    }
    return 0;
}
