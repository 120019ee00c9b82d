#ifndef WELD_CSYSTEM_H
#define WELD_CSYSTEM_H
/// System calls Swift cannot import directly (variadic in C).

/// prctl(PR_SET_PDEATHSIG, sig): this process gets `sig` when its parent dies. Returns 0 or -1.
int weld_set_parent_death_signal(int sig);
#endif
