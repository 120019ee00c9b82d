// stdio on a tmpfile(): fwrite/fread, fseek/ftell, fprintf/fscanf, ungetc, setvbuf.
#include <stdio.h>
#include <string.h>

int main(void) {
    FILE *f = tmpfile();
    if (!f) { printf("tmpfile failed\n"); return 1; }
    static char buf[1 << 16];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    for (int i = 0; i < 1000; i++) fprintf(f, "%d:%x\n", i, i * i);
    long size = ftell(f);
    unsigned char block[256];
    for (int i = 0; i < 256; i++) block[i] = (unsigned char)i;
    fwrite(block, 1, sizeof block, f);
    rewind(f);
    int a, b, sum = 0;
    while (fscanf(f, "%d:%x\n", &a, &b) == 2) sum += b % 1000;
    fseek(f, size, SEEK_SET);
    unsigned char back[256];
    size_t got = fread(back, 1, sizeof back, f);
    printf("text size %ld sum %d binary %zu equal %d\n", size, sum, got, memcmp(back, block, 256) == 0);
    fseek(f, 0, SEEK_SET);
    int c = fgetc(f);
    ungetc('X', f);
    printf("first char %c then ungot %c\n", c, fgetc(f));
    fclose(f);
    return 0;
}
