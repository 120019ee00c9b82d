int printf(const char *, ...);
int lib_counter = 5;
static const char *const colors[] = {"red", "green", "blue"};
__attribute__((constructor)) static void lib_init(void) { printf("[lib init] counter=%d\n", lib_counter); }
int lib_add(int a, int b) { lib_counter++; return a + b + lib_counter; }
const char *lib_color(int i) { return colors[i % 3]; }
int lib_apply(int (*fn)(int), int v) { return fn(v) + 1; }
