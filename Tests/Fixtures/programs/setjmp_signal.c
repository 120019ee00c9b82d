// setjmp/longjmp, sigsetjmp/siglongjmp out of a signal handler, raise() with a handler,
// sigaction with SA_SIGINFO, and signal masks.
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static jmp_buf env;
static sigjmp_buf senv;
static volatile sig_atomic_t handled;
static volatile int info_signo;

static void handler(int sig) { handled += sig; }
static void info_handler(int sig, siginfo_t *si, void *ctx) { (void)ctx; info_signo = si->si_signo + sig; }
static void jump_handler(int sig) { siglongjmp(senv, sig); }

static int depth(int n) {
    if (n == 0) longjmp(env, 99);
    return depth(n - 1) + 1;
}

int main(void) {
    int r = setjmp(env);
    if (r == 0) {
        depth(20);
        printf("not reached\n");
    }
    printf("longjmp returned %d\n", r);

    signal(SIGUSR1, handler);
    raise(SIGUSR1);
    raise(SIGUSR1);
    printf("handled sum %d (SIGUSR1=%d)\n", (int)handled, SIGUSR1);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    printf("siginfo handler got %d\n", info_signo);

    signal(SIGALRM, jump_handler);
    int s = sigsetjmp(senv, 1);
    if (s == 0) {
        raise(SIGALRM);
        printf("not reached either\n");
    } else {
        printf("siglongjmp from handler with %d\n", s);
    }
    sigset_t set;
    sigprocmask(SIG_BLOCK, NULL, &set);
    printf("SIGALRM blocked after siglongjmp: %d\n", sigismember(&set, SIGALRM));
    return 0;
}
