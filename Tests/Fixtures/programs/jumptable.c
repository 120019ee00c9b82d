// A big dense switch: compilers emit a jump table in .rodata (absolute entries with
// R_X86_64_32S in non-PIC code, relative entries in PIC code) plus string switch tables.
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static int big_switch(int k, int x) {
    switch (k) {
    case 0: return 0 + x * 1;
    case 3: return 919 + x * 2;
    case 6: return 838 + x * 3;
    case 9: return 757 + x * 4;
    case 12: return 676 + x * 5;
    case 15: return 595 + x * 1;
    case 18: return 514 + x * 2;
    case 21: return 433 + x * 3;
    case 24: return 352 + x * 4;
    case 27: return 271 + x * 5;
    case 30: return 190 + x * 1;
    case 33: return 109 + x * 2;
    case 36: return 28 + x * 3;
    case 39: return 947 + x * 4;
    case 42: return 866 + x * 5;
    case 45: return 785 + x * 1;
    case 48: return 704 + x * 2;
    case 51: return 623 + x * 3;
    case 54: return 542 + x * 4;
    case 57: return 461 + x * 5;
    case 60: return 380 + x * 1;
    case 63: return 299 + x * 2;
    case 66: return 218 + x * 3;
    case 69: return 137 + x * 4;
    case 72: return 56 + x * 5;
    case 75: return 975 + x * 1;
    case 78: return 894 + x * 2;
    case 81: return 813 + x * 3;
    case 84: return 732 + x * 4;
    case 87: return 651 + x * 5;
    case 90: return 570 + x * 1;
    case 93: return 489 + x * 2;
    case 96: return 408 + x * 3;
    case 99: return 327 + x * 4;
    case 102: return 246 + x * 5;
    case 105: return 165 + x * 1;
    case 108: return 84 + x * 2;
    case 111: return 3 + x * 3;
    case 114: return 922 + x * 4;
    case 117: return 841 + x * 5;
    case 120: return 760 + x * 1;
    case 123: return 679 + x * 2;
    case 126: return 598 + x * 3;
    case 129: return 517 + x * 4;
    case 132: return 436 + x * 5;
    case 135: return 355 + x * 1;
    case 138: return 274 + x * 2;
    case 141: return 193 + x * 3;
    case 144: return 112 + x * 4;
    case 147: return 31 + x * 5;
    case 150: return 950 + x * 1;
    case 153: return 869 + x * 2;
    case 156: return 788 + x * 3;
    case 159: return 707 + x * 4;
    case 162: return 626 + x * 5;
    case 165: return 545 + x * 1;
    case 168: return 464 + x * 2;
    case 171: return 383 + x * 3;
    case 174: return 302 + x * 4;
    case 177: return 221 + x * 5;
    case 180: return 140 + x * 1;
    case 183: return 59 + x * 2;
    case 186: return 978 + x * 3;
    case 189: return 897 + x * 4;
    case 192: return 816 + x * 5;
    case 195: return 735 + x * 1;
    case 198: return 654 + x * 2;
    case 201: return 573 + x * 3;
    case 204: return 492 + x * 4;
    case 207: return 411 + x * 5;
    case 210: return 330 + x * 1;
    case 213: return 249 + x * 2;
    case 216: return 168 + x * 3;
    case 219: return 87 + x * 4;
    case 222: return 6 + x * 5;
    case 225: return 925 + x * 1;
    case 228: return 844 + x * 2;
    case 231: return 763 + x * 3;
    case 234: return 682 + x * 4;
    case 237: return 601 + x * 5;
    case 240: return 520 + x * 1;
    case 243: return 439 + x * 2;
    case 246: return 358 + x * 3;
    case 249: return 277 + x * 4;
    case 252: return 196 + x * 5;
    case 255: return 115 + x * 1;
    case 258: return 34 + x * 2;
    case 261: return 953 + x * 3;
    case 264: return 872 + x * 4;
    case 267: return 791 + x * 5;
    case 270: return 710 + x * 1;
    case 273: return 629 + x * 2;
    case 276: return 548 + x * 3;
    case 279: return 467 + x * 4;
    case 282: return 386 + x * 5;
    case 285: return 305 + x * 1;
    default: return -1;
    }
}

__attribute__((noinline)) static const char *name_of(int k) {
    switch (k) {
    case 0: return "zero"; case 1: return "one"; case 2: return "two"; case 3: return "three";
    case 4: return "four"; case 5: return "five"; case 6: return "six"; case 7: return "seven";
    case 8: return "eight"; case 9: return "nine"; case 10: return "ten"; case 11: return "eleven";
    default: return "many";
    }
}

int main(int argc, char **argv) {
    (void)argv;
    long sum = 0;
    volatile int x = argc;
    for (int k = -3; k < 300; k++) sum += big_switch(k, x) * (k + 1);
    printf("checksum %ld\n", sum);
    for (int k = 0; k < 14; k++) printf("%s%s", name_of(k), k == 13 ? "\n" : " ");
    return (int)(sum % 101);
}
