// Archives beyond the simple case: two archives that need each other (--start-group /
// --end-group), --whole-archive pulling an unreferenced member, a thin archive, and a linker script given
// as an input file that names a library with INPUT(-lNAME).
// LINKFLAGS: -Wl,--start-group %{liba} %{libb} -Wl,--end-group -Wl,--whole-archive %{libwhole} -Wl,--no-whole-archive %{thinlibt} -L%{dir:libscript} %{src}/extra.lds
#include <stdio.h>
int alpha(int);
int thin_value(void);
int script_value(void);
int main(void) {
    printf("alpha(5) = %d\n", alpha(5));
    printf("thin %d script %d\n", thin_value(), script_value());
    return 0;
}
