// -force_load: every member of the archive is loaded, so a constructor in a member nothing
// references still runs.
int printf(const char *, ...);
extern int registered;
int main(void) {
    printf("registered=%d\n", registered);
    return 0;
}
