int part2(int depth);
static const char tag1[] = "p1";
const char *name1(void) { return tag1; }
int part1(int depth) { return depth <= 0 ? 1 : 1 + part2(depth - 1); }
