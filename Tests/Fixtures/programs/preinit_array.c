// .preinit_array (executables only) runs before .init_array, which runs before main.
#include <stdio.h>
static int stage;
static int seen_preinit_stage = -1, seen_init_stage = -1;
static void pre(int argc, char **argv, char **envp) {
    (void)argv; (void)envp;
    seen_preinit_stage = stage++;
    if (argc < 1) stage += 100;
}
static void init(void) { seen_init_stage = stage++; }
__attribute__((section(".preinit_array"), used)) static void (*pre_p)(int, char **, char **) = pre;
__attribute__((section(".init_array"), used)) static void (*init_p)(void) = init;
int main(void) {
    printf("preinit ran at stage %d, init at stage %d, main at stage %d\n", seen_preinit_stage,
           seen_init_stage, stage);
    return seen_preinit_stage == 0 && seen_init_stage == 1 ? 0 : 1;
}
