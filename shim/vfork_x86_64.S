/*
 * vfork() for the shim.  A vfork wrapper written in C cannot work: the child
 * returns through the wrapper's frame and reuses the stack below the caller,
 * so when the parent resumes, the wrapper's saved return address may have
 * been overwritten.  Like libc's own vfork, this keeps the return address in
 * a register (each process has its own registers) across the system call and
 * pushes it back on both paths.
 *
 * Registers kept across the syscall: %rdi return address, %rsi timestamp,
 * %rdx saved vfork depth (the syscall clobbers only %rax, %rcx, %r11).
 */
#include <sys/syscall.h>

    .text
    .globl vfork
    .type vfork, @function
    .p2align 4
vfork:
    .cfi_startproc
#ifdef __CET__
    endbr64
#endif
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    call et_vfork_enter
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    movq %rax, %rsi

    popq %rdi
    .cfi_adjust_cfa_offset -8
    .cfi_register %rip, %rdi
    movl $SYS_vfork, %eax
    syscall
    pushq %rdi
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rip, 0

    /* et_vfork_return(ts, saved_depth, result) */
    movq %rsi, %rdi
    movq %rdx, %rsi
    movq %rax, %rdx
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    call et_vfork_return
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    ret
    .cfi_endproc
    .size vfork, .-vfork

    .section .note.GNU-stack, "", @progbits
