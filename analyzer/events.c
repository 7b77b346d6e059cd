/*
 * `exectrace events`: every record of a trace in time order, streamed (the
 * same merge `report` and `tree` read through, so memory stays flat), each
 * decoded once and written as a text line or a JSON object.  Also the
 * links between records that a line shows: how an exec ended.
 */
#define _GNU_SOURCE
#include "events.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "decode.h"
#include "emit.h"
#include "procmap.h"
#include "stream.h"
#include "symbols.h"

/* ---- how each exec ended -------------------------------------------------------- */

struct exec_link {
    const struct et_record *exec;
    const struct et_record *outcome; /* NULL: the trace does not say */
};

struct et_exec_outcomes {
    struct exec_link *links; /* by exec address: appended in file order */
    size_t n, cap;
    const struct et_record **failures; /* failure records shown with their exec, by address */
    size_t nfailures, capfailures;
    struct et_procmap pending;         /* process -> index of its exec still waiting for an outcome */
};

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 256;
    void *p = realloc(*v, ncap * size);
    if (!p)
        return -ENOMEM;
    *v = p;
    *cap = ncap;
    return 0;
}

/* One process's records are in file order in the order it made them (its
 * runs are claimed one after another), and an exec's outcome is the next
 * exec failure or image start of the same process (exec keeps pid and start
 * time).  So one pass in file order, no sorting. */
static int link_outcome(const struct et_record *r, uint64_t offset, void *ctx)
{
    (void)offset;
    struct et_exec_outcomes *o = ctx;
    if (r->type != ET_REC_EXEC && r->type != ET_REC_EXEC_FAILED && r->type != ET_REC_IMAGE_START)
        return 0;
    long at = et_procmap_get(&o->pending, r->pid, r->start_time);
    if (r->type == ET_REC_EXEC) {
        if (grow((void **)&o->links, &o->cap, o->n, sizeof(*o->links)) < 0)
            return -ENOMEM;
        o->links[o->n] = (struct exec_link){r, NULL};
        int inserted;
        if (et_procmap_get_or_put(&o->pending, r->pid, r->start_time, (uint32_t)o->n, &inserted) < 0)
            return -ENOMEM;
        if (!inserted)
            et_procmap_set(&o->pending, r->pid, r->start_time, (uint32_t)o->n);
        o->n++;
        return 0;
    }
    if (at < 0)
        return 0;
    et_procmap_remove(&o->pending, r->pid, r->start_time);
    if (r->type == ET_REC_EXEC_FAILED) {
        if (grow((void **)&o->failures, &o->capfailures, o->nfailures, sizeof(*o->failures)) < 0)
            return -ENOMEM;
        o->failures[o->nfailures++] = r;
        o->links[at].outcome = r;
    } else if (((const struct et_image_start *)et_body(r))->origin == ET_ORIGIN_EXEC) {
        o->links[at].outcome = r;
    }
    return 0;
}

int et_exec_outcomes_build(struct et_trace *t, struct et_exec_outcomes **out)
{
    struct et_exec_outcomes *o = calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    et_procmap_init(&o->pending);
    int ret = et_trace_scan(t, link_outcome, o);
    et_procmap_free(&o->pending);
    if (ret < 0) {
        et_exec_outcomes_free(o);
        return ret;
    }
    *out = o;
    return 0;
}

void et_exec_outcomes_free(struct et_exec_outcomes *o)
{
    if (!o)
        return;
    free(o->links);
    free(o->failures);
    free(o);
}

const struct et_record *et_exec_outcome(const struct et_exec_outcomes *o, const struct et_record *exec)
{
    size_t lo = 0, hi = o->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->links[mid].exec == exec)
            return o->links[mid].outcome;
        if ((uintptr_t)o->links[mid].exec < (uintptr_t)exec)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool et_exec_failure_is_linked(const struct et_exec_outcomes *o, const struct et_record *failure)
{
    size_t lo = 0, hi = o->nfailures;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->failures[mid] == failure)
            return true;
        if ((uintptr_t)o->failures[mid] < (uintptr_t)failure)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* ---- the whole list, for tests and tools that want to look around ---------------- */

static const struct et_record *const *index_base;
static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)index_base[*(const size_t *)a], y = (uintptr_t)index_base[*(const size_t *)b];
    return x < y ? -1 : x > y;
}

int et_events_load(struct et_trace *t, struct et_event_list *list)
{
    list->v = NULL;
    list->n = 0;
    struct et_exec_outcomes *o;
    int ret = et_exec_outcomes_build(t, &o);
    if (ret < 0)
        return ret;
    struct et_stream *s;
    if ((ret = et_stream_open(&s, t, ET_STREAM_DEFAULT_WINDOW)) < 0) {
        et_exec_outcomes_free(o);
        return ret;
    }
    size_t cap = 0;
    const struct et_record *r;
    uint64_t offset;
    while ((r = et_stream_next(s, &offset)) != NULL) {
        if (grow((void **)&list->v, &cap, list->n, sizeof(*list->v)) < 0) {
            ret = -ENOMEM;
            break;
        }
        list->v[list->n++] = (struct et_event){r, offset, -1, r->type == ET_REC_EXEC_FAILED && et_exec_failure_is_linked(o, r)};
    }
    et_stream_close(s);
    /* Outcomes as indexes into the list. */
    const struct et_record **recs = malloc((list->n ? list->n : 1) * sizeof(*recs));
    size_t *idx = malloc((list->n ? list->n : 1) * sizeof(*idx));
    if (ret == 0 && recs && idx) {
        for (size_t i = 0; i < list->n; i++) {
            recs[i] = list->v[i].r;
            idx[i] = i;
        }
        index_base = recs;
        qsort(idx, list->n, sizeof(*idx), by_address);
        for (size_t i = 0; i < list->n; i++) {
            if (list->v[i].r->type != ET_REC_EXEC)
                continue;
            const struct et_record *out = et_exec_outcome(o, list->v[i].r);
            size_t lo = 0, hi = list->n;
            while (out && lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (recs[idx[mid]] == out) {
                    list->v[i].outcome = (int64_t)idx[mid];
                    break;
                }
                if ((uintptr_t)recs[idx[mid]] < (uintptr_t)out)
                    lo = mid + 1;
                else
                    hi = mid;
            }
        }
    } else if (ret == 0) {
        ret = -ENOMEM;
    }
    free(recs);
    free(idx);
    et_exec_outcomes_free(o);
    if (ret < 0)
        et_events_free(list);
    return ret;
}

void et_events_free(struct et_event_list *list)
{
    free(list->v);
    list->v = NULL;
    list->n = 0;
}

size_t et_events_count_processes(const struct et_trace *t, const struct et_event_list *list)
{
    struct et_procmap seen;
    et_procmap_init(&seen);
    for (size_t i = 0; i < list->n; i++) {
        const struct et_record *r = list->v[i].r;
        if (t->hdr && r->pid == t->hdr->launcher_pid && r->start_time == t->hdr->launcher_start_time)
            continue;
        int inserted;
        et_procmap_get_or_put(&seen, r->pid, r->start_time, 0, &inserted);
    }
    size_t n = seen.count;
    et_procmap_free(&seen);
    return n;
}

/* ---- the command ------------------------------------------------------------ */

/* Lines go out in pieces of about this size. */
#define LINES_FLUSH_BYTES (64u << 10)

const char et_usage_events[] =
    "usage: exectrace events [--pid PID] [--json] [--stacks] FILE\n"
          "Prints every event of a trace, merged across processes in time order.\n"
          "  --pid PID   only the events of processes with this pid\n"
          "  --json      one JSON object per line\n"
          "  --stacks    each event's call site, resolved to function, file and\n"
          "              line, and the objects each program loaded\n";

int et_cmd_events(int argc, char **argv)
{
    static const struct option options[] = {
        {"pid", required_argument, NULL, 'p'}, {"json", no_argument, NULL, 'j'},
        {"stacks", no_argument, NULL, 's'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    long pid = -1;
    bool json = false, stacks = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+p:jh", options, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (et_parse_long(optarg, 1, INT32_MAX, &pid) < 0)
                return et_usage_error("events", "--pid takes a process id");
            break;
        case 'j':
            json = true;
            break;
        case 's':
            stacks = true;
            break;
        case 'h':
            return et_help("events");
        default:
            return et_bad_usage("events");
        }
    }
    if (optind != argc - 1) {
        return et_bad_usage("events");
    }
    const char *path = argv[optind];

    struct et_trace t;
    if (et_trace_open(&t, path) < 0) {
        et_report_trace_problem(path, &t);
        return ET_EXIT_BAD_TRACE;
    }
    struct et_symbols *symbols = NULL;
    struct et_exec_outcomes *outcomes = NULL;
    struct et_stream *s = NULL;
    if ((stacks && !(symbols = et_symbols_load(&t))) || et_exec_outcomes_build(&t, &outcomes) < 0 ||
        et_stream_open(&s, &t, ET_STREAM_DEFAULT_WINDOW) < 0) {
        fprintf(stderr, "exectrace: %s: out of memory\n", path);
        et_symbols_free(symbols);
        et_exec_outcomes_free(outcomes);
        et_trace_close(&t);
        return ET_EXIT_BAD_TRACE;
    }

    uint64_t anchor = t.hdr->anchor_monotonic_ns;
    struct et_json j;
    et_json_init(&j, stdout);
    struct et_decoded d;
    struct et_buf lines = {0};
    bool out_of_memory = false;
    /* One record of lookahead: a wait whose return comes next is one line. */
    const struct et_record *r = et_stream_next(s, NULL), *next;
    for (; r; r = next) {
        next = et_stream_next(s, NULL);
        if (pid >= 0 && r->pid != (uint32_t)pid)
            continue;
        /* Shown on its exec's line. */
        if (r->type == ET_REC_EXEC_FAILED && et_exec_failure_is_linked(outcomes, r))
            continue;
        /* The map of loaded objects is for resolving stacks. */
        if (r->type == ET_REC_MODULE && !stacks)
            continue;
        struct et_decode_links links = {0};
        if (r->type == ET_REC_EXEC) {
            links.exec_outcome_known = true;
            links.exec_outcome = et_exec_outcome(outcomes, r);
        }
        if (!json && r->type == ET_REC_WAIT_ENTER && next && next->type == ET_REC_WAIT_RETURN &&
            next->pid == r->pid && next->tid == r->tid && next->start_time == r->start_time) {
            links.wait_return = next;
            next = et_stream_next(s, NULL);
        }
        et_decode(r, &links, &d);
        if (json) {
            et_emit_json_event(&j, anchor, &d, symbols);
            fputc('\n', stdout);
        } else if (symbols) {
            et_emit_text_line(stdout, anchor, &d, symbols);
        } else {
            et_emit_text_line_buf(&lines, anchor, &d);
            if (lines.len >= LINES_FLUSH_BYTES)
                out_of_memory |= !et_buf_write(&lines, stdout);
        }
    }
    out_of_memory |= !et_buf_write(&lines, stdout);
    et_buf_free(&lines);
    int written = et_finish_output(stdout, "events");
    if (out_of_memory) {
        fprintf(stderr, "exectrace events: out of memory: some lines were not printed whole\n");
        written = ET_EXIT_OUTPUT_FAILED;
    }
    et_stream_close(s);
    et_exec_outcomes_free(outcomes);
    et_symbols_free(symbols);
    return et_finish_trace_command(path, &t, written);
}
