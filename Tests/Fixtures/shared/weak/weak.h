/* The weak-reference fixture's interface (Tests/EndToEndTests/SharedLibraryTests.swift). */
#ifndef WEAK_H
#define WEAK_H
int weak_tail_call(int x);     /* `return exe_provided(x)`: a jmp through the PLT (R_X86_64_PLT32) */
int weak_call(int x);          /* a call through the PLT whose result is used */
int weak_call_missing(int x);  /* nobody defines nobody_provides */
int weak_data(void);           /* reads exe_data, a weak undefined variable */
void *weak_address(void);      /* the library's &exe_provided */
#endif
