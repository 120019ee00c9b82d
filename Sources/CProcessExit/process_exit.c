// Why: when a process exits, the kernel unmaps its whole address space before the parent's
// wait4() returns. For a big link that is tens of milliseconds (page tables of hundreds of MB of
// mapped inputs, the heap) that nobody waits for the result of. mold hides it by forking at
// start-up and letting the parent exit early; weld cannot fork a Swift process once threads
// run (the child can hang in swift_once). Instead, at the very end, weld starts a tiny process
// that shares its memory (CLONE_VM, no thread of the Swift runtime, no Swift code): when weld
// exits, that process still holds the address space, so exit is quick and the caller goes on;
// the helper wakes when weld's last descriptor to a pipe closes, and its own exit does the
// teardown in the background.
#define _GNU_SOURCE
#include "CProcessExit.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))

// The helper runs on a static stack and makes raw system calls only: it shares weld's memory,
// including the TLS of the thread that made it, so it must not touch errno or anything of libc.
static char helperStack[16384] __attribute__((aligned(64)));

#if defined(__x86_64__)
enum { SYS_READ = 0, SYS_CLOSE = 3, SYS_EXIT = 60, SYS_RT_SIGPROCMASK = 14 };
static long rawSyscall(long n, long a, long b, long c, long d) {
    long r;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return r;
}
#else
enum { SYS_READ = 63, SYS_CLOSE = 57, SYS_EXIT = 93, SYS_RT_SIGPROCMASK = 135 };
static long rawSyscall(long n, long a, long b, long c, long d) {
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    return x0;
}
#endif
enum { SYS_CLOSE_RANGE = 436, EINTR_NEGATED = -4 };

enum { MAX_HELD = 8 };
static int heldDescriptors[MAX_HELD];
static int heldCount;

int weld_close_after_exit(int fd) {
    if (fd < 0 || heldCount >= MAX_HELD) return -1;
    heldDescriptors[heldCount++] = fd;
    return 0;
}

static int isKept(int fd, int readEnd) {
    if (fd == readEnd) return 1;
    for (int i = 0; i < heldCount; i++) if (heldDescriptors[i] == fd) return 1;
    return 0;
}

static int teardownHelper(void *arg) {
    int readEnd = (int)(long)arg;
    // Signals are the caller's business with weld, not with this helper: block what can be.
    unsigned long all = ~0UL;
    rawSyscall(SYS_RT_SIGPROCMASK, 0 /* SIG_BLOCK */, (long)&all, 0, 8);
    // Hold no descriptor but the pipe and the held ones: a caller reading weld's stdout or
    // stderr to the end must see the end when weld exits, not when this helper does.
    long failed = 0;
    int from = 0;
    for (int fd = 0; fd < 4096; fd++) {
        if (!isKept(fd, readEnd)) continue;
        if (fd > from) failed |= rawSyscall(SYS_CLOSE_RANGE, from, fd - 1, 0, 0);
        from = fd + 1;
    }
    failed |= rawSyscall(SYS_CLOSE_RANGE, from, ~0U, 0, 0);
    if (failed) {   // no close_range (Linux < 5.9): close one by one
        for (int fd = 0; fd < 4096; fd++) if (!isKept(fd, readEnd)) rawSyscall(SYS_CLOSE, fd, 0, 0, 0);
    }
    // read() returns 0 once the last write end (weld's) is closed, that is, once weld is gone.
    char byte;
    while (rawSyscall(SYS_READ, readEnd, (long)&byte, 1, 0) == EINTR_NEGATED) {}
    rawSyscall(SYS_EXIT, 0, 0, 0, 0);
    return 0;
}

_Noreturn void weld_exit_deferring_teardown(int status) {
    fflush(NULL);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) == 0) {
        // No exit signal: nobody waits for the helper; it is reparented and reaped like any
        // orphan. CLONE_VM without CLONE_THREAD: a separate process sharing the memory.
        pid_t pid = clone(teardownHelper, helperStack + sizeof helperStack, CLONE_VM | CLONE_UNTRACED, (void *)(long)fds[0]);
        (void)pid;   // if it failed, the plain exit below does the teardown itself
        close(fds[0]);
    }
    _exit(status);
}

#else
int weld_close_after_exit(int fd) { (void)fd; return -1; }

_Noreturn void weld_exit_deferring_teardown(int status) {
    fflush(NULL);
    _exit(status);
}
#endif
