/* What the rule files share: how they write times, durations and
 * processes into a finding's message. */
#ifndef EXECTRACE_RULES_COMMON_H
#define EXECTRACE_RULES_COMMON_H

#include "model.h"
#include "output.h"
#include "rules.h"

#define WHEN(m, ts) ET_WHEN((m)->trace->hdr->anchor_monotonic_ns, (ts))
#define DURATION(ns) ET_DURATION(ns)
#define LABEL(m, i) et_proc_label((m), (i), (char[256]){0}, 256)

/* The record that says when a process ended: its exit, else its reap. */
static inline const struct et_record *et_end_record(const struct et_proc *p)
{
    return p->exit_rec ? p->exit_rec : p->reap_rec;
}

#endif
