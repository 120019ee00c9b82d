// A weakly imported function and a dylib linked with -weak-l: present at run time, so the
// weak references resolve; and weak_import of a symbol the dylib does not export is NULL.
int printf(const char *, ...);
int optional_feature(void) __attribute__((weak));
int absent_feature(void) __attribute__((weak));
int main(void) {
    printf("optional=%d absent=%s\n", optional_feature ? optional_feature() : -1, absent_feature ? "yes" : "no");
    return 0;
}
