/*
 * Traces made by hand for tests: each process appends through a writer of
 * its own (records land in runs of their own, as in a real trace), at the
 * times the test says.  Time zero of the trace is 0.
 */
#ifndef EXECTRACE_TEST_SYNTH_H
#define EXECTRACE_TEST_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exectrace/trace_format.h"

/* A record's variable-length tail, built up in order. */
struct synth_tail {
    uint8_t b[2048];
    uint32_t n;
};
void synth_tail_bytes(struct synth_tail *t, const void *p, size_t n);
void synth_tail_str(struct synth_tail *t, const char *s); /* length-prefixed */

struct synth;
/* A new trace of 1 MiB in a fresh directory, the launcher (pid, start). */
struct synth *synth_new(uint32_t launcher_pid, uint64_t launcher_start);
const char *synth_path(const struct synth *s);
/* Removes the file and its directory. */
void synth_free(struct synth *s);

/* Appends a record of process (pid, start) from thread tid (0: the main
 * one) at time ts.  Fails the test when the trace is full. */
void synth_put(struct synth *s, uint32_t pid, uint64_t start, uint32_t tid, uint64_t ts, uint16_t type, int err,
               uint16_t flags, const void *body, size_t body_len, const struct synth_tail *tail);
/* Has a record of this type been put? */
bool synth_has(const struct synth *s, uint16_t type);

#endif
