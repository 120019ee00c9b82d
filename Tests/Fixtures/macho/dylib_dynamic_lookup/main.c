// A plugin-style dylib linked with -undefined dynamic_lookup: it calls back into a function
// and reads a variable that only the executable defines, found at load time by flat lookup
// (-export_dynamic keeps them exported even under -dead_strip).
int printf(const char *, ...);
int host_version = 3;
int host_callback(int x) { return x * 100 + host_version; }
int plugin_run(int);
int main(void) {
    printf("plugin says %d\n", plugin_run(4));
    return 0;
}
