// C++ across a dylib boundary: a class implemented in the dylib and used through its vtable
// from the executable, and an executable subclass overriding a dylib virtual.
extern "C" int printf(const char *, ...);
struct Animal { virtual ~Animal(); virtual const char *sound() const; int legs = 4; };
Animal *make_bird();
const char *describe(const Animal &);
struct Dog : Animal { const char *sound() const override { return "woof"; } };
int main() {
    Animal *b = make_bird();
    Dog d;
    Animal generic;
    printf("%s | %s | %s\n", describe(*b), describe(d), describe(generic));
    delete b;
    return 0;
}
