// Iterate environ (and the third main argument): only that the count is positive is printed,
// since the environment differs between runs.
#include <stdio.h>
extern char **environ;
int main(int argc, char **argv, char **envp) {
    int n = 0, m = 0;
    for (char **e = environ; *e; e++) n++;
    for (char **e = envp; *e; e++) m++;
    printf("environ count > 0: %d, envp agrees: %d, argc=%d, argv[argc]==NULL: %d\n", n > 0, n == m, argc, argv[argc] == NULL);
    return 0;
}
