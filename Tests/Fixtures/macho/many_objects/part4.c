int part5(int depth);
static const char tag4[] = "p4";
const char *name4(void) { return tag4; }
int part4(int depth) { return depth <= 0 ? 4 : 4 + part5(depth - 1); }
