// The C++ shared library: virtual classes, exceptions and typeinfo used across the library
// boundary, std::string results, and a global constructor.
#include "shapes.h"

#include <cstdio>
#include <sstream>
#include <typeinfo>

namespace shapes {

Shape::~Shape() {}
std::string Shape::name() const { return "shape"; }
std::string Circle::name() const { return "circle"; }
double Circle::area() const { return 3.0 * r * r; }
std::string Square::name() const { return "square"; }
double Square::area() const { return s * s; }

namespace {
struct Registrar {
    std::vector<std::string> names;
    Registrar() {
        names.push_back("circle");
        names.push_back("square");
        names.push_back(std::string("registered-by-") + "constructor");
    }
};
Registrar registrar;   // a global constructor in the library
}  // namespace

const std::vector<std::string> &registry() { return registrar.names; }

Shape *make(const std::string &kind, double size) {
    if (kind == "circle") return new Circle(size);
    if (kind == "square") return new Square(size);
    throw ShapeError("unknown shape: " + kind, static_cast<int>(kind.size()));
}

std::string describe(const Shape &s) {
    std::ostringstream out;
    out << s.name() << " area " << s.area();
    if (auto *c = dynamic_cast<const Circle *>(&s)) out << " radius " << c->r;
    else if (auto *q = dynamic_cast<const Square *>(&s)) out << " side " << q->s;
    else out << " (" << typeid(s).name() << ")";
    return out.str();
}

std::string join(const std::vector<std::string> &parts, const std::string &sep) {
    std::string r;
    for (size_t i = 0; i < parts.size(); i++) {
        if (i) r += sep;
        r += parts[i];
    }
    return r;
}

std::string call_and_catch(const std::function<void()> &f) {
    try {
        f();
        return "nothing thrown";
    } catch (const ShapeError &e) {
        return std::string("ShapeError(") + e.what() + ", " + std::to_string(e.code) + ")";
    } catch (const std::exception &e) {
        return std::string("std::exception ") + typeid(e).name() + ": " + e.what();
    } catch (int i) {
        return "int " + std::to_string(i);
    } catch (...) {
        return "unknown exception";
    }
}

int bump_shared_counter() { return ++shared_counter(); }

const std::type_info &circle_type() { return typeid(Circle); }

}  // namespace shapes
