// __start_SEC / __stop_SEC for a C-identifier section filled from several files, plus a
// second section that is only referenced (never defined) through weak __start_/__stop_.
#include "registry.h"
static int square(int x) { return x * x; }
static int cube(int x) { return x * x * x; }
REGISTER("square", square, 1);
REGISTER("cube", cube, 2);
