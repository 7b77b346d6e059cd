/*
 * `exectrace export`: a trace's timeline for the viewers performance
 * engineers already use.  `perfetto` writes Perfetto's protobuf trace
 * (TrackEvent) with a small encoder of our own: nested tracks for the
 * process tree, slices, instants, flows, counters.  `chrome-json` writes the
 * Trace Event JSON format for tools that read only that.  Both draw the same
 * timeline (timeline.h); both are identical for identical input.
 */
#define _GNU_SOURCE
#include "export.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "procmap.h"
#include "timeline.h"

const char et_usage_export[] =
    "usage: exectrace export --format perfetto|chrome-json [-o FILE] TRACE\n"
    "Writes the timeline of a trace for a timeline viewer: one track per process instance under its\n"
    "creator, its programs, blocked waits and zombie time as slices, signals and group changes as\n"
    "instants, arrows for creation, signals, reaps and adoption, the pipe ends each one held, the\n"
    "findings on a track of their own, and counters of processes alive and zombies.\n"
    "  --format perfetto     Perfetto's protobuf trace: open it in https://ui.perfetto.dev\n"
    "  --format chrome-json  the Trace Event JSON format (chrome://tracing, Perfetto, Speedscope)\n"
    "  -o, --output FILE     where to write it (default: standard output, unless it is a terminal)\n"
    "Exit status: 0, or 2 for a usage error, a damaged trace (its intact part is exported) or\n"
    "output that could not be written.\n";

/* Flow names and categories, by kind. */
static const char *const flow_names[] = {[ET_TL_CREATE] = "created", [ET_TL_SIGNAL] = "signal",
                                         [ET_TL_REAP] = "reaped", [ET_TL_ADOPT] = "adopted"};
static const char *const slice_categories[] = {[ET_TL_PROGRAM] = "program", [ET_TL_WAIT] = "wait",
                                               [ET_TL_ZOMBIE] = "zombie"};
static const char *const instant_categories[] = {[ET_TL_SIGNAL_SENT] = "signal", [ET_TL_GROUP] = "group",
                                                 [ET_TL_SUBREAPER] = "subreaper",
                                                 [ET_TL_EXEC_FAILED] = "exec"};

/* Counters: processes alive and zombies, at each moment either changes. */
struct count_step {
    uint64_t ts;
    int alive, zombies;
};

static int step_order(const void *a, const void *b)
{
    const struct count_step *x = a, *y = b;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* The running totals after each moment a count changes: *n of them. */
static struct count_step *count_steps(const struct et_timeline *tl, size_t *n)
{
    size_t cap = 2 * tl->nlanes + 2 * tl->nslices + 1, k = 0;
    struct count_step *d = malloc(cap * sizeof(*d));
    if (!d)
        return NULL;
    for (size_t i = 0; i < tl->nlanes; i++) {
        const struct et_tl_lane *l = &tl->lanes[i];
        const struct et_proc *p = &tl->a.model.procs[l->proc];
        uint64_t stop = (p->flags & ET_PF_ENDED) ? p->end_ts : l->end;
        d[k++] = (struct count_step){l->begin, 1, 0};
        d[k++] = (struct count_step){stop > l->begin ? stop : l->begin, -1, 0};
    }
    for (size_t i = 0; i < tl->nslices; i++)
        if (tl->slices[i].kind == ET_TL_ZOMBIE) {
            d[k++] = (struct count_step){tl->slices[i].from, 0, 1};
            d[k++] = (struct count_step){tl->slices[i].to, 0, -1};
        }
    qsort(d, k, sizeof(*d), step_order);
    /* Deltas into totals, one per distinct moment. */
    size_t out = 0;
    int alive = 0, zombies = 0;
    for (size_t i = 0; i < k; i++) {
        alive += d[i].alive;
        zombies += d[i].zombies;
        if (i + 1 < k && d[i + 1].ts == d[i].ts)
            continue;
        d[out++] = (struct count_step){d[i].ts, alive, zombies};
    }
    *n = out;
    return d;
}

/* ---- Trace Event JSON ---------------------------------------------------------- */

/* Processes are keyed by pid in this format: a pid the trace saw reused
 * gets a made-up one above any real pid (the kernel's ceiling is 2^22),
 * with the real pid in its name. */
#define ET_PID_CEILING 4194304u

/* Each lane's pid in the JSON, worked out once: every event names one. */
static uint64_t *json_pids(const struct et_timeline *tl)
{
    uint64_t *pids = malloc((tl->nlanes ? tl->nlanes : 1) * sizeof(*pids));
    struct et_procmap first; /* pid -> its first lane */
    et_procmap_init(&first);
    for (uint32_t i = 0; pids && i < tl->nlanes; i++) {
        uint32_t pid = tl->a.model.procs[tl->lanes[i].proc].pid;
        int inserted;
        long at = et_procmap_get_or_put(&first, pid, 0, i, &inserted);
        if (at < 0) {
            free(pids);
            pids = NULL;
            break;
        }
        pids[i] = inserted ? pid : ET_PID_CEILING + i;
    }
    et_procmap_free(&first);
    return pids;
}

/* "fd 3 pipe:[4711] w" */
static void hold_name(const struct et_tl_hold *h, char *buf, size_t len)
{
    snprintf(buf, len, "fd %d pipe:[%" PRIu64 "] %s", h->fd, h->inode, h->read && h->write ? "rw" : h->read ? "r" : "w");
}

/* Microseconds since the trace began, to the nanosecond. */
static void json_us(struct et_json *j, const struct et_timeline *tl, uint64_t ts)
{
    et_json_micros(j, ts - tl->t0);
}

static void json_event_head(struct et_json *j, const struct et_timeline *tl, const char *ph, const char *name,
                            const char *cat, uint64_t pid, uint64_t ts)
{
    et_json_object(j);
    et_json_key(j, "ph");
    et_json_cstr(j, ph);
    if (name) {
        et_json_key(j, "name");
        et_json_cstr(j, name);
    }
    if (cat) {
        et_json_key(j, "cat");
        et_json_cstr(j, cat);
    }
    et_json_key(j, "pid");
    et_json_uint(j, pid);
    et_json_key(j, "tid");
    et_json_uint(j, pid);
    et_json_key(j, "ts");
    json_us(j, tl, ts);
}

static void json_metadata(struct et_json *j, const char *what, uint64_t pid, const char *key, const char *s,
                          int64_t n)
{
    et_json_object(j);
    et_json_key(j, "ph");
    et_json_cstr(j, "M");
    et_json_key(j, "name");
    et_json_cstr(j, what);
    et_json_key(j, "pid");
    et_json_uint(j, pid);
    et_json_key(j, "tid");
    et_json_uint(j, pid);
    et_json_key(j, "args");
    et_json_object(j);
    et_json_key(j, key);
    if (s)
        et_json_cstr(j, s);
    else
        et_json_int(j, n);
    et_json_end(j);
    et_json_end(j);
}

static int write_chrome_json(FILE *out, const struct et_timeline *tl, const char *path)
{
    uint64_t *pids = json_pids(tl);
    if (!pids)
        return -ENOMEM;
    struct et_json j;
    et_json_init(&j, out);
    et_json_object(&j);
    et_json_key(&j, "displayTimeUnit");
    et_json_cstr(&j, "ns");
    et_json_key(&j, "otherData");
    et_json_object(&j);
    et_json_key(&j, "source");
    et_json_cstr(&j, "exectrace");
    et_json_key(&j, "trace");
    et_json_cstr(&j, path);
    et_json_end(&j);
    et_json_key(&j, "traceEvents");
    et_json_array(&j);

    for (uint32_t i = 0; i < tl->nlanes; i++) {
        const struct et_tl_lane *l = &tl->lanes[i];
        uint64_t pid = pids[i];
        char name[512];
        snprintf(name, sizeof(name), "%*s%s (%s)", 2 * l->depth, "", l->label, l->ending);
        json_metadata(&j, "process_name", pid, "name", name, 0);
        json_metadata(&j, "process_sort_index", pid, "sort_index", NULL, (int64_t)i);
        json_metadata(&j, "thread_name", pid, "name", l->label, 0);
    }
    for (size_t i = 0; i < tl->nslices; i++) {
        const struct et_tl_slice *s = &tl->slices[i];
        json_event_head(&j, tl, "X", s->label ? s->label : "?", slice_categories[s->kind], pids[s->lane],
                        s->from);
        et_json_key(&j, "dur");
        et_json_micros(&j, s->to - s->from);
        et_json_end(&j);
    }
    for (size_t i = 0; i < tl->ninstants; i++) {
        const struct et_tl_instant *in = &tl->instants[i];
        json_event_head(&j, tl, "i", in->label ? in->label : "?", instant_categories[in->kind],
                        pids[in->lane], in->ts);
        et_json_key(&j, "s");
        et_json_cstr(&j, "t");
        et_json_end(&j);
    }
    /* Arrows: a flow start bound to the slice open where it leaves, an end
     * bound to the slice open where it arrives ("bp": "e"), and an instant
     * at each end so that the arrow's label shows. */
    for (size_t i = 0; i < tl->nflows; i++) {
        const struct et_tl_flow *f = &tl->flows[i];
        const char *name = flow_names[f->kind];
        json_event_head(&j, tl, "i", f->label ? f->label : name, f->failed ? "failed" : name,
                        pids[f->from_lane], f->from_ts);
        et_json_key(&j, "s");
        et_json_cstr(&j, "t");
        et_json_end(&j);
        json_event_head(&j, tl, "s", name, "flow", pids[f->from_lane], f->from_ts);
        et_json_key(&j, "id");
        et_json_uint(&j, i + 1);
        et_json_end(&j);
        json_event_head(&j, tl, "f", name, "flow", pids[f->to_lane], f->to_ts);
        et_json_key(&j, "id");
        et_json_uint(&j, i + 1);
        et_json_key(&j, "bp");
        et_json_cstr(&j, "e");
        et_json_end(&j);
    }
    /* Pipe ends: async slices under their process, one id each. */
    for (size_t i = 0; i < tl->nholds; i++) {
        const struct et_tl_hold *h = &tl->holds[i];
        char name[96];
        hold_name(h, name, sizeof(name));
        for (int end = 0; end < 2; end++) {
            json_event_head(&j, tl, end ? "e" : "b", name, "pipe", pids[h->lane], end ? h->until : h->from);
            et_json_key(&j, "id");
            et_json_uint(&j, i + 1);
            et_json_end(&j);
        }
    }
    size_t nsteps = 0;
    struct count_step *steps = count_steps(tl, &nsteps);
    if (!steps) {
        free(pids);
        return -ENOMEM;
    }
    uint64_t counter_pid = tl->nlanes ? pids[0] : 1;
    for (size_t i = 0; i < nsteps; i++) {
        json_event_head(&j, tl, "C", "processes", NULL, counter_pid, steps[i].ts);
        et_json_key(&j, "args");
        et_json_object(&j);
        et_json_key(&j, "alive");
        et_json_int(&j, steps[i].alive);
        et_json_key(&j, "zombies");
        et_json_int(&j, steps[i].zombies);
        et_json_end(&j);
        et_json_end(&j);
    }
    free(steps);
    /* Findings: global instants at their time, with their text. */
    for (size_t i = 0; i < tl->nfindings; i++) {
        const struct et_tl_finding *x = &tl->findings[i];
        char name[128];
        snprintf(name, sizeof(name), "%s %s", et_severity_name(x->f->severity), et_finding_kind_name(x->f->kind));
        json_event_head(&j, tl, "i", name, "finding",
                        x->subject_lane != ET_TL_NO_LANE ? pids[x->subject_lane] : counter_pid, x->f->ts);
        et_json_key(&j, "s");
        et_json_cstr(&j, "g");
        et_json_key(&j, "args");
        et_json_object(&j);
        et_json_key(&j, "message");
        et_json_cstr(&j, x->f->message);
        et_json_end(&j);
        et_json_end(&j);
    }
    et_json_end(&j);
    et_json_end(&j);
    fputc('\n', out);
    free(pids);
    return 0;
}

/* ---- Perfetto protobuf ----------------------------------------------------------- */

/* Protobuf bytes are built in the analyzer's growable buffer (output.h). */
static void pb_raw_varint(struct et_buf *b, uint64_t v)
{
    uint8_t buf[10];
    size_t n = 0;
    do {
        buf[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    et_buf_mem(b, buf, n);
}

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2 };

static void pb_tag(struct et_buf *b, unsigned field, unsigned wire)
{
    pb_raw_varint(b, (uint64_t)field << 3 | wire);
}

static void pb_varint(struct et_buf *b, unsigned field, uint64_t v)
{
    pb_tag(b, field, PB_VARINT);
    pb_raw_varint(b, v);
}

static void pb_fixed64(struct et_buf *b, unsigned field, uint64_t v)
{
    uint8_t buf[8];
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(v >> (8 * i));
    pb_tag(b, field, PB_I64);
    et_buf_mem(b, buf, 8);
}

static void pb_len(struct et_buf *b, unsigned field, const void *p, size_t n)
{
    pb_tag(b, field, PB_LEN);
    pb_raw_varint(b, n);
    et_buf_mem(b, p, n);
}

static void pb_string(struct et_buf *b, unsigned field, const char *s)
{
    pb_len(b, field, s, strlen(s));
}

static void pb_message(struct et_buf *b, unsigned field, struct et_buf *sub)
{
    if (sub->failed)
        b->failed = true;
    pb_len(b, field, sub->p, sub->len);
    sub->len = 0;
}

/* The field numbers used, from Perfetto's protos (perfetto/trace/...). */
enum {
    TRACE_PACKET = 1,
    PACKET_TIMESTAMP = 8,
    PACKET_SEQUENCE_ID = 10,
    PACKET_TRACK_EVENT = 11,
    PACKET_TRACK_DESCRIPTOR = 60,
    TRACK_UUID = 1,
    TRACK_NAME = 2,
    TRACK_PARENT_UUID = 5,
    TRACK_COUNTER = 8,
    TRACK_CHILD_ORDERING = 11,
    TRACK_SIBLING_ORDER_RANK = 12,
    TRACK_DESCRIPTION = 14,
    TRACK_SIBLING_MERGE = 15,
    COUNTER_UNIT_NAME = 6,
    EVENT_DEBUG_ANNOTATIONS = 4,
    EVENT_TYPE = 9,
    EVENT_TRACK_UUID = 11,
    EVENT_CATEGORIES = 22,
    EVENT_NAME = 23,
    EVENT_COUNTER_VALUE = 30,
    EVENT_FLOW_IDS = 47,
    EVENT_TERMINATING_FLOW_IDS = 48,
    EVENT_CORRELATION_ID_STR = 53,
    ANNOTATION_STRING_VALUE = 6,
    ANNOTATION_NAME = 10,
};
enum { SLICE_BEGIN = 1, SLICE_END = 2, INSTANT = 3, COUNTER = 4 };
enum { ORDERING_EXPLICIT = 3, MERGE_NONE = 2 };
/* Any nonzero id: every packet comes from this one writer. */
#define SEQUENCE_ID 1

/* Track uuids: fixed ones first, then one range per kind of track. */
enum { UUID_FINDINGS = 1, UUID_ALIVE = 2, UUID_ZOMBIES = 3 };
#define UUID_LANE(i) (0x100000000ull + (i))
#define UUID_HOLD(i) (0x200000000ull + (i))
#define UUID_FINDING(i) (0x300000000ull + (i))

static void pb_track(struct et_buf *out, struct et_buf *pkt, struct et_buf *desc, uint64_t uuid, uint64_t parent, const char *name,
                     const char *description, int32_t rank, bool counter, const char *unit)
{
    pb_varint(desc, TRACK_UUID, uuid);
    if (parent)
        pb_varint(desc, TRACK_PARENT_UUID, parent);
    pb_string(desc, TRACK_NAME, name);
    if (description)
        pb_string(desc, TRACK_DESCRIPTION, description);
    if (counter) {
        struct et_buf c = {0};
        pb_string(&c, COUNTER_UNIT_NAME, unit);
        pb_message(desc, TRACK_COUNTER, &c);
        et_buf_free(&c);
    } else {
        pb_varint(desc, TRACK_CHILD_ORDERING, ORDERING_EXPLICIT);
        pb_varint(desc, TRACK_SIBLING_MERGE, MERGE_NONE);
    }
    pb_varint(desc, TRACK_SIBLING_ORDER_RANK, (uint64_t)(int64_t)rank);
    pb_message(pkt, PACKET_TRACK_DESCRIPTOR, desc);
    pb_message(out, TRACE_PACKET, pkt);
}

/* One event to write, sorted by time before writing: at one moment, slices
 * end (inner first) before others begin (outer first), then instants. */
struct pb_event {
    uint64_t ts;
    uint8_t order; /* 0 end, 1 begin, 2 instant, 3 counter */
    uint8_t depth;
    uint8_t type;
    uint64_t track;
    const char *name;
    const char *category;
    const char *note; /* a debug annotation, "message" */
    const char *correlation;
    uint64_t flow, terminating_flow;
    int64_t value;
    size_t seq; /* position made: the tie-break that keeps output stable */
};

static int event_order(const void *a, const void *b)
{
    const struct pb_event *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    if (x->depth != y->depth) /* ends: deeper first; begins: shallower first */
        return (x->order == 0) == (x->depth > y->depth) ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct pb_events {
    struct pb_event *v;
    size_t n, cap;
};

static struct pb_event *event(struct pb_events *e)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 256;
        struct pb_event *v = realloc(e->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        e->v = v;
        e->cap = cap;
    }
    struct pb_event *x = &e->v[e->n];
    memset(x, 0, sizeof(*x));
    x->seq = e->n++;
    return x;
}

static int slice(struct pb_events *e, uint64_t track, uint64_t from, uint64_t to, uint8_t depth, const char *name,
                 const char *category, const char *note, const char *correlation)
{
    struct pb_event *b = event(e);
    if (!b)
        return -ENOMEM;
    /* Nothing in between: an instant (an end sorts before a begin at the
     * same moment, which would leave a slice ending before it began). */
    bool instant = to <= from;
    *b = (struct pb_event){.ts = from, .order = instant ? 2 : 1, .depth = depth,
                           .type = instant ? INSTANT : SLICE_BEGIN, .track = track, .name = name,
                           .category = category, .note = note, .correlation = correlation, .seq = b->seq};
    if (instant)
        return 0;
    struct pb_event *x = event(e);
    if (!x)
        return -ENOMEM;
    *x = (struct pb_event){.ts = to, .order = 0, .depth = depth, .type = SLICE_END, .track = track, .seq = x->seq};
    return 0;
}

static int write_perfetto(FILE *out, const struct et_timeline *tl)
{
    struct et_buf trace = {0}, pkt = {0}, sub = {0}, ev = {0}, ann = {0};
    /* Tracks: findings and counters on top, then the process tree. */
    pb_track(&trace, &pkt, &sub, UUID_FINDINGS, 0, "findings", "what exectrace report found", 0, false, NULL);
    pb_track(&trace, &pkt, &sub, UUID_ALIVE, 0, "processes alive", NULL, 1, true, "processes");
    pb_track(&trace, &pkt, &sub, UUID_ZOMBIES, 0, "zombies", NULL, 2, true, "processes");
    for (uint32_t i = 0; i < tl->nlanes; i++) {
        const struct et_tl_lane *l = &tl->lanes[i];
        char name[512];
        snprintf(name, sizeof(name), "%s (%s)", l->label, l->ending);
        pb_track(&trace, &pkt, &sub, UUID_LANE(i), l->parent_lane == ET_TL_NO_LANE ? 0 : UUID_LANE(l->parent_lane),
                 name, NULL, (int32_t)(l->parent_lane == ET_TL_NO_LANE ? 3 + l->rank : l->rank), false, NULL);
    }
    for (size_t i = 0; i < tl->nholds; i++) {
        const struct et_tl_hold *h = &tl->holds[i];
        char name[96];
        hold_name(h, name, sizeof(name));
        /* After the lane's own children: pipe ends below the processes. */
        pb_track(&trace, &pkt, &sub, UUID_HOLD(i), UUID_LANE(h->lane), name, NULL, (int32_t)(1000000 + i), false,
                 NULL);
    }
    for (size_t i = 0; i < tl->nfindings; i++) {
        char name[128];
        snprintf(name, sizeof(name), "%s %s", et_severity_name(tl->findings[i].f->severity),
                 et_finding_kind_name(tl->findings[i].f->kind));
        pb_track(&trace, &pkt, &sub, UUID_FINDING(i), UUID_FINDINGS, name, NULL, (int32_t)i, false, NULL);
    }

    /* Events. */
    struct pb_events e = {0};
    int ret = 0;
    char (*pipe_names)[32] = calloc(tl->nholds ? tl->nholds : 1, sizeof(*pipe_names));
    if (!pipe_names)
        ret = -ENOMEM;
    for (size_t i = 0; !ret && i < tl->nslices; i++) {
        const struct et_tl_slice *s = &tl->slices[i];
        ret = slice(&e, UUID_LANE(s->lane), s->from, s->to, s->kind == ET_TL_WAIT ? 1 : 0, s->label ? s->label : "?",
                    slice_categories[s->kind], NULL, NULL);
    }
    for (size_t i = 0; !ret && i < tl->nholds; i++) {
        const struct et_tl_hold *h = &tl->holds[i];
        snprintf(pipe_names[i], sizeof(pipe_names[i]), "pipe:[%" PRIu64 "]", h->inode);
        ret = slice(&e, UUID_HOLD(i), h->from, h->until, 0, h->write ? (h->read ? "read and write end" : "write end")
                                                                      : "read end",
                    "pipe", NULL, pipe_names[i]);
    }
    for (size_t i = 0; !ret && i < tl->nfindings; i++) {
        const struct et_tl_finding *x = &tl->findings[i];
        ret = slice(&e, UUID_FINDING(i), x->from, x->to, 0, et_finding_kind_name(x->f->kind), "finding",
                    x->f->message, NULL);
    }
    for (size_t i = 0; !ret && i < tl->ninstants; i++) {
        const struct et_tl_instant *in = &tl->instants[i];
        struct pb_event *x = event(&e);
        if (!x) {
            ret = -ENOMEM;
            break;
        }
        *x = (struct pb_event){.ts = in->ts, .order = 2, .type = INSTANT, .track = UUID_LANE(in->lane),
                               .name = in->label ? in->label : "?", .category = instant_categories[in->kind],
                               .seq = x->seq};
    }
    /* An arrow runs between two instants: where it leaves, where it lands. */
    for (size_t i = 0; !ret && i < tl->nflows; i++) {
        const struct et_tl_flow *f = &tl->flows[i];
        /* Both made before either is filled: the second may move the array. */
        if (!event(&e) || !event(&e)) {
            ret = -ENOMEM;
            break;
        }
        struct pb_event *from = &e.v[e.n - 2], *to = &e.v[e.n - 1];
        *from = (struct pb_event){.ts = f->from_ts, .order = 2, .type = INSTANT, .track = UUID_LANE(f->from_lane),
                                  .name = f->label ? f->label : flow_names[f->kind],
                                  .category = f->failed ? "failed" : flow_names[f->kind], .flow = i + 1,
                                  .seq = from->seq};
        *to = (struct pb_event){.ts = f->to_ts, .order = 2, .type = INSTANT, .track = UUID_LANE(f->to_lane),
                                .name = flow_names[f->kind], .category = flow_names[f->kind],
                                .terminating_flow = i + 1, .seq = to->seq};
    }
    size_t nsteps = 0;
    struct count_step *steps = ret ? NULL : count_steps(tl, &nsteps);
    if (!ret && !steps)
        ret = -ENOMEM;
    for (size_t i = 0; !ret && i < nsteps; i++) {
        for (int k = 0; k < 2; k++) {
            struct pb_event *x = event(&e);
            if (!x) {
                ret = -ENOMEM;
                break;
            }
            *x = (struct pb_event){.ts = steps[i].ts, .order = 3, .type = COUNTER,
                                   .track = k ? UUID_ZOMBIES : UUID_ALIVE,
                                   .value = k ? steps[i].zombies : steps[i].alive, .seq = x->seq};
        }
    }
    free(steps);
    if (!ret && e.n)
        qsort(e.v, e.n, sizeof(*e.v), event_order);
    for (size_t i = 0; !ret && i < e.n; i++) {
        const struct pb_event *x = &e.v[i];
        pb_varint(&pkt, PACKET_TIMESTAMP, x->ts);
        pb_varint(&pkt, PACKET_SEQUENCE_ID, SEQUENCE_ID);
        pb_varint(&ev, EVENT_TYPE, x->type);
        pb_varint(&ev, EVENT_TRACK_UUID, x->track);
        if (x->name)
            pb_string(&ev, EVENT_NAME, x->name);
        if (x->category)
            pb_string(&ev, EVENT_CATEGORIES, x->category);
        if (x->note) {
            pb_string(&ann, ANNOTATION_NAME, "message");
            pb_string(&ann, ANNOTATION_STRING_VALUE, x->note);
            pb_message(&ev, EVENT_DEBUG_ANNOTATIONS, &ann);
        }
        if (x->correlation)
            pb_string(&ev, EVENT_CORRELATION_ID_STR, x->correlation);
        if (x->type == COUNTER)
            pb_varint(&ev, EVENT_COUNTER_VALUE, (uint64_t)x->value);
        if (x->flow)
            pb_fixed64(&ev, EVENT_FLOW_IDS, x->flow);
        if (x->terminating_flow)
            pb_fixed64(&ev, EVENT_TERMINATING_FLOW_IDS, x->terminating_flow);
        pb_message(&pkt, PACKET_TRACK_EVENT, &ev);
        pb_message(&trace, TRACE_PACKET, &pkt);
    }
    if (!ret && trace.failed)
        ret = -ENOMEM;
    if (!ret)
        fwrite(trace.p, 1, trace.len, out);
    free(e.v);
    free(pipe_names);
    et_buf_free(&trace);
    et_buf_free(&pkt);
    et_buf_free(&sub);
    et_buf_free(&ev);
    et_buf_free(&ann);
    return ret;
}

/* ---- the command ------------------------------------------------------------------- */

int et_cmd_export(int argc, char **argv)
{
    static const struct option options[] = {{"format", required_argument, NULL, 'f'},
                                            {"output", required_argument, NULL, 'o'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *format = NULL, *output = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+f:o:h", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'h':
            return et_help("export");
        default:
            return et_bad_usage("export");
        }
    }
    if (optind != argc - 1)
        return et_bad_usage("export");
    bool perfetto = format && strcmp(format, "perfetto") == 0;
    if (!format || (!perfetto && strcmp(format, "chrome-json") != 0))
        return et_usage_error("export", "--format takes perfetto or chrome-json");
    if (!output && isatty(STDOUT_FILENO))
        return et_usage_error("export", "standard output is a terminal: name a file with -o FILE");
    const char *path = argv[optind];

    struct et_trace t;
    struct et_timeline tl;
    int loaded = et_timeline_load(&tl, &t, path);
    if (loaded)
        return loaded;
    FILE *out = output ? fopen(output, perfetto ? "wb" : "w") : stdout;
    if (!out) {
        fprintf(stderr, "exectrace export: %s: %s\n", output, strerror(errno));
        et_timeline_free(&tl);
        et_trace_close(&t);
        return ET_EXIT_OUTPUT_FAILED;
    }
    int ret = perfetto ? write_perfetto(out, &tl) : write_chrome_json(out, &tl, path);
    int status = ret < 0 ? ET_EXIT_OUTPUT_FAILED : et_finish_output(out, "export");
    if (ret < 0)
        fprintf(stderr, "exectrace export: out of memory\n");
    if (output && fclose(out) != 0 && !status) {
        fprintf(stderr, "exectrace export: %s: %s\n", output, strerror(errno));
        status = ET_EXIT_OUTPUT_FAILED;
    }
    et_timeline_free(&tl);
    return et_finish_trace_command(path, &t, status);
}
