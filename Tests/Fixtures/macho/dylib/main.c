// An executable and its own dylib (install name @executable_path/...): functions, exported
// data read and written across images, a callback, and the dylib's initializer.
int printf(const char *, ...);
int lib_add(int, int);
const char *lib_color(int);
int lib_apply(int (*)(int), int);
extern int lib_counter;
static int twice(int x) { return 2 * x; }
int main(void) {
    int sum = lib_add(1, 2);    // lib_add changes lib_counter: sequence it before the read
    printf("%d %d\n", sum, lib_counter);
    lib_counter = 100;
    printf("%d %s %s %d\n", lib_add(0, 0), lib_color(1), lib_color(5), lib_apply(twice, 20));
    return 0;
}
