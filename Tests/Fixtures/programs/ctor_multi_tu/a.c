// Constructors with priorities spread over several translation units: the linker must sort
// .init_array.* across files by priority, and keep input order for equal priorities.
#include <stdio.h>
static void say(const char *s) { printf("%s\n", s); fflush(stdout); }
__attribute__((constructor(500))) static void a500(void) { say("a.c ctor 500"); }
__attribute__((constructor(150))) static void a150(void) { say("a.c ctor 150"); }
__attribute__((constructor)) static void adef(void) { say("a.c ctor default"); }
__attribute__((destructor(150))) static void ad150(void) { say("a.c dtor 150"); }
__attribute__((destructor)) static void addef(void) { say("a.c dtor default"); }
