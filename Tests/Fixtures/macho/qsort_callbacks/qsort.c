// libSystem calling back into the program: qsort and bsearch with comparators.
int printf(const char *, ...);
void qsort(void *, unsigned long, unsigned long, int (*)(const void *, const void *));
void *bsearch(const void *, const void *, unsigned long, unsigned long, int (*)(const void *, const void *));
int strcmp(const char *, const char *);
static int by_value(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
static int by_name(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }
int main(void) {
    int v[] = {42, 7, 19, 3, 88, 23, 1, 56, 11, 5};
    qsort(v, 10, sizeof v[0], by_value);
    for (int i = 0; i < 10; i++) printf("%d ", v[i]);
    int key = 23;
    int *hit = bsearch(&key, v, 10, sizeof v[0], by_value);
    printf("| found at %ld\n", hit ? (long)(hit - v) : -1L);
    const char *names[] = {"pear", "apple", "fig", "kiwi", "banana"};
    qsort(names, 5, sizeof names[0], by_name);
    for (int i = 0; i < 5; i++) printf("%s ", names[i]);
    printf("\n");
    return 0;
}
