// A thread-local variable from assembly: the __thread_vars descriptor (thunk, key, offset),
// its __thread_data initial value, and the TLVP_LOAD_PAGE21/PAGEOFF12 access sequence.
    .section __TEXT,__text,regular,pure_instructions
    .globl _main
    .p2align 2
_main:
    stp x29, x30, [sp, #-32]!
    mov x29, sp
    adrp x0, _tls_value@TLVPPAGE
    ldr x0, [x0, _tls_value@TLVPPAGEOFF]
    ldr x8, [x0]
    blr x8
    ldr x9, [x0]
    add x9, x9, #5
    str x9, [x0]
    str x9, [sp]
    adrp x0, Lformat@PAGE
    add x0, x0, Lformat@PAGEOFF
    bl _printf
    mov w0, #0
    ldp x29, x30, [sp], #32
    ret

    .section __DATA,__thread_data,thread_local_regular
    .p2align 3
_tls_value$tlv$init:
    .quad 37

    .section __DATA,__thread_vars,thread_local_variables
    .globl _tls_value
_tls_value:
    .quad __tlv_bootstrap
    .quad 0
    .quad _tls_value$tlv$init

    .section __TEXT,__cstring,cstring_literals
Lformat:
    .asciz "tls=%ld\n"
.subsections_via_symbols
