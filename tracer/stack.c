/*
 * Call sites of the programs the recorder records, where they can be had
 * cheaply and exactly: Go keeps frame pointers on amd64, so at a stop the
 * caller's chain is a walk through the tracee's stack.  Go makes its system
 * calls from assembly stubs that keep no frame of their own: the innermost
 * return address is at the stack pointer, the rest hang off the frame
 * pointer.  Addresses are resolved offline, like the shim's, through the
 * image's module record.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "tracee.h"

/* Frames found in the first read of the stack; deeper ones one at a time. */
#define STACK_WINDOW 4096

static bool in_image(const struct et_tproc *p, uint64_t pc)
{
    return pc >= p->exe_lo && pc < p->exe_hi;
}

unsigned et_go_stack(pid_t tid, const struct et_tproc *p, unsigned depth, uint64_t *pc, uint16_t *flags)
{
    struct user_regs_struct regs;
    if (depth > ET_MAX_STACK_FRAMES)
        depth = ET_MAX_STACK_FRAMES;
    if (!depth || ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0)
        return 0;
    uint8_t window[STACK_WINDOW];
    struct iovec local = {window, sizeof(window)};
    struct iovec remote = {(void *)(uintptr_t)regs.rsp, sizeof(window)};
    ssize_t got = process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (got < 16)
        got = 0;
    unsigned n = 0;
    pc[n++] = regs.rip;
    uint64_t ret;
    memcpy(&ret, window, got ? sizeof(ret) : 0);
    if (got && n < depth && in_image(p, ret))
        pc[n++] = ret;
    uint64_t fp = regs.rbp;
    while (fp) {
        uint64_t frame[2]; /* the caller's frame pointer, the return address */
        if (fp >= regs.rsp && fp + sizeof(frame) <= regs.rsp + (uint64_t)got)
            memcpy(frame, window + (fp - regs.rsp), sizeof(frame));
        else if (et_read_memory(tid, fp, frame, sizeof(frame)) < 0)
            break;
        if (!in_image(p, frame[1]))
            break;
        /* The stub's caller may keep its frame: then it is found twice. */
        if (n == 2 && pc[1] == frame[1]) {
            ;
        } else if (n == depth) {
            *flags |= ET_STACK_TRUNCATED;
            break;
        } else {
            pc[n++] = frame[1];
        }
        /* Callers' frames lie above: anything else is not a frame chain. */
        if (frame[0] <= fp)
            break;
        fp = frame[0];
    }
    return n;
}
