// Relocations written by hand in assembly, ones compilers rarely emit for ordinary code:
// R_X86_64_SIZE32/SIZE64, R_X86_64_PC64 and PC32 in data, R_X86_64_8/16/32 against an
// absolute symbol, and a GOTPCREL load of an absolute symbol (must not be relaxed to a
// RIP-relative lea in PIE, since the symbol does not move with the image).
        .section .rodata
        .globl  big_object
        .type   big_object, @object
        .size   big_object, 300
        .p2align 4
big_object:
        .fill   300, 1, 7

        .data
        .globl  reloc_size32, reloc_size64, reloc_pc64, reloc_pc32
        .p2align 3
reloc_size64:   .quad   big_object@SIZE + 5
reloc_pc64:     .quad   big_object - .
reloc_size32:   .long   big_object@SIZE
reloc_pc32:     .long   big_object - .
#ifndef __PIE__
/* GNU ld refuses 32/16/8-bit absolute relocations in PIE even against absolute symbols. */
        .globl  reloc_abs8, reloc_abs16, reloc_abs32
reloc_abs32:    .long   abs_small
reloc_abs16:    .word   abs_small
reloc_abs8:     .byte   abs_tiny
        .byte   0
#endif

        .text
        .globl  load_abs_via_got
        .type   load_abs_via_got, @function
load_abs_via_got:
        movq    abs_small@GOTPCREL(%rip), %rax
        ret
        .size   load_abs_via_got, .-load_abs_via_got

        .section .note.GNU-stack,"",@progbits
