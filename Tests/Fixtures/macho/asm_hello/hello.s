// Hand-written arm64 assembly: adrp/add to a C string (PAGE21/PAGEOFF12), a call through a
// stub (BRANCH26 to an import), a GOT load of a libSystem data symbol (GOT_LOAD_PAGE21 /
// GOT_LOAD_PAGEOFF12), and an LC_LINKER_OPTION asking for libSystem.
    .linker_option "-lSystem"
    .section __TEXT,__text,regular,pure_instructions
    .globl _main
    .p2align 2
_main:
    stp x29, x30, [sp, #-16]!
    mov x29, sp
    adrp x0, Lmessage@PAGE
    add x0, x0, Lmessage@PAGEOFF
    bl _puts
    adrp x8, ___stdoutp@GOTPAGE
    ldr x8, [x8, ___stdoutp@GOTPAGEOFF]
    ldr x1, [x8]
    adrp x0, Lsecond@PAGE
    add x0, x0, Lsecond@PAGEOFF
    bl _fputs
    mov w0, #42
    ldp x29, x30, [sp], #16
    ret

    .section __TEXT,__cstring,cstring_literals
Lmessage:
    .asciz "hello from assembly"
Lsecond:
    .asciz "second line through the GOT\n"
.subsections_via_symbols
