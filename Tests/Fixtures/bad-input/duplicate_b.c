int weld_duplicate_symbol(void) { return 2; }
