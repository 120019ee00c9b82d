int part4(int depth);
static const char tag3[] = "p3";
const char *name3(void) { return tag3; }
int part3(int depth) { return depth <= 0 ? 3 : 3 + part4(depth - 1); }
