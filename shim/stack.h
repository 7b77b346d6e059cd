/*
 * Call-site stacks and the map of loaded objects (stack.c).
 */
#ifndef EXECTRACE_STACK_H
#define EXECTRACE_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "writer.h"

/* Reads EXECTRACE_STACK_DEPTH.  From the constructor, once the process
 * records.  The loaded objects are recorded with the first stack. */
void et_stack_init(void);

/* The program installs a signal handler (any signal): from now on the
 * unwinder may not be loaded lazily, since a hook may run in the handler;
 * it is loaded here, if it is not yet. */
void et_stack_note_handler(void);

/* The frames each stack keeps; 0 when stacks are off. */
unsigned et_stack_depth(void);

/* Whether code lies in the unwinder: a call it makes to a hooked function
 * is its own business. */
bool et_stack_is_unwinder(const void *code);

/* pipe2() for libunwind: its pipe, out of the program's way. */
int et_stack_unwinder_pipe(int fds[2], int flags);

/* Before fork (and clone without CLONE_VM), in the parent. */
void et_stack_before_fork(void);

/* In a fork child, before anything else of this file. */
void et_stack_after_fork(void);

/* A clone() child runs on a stack whose size nobody knows: no unwinding. */
void et_stack_on_clone_child(void);

/* Why the caller's stack is not to be taken here: an ET_STACK_SKIP_* or
 * ET_STACK_NO_UNWINDER flag, ET_STACK_OFF when stacks are off, 0 when it
 * can be taken. */
#define ET_STACK_OFF 0xffffu
unsigned et_stack_skip_reason(void);

/* Takes the caller's stack into pc (room for ET_MAX_STACK_FRAMES), when
 * et_stack_skip_reason() said it can be; objects it finds unrecorded are
 * recorded at ts_ns, the time of the record the stack is for.  Kept out of line, and the
 * buffer in a frame of the caller's that only this path enters: a hook on
 * a stack of a few kilobytes (a clone child's) never pays for either. */
void et_stack_unwind(struct et_stack *s, uint64_t *pc, uint64_t ts_ns);

/* et_begin() for the records that carry the caller's stack. */
struct et_record *et_begin_stacked(uint16_t type, uint32_t body_size, uint64_t ts_ns, int err);

#endif
