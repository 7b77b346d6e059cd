/*
 * The rules: they watch the model's transitions and report findings.  The
 * model (model.h) tells an observer when a process starts, signals, returns
 * from a wait, ends, lets go of a pipe's write end, when a snapshot is
 * complete and when the trace ends; the engine here passes each transition
 * to every rule in its table, in the table's order, with read-only access to
 * the model, a findings sink, and the rule's own state.
 *
 * A new finding kind: its line in the catalogue (findings.c), a rule file
 * with a struct et_rule, and its line in the table (rules.c).
 */
#ifndef EXECTRACE_RULES_H
#define EXECTRACE_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "findings.h"
#include "model.h"

/* What a rule is given at each transition. */
struct et_rule_context {
    const struct et_model *m;
    const struct et_thresholds *th;
    struct et_findings *out;
    void *state; /* the rule's own: state_size bytes, zeroed at the start */
};

struct et_rule {
    const char *name;
    size_t state_size;
    void (*on_start)(struct et_rule_context *c, int32_t proc, const struct et_record *r);
    void (*on_signal)(struct et_rule_context *c, int32_t proc, const struct et_record *r);
    void (*on_wait_return)(struct et_rule_context *c, int32_t proc, const struct et_record *r,
                           const struct et_record *enter);
    /* Before the pipe ends it held are released. */
    void (*on_process_end)(struct et_rule_context *c, int32_t proc);
    /* proc no longer holds any write end of the pipe. */
    void (*on_write_end_released)(struct et_rule_context *c, int32_t proc, uint32_t pipe, uint64_t ts);
    /* A pipe_eof or pipe_wait record of proc. */
    void (*on_pipe_read)(struct et_rule_context *c, int32_t proc, const struct et_record *r);
    /* The latest snapshot of the live tree is complete in the model. */
    void (*on_snapshot)(struct et_rule_context *c);
    void (*on_end)(struct et_rule_context *c);
    void (*free_state)(void *state);
};

/* The rule families, each in its own file. */
extern const struct et_rule et_rules_calls;  /* rules_calls.c: a call judged when it is made */
extern const struct et_rule et_rules_ending; /* rules_ending.c: pipes and children when processes end */
extern const struct et_rule et_rules_hang;   /* rules_hang.c: what the live tree is blocked on */

/* The engine: the rule table's states, as the model's observer. */
struct et_rules;
int et_rules_new(struct et_rules **out, const struct et_model *m, const struct et_thresholds *th,
                 struct et_findings *sink);
const struct et_model_observer *et_rules_observer(void);
void et_rules_free(struct et_rules *r);

/* The driver: the trace's records in time order through the model, the
 * rules watching.  What `report`, `tree` and `snapshot` read. */
struct et_analysis {
    struct et_model model;
    struct et_findings findings;
    struct et_thresholds thresholds;
    struct et_rules *rules;
};
/* 0, or -ENOMEM (what was found so far is kept).  Free it either way. */
int et_analyze(struct et_analysis *a, struct et_trace *t, const struct et_thresholds *th);
/* The same, with another observer of the model told of each transition
 * after the rules. */
int et_analyze_watching(struct et_analysis *a, struct et_trace *t, const struct et_thresholds *th,
                        const struct et_model_observer *also, void *also_ctx);
void et_analysis_free(struct et_analysis *a);

#endif
