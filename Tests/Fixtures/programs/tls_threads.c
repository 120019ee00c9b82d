// __thread variables (initialized -> .tdata, zeroed -> .tbss) seen from several threads:
// each thread must get a fresh copy of the initial image.
// LIBS: -lpthread
#include <pthread.h>
#include <stdio.h>
#include <string.h>

__thread int counter = 100;          /* .tdata */
__thread long zeroed;                /* .tbss  */
__thread char name[32] = "initial";  /* .tdata, array */
static __thread int local_tls = 5;   /* file-local TLS */

#define NTHREADS 4
static long results[NTHREADS][4];

static void *worker(void *arg) {
    long id = (long)arg;
    for (int i = 0; i < 1000; i++) { counter++; zeroed += id; local_tls += 2; }
    snprintf(name, sizeof name, "thread-%ld", id);
    results[id][0] = counter;
    results[id][1] = zeroed;
    results[id][2] = local_tls;
    results[id][3] = (long)strlen(name);
    return NULL;
}

int main(void) {
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < NTHREADS; i++)
        printf("thread %d: counter=%ld zeroed=%ld local=%ld namelen=%ld\n", i, results[i][0],
               results[i][1], results[i][2], results[i][3]);
    printf("main: counter=%d zeroed=%ld local=%d name=%s\n", counter, zeroed, local_tls, name);
    return counter == 100 && zeroed == 0 && local_tls == 5 ? 0 : 1;
}
