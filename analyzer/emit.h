/*
 * Decoded records out: as the text line `events` prints (and the evidence
 * under a finding), and as JSON.  Fields only; no record layouts here.
 */
#ifndef EXECTRACE_EMIT_H
#define EXECTRACE_EMIT_H

#include <stdint.h>
#include <stdio.h>

#include "decode.h"
#include "output.h"

struct et_symbols;

/* "kill(12, SIGTERM) = 0": the call and its result, no time, no pid. */
void et_emit_text_body(FILE *out, const struct et_decoded *d);
/* "+1.280749 [12] kill(12, SIGTERM) = 0\n", and with symbols the call site
 * under it, a frame a line.  anchor_ns is the trace's time zero. */
void et_emit_text_line(FILE *out, uint64_t anchor_ns, const struct et_decoded *d, struct et_symbols *symbols);
/* The same line (without the call site) appended to a buffer, for a
 * printer of many lines to write in large pieces. */
void et_emit_text_line_buf(struct et_buf *out, uint64_t anchor_ns, const struct et_decoded *d);
/* The fields, as keys of the JSON object being written. */
void et_emit_json_fields(struct et_json *j, const struct et_decoded *d);
/* One JSON object for the record: time, identity, event, fields, and with
 * symbols its stack. */
void et_emit_json_event(struct et_json *j, uint64_t anchor_ns, const struct et_decoded *d,
                        struct et_symbols *symbols);

#endif
