int third(void);
int first(void) { return 100 + third(); }
