// -e: the entry point (LC_MAIN) is a function other than _main.
int printf(const char *, ...);
int main(void) { printf("main is not the entry\n"); return 1; }
int start_here(int argc, char **argv) {
    printf("entered at start_here with argc=%d\n", argc);
    return 9;
}
