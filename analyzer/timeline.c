/*
 * The timeline: collected while the model is built (waits, signals and
 * pipe holdings are seen as they happen, through the model's observer),
 * then laid out from the finished model (lanes, programs, zombie time,
 * creation, reaping, adoption) and one more pass over the records (group
 * changes, exec failures).
 */
#define _GNU_SOURCE
#include "timeline.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "decode.h"
#include "emit.h"
#include "names.h"
#include "stream.h"

/* ---- storage ---------------------------------------------------------------- */

static void *push(struct et_timeline *tl, void **v, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        void *p = realloc(*v, ncap * size);
        if (!p) {
            tl->out_of_memory = true;
            return NULL;
        }
        *v = p;
        *cap = ncap;
    }
    void *at = (char *)*v + (*n)++ * size;
    memset(at, 0, size);
    return at;
}

#define PUSH(tl, field) push((tl), (void **)&(tl)->field, &(tl)->n##field, &(tl)->field##_cap, sizeof(*(tl)->field))

__attribute__((format(printf, 2, 3))) static char *text(struct et_timeline *tl, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        tl->out_of_memory = true;
        return NULL;
    }
    return s;
}

/* The record as `events` shows it, without time and pid. */
static char *record_text(struct et_timeline *tl, const struct et_record *r, const struct et_decode_links *links)
{
    struct et_decoded d;
    et_decode(r, links, &d);
    char *s = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&s, &len);
    if (!mem) {
        tl->out_of_memory = true;
        return NULL;
    }
    et_emit_text_body(mem, &d);
    if (fclose(mem) != 0) {
        free(s);
        tl->out_of_memory = true;
        return NULL;
    }
    return s;
}

/* ---- while the model is built: in process indexes, lanes come later ---------- */

static void seen_wait_return(void *ctx, int32_t proc, const struct et_record *r, const struct et_record *enter)
{
    struct et_timeline *tl = ctx;
    /* A wait that cannot block (WNOHANG) blocked no one. */
    if (!enter || r->ts_ns <= enter->ts_ns || (((const struct et_wait_enter *)et_body(enter))->options & ET_WNOHANG))
        return;
    struct et_tl_slice *s = PUSH(tl, slices);
    if (!s)
        return;
    s->lane = (uint32_t)proc;
    s->kind = ET_TL_WAIT;
    s->from = enter->ts_ns;
    s->to = r->ts_ns;
    s->rec = enter;
    s->label = record_text(tl, enter, &(struct et_decode_links){.wait_return = r});
}

/* The process a pid meant at time ts: the newest with that pid, if it
 * already existed then. */
static int32_t proc_with_pid(const struct et_model *m, int32_t pid, uint64_t ts)
{
    if (pid <= 0)
        return ET_NO_PROC;
    long i = et_procmap_get(&m->by_pid, (uint32_t)pid, 0);
    if (i < 0 || m->procs[i].begin_ts > ts)
        return ET_NO_PROC;
    return (int32_t)i;
}

static void seen_signal(void *ctx, int32_t proc, const struct et_record *r)
{
    struct et_timeline *tl = ctx;
    const struct et_model *m = &tl->a.model;
    const struct et_signal *b = et_body(r);
    int32_t target = ET_NO_PROC;
    if (b->kind == ET_SIGNAL_PIDFD_SEND_SIGNAL)
        target = proc_with_pid(m, b->pidfd_pid, r->ts_ns);
    else if (b->kind != ET_SIGNAL_KILLPG && b->target > 0)
        target = proc_with_pid(m, b->target, r->ts_ns);
    char *label = record_text(tl, r, NULL);
    if (target == ET_NO_PROC) {
        struct et_tl_instant *in = PUSH(tl, instants);
        if (!in) {
            free(label);
            return;
        }
        *in = (struct et_tl_instant){(uint32_t)proc, ET_TL_SIGNAL_SENT, r->ts_ns, label, r};
        return;
    }
    const struct et_proc *t = &m->procs[target];
    struct et_tl_flow *f = PUSH(tl, flows);
    if (!f) {
        free(label);
        return;
    }
    bool reaped = (t->flags & ET_PF_REAPED) && t->reap_ts <= r->ts_ns;
    *f = (struct et_tl_flow){ET_TL_SIGNAL, r->err != 0 || reaped, (uint32_t)proc, (uint32_t)target,
                             r->ts_ns, r->ts_ns, label, r};
}

static void seen_holding_end(void *ctx, const struct et_holding *h, uint64_t inode)
{
    struct et_timeline *tl = ctx;
    struct et_tl_hold *x = PUSH(tl, holds);
    if (x)
        *x = (struct et_tl_hold){(uint32_t)h->proc, inode, h->fd, h->read, h->write, h->from, h->until};
}

/* Waits that never returned: blocked until `until`. */
static void unfinished_waits(struct et_timeline *tl, int32_t proc, uint64_t until, const char *why)
{
    const struct et_proc *p = &tl->a.model.procs[proc];
    for (uint32_t k = 0; k < p->nwaits; k++) {
        const struct et_record *enter = p->waits[k].enter;
        if (((const struct et_wait_enter *)et_body(enter))->options & ET_WNOHANG)
            continue;
        struct et_tl_slice *s = PUSH(tl, slices);
        if (!s)
            return;
        char *call = record_text(tl, enter, NULL);
        *s = (struct et_tl_slice){(uint32_t)proc, ET_TL_WAIT, enter->ts_ns, until > enter->ts_ns ? until : enter->ts_ns,
                                  text(tl, "%s, %s", call ? call : "wait", why), enter};
        free(call);
    }
}

static void seen_process_end(void *ctx, int32_t proc)
{
    struct et_timeline *tl = ctx;
    unfinished_waits(tl, proc, tl->a.model.procs[proc].end_ts, "still blocked when the process ended");
}

static const struct et_model_observer watcher = {
    .on_process_end = seen_process_end,
    .on_signal = seen_signal,
    .on_wait_return = seen_wait_return,
    .on_holding_end = seen_holding_end,
};

/* ---- lanes --------------------------------------------------------------------- */

static uint64_t lane_end(const struct et_timeline *tl, const struct et_proc *p)
{
    if (p->flags & ET_PF_REAPED)
        return p->reap_ts > p->end_ts ? p->reap_ts : p->end_ts;
    if (p->flags & ET_PF_ENDED) {
        /* Unreaped: a zombie to the end of the trace, if its parent is
         * traced and would have shown the reap; otherwise the reap is
         * simply not recorded. */
        bool parent_traced = p->parent != ET_NO_PROC && (tl->a.model.procs[p->parent].flags & ET_PF_TRACED);
        return parent_traced && !p->reaped_by_kernel ? tl->t1 : p->end_ts;
    }
    return tl->t1;
}

static char *ending(struct et_timeline *tl, const struct et_proc *p)
{
    char sig[32];
    switch (p->end_how) {
    case ET_END_EXITED:
        return text(tl, "exited %d", p->exit_code);
    case ET_END_KILLED:
        return text(tl, "killed by %s", et_signal_name(p->term_signal, sig, sizeof(sig)));
    case ET_END_UNKNOWN:
        return text(tl, "ended");
    default:
        if (p->flags & ET_PF_END_UNSEEN)
            return text(tl, "ended before exectrace stopped, when is not recorded");
        return text(tl, "%s", (p->flags & ET_PF_LAUNCHER) ? "the subreaper of the run" : "running at the end of the trace");
    }
}

static void add_lane(struct et_timeline *tl, int32_t proc, uint32_t parent_lane, uint32_t rank, uint16_t depth)
{
    const struct et_model *m = &tl->a.model;
    if (tl->lane_of[proc] != ET_TL_NO_LANE || depth > 4096)
        return; /* a loop in a damaged trace's parentage */
    uint32_t lane = (uint32_t)tl->nlanes++;
    tl->lane_of[proc] = lane;
    const struct et_proc *p = &m->procs[proc];
    char label[256];
    et_proc_label(m, proc, label, sizeof(label));
    tl->lanes[lane] = (struct et_tl_lane){proc, parent_lane, rank, depth, p->begin_ts, lane_end(tl, p),
                                          text(tl, "%s%s", label,
                                               (p->flags & ET_PF_BEFORE_HISTORY) ? ", started before the recorded history"
                                                                                 : ""),
                                          ending(tl, p)};
    uint32_t child_rank = 0;
    for (int32_t c = p->first_child; c != ET_NO_PROC; c = m->procs[c].next_sibling)
        add_lane(tl, c, lane, child_rank++, (uint16_t)(depth + 1));
}

static int by_begin(const void *a, const void *b, void *arg)
{
    const struct et_model *m = arg;
    const struct et_proc *x = &m->procs[*(const int32_t *)a], *y = &m->procs[*(const int32_t *)b];
    if (x->begin_ts != y->begin_ts)
        return x->begin_ts < y->begin_ts ? -1 : 1;
    return *(const int32_t *)a < *(const int32_t *)b ? -1 : 1;
}

static int lay_out_lanes(struct et_timeline *tl)
{
    const struct et_model *m = &tl->a.model;
    size_t n = m->nprocs ? m->nprocs : 1;
    tl->lanes = calloc(n, sizeof(*tl->lanes));
    tl->lane_of = malloc(n * sizeof(*tl->lane_of));
    int32_t *roots = malloc(n * sizeof(*roots));
    if (!tl->lanes || !tl->lane_of || !roots) {
        free(roots);
        return -ENOMEM;
    }
    for (size_t i = 0; i < m->nprocs; i++)
        tl->lane_of[i] = ET_TL_NO_LANE;
    /* The launcher first, then every other root by when it began. */
    size_t nroots = 0;
    for (size_t i = 0; i < m->nprocs; i++)
        if (m->procs[i].parent == ET_NO_PROC && (int32_t)i != m->launcher)
            roots[nroots++] = (int32_t)i;
    qsort_r(roots, nroots, sizeof(*roots), by_begin, (void *)m);
    uint32_t rank = 0;
    if (m->launcher != ET_NO_PROC)
        add_lane(tl, m->launcher, ET_TL_NO_LANE, rank++, 0);
    for (size_t i = 0; i < nroots; i++)
        add_lane(tl, roots[i], ET_TL_NO_LANE, rank++, 0);
    /* A process in a parent loop: a root of its own. */
    for (size_t i = 0; i < m->nprocs; i++)
        if (tl->lane_of[i] == ET_TL_NO_LANE)
            add_lane(tl, (int32_t)i, ET_TL_NO_LANE, rank++, 0);
    free(roots);
    return 0;
}

/* ---- from the finished model ---------------------------------------------------- */

static void programs_and_zombies(struct et_timeline *tl, int32_t proc)
{
    const struct et_proc *p = &tl->a.model.procs[proc];
    uint64_t stop = (p->flags & ET_PF_ENDED) ? p->end_ts : tl->t1;
    for (const struct et_image *img = p->images; img; img = img->next) {
        uint64_t from = img == p->images && p->begin_ts < img->ts ? p->begin_ts : img->ts;
        uint64_t to = img->next ? img->next->ts : stop;
        struct et_tl_slice *s = PUSH(tl, slices);
        if (!s)
            return;
        *s = (struct et_tl_slice){(uint32_t)proc, ET_TL_PROGRAM, from, to > from ? to : from,
                                  text(tl, "%s", img->command ? img->command : "?"), NULL};
    }
    if (!p->images) {
        struct et_tl_slice *s = PUSH(tl, slices);
        if (s)
            *s = (struct et_tl_slice){(uint32_t)proc, ET_TL_PROGRAM, p->begin_ts, stop > p->begin_ts ? stop : p->begin_ts,
                                      text(tl, "%s", et_proc_command(p)), NULL};
    }
    /* A wait still blocked when the trace ended: the heart of a hang. */
    unfinished_waits(tl, proc, stop, "still blocked when the trace ended");
    uint64_t end = lane_end(tl, p);
    if ((p->flags & ET_PF_ENDED) && end > p->end_ts) {
        struct et_tl_slice *s = PUSH(tl, slices);
        if (s)
            *s = (struct et_tl_slice){(uint32_t)proc, ET_TL_ZOMBIE, p->end_ts, end,
                                      text(tl, (p->flags & ET_PF_REAPED) ? "zombie" : "zombie, never reaped"),
                                      p->exit_rec};
    }
}

static void arrows_of(struct et_timeline *tl, int32_t proc)
{
    const struct et_proc *p = &tl->a.model.procs[proc];
    if (p->created_by && p->parent != ET_NO_PROC) {
        struct et_tl_flow *f = PUSH(tl, flows);
        if (!f)
            return;
        uint64_t from = p->created_by->ts_ns;
        *f = (struct et_tl_flow){ET_TL_CREATE, false, (uint32_t)p->parent, (uint32_t)proc, from,
                                 p->begin_ts > from ? p->begin_ts : from,
                                 text(tl, "%s", et_record_type_name(p->created_by->type)), p->created_by};
    }
    if ((p->flags & ET_PF_REAPED) && p->reaper != ET_NO_PROC) {
        struct et_tl_flow *f = PUSH(tl, flows);
        if (!f)
            return;
        /* From its end, with how it ended, to who collected the status. */
        uint64_t from = (p->flags & ET_PF_ENDED) && p->end_ts <= p->reap_ts ? p->end_ts : p->reap_ts;
        *f = (struct et_tl_flow){ET_TL_REAP, false, (uint32_t)proc, (uint32_t)p->reaper, from, p->reap_ts,
                                 ending(tl, p), p->reap_rec};
    }
    if (p->adopter != ET_NO_PROC && (p->flags & ET_PF_ORPHANED)) {
        struct et_tl_flow *f = PUSH(tl, flows);
        if (f)
            *f = (struct et_tl_flow){ET_TL_ADOPT, false, (uint32_t)proc, (uint32_t)p->adopter, p->orphaned_ts,
                                     p->orphaned_ts, text(tl, "orphaned: adopted"), NULL};
    }
}

/* Pipe ends still held when the trace ended. */
static void holdings_left(struct et_timeline *tl)
{
    const struct et_model *m = &tl->a.model;
    for (size_t i = 0; i < m->npipes; i++) {
        const struct et_model_pipe *pp = &m->pipes[i];
        if (pp->free)
            continue;
        for (uint32_t k = 0; k < pp->nlog; k++) {
            const struct et_holding *h = &pp->log[k];
            if (h->until)
                continue;
            struct et_tl_hold *x = PUSH(tl, holds);
            if (x)
                *x = (struct et_tl_hold){(uint32_t)h->proc, pp->inode, h->fd, h->read, h->write, h->from, 0};
        }
    }
}

/* What only the records say: group changes, a subreaper, failed execs. */
static int record_instants(struct et_timeline *tl, struct et_trace *t)
{
    const struct et_model *m = &tl->a.model;
    struct et_stream *s;
    if (et_stream_open(&s, t, ET_STREAM_DEFAULT_WINDOW) < 0)
        return -ENOMEM;
    const struct et_record *r;
    while ((r = et_stream_next(s, NULL)) != NULL) {
        uint8_t kind;
        if (r->type == ET_REC_SETPGID || r->type == ET_REC_SETSID)
            kind = ET_TL_GROUP;
        else if (r->type == ET_REC_PRCTL && ((const struct et_prctl *)et_body(r))->option == ET_PR_SET_CHILD_SUBREAPER)
            kind = ET_TL_SUBREAPER;
        else if (r->type == ET_REC_EXEC_FAILED)
            kind = ET_TL_EXEC_FAILED;
        else
            continue;
        long proc = et_procmap_get(&m->by_identity, r->pid, r->start_time);
        if (proc < 0 || r->ts_ns < m->history_from_ns) /* a ring's earlier laps: only names */
            continue;
        struct et_tl_instant *in = PUSH(tl, instants);
        if (!in)
            break;
        *in = (struct et_tl_instant){(uint32_t)proc, kind, r->ts_ns, record_text(tl, r, NULL), r};
    }
    et_stream_close(s);
    return 0;
}

/* ---- order ----------------------------------------------------------------------- */

static int cmp_u64(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b;
}

static int slice_order(const void *a, const void *b)
{
    const struct et_tl_slice *x = a, *y = b;
    int c = cmp_u64(x->from, y->from);
    if (!c)
        c = cmp_u64(x->lane, y->lane);
    if (!c) /* the longer first, so that slices nest */
        c = cmp_u64(y->to, x->to);
    return c ? c : cmp_u64(x->kind, y->kind);
}

static int flow_order(const void *a, const void *b)
{
    const struct et_tl_flow *x = a, *y = b;
    int c = cmp_u64(x->from_ts, y->from_ts);
    if (!c)
        c = cmp_u64(x->from_lane, y->from_lane);
    if (!c)
        c = cmp_u64(x->to_lane, y->to_lane);
    return c ? c : cmp_u64(x->kind, y->kind);
}

static int instant_order(const void *a, const void *b)
{
    const struct et_tl_instant *x = a, *y = b;
    int c = cmp_u64(x->ts, y->ts);
    return c ? c : cmp_u64(x->lane, y->lane);
}

static int hold_order(const void *a, const void *b)
{
    const struct et_tl_hold *x = a, *y = b;
    int c = cmp_u64(x->from, y->from);
    if (!c)
        c = cmp_u64(x->lane, y->lane);
    if (!c)
        c = cmp_u64((uint64_t)(uint32_t)x->fd, (uint64_t)(uint32_t)y->fd);
    return c ? c : cmp_u64(x->inode, y->inode);
}

#define SORT(v, n, cmp)                            \
    do {                                           \
        if (n)                                     \
            qsort((v), (n), sizeof(*(v)), (cmp));  \
    } while (0)

/* ---- the whole ---------------------------------------------------------------------- */

int et_timeline_build(struct et_timeline *tl, struct et_trace *t, const struct et_thresholds *th)
{
    memset(tl, 0, sizeof(*tl));
    if (et_analyze_watching(&tl->a, t, th, &watcher, tl) < 0)
        return -ENOMEM;
    const struct et_model *m = &tl->a.model;
    tl->t0 = m->first_ts;
    tl->t1 = m->last_ts;
    if (lay_out_lanes(tl) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < m->nprocs; i++) {
        programs_and_zombies(tl, (int32_t)i);
        arrows_of(tl, (int32_t)i);
    }
    holdings_left(tl);
    if (record_instants(tl, t) < 0)
        return -ENOMEM;

    /* Process indexes to lanes, and times kept inside each lane. */
    for (size_t i = 0; i < tl->nslices; i++)
        tl->slices[i].lane = tl->lane_of[tl->slices[i].lane];
    for (size_t i = 0; i < tl->ninstants; i++)
        tl->instants[i].lane = tl->lane_of[tl->instants[i].lane];
    for (size_t i = 0; i < tl->nflows; i++) {
        struct et_tl_flow *f = &tl->flows[i];
        f->from_lane = tl->lane_of[f->from_lane];
        f->to_lane = tl->lane_of[f->to_lane];
        if (f->to_ts < f->from_ts)
            f->to_ts = f->from_ts;
    }
    for (size_t i = 0; i < tl->nholds; i++) {
        struct et_tl_hold *h = &tl->holds[i];
        h->lane = tl->lane_of[h->lane];
        if (!h->until)
            h->until = tl->lanes[h->lane].end;
        if (h->until < h->from)
            h->until = h->from;
    }
    SORT(tl->slices, tl->nslices, slice_order);
    SORT(tl->flows, tl->nflows, flow_order);
    SORT(tl->instants, tl->ninstants, instant_order);
    SORT(tl->holds, tl->nholds, hold_order);

    et_findings_sort(&tl->a.findings);
    tl->nfindings = tl->a.findings.n;
    tl->findings = calloc(tl->nfindings ? tl->nfindings : 1, sizeof(*tl->findings));
    if (!tl->findings)
        return -ENOMEM;
    for (size_t i = 0; i < tl->nfindings; i++) {
        const struct et_finding *f = &tl->a.findings.v[i];
        struct et_tl_finding *x = &tl->findings[i];
        x->f = f;
        x->from = x->to = f->ts;
        for (uint32_t k = 0; k < f->nevidence; k++) {
            if (f->evidence[k]->ts_ns < x->from)
                x->from = f->evidence[k]->ts_ns;
            if (f->evidence[k]->ts_ns > x->to)
                x->to = f->evidence[k]->ts_ns;
        }
        x->subject_lane = f->subject != ET_NO_PROC ? tl->lane_of[f->subject] : ET_TL_NO_LANE;
    }
    return tl->out_of_memory || m->out_of_memory ? -ENOMEM : 0;
}

void et_timeline_free(struct et_timeline *tl)
{
    for (size_t i = 0; i < tl->nlanes; i++) {
        free(tl->lanes[i].label);
        free(tl->lanes[i].ending);
    }
    for (size_t i = 0; i < tl->nslices; i++)
        free(tl->slices[i].label);
    for (size_t i = 0; i < tl->nflows; i++)
        free(tl->flows[i].label);
    for (size_t i = 0; i < tl->ninstants; i++)
        free(tl->instants[i].label);
    free(tl->lanes);
    free(tl->lane_of);
    free(tl->slices);
    free(tl->flows);
    free(tl->instants);
    free(tl->holds);
    free(tl->findings);
    et_analysis_free(&tl->a);
    memset(tl, 0, sizeof(*tl));
}

int et_timeline_load(struct et_timeline *tl, struct et_trace *t, const char *path)
{
    if (et_trace_open(t, path) < 0) {
        et_report_trace_problem(path, t);
        return ET_EXIT_BAD_TRACE;
    }
    struct et_thresholds th;
    et_default_thresholds(&th);
    if (et_timeline_build(tl, t, &th) < 0) {
        fprintf(stderr, "exectrace: %s: out of memory\n", path);
        et_timeline_free(tl);
        et_trace_close(t);
        return ET_EXIT_BAD_TRACE;
    }
    return 0;
}
