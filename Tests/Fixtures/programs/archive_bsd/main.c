// An archive with a BSD-format symbol table (__.SYMDEF, made by llvm-ar --format=bsd): only the
// member defining a needed symbol is linked. GNU ld cannot read this format, so the reference
// link (and a GNU ld stand-in for weld) gets a GNU-format archive with the same members.
#include <stdio.h>
int bsd_value(void);
int main(void) {
    printf("bsd %d\n", bsd_value());
    return 0;
}
