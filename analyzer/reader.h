/*
 * Reading trace files, which are untrusted: written by processes that may
 * have been killed mid-write, or handed over from elsewhere.  Every length,
 * offset and count is checked before use.  A damaged file still yields every
 * record that proves itself complete (its commit word matches).
 */
#ifndef EXECTRACE_READER_H
#define EXECTRACE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exectrace/trace_format.h"

struct et_trace {
    const uint8_t *data;
    size_t len;
    bool mapped;
    const struct et_file_header *hdr; /* NULL when the file is unreadable */
    uint32_t chunks;                  /* chunks present and claimed */

    /* The first problem found, with its offset: one line for the user. */
    char diag[256];
    uint64_t problems;
    bool unreadable; /* nothing can be read at all */

    /* Counted by the first pass that reads every record (a scan, a stream);
     * later passes read without counting again. */
    uint64_t records;    /* complete records */
    uint64_t incomplete; /* reserved but never committed (writer killed, or still writing) */
    uint64_t header_problems; /* found when it was opened */
    bool counted;

    /* A ring trace (trace_format.h, "Ring traces"): its runs, in the order
     * they were claimed, and what the reader can say of its history. */
    bool ring;
    struct et_ring_run *ring_runs;
    size_t ring_nruns;
    uint64_t ring_claimed_slots; /* slots claimed since it was created */
    bool ring_wrapped;           /* a later lap took slots of an earlier one */
    /* Every record written since this time is in the ring (0: since the
     * start, the ring never went round). */
    uint64_t ring_complete_since_ns;
};

struct et_ring_run {
    uint64_t seq;
    uint64_t claimed_ns;
    uint32_t first_slot;
    uint32_t bytes; /* its records' bytes, as far as its slots are still its own */
    uint16_t slots;
};

/* Opens and maps a trace file.  Returns 0 when records can be read (check
 * t->problems for damage), -1 when the file cannot be read at all; both fill
 * t->diag when something is wrong. */
int et_trace_open(struct et_trace *t, const char *path);

/* The same over a buffer the caller owns (tests, fuzzing). */
int et_trace_from_buffer(struct et_trace *t, const void *data, size_t len);

void et_trace_close(struct et_trace *t);

/* Calls fn for each complete record in file order; stops early when fn
 * returns nonzero and returns that value.  Counts records and problems. */
typedef int (*et_record_fn)(const struct et_record *r, uint64_t offset, void *ctx);
int et_trace_scan(struct et_trace *t, et_record_fn fn, void *ctx);

/* The records of one run, in the order they were reserved (a run of a ring
 * trace is in the order the runs were claimed, which is not file order). */
struct et_run_cursor {
    const uint8_t *p;
    const uint8_t *end;
    /* A ring trace's run: its records commit with this generation, and a
     * record that does not prove itself was left by a killed writer. */
    bool ring;
    uint64_t gen;
};
/* Calls fn for each run in file order; stops when fn returns nonzero. */
typedef int (*et_run_fn)(struct et_run_cursor run, void *ctx);
int et_trace_runs(struct et_trace *t, et_run_fn fn, void *ctx);
/* The same one run at a time: fills *out with the run at or after chunk
 * *next_chunk and moves *next_chunk past it; 0 when there is none left.
 * Start with *next_chunk = 0. */
int et_trace_next_run(struct et_trace *t, uint32_t *next_chunk, struct et_run_cursor *out);
/* The run's next complete record, or NULL at its end.  Counts records,
 * incomplete records and problems in t as it goes. */
const struct et_record *et_run_next(struct et_trace *t, struct et_run_cursor *c);

/* What a trace holds without reading every record (1.4 and later): the
 * records its runs counted as they were written, into *records, and fn for
 * the first record of each run and for every record of the runs that hold
 * more than one process's (ET_RUN_FOREIGN) or whose first record is not
 * complete, so that fn sees every process that wrote.  Counts nothing in t.
 * Returns -1 for a trace written before the runs counted (read it all),
 * else 0 or what fn returned. */
int et_trace_tally(struct et_trace *t, et_record_fn fn, void *ctx, uint64_t *records);

/* A pass over every record: between these, et_run_next counts records and
 * problems, unless an earlier pass finished counting them.  A pass that
 * stops early leaves the counts to the next one. */
void et_trace_pass_begin(struct et_trace *t);
void et_trace_pass_end(struct et_trace *t);

/* The fixed body a record of a known type must have; 0 for unknown types. */
uint32_t et_body_size(uint16_t type);

static inline const void *et_body(const struct et_record *r)
{
    return r + 1;
}

/* The caller's stack a record ends with: false when it has none (or one
 * that does not fit, which the reader counts as a problem). */
bool et_record_stack(const struct et_record *r, const uint64_t **pc, struct et_stack_trailer *trailer);

/* Bounds-checked reading of a record's variable-length tail. */
struct et_tail {
    const uint8_t *p;
    const uint8_t *end;
    bool bad; /* something did not fit: the record is damaged */
};

/* The tail after the fixed body of a record whose size the reader checked. */
struct et_tail et_tail_of(const struct et_record *r);
/* A length-prefixed string; *s is not NUL-terminated. */
bool et_tail_str(struct et_tail *t, const char **s, uint16_t *len);
/* count fixed-size structs (pipe ends, pids), aligned as written. */
const void *et_tail_array(struct et_tail *t, size_t count, size_t elem_size);

#endif
