/*
 * The shim's own stack walker (unwind.c): x86-64 call frames described by
 * the loaded objects' .eh_frame, with what it learns of each return address
 * kept in one small table that a fork child inherits and only reads.
 *
 * libunwind stays the fallback (stack.c) for whatever this one does not
 * describe: CFA expressions, code without unwind tables.
 */
#ifndef EXECTRACE_UNWIND_H
#define EXECTRACE_UNWIND_H

#include <stdint.h>

/* A frame: the return address into it, and the caller-visible registers
 * the next step needs (the stack pointer after the return, and %rbp). */
struct et_unwind_regs {
    uintptr_t pc, sp, rbp;
    /* pc is an instruction a signal interrupted, not a return address */
    int interrupted;
};

/* The .eh_frame_hdr of the loaded object that contains pc, or NULL; `ctx`
 * is what the caller of et_unwind_step() passed. */
typedef const uint8_t *(*et_unwind_table_fn)(uintptr_t pc, void *ctx);

enum et_unwind_step_result {
    ET_UNWIND_GIVE_UP = -1, /* a frame this walker does not describe */
    ET_UNWIND_END = 0,      /* the outermost frame: nothing called it */
    ET_UNWIND_STEPPED = 1,  /* regs now describe the caller's frame */
};

/* The registers of the caller of the function this is expanded in, which
 * must keep a frame pointer (it takes its own frame's address). */
#define ET_UNWIND_REGS_HERE()                                                                                         \
    ((struct et_unwind_regs){(uintptr_t)__builtin_return_address(0),                                                 \
                             (uintptr_t)__builtin_frame_address(0) + 16,                                             \
                             *(const uintptr_t *)__builtin_frame_address(0), 0})

/* One step from the frame regs describe to its caller's.  Lock-free and
 * async-signal-safe; reads only the stack and the objects' unwind tables. */
int et_unwind_step(struct et_unwind_regs *regs, et_unwind_table_fn table, void *ctx);

/* Steps from regs past the frames whose return address lies in
 * [skip_start, skip_end) (the caller's own), then stores the return
 * addresses of up to `max` frames in pcs (their number in *stored).
 * Returns the last step's result: ET_UNWIND_STEPPED when a frame remains
 * beyond those stored (regs describes it). */
int et_unwind_walk(struct et_unwind_regs *regs, uintptr_t skip_start, uintptr_t skip_end, uint64_t *pcs,
                   unsigned max, unsigned *stored, et_unwind_table_fn table, void *ctx);

/* Forgets every return address learnt: code was unloaded, and another
 * object may come to its addresses. */
void et_unwind_forget(void);

/* The slot of the table the rule for a return address lives in: two
 * addresses that share one evict each other, and are looked up again at
 * every walk that meets both. */
unsigned et_unwind_slot(uintptr_t return_address);

#endif
