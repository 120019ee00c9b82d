// An executable and dylib both linked with the classic dyld-info opcodes (-no_fixup_chains):
// binds by library ordinal, lazy binding of the dylib's functions, exported data.
int printf(const char *, ...);
extern int shared_table[4];
int table_sum(void);
int *table_slot(int);
int main(void) {
    *table_slot(2) = 50;
    shared_table[0] = 7;
    printf("sum=%d\n", table_sum());
    return 0;
}
