int part1(int depth);
static const char tag0[] = "p0";
const char *name0(void) { return tag0; }
int part0(int depth) { return depth <= 0 ? 0 : 0 + part1(depth - 1); }
