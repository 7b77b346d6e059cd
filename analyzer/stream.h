/*
 * The records of a trace in time order, without holding them all: one
 * cursor per run (each run is one process's records in the order they were
 * reserved), merged on their next timestamp, then passed through a bounded
 * reorder window that puts back in order the records a thread appended late
 * (a call's record carries the time the call was made, and is appended when
 * it returns).  Memory grows with the number of runs and the window, not
 * with the number of records.
 */
#ifndef EXECTRACE_STREAM_H
#define EXECTRACE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"

#define ET_STREAM_DEFAULT_WINDOW 4096

struct et_stream;

/* 0, or -ENOMEM.  The trace must outlive the stream. */
int et_stream_open(struct et_stream **out, struct et_trace *t, size_t window);
/* The next record in time order (equal times in file order), or NULL at the
 * end; *offset gets its offset in the file. */
const struct et_record *et_stream_next(struct et_stream *s, uint64_t *offset);
void et_stream_close(struct et_stream *s);

#endif
