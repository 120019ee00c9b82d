// Virtual inheritance (diamond), virtual calls through base pointers, covariant return types,
// pure virtual interfaces, virtual destructors, VTT and construction vtables.
#include <cstdio>
#include <memory>
#include <vector>

struct Shape {
    virtual ~Shape() { std::printf("~Shape\n"); }
    virtual double area() const = 0;
    virtual Shape *clone() const = 0;
    virtual const char *name() const { return "shape"; }
};
struct Named { virtual ~Named() {} int id = 0; };
struct Square : Shape {
    double s;
    explicit Square(double x) : s(x) {}
    double area() const override { return s * s; }
    Square *clone() const override { return new Square(*this); }
    const char *name() const override { return "square"; }
};
struct Circle final : Shape {
    double r;
    explicit Circle(double x) : r(x) {}
    double area() const override { return 3.0 * r * r; }
    Circle *clone() const override { return new Circle(*this); }
};

struct Animal { int legs; Animal(int l = 4) : legs(l) { std::printf("Animal(%d)\n", l); } virtual ~Animal() {} virtual const char *sound() const { return "..."; } };
struct Mammal : virtual Animal { Mammal() : Animal(4) { std::printf("Mammal\n"); } int fur = 1; };
struct Winged : virtual Animal { Winged() : Animal(2) { std::printf("Winged\n"); } int wings = 2; const char *sound() const override { return "flap"; } };
struct Bat : Mammal, Winged { Bat() : Animal(2) { std::printf("Bat\n"); } };

int main() {
    std::vector<std::unique_ptr<Shape>> shapes;
    shapes.emplace_back(new Square(3));
    shapes.emplace_back(new Circle(2));
    shapes.emplace_back(shapes[0]->clone());
    double total = 0;
    for (auto &s : shapes) { std::printf("%s area %.1f\n", s->name(), s->area()); total += s->area(); }
    std::printf("total %.1f\n", total);
    Bat b;
    Animal *a = &b;
    Mammal *m = &b;
    Winged *w = &b;
    std::printf("legs via Animal %d via Mammal %d via Winged %d; sound %s\n", a->legs, m->legs, w->legs, a->sound());
    std::printf("single Animal subobject: %d\n", static_cast<Animal *>(m) == static_cast<Animal *>(w));
    std::printf("fur %d wings %d\n", b.fur, b.wings);
    return (int)total;
}
