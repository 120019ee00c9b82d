// qsort and bsearch with callbacks passed into libc (function pointers crossing into libc.so or
// libc.a), plus a hand-written PRNG for deterministic data.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec { int key; char name[12]; };
static unsigned int seed = 12345;
static unsigned int next_rand(void) { seed = seed * 1103515245u + 12345u; return (seed >> 16) & 0x7fff; }

static int cmp_int(const void *a, const void *b) { int x = *(const int *)a, y = *(const int *)b; return (x > y) - (x < y); }
static int cmp_desc(const void *a, const void *b) { return cmp_int(b, a); }
static int cmp_rec(const void *a, const void *b) {
    const struct rec *x = a, *y = b;
    return x->key != y->key ? (x->key < y->key ? -1 : 1) : strcmp(x->name, y->name);
}
static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

int main(void) {
    int a[1000];
    for (int i = 0; i < 1000; i++) a[i] = (int)(next_rand() % 5000);
    qsort(a, 1000, sizeof a[0], cmp_int);
    long check = 0;
    for (int i = 0; i < 1000; i++) check = check * 31 + a[i];
    printf("sorted min=%d max=%d median=%d check=%ld\n", a[0], a[999], a[500], check);
    int key = a[777];
    int *found = bsearch(&key, a, 1000, sizeof a[0], cmp_int);
    printf("bsearch found %d: %d\n", key, found != NULL && *found == key);
    qsort(a, 1000, sizeof a[0], cmp_desc);
    printf("descending first=%d last=%d\n", a[0], a[999]);
    struct rec recs[6] = {{3, "c"}, {1, "zeta"}, {3, "a"}, {2, "b"}, {1, "alpha"}, {0, "z"}};
    qsort(recs, 6, sizeof recs[0], cmp_rec);
    for (int i = 0; i < 6; i++) printf("%d:%s ", recs[i].key, recs[i].name);
    printf("\n");
    const char *words[] = {"linker", "elf", "section", "symbol", "relocation", "archive"};
    qsort(words, 6, sizeof words[0], cmp_str);
    for (int i = 0; i < 6; i++) printf("%s ", words[i]);
    printf("\n");
    return 0;
}
