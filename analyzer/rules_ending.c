/*
 * Rules that judge processes as they end and at the end of the trace: a
 * write end still held when its writer ended (held-pipe,
 * parent-holds-write-end), children left zombies or unreaped
 * (zombie, unreaped-at-exit), descendants that outlived a killed process
 * (orphaned-descendants), and programs the trace cannot see (untraced).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "rules_common.h"

/* ---- held-pipe and parent-holds-write-end ----------------------------------------- */

#define MAX_HOLDERS 8

struct et_pending_pipe_check {
    uint32_t pipe;
    int32_t writer;  /* the process the write end was given to, now ended */
    int32_t giver;   /* its parent, who made the pipe */
    int32_t reader;  /* a holder of the read end when the writer ended */
    int32_t readers[MAX_HOLDERS]; /* all of them, the first MAX_HOLDERS */
    uint32_t nreaders;
    uint64_t writer_end_ts;
    const struct et_record *writer_end;
    uint64_t inode;                  /* the pipe's, kept: the model forgets */
    const struct et_record *created; /* pipes nobody holds any more */
    uint32_t nholders;
    struct {
        int32_t proc;
        int32_t fd;
        bool released;
        uint64_t released_ts;
        const struct et_record *release;
    } holders[MAX_HOLDERS];
    /* Every holder has let go.  Judged at the end of the trace all the same:
     * the readers' records come after the releases. */
    bool done;
    bool reported; /* a finding came of it */
};

/* What a reader of a pipe was seen doing: waiting long for it (a
 * pipe_wait record for its read end), or reading end-of-file.  Kept for
 * every pipe until the end: the writer's death that makes a check may be
 * learnt only at its reap, after the reader's records. */
struct reader_evidence {
    uint64_t inode;
    int32_t proc;
    uint64_t from, until; /* the wait; both the time of end-of-file */
    bool eof;
    const struct et_record *r;
};

/* The checks still waiting for holders to let go, and those done: the
 * zombie rule asks whether a pipe kept a parent busy. */
struct ending_state {
    struct et_pending_pipe_check *checks;
    size_t n, cap;
    struct reader_evidence *reads;
    size_t nreads, reads_cap;
    bool reads_sorted;
};

#define STATE(rc) ((struct ending_state *)(rc)->state)

static int32_t hold_fd(const struct et_proc *p, uint32_t pipe, bool write)
{
    for (uint32_t k = 0; k < p->nholds; k++)
        if (p->holds[k].pipe == pipe && (write ? p->holds[k].write : p->holds[k].read))
            return p->holds[k].fd;
    return -1;
}

/* Would this holder keep the reader waiting by mistake?  The parent who made
 * the pipe is checked separately; a sibling given the pipe as its own stdout
 * or stderr is meant to write to it. */
static bool unintended_holder(const struct et_model *m, int32_t h, int32_t writer, int32_t giver, int32_t fd)
{
    if (h == giver)
        return true;
    if (et_proc_is_descendant(m, h, writer))
        return true;
    return fd >= 3;
}

static bool held_at(const struct et_holding *e, uint64_t ts)
{
    return e->from <= ts && (e->until == 0 || e->until > ts);
}

static struct et_pending_pipe_check *new_check(struct et_rule_context *rc)
{
    struct ending_state *st = STATE(rc);
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        struct et_pending_pipe_check *v = realloc(st->checks, cap * sizeof(*v));
        if (!v) {
            rc->out->out_of_memory = true;
            return NULL;
        }
        st->checks = v;
        st->cap = cap;
    }
    struct et_pending_pipe_check *ch = &st->checks[st->n++];
    memset(ch, 0, sizeof(*ch));
    return ch;
}

static bool all_released(const struct et_pending_pipe_check *ch)
{
    for (uint32_t i = 0; i < ch->nholders; i++)
        if (!ch->holders[i].released)
            return false;
    return true;
}

/* The pipes this process was given the write end of by its parent, who
 * made them: who else held them at the moment it ended?  Its death may be
 * learnt late (at its reap), so this looks back through each pipe's log. */
static void ending_on_process_end(struct et_rule_context *rc, int32_t ci)
{
    const struct et_model *m = rc->m;
    const struct et_proc *c = &m->procs[ci];
    int32_t giver = c->parent;
    if (giver == ET_NO_PROC)
        return;
    uint64_t died = c->end_ts;
    for (uint32_t k = 0; k < c->nholds; k++) {
        const struct et_hold *h = &c->holds[k];
        const struct et_model_pipe *pp = &m->pipes[h->pipe];
        /* Both ends: a token pipe such as make's jobserver, not output. */
        if (!h->write || pp->creator != giver || hold_fd(c, h->pipe, false) >= 0)
            continue;
        bool seen = false;
        for (uint32_t j = 0; j < k; j++)
            seen = seen || (c->holds[j].pipe == h->pipe && c->holds[j].write);
        if (seen)
            continue; /* one check per pipe */

        struct et_pending_pipe_check ch = {.pipe = h->pipe,
                                           .writer = ci,
                                           .giver = giver,
                                           .reader = ET_NO_PROC,
                                           .writer_end_ts = died,
                                           .writer_end = c->exit_rec ? c->exit_rec : m->current,
                                           .inode = pp->inode,
                                           .created = pp->created};
        for (uint32_t e = 0; e < pp->nlog; e++) {
            const struct et_holding *hd = &pp->log[e];
            if (hd->proc == ci || !held_at(hd, died))
                continue;
            if (hd->read && ch.reader == ET_NO_PROC)
                ch.reader = hd->proc;
            if (hd->read) {
                bool known = false;
                for (uint32_t r = 0; r < ch.nreaders; r++)
                    known = known || ch.readers[r] == hd->proc;
                if (!known && ch.nreaders < MAX_HOLDERS)
                    ch.readers[ch.nreaders++] = hd->proc;
            }
            if (!hd->write || !unintended_holder(m, hd->proc, ci, giver, hd->fd))
                continue;
            /* One entry per holder; released when its last copy went. */
            uint32_t i = 0;
            while (i < ch.nholders && ch.holders[i].proc != hd->proc)
                i++;
            if (i == ch.nholders) {
                if (ch.nholders == MAX_HOLDERS)
                    continue;
                ch.nholders++;
                ch.holders[i].proc = hd->proc;
                ch.holders[i].fd = hd->fd;
                ch.holders[i].released = true;
            }
            if (hd->until == 0)
                ch.holders[i].released = false;
            else if (hd->until > ch.holders[i].released_ts)
                ch.holders[i].released_ts = hd->until;
        }
        if (!ch.nholders || ch.reader == ET_NO_PROC)
            continue;
        /* Evidence of the releases already past: the holder's end. */
        for (uint32_t i = 0; i < ch.nholders; i++) {
            const struct et_proc *q = &m->procs[ch.holders[i].proc];
            if (ch.holders[i].released && (q->flags & ET_PF_ENDED) && q->end_ts == ch.holders[i].released_ts)
                ch.holders[i].release = q->exit_rec ? q->exit_rec : q->reap_rec;
        }
        struct et_pending_pipe_check *slot = new_check(rc);
        if (!slot)
            return;
        *slot = ch;
        slot->done = all_released(slot);
    }
}

static void add_reader_evidence(struct et_rule_context *rc, const struct reader_evidence *e)
{
    struct ending_state *st = STATE(rc);
    if (st->nreads == st->reads_cap) {
        size_t cap = st->reads_cap ? st->reads_cap * 2 : 64;
        struct reader_evidence *v = realloc(st->reads, cap * sizeof(*v));
        if (!v) {
            rc->out->out_of_memory = true;
            return;
        }
        st->reads = v;
        st->reads_cap = cap;
    }
    st->reads[st->nreads++] = *e;
    st->reads_sorted = false;
}

static void ending_on_pipe_read(struct et_rule_context *rc, int32_t pi, const struct et_record *r)
{
    if (r->type == ET_REC_PIPE_EOF) {
        const struct et_pipe_eof *b = et_body(r);
        add_reader_evidence(rc, &(struct reader_evidence){b->pipe.inode, pi, r->ts_ns, r->ts_ns, true, r});
        return;
    }
    const struct et_pipe_wait *b = et_body(r);
    struct et_tail tail = et_tail_of(r);
    const struct et_pipe_end *ends = et_tail_array(&tail, b->count, sizeof(*ends));
    for (unsigned i = 0; ends && i < b->count; i++)
        if (ends[i].flags & ET_PIPE_READ)
            add_reader_evidence(rc, &(struct reader_evidence){ends[i].inode, pi, b->began_ns, r->ts_ns, false, r});
}

static int by_inode_then_time(const void *a, const void *b)
{
    const struct reader_evidence *x = a, *y = b;
    if (x->inode != y->inode)
        return x->inode < y->inode ? -1 : 1;
    return x->until < y->until ? -1 : x->until > y->until;
}

/* The evidence about this pipe, in time order: *n entries from the one returned. */
static const struct reader_evidence *reads_of(struct ending_state *st, uint64_t inode, size_t *n)
{
    *n = 0;
    if (st->nreads == 0)
        return NULL;
    if (!st->reads_sorted) {
        qsort(st->reads, st->nreads, sizeof(*st->reads), by_inode_then_time);
        st->reads_sorted = true;
    }
    size_t lo = 0, hi = st->nreads;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->reads[mid].inode < inode)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < st->nreads && st->reads[end].inode == inode)
        end++;
    *n = end - lo;
    return st->reads + lo;
}

/* What the readers of a held pipe were seen doing between the writer's end
 * and the holder's release: the longest wait that lay in it, and the first
 * end-of-file after the writer's end. */
struct held_pipe_evidence {
    const struct reader_evidence *wait; /* waited in (writer_end, until), longest overlap */
    uint64_t overlap;
    const struct reader_evidence *eof;
    const struct et_record *blocked_snapshot; /* a reader seen blocked reading it, live */
    bool reads_recorded; /* every reader records its reads, and lived to return from them */
    int32_t silent;      /* otherwise, the first reader whose waiting cannot be known */
};

/* Was the reader, in its latest snapshot, taken while the pipe was held,
 * blocked reading this pipe's read end? */
static const struct et_record *snapshot_blocked_on(const struct et_proc *p, uint64_t inode, uint64_t from,
                                                   uint64_t until)
{
    const struct et_record *r = p->snap;
    if (!r || r->ts_ns < from || r->ts_ns > until)
        return NULL;
    const struct et_snapshot *b = et_body(r);
    struct et_tail tail = et_tail_of(r);
    const struct et_snapshot_thread *threads = et_tail_array(&tail, b->thread_count, sizeof(*threads));
    const struct et_pipe_end *ends = et_tail_array(&tail, b->pipe_count, sizeof(*ends));
    for (unsigned t = 0; threads && ends && t < b->thread_count; t++) {
        if (threads[t].syscall != ET_SYS_read && threads[t].syscall != ET_SYS_readv)
            continue;
        for (unsigned e = 0; e < b->pipe_count; e++)
            if ((uint64_t)ends[e].fd == threads[t].args[0] && ends[e].inode == inode && (ends[e].flags & ET_PIPE_READ))
                return r;
    }
    return NULL;
}

static void judge_readers(struct et_rule_context *rc, const struct et_pending_pipe_check *ch, uint64_t until,
                          struct held_pipe_evidence *ev)
{
    const struct et_model *m = rc->m;
    memset(ev, 0, sizeof(*ev));
    size_t n;
    const struct reader_evidence *e = reads_of(STATE(rc), ch->inode, &n);
    for (size_t i = 0; i < n; i++) {
        if (e[i].eof) {
            if (!ev->eof && e[i].until >= ch->writer_end_ts)
                ev->eof = &e[i];
            continue;
        }
        uint64_t from = e[i].from > ch->writer_end_ts ? e[i].from : ch->writer_end_ts;
        uint64_t to = e[i].until < until ? e[i].until : until;
        if (to > from && to - from > ev->overlap) {
            ev->overlap = to - from;
            ev->wait = &e[i];
        }
    }
    /* That nobody waited is known only if every holder of the read end
     * records its reads, and lived to return from them. */
    ev->reads_recorded = ch->nreaders > 0;
    ev->silent = ET_NO_PROC;
    for (uint32_t r = 0; r < ch->nreaders; r++) {
        const struct et_proc *p = &m->procs[ch->readers[r]];
        if (!ev->blocked_snapshot)
            ev->blocked_snapshot = snapshot_blocked_on(p, ch->inode, ch->writer_end_ts, until);
        /* A Go program reads without libc, even with the shim loaded (cgo); a
         * read still blocked when its process was killed leaves no record. */
        bool killed_meanwhile = ((p->flags & ET_PF_ENDED) && p->end_how == ET_END_KILLED && p->end_ts <= until) ||
                                (p->flags & ET_PF_END_UNSEEN);
        if ((p->flags & (ET_PF_READS_RECORDED | ET_PF_GO)) != ET_PF_READS_RECORDED || killed_meanwhile) {
            if (ev->reads_recorded)
                ev->silent = ch->readers[r];
            ev->reads_recorded = false;
        }
    }
}

static void report_pipe_findings(struct et_rule_context *rc, struct et_pending_pipe_check *ch)
{
    const struct et_model *m = rc->m;
    uint64_t threshold = rc->th->held_pipe_ns;
    for (uint32_t i = 0; i < ch->nholders; i++) {
        typeof(ch->holders[0]) *h = &ch->holders[i];
        /* The writer's end may be an estimate (its reap): a holder that let
         * go before it is not late at all.  One still holding when the trace
         * ended counts only if that was long enough after. */
        uint64_t until = h->released ? h->released_ts : m->last_ts;
        bool left = !h->released && (m->procs[h->proc].flags & ET_PF_LEFT_RUNNING);
        if (!left && (until <= ch->writer_end_ts || until - ch->writer_end_ts < threshold))
            continue;
        uint64_t late = h->released ? h->released_ts - ch->writer_end_ts : 0;
        char how_long[160];
        if (h->released)
            snprintf(how_long, sizeof(how_long), "for %s more, until %s", DURATION(late), WHEN(m, h->released_ts));
        else
            snprintf(how_long, sizeof(how_long), "until the end of the trace, %s later",
                     DURATION(m->last_ts - ch->writer_end_ts));
        struct et_finding *f;
        const struct et_proc *w = &m->procs[ch->writer];
        struct held_pipe_evidence ev;
        judge_readers(rc, ch, until, &ev);
        /* Harm observed: a reader blocked on the pipe past the writer's end,
         * for as long as the threshold. */
        bool waited = (ev.wait && ev.overlap >= threshold) || ev.blocked_snapshot;
        const char *basis = waited ? "harm observed: a reader was seen waiting for the end-of-file the held write "
                                     "end kept away"
                            : ev.reads_recorded ? "a latent pattern: the reader records its reads, and none waited "
                                                  "on the pipe while the copy was held"
                                                : "harm likely, not confirmed: whether a reader waited is not "
                                                  "recorded";
        char evidence[384];
        if (ev.blocked_snapshot && !(ev.wait && ev.overlap >= threshold)) {
            snprintf(evidence, sizeof(evidence), "%s waited for it: the snapshot at %s shows it blocked reading "
                     "it", LABEL(m, ch->reader), WHEN(m, ev.blocked_snapshot->ts_ns));
        } else if (waited) {
            const char *call = et_syscall_name(((const struct et_pipe_wait *)et_body(ev.wait->r))->call);
            int n = snprintf(evidence, sizeof(evidence), "%s waited for it: its %s, blocked since %s, was still "
                             "waiting %s after %u ended",
                             ev.wait->proc == ch->reader ? "it" : LABEL(m, ev.wait->proc), call ? call : "read",
                             WHEN(m, ev.wait->from), DURATION(ev.overlap), w->pid);
            if (ev.eof && n > 0 && (size_t)n < sizeof(evidence))
                snprintf(evidence + n, sizeof(evidence) - (size_t)n, ", and it saw end-of-file at %s",
                         WHEN(m, ev.eof->until));
        } else if (ev.reads_recorded) {
            if (ch->nreaders == 1)
                snprintf(evidence, sizeof(evidence), "no reader was seen waiting for it (%s records its reads: none "
                         "blocked %s or more meanwhile)", LABEL(m, ch->reader), DURATION(threshold));
            else
                snprintf(evidence, sizeof(evidence), "no reader was seen waiting for it (its %u readers record their "
                         "reads: none blocked %s or more meanwhile)", ch->nreaders, DURATION(threshold));
        } else if (ev.silent != ET_NO_PROC && (m->procs[ev.silent].flags & ET_PF_READS_RECORDED) &&
                   !(m->procs[ev.silent].flags & ET_PF_GO)) {
            bool unseen = m->procs[ev.silent].flags & ET_PF_END_UNSEEN;
            snprintf(evidence, sizeof(evidence), "whether %s waited for it is not known: it %s while the pipe "
                     "was held, and a read it was blocked in then leaves no record", LABEL(m, ev.silent),
                     unseen ? "ended (when is not recorded)" : "was killed");
        } else {
            snprintf(evidence, sizeof(evidence), "whether %s waited for it is not known: its reads are not "
                     "recorded", LABEL(m, ev.silent != ET_NO_PROC ? ev.silent : ch->reader));
        }
        char ended[64];
        snprintf(ended, sizeof(ended), "%s at %s", w->end_how == ET_END_KILLED ? "was killed" : "ended",
                 WHEN(m, ch->writer_end_ts));
        if (h->proc == ch->giver) {
            /* A copy the parent kept harms only a reader that waits. */
            unsigned sev = waited ? ET_SEV_ERROR : ev.reads_recorded ? ET_SEV_INFO : ET_SEV_WARNING;
            f = et_findings_add(rc->out, ET_FK_PARENT_HOLDS_WRITE_END, sev, basis, ch->writer_end_ts, ch->giver,
                    "%s made pipe:[%" PRIu64 "], gave its write end to %s and kept its own copy (fd %d). "
                    "When %u %s, the pipe stayed open %s: %u could not see end-of-file on its own read end; %s",
                    LABEL(m, ch->giver), ch->inode, LABEL(m, ch->writer), h->fd, w->pid, ended, how_long,
                    m->procs[ch->giver].pid, evidence);
        } else {
            bool inherited = et_proc_is_descendant(m, h->proc, ch->writer);
            f = et_findings_add(rc->out, ET_FK_HELD_PIPE, waited ? ET_SEV_ERROR : ET_SEV_WARNING,
                    waited || !ev.reads_recorded ? basis
                                                 : "harm likely under other timing: the pipe was held past its "
                                                   "writer's end, though no reader was seen waiting meanwhile",
                    ch->writer_end_ts, h->proc,
                    "%s made pipe:[%" PRIu64 "] for the output of %s. When %u %s, %s still held the write end "
                    "(fd %d), %s, and kept the pipe open %s: %s, reading it, could see end-of-file %s; %s",
                    LABEL(m, ch->giver), ch->inode, LABEL(m, ch->writer), w->pid, ended, LABEL(m, h->proc), h->fd,
                    inherited ? "inherited from it" : "a copy it was not meant to have", how_long,
                    LABEL(m, ch->reader), h->released ? "only that late" : "never", evidence);
        }
        if (!f)
            return;
        ch->reported = true;
        et_finding_add_proc(f, h->proc == ch->giver ? ch->giver : h->proc);
        et_finding_add_proc(f, ch->writer);
        et_finding_add_proc(f, ch->giver);
        et_finding_add_proc(f, ch->reader);
        et_finding_add_evidence(f, ch->created);
        if (h->proc != ch->giver) {
            const struct et_proc *hp = &m->procs[h->proc];
            et_finding_add_evidence(f, hp->created_by);
        }
        et_finding_add_evidence(f, m->procs[ch->writer].killed_by);
        et_finding_add_evidence(f, ch->writer_end);
        et_finding_add_evidence(f, h->release);
        if (ev.wait && ev.overlap >= threshold)
            et_finding_add_evidence(f, ev.wait->r);
        else if (ev.blocked_snapshot)
            et_finding_add_evidence(f, ev.blocked_snapshot);
        if (ev.eof)
            et_finding_add_evidence(f, ev.eof->r);
    }
}

static void ending_on_write_end_released(struct et_rule_context *rc, int32_t pi, uint32_t pipe, uint64_t ts)
{
    const struct et_model *m = rc->m;
    struct ending_state *st = STATE(rc);
    for (size_t k = 0; k < st->n; k++) {
        struct et_pending_pipe_check *ch = &st->checks[k];
        if (ch->done || ch->pipe != pipe)
            continue;
        for (uint32_t i = 0; i < ch->nholders; i++) {
            if (ch->holders[i].proc == pi && !ch->holders[i].released) {
                ch->holders[i].released = true;
                ch->holders[i].released_ts = ts;
                ch->holders[i].release = m->current;
            }
        }
        ch->done = all_released(ch);
    }
}

/* ---- at the end: zombies, unreaped children, orphans, blind spots ------------------ */

/* When a process stopped running, if the trace says. */
static bool end_known(const struct et_proc *p, uint64_t *ts)
{
    if (!(p->flags & ET_PF_ENDED) || !p->end_ts_exact)
        return false;
    *ts = p->end_ts;
    return true;
}

static bool waits_visible(const struct et_proc *p)
{
    return (p->flags & ET_PF_TRACED) && !(p->flags & (ET_PF_UNTRACED_EXEC | ET_PF_PLACEHOLDER | ET_PF_LAUNCHER));
}

/* A parent stuck reading a pipe that a held copy kept open cannot reap: up
 * to the moment the last holder let go, its child's time as a zombie is a
 * consequence of the pipe, not a reaping bug.  When the pipe was let go. */
static bool pipe_kept_parent_busy(struct et_rule_context *rc, int32_t child, int32_t parent, uint64_t *until)
{
    const struct et_model *m = rc->m;
    const struct ending_state *st = STATE(rc);
    bool found = false;
    for (size_t k = 0; k < st->n; k++) {
        const struct et_pending_pipe_check *ch = &st->checks[k];
        if (ch->writer != child || ch->reader != parent)
            continue;
        for (uint32_t i = 0; i < ch->nholders; i++) {
            uint64_t t = ch->holders[i].released ? ch->holders[i].released_ts : m->last_ts;
            if (!found || t > *until)
                *until = t;
            found = true;
        }
    }
    return found;
}

static void check_zombies(struct et_rule_context *rc)
{
    const struct et_model *m = rc->m;
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct et_proc *c = &m->procs[i];
        uint64_t died;
        if (c->parent == ET_NO_PROC || c->reaped_by_kernel || !end_known(c, &died))
            continue;
        const struct et_proc *p = &m->procs[c->parent];
        if (!waits_visible(p) || (p->flags & ET_PF_SIGCHLD_IGNORED))
            continue;
        uint64_t parent_end = (p->flags & ET_PF_ENDED) ? p->end_ts : m->last_ts;
        if (parent_end < died)
            continue; /* the parent went first: not its zombie */
        if (et_findings_about(rc->out, ET_FK_ZOMBIE, (int32_t)i))
            continue; /* seen as a zombie in a snapshot */
        bool reaped_by_parent = (c->flags & ET_PF_REAPED) && c->reaper == c->parent;
        uint64_t until = reaped_by_parent ? c->reap_ts : parent_end;
        uint64_t busy_until = 0;
        uint64_t from = died;
        if (pipe_kept_parent_busy(rc, (int32_t)i, c->parent, &busy_until) && busy_until > from)
            from = busy_until;
        if (until < from || until - from < rc->th->zombie_ns)
            continue;
        struct et_finding *f;
        if (reaped_by_parent)
            f = et_findings_add(rc->out, ET_FK_ZOMBIE, ET_SEV_WARNING,
                "the preconditions observed: an exited child left unreaped while its parent ran on", died, (int32_t)i,
                    "%s exited at %s and stayed a zombie for %s, until its parent %s reaped it at %s",
                    LABEL(m, (int32_t)i), WHEN(m, died), DURATION(until - died), LABEL(m, c->parent),
                    WHEN(m, c->reap_ts));
        else
            f = et_findings_add(rc->out, ET_FK_ZOMBIE, ET_SEV_WARNING,
                "the preconditions observed: an exited child left unreaped while its parent ran on", died, (int32_t)i,
                    "%s exited at %s and its parent %s never reaped it: it stayed a zombie for %s, until %s",
                    LABEL(m, (int32_t)i), WHEN(m, died), LABEL(m, c->parent), DURATION(until - died),
                    (p->flags & ET_PF_ENDED) ? "its parent ended" : "the end of the trace");
        if (!f)
            return;
        et_finding_add_proc(f, (int32_t)i);
        et_finding_add_proc(f, c->parent);
        et_finding_add_evidence(f, c->created_by);
        et_finding_add_evidence(f, c->exit_rec ? c->exit_rec : c->killed_by);
        et_finding_add_evidence(f, reaped_by_parent ? c->reap_rec : p->exit_rec);
    }
}

static void check_unreaped_at_exit(struct et_rule_context *rc)
{
    const struct et_model *m = rc->m;
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct et_proc *p = &m->procs[i];
        if (p->end_how != ET_END_EXITED || !waits_visible(p) || (p->flags & ET_PF_SIGCHLD_IGNORED))
            continue;
        char list[512] = "";
        size_t used = 0;
        unsigned running = 0, zombies = 0;
        struct et_finding tmp = {0};
        for (int32_t c = p->first_child; c != ET_NO_PROC; c = m->procs[c].next_sibling) {
            const struct et_proc *q = &m->procs[c];
            if (!q->created_by || (q->flags & ET_PF_DETACHED))
                continue;
            /* The middle of a double-fork daemon: it made a session of its
             * own to start the daemon in, and leaves it there on purpose. */
            if ((p->flags & ET_PF_DETACHED) && q->sid == p->pid)
                continue;
            if ((q->flags & ET_PF_REAPED) && q->reaper == (int32_t)i)
                continue;
            if ((q->flags & ET_PF_REAPED) && q->reap_ts <= p->end_ts)
                continue; /* reaped by someone else while p lived: not left to the next reaper */
            bool alive = !(q->flags & ET_PF_ENDED) || q->end_ts > p->end_ts;
            alive ? running++ : zombies++;
            int n = snprintf(list + used, sizeof(list) - used, "%s%s%s", used ? ", " : "", LABEL(m, c),
                             alive ? "" : " (already exited, a zombie)");
            if (n > 0 && (size_t)n < sizeof(list) - used)
                used += (size_t)n;
            et_finding_add_proc(&tmp, c);
            et_finding_add_evidence(&tmp, q->created_by);
        }
        if (!running && !zombies)
            continue;
        struct et_finding *f = et_findings_add(rc->out, ET_FK_UNREAPED_AT_EXIT, ET_SEV_WARNING,
                "the preconditions observed: it exited and left its children's statuses to another reaper", p->end_ts, (int32_t)i,
                                   "%s exited at %s without waiting for %u child%s it started: %s", LABEL(m, (int32_t)i),
                                   WHEN(m, p->end_ts), running + zombies, running + zombies == 1 ? "" : "ren", list);
        if (!f)
            return;
        et_finding_add_proc(f, (int32_t)i);
        for (uint32_t k = 0; k < tmp.nprocs; k++)
            et_finding_add_proc(f, tmp.procs[k]);
        for (uint32_t k = 0; k < tmp.nevidence; k++)
            et_finding_add_evidence(f, tmp.evidence[k]);
        et_finding_add_evidence(f, p->exit_rec);
    }
}

/* Descendants of x that were running when it died and outlived it. */
static void collect_survivors(const struct et_model *m, int32_t x, int32_t root, uint64_t died, uint64_t margin,
                              struct et_finding *tmp, char *list, size_t *used, size_t cap, unsigned *count,
                              unsigned depth)
{
    if (depth > 64)
        return;
    for (int32_t c = m->procs[x].first_child; c != ET_NO_PROC; c = m->procs[c].next_sibling) {
        const struct et_proc *q = &m->procs[c];
        if (q->begin_ts < died && !(q->flags & ET_PF_PLACEHOLDER && !(q->flags & ET_PF_TRACED) && !q->created_by)) {
            bool running = !(q->flags & ET_PF_ENDED);
            uint64_t end = running ? m->last_ts : q->end_ts;
            /* Ended when, the trace does not say: no evidence it outlived x. */
            if (q->flags & ET_PF_END_UNSEEN)
                end = 0;
            /* Still running when the trace stopped: evidence only if that was
             * long enough after, or if exectrace saw it alive at its stop. */
            if (end > died + margin || (running && (q->flags & ET_PF_LEFT_RUNNING))) {
                (*count)++;
                char d[64];
                if (running)
                    snprintf(d, sizeof(d), "still running at the end of the trace, %s later",
                             DURATION(m->last_ts - died));
                else
                    snprintf(d, sizeof(d), "outlived it by %s", DURATION(q->end_ts - died));
                int n = snprintf(list + *used, cap - *used, "%s%s, %s", *used ? "; " : "", LABEL(m, c), d);
                if (n > 0 && (size_t)n < cap - *used)
                    *used += (size_t)n;
                et_finding_add_proc(tmp, c);
                et_finding_add_evidence(tmp, q->created_by);
                et_finding_add_evidence(tmp, et_end_record(q));
            }
        }
        collect_survivors(m, c, root, died, margin, tmp, list, used, cap, count, depth + 1);
    }
}

static void check_orphaned_descendants(struct et_rule_context *rc)
{
    const struct et_model *m = rc->m;
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct et_proc *x = &m->procs[i];
        if (x->end_how != ET_END_KILLED || !(x->flags & ET_PF_ENDED) || x->first_child == ET_NO_PROC)
            continue;
        uint64_t died = x->end_ts;
        char list[768] = "";
        size_t used = 0;
        unsigned count = 0;
        struct et_finding tmp = {0};
        collect_survivors(m, (int32_t)i, (int32_t)i, died, rc->th->orphan_ns, &tmp, list, &used, sizeof(list),
                          &count, 0);
        if (!count)
            continue;
        char sig[32];
        struct et_finding *f = et_findings_add(rc->out, ET_FK_ORPHANED_DESCENDANTS, ET_SEV_WARNING,
                "the preconditions observed: descendants outlived the process that was killed", died, (int32_t)i,
                                   "%s was killed by %s at %s while %u descendant%s lived on: %s",
                                   LABEL(m, (int32_t)i), et_signal_name(x->term_signal, sig, sizeof(sig)),
                                   WHEN(m, died), count, count == 1 ? "" : "s", list);
        if (!f)
            return;
        et_finding_add_proc(f, (int32_t)i);
        for (uint32_t k = 0; k < tmp.nprocs; k++)
            et_finding_add_proc(f, tmp.procs[k]);
        et_finding_add_evidence(f, x->killed_by);
        et_finding_add_evidence(f, x->reap_rec);
        for (uint32_t k = 0; k < tmp.nevidence; k++)
            et_finding_add_evidence(f, tmp.evidence[k]);
    }
}

/* Why a static program went unrecorded: the ptrace recorder was off, and
 * why, or the trace was made without exectrace run. */
static const char *unrecorded_why(const struct et_model *m, const struct et_proc *p, char *buf, size_t len)
{
    const struct et_record *said = p->recorder_refusal ? p->recorder_refusal : m->recorder;
    if (!said) {
        snprintf(buf, len, "the trace was made without the ptrace recorder of `exectrace run`");
        return buf;
    }
    const struct et_recorder *b = et_body(said);
    if (b->state == ET_RECORDER_ON && !b->err) {
        snprintf(buf, len, "the ptrace recorder was on, but follows neither a set-id program nor a process that "
                           "ends before its new program's first system call");
        return buf;
    }
    struct et_tail tail = et_tail_of(said);
    const char *why = NULL;
    uint16_t n = 0;
    et_tail_str(&tail, &why, &n);
    /* The file's bytes: no control character reaches a terminal. */
    char text[200];
    size_t k = 0;
    for (; why && k < n && k + 1 < sizeof(text); k++)
        text[k] = (unsigned char)why[k] < 0x20 || why[k] == 0x7f ? '?' : why[k];
    text[k] = 0;
    snprintf(buf, len, "the ptrace recorder %s: %s", b->state == ET_RECORDER_ON ? "could not follow it" : "was off",
             k ? text : "no reason recorded");
    return buf;
}

/* A child that wrote records of its own: what shows its parent was there.
 * (In a snapshot of a tree exectrace did not start, none did.) */
static int32_t traced_child(const struct et_model *m, const struct et_proc *p)
{
    for (int32_t c = p->first_child; c != ET_NO_PROC; c = m->procs[c].next_sibling)
        if (m->procs[c].flags & ET_PF_TRACED)
            return c;
    return ET_NO_PROC;
}

static void check_untraced(struct et_rule_context *rc)
{
    const struct et_model *m = rc->m;
    char why[320];
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct et_proc *p = &m->procs[i];
        struct et_finding *f = NULL;
        if (p->flags & ET_PF_UNTRACED_EXEC) {
            const char *exe = p->last_image && p->last_image->exe ? p->last_image->exe : "?";
            f = et_findings_add(rc->out, ET_FK_UNTRACED, ET_SEV_INFO,
                "a blind spot of the trace, not a bug", p->pending_exec->ts_ns, (int32_t)i,
                    "%s exec'd %s, which did not load the shim (%s): its own calls are not in the trace; %s",
                    LABEL(m, (int32_t)i), exe,
                    (p->flags & ET_PF_SETID_EXEC) ? "a set-user-ID or set-group-ID program"
                                                  : "a static binary, a set-id program, or the process died at once",
                    unrecorded_why(m, p, why, sizeof(why)));
            if (f)
                et_finding_add_evidence(f, p->pending_exec);
        } else if (!(p->flags & (ET_PF_TRACED | ET_PF_LAUNCHER)) && p->created_by) {
            f = et_findings_add(rc->out, ET_FK_UNTRACED, ET_SEV_INFO,
                "a blind spot of the trace, not a bug", p->begin_ts, (int32_t)i,
                    "%s, started by %s at %s, wrote no records: the program does not load the shim (a static "
                    "binary or a set-id program); %s",
                    LABEL(m, (int32_t)i), LABEL(m, p->parent), WHEN(m, p->begin_ts),
                    unrecorded_why(m, p, why, sizeof(why)));
            if (f)
                et_finding_add_evidence(f, p->created_by);
        } else if (!(p->flags & (ET_PF_TRACED | ET_PF_LAUNCHER | ET_PF_BEFORE_HISTORY)) &&
                   traced_child(m, p) != ET_NO_PROC) {
            /* (A process from before a ring's complete history may have
             * written records that were overwritten.) */
            f = et_findings_add(rc->out, ET_FK_UNTRACED, ET_SEV_INFO,
                "a blind spot of the trace, not a bug", p->begin_ts, (int32_t)i,
                    "pid %u, the parent of %s, is not traced: it does not load the shim (a static binary, such as a "
                    "Go program), so only its traced children show what it did; %s",
                    p->pid, LABEL(m, traced_child(m, p)), unrecorded_why(m, p, why, sizeof(why)));
        }
        if (!f)
            continue;
        et_finding_add_proc(f, (int32_t)i);
        if (m->recorder)
            et_finding_add_evidence(f, m->recorder);
        if (rc->out->out_of_memory)
            return;
    }
}

static void ending_on_end(struct et_rule_context *rc)
{
    struct ending_state *st = STATE(rc);
    for (size_t k = 0; k < st->n; k++) {
        st->checks[k].done = true;
        report_pipe_findings(rc, &st->checks[k]);
    }
    check_zombies(rc);
    check_unreaped_at_exit(rc);
    check_orphaned_descendants(rc);
    check_untraced(rc);
}

static void ending_free(void *state)
{
    free(((struct ending_state *)state)->checks);
    free(((struct ending_state *)state)->reads);
}

const struct et_rule et_rules_ending = {
    .name = "ending",
    .state_size = sizeof(struct ending_state),
    .on_process_end = ending_on_process_end,
    .on_write_end_released = ending_on_write_end_released,
    .on_pipe_read = ending_on_pipe_read,
    .on_end = ending_on_end,
    .free_state = ending_free,
};
