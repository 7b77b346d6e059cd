#include "stream.h"

#include <errno.h>
#include <stdlib.h>

struct cursor {
    struct et_run_cursor run;
    const struct et_record *head; /* next record of the run, NULL when done */
};

struct pending {
    const struct et_record *r;
    uint64_t offset;
};

struct et_stream {
    struct et_trace *t;
    struct cursor *cursors; /* a min-heap on head timestamp */
    size_t ncursors;
    size_t cursors_cap;
    struct pending *window; /* a min-heap on (timestamp, offset) */
    size_t nwindow;
    size_t window_cap;
};

static uint64_t offset_of(const struct et_stream *s, const struct et_record *r)
{
    return (uint64_t)((const uint8_t *)r - s->t->data);
}

/* Orders by time, then by position in the file: records of one run with
 * equal times stay in the order they were written. */
static int before(const struct et_stream *s, const struct et_record *a, const struct et_record *b)
{
    if (a->ts_ns != b->ts_ns)
        return a->ts_ns < b->ts_ns;
    return offset_of(s, a) < offset_of(s, b);
}

static void cursor_sift_down(struct et_stream *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->ncursors && before(s, s->cursors[l].head, s->cursors[m].head))
            m = l;
        if (r < s->ncursors && before(s, s->cursors[r].head, s->cursors[m].head))
            m = r;
        if (m == i)
            return;
        struct cursor tmp = s->cursors[i];
        s->cursors[i] = s->cursors[m];
        s->cursors[m] = tmp;
        i = m;
    }
}

static void window_sift_up(struct et_stream *s, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(s, s->window[i].r, s->window[parent].r))
            return;
        struct pending tmp = s->window[i];
        s->window[i] = s->window[parent];
        s->window[parent] = tmp;
        i = parent;
    }
}

static void window_sift_down(struct et_stream *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->nwindow && before(s, s->window[l].r, s->window[m].r))
            m = l;
        if (r < s->nwindow && before(s, s->window[r].r, s->window[m].r))
            m = r;
        if (m == i)
            return;
        struct pending tmp = s->window[i];
        s->window[i] = s->window[m];
        s->window[m] = tmp;
        i = m;
    }
}

static int add_run(struct et_run_cursor run, void *ctx)
{
    struct et_stream *s = ctx;
    struct cursor c = {run, NULL};
    c.head = et_run_next(s->t, &c.run);
    if (!c.head)
        return 0;
    if (s->ncursors == s->cursors_cap) {
        size_t cap = s->cursors_cap ? s->cursors_cap * 2 : 64;
        struct cursor *v = realloc(s->cursors, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        s->cursors = v;
        s->cursors_cap = cap;
    }
    s->cursors[s->ncursors++] = c;
    return 0;
}

int et_stream_open(struct et_stream **out, struct et_trace *t, size_t window)
{
    struct et_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->t = t;
    s->window_cap = window ? window : 1;
    s->window = malloc(s->window_cap * sizeof(*s->window));
    t->records = 0;
    t->incomplete = 0;
    if (!s->window || et_trace_runs(t, add_run, s) < 0) {
        et_stream_close(s);
        return -ENOMEM;
    }
    for (size_t i = s->ncursors / 2; i-- > 0;)
        cursor_sift_down(s, i);
    *out = s;
    return 0;
}

/* The earliest head among the runs, moved into the window. */
static void pull_one(struct et_stream *s)
{
    struct cursor *top = &s->cursors[0];
    s->window[s->nwindow] = (struct pending){top->head, offset_of(s, top->head)};
    window_sift_up(s, s->nwindow++);
    top->head = et_run_next(s->t, &top->run);
    if (!top->head)
        s->cursors[0] = s->cursors[--s->ncursors];
    cursor_sift_down(s, 0);
}

const struct et_record *et_stream_next(struct et_stream *s, uint64_t *offset)
{
    while (s->nwindow < s->window_cap && s->ncursors > 0)
        pull_one(s);
    if (s->nwindow == 0)
        return NULL;
    struct pending first = s->window[0];
    s->window[0] = s->window[--s->nwindow];
    window_sift_down(s, 0);
    if (offset)
        *offset = first.offset;
    return first.r;
}

void et_stream_close(struct et_stream *s)
{
    if (!s)
        return;
    free(s->cursors);
    free(s->window);
    free(s);
}
