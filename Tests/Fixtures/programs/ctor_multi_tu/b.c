#include <stdio.h>
static void say(const char *s) { printf("%s\n", s); fflush(stdout); }
__attribute__((constructor(500))) static void b500(void) { say("b.c ctor 500"); }
__attribute__((constructor(120))) static void b120(void) { say("b.c ctor 120"); }
__attribute__((constructor)) static void bdef(void) { say("b.c ctor default"); }
__attribute__((destructor(500))) static void bd500(void) { say("b.c dtor 500"); }
__attribute__((destructor)) static void bddef(void) { say("b.c dtor default"); }
