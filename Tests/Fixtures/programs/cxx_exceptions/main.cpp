// C++ exceptions across functions and translation units: catch by base class, rethrow,
// nested try blocks, destructors during unwinding, std::exception_ptr, noexcept paths.
// std::terminate must never be reached.
#include "errors.h"
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <vector>

[[noreturn]] static void on_terminate() {
    std::printf("std::terminate was called (WRONG)\n");
    std::fflush(stdout);
    std::_Exit(99);
}

static int depth_throw(int n) {
    std::vector<int> v(n + 1, n);
    if (n == 0) thrower(0);
    return depth_throw(n - 1) + v[0];
}

int main() {
    std::set_terminate(on_terminate);
    for (int kind = 0; kind <= 5; kind++) {
        try {
            thrower(kind);
            std::printf("kind %d: no exception\n", kind);
        } catch (const ParseError &e) {
            std::printf("kind %d: ParseError '%s' line %d code %d\n", kind, e.what(), e.line, e.code);
        } catch (const std::runtime_error &e) {
            std::printf("kind %d: runtime_error (base) '%s'\n", kind, e.what());
        } catch (const std::exception &e) {
            std::printf("kind %d: std::exception (base) '%s'\n", kind, e.what());
        } catch (int i) {
            std::printf("kind %d: int %d\n", kind, i);
        } catch (...) {
            std::printf("kind %d: caught by ...\n", kind);
        }
    }
    for (int kind = 0; kind <= 1; kind++) {
        try {
            rethrow_wrapper(kind);
        } catch (const AppError &e) {
            std::printf("main caught rethrown '%s' (code %d)\n", e.what(), e.code);
        }
    }
    try {
        std::printf("result %d\n", depth_throw(30));
    } catch (const std::exception &e) {
        std::printf("deep throw caught: %s\n", e.what());
    }
    int total = 0;
    for (const char *s : {"12", "30", "x7", "100"}) {
        try {
            total += parse_number(s);
        } catch (const ParseError &e) {
            std::printf("skipping: %s\n", e.what());
        }
    }
    std::printf("total %d\n", total);
    std::exception_ptr saved;
    try {
        thrower(2);
    } catch (...) {
        saved = std::current_exception();
    }
    try {
        std::rethrow_exception(saved);
    } catch (const std::out_of_range &e) {
        std::printf("exception_ptr rethrown: %s\n", e.what());
    }
    try {
        try {
            thrower(1);
        } catch (const AppError &) {
            throw std::runtime_error("translated");
        }
    } catch (const std::exception &e) {
        std::printf("nested: %s\n", e.what());
    }
    return total % 256;
}
