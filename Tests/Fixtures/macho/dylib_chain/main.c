// A chain of dylibs: the executable loads libouter through @rpath, and libouter loads libinner
// through @loader_path (relative to libouter, not to the executable); libinner's data is
// reached through libouter. Initializers run dependencies first: inner, outer, then main.
int printf(const char *, ...);
const char *outer_describe(int);
int outer_inner_calls(void);
int main(void) {
    printf("%s\n%s\n", outer_describe(2), outer_describe(3));
    printf("inner calls: %d\n", outer_inner_calls());
    return 0;
}
