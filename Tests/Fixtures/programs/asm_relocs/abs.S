// An absolute symbol (SHN_ABS), defined apart from its users so that they must relocate.
        .globl  abs_small
        .hidden abs_small
        .set    abs_small, 0x1234
        .section .note.GNU-stack,"",@progbits
        .globl  abs_tiny
        .hidden abs_tiny
        .set    abs_tiny, 0x5a
