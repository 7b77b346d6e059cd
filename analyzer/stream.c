#include "stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Runs join the merge in file order (the order they were claimed in), once
 * the merge has come within this much of their first record: a record's
 * time is when its call began, so a run's first record can be older than
 * runs claimed before it by as long as that call took (a vfork parent's
 * record waits for the child's exec). */
#define RUN_JOIN_SLACK_NS 1000000000ull

struct cursor {
    struct et_run_cursor run;
    uint64_t joined;              /* its number in join (file) order */
    const struct et_record *head; /* next record of the run, NULL when done */
    uint64_t head_ts;             /* head->ts_ns, kept here: the heap is compared often */
};

/* The runs joined and not yet read to their end, in file order: once every
 * run below an offset is done, the pages below it can go. */
struct joined_run {
    const uint8_t *start;
    bool done;
};

struct pending {
    const struct et_record *r;
    uint64_t offset;
    uint64_t ts; /* r->ts_ns */
};

struct et_stream {
    struct et_trace *t;
    /* The runs being merged, in slots: a tournament over them picks the
     * earliest head.  Taking a record plays the matches on one path from
     * its slot to the root again, a comparison a level, where a heap
     * compared twice a level and moved its five-word cursors. */
    struct cursor *slots; /* slots[i].head NULL: empty */
    /* Each slot's head, as the matches compare it: its time, then its
     * address (UINT64_MAX and UINTPTR_MAX when empty), packed apart from
     * the cursors so that a path's matches read a few cache lines. */
    uint64_t *key_ts;
    uintptr_t *key_at;
    uint32_t *won; /* won[n]: the slot that won below node n, won[1] the winner; the leaves at nslots + i */
    uint32_t *free_slots; /* a stack */
    size_t nfree;
    size_t nslots; /* a power of two, or 0 */
    /* The next run in the file, not merged yet. */
    uint32_t next_chunk;
    struct cursor staged;
    bool have_staged;
    size_t page_size;
    /* A queue: joined[jhead] is run number joined_base, joined[jtail - 1]
     * the last joined. */
    struct joined_run *joined;
    size_t jhead, jtail, joined_cap;
    uint64_t joined_base, joined_total;
    const uint8_t *released; /* the mapping below this has been let go */
    /* Sorted on (timestamp, offset), in a ring: window[(window_head + i) &
     * window_mask] is the i-th.  Records come out of the merge nearly in
     * order, so nearly every one is added at the end (a heap paid two
     * logarithmic sifts for each, half the time of a report). */
    struct pending *window;
    size_t nwindow;
    size_t window_cap; /* at most this many held */
    size_t window_head, window_mask;
    bool failed; /* out of memory: the pass did not see every record */
};

#define WINDOW_AT(s, i) ((s)->window[((s)->window_head + (i)) & (s)->window_mask])

static uint64_t offset_of(const struct et_stream *s, const struct et_record *r)
{
    return (uint64_t)((const uint8_t *)r - s->t->data);
}

/* Orders by time, then by position in the file: records of one run with
 * equal times stay in the order they were written. */
static int before(uint64_t ts_a, const struct et_record *a, uint64_t ts_b, const struct et_record *b)
{
    if (ts_a != ts_b)
        return ts_a < ts_b;
    return a < b;
}

#define PENDING_BEFORE(x, y) before((x).ts, (x).r, (y).ts, (y).r)

static void play(struct et_stream *s, size_t node)
{
    uint32_t a = s->won[2 * node], b = s->won[2 * node + 1];
    bool b_first = s->key_ts[b] != s->key_ts[a] ? s->key_ts[b] < s->key_ts[a] : s->key_at[b] < s->key_at[a];
    s->won[node] = b_first ? b : a;
}

static void set_key(struct et_stream *s, uint32_t i)
{
    const struct cursor *c = &s->slots[i];
    s->key_ts[i] = c->head ? c->head_ts : UINT64_MAX;
    s->key_at[i] = c->head ? (uintptr_t)c->head : UINTPTR_MAX;
}

/* Slot i's head changed: the matches on its way to the root are played
 * again. */
static void replay(struct et_stream *s, uint32_t i)
{
    set_key(s, i);
    for (size_t node = (s->nslots + i) / 2; node >= 1; node /= 2)
        play(s, node);
}

/* Every match played from the leaves up. */
static void rebuild(struct et_stream *s)
{
    for (size_t i = 0; i < s->nslots; i++) {
        set_key(s, (uint32_t)i);
        s->won[s->nslots + i] = (uint32_t)i;
    }
    for (size_t node = s->nslots - 1; node >= 1; node--)
        play(s, node);
}

/* The runs being merged. */
static size_t merging(const struct et_stream *s)
{
    return s->nslots - s->nfree;
}

/* A free slot, the tournament doubled when there is none. */
static int take_slot(struct et_stream *s, uint32_t *slot)
{
    if (s->nfree == 0) {
        size_t old = s->nslots, cap = old ? old * 2 : 64;
        struct cursor *v = realloc(s->slots, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        s->slots = v;
        uint32_t *w = realloc(s->won, 2 * cap * sizeof(*w));
        if (!w)
            return -ENOMEM;
        s->won = w;
        uint64_t *ts = realloc(s->key_ts, cap * sizeof(*ts));
        if (!ts)
            return -ENOMEM;
        s->key_ts = ts;
        uintptr_t *at = realloc(s->key_at, cap * sizeof(*at));
        if (!at)
            return -ENOMEM;
        s->key_at = at;
        uint32_t *f = realloc(s->free_slots, cap * sizeof(*f));
        if (!f)
            return -ENOMEM;
        s->free_slots = f;
        for (size_t i = old; i < cap; i++)
            s->slots[i].head = NULL;
        for (size_t i = cap; i > old; i--)
            s->free_slots[s->nfree++] = (uint32_t)(i - 1);
        s->nslots = cap;
        rebuild(s);
    }
    *slot = s->free_slots[--s->nfree];
    return 0;
}

/* Reads ahead to the next run that has a record. */
static void stage_next_run(struct et_stream *s)
{
    s->have_staged = false;
    struct et_run_cursor run;
    while (et_trace_next_run(s->t, &s->next_chunk, &run)) {
        struct cursor c = {run, 0, NULL};
        c.head = et_run_next(s->t, &c.run);
        if (c.head) {
            c.head_ts = c.head->ts_ns;
            s->staged = c;
            s->have_staged = true;
            return;
        }
    }
}

static int join_staged_run(struct et_stream *s)
{
    if (s->jtail == s->joined_cap) {
        size_t cap = s->joined_cap ? s->joined_cap * 2 : 64;
        struct joined_run *v = realloc(s->joined, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        s->joined = v;
        s->joined_cap = cap;
    }
    s->joined[s->jtail++] = (struct joined_run){s->staged.run.p, false};
    s->staged.joined = s->joined_total++;
    uint32_t slot;
    if (take_slot(s, &slot) < 0)
        return -ENOMEM;
    s->slots[slot] = s->staged;
    replay(s, slot);
    stage_next_run(s);
    return 0;
}

/* Every run whose first record the merge has come near. */
static int join_runs(struct et_stream *s)
{
    while (s->have_staged &&
           (merging(s) == 0 || s->staged.head_ts <= s->slots[s->won[1]].head_ts + RUN_JOIN_SLACK_NS ||
            s->staged.head_ts < s->slots[s->won[1]].head_ts))
        if (join_staged_run(s) < 0)
            return -ENOMEM;
    return 0;
}

/* A run read to its end.  When it was the oldest run still being read,
 * the mapped file below the oldest one left leaves this process's memory
 * (the pages stay in the page cache, and come back if a finding's evidence
 * is read again): memory does not grow with the length of the trace. */
#define RELEASE_STEP (1u << 20)
static void run_done(struct et_stream *s, const struct cursor *c)
{
    s->joined[s->jhead + (c->joined - s->joined_base)].done = true;
    if (s->jhead + (c->joined - s->joined_base) != s->jhead)
        return; /* an older run is still being read */
    while (s->jhead < s->jtail && s->joined[s->jhead].done) {
        s->jhead++;
        s->joined_base++;
    }
    /* Moved down once the finished ones fill half of it: each entry moves
     * a bounded number of times. */
    if (s->jhead * 2 >= s->jtail) {
        memmove(s->joined, s->joined + s->jhead, (s->jtail - s->jhead) * sizeof(*s->joined));
        s->jtail -= s->jhead;
        s->jhead = 0;
    }
    if (!s->t->mapped || s->t->ring) /* a ring's runs are not in file order */
        return;
    const uint8_t *low = s->jhead < s->jtail ? s->joined[s->jhead].start
                         : s->have_staged ? s->staged.run.p
                                          : s->t->data + s->t->len;
    /* Records already merged but not yet handed out are still to be read. */
    for (size_t i = 0; i < s->nwindow; i++)
        if ((const uint8_t *)WINDOW_AT(s, i).r < low)
            low = (const uint8_t *)WINDOW_AT(s, i).r;
    if (!s->released)
        s->released = s->t->data;
    if (low < s->released || (size_t)(low - s->released) < RELEASE_STEP)
        return;
    uintptr_t from = (uintptr_t)s->released & ~(s->page_size - 1);
    uintptr_t to = (uintptr_t)low & ~(s->page_size - 1);
    if (to > from)
        madvise((void *)from, to - from, MADV_DONTNEED);
    s->released = (const uint8_t *)to;
}

int et_stream_open(struct et_stream **out, struct et_trace *t, size_t window)
{
    struct et_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->t = t;
    long page = sysconf(_SC_PAGESIZE);
    s->page_size = page > 0 ? (size_t)page : 4096;
    s->window_cap = window ? window : 1;
    size_t ring = 1;
    while (ring < s->window_cap)
        ring *= 2;
    s->window_mask = ring - 1;
    s->window = malloc(ring * sizeof(*s->window));
    et_trace_pass_begin(t);
    if (!s->window) {
        et_stream_close(s);
        return -ENOMEM;
    }
    stage_next_run(s);
    if (join_runs(s) < 0) {
        et_stream_close(s);
        return -ENOMEM;
    }
    *out = s;
    return 0;
}

/* The earliest head among the runs, moved into the window. */
static int pull_one(struct et_stream *s)
{
    if (join_runs(s) < 0)
        return -ENOMEM;
    uint32_t slot = s->won[1];
    struct cursor *top = &s->slots[slot];
    struct pending p = {top->head, offset_of(s, top->head), top->head_ts};
    size_t i = s->nwindow++;
    for (; i > 0 && PENDING_BEFORE(p, WINDOW_AT(s, i - 1)); i--)
        WINDOW_AT(s, i) = WINDOW_AT(s, i - 1);
    WINDOW_AT(s, i) = p;
    top->head = et_run_next(s->t, &top->run);
    if (top->head) {
        top->head_ts = top->head->ts_ns;
    } else {
        run_done(s, top);
        s->free_slots[s->nfree++] = slot;
    }
    replay(s, slot);
    return 0;
}

const struct et_record *et_stream_next(struct et_stream *s, uint64_t *offset)
{
    while (s->nwindow < s->window_cap && (merging(s) > 0 || s->have_staged))
        if (pull_one(s) < 0) {
            s->failed = true;
            break; /* out of memory: what was merged so far */
        }
    if (s->nwindow == 0) {
        if (!s->failed)
            et_trace_pass_end(s->t);
        return NULL;
    }
    struct pending first = WINDOW_AT(s, 0);
    s->window_head = (s->window_head + 1) & s->window_mask;
    s->nwindow--;
    if (offset)
        *offset = first.offset;
    return first.r;
}

void et_stream_close(struct et_stream *s)
{
    if (!s)
        return;
    free(s->slots);
    free(s->won);
    free(s->key_ts);
    free(s->key_at);
    free(s->free_slots);
    free(s->joined);
    free(s->window);
    free(s);
}
