// Assembly data relocations: absolute pointers (UNSIGNED, rebased), pointer differences
// (SUBTRACTOR + UNSIGNED), a pointer with an addend, a relative jump table, and a load from a
// local data word with PAGEOFF12 scaled for an 8-byte ldr.
    .section __TEXT,__text,regular,pure_instructions
    .globl _main
    .p2align 2
_main:
    stp x29, x30, [sp, #-32]!
    mov x29, sp
    str x19, [sp, #16]
    // sum = value_a + value_b via the pointer table
    adrp x8, _pointers@PAGE
    add x8, x8, _pointers@PAGEOFF
    ldr x9, [x8]
    ldr x9, [x9]
    ldr x10, [x8, #8]
    ldr x10, [x10]
    add x19, x9, x10
    // + (distance between two labels, stored as a difference)
    adrp x8, _distance@PAGE
    ldr x9, [x8, _distance@PAGEOFF]
    add x19, x19, x9
    // + byte at (string + 4) through a pointer with an addend
    adrp x8, _offset_pointer@PAGE
    ldr x9, [x8, _offset_pointer@PAGEOFF]
    ldrb w9, [x9]
    add x19, x19, x9
    // + jump table dispatch on 2
    mov x0, #2
    bl _dispatch
    add x19, x19, x0
    adrp x0, Lformat@PAGE
    add x0, x0, Lformat@PAGEOFF
    str x19, [sp]
    bl _printf
    mov w0, #0
    ldr x19, [sp, #16]
    ldp x29, x30, [sp], #32
    ret

    .p2align 2
_dispatch:
    adr x9, Ljump_table
    ldrsw x10, [x9, x0, lsl #2]
    add x9, x9, x10
    br x9
Lcase0:
    mov x0, #1000
    ret
Lcase1:
    mov x0, #2000
    ret
Lcase2:
    mov x0, #3000
    ret
    .p2align 2
Ljump_table:
    .long Lcase0 - Ljump_table
    .long Lcase1 - Ljump_table
    .long Lcase2 - Ljump_table

    .section __DATA,__data
    .p2align 3
_value_a:
    .quad 40
_value_b:
    .quad 2
_pointers:
    .quad _value_a
    .quad _value_b
_distance:
    .quad _end_marker - _value_a
_offset_pointer:
    .quad _text + 4
_end_marker:
    .quad 0
_text:
    .asciz "abcdZ"

    .section __TEXT,__cstring,cstring_literals
Lformat:
    .asciz "total=%ld\n"
.subsections_via_symbols
