// The executable using the C++ shared library: catches the library's exceptions, throws its
// own through the library, compares typeinfo and uses dynamic_cast on library objects, and
// defines a Shape subclass the library describes.
#include <cstdio>
#include <memory>
#include <typeinfo>

#include "shapes.h"

namespace {
struct Triangle : shapes::Shape {
    std::string name() const override { return "triangle"; }
    double area() const override { return 6.0; }
};
struct LocalError : std::logic_error {
    LocalError() : std::logic_error("thrown by the executable") {}
};
}  // namespace

int main() {
    std::printf("registry: %s\n", shapes::join(shapes::registry(), ",").c_str());
    std::unique_ptr<shapes::Shape> c(shapes::make("circle", 2));
    std::unique_ptr<shapes::Shape> s(shapes::make("square", 3));
    Triangle t;
    std::printf("%s\n%s\n", shapes::describe(*c).c_str(), shapes::describe(*s).c_str());
    std::printf("describe(triangle) mentions its type: %d\n",
                shapes::describe(t).find("Triangle") != std::string::npos);
    std::printf("dynamic_cast here: circle %d square %d\n", dynamic_cast<shapes::Circle *>(c.get()) != nullptr,
                dynamic_cast<shapes::Circle *>(s.get()) != nullptr);
    std::printf("typeid equal across the boundary: %d %d\n", typeid(*c) == shapes::circle_type(),
                typeid(shapes::Circle) == shapes::circle_type());
    int status = 0;
    try {
        shapes::make("hexagon", 1);
        std::printf("no exception\n");
    } catch (const shapes::ShapeError &e) {
        std::printf("caught ShapeError from the library: %s code %d\n", e.what(), e.code);
        status += 1;
    }
    try {
        shapes::make("", 1);
    } catch (const std::runtime_error &e) {
        std::printf("caught as runtime_error: %s\n", e.what());
        status += 2;
    }
    std::printf("%s\n", shapes::call_and_catch([] { throw LocalError(); }).c_str());
    std::printf("%s\n", shapes::call_and_catch([] { throw 42; }).c_str());
    std::printf("%s\n", shapes::call_and_catch([] { throw shapes::ShapeError("from the executable", 7); }).c_str());
    std::printf("%s\n", shapes::call_and_catch([] { shapes::make("x", 0); }).c_str());
    std::printf("%s\n", shapes::call_and_catch([] {}).c_str());
    shapes::shared_counter() = 10;
    int b = shapes::bump_shared_counter();
    std::printf("shared counter: library sees %d, executable sees %d\n", b, shapes::shared_counter());
    std::string long_name = shapes::join({c->name(), s->name(), t.name(), std::string(40, 'x')}, "/");
    std::printf("%s (%zu)\n", long_name.c_str(), long_name.size());
    return status;
}
