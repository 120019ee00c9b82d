int part7(int depth);
static const char tag6[] = "p6";
const char *name6(void) { return tag6; }
int part6(int depth) { return depth <= 0 ? 6 : 6 + part7(depth - 1); }
