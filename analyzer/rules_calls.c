/*
 * Rules that judge a call when it is made: a pipe end left open across
 * exec (fd-leak-exec), a signal to a reaped pid, racing a wait, or to a
 * whole group by mistake (kill-after-reap, kill-wait-race, kill-broadcast),
 * a wait that got ECHILD (echild).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "names.h"
#include "rules_common.h"

/* ---- fd-leak-exec --------------------------------------------------------------- */

/* GNU make hands its jobserver pipe to every recipe on purpose. */
static bool made_by_make(const struct et_model *m, int32_t creator)
{
    if (creator == ET_NO_PROC)
        return false;
    const char *cmd = et_proc_command(&m->procs[creator]);
    const char *word_end = cmd + strcspn(cmd, " ");
    const char *base = cmd;
    for (const char *c = cmd; c < word_end; c++)
        if (*c == '/')
            base = c + 1;
    size_t len = (size_t)(word_end - base);
    return (len == 4 && strncmp(base, "make", 4) == 0) || (len == 5 && strncmp(base, "gmake", 5) == 0);
}

static void calls_on_start(struct et_rule_context *rc, int32_t pi, const struct et_record *r)
{
    const struct et_model *m = rc->m;
    const struct et_image_start *b = et_body(r);
    if (b->origin != ET_ORIGIN_EXEC)
        return;
    struct et_tail tail = et_tail_of(r);
    const struct et_pipe_end *ends = et_tail_array(&tail, b->pipe_count, sizeof(*ends));
    char fds[256] = "";
    size_t used = 0;
    int32_t creator = ET_NO_PROC;
    const struct et_record *created = NULL;
    for (unsigned i = 0; ends && i < b->pipe_count; i++) {
        if (ends[i].fd < 3)
            continue;
        long pi_pipe = et_procmap_get(&m->pipe_by_inode, 0, ends[i].inode);
        if (pi_pipe < 0)
            continue;
        const struct et_model_pipe *pp = &m->pipes[pi_pipe];
        /* Only pipes made inside the traced tree: what the tree was started
         * with is its caller's business. */
        if (pp->creator == ET_NO_PROC || made_by_make(m, pp->creator))
            continue;
        int n = snprintf(fds + used, sizeof(fds) - used, "%s%d (pipe:[%" PRIu64 "] %s end)", used ? ", " : "",
                         ends[i].fd, ends[i].inode, (ends[i].flags & ET_PIPE_WRITE) ? "write" : "read");
        if (n > 0 && (size_t)n < sizeof(fds) - used)
            used += (size_t)n;
        if (creator == ET_NO_PROC) {
            creator = pp->creator;
            created = pp->created;
        }
    }
    if (!used)
        return;
    struct et_finding *f = et_findings_add(rc->out, ET_FK_FD_LEAK_EXEC, ET_SEV_INFO,
        "a latent pattern: the leaked end did no harm observed in this run", r->ts_ns, pi,
                               "%s started with pipe ends it did not ask for, left open across exec: fd %s",
                               LABEL(m, pi), fds);
    if (!f)
        return;
    et_finding_add_proc(f, pi);
    et_finding_add_proc(f, creator);
    et_finding_add_evidence(f, created);
    et_finding_add_evidence(f, r);
}

/* ---- signals: kill-after-reap, kill-wait-race, kill-broadcast -------------------- */

static bool wait_can_reap(const struct et_model *m, const struct et_record *enter, const struct et_proc *child)
{
    const struct et_wait_enter *w = et_body(enter);
    /* WNOWAIT leaves the child a zombie: its pid stays taken (the fix this
     * finding recommends). */
    if (w->options & WNOWAIT)
        return false;
    if (w->kind == ET_WAIT_WAITID) {
        switch (w->idtype) {
        case P_ALL:
            return true;
        case P_PID:
            return (uint32_t)w->id == child->pid;
        case P_PGID:
            return w->id == 0 || (uint32_t)w->id == child->pgid;
        default:
            return true; /* P_PIDFD: which pid is not recorded; assume it may */
        }
    }
    if (w->kind == ET_WAIT_WAIT || w->kind == ET_WAIT_WAIT3 || w->id == -1)
        return true;
    if (w->id > 0)
        return (uint32_t)w->id == child->pid;
    (void)m;
    return w->id == 0 || 0u - (uint32_t)w->id == child->pgid;
}

static void check_kill_after_reap(struct et_rule_context *rc, int32_t pi, const struct et_record *r,
                                  const struct et_signal *b)
{
    const struct et_model *m = rc->m;
    /* A pidfd names a process, not a number: it cannot reach a newcomer. */
    if (b->target <= 0 || b->kind == ET_SIGNAL_KILLPG || b->kind == ET_SIGNAL_PIDFD_SEND_SIGNAL)
        return;
    long reaped = et_procmap_get(&m->reaped_by_pid, (uint32_t)b->target, 0);
    if (reaped < 0)
        return;
    const struct et_proc *old = &m->procs[reaped];
    if (old->reap_ts > r->ts_ns || (int32_t)reaped == pi)
        return;
    long cur = et_procmap_get(&m->by_pid, (uint32_t)b->target, 0);
    bool reused = cur >= 0 && cur != reaped && m->procs[cur].begin_ts >= old->reap_ts &&
                  m->procs[cur].begin_ts <= r->ts_ns;
    /* The sender's own new child, which fork handed the old number: the
     * sender means this one. */
    if (reused && m->procs[cur].parent == pi && m->procs[cur].created_by)
        return;
    char sig[32];
    const char *signame = b->sig ? et_signal_name(b->sig, sig, sizeof(sig)) : "signal 0";
    const char *who = old->reaped_by_kernel ? "the kernel (SIGCHLD ignored)" : LABEL(m, old->reaper);
    char outcome[320];
    if (reused)
        snprintf(outcome, sizeof(outcome), "the pid now belonged to %s, which %s", LABEL(m, (int32_t)cur),
                 b->result == 0 ? "received it" : "it did not reach");
    else if (b->result != 0 && r->err == ESRCH)
        snprintf(outcome, sizeof(outcome), "it failed with ESRCH: no process had the pid yet");
    else
        snprintf(outcome, sizeof(outcome), "%s", b->result == 0 ? "some process with that pid received it"
                                                                : "it failed");
    struct et_finding *f = et_findings_add(rc->out, ET_FK_KILL_AFTER_REAP, ET_SEV_ERROR,
        "harm observed: the signal went to a pid that had already been reaped", r->ts_ns, pi,
                               "%s sent %s to pid %d at %s, %s after %s had been reaped by %s; %s",
                               LABEL(m, pi), signame, b->target, WHEN(m, r->ts_ns),
                               DURATION(r->ts_ns - old->reap_ts), LABEL(m, (int32_t)reaped), who, outcome);
    if (!f)
        return;
    et_finding_add_proc(f, pi);
    et_finding_add_proc(f, (int32_t)reaped);
    if (reused)
        et_finding_add_proc(f, (int32_t)cur);
    et_finding_add_evidence(f, et_end_record(old));
    et_finding_add_evidence(f, old->reap_rec);
    if (reused)
        et_finding_add_evidence(f, m->procs[cur].created_by);
    et_finding_add_evidence(f, r);
}

static void check_kill_wait_race(struct et_rule_context *rc, int32_t pi, const struct et_record *r,
                                 const struct et_signal *b)
{
    const struct et_model *m = rc->m;
    if (b->sig == 0 || b->kind == ET_SIGNAL_KILLPG || b->kind == ET_SIGNAL_PIDFD_SEND_SIGNAL || b->target <= 0)
        return;
    long ci = et_procmap_get(&m->by_pid, (uint32_t)b->target, 0);
    if (ci < 0 || m->procs[ci].parent != pi)
        return;
    const struct et_proc *p = &m->procs[pi];
    for (uint32_t k = 0; k < p->nwaits; k++) {
        const struct et_wait_call *w = &p->waits[k];
        if (w->tid == r->tid || !wait_can_reap(m, w->enter, &m->procs[ci]))
            continue;
        char sig[32];
        struct et_finding *f =
            et_findings_add(rc->out, ET_FK_KILL_WAIT_RACE, ET_SEV_WARNING,
                "the race's preconditions observed: a signal and a wait that can reap its target, at once; it did not bite in this run", r->ts_ns, pi,
                "%s %u of %s sent %s to its child %s at %s while thread %u was in %s since %s, able to reap "
                "it: had the child exited first, the signal could have reached a recycled pid",
                r->tid == m->procs[pi].pid ? "the main thread," : "thread", r->tid, LABEL(m, pi), et_signal_name(b->sig, sig, sizeof(sig)), LABEL(m, (int32_t)ci),
                WHEN(m, r->ts_ns), w->tid, et_wait_kind_name(((const struct et_wait_enter *)et_body(w->enter))->kind),
                WHEN(m, w->enter->ts_ns));
        if (!f)
            return;
        et_finding_add_proc(f, pi);
        et_finding_add_proc(f, (int32_t)ci);
        et_finding_add_evidence(f, w->enter);
        et_finding_add_evidence(f, r);
        return;
    }
}

static void check_kill_broadcast(struct et_rule_context *rc, int32_t pi, const struct et_record *r,
                                 const struct et_signal *b)
{
    const struct et_model *m = rc->m;
    if (b->sig == 0 || b->kind == ET_SIGNAL_PIDFD_SEND_SIGNAL || b->kind == ET_SIGNAL_TGKILL)
        return;
    char sig[32];
    const char *signame = et_signal_name(b->sig, sig, sizeof(sig));
    if (b->target == -1 && b->kind != ET_SIGNAL_KILLPG) {
        struct et_finding *f = et_findings_add(rc->out, ET_FK_KILL_BROADCAST, ET_SEV_WARNING,
            "the signal's reach observed to include processes the sender did not start; what it did to them depends on the signal", r->ts_ns, pi,
                                   "%s sent %s to every process it may signal: kill(-1, %s)", LABEL(m, pi), signame,
                                   signame);
        if (f) {
            et_finding_add_proc(f, pi);
            et_finding_add_evidence(f, r);
        }
        return;
    }
    uint32_t group;
    if (b->kind == ET_SIGNAL_KILLPG)
        group = b->target > 0 ? (uint32_t)b->target : m->procs[pi].pgid;
    else if (b->target == 0)
        group = m->procs[pi].pgid;
    else if (b->target < -1)
        group = 0u - (uint32_t)b->target; /* INT32_MIN negates without overflow */
    else
        return;
    if (!group)
        return;
    /* Who else is in the group: anyone neither the sender nor started by it. */
    char outsiders[512] = "";
    size_t used = 0;
    int32_t first = ET_NO_PROC;
    unsigned count = 0;
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct et_proc *q = &m->procs[i];
        if ((int32_t)i == pi || (q->flags & (ET_PF_ENDED | ET_PF_PLACEHOLDER)) || q->pgid != group ||
            et_proc_is_descendant(m, (int32_t)i, pi))
            continue;
        count++;
        if (first == ET_NO_PROC)
            first = (int32_t)i;
        const char *rel = (int32_t)i == m->procs[pi].parent ? "its parent "
                          : (m->procs[i].flags & ET_PF_LAUNCHER) ? ""
                          : et_proc_is_descendant(m, pi, (int32_t)i) ? "its ancestor "
                                                                       : "";
        int n = snprintf(outsiders + used, sizeof(outsiders) - used, "%s%s%s", used ? ", " : "", rel,
                         LABEL(m, (int32_t)i));
        if (n > 0 && (size_t)n < sizeof(outsiders) - used)
            used += (size_t)n;
    }
    if (!count)
        return;
    struct et_finding *f =
        et_findings_add(rc->out, ET_FK_KILL_BROADCAST, ET_SEV_WARNING,
            "the signal's reach observed to include processes the sender did not start; what it did to them depends on the signal", r->ts_ns, pi,
            "%s sent %s to process group %u, which also held %u process%s it did not start: %s", LABEL(m, pi),
            signame, group, count, count == 1 ? "" : "es", outsiders);
    if (!f)
        return;
    et_finding_add_proc(f, pi);
    et_finding_add_proc(f, first);
    et_finding_add_evidence(f, r);
}

static void calls_on_signal(struct et_rule_context *rc, int32_t pi, const struct et_record *r)
{
    const struct et_signal *b = et_body(r);
    check_kill_after_reap(rc, pi, r, b);
    check_kill_wait_race(rc, pi, r, b);
    check_kill_broadcast(rc, pi, r, b);
}

/* ---- echild ---------------------------------------------------------------------- */

/* Was the child reaped by a wait that asked for it by pid?  Then its status
 * went to code that wanted it: a second wait failing is a mistake, but the
 * status is not lost to the program. */
static bool waited_for_it(const struct et_proc *c)
{
    if (!c->reap_enter)
        return false;
    const struct et_wait_enter *w = et_body(c->reap_enter);
    if (w->kind == ET_WAIT_WAITID)
        return w->idtype == P_PID && w->id == (int64_t)c->pid;
    return (w->kind == ET_WAIT_WAITPID || w->kind == ET_WAIT_WAIT4) && w->id == (int64_t)c->pid;
}
#define SPECIFIC_NOTE(m, c) (waited_for_it(c) ? ": that wait had the status" : "")

static void calls_on_wait_return(struct et_rule_context *rc, int32_t pi, const struct et_record *r, const struct et_record *enter)
{
    const struct et_model *m = rc->m;
    if (r->err != ECHILD || !enter)
        return;
    const struct et_proc *p = &m->procs[pi];
    const struct et_wait_enter *w = et_body(enter);
    bool specific = w->kind == ET_WAIT_WAITID ? w->idtype == P_PID
                                              : (w->kind == ET_WAIT_WAITPID || w->kind == ET_WAIT_WAIT4) && w->id > 0;
    int32_t child = ET_NO_PROC;
    if (specific) {
        long c = et_procmap_get(&m->reaped_by_pid, (uint32_t)w->id, 0);
        if (c < 0)
            c = et_procmap_get(&m->by_pid, (uint32_t)w->id, 0);
        if (c < 0 || m->procs[c].parent != pi || !m->procs[c].created_by)
            return; /* not a child this process started, as far as the trace shows */
        child = (int32_t)c;
    } else {
        /* wait(-1) answering ECHILD is how a loop learns it is done; only a
         * lost status is worth a word. */
        if (!(p->flags & ET_PF_SIGCHLD_IGNORED))
            return;
        for (int32_t c = p->first_child; c != ET_NO_PROC; c = m->procs[c].next_sibling)
            if (m->procs[c].created_by && m->procs[c].reaped_by_kernel)
                child = c;
        if (child == ET_NO_PROC)
            return;
    }

    const struct et_proc *c = &m->procs[child];
    char why[512];
    const struct et_record *cause = NULL;
    bool lost = true; /* the trace shows where the status went */
    if (c->reaped_by_kernel || ((p->flags & ET_PF_SIGCHLD_IGNORED) && !(c->flags & ET_PF_REAPED))) {
        snprintf(why, sizeof(why),
                 "SIGCHLD is ignored (SIG_IGN or SA_NOCLDWAIT) in %s, so the kernel reaps its children itself",
                 LABEL(m, pi));
        cause = p->sigchld_rec;
    } else if ((c->flags & ET_PF_REAPED) && c->reaper == pi && c->reap_rec && c->reap_rec->tid != r->tid) {
        snprintf(why, sizeof(why), "thread %u of the same process had already reaped it at %s (a double wait)%s",
                 c->reap_rec->tid, WHEN(m, c->reap_ts), SPECIFIC_NOTE(m, c));
        cause = c->reap_rec;
        lost = !waited_for_it(c);
    } else if ((c->flags & ET_PF_REAPED) && c->reaper == pi) {
        if (waited_for_it(c))
            snprintf(why, sizeof(why), "an earlier wait for it by pid in the same thread had already reaped it at %s "
                     "(a second wait)%s", WHEN(m, c->reap_ts), SPECIFIC_NOTE(m, c));
        else
            snprintf(why, sizeof(why), "an earlier wait for any child in the same thread (a SIGCHLD handler, or a "
                     "reaping loop) had already reaped it at %s", WHEN(m, c->reap_ts));
        cause = c->reap_rec;
        lost = !waited_for_it(c);
    } else {
        snprintf(why, sizeof(why), "something exectrace does not see reaped it (a wait inside a library, or an "
                                   "untraced part of the process)");
        lost = false;
    }
    struct et_finding *f = et_findings_add(rc->out, ET_FK_ECHILD, lost ? ET_SEV_ERROR : ET_SEV_WARNING,
                               lost ? "harm observed: the status this wait asked for was taken by a wait for any "
                                      "child, or discarded by the kernel"
                                    : "the wait failed, but its status was not lost: another wait for this child "
                                      "took it, or what took it is not in the trace",
                               r->ts_ns, pi,
                               "%s waited for its child %s and got ECHILD at %s: %s", LABEL(m, pi), LABEL(m, child),
                               WHEN(m, r->ts_ns), why);
    if (!f)
        return;
    et_finding_add_proc(f, pi);
    et_finding_add_proc(f, child);
    et_finding_add_evidence(f, c->created_by);
    et_finding_add_evidence(f, cause);
    et_finding_add_evidence(f, enter);
    et_finding_add_evidence(f, r);
}


const struct et_rule et_rules_calls = {
    .name = "calls",
    .on_start = calls_on_start,
    .on_signal = calls_on_signal,
    .on_wait_return = calls_on_wait_return,
};
