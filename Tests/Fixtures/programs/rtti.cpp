// Run-time type information: typeid, dynamic_cast (down, cross, failed, to void*), bad_cast, type_info equality of
// types whose typeinfo lives in COMDAT groups, and typeid of polymorphic references.
#include <cstdio>
#include <typeinfo>
#include <cstring>

struct Base { virtual ~Base() {} virtual const char *kind() const { return "Base"; } };
struct Left : virtual Base { const char *kind() const override { return "Left"; } int l = 1; };
struct Right : virtual Base { int r = 2; };
struct Bottom : Left, Right { const char *kind() const override { return "Bottom"; } };
struct Other { virtual ~Other() {} };
template <typename T> struct Box { virtual ~Box() {} T value{}; };

static void describe(Base *b) {
    std::printf("%s: typeid=%s", b->kind(), typeid(*b).name());
    if (auto *l = dynamic_cast<Left *>(b)) std::printf(" Left(l=%d)", l->l);
    if (auto *r = dynamic_cast<Right *>(b)) std::printf(" Right(r=%d)", r->r);
    if (dynamic_cast<Bottom *>(b)) std::printf(" Bottom");
    std::printf(" void*-offset-ok=%d\n", dynamic_cast<void *>(b) != nullptr);
}

int main() {
    Base base;
    Left left;
    Bottom bottom;
    describe(&base);
    describe(&left);
    describe(&bottom);
    Left *asLeft = &bottom;
    Right *cross = dynamic_cast<Right *>(asLeft);
    std::printf("cross cast ok=%d r=%d\n", cross != nullptr, cross ? cross->r : -1);
    try {
        Base &ref = base;
        (void)dynamic_cast<Bottom &>(ref);
        std::printf("no bad_cast (WRONG)\n");
    } catch (const std::bad_cast &e) {
        std::printf("bad_cast caught\n");
    }
    Box<int> bi;
    Box<double> bd;
    std::printf("Box<int> vs Box<double> differ=%d, same type=%d\n", typeid(bi) != typeid(bd),
                typeid(bi) == typeid(Box<int>));
    std::printf("names: %s %s %s\n", typeid(int).name(), typeid(Bottom).name(), typeid(bd).name());
    Other o;
    Other *op = &o;
    std::printf("unrelated cast null=%d\n", dynamic_cast<Base *>(op) == nullptr);
    return std::strlen(typeid(Bottom).name());
}
