// The C++ shared-library fixture's interface (Tests/EndToEndTests/SharedLibraryTests.swift).
#ifndef SHAPES_H
#define SHAPES_H
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace shapes {

struct Shape {
    virtual ~Shape();
    virtual std::string name() const;
    virtual double area() const = 0;
};

struct Circle : Shape {
    explicit Circle(double r) : r(r) {}
    std::string name() const override;
    double area() const override;
    double r;
};

struct Square : Shape {
    explicit Square(double s) : s(s) {}
    std::string name() const override;
    double area() const override;
    double s;
};

// Thrown by the library, caught by the executable (typeinfo compared across the boundary).
struct ShapeError : std::runtime_error {
    ShapeError(const std::string &what, int code) : std::runtime_error(what), code(code) {}
    int code;
};

Shape *make(const std::string &kind, double size);       // throws ShapeError for unknown kinds
std::string describe(const Shape &s);                    // uses dynamic_cast inside the library
std::string join(const std::vector<std::string> &parts, const std::string &sep);
// Calls f and reports what it threw (the executable's exception types, caught in the library).
std::string call_and_catch(const std::function<void()> &f);
// Registered by a global constructor in the library before main.
const std::vector<std::string> &registry();
// An inline function with a static local: one object for the executable and the library
// (STB_GNU_UNIQUE or a preemptible weak symbol).
inline int &shared_counter() {
    static int c = 0;
    return c;
}
int bump_shared_counter();
const std::type_info &circle_type();

}  // namespace shapes

#endif
