/*
 * The rules that turn the process model into findings.  The model calls the
 * on_* hooks as records arrive; what needs the rest of the trace is decided
 * in et_rules_finish.
 */
#ifndef EXECTRACE_FINDINGS_H
#define EXECTRACE_FINDINGS_H

#include "model.h"

void et_rules_on_start(struct et_model *m, int32_t proc, const struct et_record *r);
void et_rules_on_signal(struct et_model *m, int32_t proc, const struct et_record *r);
void et_rules_on_wait_return(struct et_model *m, int32_t proc, const struct et_record *r,
                             const struct et_record *enter);
/* A process has ended: called before the pipe ends it held are released. */
void et_rules_on_process_end(struct et_model *m, int32_t proc);
/* proc no longer holds any write end of pipe. */
void et_rules_on_write_end_released(struct et_model *m, int32_t proc, uint32_t pipe, uint64_t ts);
void et_rules_finish(struct et_model *m);
/* The rules over the latest snapshot of the live tree (hang.c). */
void et_hang_rules(struct et_model *m);
void et_rules_free(struct et_model *m);

/* Stable names and the text that teaches each kind. */
const char *et_finding_kind_name(unsigned kind);
const char *et_finding_explanation(unsigned kind);
const char *et_finding_fix(unsigned kind);
/* The fix for this finding: in Go's terms first when a Go program is among
 * its processes.  buf holds what is returned, or the generic text is. */
const char *et_finding_fix_for(const struct et_model *m, const struct et_finding *f, char *buf, size_t len);
const char *et_severity_name(unsigned severity);
/* Parses "error", "warning", "info"; -1 otherwise. */
int et_severity_parse(const char *s);

#endif
