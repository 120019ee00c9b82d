// Initialised, zero-filled, const and common globals, and data holding pointers to data and
// functions (rebases in __DATA and __DATA_CONST), referenced across objects.
int printf(const char *, ...);
extern int counter;
extern int table[8];
extern int *const table_ptrs[3];
extern const char *const words[];
int bss_array[1000];
int tentative;
static int local_state = 5;
struct node { int value; struct node *next; };
struct node n3 = {3, 0}, n2 = {2, &n3}, n1 = {1, &n2};
int bump(void);
int main(void) {
    for (int i = 0; i < 1000; i++) bss_array[i] = i;
    tentative = 11;
    int s = 0;
    for (struct node *n = &n1; n; n = n->next) s += n->value;
    bump(); bump();
    printf("counter=%d table[7]=%d ptr=%d %d %d words=%s,%s list=%d bss=%d tent=%d local=%d\n",
           counter, table[7], *table_ptrs[0], *table_ptrs[1], *table_ptrs[2], words[0], words[2], s,
           bss_array[999] + bss_array[1], tentative, local_state++);
    return counter;
}
