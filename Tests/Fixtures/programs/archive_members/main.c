// Archive member selection: only members that define a needed symbol are pulled in, members
// needed by other members are found regardless of their order in the archive, and a weak
// undefined reference does not pull a member.
#include <stdio.h>
int first(void);
extern int weak_only(void) __attribute__((weak));
int main(void) {
    printf("first() = %d\n", first());
    printf("weak_only linked: %d\n", weak_only != 0);
    return 0;
}
