extern "C" int snprintf(char *, unsigned long, const char *, ...);
struct Animal { virtual ~Animal(); virtual const char *sound() const; int legs = 4; };
Animal::~Animal() {}
const char *Animal::sound() const { return "..."; }
struct Bird : Animal { Bird() { legs = 2; } const char *sound() const override { return "tweet"; } };
Animal *make_bird() { return new Bird; }
static char buffer[3][64];
static int next_slot;
const char *describe(const Animal &a) {
    char *b = buffer[next_slot++ % 3];
    snprintf(b, 64, "%s on %d legs", a.sound(), a.legs);
    return b;
}
