#include "registry.h"
static int negate(int x) { return -x; }
REGISTER("negate", negate, 3);
__attribute__((section("weld_strings"), used)) static const char tag_b[] = "from-b";
