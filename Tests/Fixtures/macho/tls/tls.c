// Thread-local variables: initialised (__thread_data), zero-filled (__thread_bss), an array,
// and a static one; accessed through __thread_vars descriptors (TLVP relocations).
int printf(const char *, ...);
__thread int tls_counter = 100;
__thread int tls_zero;
__thread long tls_array[16] = {1, 2, 3};
static __thread const char *tls_name = "initial";
__attribute__((noinline)) static void bump(int by) { tls_counter += by; tls_zero -= by; tls_array[15] += by; }
int main(void) {
    for (int i = 1; i <= 5; i++) bump(i);
    tls_name = "changed";
    long s = 0;
    for (int i = 0; i < 16; i++) s += tls_array[i];
    printf("counter=%d zero=%d sum=%ld name=%s\n", tls_counter, tls_zero, s, tls_name);
    return 0;
}
