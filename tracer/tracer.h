/*
 * The ptrace + seccomp recorder: the second producer of the trace, beside
 * the shim.  `exectrace run` is the tracer of every process of the tree.  A
 * seccomp filter, installed in the command before its exec and inherited by
 * every descendant, stops only the lifecycle calls a program makes from its
 * own code (a Go program, a static binary); the calls a dynamic program makes
 * through libc run on, and the shim records those.  Stopped calls become the
 * same records the shim writes, flagged ET_RF_RECORDER.
 *
 * Everything here runs in the launcher, single-threaded: ptrace requests
 * must come from the thread that attached.
 */
#ifndef EXECTRACE_TRACER_H
#define EXECTRACE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "writer.h"

/* How the filter picks the calls that stop. */
enum et_filter_mode {
    /* By number, then by the caller's address: only calls from a program's
     * own code (non-PIE images, the PIE window) stop. */
    ET_FILTER_OWN_CODE = 1,
    /* By number only: the address windows failed the self-test; the tracer
     * tells libc's calls apart itself, at a cost of a stop each. */
    ET_FILTER_NUMBERS = 2,
};

struct et_tracer;

struct et_tracer_config {
    struct et_writer *writer;
    /* The shim's absolute path: an image whose LD_PRELOAD names it, and which
     * is dynamic and not set-id, records its libc calls itself. */
    const char *shim_path;
    pid_t launcher_pid;
};

/*
 * Checks that this kernel lets us trace with a filter, and which filter
 * works: a probe child installs it and makes one call from our own code
 * (must stop) and one through libc (must not).  Returns the tracer, or NULL
 * with a one-line reason in why.
 */
struct et_tracer *et_tracer_new(const struct et_tracer_config *cfg, char *why, size_t why_len);
void et_tracer_free(struct et_tracer *t);
enum et_filter_mode et_tracer_filter_mode(const struct et_tracer *t);

/* In the command's process, once the launcher has seized it: installs the
 * filter.  0 or -errno. */
int et_tracer_install_filter(const struct et_tracer *t);

/* Attaches to the command's process, which waits for us before installing
 * the filter.  0 or -errno.  A command the shim records (a dynamic program)
 * is not seized: the recorder follows only what asks for it
 * (et_tracer_seize_thread). */
int et_tracer_seize(struct et_tracer *t, pid_t pid);

/* The filter a process installs on itself once seized; its length, or 0
 * if max is too small. */
struct sock_filter;
unsigned et_tracer_filter_program(const struct et_tracer *t, struct sock_filter *out, unsigned max);

/*
 * Seizes one thread of a running process that asked to be recorded (it has
 * the shim and is about to exec or spawn a program that makes its own
 * calls): 1 if it is traced already, 0 once seized (it then installs the
 * filter), or -errno.
 */
int et_tracer_seize_thread(struct et_tracer *t, pid_t pid, pid_t tid);

/*
 * Takes every wait event that is ready: ptrace stops are handled and the
 * tracee resumed; an ended process that was the launcher's own child (the
 * command, or an orphan it adopted as subreaper) is reaped and passed to
 * on_reaped with its start time.  Returns false once no child of any kind is
 * left.
 */
typedef void (*et_reaped_fn)(void *ctx, pid_t pid, int status, uint64_t start_time);
bool et_tracer_drain(struct et_tracer *t, et_reaped_fn on_reaped, void *ctx);

/* Counters, for the summary line. */
struct et_tracer_stats {
    uint64_t stops;   /* every ptrace stop */
    uint64_t records; /* records written */
    uint64_t images;  /* images started that the shim does not cover */
    uint64_t seized;  /* threads that asked to be recorded */
};
void et_tracer_stats(const struct et_tracer *t, struct et_tracer_stats *out);

#endif
