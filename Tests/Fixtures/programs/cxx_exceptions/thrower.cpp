// Exceptions thrown in one translation unit and caught in another: .eh_frame, .gcc_except_table,
// personality routine (DW.ref.__gxx_personality_v0 COMDAT), typeinfo for the thrown classes.
#include "errors.h"
#include <cstdlib>
#include <cstdio>

void thrower(int kind) {
    switch (kind) {
    case 0: throw AppError("app failure", 7);
    case 1: throw ParseError("unexpected token", 42);
    case 2: throw std::out_of_range("index 10 out of range");
    case 3: throw 12345;
    case 4: throw std::string("a std::string");
    default: break;
    }
}

int parse_number(const char *s) {
    char *end;
    long v = std::strtol(s, &end, 10);
    if (*end) throw ParseError(std::string("bad number '") + s + "'", 1);
    return (int)v;
}

struct Guard {
    const char *name;
    ~Guard() { std::printf("  unwinding destroys %s\n", name); }
};

void rethrow_wrapper(int kind) {
    Guard g{"guard-in-rethrow_wrapper"};
    try {
        thrower(kind);
    } catch (AppError &e) {
        std::printf("  rethrow_wrapper saw AppError code %d, rethrowing\n", e.code);
        throw;
    }
}
