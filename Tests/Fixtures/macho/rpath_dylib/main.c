// A dylib found through @rpath (install name @rpath/libcount.dylib, -rpath
// @executable_path/lib), linked with -L/-l, which itself imports libSystem.
int printf(const char *, ...);
void count_add(int);
int count_total(void);
const char *count_label(void);
int main(void) {
    for (int i = 1; i <= 10; i++) count_add(i);
    printf("%s=%d\n", count_label(), count_total());
    return 0;
}
