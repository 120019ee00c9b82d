#include <stdio.h>
static void say(const char *s) { printf("%s\n", s); fflush(stdout); }
__attribute__((constructor(130))) static void m130(void) { say("main.c ctor 130"); }
__attribute__((constructor)) static void mdef(void) { say("main.c ctor default"); }
int main(void) { say("main"); return 0; }
