/*
 * What a finding is: its kind, its severity, the processes and records it
 * rests on; where the rules put them (a findings sink); and the catalogue
 * that names each kind and says why it happens and how to fix it.
 */
#ifndef EXECTRACE_FINDINGS_H
#define EXECTRACE_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader.h"

struct et_model;

enum et_severity { ET_SEV_INFO = 0, ET_SEV_WARNING = 1, ET_SEV_ERROR = 2 };

/* Every kind has a line in the catalogue (findings.c) and a rule that
 * reports it (rules.h). */
enum et_finding_kind {
    ET_FK_KILL_AFTER_REAP,
    ET_FK_KILL_WAIT_RACE,
    ET_FK_ORPHANED_DESCENDANTS,
    ET_FK_HELD_PIPE,
    ET_FK_PARENT_HOLDS_WRITE_END,
    ET_FK_ZOMBIE,
    ET_FK_UNREAPED_AT_EXIT,
    ET_FK_ECHILD,
    ET_FK_KILL_BROADCAST,
    ET_FK_FD_LEAK_EXEC,
    ET_FK_UNTRACED,
    /* From a snapshot of the live tree (rules_hang.c). */
    ET_FK_PIPE_DEADLOCK,
    ET_FK_BLOCKED_ON_HELD_PIPE,
    ET_FK_SELF_HELD_PIPE,
    ET_FK_STUCK_WAIT,
    ET_FK_COUNT
};

#define ET_FINDING_MAX_PROCS 8
#define ET_FINDING_MAX_EVIDENCE 12

struct et_finding {
    uint16_t kind;
    uint8_t severity;
    uint64_t ts;     /* when it happened, for ordering */
    int32_t subject; /* the process it is about (a model index), ET_NO_PROC for none */
    int32_t procs[ET_FINDING_MAX_PROCS]; /* the subject first, then the others involved */
    uint32_t nprocs;
    char *message; /* what happened here, with pids, commands and times */
    const char *basis; /* the evidence that put it at its severity (static text) */
    const struct et_record *evidence[ET_FINDING_MAX_EVIDENCE];
    uint32_t nevidence;
};

/* Where the rules put what they find. */
struct et_findings {
    struct et_finding *v;
    size_t n, cap;
    bool out_of_memory;
};

/* How long is too long, for the rules that judge time. */
struct et_thresholds {
    uint64_t zombie_ns;    /* --zombie-ms */
    uint64_t held_pipe_ns; /* --held-pipe-ms: a later EOF than this is reported */
    uint64_t orphan_ns;    /* --orphan-ms: outliving a killed ancestor by this */
};
void et_default_thresholds(struct et_thresholds *th);

/* Adds a finding about `subject` (also its first process), at `severity`
 * on `basis` (what was observed that puts it there), with a message made
 * like printf's; NULL when memory ran out (the sink says so). */
__attribute__((format(printf, 7, 8))) struct et_finding *et_findings_add(struct et_findings *out, uint16_t kind,
                                                                         uint8_t severity, const char *basis,
                                                                         uint64_t ts, int32_t subject,
                                                                         const char *fmt, ...);
void et_finding_add_proc(struct et_finding *f, int32_t proc);
void et_finding_add_evidence(struct et_finding *f, const struct et_record *r);
/* A finding of this kind about this process, or NULL. */
const struct et_finding *et_findings_about(const struct et_findings *in, uint16_t kind, int32_t subject);
/* A finding of this kind that involves this process at all, or NULL. */
const struct et_finding *et_findings_involving(const struct et_findings *in, uint16_t kind, int32_t proc);
/* Most severe first, then by time; each one's evidence in time order. */
void et_findings_sort(struct et_findings *in);
void et_findings_free(struct et_findings *in);

/* The catalogue: stable names and the text that teaches each kind. */
const char *et_finding_kind_name(unsigned kind);
const char *et_finding_explanation(unsigned kind);
const char *et_finding_fix(unsigned kind);
/* What the kind means, in a line; and the rule that sets its severity. */
const char *et_finding_summary(unsigned kind);
const char *et_finding_levels(unsigned kind);
/* The fix for this finding: in Go's terms first when a Go program is among
 * its processes.  buf holds what is returned, or the generic text is. */
const char *et_finding_fix_for(const struct et_model *m, const struct et_finding *f, char *buf, size_t len);
const char *et_severity_name(unsigned severity);
/* Parses "error", "warning", "info"; -1 otherwise. */
int et_severity_parse(const char *s);

#endif
