// -dead_strip: unreferenced functions and data go, but what is referenced only from data
// (a function-pointer table) and what is used stays.
int printf(const char *, ...);
int used_helper(int x) { return x * 7; }
int unused_function(int x) { return x * 1000; }
const char unused_string[] = "this string is never referenced";
static int from_table(void) { return 5; }
int (*const table[])(void) = {from_table};
int main(void) {
    printf("used=%d table=%d\n", used_helper(6), table[0]());
    return 0;
}
