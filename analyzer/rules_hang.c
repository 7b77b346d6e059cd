/*
 * Rules over a snapshot of the live tree: who is blocked on whom.
 *
 * The wait-for graph: a process blocked reading a pipe waits for every
 * holder of its write end; one blocked in a wait, for the children it waits
 * on; one blocked writing a full pipe, for the holders of its read end.  A
 * process idle in epoll, poll or futex that holds a pipe's read end is
 * counted as its reader, with less confidence: Go and Node read pipes that
 * way.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "names.h"
#include "rules_common.h"

#define CHAIN_MAX 6
/* A zombie at a snapshot, whose parent is not in a wait for it, is
 * reported once it has been one this long. */
#define LIVE_ZOMBIE_NS 100000000ull

/* One process's state in the latest snapshot. */
struct live {
    int32_t proc;
    const struct et_record *rec;
    const struct et_snapshot *b;
    const struct et_snapshot_thread *threads;
    const struct et_pipe_end *pipes;
};

struct graph {
    const struct et_model *m;
    struct et_rule_context *rc;
    struct live *v;
    size_t n;
};

static bool load(const struct et_model *m, int32_t i, struct live *l)
{
    const struct et_proc *p = &m->procs[i];
    if (!p->snap)
        return false;
    const struct et_snapshot *b = et_body(p->snap);
    if (b->snapshot != m->snapshot)
        return false;
    struct et_tail tail = et_tail_of(p->snap);
    l->proc = i;
    l->rec = p->snap;
    l->b = b;
    l->threads = et_tail_array(&tail, b->thread_count, sizeof(struct et_snapshot_thread));
    l->pipes = et_tail_array(&tail, b->pipe_count, sizeof(struct et_pipe_end));
    return l->threads && l->pipes;
}

static const struct et_pipe_end *pipe_at(const struct live *l, int fd)
{
    for (unsigned k = 0; k < l->b->pipe_count; k++)
        if (l->pipes[k].fd == fd)
            return &l->pipes[k];
    return NULL;
}

/* The fd through which l holds an end of the pipe, or -1. */
static int holds(const struct live *l, uint64_t inode, uint32_t end)
{
    for (unsigned k = 0; k < l->b->pipe_count; k++)
        if (l->pipes[k].inode == inode && (l->pipes[k].flags & end))
            return l->pipes[k].fd;
    return -1;
}

static bool is_read(int nr)
{
    return nr == ET_SYS_read || nr == ET_SYS_readv || nr == ET_SYS_pread64;
}

static bool is_write(int nr)
{
    return nr == ET_SYS_write || nr == ET_SYS_writev || nr == ET_SYS_pwrite64;
}

static bool is_wait(int nr)
{
    return nr == ET_SYS_wait4 || nr == ET_SYS_waitid;
}

/* Idle in an event loop: a pipe it holds the read end of may be what it
 * waits for. */
static bool is_idle_poll(int nr)
{
    return nr == ET_SYS_epoll_wait || nr == ET_SYS_epoll_pwait || nr == ET_SYS_poll || nr == ET_SYS_ppoll ||
           nr == ET_SYS_select || nr == ET_SYS_pselect6 || nr == ET_SYS_futex
           || nr == ET_SYS_epoll_pwait2;
}

/* Could this wait, blocked with these arguments, reap child c? */
static bool wait_targets(const struct et_snapshot_thread *t, const struct et_proc *c)
{
    if (t->syscall == ET_SYS_wait4) {
        int32_t pid = (int32_t)t->args[0];
        return pid == -1 || (pid > 0 && (uint32_t)pid == c->pid) || (pid == 0) || (pid < -1 && 0u - (uint32_t)pid == c->pgid);
    }
    int idtype = (int)t->args[0];
    uint32_t id = (uint32_t)t->args[1];
    return idtype == P_ALL || (idtype == P_PID && id == c->pid) || (idtype == P_PGID && (id == 0 || id == c->pgid)) ||
           idtype == P_PIDFD;
}



/* "read(fd 3, pipe:[4711] read end)" */
static void describe_call(const struct live *l, const struct et_snapshot_thread *t, char *buf, size_t len)
{
    const char *name = et_syscall_name(t->syscall);
    if (t->syscall == ET_SYSCALL_RUNNING) {
        snprintf(buf, len, "running");
        return;
    }
    if (t->syscall == ET_SYSCALL_UNKNOWN) {
        snprintf(buf, len, "in an unknown state");
        return;
    }
    if (is_read(t->syscall) || is_write(t->syscall)) {
        const struct et_pipe_end *e = pipe_at(l, (int)t->args[0]);
        if (e) {
            snprintf(buf, len, "%s(fd %d, pipe:[%" PRIu64 "] %s end)", name, e->fd, e->inode,
                     (e->flags & ET_PIPE_WRITE) && !(e->flags & ET_PIPE_READ) ? "write" : "read");
            return;
        }
        snprintf(buf, len, "%s(fd %d)", name, (int)t->args[0]);
        return;
    }
    if (t->syscall == ET_SYS_wait4) {
        snprintf(buf, len, "wait4(%d)", (int)t->args[0]);
        return;
    }
    if (t->syscall == ET_SYS_waitid) {
        snprintf(buf, len, "waitid(%s, %d)", et_idtype_name((int)t->args[0]), (int)t->args[1]);
        return;
    }
    if (name)
        snprintf(buf, len, "%s", name);
    else
        snprintf(buf, len, "system call %d", t->syscall);
}

/* The thread that shows what the process is blocked in: the first one in
 * a system call of interest, else the first. */
static const struct et_snapshot_thread *main_block(const struct live *l)
{
    for (unsigned k = 0; k < l->b->thread_count; k++) {
        int nr = l->threads[k].syscall;
        if (is_read(nr) || is_write(nr) || is_wait(nr))
            return &l->threads[k];
    }
    return l->b->thread_count ? &l->threads[0] : NULL;
}

/* A finding about `subject`, from this snapshot. */
#define ADD(g, kind, severity, basis, subject, ...) \
    et_findings_add((g)->rc->out, (kind), (severity), (basis), (g)->m->snapshot_ts, (subject), __VA_ARGS__)

#define DEADLOCK_BASIS "harm observed: the snapshot shows the processes blocked on each other"

static int32_t pipe_creator(const struct et_model *m, uint64_t inode, const struct et_record **created);

/* How a process came to hold a pipe end, in words, from the trace. */
static void how_it_got_it(const struct graph *g, int32_t holder, int32_t reader, uint64_t inode, int fd, char *buf,
                          size_t len)
{
    const struct et_model *m = g->m;
    const struct et_record *created;
    if (pipe_creator(m, inode, &created) == holder) {
        snprintf(buf, len, "made the pipe and kept its write end (fd %d)", fd);
        return;
    }
    const struct et_proc *h = &m->procs[holder];
    /* Its ancestors up to the reader: the child of the reader it descends
     * from is the one the pipe was given to. */
    int32_t via = ET_NO_PROC;
    for (int32_t a = h->parent, steps = 0; a != ET_NO_PROC && steps < 64; a = m->procs[a].parent, steps++) {
        if (m->procs[a].parent == reader) {
            via = a;
            break;
        }
    }
    if (via != ET_NO_PROC) {
        const struct et_proc *v = &m->procs[via];
        char ended[96] = "";
        if (v->flags & ET_PF_ENDED)
            snprintf(ended, sizeof(ended), ", which %s at %s", v->end_how == ET_END_KILLED ? "was killed" : "ended",
                     WHEN(m, v->end_ts));
        snprintf(buf, len, "inherited it (fd %d) from %s%s", fd, LABEL(g->m, via), ended);
    } else if (fd >= 3) {
        snprintf(buf, len, "holds a copy at fd %d it was not meant to have", fd);
    } else {
        snprintf(buf, len, "holds it at fd %d", fd);
    }
}

static int32_t pipe_creator(const struct et_model *m, uint64_t inode, const struct et_record **created)
{
    long i = et_procmap_get(&m->pipe_by_inode, 0, inode);
    if (i >= 0 && !m->pipes[i].free) {
        *created = m->pipes[i].created;
        return m->pipes[i].creator;
    }
    *created = NULL;
    return ET_NO_PROC;
}

/* ---- a reader that can never see end-of-file ------------------------------------- */

/* r waits for end-of-file on `end` (idle: it holds it and sits in an event
 * loop).  Who holds the write end? */
static void check_pipe_reader(struct graph *g, const struct live *r, const struct et_snapshot_thread *t,
                              const struct et_pipe_end *end, bool idle)
{
    const struct et_model *m = g->m;
    uint64_t inode = end->inode;
    const struct et_record *created;
    pipe_creator(m, inode, &created);

    int self = holds(r, inode, ET_PIPE_WRITE);
    if (self >= 0) {
        if (idle)
            return; /* an event loop's own self-pipe, most likely */
        struct et_finding *f = ADD(g, ET_FK_SELF_HELD_PIPE, ET_SEV_ERROR,
            "harm observed: the snapshot shows it blocked on a pipe that only its own copy keeps open", r->proc,
                                   "%s is blocked reading pipe:[%" PRIu64 "] (fd %d) whose write end it holds itself "
                                   "(fd %d): the read can never see end-of-file",
                                   LABEL(g->m, r->proc), inode, end->fd, self);
        if (f) {
            et_finding_add_proc(f, r->proc);
            et_finding_add_evidence(f, created);
            et_finding_add_evidence(f, r->rec);
        }
        return;
    }

    /* The reader's own parent holds the write end (its stdin, say) and is
     * waiting for the reader to exit: a deadlock, in the read direction. */
    int32_t parent = m->procs[r->proc].parent;
    for (size_t i = 0; parent != ET_NO_PROC && !idle && i < g->n; i++) {
        const struct live *h = &g->v[i];
        if (h->proc != parent || holds(h, inode, ET_PIPE_WRITE) < 0)
            continue;
        for (unsigned k = 0; k < h->b->thread_count; k++) {
            if (!is_wait(h->threads[k].syscall) || !wait_targets(&h->threads[k], &m->procs[r->proc]))
                continue;
            char rcall[160], wcall[160];
            describe_call(r, t, rcall, sizeof(rcall));
            describe_call(h, &h->threads[k], wcall, sizeof(wcall));
            struct et_finding *f = ADD(
                g, ET_FK_PIPE_DEADLOCK, ET_SEV_ERROR, DEADLOCK_BASIS, h->proc,
                "%s is blocked in %s, waiting for %s to exit; %s is blocked in %s, waiting for end-of-file, which "
                "only comes when %u closes its write end of pipe:[%" PRIu64 "] (fd %d). Neither can go on",
                LABEL(g->m, h->proc), wcall, LABEL(g->m, r->proc), LABEL(g->m, r->proc), rcall, m->procs[h->proc].pid, inode,
                holds(h, inode, ET_PIPE_WRITE));
            if (f) {
                et_finding_add_proc(f, h->proc);
                et_finding_add_proc(f, r->proc);
                et_finding_add_evidence(f, created);
                et_finding_add_evidence(f, h->rec);
                et_finding_add_evidence(f, r->rec);
            }
            return;
        }
    }

    /* Is any holder the child the pipe was meant for (a child of the
     * reader, writing to its stdout or stderr)?  Then the pipe is in use. */
    char holders[768] = "";
    size_t used = 0;
    unsigned count = 0;
    struct et_finding tmp = {0};
    for (size_t i = 0; i < g->n; i++) {
        const struct live *h = &g->v[i];
        int fd = holds(h, inode, ET_PIPE_WRITE);
        if (h == r || fd < 0)
            continue;
        if (m->procs[h->proc].parent == r->proc && fd <= 2 && h->b->state != 'Z')
            return;
        char how[320];
        how_it_got_it(g, h->proc, r->proc, inode, fd, how, sizeof(how));
        const struct et_snapshot_thread *ht = main_block(h);
        char doing[160] = "";
        if (ht)
            describe_call(h, ht, doing, sizeof(doing));
        int n = snprintf(holders + used, sizeof(holders) - used, "%s%s, which %s, and is %s%s", used ? "; " : "",
                         LABEL(g->m, h->proc), how, ht && ht->syscall >= 0 ? "in " : "", doing);
        if (n > 0 && (size_t)n < sizeof(holders) - used)
            used += (size_t)n;
        count++;
        et_finding_add_proc(&tmp, h->proc);
        et_finding_add_evidence(&tmp, h->rec);
        et_finding_add_evidence(&tmp, m->procs[h->proc].created_by);
    }
    if (!count)
        return;
    char call[160];
    describe_call(r, t, call, sizeof(call));
    struct et_finding *f = ADD(
        g, ET_FK_BLOCKED_ON_HELD_PIPE, ET_SEV_ERROR,
        "harm observed: the snapshot shows the reader blocked on a pipe that only others' copies keep open", r->proc,
        "%s is %s %s%s waiting for end-of-file on pipe:[%" PRIu64 "], but its write end is held only by %s it "
        "did not give it to: %s%s",
        LABEL(g->m, r->proc), idle ? "idle in" : "blocked in", call, idle ? ", holding the read end and likely" : "",
        inode, count == 1 ? "a process" : "processes", holders,
        idle ? " (likely, not certain: an idle event loop is how Go and Node wait for a pipe)" : "");
    if (!f)
        return;
    et_finding_add_proc(f, r->proc);
    for (uint32_t i = 0; i < tmp.nprocs; i++)
        et_finding_add_proc(f, tmp.procs[i]);
    et_finding_add_evidence(f, created);
    for (uint32_t i = 0; i < tmp.nevidence; i++)
        et_finding_add_evidence(f, tmp.evidence[i]);
    et_finding_add_evidence(f, r->rec);
}

static void check_reader(struct graph *g, const struct live *r, const struct et_snapshot_thread *t)
{
    const struct et_pipe_end *end = pipe_at(r, (int)t->args[0]);
    if (end && (end->flags & ET_PIPE_READ))
        check_pipe_reader(g, r, t, end, false);
}

static void check_idle_reader(struct graph *g, const struct live *r)
{
    for (unsigned k = 0; k < r->b->pipe_count; k++)
        if (r->pipes[k].flags & ET_PIPE_READ)
            check_pipe_reader(g, r, &r->threads[0], &r->pipes[k], true);
}

/* ---- a writer blocked on a full pipe that its waiting parent would read --------- */

static const struct live *live_of(const struct graph *g, int32_t proc)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->v[i].proc == proc)
            return &g->v[i];
    return NULL;
}

/* Is l blocked in a wait that can reap child c? */
static bool waits_for(const struct graph *g, const struct live *l, int32_t c)
{
    if (g->m->procs[c].parent != l->proc)
        return false;
    for (unsigned k = 0; k < l->b->thread_count; k++)
        if (is_wait(l->threads[k].syscall) && wait_targets(&l->threads[k], &g->m->procs[c]))
            return true;
    return false;
}

/* The child of `reader` that its wait t is waiting for, on the way down to
 * the writer w: w itself, or an ancestor of w whose descendants down to w
 * each wait for the next (a shell between the waiter and the command that
 * writes).  ET_NO_PROC when the wait is not on that way. */
static int32_t waited_towards(const struct graph *g, const struct live *reader, const struct et_snapshot_thread *t,
                              int32_t w)
{
    int32_t cur = w;
    for (int depth = 0; cur != ET_NO_PROC && depth < CHAIN_MAX; depth++) {
        const struct et_proc *c = &g->m->procs[cur];
        if (c->parent == reader->proc)
            return wait_targets(t, c) ? cur : ET_NO_PROC;
        const struct live *up = c->parent == ET_NO_PROC ? NULL : live_of(g, c->parent);
        if (!up || !waits_for(g, up, cur))
            return ET_NO_PROC;
        cur = c->parent;
    }
    return ET_NO_PROC;
}

static bool check_writer(struct graph *g, const struct live *w, const struct et_snapshot_thread *t)
{
    const struct et_model *m = g->m;
    const struct et_pipe_end *end = pipe_at(w, (int)t->args[0]);
    if (!end || !(end->flags & ET_PIPE_WRITE))
        return false;
    /* Every reader must be waiting for the writer to exit instead of
     * reading (or for a process that waits for the writer): otherwise the
     * pipe will drain. */
    const struct live *waiter = NULL;
    const struct et_snapshot_thread *waiting = NULL;
    int32_t awaited = ET_NO_PROC;
    for (size_t i = 0; i < g->n; i++) {
        const struct live *rd = &g->v[i];
        if (rd == w || holds(rd, end->inode, ET_PIPE_READ) < 0)
            continue;
        const struct et_snapshot_thread *wt = NULL;
        int32_t child = ET_NO_PROC;
        /* A thread asleep in poll, select or epoll is not reading it: the
         * pipe is full, hence readable, and a poll that watched it would
         * have returned.  (Go's runtime keeps one such thread, whether or
         * not a goroutine reads.) */
        for (unsigned k = 0; k < rd->b->thread_count; k++) {
            int nr = rd->threads[k].syscall;
            if (is_read(nr))
                return false; /* someone may read */
            int32_t c = is_wait(nr) ? waited_towards(g, rd, &rd->threads[k], w->proc) : ET_NO_PROC;
            if (c != ET_NO_PROC) {
                wt = &rd->threads[k];
                child = c;
            }
        }
        if (!wt)
            return false;
        waiter = rd;
        waiting = wt;
        awaited = child;
    }
    if (!waiter)
        return false;
    char wcall[160], rcall[160];
    describe_call(w, t, wcall, sizeof(wcall));
    describe_call(waiter, waiting, rcall, sizeof(rcall));
    /* "X to exit" or "X to exit, which waits for Y, ...": who stands
     * between the waiter and the writer. */
    char between[512];
    size_t used = (size_t)snprintf(between, sizeof(between), "%s to exit", LABEL(g->m, awaited));
    int32_t via[CHAIN_MAX];
    int nvia = 0;
    for (int32_t c = w->proc; c != awaited && c != ET_NO_PROC && nvia < CHAIN_MAX; c = m->procs[c].parent)
        via[nvia++] = c;
    for (int k = nvia; k-- > 0 && used < sizeof(between);)
        used += (size_t)snprintf(between + used, sizeof(between) - used, ", which waits for %s",
                                 LABEL(g->m, via[k]));
    const struct et_record *created;
    pipe_creator(m, end->inode, &created);
    struct et_finding *f =
        ADD(g, ET_FK_PIPE_DEADLOCK, ET_SEV_ERROR, DEADLOCK_BASIS, waiter->proc,
            "%s is blocked in %s, waiting for %s; %s is blocked in %s: pipe:[%" PRIu64 "] is full, and "
            "the only process that would read it is waiting instead of reading. Neither can go on",
            LABEL(g->m, waiter->proc), rcall, between, LABEL(g->m, w->proc), wcall, end->inode);
    if (!f)
        return true;
    et_finding_add_proc(f, waiter->proc);
    et_finding_add_proc(f, w->proc);
    for (int k = 1; k < nvia; k++)
        et_finding_add_proc(f, via[k]);
    if (awaited != w->proc)
        et_finding_add_proc(f, awaited);
    et_finding_add_evidence(f, created);
    for (uint32_t k = 0; k < m->procs[waiter->proc].nwaits; k++)
        if ((int32_t)m->procs[waiter->proc].waits[k].tid == waiting->tid)
            et_finding_add_evidence(f, m->procs[waiter->proc].waits[k].enter);
    et_finding_add_evidence(f, waiter->rec);
    et_finding_add_evidence(f, w->rec);
    return true;
}

/* ---- a wait on a child that is itself stuck ---------------------------------------- */

static bool blocked(const struct live *l)
{
    const struct et_snapshot_thread *t = main_block(l);
    return t && t->syscall >= 0 && (l->b->state == 'S' || l->b->state == 'D');
}

/* "X (state S, in read(...)) -> Y (state S, in clock_nanosleep)": what waits
 * on what, until a process that waits on nothing of the tree, or a process
 * seen before (a cycle).  False when the chain ends at a running process:
 * then nothing is stuck. */
static bool chain(const struct graph *g, const struct live *l, char *buf, size_t len, const struct live **seen,
                  unsigned depth)
{
    const struct et_snapshot_thread *t = main_block(l);
    char call[160] = "";
    if (t)
        describe_call(l, t, call, sizeof(call));
    char state = l->b->state >= 'A' && l->b->state <= 'z' ? (char)l->b->state : '?';
    size_t used = strlen(buf);
    for (unsigned k = 0; k < depth; k++) {
        if (seen[k] == l) {
            snprintf(buf + used, len - used, " -> back to %s: a cycle", LABEL(g->m, l->proc));
            return true;
        }
    }
    snprintf(buf + used, len - used, "%s%s (state %c%s%s)", depth ? " -> " : "", LABEL(g->m, l->proc), state,
             call[0] && t->syscall >= 0 ? ", in " : "", t && t->syscall >= 0 ? call : "");
    /* Running, or sleeping on a clock: it will get on by itself. */
    if (!blocked(l) || t->syscall == ET_SYS_nanosleep || t->syscall == ET_SYS_clock_nanosleep)
        return false;
    if (depth >= CHAIN_MAX)
        return true;
    seen[depth] = l;
    if (is_read(t->syscall)) {
        const struct et_pipe_end *e = pipe_at(l, (int)t->args[0]);
        for (size_t i = 0; e && i < g->n; i++)
            if (&g->v[i] != l && holds(&g->v[i], e->inode, ET_PIPE_WRITE) >= 0)
                return chain(g, &g->v[i], buf, len, seen, depth + 1);
    } else if (is_write(t->syscall)) {
        const struct et_pipe_end *e = pipe_at(l, (int)t->args[0]);
        for (size_t i = 0; e && i < g->n; i++)
            if (&g->v[i] != l && holds(&g->v[i], e->inode, ET_PIPE_READ) >= 0)
                return chain(g, &g->v[i], buf, len, seen, depth + 1);
    } else if (is_wait(t->syscall)) {
        for (size_t i = 0; i < g->n; i++)
            if (g->m->procs[g->v[i].proc].parent == l->proc && wait_targets(t, &g->m->procs[g->v[i].proc]) &&
                g->v[i].b->state != 'Z')
                return chain(g, &g->v[i], buf, len, seen, depth + 1);
    }
    return true; /* blocked on something outside the tree: a dead end */
}

/* Is this process's parent blocked in a wait that can reap it?  Then the
 * parent's stuck-wait tells the whole chain. */
static bool awaited_by_parent(const struct graph *g, const struct live *p)
{
    int32_t parent = g->m->procs[p->proc].parent;
    for (size_t i = 0; parent != ET_NO_PROC && i < g->n; i++) {
        const struct live *q = &g->v[i];
        if (q->proc != parent)
            continue;
        for (unsigned k = 0; k < q->b->thread_count; k++)
            if (is_wait(q->threads[k].syscall) && wait_targets(&q->threads[k], &g->m->procs[p->proc]))
                return true;
    }
    return false;
}


static void check_wait(struct graph *g, const struct live *p, const struct et_snapshot_thread *t)
{
    const struct et_model *m = g->m;
    if (et_findings_about(g->rc->out, ET_FK_PIPE_DEADLOCK, p->proc) || awaited_by_parent(g, p))
        return;
    /* How long, from the wait's entry record when the waiter is traced.  No
     * threshold: the snapshot was taken because the run was declared hung. */
    const struct et_record *enter = NULL;
    const struct et_proc *pp = &m->procs[p->proc];
    for (uint32_t k = 0; k < pp->nwaits; k++)
        if ((int32_t)pp->waits[k].tid == t->tid)
            enter = pp->waits[k].enter;
    for (size_t i = 0; i < g->n; i++) {
        const struct live *c = &g->v[i];
        if (m->procs[c->proc].parent != p->proc || !wait_targets(t, &m->procs[c->proc]) || !blocked(c))
            continue;
        char path[1024] = "";
        const struct live *seen[CHAIN_MAX + 1] = {p};
        if (!chain(g, c, path, sizeof(path), seen + 1, 0))
            return; /* it ends at a running process: slow, not stuck */
        char call[160], since[112] = "";
        describe_call(p, t, call, sizeof(call));
        if (enter)
            snprintf(since, sizeof(since), "for %s, since %s", ET_DURATION(m->snapshot_ts - enter->ts_ns),
                     WHEN(m, enter->ts_ns));
        else if (pp->flags & ET_PF_TRACED)
            snprintf(since, sizeof(since), "since before the trace began");
        else
            snprintf(since, sizeof(since), "since before the snapshot (it is not traced: how long is unknown)");
        struct et_finding *f = ADD(g, ET_FK_STUCK_WAIT, ET_SEV_WARNING,
                                   "the snapshot shows the wait on a child that is itself stuck: whether it ends is not known", p->proc,
                                   "%s has been in %s %s, on a child that is itself stuck: %s", LABEL(g->m, p->proc),
                                   call, since, path);
        if (!f)
            return;
        et_finding_add_proc(f, p->proc);
        et_finding_add_proc(f, c->proc);
        et_finding_add_evidence(f, enter);
        et_finding_add_evidence(f, p->rec);
        et_finding_add_evidence(f, c->rec);
        return;
    }
}

/* ---- a zombie right now ----------------------------------------------------------------- */

static void check_live_zombie(struct graph *g, const struct live *z)
{
    const struct et_model *m = g->m;
    if (et_findings_involving(g->rc->out, ET_FK_ZOMBIE, z->proc))
        return; /* already told from the trace */
    const struct et_proc *p = &m->procs[z->proc];
    /* Its parent now is the kernel's (it may have been reparented): that one
     * must be alive, not a zombie itself, and not exectrace, which reaps at
     * once. */
    const struct live *kp = NULL;
    for (size_t i = 0; i < g->n; i++)
        if (m->procs[g->v[i].proc].pid == z->b->ppid)
            kp = &g->v[i];
    if (!kp || kp->b->state == 'Z' || (m->procs[kp->proc].flags & (ET_PF_LAUNCHER | ET_PF_ENDED)))
        return;
    int32_t parent = kp->proc;
    /* A parent stuck on a pipe cannot reap: that is already the finding. */
    const struct et_findings *found = g->rc->out;
    if (et_findings_about(found, ET_FK_BLOCKED_ON_HELD_PIPE, parent) ||
        et_findings_about(found, ET_FK_PIPE_DEADLOCK, parent) || et_findings_about(found, ET_FK_SELF_HELD_PIPE, parent))
        return;
    /* A parent blocked in a wait for it is about to reap it. */
    for (unsigned k = 0; k < kp->b->thread_count; k++)
        if (is_wait(kp->threads[k].syscall) && wait_targets(&kp->threads[k], p))
            return;
    char since[112];
    if (p->flags & ET_PF_ENDED) {
        /* How long it has been a zombie.  The snapshot shows the parent is
         * not reaping it, so a tenth of a second is enough (less, when
         * --zombie-ms says so): a reap still to come would have come. */
        uint64_t enough = g->rc->th->zombie_ns < LIVE_ZOMBIE_NS ? g->rc->th->zombie_ns : LIVE_ZOMBIE_NS;
        if (p->end_ts > m->snapshot_ts || m->snapshot_ts - p->end_ts < enough)
            return;
        snprintf(since, sizeof(since), "for %s, since it %s at %s", ET_DURATION(m->snapshot_ts - p->end_ts),
                 p->end_how == ET_END_KILLED ? "was killed" : "exited", WHEN(m, p->end_ts));
    } else {
        /* Not traced: how long is unknown. */
        snprintf(since, sizeof(since), "(since when is not recorded)");
    }
    struct et_finding *f =
        ADD(g, ET_FK_ZOMBIE, ET_SEV_WARNING,
            "the snapshot shows an exited child its parent is not reaping", z->proc, "%s is a zombie at the snapshot %s: its parent %s has "
                                                             "not reaped it",
            LABEL(g->m, z->proc), since, LABEL(g->m, parent));
    if (!f)
        return;
    et_finding_add_proc(f, z->proc);
    et_finding_add_proc(f, parent);
    et_finding_add_evidence(f, p->exit_rec);
    et_finding_add_evidence(f, z->rec);
}

static void hang_on_snapshot(struct et_rule_context *rc)
{
    const struct et_model *m = rc->m;
    struct graph g = {m, rc, calloc(m->nprocs ? m->nprocs : 1, sizeof(struct live)), 0};
    if (!g.v) {
        rc->out->out_of_memory = true;
        return;
    }
    for (size_t i = 0; i < m->nprocs; i++)
        if (load(m, (int32_t)i, &g.v[g.n]))
            g.n++;

    /* Deadlocks first: a wait they explain is not reported again. */
    bool *explained = calloc(g.n ? g.n : 1, sizeof(bool));
    if (!explained) {
        free(g.v);
        rc->out->out_of_memory = true;
        return;
    }
    for (size_t i = 0; i < g.n; i++) {
        const struct live *l = &g.v[i];
        for (unsigned k = 0; k < l->b->thread_count; k++) {
            const struct et_snapshot_thread *t = &l->threads[k];
            if (is_write(t->syscall) && check_writer(&g, l, t)) {
                for (size_t j = 0; j < g.n; j++)
                    if (g.v[j].proc == m->procs[l->proc].parent)
                        explained[j] = true;
            }
        }
    }
    /* Readers next (held pipes, deadlocks in the read direction), then the
     * waits that none of those explains, then zombies. */
    for (size_t i = 0; i < g.n; i++) {
        const struct live *l = &g.v[i];
        if (l->b->state == 'Z')
            continue;
        bool read_blocked = false;
        for (unsigned k = 0; k < l->b->thread_count; k++) {
            if (is_read(l->threads[k].syscall)) {
                check_reader(&g, l, &l->threads[k]);
                read_blocked = true;
            }
        }
        /* An event loop with every thread idle: count it as the reader of
         * the pipes it holds. */
        if (!read_blocked && l->b->thread_count) {
            bool all_idle = true;
            for (unsigned k = 0; k < l->b->thread_count; k++)
                all_idle = all_idle && is_idle_poll(l->threads[k].syscall);
            if (all_idle)
                check_idle_reader(&g, l);
        }
    }
    for (size_t i = 0; i < g.n; i++) {
        const struct live *l = &g.v[i];
        if (l->b->state == 'Z' || explained[i])
            continue;
        for (unsigned k = 0; k < l->b->thread_count; k++)
            if (is_wait(l->threads[k].syscall))
                check_wait(&g, l, &l->threads[k]);
    }
    for (size_t i = 0; i < g.n; i++)
        if (g.v[i].b->state == 'Z')
            check_live_zombie(&g, &g.v[i]);
    free(explained);
    free(g.v);
}

/* A snapshot that ends the trace: judged after what the trace itself says
 * (this rule comes last in the table), so a zombie is told with the time
 * the trace knows it exited. */
static void hang_on_end(struct et_rule_context *rc)
{
    if (rc->m->snapshot && !rc->m->snapshot_told)
        hang_on_snapshot(rc);
}

const struct et_rule et_rules_hang = {
    .name = "hang",
    .on_snapshot = hang_on_snapshot,
    .on_end = hang_on_end,
};
