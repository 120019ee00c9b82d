// A static archive: only the members main needs are loaded, and a member loaded for one
// symbol brings the others it defines; an unreferenced member (with a conflicting symbol)
// must stay out.
int printf(const char *, ...);
int area(int w, int h);
int perimeter(int w, int h);
extern const char *shape_name;
int main(void) {
    printf("%s area=%d perimeter=%d\n", shape_name, area(3, 4), perimeter(3, 4));
    return 0;
}
