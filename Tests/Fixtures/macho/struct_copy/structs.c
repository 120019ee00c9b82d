// Large structs passed and returned by value (compiler-generated memcpy calls), struct
// initialisers with pointers into other structs.
int printf(const char *, ...);
struct big { long v[40]; const char *name; };
static struct big make(long seed, const char *name) {
    struct big b;
    for (int i = 0; i < 40; i++) b.v[i] = seed * i;
    b.name = name;
    return b;
}
__attribute__((noinline)) static long total(struct big b) { long s = 0; for (int i = 0; i < 40; i++) s += b.v[i]; return s; }
struct pair { const struct big *first; const char *label; };
static const struct big constant = {{1, 2, 3}, "constant"};
static const struct pair pairs[] = {{&constant, "one"}, {&constant, "two"}};
int main(void) {
    struct big a = make(3, "a");
    struct big b = a;
    b.v[0] = 1000;
    printf("%ld %ld %s %s %s %ld\n", total(a), total(b), b.name, pairs[1].label, pairs[0].first->name, pairs[1].first->v[2]);
    return 0;
}
