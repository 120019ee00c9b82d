// Linked for macOS 11, where linkers emit the classic LC_DYLD_INFO_ONLY rebase/bind/lazy-bind
// opcodes (lazy stubs, __stub_helper, __la_symbol_ptr) instead of chained fixups. The tables
// are indexed with a run-time value so the rebased pointers are really loaded.
int printf(const char *, ...);
int puts(const char *);
static int values[] = {4, 8, 15, 16, 23, 42};
int *const pointers[] = {&values[0], &values[5]};
const char *const messages[] = {"lazy", "bound"};
int main(int argc, char **argv) {
    int zero = argc - 1;
    puts(messages[zero]);
    printf("%s %d %d\n", messages[zero + 1], *pointers[zero], *pointers[zero + 1]);
    return 0;
}
