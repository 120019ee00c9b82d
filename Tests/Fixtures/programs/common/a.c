// Common symbols (-fcommon): tentative definitions of the same name in several files merge
// into one object; the largest size and alignment win; an initialized definition wins over
// commons.
// CFLAGS: -fcommon
int shared_counter;            /* common in a.c, b.c and main.c */
long shared_array[16];         /* common, size 128 here */
int initialized_elsewhere;     /* common here, defined (initialized) in b.c */
void bump_a(void) { shared_counter += 1; shared_array[15] = 15; initialized_elsewhere += 1; }
long *array_a(void) { return shared_array; }
