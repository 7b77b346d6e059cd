/*
 * `exectrace tree`: who started whom.  Two lines a process, readable at 80
 * columns: pid and command line, then when it started, how long it ran, how
 * it ended, who reaped it and after how long, and whether it was orphaned.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model.h"
#include "names.h"
#include "output.h"
#include "report.h"

#define WIDTH 80

const char et_usage_tree[] =
    "usage: exectrace tree FILE\n"
          "Shows the process tree of a trace: who started whom, what each ran, how it ended,\n"
          "who reaped it and after how long.\n";

static void fmt_duration(uint64_t ns, char *buf, size_t len)
{
    char d[ET_SECONDS_LEN];
    snprintf(buf, len, "%s", et_format_duration(d, ns));
}

static void fmt_when(const struct et_model *m, uint64_t ts, char *buf, size_t len)
{
    char w[ET_SECONDS_LEN];
    snprintf(buf, len, "%s", et_format_when(w, m->trace->hdr->anchor_monotonic_ns, ts));
}

/* What happened to a process, in one line of words. */
static void describe(const struct et_model *m, const struct et_proc *p, char *out, size_t len)
{
    char a[32], b[32], sig[32];
    size_t used = 0;
#define PUT(...)                                                                                                   \
    do {                                                                                                           \
        int n_ = snprintf(out + used, used < len ? len - used : 0, __VA_ARGS__);                                  \
        if (n_ > 0)                                                                                                \
            used += (size_t)n_;                                                                                    \
    } while (0)

    /* Known from a snapshot only: alive then is all the trace says. */
    bool snapshot_only = p->snap && !(p->flags & (ET_PF_TRACED | ET_PF_ENDED | ET_PF_END_UNSEEN));
    bool before = p->flags & ET_PF_BEFORE_HISTORY;
    fmt_when(m, snapshot_only ? p->snap->ts_ns : p->begin_ts, a, sizeof(a));
    if (before)
        PUT("started before the recorded history");
    else
        PUT("%s%s", snapshot_only ? "alive at the snapshot at " : "", a);
    if (p->flags & ET_PF_LAUNCHER) {
        PUT("%sthe launcher, subreaper of everything the command left behind", before ? "; " : " ");
        return;
    }
    if (before && (p->flags & ET_PF_ENDED)) {
        fmt_when(m, p->end_ts, b, sizeof(b));
        PUT(", ended at %s%s", p->end_ts_exact ? "" : "~", b);
    } else if (p->flags & ET_PF_ENDED) {
        fmt_duration(p->end_ts > p->begin_ts ? p->end_ts - p->begin_ts : 0, b, sizeof(b));
        PUT(" ran %s%s", p->end_ts_exact ? "" : "~", b);
    }
    switch (p->end_how) {
    case ET_END_EXITED:
        PUT(", exited %d", p->exit_code);
        break;
    case ET_END_KILLED:
        PUT(", killed by %s", et_signal_name(p->term_signal, sig, sizeof(sig)));
        break;
    case ET_END_UNKNOWN:
        PUT(", ended (how not recorded)");
        break;
    default:
        if (p->flags & ET_PF_END_UNSEEN) {
            int32_t reaper = et_proc_unseen_reaper(m, (int32_t)(p - m->procs));
            if (reaper != ET_NO_PROC)
                PUT(", ended, reaped by %u (not traced), time unknown", m->procs[reaper].pid);
            else
                PUT(", ended before exectrace stopped, time unknown (no record of its end or reap)");
        } else if (!snapshot_only) {
            PUT(", %s", (p->flags & ET_PF_LAUNCHER) ? "exectrace" : "still running at the end of the trace");
        }
        break;
    }
    if (p->flags & ET_PF_ORPHANED) {
        fmt_when(m, p->orphaned_ts, a, sizeof(a));
        PUT("; orphaned at %s", a);
    }
    if (p->reaped_by_kernel) {
        PUT(", reaped by the kernel (SIGCHLD ignored)");
    } else if (p->flags & ET_PF_REAPED) {
        uint64_t since = p->reap_ts > p->end_ts ? p->reap_ts - p->end_ts : 0;
        fmt_duration(since, b, sizeof(b));
        const struct et_proc *r = p->reaper != ET_NO_PROC ? &m->procs[p->reaper] : NULL;
        if (r && (r->flags & ET_PF_LAUNCHER))
            PUT(", reaped by exectrace after %s", b);
        else
            PUT(", reaped by %u%s after %s", r ? r->pid : 0, p->adopter != ET_NO_PROC ? " (adopted it)" : "", b);
    } else if ((p->flags & ET_PF_ENDED) && !(p->flags & ET_PF_LAUNCHER)) {
        PUT(", reap not recorded");
    }
    if (p->flags & ET_PF_UNTRACED_EXEC)
        PUT("; not traced after its exec");
    else if ((p->flags & ET_PF_PLACEHOLDER) && !(p->flags & ET_PF_TRACED))
        PUT("; not traced");
    if (p->flags & ET_PF_DETACHED)
        PUT("; own session");
#undef PUT
}

/* Columns left after a prefix of box-drawing characters (three bytes each,
 * one column). */
static size_t room_after(const char *prefix)
{
    size_t columns = 0;
    for (const char *c = prefix; *c; c++)
        if (((unsigned char)*c & 0xc0) != 0x80)
            columns++;
    return WIDTH > columns + 20 ? WIDTH - columns : 20;
}

/* A command line: one line, cut short if it must be. */
static void print_fitted(const char *prefix, const char *text)
{
    size_t room = room_after(prefix);
    if (strlen(text) <= room)
        printf("%s%s\n", prefix, text);
    else
        printf("%s%.*s...\n", prefix, (int)(room - 3), text);
}

/* Details: wrapped at word boundaries over as many lines as they need. */
static void print_wrapped(const char *prefix, const char *text)
{
    size_t room = room_after(prefix);
    while (*text) {
        size_t len = strlen(text);
        if (len > room) {
            len = room;
            while (len > room / 2 && text[len] != ' ')
                len--;
        }
        printf("%s%.*s\n", prefix, (int)len, text);
        text += len;
        while (*text == ' ')
            text++;
    }
}

static void print_proc(const struct et_model *m, int32_t i, const char *prefix, bool last, bool root,
                       unsigned depth)
{
    const struct et_proc *p = &m->procs[i];
    char head[512], line[1024], next_prefix[512];
    snprintf(head, sizeof(head), "%s%s", prefix, root ? "" : last ? "└─ " : "├─ ");
    snprintf(line, sizeof(line), "%u %s", p->pid, (p->flags & ET_PF_LAUNCHER) ? "exectrace" : et_proc_command(p));
    print_fitted(head, line);

    snprintf(next_prefix, sizeof(next_prefix), "%s%s", prefix, root ? "" : last ? "   " : "│  ");
    char detail_prefix[520];
    snprintf(detail_prefix, sizeof(detail_prefix), "%s%s", next_prefix, p->first_child != ET_NO_PROC ? "│  " : "   ");
    describe(m, p, line, sizeof(line));
    print_wrapped(detail_prefix, line);
    /* The programs it exec'd before the last one (a fork child starts in its
     * parent's program: that one is not news). */
    const struct et_image *first = p->images;
    if (first && p->origin != ET_ORIGIN_EXEC)
        first = first->next;
    if (first && first->next) {
        /* Just the programs' names: the exec story at a glance. */
        char chain[512] = "exec'd from: ";
        size_t used = strlen(chain);
        unsigned shown = 0, total = 0;
        for (const struct et_image *img = first; img && img->next; img = img->next)
            total++;
        for (const struct et_image *img = first; img && img->next && shown < 6; img = img->next, shown++) {
            const char *cmd = img->command ? img->command : "?";
            size_t word = strcspn(cmd, " ");
            const char *base = cmd;
            for (const char *c = cmd; c < cmd + word; c++)
                if (*c == '/')
                    base = c + 1;
            int n = snprintf(chain + used, sizeof(chain) - used, "%s%.*s", shown ? " -> " : "",
                             (int)(cmd + word - base), base);
            if (n > 0 && (size_t)n < sizeof(chain) - used)
                used += (size_t)n;
        }
        if (total > shown)
            snprintf(chain + used, sizeof(chain) - used, " -> ... (%u more)", total - shown);
        print_wrapped(detail_prefix, chain);
    }
    if (depth > 200)
        return;
    for (int32_t c = p->first_child; c != ET_NO_PROC; c = m->procs[c].next_sibling)
        print_proc(m, c, next_prefix, m->procs[c].next_sibling == ET_NO_PROC, false, depth + 1);
}

int et_cmd_tree(int argc, char **argv)
{
    static const struct option options[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
        if (c == 'h') {
            return et_help("tree");
        }
        return et_bad_usage("tree");
    }
    if (optind != argc - 1) {
        return et_bad_usage("tree");
    }
    const char *path = argv[optind];
    struct et_trace t;
    struct et_thresholds th;
    et_default_thresholds(&th);
    struct et_analysis a;
    if (et_load_analysis(path, &t, &a, &th) < 0)
        return ET_EXIT_BAD_TRACE;
    /* Roots: the launcher, then whatever has no known parent, by start. */
    const struct et_model *m = &a.model;
    char history[512];
    if (et_model_history(m, history, sizeof(history)))
        print_wrapped("", history);
    if (m->launcher != ET_NO_PROC)
        print_proc(m, m->launcher, "", true, true, 0);
    for (size_t i = 0; i < m->nprocs; i++)
        if (m->procs[i].parent == ET_NO_PROC && (int32_t)i != m->launcher)
            print_proc(m, (int32_t)i, "", true, true, 0);
    int status = et_finish_output(stdout, "tree");
    et_analysis_free(&a);
    return et_finish_trace_command(path, &t, status);
}
