// A thread-local variable defined in one object and used from another.
int printf(const char *, ...);
extern __thread int shared_tls;
extern __thread char tls_buffer[32];
void fill(void);
int main(void) {
    shared_tls = 5;
    fill();
    printf("shared=%d buffer=%s\n", shared_tls, tls_buffer);
    return shared_tls;
}
