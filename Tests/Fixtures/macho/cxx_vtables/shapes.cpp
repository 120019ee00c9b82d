// C++ virtual dispatch: vtables in __DATA_CONST (rebased pointers), a pure virtual base,
// multiple inheritance with this-adjusting thunks, new/delete, and RTTI objects (typeinfo
// whose vtables come from libc++abi).
extern "C" int printf(const char *, ...);
struct Shape {
    virtual ~Shape() {}
    virtual double area() const = 0;
    virtual const char *name() const { return "shape"; }
};
struct Named { virtual const char *label() const { return "named"; } virtual ~Named() {} int tag = 9; };
struct Square : Shape { double s; explicit Square(double s) : s(s) {} double area() const override { return s * s; }
                        const char *name() const override { return "square"; } };
struct Circle : Shape, Named { double r; explicit Circle(double r) : r(r) {} double area() const override { return 3.0 * r * r; }
                               const char *label() const override { return "circle-label"; } };
int main() {
    Shape *shapes[] = {new Square(2), new Circle(1), new Square(3)};
    double total = 0;
    for (Shape *s : shapes) { total += s->area(); printf("%s %.1f\n", s->name(), s->area()); }
    Named *n = static_cast<Circle *>(shapes[1]);
    printf("total=%.1f label=%s tag=%d\n", total, n->label(), n->tag);
    for (Shape *s : shapes) delete s;
    return 0;
}
