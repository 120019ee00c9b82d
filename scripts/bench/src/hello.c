/* weld benchmark workload "hello" / "hello-static": the smallest real link. */
#include <stdio.h>

int main(void) {
  puts("hello, world");
  return 0;
}
