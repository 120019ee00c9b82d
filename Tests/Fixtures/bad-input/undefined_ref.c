/* References a symbol that no input defines. */
int weld_missing_symbol(int);
int main(void) { return weld_missing_symbol(1); }
