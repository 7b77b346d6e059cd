/*
 * `exectrace timeline`: the trace's timeline as one self-contained HTML
 * page.  The picture is SVG laid out here, so it prints and screenshots with
 * scripts off; the page's script (timeline_page.js, built in) only adds
 * zoom, pan, a time cursor with the state at that moment, stepping from one
 * event to the next, and the findings' focus.
 *
 * Geometry: the plot's time axis is PLOT_W user units wide at zoom 1, and
 * every element that must keep its shape when zoomed (text, arrowheads) is
 * in an overlay the script moves, lane by lane, only where it is visible.
 * Everything else is drawn in one group that the script zooms with a single
 * transform, which is what keeps 10,000 processes responsive.
 */
#define _GNU_SOURCE
#include "timeline_html.h"

#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "names.h"
#include "output.h"
#include "procmap.h"
#include "timeline.h"

/* The page's own style and script, built in (timeline_assets.S). */
extern const char et_timeline_page_css[];
extern const char et_timeline_page_js[];

#define LABEL_W 320u /* the tree of labels, left of the plot */
#define PLOT_W 1000u /* the whole trace, at zoom 1 */
#define RIGHT_W 130u /* room for the end caps of lanes that end last */
#define ROW_H 22u    /* a lane without pipe ends */
#define BAR_Y 5u
#define BAR_H 12u
#define SUB_H 4u /* a pipe end's sub-lane */
#define SUB_GAP 2u
#define MAX_SUBROWS 12u
#define INDENT 12u
#define MAX_INDENT_DEPTH 16u
#define FAR_LANES 12u /* an arrow across more lanes than this becomes two stubs */
#define STUB 5u
/* A lane with more stub ends than this (a shell that started thousands of
 * children) shows them as ticks on its bar, in one element, unlabelled. */
#define BUSY_STUBS 16u
#define CHUNK 64u /* lanes zoomed as one group */
#define PIPE_COLOURS 10u
/* x is written in fixed point, 1/X_ONE of a user unit: identical output for
 * identical input, and precise enough to zoom a second-long trace to the
 * microsecond. */
#define X_ONE 10000u

struct page {
    FILE *out;
    const struct et_timeline *tl;
    uint64_t span; /* ns, at least 1 */
    uint32_t *top; /* each lane's top */
    uint32_t *height;
    uint32_t *hold_row;    /* each hold's sub-lane in its lane */
    uint32_t *hold_colour; /* each hold's pipe, numbered by first appearance */
    uint32_t *stub_ends;   /* each lane's ends of arrows drawn as stubs */
    uint32_t total_h;
};

/* ---- storage ---------------------------------------------------------------------- */

/* Room for one more element of size bytes in *v; NULL when memory ran out
 * (and *oom says so from then on). */
static void *grow(void **v, size_t *n, size_t *cap, size_t size, bool *oom)
{
    if (*oom)
        return NULL;
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        void *p = realloc(*v, ncap * size);
        if (!p) {
            *oom = true;
            return NULL;
        }
        *v = p;
        *cap = ncap;
    }
    return (char *)*v + (*n)++ * size;
}

/* ---- small writers -------------------------------------------------------------- */

static uint64_t xq(const struct page *pg, uint64_t ts)
{
    if (ts <= pg->tl->t0)
        return 0;
    if (ts >= pg->tl->t1)
        ts = pg->tl->t1;
    return (uint64_t)((unsigned __int128)(ts - pg->tl->t0) * PLOT_W * X_ONE / pg->span);
}

/* A fixed-point x, without trailing zeros. */
static void put_x(FILE *f, uint64_t q)
{
    uint64_t whole = q / X_ONE, frac = q % X_ONE;
    if (!frac) {
        fprintf(f, "%" PRIu64, whole);
        return;
    }
    char digits[8];
    snprintf(digits, sizeof(digits), "%04" PRIu64, frac);
    size_t n = strlen(digits);
    while (n && digits[n - 1] == '0')
        n--;
    fprintf(f, "%" PRIu64 ".%.*s", whole, (int)n, digits);
}

static void markup(FILE *f, const char *s)
{
    if (s)
        et_print_markup(f, s, strlen(s));
}

static uint32_t bar_mid(const struct page *pg, uint32_t lane)
{
    return pg->top[lane] + BAR_Y + BAR_H / 2;
}

/* The lane a record's process is drawn in. */
static uint32_t lane_of_record(const struct et_timeline *tl, const struct et_record *r)
{
    long proc = et_procmap_get(&tl->a.model.by_identity, r->pid, r->start_time);
    return proc < 0 ? ET_TL_NO_LANE : tl->lane_of[proc];
}

static const char *const flow_class[] = {"create", "signal", "reap", "adopt"};

/* An arrow across many lanes, or out of its chunk, is drawn as two short
 * stubs, one at each end, labelled with the other end. */
static bool far_apart(const struct et_tl_flow *fl)
{
    uint32_t d = fl->from_lane > fl->to_lane ? fl->from_lane - fl->to_lane : fl->to_lane - fl->from_lane;
    return d > FAR_LANES || fl->from_lane / CHUNK != fl->to_lane / CHUNK;
}

static bool drawn(const struct et_tl_flow *fl)
{
    return fl->from_lane != fl->to_lane && fl->from_lane != ET_TL_NO_LANE && fl->to_lane != ET_TL_NO_LANE;
}

/* ---- geometry --------------------------------------------------------------------- */

static int lay_out(struct page *pg)
{
    const struct et_timeline *tl = pg->tl;
    size_t nl = tl->nlanes ? tl->nlanes : 1, nh = tl->nholds ? tl->nholds : 1;
    pg->top = calloc(nl, sizeof(*pg->top));
    pg->height = calloc(nl, sizeof(*pg->height));
    pg->hold_row = calloc(nh, sizeof(*pg->hold_row));
    pg->hold_colour = calloc(nh, sizeof(*pg->hold_colour));
    uint64_t *row_free = calloc(nl * MAX_SUBROWS, sizeof(*row_free)); /* when each sub-lane is free again */
    uint8_t *rows = calloc(nl, 1);
    if (!pg->top || !pg->height || !pg->hold_row || !pg->hold_colour || !row_free || !rows) {
        free(row_free);
        free(rows);
        return -ENOMEM;
    }
    /* Holds come sorted by time: each takes the first sub-lane free. */
    for (size_t i = 0; i < tl->nholds; i++) {
        const struct et_tl_hold *h = &tl->holds[i];
        uint64_t *free_at = &row_free[(size_t)h->lane * MAX_SUBROWS];
        uint32_t r = 0;
        while (r < rows[h->lane] && free_at[r] > h->from)
            r++;
        if (r == MAX_SUBROWS)
            r = MAX_SUBROWS - 1; /* overlaps, rather than a lane without end */
        else if (r == rows[h->lane])
            rows[h->lane]++;
        free_at[r] = h->until > h->from ? h->until : h->from + 1;
        pg->hold_row[i] = r;
    }
    uint32_t y = 0;
    for (size_t i = 0; i < tl->nlanes; i++) {
        pg->top[i] = y;
        pg->height[i] = ROW_H + (rows[i] ? rows[i] * (SUB_H + SUB_GAP) + 2 : 0);
        y += pg->height[i];
    }
    pg->total_h = y ? y : ROW_H;
    pg->stub_ends = calloc(nl, sizeof(*pg->stub_ends));
    if (!pg->stub_ends) {
        free(row_free);
        free(rows);
        return -ENOMEM;
    }
    for (size_t i = 0; i < tl->nflows; i++)
        if (drawn(&tl->flows[i]) && far_apart(&tl->flows[i])) {
            pg->stub_ends[tl->flows[i].from_lane]++;
            pg->stub_ends[tl->flows[i].to_lane]++;
        }
    /* A colour per pipe, numbered by first appearance (holds come in time
     * order); the map is keyed by (0, inode). */
    struct et_procmap pipes;
    et_procmap_init(&pipes);
    int ret = 0;
    for (size_t i = 0; i < tl->nholds && !ret; i++) {
        int inserted;
        long colour = et_procmap_get_or_put(&pipes, 0, tl->holds[i].inode, (uint32_t)pipes.count, &inserted);
        if (colour < 0)
            ret = -ENOMEM;
        else
            pg->hold_colour[i] = (uint32_t)colour;
    }
    et_procmap_free(&pipes);
    free(row_free);
    free(rows);
    return ret;
}

/* ---- the head: style, title, the findings' counts ------------------------------------ */

static void put_head(const struct page *pg, const char *trace_path)
{
    FILE *f = pg->out;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", f);
    /* Nothing is loaded from anywhere: a browser refuses any fetch, and a
     * test can prove the page tried none. */
    fputs("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
          "script-src 'unsafe-inline'; img-src data:\">\n",
          f);
    fputs("<meta name=\"viewport\" content=\"width=device-width\">\n<title>exectrace timeline: ", f);
    markup(f, trace_path);
    fputs("</title>\n<style>\n", f);
    fputs(et_timeline_page_css, f);
    fputs("</style>\n</head>\n", f);
}

static void put_header(const struct page *pg, const char *trace_path)
{
    FILE *f = pg->out;
    const struct et_timeline *tl = pg->tl;
    unsigned count[3] = {0};
    for (size_t i = 0; i < tl->nfindings; i++)
        if (tl->findings[i].f->severity < 3)
            count[tl->findings[i].f->severity]++;
    fputs("<header><h1>exectrace timeline</h1> <span class=\"trace\">", f);
    markup(f, trace_path);
    fprintf(f, "</span> <span class=\"facts\">%zu process%s over %s", tl->nlanes, tl->nlanes == 1 ? "" : "es",
            ET_DURATION(pg->span));
    for (unsigned s = 0; s < 3; s++)
        if (count[s])
            fprintf(f, ", <span class=\"sev-%s\">%u %s%s</span>", et_severity_name(s), count[s], et_severity_name(s),
                    count[s] == 1 ? "" : "s");
    fputs("</span>\n", f);
    char history[512];
    if (et_model_history(&tl->a.model, history, sizeof(history))) {
        fputs("<p class=\"keys\">", f);
        markup(f, history);
        fputs("</p>\n", f);
    }
    fputs("<p class=\"keys\">W/S or Ctrl+wheel (or the wheel over the time axis): zoom around the pointer. "
          "A/D or drag: pan. 0: whole trace. Click: place the time cursor. &#8592;/&#8594;: step from event to "
          "event. Esc: clear the focus.</p></header>\n",
          f);
}

/* ---- the axis ------------------------------------------------------------------------ */

static void put_axis(const struct page *pg)
{
    FILE *f = pg->out;
    fprintf(f, "<svg id=\"axis\" width=\"%u\" height=\"30\" viewBox=\"0 0 %u 30\">", LABEL_W + PLOT_W + RIGHT_W,
            LABEL_W + PLOT_W + RIGHT_W);
    fprintf(f, "<text class=\"axis-title\" x=\"8\" y=\"19\">process (pid, program)</text>");
    fprintf(f, "<g id=\"ticks\" transform=\"translate(%u 0)\">", LABEL_W);
    /* Ten ticks at zoom 1; the script redraws them as it zooms. */
    for (unsigned i = 0; i <= 10; i++) {
        uint64_t ns = pg->span * i / 10;
        uint64_t q = (uint64_t)PLOT_W * X_ONE * i / 10;
        fputs("<line x1=\"", f);
        put_x(f, q);
        fputs("\" x2=\"", f);
        put_x(f, q);
        fputs("\" y1=\"22\" y2=\"30\"/><text x=\"", f);
        put_x(f, q);
        fprintf(f, "\" y=\"17\">%s</text>", et_format_seconds((char[ET_SECONDS_LEN]){0}, (int64_t)ns, 3, true));
    }
    fputs("</g><g id=\"axis-cursor\"></g></svg>\n", f);
}

/* ---- the plot ------------------------------------------------------------------------ */

/* The tree of labels: each lane indented under its parent, with an elbow
 * from the parent's row. */
static void put_labels(const struct page *pg)
{
    FILE *f = pg->out;
    const struct et_timeline *tl = pg->tl;
    fputs("<g id=\"labels\" clip-path=\"url(#clip-labels)\">", f);
    for (size_t i = 0; i < tl->nlanes; i++) {
        const struct et_tl_lane *l = &tl->lanes[i];
        unsigned depth = l->depth < MAX_INDENT_DEPTH ? l->depth : MAX_INDENT_DEPTH;
        unsigned x = 8 + depth * INDENT;
        if (l->parent_lane != ET_TL_NO_LANE && depth > 0)
            fprintf(f, "<path class=\"elbow\" d=\"M%u %u V%u H%u\"/>", x - INDENT + 3, bar_mid(pg, l->parent_lane) + 6,
                    bar_mid(pg, (uint32_t)i), x - 2);
        fprintf(f, "<text class=\"label\" id=\"t%zu\" x=\"%u\" y=\"%u\">", i, x, bar_mid(pg, (uint32_t)i) + 4);
        markup(f, l->label);
        fputs("</text>", f);
    }
    fputs("</g>\n", f);
}

static void put_rect(FILE *f, const char *cls, uint64_t x0, uint64_t x1, uint32_t y, uint32_t h)
{
    fprintf(f, "<rect class=\"%s\" x=\"", cls);
    put_x(f, x0);
    fputs("\" width=\"", f);
    put_x(f, x1 - x0);
    fprintf(f, "\" y=\"%u\" height=\"%u\"/>", y, h);
}

static void put_vline(FILE *f, const char *cls, uint64_t x, uint32_t y0, uint32_t y1)
{
    fprintf(f, "<line class=\"%s\" x1=\"", cls);
    put_x(f, x);
    fputs("\" x2=\"", f);
    put_x(f, x);
    fprintf(f, "\" y1=\"%u\" y2=\"%u\"/>", y0, y1);
}

static const char *ending_class(const struct et_timeline *tl, const struct et_tl_lane *l)
{
    const struct et_proc *p = &tl->a.model.procs[l->proc];
    switch (p->end_how) {
    case ET_END_EXITED:
        return p->exit_code == 0 ? "end ok" : "end failed";
    case ET_END_KILLED:
        return "end killed";
    case ET_END_UNKNOWN:
        return "end unknown";
    default:
        return "end running";
    }
}

/* Each lane's share of the slices, holds, instants and arrows (those it
 * sends), which come sorted by time: bucketed by lane once. */
struct by_lane {
    size_t *first, *ix;
};

struct lane_index {
    struct by_lane slices, holds, instants, flows;
};

static int bucket(struct by_lane *b, size_t nlanes, size_t n, const void *v, size_t size, size_t lane_offset)
{
    b->first = calloc(nlanes + 1, sizeof(size_t));
    b->ix = malloc((n ? n : 1) * sizeof(size_t));
    size_t *fill = calloc(nlanes + 1, sizeof(size_t));
    if (!b->first || !b->ix || !fill) {
        free(fill);
        return -ENOMEM;
    }
#define LANE_AT(i) (*(const uint32_t *)((const char *)v + (i) * size + lane_offset))
    for (size_t i = 0; i < n; i++)
        if (LANE_AT(i) < nlanes)
            b->first[LANE_AT(i) + 1]++;
    for (size_t i = 0; i < nlanes; i++)
        b->first[i + 1] += b->first[i];
    for (size_t i = 0; i < n; i++)
        if (LANE_AT(i) < nlanes)
            b->ix[b->first[LANE_AT(i)] + fill[LANE_AT(i)]++] = i;
#undef LANE_AT
    free(fill);
    return 0;
}

static void lane_index_free(struct lane_index *x)
{
    struct by_lane *all[] = {&x->slices, &x->holds, &x->instants, &x->flows};
    for (size_t i = 0; i < 4; i++) {
        free(all[i]->first);
        free(all[i]->ix);
    }
}

static int lane_index_build(struct lane_index *x, const struct et_timeline *tl)
{
    memset(x, 0, sizeof(*x));
    size_t nl = tl->nlanes;
    if (bucket(&x->slices, nl, tl->nslices, tl->slices, sizeof(*tl->slices), offsetof(struct et_tl_slice, lane)) < 0 ||
        bucket(&x->holds, nl, tl->nholds, tl->holds, sizeof(*tl->holds), offsetof(struct et_tl_hold, lane)) < 0 ||
        bucket(&x->instants, nl, tl->ninstants, tl->instants, sizeof(*tl->instants),
               offsetof(struct et_tl_instant, lane)) < 0 ||
        bucket(&x->flows, nl, tl->nflows, tl->flows, sizeof(*tl->flows), offsetof(struct et_tl_flow, from_lane)) < 0) {
        lane_index_free(x);
        return -ENOMEM;
    }
    return 0;
}

#define EACH(x, b, lane, k) for (size_t k = (x)->b.first[lane]; k < (x)->b.first[(lane) + 1]; k++)

/* A lane's slices, end, pipe ends and instants, in one group (a finding
 * outlines or dims lanes as wholes). */
static void put_lane(const struct page *pg, const struct lane_index *x, uint32_t i, uint32_t chunk)
{
    FILE *f = pg->out;
    const struct et_timeline *tl = pg->tl;
    const struct et_tl_lane *l = &tl->lanes[i];
    uint32_t top = pg->top[i];
    fprintf(f, "<g class=\"lane\" id=\"l%u\">", i);
    unsigned programs = 0;
    EACH(x, slices, i, k)
    programs += tl->slices[x->slices.ix[k]].kind == ET_TL_PROGRAM;
    bool first_program = true;
    EACH(x, slices, i, k)
    {
        const struct et_tl_slice *s = &tl->slices[x->slices.ix[k]];
        uint64_t x0 = xq(pg, s->from), x1 = xq(pg, s->to);
        switch (s->kind) {
        case ET_TL_PROGRAM:
            /* Before its first exec a child runs a copy of its parent. */
            put_rect(f, first_program && programs > 1 && l->parent_lane != ET_TL_NO_LANE ? "prog pre" : "prog", x0,
                     x1, top + BAR_Y, BAR_H);
            first_program = false;
            break;
        case ET_TL_WAIT:
            put_rect(f, "wait", x0, x1, top + BAR_Y + 3, BAR_H - 6);
            break;
        case ET_TL_ZOMBIE:
            fprintf(f, "<rect class=\"zombie\" fill=\"url(#h%u)\" x=\"", chunk);
            put_x(f, x0);
            fputs("\" width=\"", f);
            put_x(f, x1 - x0);
            fprintf(f, "\" y=\"%u\" height=\"%u\"/>", top + BAR_Y, BAR_H);
            break;
        }
    }
    put_vline(f, ending_class(tl, l), xq(pg, l->end), top + BAR_Y - 2, top + BAR_Y + BAR_H + 2);
    EACH(x, holds, i, k)
    {
        size_t hi = x->holds.ix[k];
        const struct et_tl_hold *h = &tl->holds[hi];
        uint64_t x0 = xq(pg, h->from);
        fprintf(f, "<rect data-pipe=\"%" PRIu64 "\" class=\"hold p%u %s\" x=\"", h->inode,
                pg->hold_colour[hi] % PIPE_COLOURS, h->write ? (h->read ? "rw" : "w") : "r");
        put_x(f, x0);
        fputs("\" width=\"", f);
        put_x(f, xq(pg, h->until) - x0);
        fprintf(f, "\" y=\"%u\" height=\"%u\"/>", top + ROW_H + pg->hold_row[hi] * (SUB_H + SUB_GAP), SUB_H);
    }
    EACH(x, instants, i, k)
    {
        const struct et_tl_instant *in = &tl->instants[x->instants.ix[k]];
        static const char *const cls[] = {"instant signal", "instant group", "instant subreaper", "instant execfail"};
        put_vline(f, cls[in->kind], xq(pg, in->ts), top + 1, top + ROW_H - 1);
    }
    fputs("</g>\n", f);
}

/* Where an arrow leaves its source and reaches its target: the edges of the
 * two bars that face each other. */
static void flow_ends(const struct page *pg, const struct et_tl_flow *fl, uint32_t *y0, uint32_t *y1)
{
    bool down = pg->top[fl->to_lane] > pg->top[fl->from_lane];
    *y0 = pg->top[fl->from_lane] + BAR_Y + (down ? BAR_H : 0);
    *y1 = pg->top[fl->to_lane] + BAR_Y + (down ? 0 : BAR_H);
}

static bool busy(const struct page *pg, uint32_t lane)
{
    return pg->stub_ends[lane] > BUSY_STUBS;
}

static void put_flow(const struct page *pg, const struct et_tl_flow *fl)
{
    FILE *f = pg->out;
    uint32_t y0, y1;
    flow_ends(pg, fl, &y0, &y1);
    uint64_t x0 = xq(pg, fl->from_ts), x1 = xq(pg, fl->to_ts);
    bool far = far_apart(fl);
    if (far && busy(pg, fl->from_lane) && busy(pg, fl->to_lane))
        return; /* both ends are ticks */
    fprintf(f, "<path class=\"flow %s%s%s\" data-from=\"%u\" data-to=\"%u\" d=\"", flow_class[fl->kind],
            fl->failed ? " failed" : "", far ? " stub" : "", fl->from_lane, fl->to_lane);
    if (far) {
        /* Two short stubs, one at each end, each pointing at the other;
         * a busy lane's end is one of its ticks instead. */
        int dir = y1 > y0 ? 1 : -1;
        if (!busy(pg, fl->from_lane)) {
            fputs("M", f);
            put_x(f, x0);
            fprintf(f, " %u V%d", y0, (int)y0 + dir * (int)STUB);
        }
        if (!busy(pg, fl->to_lane)) {
            fputs(busy(pg, fl->from_lane) ? "M" : " M", f);
            put_x(f, x1);
            fprintf(f, " %d V%u", (int)y1 - dir * (int)STUB, y1);
        }
    } else {
        fputs("M", f);
        put_x(f, x0);
        fprintf(f, " %u", y0);
        fputs(" L", f);
        put_x(f, x1);
        fprintf(f, " %u", y1);
    }
    fputs("\"/>", f);
}

/* ---- the overlay: what keeps its shape when zoomed ----------------------------------------- */

struct overlay_item {
    uint32_t lane;
    uint64_t x;
    char *svg; /* drawn at x = 0 */
};

struct overlay {
    struct overlay_item *v;
    size_t n, cap;
    bool out_of_memory;
};

__attribute__((format(printf, 4, 5))) static void overlay_add(struct overlay *o, uint32_t lane, uint64_t x,
                                                              const char *fmt, ...)
{
    if (lane == ET_TL_NO_LANE)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int len = vasprintf(&s, fmt, ap);
    va_end(ap);
    struct overlay_item *it = len < 0 ? NULL : grow((void **)&o->v, &o->n, &o->cap, sizeof(*o->v), &o->out_of_memory);
    if (!it) {
        o->out_of_memory = true;
        if (len >= 0)
            free(s);
        return;
    }
    *it = (struct overlay_item){lane, x, s};
}

/* Text in markup, for an overlay item's format. */
static char *markup_text(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return NULL;
    markup(mem, s);
    if (fclose(mem) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* At most max bytes of s in markup, with an ellipsis when cut (the whole
 * text is in the page's data, for the tooltip). */
static char *short_text(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len <= max)
        return markup_text(s);
    while (max && ((unsigned char)s[max] & 0xc0) == 0x80)
        max--; /* not inside a character */
    char *cut = strndup(s, max);
    if (!cut)
        return NULL;
    char *t = markup_text(cut);
    free(cut);
    char *out = NULL;
    if (t && asprintf(&out, "%s&#8230;", t) < 0)
        out = NULL;
    free(t);
    return out;
}

/* A guess at a label's width in px, to hide it where it would not fit. */
static unsigned text_width(const char *s)
{
    size_t len = strlen(s);
    return (unsigned)(len < 48 ? len : 49) * 6 + 6;
}

static int overlay_order(const void *a, const void *b)
{
    const struct overlay_item *x = a, *y = b;
    if (x->lane != y->lane)
        return x->lane < y->lane ? -1 : 1;
    if (x->x != y->x)
        return x->x < y->x ? -1 : 1;
    return strcmp(x->svg, y->svg);
}

static void collect_overlay(const struct page *pg, struct overlay *o)
{
    const struct et_timeline *tl = pg->tl;
    /* Program names, where the bar has room for them. */
    for (size_t i = 0; i < tl->nslices; i++) {
        const struct et_tl_slice *s = &tl->slices[i];
        if (s->kind != ET_TL_PROGRAM || !s->label)
            continue;
        char *t = short_text(s->label, 48);
        uint64_t w = xq(pg, s->to) - xq(pg, s->from);
        overlay_add(o, s->lane, xq(pg, s->from), "<text class=\"prog-name\" data-w=\"%" PRIu64 "\" data-len=\"%u\" dx=\"3\" y=\"%u\"%s>%s</text>",
                    w / X_ONE, text_width(s->label), pg->top[s->lane] + BAR_Y + BAR_H - 2,
                    (uint64_t)text_width(s->label) * X_ONE > w ? " visibility=\"hidden\"" : "", t ? t : "");
        free(t);
    }
    /* How each lane ended, just after its end. */
    for (size_t i = 0; i < tl->nlanes; i++) {
        const struct et_tl_lane *l = &tl->lanes[i];
        char *t = markup_text(l->ending);
        overlay_add(o, (uint32_t)i, xq(pg, l->end), "<text class=\"cap %s\" dx=\"4\" y=\"%u\">%s</text>",
                    ending_class(tl, l), bar_mid(pg, (uint32_t)i) + 4, t ? t : "");
        free(t);
    }
    /* Arrowheads and the arrows' labels. */
    for (size_t i = 0; i < tl->nflows; i++) {
        const struct et_tl_flow *fl = &tl->flows[i];
        if (!drawn(fl))
            continue;
        uint32_t y0, y1;
        flow_ends(pg, fl, &y0, &y1);
        int dir = y1 > y0 ? 1 : -1;
        const char *cls = flow_class[fl->kind];
        const char *failed = fl->failed ? " failed" : "";
        bool far = far_apart(fl);
        if (!far || !busy(pg, fl->to_lane))
            overlay_add(o, fl->to_lane, xq(pg, fl->to_ts), "<path class=\"head %s%s\" d=\"M-4 %d L4 %d L0 %u Z\"/>",
                        cls, failed, (int)y1 - dir * 6, (int)y1 - dir * 6, y1);
        const struct et_tl_lane *from = &tl->lanes[fl->from_lane], *to = &tl->lanes[fl->to_lane];
        char sig[32];
        char *text = NULL;
        if (fl->kind == ET_TL_SIGNAL && fl->rec) {
            const struct et_signal *b = et_body(fl->rec);
            text = markup_text(et_signal_name(b->sig, sig, sizeof(sig)));
            overlay_add(o, fl->from_lane, xq(pg, fl->from_ts), "<text class=\"flow-label signal%s\" dx=\"3\" y=\"%d\">%s%s</text>",
                        failed, (int)y0 + dir * 10, text ? text : "",
                        fl->failed ? " (missed)" : "");
        } else if (fl->kind == ET_TL_ADOPT) {
            overlay_add(o, fl->to_lane, xq(pg, fl->to_ts), "<text class=\"flow-label adopt\" dx=\"5\" y=\"%d\">adopted</text>",
                        (int)y1 - dir * 2);
        }
        free(text);
        if (far) {
            /* Say at each stub where the other end is. */
            char *a = short_text(to->label, 32), *b = short_text(from->label, 32);
            if (!busy(pg, fl->from_lane))
                overlay_add(o, fl->from_lane, xq(pg, fl->from_ts),
                            "<text class=\"stub-label\" dx=\"-3\" y=\"%d\" text-anchor=\"end\">&#8594; %s</text>",
                            (int)y0 + dir * (int)STUB, a ? a : "");
            if (!busy(pg, fl->to_lane))
                overlay_add(o, fl->to_lane, xq(pg, fl->to_ts),
                            "<text class=\"stub-label\" dx=\"-3\" y=\"%d\" text-anchor=\"end\">from %s</text>",
                            (int)y1 - dir * (int)STUB + dir * 8, b ? b : "");
            free(a);
            free(b);
        }
    }
    /* Instants: what happened, briefly. */
    for (size_t i = 0; i < tl->ninstants; i++) {
        const struct et_tl_instant *in = &tl->instants[i];
        static const char *const word[] = {"signal", "group", "subreaper", "exec failed"};
        overlay_add(o, in->lane, xq(pg, in->ts), "<text class=\"instant-label\" dx=\"2\" y=\"%u\">%s</text>",
                    pg->top[in->lane] + 3 + 6, word[in->kind]);
    }
    if (o->n)
        qsort(o->v, o->n, sizeof(*o->v), overlay_order);
}

/* A busy lane's ends of arrows, as ticks pointing at the other end, all
 * in one path. */
static void put_ticks(const struct page *pg, uint32_t lane)
{
    FILE *f = pg->out;
    const struct et_timeline *tl = pg->tl;
    fprintf(f, "<path class=\"ticks\" d=\"");
    for (size_t i = 0; i < tl->nflows; i++) {
        const struct et_tl_flow *fl = &tl->flows[i];
        if (!drawn(fl) || !far_apart(fl) || (fl->from_lane != lane && fl->to_lane != lane))
            continue;
        uint32_t y0, y1;
        flow_ends(pg, fl, &y0, &y1);
        int dir = y1 > y0 ? 1 : -1;
        fputs("M", f);
        if (fl->from_lane == lane) {
            put_x(f, xq(pg, fl->from_ts));
            fprintf(f, " %u V%d", y0, (int)y0 + dir * (int)STUB);
        } else {
            put_x(f, xq(pg, fl->to_ts));
            fprintf(f, " %d V%u", (int)y1 - dir * (int)STUB, y1);
        }
    }
    fputs("\"/>", f);
}

/* A chunk's overlay: each item placed at its x, which the script moves. */
static void put_overlay(const struct page *pg, const struct overlay *o, size_t *k, uint32_t a, uint32_t b)
{
    FILE *f = pg->out;
    for (uint32_t lane = a; lane < b; lane++) {
        fprintf(f, "<g class=\"ov\" id=\"o%u\">", lane);
        for (; *k < o->n && o->v[*k].lane == lane; ++*k) {
            const struct overlay_item *it = &o->v[*k];
            bool text = strncmp(it->svg, "<text ", 6) == 0;
            fputs(text ? "<text data-x=\"" : "<path data-x=\"", f);
            put_x(f, it->x);
            fputs(text ? "\" x=\"" : "\" transform=\"translate(", f);
            put_x(f, it->x);
            fprintf(f, "%s %s\n", text ? "\"" : " 0)\"", it->svg + 6);
        }
        fputs("</g>\n", f);
    }
}

/* A chunk's share of each finding's interval and evidence, shown when the
 * finding is chosen. */
static void put_finding_marks(const struct page *pg, uint32_t a, uint32_t b)
{
    FILE *f = pg->out;
    const struct et_timeline *tl = pg->tl;
    uint32_t y0 = pg->top[a], y1 = pg->top[b - 1] + pg->height[b - 1];
    for (size_t i = 0; i < tl->nfindings; i++) {
        const struct et_tl_finding *x = &tl->findings[i];
        fprintf(f, "<g class=\"mark sev-%s\" data-f=\"%zu\">", et_severity_name(x->f->severity), i);
        put_rect(f, "interval", xq(pg, x->from), xq(pg, x->to), y0, y1 - y0);
        for (uint32_t e = 0; e < x->f->nevidence; e++) {
            uint32_t lane = lane_of_record(tl, x->f->evidence[e]);
            if (lane >= a && lane < b)
                put_vline(f, "evidence", xq(pg, x->f->evidence[e]->ts_ns), pg->top[lane], pg->top[lane] + ROW_H);
        }
        fputs("</g>", f);
    }
}

/* The background, which never changes: stripes, the tree of labels. */
static void put_background(const struct page *pg, unsigned w)
{
    FILE *f = pg->out;
    const struct et_timeline *tl = pg->tl;
    fprintf(f, "<svg id=\"bg\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\">", w, pg->total_h);
    fprintf(f, "<rect class=\"plot-bg\" x=\"%u\" width=\"%u\" height=\"%u\"/>", LABEL_W, PLOT_W, pg->total_h);
    for (size_t i = 1; i < tl->nlanes; i += 2)
        fprintf(f, "<rect class=\"stripe\" y=\"%u\" width=\"%u\" height=\"%u\"/>", pg->top[i], w, pg->height[i]);
    fprintf(f, "<clipPath id=\"clip-labels\"><rect width=\"%u\" height=\"%u\"/></clipPath>", LABEL_W - 6,
            pg->total_h);
    put_labels(pg);
    fputs("</svg>\n", f);
}

/* The plot, in chunks of CHUNK lanes, each its own SVG: the script moves
 * only the chunks on screen, and the browser lays out and repaints only
 * those, so a zoom costs what is seen, not all 10,000 lanes.  An arrow is
 * drawn whole inside its chunk, or as two stubs (see far_apart). */
static int put_chunks(const struct page *pg, const struct overlay *o, unsigned w)
{
    FILE *f = pg->out;
    const struct et_timeline *tl = pg->tl;
    struct lane_index x;
    if (lane_index_build(&x, tl) < 0)
        return -ENOMEM;
    size_t k = 0;
    for (uint32_t a = 0; a < tl->nlanes; a += CHUNK) {
        uint32_t b = a + CHUNK < tl->nlanes ? a + CHUNK : (uint32_t)tl->nlanes;
        uint32_t c = a / CHUNK, y0 = pg->top[a], h = pg->top[b - 1] + pg->height[b - 1] - y0;
        fprintf(f, "<div class=\"chunk\" style=\"contain-intrinsic-size: %upx %upx\">", w, h);
        fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" viewBox=\"0 %u %u %u\">", w, h,
                y0, w, h);
        fprintf(f,
                "<defs><pattern id=\"h%u\" class=\"hatch\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\" "
                "patternTransform=\"rotate(45)\"><rect width=\"5\" height=\"5\" class=\"hatch-bg\"/>"
                "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"5\" class=\"hatch-line\"/></pattern>"
                "<clipPath id=\"p%u\"><rect y=\"%u\" width=\"%u\" height=\"%u\"/></clipPath>"
                "<clipPath id=\"q%u\"><rect y=\"%u\" width=\"%u\" height=\"%u\"/></clipPath></defs>\n",
                c, c, y0, PLOT_W, h, c, y0, PLOT_W + RIGHT_W, h);
        fprintf(f, "<g transform=\"translate(%u 0)\"><g clip-path=\"url(#p%u)\">", LABEL_W, c);
        fprintf(f, "<g class=\"zc\" data-a=\"%u\" data-b=\"%u\" data-c=\"%u\" transform=\"matrix(1 0 0 1 0 0)\">\n",
                a, b - 1, c);
        put_finding_marks(pg, a, b);
        for (uint32_t i = a; i < b; i++)
            put_lane(pg, &x, i, c);
        for (uint32_t i = a; i < b; i++)
            if (busy(pg, i))
                put_ticks(pg, i);
        for (uint32_t i = a; i < b; i++)
            EACH(&x, flows, i, n)
            {
                const struct et_tl_flow *fl = &tl->flows[x.flows.ix[n]];
                if (drawn(fl))
                    put_flow(pg, fl);
            }
        fprintf(f, "</g></g></g><g class=\"overlay\" transform=\"translate(%u 0)\"><g clip-path=\"url(#q%u)\">\n",
                LABEL_W, c);
        put_overlay(pg, o, &k, a, b);
        fputs("</g></g></svg></div>\n", f);
    }
    lane_index_free(&x);
    return 0;
}

static int put_plot(const struct page *pg)
{
    FILE *f = pg->out;
    const struct et_timeline *tl = pg->tl;
    struct overlay o = {0};
    collect_overlay(pg, &o);
    int ret = o.out_of_memory ? -ENOMEM : 0;
    if (!ret) {
        unsigned w = LABEL_W + PLOT_W + RIGHT_W;
        fprintf(f, "<div id=\"plot\" data-lanes=\"%zu\">\n", tl->nlanes);
        put_background(pg, w);
        ret = put_chunks(pg, &o, w);
        fputs("<div id=\"cursor\"></div></div>\n", f);
    }
    for (size_t i = 0; i < o.n; i++)
        free(o.v[i].svg);
    free(o.v);
    return ret;
}

/* ---- the side: findings, the cursor's state, the step caption ----------------------------- */

static void put_side(const struct page *pg)
{
    FILE *f = pg->out;
    const struct et_timeline *tl = pg->tl;
    const struct et_model *m = &tl->a.model;
    fputs("<aside>\n<div class=\"controls\"><button id=\"reset\" type=\"button\">whole trace</button> "
          "<button id=\"prev\" type=\"button\">&#8592; event</button> "
          "<button id=\"next\" type=\"button\">event &#8594;</button></div>\n"
          "<p id=\"caption\">Step through the trace event by event, or click the timeline to see the state at "
          "that moment.</p>\n"
          "<section id=\"state\"><h2>State at <span id=\"state-time\">the cursor</span></h2><table id=\"state-table\">"
          "<thead><tr><th>process</th><th>state</th><th>pipe ends held</th></tr></thead><tbody></tbody></table>"
          "</section>\n",
          f);
    fprintf(f, "<section id=\"findings\"><h2>%zu finding%s</h2>\n", tl->nfindings, tl->nfindings == 1 ? "" : "s");
    if (!tl->nfindings)
        fputs("<p>No findings: nothing went wrong between these processes.</p>\n", f);
    fputs("<ol>\n", f);
    for (size_t i = 0; i < tl->nfindings; i++) {
        const struct et_finding *x = tl->findings[i].f;
        const char *sev = et_severity_name(x->severity);
        fprintf(f, "<li class=\"finding sev-%s\" id=\"f%zu\" tabindex=\"0\"><div class=\"what\"><b>%s</b> %s", sev,
                i, sev, et_finding_kind_name(x->kind));
        fprintf(f, " <span class=\"when\">%s</span></div><div class=\"message\">", ET_WHEN(tl->t0, x->ts));
        markup(f, x->message);
        if (x->basis) {
            fputs("</div><div class=\"basis\"><b>basis</b> ", f);
            markup(f, x->basis);
        }
        fputs("</div><div class=\"why\"><b>why</b> ", f);
        markup(f, et_finding_explanation(x->kind));
        char fix[2048];
        fputs("</div><div class=\"fix\"><b>fix</b> ", f);
        markup(f, et_finding_fix_for(m, x, fix, sizeof(fix)));
        fputs("</div></li>\n", f);
    }
    fputs("</ol></section>\n</aside>\n", f);
}

/* ---- the data the script works from ---------------------------------------------------------- */

struct step {
    uint64_t ts;
    uint32_t a, b;
    unsigned order; /* among steps at the same moment */
    char *text;
};

struct steps {
    struct step *v;
    size_t n, cap;
    bool out_of_memory;
};

__attribute__((format(printf, 6, 7))) static void step_add(struct steps *s, uint64_t ts, uint32_t a, uint32_t b,
                                                           unsigned order, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int len = vasprintf(&text, fmt, ap);
    va_end(ap);
    struct step *st = len < 0 ? NULL : grow((void **)&s->v, &s->n, &s->cap, sizeof(*s->v), &s->out_of_memory);
    if (!st) {
        s->out_of_memory = true;
        if (len >= 0)
            free(text);
        return;
    }
    *st = (struct step){ts, a, b, order, text};
}

static int step_order(const void *x, const void *y)
{
    const struct step *a = x, *b = y;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return strcmp(a->text, b->text);
}

static const char *end_word(const struct et_tl_hold *h)
{
    return h->write ? (h->read ? "both ends" : "the write end") : "the read end";
}

/* One caption per moment that changes the picture, for stepping through
 * the trace as a teacher would.  {a} and {b} stand for the two lanes'
 * labels, which the script puts in. */
static void collect_steps(const struct page *pg, struct steps *s)
{
    const struct et_timeline *tl = pg->tl;
    const struct et_tl_lane *L = tl->lanes;
    for (size_t i = 0; i < tl->nflows; i++) {
        const struct et_tl_flow *fl = &tl->flows[i];
        if (fl->from_lane == ET_TL_NO_LANE || fl->to_lane == ET_TL_NO_LANE)
            continue;
        switch (fl->kind) {
        case ET_TL_CREATE:
            step_add(s, fl->from_ts, fl->from_lane, fl->to_lane, 1, "{a} created {b} with %s: a copy of itself",
                     fl->label);
            break;
        case ET_TL_SIGNAL:
            step_add(s, fl->from_ts, fl->from_lane, fl->to_lane, 4, "{a}: %s%s", fl->label,
                     fl->failed ? ", which missed: the process was gone or already reaped" : "");
            break;
        case ET_TL_REAP:
            step_add(s, fl->to_ts, fl->to_lane, fl->from_lane, 6, "{a} reaped {b} (%s): its zombie is gone",
                     fl->label);
            break;
        case ET_TL_ADOPT:
            step_add(s, fl->from_ts, fl->from_lane, fl->to_lane, 5, "{a} lost its parent: {b} adopted it");
            break;
        }
    }
    for (size_t i = 0; i < tl->nslices; i++) {
        const struct et_tl_slice *sl = &tl->slices[i];
        if (sl->kind == ET_TL_PROGRAM && sl->from > L[sl->lane].begin)
            step_add(s, sl->from, sl->lane, ET_TL_NO_LANE, 2, "{a} exec'd %s: same pid, new program", sl->label);
        else if (sl->kind == ET_TL_WAIT)
            step_add(s, sl->from, sl->lane, ET_TL_NO_LANE, 3, "{a} blocks: %s", sl->label);
        else if (sl->kind == ET_TL_ZOMBIE)
            step_add(s, sl->from, sl->lane, ET_TL_NO_LANE, 5, "{a} %s: a zombie until its parent waits for it",
                     L[sl->lane].ending);
    }
    for (size_t i = 0; i < tl->nlanes; i++) {
        const struct et_tl_lane *l = &L[i];
        const struct et_proc *p = &tl->a.model.procs[l->proc];
        /* An end the zombie slice or a reap arrow did not already tell. */
        if ((p->flags & ET_PF_ENDED) && l->end <= p->end_ts && !(p->flags & ET_PF_REAPED))
            step_add(s, p->end_ts, (uint32_t)i, ET_TL_NO_LANE, 5, "{a} %s", l->ending);
    }
    for (size_t i = 0; i < tl->ninstants; i++) {
        const struct et_tl_instant *in = &tl->instants[i];
        step_add(s, in->ts, in->lane, ET_TL_NO_LANE, 4, "{a}: %s", in->label);
    }
    for (size_t i = 0; i < tl->nholds; i++) {
        const struct et_tl_hold *h = &tl->holds[i];
        if (h->from > L[h->lane].begin)
            step_add(s, h->from, h->lane, ET_TL_NO_LANE, 2, "{a} holds %s of pipe:[%" PRIu64 "] as fd %d",
                     end_word(h), h->inode, h->fd);
        if (h->until < L[h->lane].end)
            step_add(s, h->until, h->lane, ET_TL_NO_LANE, 3, "{a} let go of %s of pipe:[%" PRIu64 "] (fd %d)",
                     end_word(h), h->inode, h->fd);
    }
    if (s->n)
        qsort(s->v, s->n, sizeof(*s->v), step_order);
}

static int by_text(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    int c = strcmp(*x, *y);
    return c ? c : (*x < *y ? -1 : *x > *y);
}

/* The index of s in the sorted, unique table t of n strings. */
static size_t string_index(const char *const *t, size_t n, const char *s)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(t[mid], s) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int put_programs(struct et_json *j, const struct et_timeline *tl)
{
    const char **names = malloc((tl->nslices ? tl->nslices : 1) * sizeof(*names));
    if (!names)
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < tl->nslices; i++)
        if (tl->slices[i].kind == ET_TL_PROGRAM)
            names[n++] = tl->slices[i].label ? tl->slices[i].label : "";
    if (n)
        qsort(names, n, sizeof(*names), by_text);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        if (!unique || strcmp(names[unique - 1], names[i]) != 0)
            names[unique++] = names[i];
    et_json_key(j, "strings");
    et_json_array(j);
    for (size_t i = 0; i < unique; i++)
        et_json_cstr(j, names[i]);
    et_json_end(j);
    et_json_key(j, "programs");
    et_json_array(j);
    for (size_t i = 0; i < tl->nslices; i++) {
        const struct et_tl_slice *s = &tl->slices[i];
        if (s->kind != ET_TL_PROGRAM)
            continue;
        et_json_array(j);
        et_json_uint(j, s->lane);
        et_json_uint(j, s->from - tl->t0);
        et_json_uint(j, s->to - tl->t0);
        et_json_uint(j, string_index(names, unique, s->label ? s->label : ""));
        et_json_end(j);
    }
    et_json_end(j);
    free((void *)names);
    return 0;
}

/* What an arrow says, {a} and {b} for its two ends' labels. */
static char *flow_text(const struct et_tl_flow *fl)
{
    char *s = NULL;
    int n = -1;
    switch (fl->kind) {
    case ET_TL_CREATE:
        n = asprintf(&s, "{a} created {b} with %s", fl->label);
        break;
    case ET_TL_SIGNAL:
        n = asprintf(&s, "{a}: %s%s", fl->label, fl->failed ? ": it missed, the process was gone or already reaped" : "");
        break;
    case ET_TL_REAP:
        n = asprintf(&s, "{b} reaped {a}: %s", fl->label);
        break;
    case ET_TL_ADOPT:
        n = asprintf(&s, "{a} was orphaned and adopted by {b}");
        break;
    }
    return n < 0 ? NULL : s;
}

static void json_lane_or_null(struct et_json *j, uint32_t lane)
{
    if (lane == ET_TL_NO_LANE)
        et_json_int(j, -1);
    else
        et_json_uint(j, lane);
}

static int put_data(const struct page *pg)
{
    FILE *f = pg->out;
    const struct et_timeline *tl = pg->tl;
    struct steps steps = {0};
    collect_steps(pg, &steps);
    if (steps.out_of_memory) {
        for (size_t i = 0; i < steps.n; i++)
            free(steps.v[i].text);
        free(steps.v);
        return -ENOMEM;
    }
    fputs("<script type=\"application/json\" id=\"data\">", f);
    struct et_json j;
    et_json_init(&j, f);
    j.in_script = true;
    et_json_object(&j);
    et_json_key(&j, "span");
    et_json_uint(&j, pg->span);
    et_json_key(&j, "plotW");
    et_json_uint(&j, PLOT_W);
    et_json_key(&j, "labelW");
    et_json_uint(&j, LABEL_W);
    /* lanes: [top, height, begin, end, exit or -1, label, ending], times
     * from the trace's start in ns. */
    et_json_key(&j, "lanes");
    et_json_array(&j);
    for (size_t i = 0; i < tl->nlanes; i++) {
        const struct et_tl_lane *l = &tl->lanes[i];
        const struct et_proc *p = &tl->a.model.procs[l->proc];
        et_json_array(&j);
        et_json_uint(&j, pg->top[i]);
        et_json_uint(&j, pg->height[i]);
        et_json_uint(&j, l->begin - tl->t0);
        et_json_uint(&j, l->end - tl->t0);
        et_json_int(&j, (p->flags & ET_PF_ENDED) && p->end_ts < l->end ? (int64_t)(p->end_ts - tl->t0) : -1);
        et_json_cstr(&j, l->label);
        et_json_cstr(&j, l->ending);
        et_json_end(&j);
    }
    et_json_end(&j);
    /* holds: [lane, inode, fd, "r" | "w" | "rw", from, until] */
    et_json_key(&j, "holds");
    et_json_array(&j);
    for (size_t i = 0; i < tl->nholds; i++) {
        const struct et_tl_hold *h = &tl->holds[i];
        et_json_array(&j);
        et_json_uint(&j, h->lane);
        et_json_uint(&j, h->inode);
        et_json_int(&j, h->fd);
        et_json_cstr(&j, h->write ? (h->read ? "rw" : "w") : "r");
        et_json_uint(&j, h->from - tl->t0);
        et_json_uint(&j, h->until - tl->t0);
        et_json_end(&j);
    }
    et_json_end(&j);
    /* programs: [lane, from, until, index in strings], each name once in
     * strings (many processes run one program) */
    if (put_programs(&j, tl) < 0) {
        for (size_t i = 0; i < steps.n; i++)
            free(steps.v[i].text);
        free(steps.v);
        return -ENOMEM;
    }
    /* arrows: [from lane, to lane, from, to, what], for the tooltip */
    et_json_key(&j, "arrows");
    et_json_array(&j);
    for (size_t i = 0; i < tl->nflows; i++) {
        const struct et_tl_flow *fl = &tl->flows[i];
        if (!drawn(fl))
            continue;
        char *what = flow_text(fl);
        et_json_array(&j);
        et_json_uint(&j, fl->from_lane);
        et_json_uint(&j, fl->to_lane);
        et_json_uint(&j, fl->from_ts - tl->t0);
        et_json_uint(&j, fl->to_ts - tl->t0);
        et_json_cstr(&j, what ? what : "");
        et_json_end(&j);
        free(what);
    }
    et_json_end(&j);
    /* waits: [lane, from, until], for the state at a moment */
    et_json_key(&j, "waits");
    et_json_array(&j);
    for (size_t i = 0; i < tl->nslices; i++) {
        const struct et_tl_slice *s = &tl->slices[i];
        if (s->kind != ET_TL_WAIT)
            continue;
        et_json_array(&j);
        et_json_uint(&j, s->lane);
        et_json_uint(&j, s->from - tl->t0);
        et_json_uint(&j, s->to - tl->t0);
        et_json_end(&j);
    }
    et_json_end(&j);
    /* steps: [at, lane, other lane or -1, caption] */
    et_json_key(&j, "steps");
    et_json_array(&j);
    for (size_t i = 0; i < steps.n; i++) {
        et_json_array(&j);
        et_json_uint(&j, steps.v[i].ts - tl->t0);
        json_lane_or_null(&j, steps.v[i].a);
        json_lane_or_null(&j, steps.v[i].b);
        et_json_cstr(&j, steps.v[i].text);
        et_json_end(&j);
        free(steps.v[i].text);
    }
    free(steps.v);
    et_json_end(&j);
    /* findings: [from, to, subject lane or -1, [lanes]] */
    et_json_key(&j, "findings");
    et_json_array(&j);
    for (size_t i = 0; i < tl->nfindings; i++) {
        const struct et_tl_finding *x = &tl->findings[i];
        et_json_array(&j);
        et_json_uint(&j, x->from - tl->t0);
        et_json_uint(&j, x->to - tl->t0);
        json_lane_or_null(&j, x->subject_lane);
        et_json_array(&j);
        for (uint32_t k = 0; k < x->f->nprocs; k++)
            if (x->f->procs[k] != ET_NO_PROC && tl->lane_of[x->f->procs[k]] != ET_TL_NO_LANE)
                et_json_uint(&j, tl->lane_of[x->f->procs[k]]);
        et_json_end(&j);
        et_json_end(&j);
    }
    et_json_end(&j);
    et_json_end(&j);
    fputs("</script>\n", f);
    return 0;
}

/* ---- the page --------------------------------------------------------------------------------- */

int et_timeline_write_html(FILE *out, const struct et_timeline *tl, const char *trace_path)
{
    struct page pg = {.out = out, .tl = tl};
    pg.span = tl->t1 > tl->t0 ? tl->t1 - tl->t0 : 1;
    int ret = lay_out(&pg);
    if (!ret) {
        put_head(&pg, trace_path);
        fputs("<body>\n", out);
        put_header(&pg, trace_path);
        fputs("<main>\n<div id=\"view\">\n", out);
        put_axis(&pg);
        fputs("<div id=\"scroll\">\n", out);
        ret = put_plot(&pg);
        fputs("</div>\n</div>\n", out);
    }
    if (!ret) {
        put_side(&pg);
        fputs("</main>\n", out);
        ret = put_data(&pg);
    }
    if (!ret) {
        fputs("<script>\n", out);
        fputs(et_timeline_page_js, out);
        fputs("</script>\n</body>\n</html>\n", out);
    }
    free(pg.top);
    free(pg.height);
    free(pg.hold_row);
    free(pg.hold_colour);
    free(pg.stub_ends);
    return ret;
}

/* ---- the command -------------------------------------------------------------------------------- */

const char et_usage_timeline[] =
    "usage: exectrace timeline [-o FILE.html] TRACE\n"
    "\n"
    "Draws the trace as one self-contained HTML page: a lane per process in\n"
    "tree order, its programs, waits and zombie time, the arrows between\n"
    "processes (creation, signals, reaping, adoption), the pipe ends each one\n"
    "held, and the findings.  It opens from a file with no network.\n"
    "\n"
    "  -o, --output FILE   write the page here (default: TRACE.html)\n"
    "  -h, --help          show this help\n";

int et_cmd_timeline(int argc, char **argv)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *output = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+o:h", options, NULL)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 'h':
            return et_help("timeline");
        default:
            return et_bad_usage("timeline");
        }
    }
    if (optind != argc - 1)
        return et_bad_usage("timeline");
    const char *path = argv[optind];
    char *default_output = NULL;
    if (!output) {
        if (asprintf(&default_output, "%s.html", path) < 0) {
            fprintf(stderr, "exectrace timeline: out of memory\n");
            return ET_EXIT_OUTPUT_FAILED;
        }
        output = default_output;
    }

    struct et_trace t;
    struct et_timeline tl;
    int loaded = et_timeline_load(&tl, &t, path);
    if (loaded) {
        free(default_output);
        return loaded;
    }
    bool to_stdout = strcmp(output, "-") == 0;
    FILE *out = to_stdout ? stdout : fopen(output, "w");
    int status = 0;
    if (!out) {
        fprintf(stderr, "exectrace timeline: %s: %s\n", output, strerror(errno));
        status = ET_EXIT_OUTPUT_FAILED;
    } else {
        int ret = et_timeline_write_html(out, &tl, path);
        if (ret < 0) {
            fprintf(stderr, "exectrace timeline: out of memory\n");
            status = ET_EXIT_OUTPUT_FAILED;
        }
        if (to_stdout) {
            int s = et_finish_output(out, "timeline");
            if (!status)
                status = s;
        } else if ((ferror(out) | fclose(out)) != 0 && !status) {
            fprintf(stderr, "exectrace timeline: %s: could not write the output\n", output);
            status = ET_EXIT_OUTPUT_FAILED;
        }
        if (!status && !to_stdout)
            fprintf(stderr, "exectrace timeline: wrote %s\n", output);
    }
    free(default_output);
    et_timeline_free(&tl);
    return et_finish_trace_command(path, &t, status);
}
