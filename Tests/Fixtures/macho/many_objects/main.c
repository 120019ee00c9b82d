// Eight objects calling each other in a ring: many cross-object branches and data references.
int printf(const char *, ...);
int part0(int);
const char *name0(void), *name3(void), *name7(void);
int main(void) {
    printf("%d %d %s%s%s\n", part0(7), part0(100), name0(), name3(), name7());
    return 0;
}
