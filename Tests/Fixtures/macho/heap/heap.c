// malloc/calloc/realloc/free: a linked list and a growing array.
int printf(const char *, ...);
void *malloc(unsigned long);
void *calloc(unsigned long, unsigned long);
void *realloc(void *, unsigned long);
void free(void *);
struct item { int v; struct item *next; };
int main(void) {
    struct item *head = 0;
    for (int i = 0; i < 50; i++) {
        struct item *it = malloc(sizeof *it);
        it->v = i * i; it->next = head; head = it;
    }
    long s = 0;
    while (head) { struct item *n = head->next; s += head->v; free(head); head = n; }
    int *arr = calloc(4, sizeof(int));
    int cap = 4;
    for (int i = 0; i < 100; i++) {
        if (i == cap) { cap *= 2; arr = realloc(arr, cap * sizeof(int)); }
        arr[i] = i * 3;
    }
    long t = 0;
    for (int i = 0; i < 100; i++) t += arr[i];
    free(arr);
    printf("list=%ld array=%ld cap=%d\n", s, t, cap);
    return 0;
}
