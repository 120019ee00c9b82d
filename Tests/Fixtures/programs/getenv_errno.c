// getenv with variables set by the harness, errno (a TLS variable inside libc) after failing
// calls, strerror, and perror-free formatting.
// ENV: WELD_E2E_GREETING=bonjour WELD_E2E_NUMBER=12345
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    const char *g = getenv("WELD_E2E_GREETING");
    const char *n = getenv("WELD_E2E_NUMBER");
    const char *missing = getenv("WELD_E2E_DOES_NOT_EXIST");
    printf("greeting=%s number=%s missing=%s\n", g ? g : "(null)", n ? n : "(null)", missing ? missing : "(null)");
    errno = 0;
    FILE *f = fopen("/nonexistent/dir/file", "r");
    int e1 = errno;
    printf("fopen failed=%d errno=ENOENT:%d (%s)\n", f == NULL, e1 == ENOENT, strerror(e1));
    errno = 0;
    long v = strtol("99999999999999999999999", NULL, 10);
    printf("strtol overflow %ld ERANGE:%d\n", v, errno == ERANGE);
    errno = 0;
    setenv("WELD_E2E_SET", "value-set", 1);
    printf("setenv then getenv: %s errno=%d\n", getenv("WELD_E2E_SET"), errno);
    return n ? atoi(n) % 256 : 1;
}
