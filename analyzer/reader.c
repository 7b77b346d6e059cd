#define _GNU_SOURCE
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BODY_SIZE(type, body, name) [type] = sizeof(body),
static const uint32_t body_sizes[ET_REC_TYPE_COUNT] = {ET_RECORD_TYPES(BODY_SIZE)};
#undef BODY_SIZE

uint32_t et_body_size(uint16_t type)
{
    return type < ET_REC_TYPE_COUNT ? body_sizes[type] : 0;
}

__attribute__((format(printf, 3, 4))) static void problem(struct et_trace *t, uint64_t offset, const char *fmt, ...)
{
    if (t->counted)
        return;
    if (t->problems++ == 0) {
        int n = snprintf(t->diag, sizeof(t->diag), "offset %" PRIu64 ": ", offset);
        va_list ap;
        va_start(ap, fmt);
        if (n > 0 && (size_t)n < sizeof(t->diag))
            vsnprintf(t->diag + n, sizeof(t->diag) - (size_t)n, fmt, ap);
        va_end(ap);
    }
}

static uint32_t bswap_marker(uint32_t v)
{
    return __builtin_bswap32(v);
}

/* ---- Ring traces ---- */

static int by_seq(const void *a, const void *b)
{
    const struct et_ring_run *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The runs a ring trace's slot table describes, each checked against the
 * geometry (the table is as untrusted as the rest). */
static void find_ring_runs(struct et_trace *t)
{
    const struct et_file_header *h = t->hdr;
    uint32_t nslots = h->ring_slot_count;
    const struct et_ring_slot *table = (const void *)(t->data + ET_HEADER_SIZE);
    uint64_t next = h->next_chunk;
    t->ring_claimed_slots = next;
    t->ring_wrapped = next > nslots;
    size_t cap = 0;
    for (uint32_t j = 0; j < nslots; j++) {
        uint64_t state = __atomic_load_n(&table[j].state, __ATOMIC_ACQUIRE);
        uint32_t kind = ET_RING_STATE_KIND(state);
        if (kind != ET_RING_OPEN && kind != ET_RING_CLOSED)
            continue;
        uint64_t seq = table[j].seq;
        uint32_t slots = table[j].slots, used = ET_RING_STATE_USED(state);
        if (seq % nslots != j || seq >= next || (seq & ET_RING_GEN_MASK) != ET_RING_STATE_GEN(state) || slots == 0 ||
            slots > ET_RING_MAX_RUN_SLOTS || slots > nslots - j || used > slots * ET_RING_SLOT_BYTES) {
            problem(t, ET_HEADER_SIZE + (uint64_t)j * sizeof(*table), "slot %u of the ring does not describe a run", j);
            continue;
        }
        if (used == 0)
            continue;
        /* Its later slots, while a later lap has not taken them. */
        uint32_t intact = 1;
        while (intact < slots) {
            uint64_t cs = __atomic_load_n(&table[j + intact].state, __ATOMIC_ACQUIRE);
            if (ET_RING_STATE_KIND(cs) != ET_RING_CONT || ET_RING_STATE_GEN(cs) != ET_RING_STATE_GEN(state) ||
                table[j + intact].seq != seq)
                break;
            intact++;
        }
        /* Claims cut a run short before taking its later slots; a claim
         * that died between the two, or a damaged table, leaves less. */
        uint32_t bytes = used < intact * ET_RING_SLOT_BYTES ? used : intact * ET_RING_SLOT_BYTES;
        if (t->ring_nruns == cap) {
            cap = cap ? cap * 2 : 256;
            struct et_ring_run *v = realloc(t->ring_runs, cap * sizeof(*v));
            if (!v) {
                problem(t, 0, "out of memory reading the ring's slot table");
                return;
            }
            t->ring_runs = v;
        }
        t->ring_runs[t->ring_nruns++] = (struct et_ring_run){seq, table[j].claimed_ns, j, bytes, (uint16_t)slots};
    }
    if (t->ring_nruns > 1)
        qsort(t->ring_runs, t->ring_nruns, sizeof(*t->ring_runs), by_seq);

    /* Every record reserved once next_chunk passed next - nslots / 2 is in
     * the ring, and the runs claimed from there on were claimed after: the
     * first of them to hold that sequence, or to come after it, says when.
     * (A later one, when that run is gone, says a later time: less is
     * claimed to be complete, never more.) */
    if (t->ring_wrapped) {
        uint64_t target = next - nslots / 2;
        t->ring_complete_since_ns = UINT64_MAX; /* no run left from that half of the ring */
        for (size_t i = 0; i < t->ring_nruns; i++)
            if (t->ring_runs[i].seq + t->ring_runs[i].slots > target) {
                t->ring_complete_since_ns = t->ring_runs[i].claimed_ns;
                break;
            }
    }
}

static int check_ring_header(struct et_trace *t)
{
    const struct et_file_header *h = t->hdr;
    uint32_t slots = h->ring_slot_count;
    t->ring = true;
    if (!et_ring_geometry_ok(h)) {
        snprintf(t->diag, sizeof(t->diag), "offset 248: ring trace with an inconsistent geometry (%u slots)", slots);
        t->hdr = NULL;
        return -1;
    }
    if (t->len < h->file_size) {
        /* A ring is written everywhere: a cut file lost slots anywhere.
         * Read the runs that lie whole in what is left. */
        if (t->len < h->ring_data_offset) {
            snprintf(t->diag, sizeof(t->diag), "offset %zu: truncated inside the ring's slot table", t->len);
            t->hdr = NULL;
            return -1;
        }
        problem(t, t->len, "truncated: the file ends here, its header says %" PRIu64 " bytes", h->file_size);
    }
    find_ring_runs(t);
    t->chunks = (uint32_t)t->ring_nruns;
    return 0;
}

static int check_header(struct et_trace *t)
{
    const uint8_t *d = t->data;
    if (t->len == 0) {
        snprintf(t->diag, sizeof(t->diag), "offset 0: empty file, not an exectrace trace");
        return -1;
    }
    if (t->len < ET_MAGIC_LEN || memcmp(d, ET_MAGIC, ET_MAGIC_LEN) != 0) {
        snprintf(t->diag, sizeof(t->diag), "offset 0: not an exectrace trace file (no trace magic)");
        return -1;
    }
    if (t->len < ET_HEADER_SIZE) {
        snprintf(t->diag, sizeof(t->diag), "offset %zu: truncated inside the %u-byte file header", t->len,
                 ET_HEADER_SIZE);
        return -1;
    }
    const struct et_file_header *h = (const void *)d;
    if (h->endian_marker != ET_ENDIAN_MARKER) {
        snprintf(t->diag, sizeof(t->diag), "offset 12: %s",
                 bswap_marker(h->endian_marker) == ET_ENDIAN_MARKER
                     ? "written on a machine of the other byte order, which this exectrace cannot read"
                     : "byte-order marker is garbled");
        return -1;
    }
    bool ring = h->version_major == ET_VERSION_MAJOR_RING;
    if (h->version_major != ET_VERSION_MAJOR && !ring) {
        snprintf(t->diag, sizeof(t->diag), "offset 8: trace format %u.%u, this exectrace reads %u.x and %u.x%s",
                 h->version_major, h->version_minor, ET_VERSION_MAJOR, ET_VERSION_MAJOR_RING,
                 h->version_major > ET_VERSION_MAJOR_RING ? " (the file is newer: use a newer exectrace)" : "");
        return -1;
    }
    if (h->header_size != ET_HEADER_SIZE || h->chunk_size != ET_CHUNK_SIZE) {
        snprintf(t->diag, sizeof(t->diag), "offset 16: unsupported layout (header %u bytes, chunks %u bytes)",
                 h->header_size, h->chunk_size);
        return -1;
    }
    t->hdr = h;
    if (ring)
        return check_ring_header(t);

    uint64_t declared = ET_HEADER_SIZE + (uint64_t)h->chunk_count * ET_CHUNK_SIZE;
    if (h->file_size != declared)
        problem(t, 24, "header is inconsistent: size %" PRIu64 " for %u chunks", h->file_size, h->chunk_count);
    uint64_t present = (t->len - ET_HEADER_SIZE) / ET_CHUNK_SIZE;
    uint64_t claimed = h->next_chunk < h->chunk_count ? h->next_chunk : h->chunk_count;
    if (t->len < declared) {
        uint64_t cut = t->len;
        /* Either way the file is not what was written, and says so; the
         * wording tells whether claimed data was lost (a trace is filled
         * front to back, so a cut past the claimed chunks lost none). */
        if (present < claimed || (t->len - ET_HEADER_SIZE) % ET_CHUNK_SIZE != 0)
            problem(t, cut, "truncated: the file ends here, its header says %" PRIu64 " bytes", declared);
        else
            problem(t, cut, "truncated after the last record: the header says %" PRIu64 " bytes", declared);
    }
    t->chunks = (uint32_t)(claimed < present ? claimed : present);
    /* A partial last chunk can still hold records: include it and bound
     * every read by t->len. */
    if (claimed > present && (t->len - ET_HEADER_SIZE) % ET_CHUNK_SIZE)
        t->chunks++;
    return 0;
}

int et_trace_from_buffer(struct et_trace *t, const void *data, size_t len)
{
    memset(t, 0, sizeof(*t));
    t->data = data;
    t->len = len;
    if (check_header(t) < 0) {
        t->unreadable = true;
        t->problems = 1;
        return -1;
    }
    t->header_problems = t->problems;
    return 0;
}

void et_trace_pass_begin(struct et_trace *t)
{
    if (t->counted || !t->hdr)
        return;
    t->records = 0;
    t->incomplete = 0;
    t->problems = t->header_problems;
}

void et_trace_pass_end(struct et_trace *t)
{
    t->counted = true;
}

int et_trace_open(struct et_trace *t, const char *path)
{
    memset(t, 0, sizeof(*t));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(t->diag, sizeof(t->diag), "%s", strerror(errno));
        t->unreadable = true;
        t->problems = 1;
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(t->diag, sizeof(t->diag), "not a regular file");
        close(fd);
        t->unreadable = true;
        t->problems = 1;
        return -1;
    }
    void *p = NULL;
    if (st.st_size > 0) {
        p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            snprintf(t->diag, sizeof(t->diag), "cannot map: %s", strerror(errno));
            close(fd);
            t->unreadable = true;
            t->problems = 1;
            return -1;
        }
    }
    close(fd);
    int ret = et_trace_from_buffer(t, p, (size_t)st.st_size);
    t->mapped = p != NULL;
    return ret;
}

void et_trace_close(struct et_trace *t)
{
    free(t->ring_runs);
    t->ring_runs = NULL;
    t->ring_nruns = 0;
    if (t->mapped)
        munmap((void *)t->data, t->len);
    t->data = NULL;
    t->mapped = false;
}

static bool is_padding(uint32_t size, uint32_t commit, const uint8_t *p, const uint8_t *end)
{
    return size >= 8 && size % 8 == 0 && size <= (size_t)(end - p) &&
           commit == et_commit_word(ET_PADDING_TYPE, size);
}

/* The commit word a complete record of this run has. */
static uint32_t expected_commit(const struct et_run_cursor *c, uint16_t type, uint32_t size)
{
    return c->ring ? et_ring_commit_word(type, size, c->gen) : et_commit_word(type, size);
}

/* A record header (or padding) that proves itself: plausible size and
 * matching commit. */
static bool committed_at(const struct et_run_cursor *c, const uint8_t *p, const uint8_t *end)
{
    if ((size_t)(end - p) < 8)
        return false;
    const struct et_record *r = (const void *)p;
    uint32_t size = r->size, commit = __atomic_load_n(&r->commit, __ATOMIC_ACQUIRE);
    if (!c->ring && is_padding(size, commit, p, end))
        return true;
    if ((size_t)(end - p) < sizeof(struct et_record))
        return false;
    return size >= sizeof(struct et_record) && size % 8 == 0 && size <= (size_t)(end - p) &&
           commit == expected_commit(c, r->type, size);
}

static const uint8_t *resync(const struct et_run_cursor *c, const uint8_t *p, const uint8_t *end)
{
    const uint8_t *q = p + 8;
    while (q < end && !committed_at(c, q, end))
        q += 8;
    return q < end ? q : end;
}

static uint32_t stack_bytes(const struct et_record *r);

const struct et_record *et_run_next(struct et_trace *t, struct et_run_cursor *c)
{
    while ((size_t)(c->end - c->p) >= 8) {
        const uint8_t *p = c->p;
        const struct et_record *r = (const void *)p;
        uint64_t offset = (uint64_t)(p - t->data);
        uint32_t size = __atomic_load_n(&r->size, __ATOMIC_ACQUIRE);
        uint32_t commit = __atomic_load_n(&r->commit, __ATOMIC_ACQUIRE);
        if (!c->ring && is_padding(size, commit, p, c->end)) {
            c->p += size;
            continue;
        }
        if (c->ring && (size < sizeof(struct et_record) || size % 8 || size > (size_t)(c->end - p) ||
                        commit != et_ring_commit_word(r->type, size, c->gen))) {
            /* What a writer killed inside a record left: its size may not
             * be stored yet, and the bytes are an earlier lap's.  The
             * records after it prove themselves. */
            t->incomplete += !t->counted;
            c->p = resync(c, p, c->end);
            continue;
        }
        if ((size_t)(c->end - p) < sizeof(struct et_record)) {
            /* Too short for a record, and not padding.  All zeros, or the
             * padding's size without its commit word, is a writer killed
             * between crossing the end of the run and marking it. */
            bool unfinished_padding = size == (size_t)(c->end - p) && commit == 0;
            if ((size != 0 || commit != 0) && !unfinished_padding)
                problem(t, offset, "%zu stray bytes at the end of a run", (size_t)(c->end - p));
            c->p = c->end;
            break;
        }
        if (size == 0) {
            /* A writer reserved this space and was stopped before it could
             * store the size (or is about to).  Go on from the next record
             * that proves itself, if any. */
            t->incomplete += !t->counted;
            c->p = resync(c, p, c->end);
            continue;
        }
        if (size < sizeof(struct et_record) || size % 8 != 0 || size > (size_t)(c->end - p)) {
            problem(t, offset, "record with impossible size %u", size);
            c->p = resync(c, p, c->end);
            continue;
        }
        c->p += size;
        if (commit == 0) {
            t->incomplete += !t->counted;
        } else if (commit != expected_commit(c, r->type, size)) {
            problem(t, offset, "record is corrupt (its commit word does not match)");
        } else if (r->type < ET_REC_TYPE_COUNT && body_sizes[r->type] == 0) {
            problem(t, offset, "record of reserved type %u", r->type);
        } else if (size < sizeof(struct et_record) + et_body_size(r->type)) {
            problem(t, offset, "record of type %u is %u bytes, too short for its fields", r->type, size);
        } else if ((r->flags & ET_RF_STACK) && r->type < ET_REC_TYPE_COUNT && !stack_bytes(r)) {
            problem(t, offset, "record of type %u has a stack that does not fit in it", r->type);
        } else {
            t->records += !t->counted;
            /* The merge comes back to this run after a record of every
             * other live run: fetch the next record meanwhile (its header,
             * and the stack trailer at its end, read here too), or each
             * costs cache misses: too many runs at once for the hardware
             * to follow as streams. */
            for (unsigned line = 0; line < 4; line++)
                __builtin_prefetch(c->p + 64 * line);
            return r;
        }
    }
    return NULL;
}

int et_trace_next_run(struct et_trace *t, uint32_t *next_chunk, struct et_run_cursor *out)
{
    if (!t->hdr)
        return 0;
    if (t->ring) {
        /* next_chunk counts runs, in the order they were claimed. */
        while (*next_chunk < t->ring_nruns) {
            const struct et_ring_run *run = &t->ring_runs[(*next_chunk)++];
            uint64_t off = t->hdr->ring_data_offset + (uint64_t)run->first_slot * ET_RING_SLOT_BYTES;
            if (off >= t->len)
                continue;
            uint64_t end = off + run->bytes;
            if (end > t->len)
                end = t->len;
            *out = (struct et_run_cursor){t->data + off, t->data + end, true, run->seq & ET_RING_GEN_MASK};
            return 1;
        }
        return 0;
    }
    for (uint32_t i = *next_chunk; i < t->chunks;) {
        uint64_t off = ET_HEADER_SIZE + (uint64_t)i * ET_CHUNK_SIZE;
        if (off + sizeof(struct et_run_header) > t->len)
            break;
        const struct et_run_header *run = (const void *)(t->data + off);
        uint32_t tag = __atomic_load_n(&run->tag, __ATOMIC_ACQUIRE);
        if (tag == 0) {
            i++; /* claimed by a writer that did not live to tag it */
            continue;
        }
        if (!ET_RUN_TAG_VALID(tag)) {
            problem(t, off, "chunk %u does not start a run (0x%08x)", i, tag);
            i++;
            continue;
        }
        uint32_t n = ET_RUN_TAG_CHUNKS(tag);
        uint64_t used = __atomic_load_n(&run->used, __ATOMIC_ACQUIRE);
        if (n > t->hdr->chunk_count - i) {
            /* A damaged tag.  The run really ends where its chain of
             * self-proving records (and the padding of a full run) ends:
             * the runs after it are not to be skipped as well. */
            problem(t, off, "run of %u chunks goes past the end of the trace", n);
            uint64_t limit = off + sizeof(*run) + used;
            if (limit > t->len)
                limit = t->len;
            const uint8_t *p = t->data + off + sizeof(*run), *end = t->data + limit;
            struct et_run_cursor fixed = {0};
            while (p < end && committed_at(&fixed, p, end))
                p += ((const struct et_record *)(const void *)p)->size;
            uint64_t extent = (uint64_t)(p - (t->data + off));
            uint64_t by_data = (extent + ET_CHUNK_SIZE - 1) / ET_CHUNK_SIZE;
            n = by_data >= 1 && by_data <= t->hdr->chunk_count - i ? (uint32_t)by_data : 1;
        }
        uint64_t run_end = off + (uint64_t)n * ET_CHUNK_SIZE;
        uint64_t data_end = off + sizeof(*run) + used;
        if (data_end > run_end)
            data_end = run_end; /* writers overshoot when the run fills */
        if (data_end > t->len)
            data_end = t->len;
        *out = (struct et_run_cursor){t->data + off + sizeof(*run), t->data + data_end, false, 0};
        *next_chunk = i + n;
        return 1;
    }
    *next_chunk = t->chunks;
    return 0;
}

int et_trace_runs(struct et_trace *t, et_run_fn fn, void *ctx)
{
    uint32_t next = 0;
    struct et_run_cursor c;
    while (et_trace_next_run(t, &next, &c)) {
        int ret = fn(c, ctx);
        if (ret)
            return ret;
    }
    return 0;
}

int et_trace_tally(struct et_trace *t, et_record_fn fn, void *ctx, uint64_t *records)
{
    *records = 0;
    if (!t->hdr || t->hdr->version_minor < 4 || t->ring)
        return -1;
    /* Walked records are not counted again, nor their problems reported:
     * this is not a pass. */
    bool counted = t->counted;
    t->counted = true;
    uint32_t next = 0;
    struct et_run_cursor c;
    int ret = 0;
    while (ret == 0 && et_trace_next_run(t, &next, &c)) {
        const struct et_run_header *run = (const void *)(c.p - sizeof(*run));
        uint32_t word = __atomic_load_n(&run->records, __ATOMIC_ACQUIRE);
        *records += ET_RUN_RECORDS(word);
        /* Only the first record of a run of one process's records names a
         * writer the others do not: unless it is padding, or unfinished. */
        const struct et_record *first = (const void *)c.p;
        bool whole = (word & ET_RUN_FOREIGN) || !committed_at(&c, c.p, c.end) ||
                     is_padding(first->size, first->commit, c.p, c.end);
        const struct et_record *r;
        while (ret == 0 && (r = et_run_next(t, &c)) != NULL) {
            ret = fn(r, (uint64_t)((const uint8_t *)r - t->data), ctx);
            if (!whole)
                break;
        }
    }
    t->counted = counted;
    return ret;
}

struct scan_ctx {
    struct et_trace *t;
    et_record_fn fn;
    void *ctx;
    const uint8_t *released; /* the mapping below this has been let go */
};

/* A scan reads the file front to back: what it has read is let go as it
 * goes (a megabyte at a time), so that a pass over a large trace does not
 * hold it all in memory.  The pages come back from the file if a record
 * is read again. */
#define SCAN_RELEASE_STEP (1u << 20)
static void release_behind(struct scan_ctx *s, const uint8_t *upto)
{
    if (!s->t->mapped || s->t->ring || upto < s->released || (size_t)(upto - s->released) < SCAN_RELEASE_STEP)
        return;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t from = (uintptr_t)s->released & ~(page - 1);
    uintptr_t to = (uintptr_t)upto & ~(page - 1);
    if (to > from)
        madvise((void *)from, to - from, MADV_DONTNEED);
    s->released = (const uint8_t *)to;
}

static int scan_run(struct et_run_cursor c, void *p)
{
    struct scan_ctx *s = p;
    release_behind(s, c.p);
    const struct et_record *r;
    while ((r = et_run_next(s->t, &c)) != NULL) {
        int ret = s->fn ? s->fn(r, (uint64_t)((const uint8_t *)r - s->t->data), s->ctx) : 0;
        if (ret)
            return ret;
    }
    return 0;
}

int et_trace_scan(struct et_trace *t, et_record_fn fn, void *ctx)
{
    et_trace_pass_begin(t);
    struct scan_ctx s = {t, fn, ctx, t->data};
    int ret = et_trace_runs(t, scan_run, &s);
    if (ret == 0)
        et_trace_pass_end(t);
    return ret;
}

/* The bytes a valid stack takes at the end of the record, or 0. */
static uint32_t stack_bytes(const struct et_record *r)
{
    if (!(r->flags & ET_RF_STACK))
        return 0;
    uint32_t fixed = (uint32_t)sizeof(struct et_record) + et_body_size(r->type);
    if (r->size < fixed || r->size - fixed < sizeof(struct et_stack_trailer))
        return 0;
    const struct et_stack_trailer *trailer =
        (const void *)((const uint8_t *)r + r->size - sizeof(struct et_stack_trailer));
    uint32_t bytes = (uint32_t)sizeof(*trailer) + 8u * trailer->frames;
    if (trailer->frames > ET_MAX_STACK_FRAMES || bytes > r->size - fixed)
        return 0;
    return bytes;
}

bool et_record_stack(const struct et_record *r, const uint64_t **pc, struct et_stack_trailer *trailer)
{
    uint32_t bytes = stack_bytes(r);
    if (!bytes)
        return false;
    const uint8_t *end = (const uint8_t *)r + r->size;
    memcpy(trailer, end - sizeof(*trailer), sizeof(*trailer));
    *pc = (const void *)(end - bytes);
    return true;
}

struct et_tail et_tail_of(const struct et_record *r)
{
    struct et_tail t;
    t.p = (const uint8_t *)(r + 1) + et_body_size(r->type);
    t.end = (const uint8_t *)r + r->size - stack_bytes(r);
    t.bad = t.p > t.end;
    return t;
}

bool et_tail_str(struct et_tail *t, const char **s, uint16_t *len)
{
    uint16_t l;
    if (t->bad || (size_t)(t->end - t->p) < sizeof(l)) {
        t->bad = true;
        *s = "";
        *len = 0;
        return false;
    }
    memcpy(&l, t->p, sizeof(l));
    if ((size_t)(t->end - t->p) - sizeof(l) < l) {
        t->bad = true;
        *s = "";
        *len = 0;
        return false;
    }
    *s = (const char *)t->p + sizeof(l);
    *len = l;
    t->p += sizeof(l) + l;
    return true;
}

const void *et_tail_array(struct et_tail *t, size_t count, size_t elem_size)
{
    if (t->bad || count > (size_t)(t->end - t->p) / (elem_size ? elem_size : 1)) {
        t->bad = true;
        return NULL;
    }
    const void *p = t->p;
    t->p += count * elem_size;
    return p;
}
