#include <stdexcept>
#include <string>
struct AppError : std::runtime_error {
    int code;
    AppError(const std::string &w, int c) : std::runtime_error(w), code(c) {}
};
struct ParseError : AppError {
    int line;
    ParseError(const std::string &w, int l) : AppError("parse: " + w, 2), line(l) {}
};
void thrower(int kind);          // defined in thrower.cpp
int parse_number(const char *s); // defined in thrower.cpp
void rethrow_wrapper(int kind);  // defined in thrower.cpp
