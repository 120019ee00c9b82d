// LIBS: -lpthread
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "tls.h"

struct result { int same, aligned, data, gd, ie, le, desc, ld; char text[16]; };
static struct result res[3];
static int *addrs[3];

static void *run(void *arg) {
    long id = (long)arg;
    struct result *r = &res[id];
    int *a = gd_addr();
    r->same = a == ie_addr() && a == le_addr() && a == desc_addr() && a == &tls_data;
    r->aligned = ((uintptr_t)tls_aligned % 64) == 0;
    tls_data += (int)id;
    r->data = tls_data;
    r->gd = gd_sum();
    r->ie = ie_sum();
    r->le = le_sum();
    r->desc = desc_sum();
    for (int i = 0; i < (int)id; i++) ld_bump();
    r->ld = ld_bump();
    strncpy(r->text, tls_aligned, sizeof r->text - 1);
    addrs[id] = a;
    return NULL;
}

int main(void) {
    pthread_t t[2];
    run((void *)0);
    for (long i = 1; i <= 2; i++) pthread_create(&t[i - 1], NULL, run, (void *)i);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < 3; i++)
        printf("%d: same=%d aligned=%d data=%d gd=%d ie=%d le=%d desc=%d ld=%d text=%s\n", i,
               res[i].same, res[i].aligned, res[i].data, res[i].gd, res[i].ie, res[i].le,
               res[i].desc, res[i].ld, res[i].text);
    printf("distinct: %d\n", addrs[0] != addrs[1] && addrs[1] != addrs[2] && addrs[0] != addrs[2]);
    printf("ld_addr distinct from main: %d\n", ld_addr() != &tls_data);
    return 0;
}
