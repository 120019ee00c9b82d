// CFLAGS: -fcommon
int shared_counter;
long shared_array[32];         /* common, bigger: 256 bytes */
int initialized_elsewhere = 50;
void bump_b(void) { shared_counter += 10; shared_array[31] = 31; }
long *array_b(void) { return shared_array; }
