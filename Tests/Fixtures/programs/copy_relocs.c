// libc data used directly: stdout/stderr, environ, optarg/optind/opterr. In non-PIE dynamic
// executables these become copy relocations (R_X86_64_COPY into .bss); in PIE they may too.
// ARGS: -a -b value -c extra1 extra2
// ENV: WELD_E2E_COPYREL=present
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
    int c, aflag = 0, cflag = 0;
    const char *bval = "(none)";
    opterr = 0;
    while ((c = getopt(argc, argv, "ab:c")) != -1) {
        switch (c) {
        case 'a': aflag = 1; break;
        case 'b': bval = optarg; break;
        case 'c': cflag = 1; break;
        default: printf("unknown option\n");
        }
    }
    fprintf(stdout, "a=%d b=%s c=%d optind=%d remaining=%d opterr=%d\n", aflag, bval, cflag,
            optind, argc - optind, opterr);
    for (int i = optind; i < argc; i++) fprintf(stdout, "arg: %s\n", argv[i]);
    int found = 0, count = 0;
    for (char **e = environ; *e; e++, count++)
        if (strcmp(*e, "WELD_E2E_COPYREL=present") == 0) found = 1;
    fprintf(stdout, "environ has entries: %d, found marker: %d\n", count > 0, found);
    fprintf(stdout, "stdout is not stderr: %d\n", stdout != stderr);
    FILE *volatile *p = &stdout;
    fprintf(*p, "write through &stdout\n");
    fflush(stdout);
    return 0;
}
