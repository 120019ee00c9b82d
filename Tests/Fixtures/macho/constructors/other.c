extern int trace[8];
extern int ntrace;
int ready;
__attribute__((constructor)) static void third(void) { trace[ntrace++] = 3; ready = 99; }
