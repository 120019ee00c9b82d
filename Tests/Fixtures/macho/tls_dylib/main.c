// A thread-local variable exported by a dylib and used by the executable (__thread_ptrs bound
// to the dylib's descriptor), next to the executable's own thread-local variable.
int printf(const char *, ...);
extern __thread int lib_tls;
int lib_bump(void);
__thread int own_tls = 3;
int main(void) {
    lib_tls += 10;
    own_tls *= lib_bump();
    printf("lib_tls=%d own_tls=%d\n", lib_tls, own_tls);
    return 0;
}
