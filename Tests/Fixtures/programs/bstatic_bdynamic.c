// -Bstatic / -Bdynamic around -l: zlib is taken from libz.a, libm from libm.so; -l:NAME too.
// MODES: pie nopie
// LIBS: -Wl,-Bstatic -lz -Wl,-Bdynamic -lm -l:libc.so.6
#include <math.h>
#include <stdio.h>
#include <zlib.h>

int main(void) {
    const char *text = "static zlib in a dynamic executable";
    unsigned long crc = crc32(0L, (const unsigned char *)text, 35);
    volatile double x = 2.0;
    printf("crc32 %08lx sqrt %.6f zlib %s\n", crc, sqrt(x), zlibVersion());
    return 0;
}
