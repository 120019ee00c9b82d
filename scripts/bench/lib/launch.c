/* launch: run one command and measure it, for peers.py.
 *
 *   launch DIR ERRFILE TIMEOUT PROG [ARG...]
 *
 * Runs PROG (a path, not searched in $PATH) with the ARGs in directory DIR,
 * stdin and stdout on /dev/null, stderr to ERRFILE, in a new session (its
 * whole process group is killed after TIMEOUT seconds), and prints one line:
 *
 *   rc=N wall=S user=S sys=S maxrss_kb=K left_user=S left_sys=S left_maxrss_kb=K
 *   left_wait=S busy=S timed_out=0|1
 *
 * rc        the exit status, or 128 + the signal that ended it
 * wall      CLOCK_MONOTONIC from just before fork() to the return of wait4()
 * user, sys, maxrss_kb   the child's rusage from wait4()
 * left_*    processes the child left running: this launcher is a child
 *           subreaper, so they become its children when their parent exits
 *           and are reaped after the timed window (mold forks by default: its
 *           parent exits as soon as the output is complete and a worker
 *           cleans up).  left_wait is how long that took (not in wall).
 * busy      CPU time the whole machine spent during the timed window
 *           (/proc/stat, all CPUs): busy minus the child's own CPU is what
 *           other processes took, a noise gauge.
 *
 * It is a small static C program so that the child's peak RSS starts from a
 * ~1 MB process image rather than Python's: Linux carries the pre-exec
 * high-water mark into ru_maxrss.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double monotonic(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Seconds of non-idle CPU time since boot, summed over all CPUs. */
static double machine_busy(void) {
  unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;
  FILE *f = fopen("/proc/stat", "r");
  if (f == NULL) return 0;
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
                 &iowait, &irq, &softirq, &steal);
  fclose(f);
  if (n != 8) return 0;
  return (double)(user + nice + sys + irq + softirq + steal) / (double)sysconf(_SC_CLK_TCK);
}

static volatile pid_t child;
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig) {
  (void)sig;
  timed_out = 1;
  kill(-child, SIGKILL); /* the child leads its own process group (setsid) */
}

static double seconds(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6; }

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: launch DIR ERRFILE TIMEOUT PROG [ARG...]\n");
    return 2;
  }
  const char *dir = argv[1], *errfile = argv[2];
  unsigned timeout = (unsigned)atoi(argv[3]);
  struct sigaction sa = {0};
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) perror("launch: PR_SET_CHILD_SUBREAPER");

  double busy0 = machine_busy();
  double t0 = monotonic();
  pid_t pid = fork();
  if (pid < 0) {
    perror("launch: fork");
    return 1;
  }
  if (pid == 0) {
    setsid();
    if (chdir(dir) != 0) _exit(126);
    int in = open("/dev/null", O_RDWR);
    int err = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || err < 0) _exit(126);
    dup2(in, 0);
    dup2(in, 1);
    dup2(err, 2);
    execv(argv[4], argv + 4);
    _exit(127);
  }
  child = pid;
  if (timeout > 0) alarm(timeout);
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) {
    perror("launch: wait4");
    return 1;
  }
  double t1 = monotonic();
  double busy1 = machine_busy();
  alarm(0);

  /* reap whatever the command left behind (within the same time limit) */
  if (timeout > 0) alarm(timeout);
  double left_user = 0, left_sys = 0;
  long left_rss = 0;
  int st;
  struct rusage lru;
  while (wait4(-1, &st, 0, &lru) > 0) {
    left_user += seconds(lru.ru_utime);
    left_sys += seconds(lru.ru_stime);
    if (lru.ru_maxrss > left_rss) left_rss = lru.ru_maxrss;
  }
  double t2 = monotonic();
  alarm(0);

  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  printf("rc=%d wall=%.6f user=%.6f sys=%.6f maxrss_kb=%ld left_user=%.6f left_sys=%.6f "
         "left_maxrss_kb=%ld left_wait=%.6f busy=%.3f timed_out=%d\n",
         rc, t1 - t0, seconds(ru.ru_utime), seconds(ru.ru_stime), ru.ru_maxrss, left_user,
         left_sys, left_rss, t2 - t1, busy1 - busy0, (int)timed_out);
  return 0;
}
