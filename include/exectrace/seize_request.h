/*
 * How a process asks `exectrace run` to record it with ptrace.
 *
 * The recorder follows only where the shim cannot: before a process that
 * has the shim execs (or spawns) a program that makes its own system calls
 * (a static binary, a Go program), it sends one datagram to the launcher's
 * abstract unix socket, named in EXECTRACE_RECORDER.  The launcher seizes
 * the sending thread (the kernel tells it who sent the datagram) and answers
 * with the seccomp filter to install; only then does the thread install it
 * and go on.  A filtered process must stay traced for life: a traced call
 * with no tracer fails with ENOSYS.
 */
#ifndef EXECTRACE_SEIZE_REQUEST_H
#define EXECTRACE_SEIZE_REQUEST_H

#include <linux/filter.h>
#include <stdint.h>

#define ET_ENV_RECORDER "EXECTRACE_RECORDER"
#define ET_SEIZE_MAGIC 0x657a7365u /* "esze" */
#define ET_SEIZE_MAX_INSNS 128u

struct et_seize_request {
    uint32_t magic;
    uint32_t tid; /* the thread about to exec or spawn */
};

enum et_seize_result {
    ET_SEIZE_INSTALL = 0, /* seized: install the filter that follows */
    ET_SEIZE_ALREADY = 1, /* already traced, and filtered */
    /* negative: -errno, the launcher could not seize; go on unrecorded */
};

struct et_seize_reply {
    uint32_t magic;
    int32_t result;
    uint32_t insn_count;
    uint32_t reserved;
    struct sock_filter insns[ET_SEIZE_MAX_INSNS];
};

#endif
