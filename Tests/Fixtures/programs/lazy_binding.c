// Lazy PLT binding (-z lazy) with only a SysV hash table (--hash-style=sysv) and no RELRO:
// the first call of each libc function goes through the resolver, later calls do not.
// LINKFLAGS: -Wl,-z,lazy -Wl,--hash-style=sysv -Wl,-z,norelro
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    for (int round = 0; round < 2; round++) {
        char buf[32];
        strcpy(buf, "Lazy Binding");
        for (char *p = buf; *p; p++) *p = (char)toupper((unsigned char)*p);
        int n = abs(-round * 7);
        printf("round %d: %s %zu %d %ld\n", round, buf, strlen(buf), n, labs(-12345L));
    }
    return 0;
}
