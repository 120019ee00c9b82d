// A function whose frame compact unwind cannot describe (x19 and x20 saved apart, at odd
// slots), so the assembler gives it DWARF-mode unwind info and an FDE in __eh_frame. It
// clobbers x19 and x20 and calls a C++ function that may throw through it.
    .section __TEXT,__text,regular,pure_instructions
    .globl _odd_frame
    .p2align 2
_odd_frame:
    .cfi_startproc
    sub sp, sp, #48
    .cfi_def_cfa_offset 48
    stp x29, x30, [sp, #32]
    str x19, [sp, #8]
    str x20, [sp, #24]
    add x29, sp, #32
    .cfi_def_cfa w29, 16
    .cfi_offset w30, -8
    .cfi_offset w29, -16
    .cfi_offset w20, -24
    .cfi_offset w19, -40
    mov x19, x0
    mov x20, #7777
    bl _may_throw
    add x0, x0, x19
    add x0, x0, x20
    ldr x19, [sp, #8]
    ldr x20, [sp, #24]
    ldp x29, x30, [sp, #32]
    add sp, sp, #48
    ret
    .cfi_endproc
.subsections_via_symbols
