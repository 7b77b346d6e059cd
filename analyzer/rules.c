/*
 * The rule table and the engine that runs it: each of the model's
 * transitions goes to every rule that listens for it, in table order.
 */
#include "rules.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"

/* The order matters where a rule asks the findings of another: a zombie
 * is told once, by whichever sees it first (a snapshot mid-trace, or the
 * end of the trace); at the end, ending judges before hang, so a snapshot
 * that ends the trace adds only what the trace itself does not say. */
static const struct et_rule *const table[] = {
    &et_rules_calls,
    &et_rules_ending,
    &et_rules_hang,
};
#define NRULES (sizeof(table) / sizeof(table[0]))

struct et_rules {
    struct et_rule_context context[NRULES];
    /* Told after the rules: whoever else watches the model (timeline.c). */
    const struct et_model_observer *also;
    void *also_ctx;
};

int et_rules_new(struct et_rules **out, const struct et_model *m, const struct et_thresholds *th,
                 struct et_findings *sink)
{
    struct et_rules *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    for (size_t i = 0; i < NRULES; i++) {
        r->context[i] = (struct et_rule_context){m, th, sink, NULL};
        if (table[i]->state_size && !(r->context[i].state = calloc(1, table[i]->state_size))) {
            et_rules_free(r);
            return -ENOMEM;
        }
    }
    *out = r;
    return 0;
}

void et_rules_free(struct et_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < NRULES; i++) {
        if (r->context[i].state && table[i]->free_state)
            table[i]->free_state(r->context[i].state);
        free(r->context[i].state);
    }
    free(r);
}

/* ---- the model's observer ---------------------------------------------------- */

#define EACH_RULE(ctx, hook, ...)                                              \
    do {                                                                       \
        struct et_rules *rules_ = (ctx);                                       \
        for (size_t i_ = 0; i_ < NRULES; i_++)                                 \
            if (table[i_]->hook)                                               \
                table[i_]->hook(&rules_->context[i_], ##__VA_ARGS__);          \
        if (rules_->also && rules_->also->hook)                                \
            rules_->also->hook(rules_->also_ctx, ##__VA_ARGS__);               \
    } while (0)

static void on_start(void *ctx, int32_t proc, const struct et_record *r)
{
    EACH_RULE(ctx, on_start, proc, r);
}

static void on_signal(void *ctx, int32_t proc, const struct et_record *r)
{
    EACH_RULE(ctx, on_signal, proc, r);
}

static void on_wait_return(void *ctx, int32_t proc, const struct et_record *r, const struct et_record *enter)
{
    EACH_RULE(ctx, on_wait_return, proc, r, enter);
}

static void on_process_end(void *ctx, int32_t proc)
{
    EACH_RULE(ctx, on_process_end, proc);
}

static void on_write_end_released(void *ctx, int32_t proc, uint32_t pipe, uint64_t ts)
{
    EACH_RULE(ctx, on_write_end_released, proc, pipe, ts);
}

static void on_holding_end(void *ctx, const struct et_holding *h, uint64_t inode)
{
    struct et_rules *rules = ctx;
    if (rules->also && rules->also->on_holding_end)
        rules->also->on_holding_end(rules->also_ctx, h, inode);
}

static void on_pipe_read(void *ctx, int32_t proc, const struct et_record *r)
{
    EACH_RULE(ctx, on_pipe_read, proc, r);
}

static void on_snapshot(void *ctx)
{
    EACH_RULE(ctx, on_snapshot);
}

static void on_end(void *ctx)
{
    EACH_RULE(ctx, on_end);
}

const struct et_model_observer *et_rules_observer(void)
{
    static const struct et_model_observer observer = {
        .on_start = on_start,
        .on_signal = on_signal,
        .on_wait_return = on_wait_return,
        .on_process_end = on_process_end,
        .on_write_end_released = on_write_end_released,
        .on_holding_end = on_holding_end,
        .on_pipe_read = on_pipe_read,
        .on_snapshot = on_snapshot,
        .on_end = on_end,
    };
    return &observer;
}

/* ---- the driver ------------------------------------------------------------------ */

int et_analyze(struct et_analysis *a, struct et_trace *t, const struct et_thresholds *th)
{
    return et_analyze_watching(a, t, th, NULL, NULL);
}

int et_analyze_watching(struct et_analysis *a, struct et_trace *t, const struct et_thresholds *th,
                        const struct et_model_observer *also, void *also_ctx)
{
    memset(a, 0, sizeof(*a));
    a->thresholds = *th;
    if (et_rules_new(&a->rules, &a->model, &a->thresholds, &a->findings) < 0)
        return -ENOMEM;
    a->rules->also = also;
    a->rules->also_ctx = also_ctx;
    et_model_init(&a->model, t, et_rules_observer(), a->rules);
    et_model_prime(&a->model, t);
    struct et_stream *s;
    if (et_stream_open(&s, t, ET_STREAM_DEFAULT_WINDOW) < 0)
        return -ENOMEM;
    const struct et_record *r;
    while ((r = et_stream_next(s, NULL)) != NULL)
        et_model_feed(&a->model, r);
    et_stream_close(s);
    et_model_finish(&a->model);
    return a->model.out_of_memory || a->findings.out_of_memory ? -ENOMEM : 0;
}

void et_analysis_free(struct et_analysis *a)
{
    et_rules_free(a->rules);
    et_findings_free(&a->findings);
    et_model_free(&a->model);
    memset(a, 0, sizeof(*a));
}
