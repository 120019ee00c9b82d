// String tables: arrays of literals, duplicate literals in two objects (cstring merging),
// the C string functions from libSystem, and a string built with snprintf.
int printf(const char *, ...);
int snprintf(char *, unsigned long, const char *, ...);
unsigned long strlen(const char *);
int strcmp(const char *, const char *);
char *strcpy(char *, const char *);
char *strcat(char *, const char *);
char *strchr(const char *, int);
char *strstr(const char *, const char *);
const char *other_greeting(void);
static const char *const planets[] = {"mercury", "venus", "earth", "mars", "jupiter", "saturn"};
int main(void) {
    char buf[128];
    unsigned long total = 0;
    for (int i = 0; i < 6; i++) total += strlen(planets[i]);
    strcpy(buf, planets[2]);
    strcat(buf, "+");
    strcat(buf, planets[3]);
    printf("total=%lu joined=%s cmp=%d same=%d\n", total, buf, strcmp(planets[0], planets[1]) < 0,
           strcmp(other_greeting(), "good morning") == 0);
    printf("chr=%s str=%s\n", strchr(buf, '+'), strstr(buf, "ars"));
    int n = snprintf(buf, sizeof buf, "%s-%04d-%c-%5.1f|%-6s|%x", "id", 42, 'Z', 2.25, "ab", 48879);
    printf("%d:%s\n", n, buf);
    n = snprintf(buf, 8, "%s", "truncated text");
    printf("%d:%s\n", n, buf);
    return 0;
}
