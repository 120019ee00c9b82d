// Constructors and destructors (__init_offsets / __mod_init_func), atexit handlers, and their
// order across two objects.
int printf(const char *, ...);
int atexit(void (*)(void));
extern int ready;
int trace[8];
int ntrace;
__attribute__((constructor)) static void first(void) { trace[ntrace++] = 1; }
__attribute__((constructor)) static void second(void) { trace[ntrace++] = 2; }
__attribute__((destructor)) static void goodbye(void) { printf("destructor ran\n"); }
static void at_exit_a(void) { printf("atexit a\n"); }
static void at_exit_b(void) { printf("atexit b\n"); }
int main(void) {
    atexit(at_exit_a);
    atexit(at_exit_b);
    printf("ready=%d trace=", ready);
    for (int i = 0; i < ntrace; i++) printf("%d", trace[i]);
    printf("\n");
    return 0;
}
