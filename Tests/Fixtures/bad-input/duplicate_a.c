/* Defines weld_duplicate_symbol; so does duplicate_b.c. */
int weld_duplicate_symbol(void) { return 1; }
int main(void) { return weld_duplicate_symbol(); }
