// A dylib linked with -exported_symbols_list: only the listed symbols are exported (a global
// helper that is not listed becomes private), and the executable uses the exported ones.
int printf(const char *, ...);
int api_compute(int);
extern const char api_version[];
int main(void) {
    printf("%s %d\n", api_version, api_compute(6));
    return 0;
}
