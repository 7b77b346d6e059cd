#define _GNU_SOURCE
#include "model.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "decode.h"
#include "output.h"

#define COMMAND_MAX 200

/* A transition, told to the observer if it listens for it. */
#define TELL(m, hook, ...)                                              \
    do {                                                                \
        if ((m)->observer && (m)->observer->hook)                       \
            (m)->observer->hook((m)->observer_ctx, __VA_ARGS__);        \
    } while (0)
#define TELL0(m, hook)                                                  \
    do {                                                                \
        if ((m)->observer && (m)->observer->hook)                       \
            (m)->observer->hook((m)->observer_ctx);                     \
    } while (0)
#define ET_FORGOTTEN_PIPES 4096

/* ---- processes ---------------------------------------------------------- */

/* Grows an array to hold `need` elements, starting at `first`: most
 * processes hold a few pipe ends, most pipes have a few holders. */
static void *grow(void *v, size_t *cap, size_t need, size_t elem, size_t first, bool *oom)
{
    if (need <= *cap)
        return v;
    size_t n = *cap ? *cap * 2 : first;
    while (n < need)
        n *= 2;
    void *p = realloc(v, n * elem);
    if (!p) {
        *oom = true;
        return NULL;
    }
    memset((char *)p + *cap * elem, 0, (n - *cap) * elem);
    *cap = n;
    return p;
}

static int32_t proc_new(struct et_model *m, uint32_t pid, uint64_t start_time, uint32_t flags, uint64_t ts)
{
    struct et_proc *v = grow(m->procs, &m->procs_cap, m->nprocs + 1, sizeof(*v), 64, &m->out_of_memory);
    if (!v)
        return ET_NO_PROC;
    m->procs = v;
    int32_t i = (int32_t)m->nprocs++;
    struct et_proc *p = &m->procs[i];
    memset(p, 0, sizeof(*p));
    p->pid = pid;
    p->start_time = start_time;
    p->flags = flags;
    p->parent = p->first_child = p->last_child = p->next_sibling = ET_NO_PROC;
    p->reaper = p->adopter = ET_NO_PROC;
    p->begin_ts = ts;
    p->last_ts = ts;
    int inserted;
    if (!(flags & ET_PF_PLACEHOLDER) &&
        et_procmap_get_or_put(&m->by_identity, pid, start_time, (uint32_t)i, &inserted) < 0)
        m->out_of_memory = true;
    /* The newest process with a pid is what that pid means from now on. */
    if (et_procmap_get_or_put(&m->by_pid, pid, 0, (uint32_t)i, &inserted) < 0)
        m->out_of_memory = true;
    else if (!inserted)
        et_procmap_set(&m->by_pid, pid, 0, (uint32_t)i);
    return i;
}

static void link_child(struct et_model *m, int32_t parent, int32_t child)
{
    struct et_proc *c = &m->procs[child];
    if (c->parent != ET_NO_PROC || parent == child || parent == ET_NO_PROC)
        return;
    c->parent = parent;
    struct et_proc *p = &m->procs[parent];
    if (p->last_child == ET_NO_PROC)
        p->first_child = child;
    else
        m->procs[p->last_child].next_sibling = child;
    p->last_child = child;
}

/* The process a pid stands for now: the newest one seen with it. */
static int32_t current_by_pid(const struct et_model *m, uint32_t pid)
{
    long i = et_procmap_get(&m->by_pid, pid, 0);
    return i < 0 ? ET_NO_PROC : (int32_t)i;
}

static void mark_before_history(struct et_model *m, int32_t pi);

/* A wrapped ring's launcher, its start overwritten: the header names it. */
static void recognise_launcher(struct et_model *m, int32_t pi)
{
    const struct et_file_header *h = m->trace ? m->trace->hdr : NULL;
    struct et_proc *p = &m->procs[pi];
    /* A placeholder (no start time) with its pid is it too: the launcher
     * outlives everything of its tree, so its pid is not reused meanwhile. */
    if (h && h->launcher_pid && p->pid == h->launcher_pid &&
        (p->start_time == h->launcher_start_time || !p->start_time)) {
        p->flags |= ET_PF_LAUNCHER;
        m->launcher = pi;
    }
}

/* The process that wrote a record.  A placeholder made for this pid (its
 * parent recorded creating it, or it is someone's parent) becomes it. */
static int32_t proc_of_record(struct et_model *m, const struct et_record *r)
{
    size_t slot = r->pid % (sizeof(m->identity_cache) / sizeof(m->identity_cache[0]));
    if (m->identity_cache[slot].index != ET_NO_PROC && m->identity_cache[slot].pid == r->pid &&
        m->identity_cache[slot].start_time == r->start_time)
        return m->identity_cache[slot].index;
    long i = et_procmap_get(&m->by_identity, r->pid, r->start_time);
    if (i >= 0) {
        m->identity_cache[slot].pid = r->pid;
        m->identity_cache[slot].start_time = r->start_time;
        m->identity_cache[slot].index = (int32_t)i;
        return (int32_t)i;
    }
    int32_t cur = current_by_pid(m, r->pid);
    if (cur != ET_NO_PROC && (m->procs[cur].flags & ET_PF_PLACEHOLDER) && !(m->procs[cur].flags & ET_PF_ENDED)) {
        struct et_proc *p = &m->procs[cur];
        p->start_time = r->start_time;
        p->flags &= ~(uint32_t)ET_PF_PLACEHOLDER;
        int inserted;
        if (et_procmap_get_or_put(&m->by_identity, r->pid, r->start_time, (uint32_t)cur, &inserted) < 0)
            m->out_of_memory = true;
        if (m->history_from_ns)
            recognise_launcher(m, cur);
        return cur;
    }
    int32_t pi = proc_new(m, r->pid, r->start_time, 0, r->ts_ns);
    if (pi != ET_NO_PROC && m->history_from_ns && r->type != ET_REC_IMAGE_START)
        mark_before_history(m, pi);
    return pi;
}

const char *et_proc_command(const struct et_proc *p)
{
    return p->last_image && p->last_image->command ? p->last_image->command : "?";
}

/* "1234 (sleep 3)": the program's name without its directory, and the
 * command line cut short, so that messages stay readable. */
const char *et_proc_label(const struct et_model *m, int32_t index, char *buf, size_t len)
{
    if (index == ET_NO_PROC) {
        snprintf(buf, len, "?");
        return buf;
    }
    const struct et_proc *p = &m->procs[index];
    if (p->flags & ET_PF_LAUNCHER) {
        snprintf(buf, len, "%u (exectrace)", p->pid);
        return buf;
    }
    const char *cmd = et_proc_command(p);
    size_t word = strcspn(cmd, " ");
    const char *base = cmd;
    for (const char *c = cmd; c < cmd + word; c++)
        if (*c == '/')
            base = c + 1;
    const int max = 48;
    int n = (int)strlen(base);
    snprintf(buf, len, "%u (%.*s%s)", p->pid, n > max ? max - 3 : n, base, n > max ? "..." : "");
    return buf;
}

bool et_proc_is_descendant(const struct et_model *m, int32_t index, int32_t ancestor)
{
    /* Bounded: a damaged trace must not send this round a cycle forever. */
    for (size_t steps = 0; index != ET_NO_PROC && steps <= m->nprocs; steps++) {
        index = m->procs[index].parent;
        if (index == ancestor)
            return true;
    }
    return false;
}

int32_t et_proc_unseen_reaper(const struct et_model *m, int32_t index)
{
    const struct et_proc *p = &m->procs[index];
    /* Before a ring's complete history, its reap may be in what was
     * overwritten: nobody is named. */
    if (!(p->flags & ET_PF_END_UNSEEN) || p->parent == ET_NO_PROC || (p->flags & ET_PF_BEFORE_HISTORY))
        return ET_NO_PROC;
    const struct et_proc *q = &m->procs[p->parent];
    bool untraced = !(q->flags & ET_PF_TRACED) || (q->flags & (ET_PF_UNTRACED_EXEC | ET_PF_SETID_EXEC));
    return untraced ? p->parent : ET_NO_PROC;
}

/* "sleep 3", quoted where needed, at most COMMAND_MAX bytes. */
static char *join_argv(struct et_tail *tail, unsigned count)
{
    char buf[COMMAND_MAX + 8];
    size_t used = 0;
    for (unsigned i = 0; i < count && used < COMMAND_MAX; i++) {
        const char *s;
        uint16_t len;
        if (!et_tail_str(tail, &s, &len))
            break;
        bool quote = len == 0 || memchr(s, ' ', len) || memchr(s, '\t', len);
        int n = snprintf(buf + used, sizeof(buf) - used, "%s%s%.*s%s", i ? " " : "", quote ? "'" : "", (int)len, s,
                         quote ? "'" : "");
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (used > COMMAND_MAX) {
        used = COMMAND_MAX;
        memcpy(buf + used - 3, "...", 3);
    }
    buf[used < sizeof(buf) ? used : sizeof(buf) - 1] = 0;
    return strdup(buf);
}

static void add_image(struct et_model *m, struct et_proc *p, uint64_t ts, char *command, const char *exe,
                      size_t exe_len)
{
    /* Control bytes would garble a report line (a command name from a
     * snapshot, say). */
    for (char *c = command; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    struct et_image *img = calloc(1, sizeof(*img));
    if (!img) {
        free(command);
        m->out_of_memory = true;
        return;
    }
    img->ts = ts;
    img->command = command;
    img->exe = exe ? strndup(exe, exe_len) : NULL;
    for (char *c = img->exe; c && *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    if (p->last_image)
        p->last_image->next = img;
    else
        p->images = img;
    p->last_image = img;
}

/* ---- a wrapped ring's processes that started before its history --------------- */

/* The note of a process, or (start_time 0) the newest with its pid; NULL
 * when there is none. */
static struct et_identity_note *note_find(struct et_model *m, uint32_t pid, uint64_t start_time)
{
    long i = start_time ? et_procmap_get(&m->note_by_identity, pid, start_time) : et_procmap_get(&m->note_by_pid, pid, 0);
    return i >= 0 ? &m->notes[i] : NULL;
}

static struct et_identity_note *note_for(struct et_model *m, uint32_t pid, uint64_t start_time)
{
    struct et_identity_note *found = note_find(m, pid, start_time);
    if (found)
        return found;
    struct et_identity_note *v = grow(m->notes, &m->notes_cap, m->nnotes + 1, sizeof(*v), 64, &m->out_of_memory);
    if (!v)
        return NULL;
    m->notes = v;
    uint32_t k = (uint32_t)m->nnotes++;
    memset(&m->notes[k], 0, sizeof(m->notes[k]));
    m->notes[k].pid = pid;
    m->notes[k].start_time = start_time;
    int inserted;
    if (et_procmap_get_or_put(&m->note_by_identity, pid, start_time, k, &inserted) < 0 ||
        et_procmap_get_or_put(&m->note_by_pid, pid, 0, k, &inserted) < 0)
        m->out_of_memory = true;
    else if (!inserted)
        et_procmap_set(&m->note_by_pid, pid, 0, k);
    return &m->notes[k];
}

static void note_command(struct et_identity_note *n, char *command, const char *exe, size_t exe_len)
{
    if (!command)
        return;
    free(n->command);
    free(n->exe);
    n->command = command;
    n->exe = exe && exe_len ? strndup(exe, exe_len) : NULL;
}

/* A record from before the complete history: only who its process was. */
static void note_identity(struct et_model *m, const struct et_record *r)
{
    m->records_before_history++;
    if (!m->first_ts_before_history || r->ts_ns < m->first_ts_before_history)
        m->first_ts_before_history = r->ts_ns;
    if (r->type != ET_REC_IMAGE_START && r->type != ET_REC_SNAPSHOT)
        return;
    struct et_identity_note *n = note_for(m, r->pid, r->start_time);
    if (!n)
        return;
    struct et_tail tail = et_tail_of(r);
    const char *exe;
    uint16_t exe_len;
    if (r->type == ET_REC_IMAGE_START) {
        const struct et_image_start *b = et_body(r);
        n->ppid = b->ppid;
        n->pgid = b->pgid;
        n->sid = b->sid;
        et_tail_array(&tail, b->pipe_count, sizeof(struct et_pipe_end));
        et_tail_str(&tail, &exe, &exe_len);
        if (b->origin == ET_ORIGIN_EXEC || b->origin == ET_ORIGIN_LAUNCHER) {
            n->go = b->flags & ET_START_GO;
            note_command(n, join_argv(&tail, b->argv_count), exe, exe_len);
        } else if (!n->command) {
            /* A fork child runs its parent's program. */
            const struct et_identity_note *parent = note_find(m, b->ppid, 0);
            if (parent && parent->command) {
                n = note_for(m, r->pid, r->start_time); /* the table may have moved */
                note_command(n, strdup(parent->command), parent->exe, parent->exe ? strlen(parent->exe) : 0);
            }
        }
        return;
    }
    const struct et_snapshot *b = et_body(r);
    n->ppid = b->ppid;
    n->pgid = b->pgid;
    n->sid = b->sid;
    n->command_proc = b->flags & ET_SNAP_COMMAND_PROC;
    if (!(b->flags & ET_SNAP_HAS_COMMAND))
        return;
    et_tail_array(&tail, b->thread_count, sizeof(struct et_snapshot_thread));
    et_tail_array(&tail, b->pipe_count, sizeof(struct et_pipe_end));
    const char *s;
    uint16_t len;
    et_tail_str(&tail, &s, &len); /* comm */
    for (unsigned k = 0; k < b->thread_count; k++)
        et_tail_str(&tail, &s, &len);
    if (et_tail_str(&tail, &exe, &exe_len) && b->argv_count)
        note_command(n, join_argv(&tail, b->argv_count), exe, exe_len);
}

void et_model_prime(struct et_model *m, struct et_trace *t)
{
    if (!m->history_from_ns || m->history_from_ns == UINT64_MAX)
        return;
    struct et_procmap started, checkpointed; /* (pid, start) -> 1; -> index of its earliest checkpoint */
    et_procmap_init(&started);
    et_procmap_init(&checkpointed);
    const struct et_record **found = NULL;
    size_t nfound = 0, cap = 0;
    bool counted = t->counted;
    t->counted = true; /* not a pass: nothing is counted twice */
    uint32_t next = 0;
    struct et_run_cursor c;
    while (et_trace_next_run(t, &next, &c)) {
        const struct et_record *r;
        while ((r = et_run_next(t, &c)) != NULL) {
            if (r->ts_ns < m->history_from_ns)
                continue;
            int inserted;
            if (r->type == ET_REC_IMAGE_START) {
                if (et_procmap_get_or_put(&started, r->pid, r->start_time, 1, &inserted) < 0)
                    m->out_of_memory = true;
                continue;
            }
            if (r->type != ET_REC_SNAPSHOT)
                continue;
            const struct et_snapshot *b = et_body(r);
            if (b->reason != ET_SNAP_CHECKPOINT || !(b->flags & ET_SNAP_HAS_COMMAND))
                continue;
            long k = et_procmap_get(&checkpointed, r->pid, r->start_time);
            if (k >= 0) {
                if (r->ts_ns < found[k]->ts_ns)
                    found[k] = r; /* the one nearest the history's start */
                continue;
            }
            if (nfound == cap) {
                cap = cap ? cap * 2 : 64;
                const struct et_record **v = realloc(found, cap * sizeof(*v));
                if (!v) {
                    m->out_of_memory = true;
                    break;
                }
                found = v;
            }
            found[nfound] = r;
            if (et_procmap_get_or_put(&checkpointed, r->pid, r->start_time, (uint32_t)nfound++, &inserted) < 0)
                m->out_of_memory = true;
        }
    }
    t->counted = counted;
    for (size_t i = 0; i < nfound && !m->out_of_memory; i++)
        if (et_procmap_get(&started, found[i]->pid, found[i]->start_time) < 0 &&
            !note_find(m, found[i]->pid, found[i]->start_time)) {
            note_identity(m, found[i]);
            m->records_before_history--; /* a note, not a record before the history */
        }
    free(found);
    et_procmap_free(&started);
    et_procmap_free(&checkpointed);
}

/* A process of a wrapped ring whose start the trace no longer holds: who
 * it was, as far as the notes say, and its parents likewise. */
static void mark_before_history(struct et_model *m, int32_t pi)
{
    for (int depth = 0; depth < 64 && pi != ET_NO_PROC; depth++) {
        struct et_proc *p = &m->procs[pi];
        if (p->flags & ET_PF_BEFORE_HISTORY)
            return;
        p->flags |= ET_PF_BEFORE_HISTORY;
        recognise_launcher(m, pi);
        const struct et_identity_note *n = note_find(m, p->pid, p->start_time);
        if (!n)
            return;
        if (n->command_proc && m->command == ET_NO_PROC) {
            p->flags |= ET_PF_COMMAND;
            m->command = pi;
        }
        if (n->go)
            p->flags |= ET_PF_GO;
        p->ppid = n->ppid;
        if (!p->pgid) {
            p->pgid = n->pgid;
            p->sid = n->sid;
        }
        if (n->command && !p->last_image) {
            char *command = strdup(n->command);
            if (command)
                add_image(m, p, p->begin_ts, command, n->exe, n->exe ? strlen(n->exe) : 0);
        }
        if (p->parent != ET_NO_PROC || n->ppid <= 1 || (p->flags & ET_PF_LAUNCHER))
            return;
        int32_t parent = current_by_pid(m, n->ppid);
        bool made = parent == ET_NO_PROC;
        if (made)
            parent = proc_new(m, n->ppid, 0, ET_PF_PLACEHOLDER, m->procs[pi].begin_ts);
        if (parent == ET_NO_PROC || parent == pi)
            return;
        link_child(m, parent, pi);
        if (!made)
            return;
        pi = parent; /* and who its parent was */
    }
}

const char *et_model_history(const struct et_model *m, char *buf, size_t len)
{
    const struct et_trace *t = m->trace;
    if (!t || !t->ring)
        return NULL;
    const struct et_file_header *h = t->hdr;
    uint64_t slots = h->ring_slot_count;
    if (!t->ring_wrapped) {
        snprintf(buf, len, "ring trace of %" PRIu64 " KiB: not yet full, the whole history is here",
                 slots * ET_RING_SLOT_BYTES >> 10);
        return buf;
    }
    char from[ET_SECONDS_LEN], oldest[ET_SECONDS_LEN];
    et_format_when(from, h->anchor_monotonic_ns, m->history_from_ns);
    et_format_when(oldest, h->anchor_monotonic_ns, m->first_ts_before_history);
    size_t used = 0;
    int n = m->history_from_ns == UINT64_MAX
                ? snprintf(buf, len, "ring trace of %" PRIu64 " KiB, gone round %" PRIu64 " times: no complete history "
                                     "is left (the ring went round faster than its runs were written)",
                           slots * ET_RING_SLOT_BYTES >> 10, t->ring_claimed_slots / slots)
                : snprintf(buf, len, "ring trace of %" PRIu64 " KiB, gone round %" PRIu64 " times: history complete "
                                     "from %s",
                           slots * ET_RING_SLOT_BYTES >> 10, t->ring_claimed_slots / slots, from);
    if (n > 0)
        used = (size_t)n;
    if (m->records_before_history && used < len) {
        n = snprintf(buf + used, len - used, "; the %" PRIu64 " records left from %s before it say only who processes were",
                     m->records_before_history, oldest);
        if (n > 0)
            used += (size_t)n;
    }
    if (used < len)
        snprintf(buf + used, len - used, "; %" PRIu64 " records (%" PRIu64 " KiB) overwritten",
                 (uint64_t)h->ring_records_overwritten, (uint64_t)h->ring_bytes_overwritten >> 10);
    return buf;
}

/* ---- pipes ------------------------------------------------------------------ */

static uint32_t pipe_of(struct et_model *m, uint64_t inode, int32_t creator, const struct et_record *created)
{
    long i = et_procmap_get(&m->pipe_by_inode, 0, inode);
    if (i >= 0) {
        struct et_model_pipe *pp = &m->pipes[i];
        if (created && pp->writers == 0 && pp->readers == 0) {
            /* The kernel reuses pipe inodes: a new pipe with an old number. */
            pp->creator = creator;
            pp->created = created;
            pp->last_writer_gone_ts = 0;
            pp->nlog = 0;
        }
        return (uint32_t)i;
    }
    uint32_t n;
    if (m->nfree_pipes) {
        n = m->free_pipes[--m->nfree_pipes];
    } else {
        struct et_model_pipe *v =
            grow(m->pipes, &m->pipes_cap, m->npipes + 1, sizeof(*v), 64, &m->out_of_memory);
        if (!v)
            return 0;
        m->pipes = v;
        n = (uint32_t)m->npipes++;
    }
    m->pipes[n] = (struct et_model_pipe){.inode = inode, .creator = creator, .created = created};
    if (!created) {
        /* Seen again through an inherited end: the pipe it was, not a new
         * one (a new pipe comes with its pipe() record). */
        for (size_t k = 0; k < m->nforgotten; k++) {
            const struct et_forgotten_pipe *f =
                &m->forgotten[(m->next_forgotten + ET_FORGOTTEN_PIPES - 1 - k) % ET_FORGOTTEN_PIPES];
            if (f->inode == inode) {
                m->pipes[n].creator = f->creator;
                m->pipes[n].created = f->created;
                break;
            }
        }
    }
    int inserted;
    if (et_procmap_get_or_put(&m->pipe_by_inode, 0, inode, n, &inserted) < 0)
        m->out_of_memory = true;
    return n;
}

/* Nobody holds the pipe: forget it, so that memory follows the pipes alive,
 * not every pipe ever made. */
static void maybe_forget_pipe(struct et_model *m, uint32_t pipe)
{
    struct et_model_pipe *pp = &m->pipes[pipe];
    if (pp->free || pp->writers || pp->readers)
        return;
    size_t cap = m->free_pipes_cap;
    uint32_t *v = grow(m->free_pipes, &cap, m->nfree_pipes + 1, sizeof(*v), 64, &m->out_of_memory);
    if (!v)
        return;
    m->free_pipes = v;
    m->free_pipes_cap = cap;
    et_procmap_remove(&m->pipe_by_inode, 0, pp->inode);
    if (pp->creator != ET_NO_PROC && m->forgotten) {
        m->forgotten[m->next_forgotten] = (struct et_forgotten_pipe){pp->inode, pp->creator, pp->created};
        m->next_forgotten = (m->next_forgotten + 1) % ET_FORGOTTEN_PIPES;
        if (m->nforgotten < ET_FORGOTTEN_PIPES)
            m->nforgotten++;
    }
    free(pp->log);
    *pp = (struct et_model_pipe){.free = true};
    m->free_pipes[m->nfree_pipes++] = pipe;
}

static bool proc_holds_fd(const struct et_proc *p, int32_t fd)
{
    for (uint32_t k = 0; k < p->nholds; k++)
        if (p->holds[k].fd == fd)
            return true;
    return false;
}

static bool proc_holds(const struct et_proc *p, uint32_t pipe, bool write)
{
    for (uint32_t i = 0; i < p->nholds; i++)
        if (p->holds[i].pipe == pipe && (write ? p->holds[i].write : p->holds[i].read))
            return true;
    return false;
}

static void hold_add(struct et_model *m, int32_t pi, int32_t fd, uint32_t pipe, bool read, bool write, bool cloexec)
{
    struct et_proc *p = &m->procs[pi];
    struct et_model_pipe *pp = &m->pipes[pipe];
    size_t cap = p->holds_cap, log_cap = pp->log_cap;
    struct et_hold *v = grow(p->holds, &cap, p->nholds + 1, sizeof(*v), 4, &m->out_of_memory);
    if (!v)
        return;
    p->holds = v;
    p->holds_cap = (uint32_t)cap;
    struct et_holding *log = grow(pp->log, &log_cap, pp->nlog + 1, sizeof(*log), 4, &m->out_of_memory);
    if (!log)
        return;
    pp->log = log;
    pp->log_cap = (uint32_t)log_cap;
    uint64_t now = m->current ? m->current->ts_ns : 0;
    pp->log[pp->nlog] = (struct et_holding){pi, fd, read, write, now, 0};
    p->holds[p->nholds++] = (struct et_hold){fd, pipe, pp->nlog++, write, read, cloexec};
    if (write)
        pp->writers++;
    if (read)
        pp->readers++;
}

static void hold_remove_at(struct et_model *m, int32_t pi, uint32_t k, uint64_t ts)
{
    struct et_proc *p = &m->procs[pi];
    struct et_hold h = p->holds[k];
    p->holds[k] = p->holds[--p->nholds];
    struct et_model_pipe *pp = &m->pipes[h.pipe];
    if (h.log < pp->nlog) {
        pp->log[h.log].until = ts ? ts : 1;
        TELL(m, on_holding_end, &pp->log[h.log], pp->inode);
    }
    if (h.read && pp->readers)
        pp->readers--;
    if (h.write && pp->writers) {
        pp->writers--;
        if (!proc_holds(p, h.pipe, true))
            TELL(m, on_write_end_released, pi, h.pipe, ts);
        if (pp->writers == 0)
            pp->last_writer_gone_ts = ts;
    }
    maybe_forget_pipe(m, h.pipe);
}

static void hold_remove_fd(struct et_model *m, int32_t pi, int32_t fd, uint64_t ts)
{
    struct et_proc *p = &m->procs[pi];
    for (uint32_t k = 0; k < p->nholds; k++) {
        if (p->holds[k].fd == fd) {
            hold_remove_at(m, pi, k, ts);
            return;
        }
    }
}

static void release_all(struct et_model *m, int32_t pi, uint64_t ts)
{
    while (m->procs[pi].nholds)
        hold_remove_at(m, pi, m->procs[pi].nholds - 1, ts);
}

/* ---- ends and reaps ------------------------------------------------------- */

static void end_process(struct et_model *m, int32_t pi, uint64_t ts, bool exact)
{
    struct et_proc *p = &m->procs[pi];
    if (p->flags & ET_PF_ENDED)
        return;
    p->flags |= ET_PF_ENDED;
    p->end_ts = ts;
    p->end_ts_exact = exact;
    if (p->end_how == ET_END_RUNNING)
        p->end_how = ET_END_UNKNOWN;
    if (p->parent != ET_NO_PROC && (m->procs[p->parent].flags & ET_PF_SIGCHLD_IGNORED) &&
        !(m->procs[p->parent].flags & ET_PF_ENDED) && !(p->flags & ET_PF_REAPED)) {
        /* SIGCHLD ignored, or SA_NOCLDWAIT: the kernel reaps it at once and
         * no wait will ever see its status. */
        p->flags |= ET_PF_REAPED;
        p->reaped_by_kernel = true;
        p->reap_ts = ts;
        int inserted;
        if (et_procmap_get_or_put(&m->reaped_by_pid, p->pid, 0, (uint32_t)pi, &inserted) >= 0 && !inserted)
            et_procmap_set(&m->reaped_by_pid, p->pid, 0, (uint32_t)pi);
    }
    TELL(m, on_process_end, pi);
    release_all(m, pi, ts);
    p->nwaits = 0;
    for (int32_t c = p->first_child; c != ET_NO_PROC; c = m->procs[c].next_sibling) {
        struct et_proc *child = &m->procs[c];
        if (!(child->flags & ET_PF_ENDED) || child->end_ts > ts) {
            child->flags |= ET_PF_ORPHANED;
            child->orphaned_ts = ts;
        }
    }
}

static void reap(struct et_model *m, int32_t ci, int32_t reaper, int status, uint64_t ts, const struct et_record *rec)
{
    struct et_proc *c = &m->procs[ci];
    if (c->flags & ET_PF_REAPED)
        return;
    c->flags |= ET_PF_REAPED;
    c->reaper = reaper;
    c->reap_ts = ts;
    c->reap_rec = rec;
    int inserted;
    if (et_procmap_get_or_put(&m->reaped_by_pid, c->pid, 0, (uint32_t)ci, &inserted) < 0)
        m->out_of_memory = true;
    else if (!inserted)
        et_procmap_set(&m->reaped_by_pid, c->pid, 0, (uint32_t)ci);
    if (reaper != ET_NO_PROC && reaper != c->parent)
        c->adopter = reaper;
    if (WIFSIGNALED(status)) {
        c->end_how = ET_END_KILLED;
        c->term_signal = WTERMSIG(status);
    } else if (WIFEXITED(status)) {
        c->end_how = ET_END_EXITED;
        c->exit_code = WEXITSTATUS(status);
    }
    if (!(c->flags & ET_PF_ENDED)) {
        /* It died without a word: at the signal that killed it, if a traced
         * process sent one, otherwise some time before this reap. */
        uint64_t end = ts;
        bool exact = false;
        if (WIFSIGNALED(status) && c->killed_by) {
            const struct et_signal *s = et_body(c->killed_by);
            if (s->sig == c->term_signal) {
                end = c->killed_by->ts_ns > c->last_ts ? c->killed_by->ts_ns : c->last_ts;
                exact = true;
            }
        }
        end_process(m, ci, end, exact);
    }
}

/* ---- records -------------------------------------------------------------- */

static void on_start(struct et_model *m, int32_t pi, const struct et_record *r)
{
    struct et_proc *p = &m->procs[pi];
    const struct et_image_start *b = et_body(r);
    struct et_tail tail = et_tail_of(r);
    const struct et_pipe_end *ends = et_tail_array(&tail, b->pipe_count, sizeof(*ends));
    const char *exe;
    uint16_t exe_len;
    et_tail_str(&tail, &exe, &exe_len);

    p->flags |= ET_PF_TRACED;
    p->flags &= ~(uint32_t)(ET_PF_UNTRACED_EXEC | ET_PF_READS_RECORDED);
    p->pending_exec = NULL;
    if (!(r->flags & ET_RF_RECORDER) && b->origin != ET_ORIGIN_LAUNCHER && m->trace && m->trace->hdr &&
        m->trace->hdr->version_minor >= 6)
        p->flags |= ET_PF_READS_RECORDED;
    if (b->origin == ET_ORIGIN_LAUNCHER) {
        p->flags |= ET_PF_LAUNCHER;
        m->launcher = pi;
    }
    if (!p->origin) {
        p->origin = b->origin;
        p->ppid = b->ppid;
        if (r->ts_ns < p->begin_ts)
            p->begin_ts = r->ts_ns;
        if (p->parent == ET_NO_PROC && b->origin != ET_ORIGIN_LAUNCHER && b->ppid > 1) {
            int32_t parent = current_by_pid(m, b->ppid);
            if (parent == ET_NO_PROC || parent == pi) {
                /* Its parent never wrote a record: not traced (a static
                 * binary, say), known only as this process's parent. */
                parent = proc_new(m, b->ppid, 0, ET_PF_PLACEHOLDER, r->ts_ns);
            }
            if (parent != ET_NO_PROC)
                link_child(m, parent, pi);
            p = &m->procs[pi]; /* proc_new may have moved the table */
        }
    }
    p->pgid = b->pgid;
    p->sid = b->sid;
    if (b->origin == ET_ORIGIN_EXEC || b->origin == ET_ORIGIN_LAUNCHER)
        p->flags = (p->flags & ~(uint32_t)ET_PF_GO) | ((b->flags & ET_START_GO) ? ET_PF_GO : 0);
    else if (b->origin != 0 && p->parent != ET_NO_PROC && !p->last_image)
        p->flags |= m->procs[p->parent].flags & ET_PF_GO; /* a fork child runs its parent's image */
    if (b->origin == ET_ORIGIN_EXEC || b->origin == ET_ORIGIN_LAUNCHER || !p->last_image) {
        char *command = b->origin == ET_ORIGIN_EXEC || b->origin == ET_ORIGIN_LAUNCHER
                            ? join_argv(&tail, b->argv_count)
                            : (p->parent != ET_NO_PROC && m->procs[p->parent].last_image
                                   ? strdup(et_proc_command(&m->procs[p->parent]))
                                   : strdup("?"));
        if (command)
            add_image(m, p, r->ts_ns, command, b->origin == ET_ORIGIN_EXEC ? exe : NULL, exe_len);
    }

    /* What it holds now is what the record lists: after an exec, the ends
     * without close-on-exec; after a fork, the parent's. */
    if (ends) {
        /* Keep the old ends until the new ones are in, so counts of
         * writers do not pass through zero for a pipe still held. */
        uint32_t old = m->procs[pi].nholds;
        for (unsigned i = 0; i < b->pipe_count; i++) {
            uint32_t pipe = pipe_of(m, ends[i].inode, ET_NO_PROC, NULL);
            if (m->out_of_memory)
                return;
            hold_add(m, pi, ends[i].fd, pipe, ends[i].flags & ET_PIPE_READ, ends[i].flags & ET_PIPE_WRITE,
                     ends[i].flags & ET_PIPE_CLOEXEC);
        }
        for (uint32_t k = old; k-- > 0;)
            hold_remove_at(m, pi, k, r->ts_ns);
    }
    TELL(m, on_start, pi, r);
}

static void on_creation(struct et_model *m, int32_t pi, const struct et_record *r, int32_t child_pid)
{
    if (child_pid <= 0)
        return;
    int32_t ci = current_by_pid(m, (uint32_t)child_pid);
    /* The child may have written its start before this record arrived (or
     * with a timestamp a little before it, from another CPU's clock): a live
     * process with that pid, not yet claimed by a creation record, whose
     * parent is this one or unknown, is that child.  Two live processes
     * never share a pid. */
    bool is_child = ci != ET_NO_PROC && !(m->procs[ci].flags & ET_PF_ENDED) && !m->procs[ci].created_by &&
                    (m->procs[ci].parent == ET_NO_PROC || m->procs[ci].parent == pi) &&
                    (m->procs[ci].begin_ts >= r->ts_ns || m->procs[ci].parent == pi);
    if (!is_child)
        ci = proc_new(m, (uint32_t)child_pid, 0, ET_PF_PLACEHOLDER, r->ts_ns);
    if (ci == ET_NO_PROC)
        return;
    struct et_proc *c = &m->procs[ci];
    if (c->parent != ET_NO_PROC && c->parent != pi)
        return; /* someone else's: the record is stale or damaged */
    link_child(m, pi, ci);
    c->created_by = r;
    if (r->ts_ns < c->begin_ts)
        c->begin_ts = r->ts_ns;
    if (m->procs[pi].flags & ET_PF_LAUNCHER) {
        c->flags |= ET_PF_COMMAND;
        m->command = ci;
    }
    if (!c->last_image && m->procs[pi].last_image) {
        char *command = strdup(et_proc_command(&m->procs[pi]));
        if (command)
            add_image(m, c, r->ts_ns, command, NULL, 0);
    }
}

static void on_exec(struct et_model *m, int32_t pi, const struct et_record *r)
{
    struct et_proc *p = &m->procs[pi];
    p->pending_exec = r;
}

/* A signal reached process ti.  SIGKILL cannot be caught: the process ends
 * here, whether or not its reap is ever recorded (when a parent and its
 * child die in one group kill, the kernel sometimes hands the child to init
 * rather than to exectrace, the subreaper). */
static void signal_reached(struct et_model *m, int32_t ti, const struct et_record *r, int sig)
{
    struct et_proc *t = &m->procs[ti];
    if (t->flags & ET_PF_ENDED)
        return;
    t->killed_by = r;
    if (sig == SIGKILL) {
        t->end_how = ET_END_KILLED;
        t->term_signal = SIGKILL;
        end_process(m, ti, r->ts_ns > t->last_ts ? r->ts_ns : t->last_ts, true);
    }
}

static void on_signal(struct et_model *m, int32_t pi, const struct et_record *r)
{
    const struct et_signal *b = et_body(r);
    TELL(m, on_signal, pi, r);
    if (b->sig == 0 || b->result != 0)
        return;
    /* Remember the signal on those it reached, to date their death. */
    int32_t target = b->target;
    if (b->kind == ET_SIGNAL_PIDFD_SEND_SIGNAL)
        target = b->pidfd_pid;
    if ((b->kind == ET_SIGNAL_KILL || b->kind == ET_SIGNAL_SIGQUEUE || b->kind == ET_SIGNAL_TGKILL ||
         b->kind == ET_SIGNAL_PIDFD_SEND_SIGNAL) &&
        target > 0) {
        int32_t ti = current_by_pid(m, (uint32_t)target);
        if (ti != ET_NO_PROC)
            signal_reached(m, ti, r, b->sig);
        return;
    }
    uint32_t group = 0;
    if (b->kind == ET_SIGNAL_KILLPG)
        group = b->target ? (uint32_t)b->target : m->procs[pi].pgid;
    else if (b->target == 0)
        group = m->procs[pi].pgid;
    else if (b->target < -1)
        group = 0u - (uint32_t)b->target;
    for (size_t i = 0; i < m->nprocs; i++) {
        struct et_proc *q = &m->procs[i];
        if (!(q->flags & (ET_PF_ENDED | ET_PF_PLACEHOLDER)) && !(q->flags & ET_PF_LAUNCHER) &&
            (b->target == -1 ? q->pid != 1 : (group && q->pgid == group)))
            signal_reached(m, (int32_t)i, r, b->sig);
    }
}

static void on_wait_enter(struct et_model *m, int32_t pi, const struct et_record *r)
{
    struct et_proc *p = &m->procs[pi];
    size_t cap = p->waits_cap;
    struct et_wait_call *v = grow(p->waits, &cap, p->nwaits + 1, sizeof(*v), 2, &m->out_of_memory);
    if (!v)
        return;
    p->waits = v;
    p->waits_cap = (uint32_t)cap;
    p->waits[p->nwaits++] = (struct et_wait_call){r->tid, r};
}

static void on_wait_return(struct et_model *m, int32_t pi, const struct et_record *r)
{
    struct et_proc *p = &m->procs[pi];
    const struct et_record *enter = NULL;
    for (uint32_t k = p->nwaits; k-- > 0;) {
        if (p->waits[k].tid == r->tid) {
            enter = p->waits[k].enter;
            p->waits[k] = p->waits[--p->nwaits];
            break;
        }
    }
    int32_t child_pid = 0;
    int status = 0;
    if (!et_wait_return_reaped(r, &child_pid, &status))
        child_pid = 0;
    if (child_pid > 0) {
        int32_t ci = current_by_pid(m, (uint32_t)child_pid);
        if (ci == ET_NO_PROC)
            ci = proc_new(m, (uint32_t)child_pid, 0, ET_PF_PLACEHOLDER, r->ts_ns);
        if (ci != ET_NO_PROC) {
            link_child(m, pi, ci);
            reap(m, ci, pi, status, r->ts_ns, r);
            if (m->procs[ci].reap_rec == r)
                m->procs[ci].reap_enter = enter;
        }
    }
    TELL(m, on_wait_return, pi, r, enter);
}

static void on_pipe(struct et_model *m, int32_t pi, const struct et_record *r)
{
    const struct et_pipe *b = et_body(r);
    if (b->result != 0)
        return;
    /* Whatever the fds held goes first: if it was this very pipe (a file
     * that says so), releasing it may free the pipe's slot. */
    hold_remove_fd(m, pi, b->read_fd, r->ts_ns);
    hold_remove_fd(m, pi, b->write_fd, r->ts_ns);
    uint32_t pipe = pipe_of(m, b->inode, pi, r);
    if (m->out_of_memory)
        return;
    bool cloexec = (b->flags & ET_O_CLOEXEC) != 0;
    hold_add(m, pi, b->read_fd, pipe, true, false, cloexec);
    hold_add(m, pi, b->write_fd, pipe, false, true, cloexec);
}

static void set_cloexec(struct et_proc *p, int32_t fd, bool cloexec)
{
    for (uint32_t k = 0; k < p->nholds; k++)
        if (p->holds[k].fd == fd)
            p->holds[k].cloexec = cloexec;
}

static void on_fd_record(struct et_model *m, int32_t pi, const struct et_record *r)
{
    switch (r->type) {
    case ET_REC_CLOSE: {
        const struct et_close *b = et_body(r);
        if (b->result == 0 || r->err != EBADF)
            hold_remove_fd(m, pi, b->fd, r->ts_ns);
        break;
    }
    case ET_REC_CLOSE_RANGE: {
        const struct et_close_range *b = et_body(r);
        struct et_tail tail = et_tail_of(r);
        const struct et_pipe_end *ends = et_tail_array(&tail, b->pipe_count, sizeof(*ends));
        for (unsigned i = 0; ends && i < b->pipe_count; i++) {
            if (b->flags & ET_CLOSE_RANGE_CLOEXEC)
                set_cloexec(&m->procs[pi], ends[i].fd, true);
            else
                hold_remove_fd(m, pi, ends[i].fd, r->ts_ns);
        }
        break;
    }
    case ET_REC_DUP: {
        const struct et_dup *b = et_body(r);
        if (b->result < 0 || b->result == b->oldfd)
            break;
        bool cloexec = b->kind == ET_DUP_FCNTL_DUPFD_CLOEXEC || (b->kind == ET_DUP_DUP3 && (b->flags & ET_O_CLOEXEC));
        if (b->source.fd >= 0) {
            struct et_pipe_end e = b->source;
            e.fd = b->result;
            e.flags = (e.flags & ~ET_PIPE_CLOEXEC) | (cloexec ? ET_PIPE_CLOEXEC : 0);
            /* Add before removing: replacing one copy of a pipe end with
             * another must not look like the last copy closing. */
            uint32_t pipe = pipe_of(m, e.inode, ET_NO_PROC, NULL);
            if (m->out_of_memory)
                break;
            struct et_proc *p = &m->procs[pi];
            int32_t old = -1;
            for (uint32_t k = 0; k < p->nholds; k++)
                if (p->holds[k].fd == b->result)
                    old = (int32_t)k;
            hold_add(m, pi, e.fd, pipe, e.flags & ET_PIPE_READ, e.flags & ET_PIPE_WRITE, cloexec);
            if (old >= 0)
                hold_remove_at(m, pi, (uint32_t)old, r->ts_ns);
        } else {
            hold_remove_fd(m, pi, b->result, r->ts_ns);
        }
        break;
    }
    case ET_REC_SET_CLOEXEC: {
        const struct et_set_cloexec *b = et_body(r);
        if (b->result == 0)
            set_cloexec(&m->procs[pi], b->fd, b->fd_flags & ET_FD_CLOEXEC);
        break;
    }
    default:
        break;
    }
}

static void on_group_record(struct et_model *m, int32_t pi, const struct et_record *r)
{
    struct et_proc *p = &m->procs[pi];
    switch (r->type) {
    case ET_REC_SETPGID: {
        const struct et_setpgid *b = et_body(r);
        if (b->result != 0)
            break;
        int32_t ti = b->pid == 0 || (uint32_t)b->pid == p->pid ? pi : current_by_pid(m, (uint32_t)b->pid);
        if (ti != ET_NO_PROC)
            m->procs[ti].pgid = b->pgid ? (uint32_t)b->pgid : m->procs[ti].pid;
        break;
    }
    case ET_REC_SETSID:
        if (((const struct et_setsid *)et_body(r))->result > 0) {
            p->sid = p->pgid = p->pid;
            p->flags |= ET_PF_DETACHED;
        }
        break;
    case ET_REC_SIGCHLD_ACTION: {
        const struct et_sigchld_action *b = et_body(r);
        if (b->result != 0)
            break;
        p->sigchld_rec = r;
        if (b->disposition == ET_DISP_IGNORE || (b->sa_flags & SA_NOCLDWAIT))
            p->flags |= ET_PF_SIGCHLD_IGNORED;
        else
            p->flags &= ~(uint32_t)ET_PF_SIGCHLD_IGNORED;
        break;
    }
    default:
        break;
    }
}

/* A process's live state, read from /proc.  Processes that never load the
 * shim first appear here. */
/* A checkpoint of a ring trace: for a process whose start the trace does
 * not hold, who it is and the pipe ends it holds, as of now.  Not a look
 * at a hang: the rules are not told. */
static void on_checkpoint(struct et_model *m, int32_t pi, const struct et_record *r)
{
    struct et_proc *p = &m->procs[pi];
    const struct et_snapshot *b = et_body(r);
    if ((b->flags & ET_SNAP_COMMAND_PROC) && m->command == ET_NO_PROC) {
        p->flags |= ET_PF_COMMAND;
        m->command = pi;
    }
    if (p->origin)
        return; /* its start record is here: the trace itself says more */
    if (!p->pgid) {
        p->pgid = b->pgid;
        p->sid = b->sid;
    }
    if (!p->ppid)
        p->ppid = b->ppid;
    if (p->parent == ET_NO_PROC && b->ppid > 1) {
        int32_t parent = current_by_pid(m, b->ppid);
        if (parent != ET_NO_PROC && parent != pi)
            link_child(m, parent, pi);
    }
    struct et_tail tail = et_tail_of(r);
    et_tail_array(&tail, b->thread_count, sizeof(struct et_snapshot_thread));
    const struct et_pipe_end *ends = et_tail_array(&tail, b->pipe_count, sizeof(*ends));
    const char *s, *exe;
    uint16_t len, exe_len;
    et_tail_str(&tail, &s, &len); /* comm */
    for (unsigned k = 0; k < b->thread_count; k++)
        et_tail_str(&tail, &s, &len);
    if (!p->last_image && (b->flags & ET_SNAP_HAS_COMMAND) && et_tail_str(&tail, &exe, &exe_len) && b->argv_count) {
        char *command = join_argv(&tail, b->argv_count);
        if (command)
            add_image(m, &m->procs[pi], r->ts_ns, command, exe, exe_len);
    }
    if (!ends || (m->procs[pi].flags & ET_PF_HOLDS_FROM_CHECKPOINT) || (b->flags & ET_SNAP_PIPES_TRUNCATED))
        return;
    m->procs[pi].flags |= ET_PF_HOLDS_FROM_CHECKPOINT;
    for (unsigned i = 0; i < b->pipe_count; i++) {
        if (proc_holds_fd(&m->procs[pi], ends[i].fd))
            continue; /* a record since said so already */
        uint32_t pipe = pipe_of(m, ends[i].inode, ET_NO_PROC, NULL);
        if (m->out_of_memory)
            return;
        hold_add(m, pi, ends[i].fd, pipe, ends[i].flags & ET_PIPE_READ, ends[i].flags & ET_PIPE_WRITE,
                 ends[i].flags & ET_PIPE_CLOEXEC);
    }
}

static void on_snapshot(struct et_model *m, int32_t pi, const struct et_record *r)
{
    struct et_proc *p = &m->procs[pi];
    const struct et_snapshot *b = et_body(r);
    if (b->reason == ET_SNAP_CHECKPOINT) {
        on_checkpoint(m, pi, r);
        return;
    }
    if (b->snapshot >= m->snapshot) {
        m->snapshot = b->snapshot;
        m->snapshot_ts = r->ts_ns;
    }
    if (!p->snap || ((const struct et_snapshot *)et_body(p->snap))->snapshot <= b->snapshot)
        p->snap = r;
    if (!p->pgid) {
        p->pgid = b->pgid;
        p->sid = b->sid;
    }
    if (p->parent == ET_NO_PROC && b->ppid > 1) {
        int32_t parent = current_by_pid(m, b->ppid);
        if (parent != ET_NO_PROC && parent != pi)
            link_child(m, parent, pi);
    }
    if (!p->last_image) {
        struct et_tail tail = et_tail_of(r);
        et_tail_array(&tail, b->thread_count, sizeof(struct et_snapshot_thread));
        et_tail_array(&tail, b->pipe_count, sizeof(struct et_pipe_end));
        const char *comm;
        uint16_t len;
        if (et_tail_str(&tail, &comm, &len)) {
            char *command = strndup(comm, len);
            if (command)
                add_image(m, p, r->ts_ns, command, NULL, 0);
        }
    }
}
/* The launcher stopped: every process still running then is its child (an
 * orphan it adopted, listed in run_end) or a descendant of one.  A process
 * of its tree with no end in the trace and none of those above it ended
 * before, seen only by a reaper that is not traced. */
static void mark_ends_unseen(struct et_model *m, int32_t launcher)
{
    for (size_t i = 0; i < m->nprocs; i++) {
        struct et_proc *p = &m->procs[i];
        if ((p->flags & (ET_PF_ENDED | ET_PF_LAUNCHER)) || !et_proc_is_descendant(m, (int32_t)i, launcher))
            continue;
        bool maybe_running = false;
        for (int32_t a = (int32_t)i; a != ET_NO_PROC && a != launcher && !maybe_running; a = m->procs[a].parent)
            maybe_running = m->procs[a].flags & ET_PF_LEFT_RUNNING;
        if (maybe_running)
            continue;
        p->flags |= ET_PF_END_UNSEEN;
        /* Its parent's end did not orphan it: the launcher, the subreaper,
         * would have adopted it and recorded its reap. */
        if (p->adopter == ET_NO_PROC)
            p->flags &= ~(uint32_t)ET_PF_ORPHANED;
    }
}


void et_model_feed(struct et_model *m, const struct et_record *r)
{
    if (m->out_of_memory)
        return;
    /* The state at the latest snapshot is judged once the stream has passed
     * it, with what was known then: later events (the tree being killed)
     * must not change what the report printed at the hang said. */
    if (m->snapshot && !m->snapshot_told && r->ts_ns > m->snapshot_ts && m->snapshot >= m->trace->hdr->snapshots) {
        m->snapshot_told = true;
        TELL0(m, on_snapshot);
    }
    if (r->ts_ns < m->history_from_ns) {
        note_identity(m, r);
        return;
    }
    m->records++;
    m->current = r;
    if (!m->first_ts || r->ts_ns < m->first_ts)
        m->first_ts = r->ts_ns;
    if (r->ts_ns > m->last_ts)
        m->last_ts = r->ts_ns;

    int32_t pi = proc_of_record(m, r);
    if (pi == ET_NO_PROC)
        return;
    struct et_proc *p = &m->procs[pi];
    if (r->type == ET_REC_SNAPSHOT) {
        on_snapshot(m, pi, r); /* about the process, not written by it */
        return;
    }
    p->flags |= ET_PF_TRACED;
    if (r->ts_ns > p->last_ts)
        p->last_ts = r->ts_ns;

    switch (r->type) {
    case ET_REC_IMAGE_START:
        on_start(m, pi, r);
        break;
    case ET_REC_IMAGE_EXIT: {
        const struct et_image_exit *b = et_body(r);
        p->exit_rec = r;
        if (p->end_how != ET_END_KILLED) {
            p->end_how = ET_END_EXITED;
            p->exit_code = b->status & 0xff;
        }
        end_process(m, pi, r->ts_ns, true);
        break;
    }
    case ET_REC_FORK: {
        const struct et_fork *b = et_body(r);
        on_creation(m, pi, r, b->result);
        break;
    }
    case ET_REC_SPAWN: {
        const struct et_spawn *b = et_body(r);
        if (b->result == 0)
            on_creation(m, pi, r, b->child_pid);
        break;
    }
    case ET_REC_EXEC:
        on_exec(m, pi, r);
        break;
    case ET_REC_EXEC_FAILED:
        p->pending_exec = NULL;
        break;
    case ET_REC_RECORDER: {
        const struct et_recorder *b = et_body(r);
        if (b->state == ET_RECORDER_ON && b->err)
            p->recorder_refusal = r;
        else
            m->recorder = r;
        break;
    }
    case ET_REC_SIGNAL:
        on_signal(m, pi, r);
        break;
    case ET_REC_WAIT_ENTER:
        on_wait_enter(m, pi, r);
        break;
    case ET_REC_WAIT_RETURN:
        on_wait_return(m, pi, r);
        break;
    case ET_REC_PIPE:
        on_pipe(m, pi, r);
        break;
    case ET_REC_PIPE_EOF:
    case ET_REC_PIPE_WAIT:
        TELL(m, on_pipe_read, pi, r);
        break;
    case ET_REC_CLOSE:
    case ET_REC_CLOSE_RANGE:
    case ET_REC_DUP:
    case ET_REC_SET_CLOEXEC:
        on_fd_record(m, pi, r);
        break;
    case ET_REC_SETPGID:
    case ET_REC_SETSID:
    case ET_REC_SIGCHLD_ACTION:
        on_group_record(m, pi, r);
        break;
    case ET_REC_REAPED: {
        const struct et_reaped *b = et_body(r);
        long ci = b->start_time ? et_procmap_get(&m->by_identity, (uint32_t)b->pid, b->start_time) : -1;
        int32_t c = ci >= 0 ? (int32_t)ci : current_by_pid(m, (uint32_t)b->pid);
        if (c == ET_NO_PROC) {
            c = proc_new(m, (uint32_t)b->pid, b->start_time, ET_PF_PLACEHOLDER, r->ts_ns);
            if (c != ET_NO_PROC && m->history_from_ns)
                mark_before_history(m, c);
        }
        if (c != ET_NO_PROC && b->role == ET_REAPED_COMMAND && m->command == ET_NO_PROC) {
            m->procs[c].flags |= ET_PF_COMMAND;
            m->command = c;
        }
        if (c != ET_NO_PROC)
            reap(m, c, pi, b->status, r->ts_ns, r);
        break;
    }
    case ET_REC_RUN_END: {
        const struct et_run_end *b = et_body(r);
        struct et_tail tail = et_tail_of(r);
        const int32_t *left = et_tail_array(&tail, b->left_running, sizeof(int32_t));
        for (unsigned i = 0; left && i < b->left_running; i++) {
            int32_t c = current_by_pid(m, (uint32_t)left[i]);
            if (c != ET_NO_PROC && !(m->procs[c].flags & ET_PF_ENDED))
                m->procs[c].flags |= ET_PF_LEFT_RUNNING;
        }
        /* Only from a whole list: one cut short hides who still ran. */
        if ((left || b->left_running == 0) && !(b->flags & ET_RUN_END_LEFT_TRUNCATED) &&
            b->left_running < ET_RUN_END_MAX_LEFT)
            mark_ends_unseen(m, pi);
        break;
    }
    default:
        break;
    }
}

void et_model_init(struct et_model *m, const struct et_trace *t, const struct et_model_observer *observer,
                   void *observer_ctx)
{
    memset(m, 0, sizeof(*m));
    m->trace = t;
    m->observer = observer;
    m->observer_ctx = observer_ctx;
    m->launcher = m->command = ET_NO_PROC;
    for (size_t i = 0; i < sizeof(m->identity_cache) / sizeof(m->identity_cache[0]); i++)
        m->identity_cache[i].index = ET_NO_PROC;
    et_procmap_init(&m->by_identity);
    et_procmap_init(&m->by_pid);
    et_procmap_init(&m->reaped_by_pid);
    et_procmap_init(&m->pipe_by_inode);
    et_procmap_init(&m->note_by_identity);
    et_procmap_init(&m->note_by_pid);
    if (t && t->ring_wrapped)
        m->history_from_ns = t->ring_complete_since_ns;
    m->forgotten = calloc(ET_FORGOTTEN_PIPES, sizeof(*m->forgotten));
    if (!m->forgotten)
        m->out_of_memory = true;
}

void et_model_finish(struct et_model *m)
{
    /* An exec with no outcome, and no record from the process after it:
     * the program it started does not load the shim. */
    for (size_t i = 0; i < m->nprocs; i++) {
        struct et_proc *p = &m->procs[i];
        if (p->pending_exec) {
            p->flags |= ET_PF_UNTRACED_EXEC;
            const struct et_exec *b = et_body(p->pending_exec);
            if (b->flags & ET_ENV_NOT_ADDED_SETUID)
                p->flags |= ET_PF_SETID_EXEC;
            struct et_tail tail = et_tail_of(p->pending_exec);
            const char *path;
            uint16_t len;
            et_tail_str(&tail, &path, &len);
            char *command = join_argv(&tail, b->argv_count);
            if (command)
                add_image(m, p, p->pending_exec->ts_ns, command, path, len);
        }
    }
    TELL0(m, on_end);
}

void et_model_free(struct et_model *m)
{
    for (size_t i = 0; i < m->nprocs; i++) {
        struct et_proc *p = &m->procs[i];
        for (struct et_image *img = p->images, *next; img; img = next) {
            next = img->next;
            free(img->command);
            free(img->exe);
            free(img);
        }
        free(p->holds);
        free(p->waits);
    }
    free(m->procs);
    for (size_t i = 0; i < m->npipes; i++)
        free(m->pipes[i].log);
    free(m->pipes);
    free(m->free_pipes);
    free(m->forgotten);
    for (size_t i = 0; i < m->nnotes; i++) {
        free(m->notes[i].command);
        free(m->notes[i].exe);
    }
    free(m->notes);
    et_procmap_free(&m->note_by_identity);
    et_procmap_free(&m->note_by_pid);
    et_procmap_free(&m->by_identity);
    et_procmap_free(&m->by_pid);
    et_procmap_free(&m->reaped_by_pid);
    et_procmap_free(&m->pipe_by_inode);
    memset(m, 0, sizeof(*m));
}
