// Objects compiled with -g: their __DWARF sections must not be copied into the output (the
// debug map is symbol-table stabs pointing at the objects), and code must be unaffected.
int printf(const char *, ...);
struct point { int x, y; };
static int manhattan(struct point a, struct point b) {
    int dx = a.x - b.x, dy = a.y - b.y;
    return (dx < 0 ? -dx : dx) + (dy < 0 ? -dy : dy);
}
int scale(int);
int main(void) {
    struct point p = {1, 2}, q = {-4, 9};
    printf("distance=%d scaled=%d\n", manhattan(p, q), scale(manhattan(p, q)));
    return 0;
}
