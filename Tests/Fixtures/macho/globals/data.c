int counter = 40;
int table[8] = {1, 2, 3, 4, 5, 6, 7, 8};
int *const table_ptrs[3] = {&table[0], &table[3], &counter};
const char *const words[] = {"alpha", "beta", "gamma"};
int bump(void) { return ++counter; }
