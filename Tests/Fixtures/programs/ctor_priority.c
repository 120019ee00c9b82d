// Constructors and destructors with priorities, raw .init_array/.fini_array entries, and
// atexit handlers: the order must match GNU ld (.init_array.NNNNN sorted by priority).
#include <stdio.h>
#include <stdlib.h>

static void say(const char *s) { printf("%s\n", s); fflush(stdout); }

__attribute__((constructor(300))) static void c300(void) { say("ctor 300"); }
__attribute__((constructor(101))) static void c101(void) { say("ctor 101"); }
__attribute__((constructor)) static void cdefault(void) { say("ctor default"); }
__attribute__((constructor(65535))) static void c65535(void) { say("ctor 65535"); }
__attribute__((constructor(200))) static void c200(void) { say("ctor 200"); }
__attribute__((constructor(102))) static void c102(void) { say("ctor 102"); }

__attribute__((destructor(101))) static void d101(void) { say("dtor 101"); }
__attribute__((destructor(300))) static void d300(void) { say("dtor 300"); }
__attribute__((destructor)) static void ddefault(void) { say("dtor default"); }
__attribute__((destructor(200))) static void d200(void) { say("dtor 200"); }

static void raw_init(void) { say("raw .init_array entry"); }
static void raw_init_150(void) { say("raw .init_array.00150 entry"); }
static void raw_fini(void) { say("raw .fini_array entry"); }
__attribute__((section(".init_array"), used)) static void (*raw_init_p)(void) = raw_init;
__attribute__((section(".init_array.00150"), used)) static void (*raw_init_150_p)(void) = raw_init_150;
__attribute__((section(".fini_array"), used)) static void (*raw_fini_p)(void) = raw_fini;

static void at1(void) { say("atexit 1 (registered first, runs last)"); }
static void at2(void) { say("atexit 2"); }
static void at3(void) { say("atexit 3 (registered last, runs first)"); }

int main(void) {
    say("main");
    atexit(at1);
    atexit(at2);
    atexit(at3);
    return 3;
}
