#define _GNU_SOURCE
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exectrace/version.h"
#include "sys.h"

/* The records carry these host values as they are; the format pins them
 * for readers (trace_format.h).  A host that disagrees cannot write traces. */
_Static_assert(O_NONBLOCK == ET_O_NONBLOCK && O_DIRECT == ET_O_DIRECT && O_CLOEXEC == ET_O_CLOEXEC, "open flags");
_Static_assert(FD_CLOEXEC == ET_FD_CLOEXEC, "FD_CLOEXEC");
_Static_assert(CLOSE_RANGE_UNSHARE == ET_CLOSE_RANGE_UNSHARE && CLOSE_RANGE_CLOEXEC == ET_CLOSE_RANGE_CLOEXEC,
               "close_range flags");
_Static_assert(PR_SET_PDEATHSIG == ET_PR_SET_PDEATHSIG && PR_SET_CHILD_SUBREAPER == ET_PR_SET_CHILD_SUBREAPER,
               "prctl options");
_Static_assert(POSIX_SPAWN_SETPGROUP == ET_POSIX_SPAWN_SETPGROUP, "posix_spawn flags");
_Static_assert(WNOHANG == ET_WNOHANG && WNOWAIT == ET_WNOWAIT, "wait options");
_Static_assert(P_ALL == ET_P_ALL && P_PID == ET_P_PID && P_PGID == ET_P_PGID && P_PIDFD == ET_P_PIDFD, "id types");
_Static_assert(CLD_EXITED == ET_CLD_EXITED && CLD_KILLED == ET_CLD_KILLED && CLD_DUMPED == ET_CLD_DUMPED &&
                   CLD_TRAPPED == ET_CLD_TRAPPED && CLD_STOPPED == ET_CLD_STOPPED &&
                   CLD_CONTINUED == ET_CLD_CONTINUED,
               "siginfo codes");
#define ET_SYSCALL_AGREES_(name, nr) _Static_assert(SYS_##name == (nr), "x86_64 system call " #name);
ET_SNAPSHOT_SYSCALLS(ET_SYSCALL_AGREES_)
#undef ET_SYSCALL_AGREES_

/* A new process image, or a fork child, has none of the vDSO's pages mapped
 * yet: its first clock_gettime would fault in libc's wrapper, the vDSO's text
 * and its data (page-fault sampling of fork+exec showed all three), and a
 * fault costs about ten system calls on a virtual machine with shadow page
 * tables.  Most
 * images the shim sees record a handful of events and exit, so their first
 * timestamps come from the system call; a process that records more pays
 * the faults once and then reads the vDSO. */
#define ET_CLOCK_SYSCALLS 8u
static uint32_t clock_syscalls_left;

void et_clock_new_image(void)
{
    __atomic_store_n(&clock_syscalls_left, ET_CLOCK_SYSCALLS, __ATOMIC_RELAXED);
}

uint64_t et_now_ns(void)
{
    struct timespec ts;
    uint32_t left = __atomic_load_n(&clock_syscalls_left, __ATOMIC_RELAXED);
    if (__builtin_expect(left != 0, 0)) {
        /* Racing threads may both take this branch: a few more system calls. */
        __atomic_store_n(&clock_syscalls_left, left - 1, __ATOMIC_RELAXED);
        et_sys2(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts);
    } else {
        clock_gettime(CLOCK_MONOTONIC, &ts);
    }
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define ET_MADV_POPULATE_WRITE 23 /* Linux 5.14 */

/* Maps the pages of [start, start + len) writable in one system call,
 * rather than a fault per page, and two (read, then write) for the header a
 * new image reads before it claims a run.  Kernels before 5.14 refuse it,
 * which changes nothing else. */
static void populate_writable(const void *start, uint64_t len)
{
    const uintptr_t page = 4096;
    uintptr_t first = (uintptr_t)start & ~(page - 1);
    uintptr_t end = ((uintptr_t)start + len + page - 1) & ~(page - 1);
    et_sys3(SYS_madvise, (long)first, (long)(end - first), ET_MADV_POPULATE_WRITE);
}

int et_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return -1;
    unsigned shift = 0;
    switch (*end) {
    case 0:
        break;
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    default:
        return -1;
    }
    if (*end && end[1] && !(end[1] == 'i' && end[2] == 'B' && !end[3]) && !(end[1] == 'B' && !end[2]))
        return -1;
    if (shift && v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

uint32_t et_ring_slots_for(uint64_t size)
{
    if (size < ET_HEADER_SIZE)
        return 0;
    uint64_t slots = (size - ET_HEADER_SIZE) / (ET_RING_SLOT_BYTES + sizeof(struct et_ring_slot));
    while (slots && et_ring_data_offset((uint32_t)slots) + slots * ET_RING_SLOT_BYTES > size)
        slots--;
    return slots < ET_RING_MIN_SLOTS ? 0 : (uint32_t)slots;
}

int et_writer_attach(struct et_writer *w, void *base, uint64_t mapped_size, uint32_t owner_pid)
{
    struct et_file_header *h = base;

    memset(w, 0, sizeof(*w));
    w->ring_run = ET_RING_NO_RUN;
    if (mapped_size >= ET_HEADER_SIZE)
        populate_writable(h, ET_HEADER_SIZE);
    if (mapped_size < ET_HEADER_SIZE || memcmp(h->magic, ET_MAGIC, ET_MAGIC_LEN) != 0 ||
        h->endian_marker != ET_ENDIAN_MARKER || h->header_size != ET_HEADER_SIZE || h->chunk_size != ET_CHUNK_SIZE)
        return -EINVAL;
    bool ring = h->version_major == ET_VERSION_MAJOR_RING && (h->flags & ET_FILE_RING);
    if (ring ? !et_ring_geometry_ok(h)
             : h->version_major != ET_VERSION_MAJOR ||
                   h->file_size != ET_HEADER_SIZE + (uint64_t)h->chunk_count * ET_CHUNK_SIZE)
        return -EINVAL;
    if (h->file_size > mapped_size)
        return -EFBIG;
    w->hdr = h;
    w->size = h->file_size;
    w->chunk_count = h->chunk_count;
    w->owner_pid = owner_pid;
    w->next_run_chunks = ring ? 1 : ET_FIRST_RUN_CHUNKS;
    if (ring) {
        w->ring = true;
        w->ring_slots = h->ring_slot_count;
        w->ring_table = (struct et_ring_slot *)((uint8_t *)h + ET_HEADER_SIZE);
        w->ring_data = (uint8_t *)h + h->ring_data_offset;
    }
    return 0;
}

void et_writer_forget_run(struct et_writer *w, uint32_t owner_pid)
{
    /* A fork child does not inherit the parent's page table entries of a
     * shared mapping: its first run claim would fault on the header. */
    if (w->hdr)
        populate_writable(w->hdr, ET_HEADER_SIZE);
    __atomic_store_n(&w->run, NULL, __ATOMIC_RELAXED);
    __atomic_store_n(&w->ring_run, ET_RING_NO_RUN, __ATOMIC_RELAXED);
    w->next_run_chunks = w->ring ? 1 : ET_FIRST_RUN_CHUNKS;
    w->owner_pid = owner_pid;
}

static uint32_t run_capacity(uint32_t nchunks)
{
    return nchunks * ET_CHUNK_SIZE - (uint32_t)sizeof(struct et_run_header);
}

static void count_drop(struct et_writer *w, uint32_t size)
{
    __atomic_fetch_add(&w->hdr->records_dropped, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&w->hdr->bytes_dropped, size, __ATOMIC_RELAXED);
}

/* Claims a run large enough for one record of `size` bytes, or returns NULL
 * when the file has no room left for it. */
static struct et_run_header *claim_run(struct et_writer *w, uint32_t size)
{
    uint32_t need = (size + (uint32_t)sizeof(struct et_run_header) + ET_CHUNK_SIZE - 1) / ET_CHUNK_SIZE;
    uint32_t want = __atomic_load_n(&w->next_run_chunks, __ATOMIC_RELAXED);
    if (want < need)
        want = need;

    /* Once the file is full, stop adding: every later attempt would bump
     * the shared counter for nothing. */
    if (__atomic_load_n(&w->hdr->next_chunk, __ATOMIC_RELAXED) >= w->chunk_count)
        return NULL;
    uint64_t first = __atomic_fetch_add(&w->hdr->next_chunk, want, __ATOMIC_RELAXED);
    if (first >= w->chunk_count)
        return NULL;
    uint32_t got = want;
    if (first + want > w->chunk_count)
        got = (uint32_t)(w->chunk_count - first); /* the last chunks of the file */
    if (got < need)
        return NULL;

    uint32_t grown = want * 2 > ET_MAX_GROWN_RUN_CHUNKS ? ET_MAX_GROWN_RUN_CHUNKS : want * 2;
    __atomic_store_n(&w->next_run_chunks, grown, __ATOMIC_RELAXED);

    struct et_run_header *run =
        (struct et_run_header *)((uint8_t *)w->hdr + ET_HEADER_SIZE + first * ET_CHUNK_SIZE);
    populate_writable(run, (uint64_t)got * ET_CHUNK_SIZE);
    run->owner_pid = w->owner_pid;
    /* Zero in a file this writer created; not so in a damaged file that
     * `exectrace snapshot` appends to, where a stale count would misalign
     * every record. */
    run->used = 0;
    run->records = 0;
    /* The tag goes last: a reader that sees it sees a usable run. */
    __atomic_store_n(&run->tag, ET_RUN_TAG(got), __ATOMIC_RELEASE);
    return run;
}

static struct et_record *reserve_in(struct et_run_header *run, uint32_t size, bool foreign)
{
    uint32_t cap = run_capacity(ET_RUN_TAG_CHUNKS(run->tag));
    /* A full run is not added to again, so `used` can never wrap around
     * however often a process keeps trying: it overshoots by at most one
     * record per thread. */
    if (__atomic_load_n(&run->used, __ATOMIC_RELAXED) >= cap)
        return NULL;
    uint32_t off = __atomic_fetch_add(&run->used, size, __ATOMIC_RELAXED);
    if (off > cap || size > cap - off) {
        if (off < cap) {
            /* Exactly one reservation straddles the end: its owner marks the
             * rest of the run unused, so readers do not take it for a record
             * whose writer died. */
            uint32_t *tail = (uint32_t *)((uint8_t *)(run + 1) + off);
            __atomic_store_n(&tail[0], cap - off, __ATOMIC_RELAXED);
            __atomic_store_n(&tail[1], et_commit_word(ET_PADDING_TYPE, cap - off), __ATOMIC_RELEASE);
        }
        return NULL;
    }
    /* On the cache line the add above just took: no contention, and no
     * reader has to walk the records to count them. */
    uint32_t counted = __atomic_add_fetch(&run->records, 1, __ATOMIC_RELAXED);
    if (__builtin_expect(foreign, 0) && !(counted & ET_RUN_FOREIGN))
        __atomic_fetch_or(&run->records, ET_RUN_FOREIGN, __ATOMIC_RELAXED);
    struct et_record *r = (struct et_record *)((uint8_t *)(run + 1) + off);
    /* Stored at once so that a reader can step over the record even if the
     * writer is killed before it commits. */
    __atomic_store_n(&r->size, size, __ATOMIC_RELAXED);
    return r;
}

/* ---- Ring traces (trace_format.h, "Ring traces") ---- */

#define RING_NO_CLAIM ET_RING_NO_RUN

static uint32_t ring_max_run_slots(const struct et_writer *w)
{
    uint32_t eighth = w->ring_slots / 8;
    return eighth < ET_RING_MAX_RUN_SLOTS ? eighth : ET_RING_MAX_RUN_SLOTS;
}

/* a came before b, generations compared on a circle of 2^40. */
static bool gen_before(uint64_t a, uint64_t b)
{
    uint64_t d = (b - a) & ET_RING_GEN_MASK;
    return d != 0 && d < (1ull << (ET_RING_GEN_BITS - 1));
}

/* What a walk of a run's records found. */
struct ring_walk {
    bool complete;     /* every record reserved is committed: nobody is writing */
    uint32_t kept;     /* the bytes of the records that end at or before the limit */
    uint64_t records;  /* the records after it, and their bytes */
    uint64_t bytes;
};

/* Walks the records reserved in the run whose first slot is `first` and
 * whose state is `state`, splitting them at `limit` bytes from its start. */
static struct ring_walk ring_walk(const struct et_writer *w, uint32_t first, uint64_t state, uint32_t limit)
{
    struct ring_walk out = {true, 0, 0, 0};
    uint64_t gen = ET_RING_STATE_GEN(state);
    uint32_t used = ET_RING_STATE_USED(state);
    uint32_t room = (uint32_t)(w->ring_slots - first) * ET_RING_SLOT_BYTES;
    const uint8_t *start = w->ring_data + (uint64_t)first * ET_RING_SLOT_BYTES;
    const uint8_t *p = start, *end = start + (used < room ? used : room);
    while (p < end) {
        const struct et_record *r = (const struct et_record *)(const void *)p;
        uint32_t commit = __atomic_load_n(&r->commit, __ATOMIC_ACQUIRE);
        uint32_t size = __atomic_load_n(&r->size, __ATOMIC_RELAXED);
        if (size < sizeof(struct et_record) || size % 8 || size > (size_t)(end - p) ||
            commit != et_ring_commit_word(r->type, size, gen)) {
            out.complete = false;
            return out;
        }
        if ((uint64_t)(p - start) + size <= limit) {
            out.kept += size;
        } else {
            out.records++;
            out.bytes += size;
        }
        p += size;
    }
    return out;
}

static void count_overwritten(struct et_writer *w, uint64_t runs, const struct ring_walk *lost)
{
    if (runs)
        __atomic_fetch_add(&w->hdr->ring_runs_overwritten, runs, __ATOMIC_RELAXED);
    if (lost->records) {
        __atomic_fetch_add(&w->hdr->ring_records_overwritten, lost->records, __ATOMIC_RELAXED);
        __atomic_fetch_add(&w->hdr->ring_bytes_overwritten, lost->bytes, __ATOMIC_RELAXED);
    }
}

enum take { TAKEN, STALE, BUSY };

/* Takes slot j for the run of generation `gen`: from an earlier lap's
 * run, once no record of it is being written.  A slot that is not its
 * run's first cuts the run short first: it ends with the last record that
 * ends before the slot, and takes no more (ET_RING_CLOSED). */
static enum take ring_take_slot(struct et_writer *w, uint32_t j, uint64_t gen)
{
    struct et_ring_slot *slot = &w->ring_table[j];
    for (int attempt = 0; attempt < 8; attempt++) {
        uint64_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
        uint32_t kind = ET_RING_STATE_KIND(state);
        struct ring_walk lost = {true, 0, 0, 0};
        bool head = kind == ET_RING_OPEN || kind == ET_RING_CLOSED;
        if (kind != ET_RING_EMPTY && !gen_before(ET_RING_STATE_GEN(state), gen))
            return STALE; /* a later lap has it: this claim waited a whole lap */
        if (kind == ET_RING_TAKING)
            return BUSY;
        if (head) {
            lost = ring_walk(w, j, state, 0);
            /* A closed run is complete: only its count is wanted. */
            if (kind == ET_RING_OPEN && !lost.complete)
                return BUSY;
        }
        if (kind == ET_RING_CONT) {
            uint32_t h = (uint32_t)(__atomic_load_n(&slot->seq, __ATOMIC_RELAXED) % w->ring_slots);
            uint64_t hs = __atomic_load_n(&w->ring_table[h].state, __ATOMIC_ACQUIRE);
            uint32_t hk = ET_RING_STATE_KIND(hs);
            uint32_t cut_at = (j - h) * ET_RING_SLOT_BYTES;
            if ((hk == ET_RING_OPEN || hk == ET_RING_CLOSED) && ET_RING_STATE_GEN(hs) == ET_RING_STATE_GEN(state) &&
                h < j && (hk == ET_RING_OPEN || ET_RING_STATE_USED(hs) > cut_at)) {
                struct ring_walk cut = ring_walk(w, h, hs, cut_at);
                if (hk == ET_RING_OPEN && !cut.complete)
                    return BUSY;
                uint64_t shorter = ET_RING_STATE(ET_RING_STATE_GEN(hs), ET_RING_CLOSED, cut.kept);
                if (!__atomic_compare_exchange_n(&w->ring_table[h].state, &hs, shorter, false, __ATOMIC_ACQ_REL,
                                                 __ATOMIC_ACQUIRE))
                    continue;
                count_overwritten(w, 0, &cut);
            }
        }
        /* Fails when a record was reserved since the walk: walk again. */
        if (__atomic_compare_exchange_n(&slot->state, &state, ET_RING_STATE(gen, ET_RING_TAKING, 0), false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            if (head)
                count_overwritten(w, 1, &lost);
            return TAKEN;
        }
    }
    return BUSY;
}

static void ring_publish(struct et_writer *w, uint32_t j, uint64_t seq, uint64_t claimed_ns, uint16_t slots,
                         uint32_t kind)
{
    struct et_ring_slot *slot = &w->ring_table[j];
    __atomic_store_n(&slot->seq, seq, __ATOMIC_RELAXED);
    slot->claimed_ns = claimed_ns;
    slot->owner_pid = w->owner_pid;
    slot->slots = slots;
    __atomic_store_n(&slot->state, ET_RING_STATE(seq, kind, 0), __ATOMIC_RELEASE);
}

/* Takes the slots [first, first + count) of sequences seq.. and leaves
 * them empty: virtual slots a claim got but does not use, so that no lap
 * leaves an earlier lap's run behind it.  Stops at a slot a later lap has. */
static void ring_clear(struct et_writer *w, uint32_t first, uint32_t count, uint64_t seq, uint64_t now)
{
    for (uint32_t i = 0; i < count; i++) {
        enum take t = ring_take_slot(w, first + i, (seq + i) & ET_RING_GEN_MASK);
        if (t == STALE)
            return;
        if (t == BUSY)
            __atomic_fetch_add(&w->hdr->ring_busy_skips, 1, __ATOMIC_RELAXED);
        else
            ring_publish(w, first + i, seq + i, now, 1, ET_RING_CLOSED);
    }
}

/* Claims a run with room for a record of `size` bytes: its generation <<
 * 24 | first slot, or RING_NO_CLAIM (try again: a later claim lands
 * elsewhere). */
static uint64_t ring_claim(struct et_writer *w, uint32_t size)
{
    uint32_t need = (size + ET_RING_SLOT_BYTES - 1) / ET_RING_SLOT_BYTES;
    uint32_t most = ring_max_run_slots(w);
    if (most < need)
        most = need;
    uint32_t want = __atomic_load_n(&w->next_run_chunks, __ATOMIC_RELAXED);
    if (want < need)
        want = need;
    if (want > most)
        want = most;

    uint64_t seq = __atomic_fetch_add(&w->hdr->next_chunk, want, __ATOMIC_ACQ_REL);
    /* Read after the sequence was taken: a record written later than this
     * time went in at or after it (the reader's "complete since"). */
    uint64_t now = et_now_ns();
    uint32_t first = (uint32_t)(seq % w->ring_slots);
    /* A run does not wrap: it ends at the end of the ring, and what the
     * claim got beyond is cleared at its start. */
    uint32_t here = want, over = 0;
    if (first + want > w->ring_slots) {
        here = w->ring_slots - first;
        over = want - here;
    }
    /* The slots' words, in one system call rather than a fault (a new
     * image's first claim is its first touch of the table). */
    populate_writable(&w->ring_table[first], (uint64_t)here * sizeof(struct et_ring_slot));
    uint32_t taken = 0;
    enum take t = TAKEN;
    while (taken < here && (t = ring_take_slot(w, first + taken, (seq + taken) & ET_RING_GEN_MASK)) == TAKEN)
        taken++;
    if (t == BUSY)
        __atomic_fetch_add(&w->hdr->ring_busy_skips, 1, __ATOMIC_RELAXED);
    if (t != STALE) {
        if (taken + 1 < here)
            ring_clear(w, first + taken + 1, here - taken - 1, seq + taken + 1, now);
        if (over)
            ring_clear(w, 0, over, seq + here, now);
    }
    if (taken < need) {
        /* Give back what was taken, as empty runs of their own sequence:
         * a claim older than them still cannot take them. */
        for (uint32_t i = 0; i < taken; i++)
            ring_publish(w, first + i, seq + i, now, 1, ET_RING_CLOSED);
        return RING_NO_CLAIM;
    }
    for (uint32_t i = 1; i < taken; i++)
        ring_publish(w, first + i, seq, now, 0, ET_RING_CONT);
    ring_publish(w, first, seq, now, (uint16_t)taken, ET_RING_OPEN);
    __atomic_store_n(&w->next_run_chunks, taken * 2 > most ? most : taken * 2, __ATOMIC_RELAXED);
    populate_writable(w->ring_data + (uint64_t)first * ET_RING_SLOT_BYTES, (uint64_t)taken * ET_RING_SLOT_BYTES);
    return (seq & ET_RING_GEN_MASK) << 24 | first;
}

/* A record of `size` bytes in the run `run`, or NULL: it is full, closed
 * by a later lap, or has been open half a lap. */
static struct et_record *ring_reserve_in(struct et_writer *w, uint64_t run, uint32_t size)
{
    uint32_t first = (uint32_t)(run & 0xffffffu);
    uint64_t gen = run >> 24;
    struct et_ring_slot *slot = &w->ring_table[first];
    uint64_t next = __atomic_load_n(&w->hdr->next_chunk, __ATOMIC_ACQUIRE);
    if (((next - gen) & ET_RING_GEN_MASK) > w->ring_slots / 2)
        return NULL;
    uint64_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
    uint32_t used;
    do {
        if (ET_RING_STATE_KIND(state) != ET_RING_OPEN || ET_RING_STATE_GEN(state) != gen)
            return NULL;
        used = ET_RING_STATE_USED(state);
        /* Bounded by the ring's end too: a damaged file that `exectrace
         * snapshot` appends to may say anything. */
        uint32_t slots = __atomic_load_n(&slot->slots, __ATOMIC_RELAXED);
        if (slots > w->ring_slots - first)
            slots = w->ring_slots - first;
        uint32_t cap = slots * ET_RING_SLOT_BYTES;
        if (used > cap || size > cap - used)
            return NULL;
    } while (!__atomic_compare_exchange_n(&slot->state, &state, state + size, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    struct et_record *r = (struct et_record *)(void *)(w->ring_data + (uint64_t)first * ET_RING_SLOT_BYTES + used);
    __atomic_store_n(&r->size, size, __ATOMIC_RELAXED);
    return r;
}

static struct et_record *ring_reserve(struct et_writer *w, uint32_t size)
{
    /* A claim fails when it meets a run a writer is still inside (one
     * descheduled while the ring went round): each next claim lands
     * further on, past it. */
    for (int attempt = 0; attempt < 16; attempt++) {
        uint64_t run = __atomic_load_n(&w->ring_run, __ATOMIC_ACQUIRE);
        struct et_record *r;
        if (run != ET_RING_NO_RUN && (r = ring_reserve_in(w, run, size)) != NULL)
            return r;
        /* Another thread may have claimed the next run meanwhile: use it
         * rather than claim one more (in a small ring, runs claimed at
         * once by every thread of a process would take a lap's share, and
         * bring the next claims round onto the run being written). */
        if (__atomic_load_n(&w->ring_run, __ATOMIC_ACQUIRE) != run)
            continue;
        uint64_t fresh = ring_claim(w, size);
        if (fresh == RING_NO_CLAIM)
            continue;
        /* Another thread may have installed a run meanwhile: this record
         * still goes into ours. */
        __atomic_compare_exchange_n(&w->ring_run, &run, fresh, false, __ATOMIC_RELEASE, __ATOMIC_ACQUIRE);
        if ((r = ring_reserve_in(w, fresh, size)) != NULL)
            return r;
    }
    return NULL;
}

void et_ring_commit(struct et_writer *w, struct et_record *r)
{
    /* The slot the record begins in cannot change hands before this
     * store: a claim waits for its records to be complete. */
    uint64_t j = (uint64_t)((uint8_t *)r - w->ring_data) / ET_RING_SLOT_BYTES;
    uint64_t gen = ET_RING_STATE_GEN(__atomic_load_n(&w->ring_table[j].state, __ATOMIC_RELAXED));
    __atomic_store_n(&r->commit, et_ring_commit_word(r->type, r->size, gen), __ATOMIC_RELEASE);
}

/* A record of `size` bytes in a trace of fixed size, or NULL when it is
 * full. */
static struct et_record *fixed_reserve(struct et_writer *w, uint32_t size, const struct et_identity *id)
{
    /* A signal handler may run between any two steps and append too, even
     * fill the run just installed: so try again, a bounded number of times. */
    bool foreign = id->pid != w->owner_pid;
    struct et_record *r = NULL;
    for (int attempt = 0; attempt < 4 && !r; attempt++) {
        struct et_run_header *run = __atomic_load_n(&w->run, __ATOMIC_ACQUIRE);
        if (run && (r = reserve_in(run, size, foreign)) != NULL)
            break;
        struct et_run_header *fresh = claim_run(w, size);
        if (!fresh)
            break;
        /* If another thread installed a run meanwhile, this record still goes
         * into ours (it has room); the rest of ours stays unused. */
        __atomic_compare_exchange_n(&w->run, &run, fresh, false, __ATOMIC_RELEASE, __ATOMIC_ACQUIRE);
        r = reserve_in(fresh, size, foreign);
    }
    return r;
}

struct et_record *et_record_reserve(struct et_writer *w, uint16_t type, uint32_t body_size,
                                    const struct et_identity *id, uint64_t ts_ns, int err)
{
    if (!w->hdr)
        return NULL;
    uint32_t size = et_align8((uint32_t)sizeof(struct et_record) + body_size);
    if (size > ET_MAX_RECORD_SIZE) {
        count_drop(w, size);
        return NULL;
    }

    struct et_record *r = __builtin_expect(w->ring, 0) ? ring_reserve(w, size) : fixed_reserve(w, size, id);
    if (!r) {
        count_drop(w, size);
        return NULL;
    }

    r->type = type;
    r->flags = 0;
    r->tid = id->tid;
    r->ts_ns = ts_ns;
    r->pid = id->pid;
    r->err = err;
    r->start_time = id->start_time;
    return r;
}

uint32_t et_put_str(uint8_t *dst, const char *s, uint32_t max_bytes, bool *truncated)
{
    size_t len = s ? strlen(s) : 0;
    if (len > max_bytes) {
        len = max_bytes;
        *truncated = true;
    }
    if (dst) {
        uint16_t l16 = (uint16_t)len;
        memcpy(dst, &l16, sizeof(l16));
        if (len)
            memcpy(dst + sizeof(l16), s, len);
    }
    return (uint32_t)(sizeof(uint16_t) + len);
}

uint32_t et_put_argv(uint8_t *dst, char *const argv[], struct et_argv_summary *sum)
{
    uint32_t used = 0;
    sum->argc = 0;
    sum->count = 0;
    sum->truncated = false;
    if (!argv)
        return 0;
    for (; argv[sum->argc]; sum->argc++) {
        if (sum->truncated)
            continue; /* keep counting argc */
        if (sum->count == ET_MAX_ARGV_STRINGS || used + sizeof(uint16_t) >= ET_MAX_ARGV_BYTES) {
            sum->truncated = true;
            continue;
        }
        uint32_t room = ET_MAX_ARGV_BYTES - used - (uint32_t)sizeof(uint16_t);
        used += et_put_str(dst ? dst + used : NULL, argv[sum->argc], room, &sum->truncated);
        sum->count++;
    }
    return used;
}

void et_write_start(struct et_writer *w, const struct et_identity *id, uint64_t ts_ns, uint16_t record_flags,
                    const struct et_start_info *info)
{
    bool exe_truncated = false;
    struct et_argv_summary args;
    uint32_t pipe_bytes = (uint32_t)info->pipe_count * (uint32_t)sizeof(struct et_pipe_end);
    uint32_t exe_bytes = et_put_str(NULL, info->exe, ET_MAX_PATH_BYTES, &exe_truncated);
    uint32_t argv_bytes = et_put_argv(NULL, info->argv, &args);
    struct et_record *r = et_record_reserve(w, ET_REC_IMAGE_START,
                                            (uint32_t)sizeof(struct et_image_start) + pipe_bytes + exe_bytes + argv_bytes,
                                            id, ts_ns, 0);
    if (!r)
        return;
    r->flags = record_flags;
    struct et_image_start *b = et_record_body(r);
    b->ppid = info->ppid;
    b->pgid = info->pgid;
    b->sid = info->sid;
    b->origin = info->origin;
    b->flags = info->flags | (exe_truncated ? ET_START_EXE_TRUNCATED : 0) | (args.truncated ? ET_START_ARGV_TRUNCATED : 0);
    b->uid = info->uid;
    b->euid = info->euid;
    b->argc = args.argc;
    b->argv_count = args.count;
    b->pipe_count = info->pipe_count;
    uint8_t *tail = (uint8_t *)(b + 1);
    if (pipe_bytes)
        memcpy(tail, info->pipes, pipe_bytes);
    tail += pipe_bytes;
    tail += et_put_str(tail, info->exe, ET_MAX_PATH_BYTES, &exe_truncated);
    et_put_argv(tail, info->argv, &args);
    et_commit(w, r);
}

uint32_t et_exec_body_size(const struct et_exec_info *info)
{
    bool truncated = false;
    struct et_argv_summary args;
    return (uint32_t)sizeof(struct et_exec) + et_put_str(NULL, info->path, ET_MAX_PATH_BYTES, &truncated) +
           et_put_argv(NULL, info->argv, &args);
}

void et_exec_fill(struct et_record *r, const struct et_exec_info *info)
{
    bool path_truncated = false;
    struct et_argv_summary args;
    et_put_argv(NULL, info->argv, &args);
    et_put_str(NULL, info->path, ET_MAX_PATH_BYTES, &path_truncated);
    struct et_exec *b = et_record_body(r);
    b->kind = info->kind;
    b->flags = info->env_flags | (path_truncated ? ET_EXEC_PATH_TRUNCATED : 0) |
               (args.truncated ? ET_EXEC_ARGV_TRUNCATED : 0);
    b->fd = info->fd;
    b->at_flags = (uint32_t)info->at_flags;
    b->argc = args.argc;
    b->argv_count = args.count;
    b->reserved = 0;
    b->reserved2 = 0;
    uint8_t *tail = (uint8_t *)(b + 1);
    tail += et_put_str(tail, info->path, ET_MAX_PATH_BYTES, &path_truncated);
    et_put_argv(tail, info->argv, &args);
}

void et_write_exec(struct et_writer *w, const struct et_identity *id, uint64_t ts_ns, uint16_t record_flags,
                   const struct et_exec_info *info)
{
    uint32_t body_bytes = et_exec_body_size(info);
    struct et_record *r =
        et_record_reserve(w, ET_REC_EXEC, body_bytes + et_stack_extra(body_bytes, info->stack), id, ts_ns, 0);
    if (!r)
        return;
    r->flags = record_flags;
    if (info->stack)
        et_stack_put(r, info->stack);
    et_exec_fill(r, info);
    et_commit(w, r);
}

void et_stack_put(struct et_record *r, const struct et_stack *stack)
{
    uint8_t *end = (uint8_t *)r + r->size;
    struct et_stack_trailer *trailer = (struct et_stack_trailer *)(void *)(end - sizeof(*trailer));
    uint64_t *pc = (uint64_t *)(void *)trailer - stack->frames;
    for (unsigned i = 0; i < stack->frames; i++)
        pc[i] = stack->pc[i];
    trailer->frames = stack->frames;
    trailer->flags = stack->flags;
    trailer->reserved = 0;
    r->flags |= ET_RF_STACK;
}

void et_write_exec_failed(struct et_writer *w, const struct et_identity *id, uint16_t record_flags, uint16_t kind,
                          int result, int err)
{
    struct et_record *r =
        et_record_reserve(w, ET_REC_EXEC_FAILED, sizeof(struct et_exec_failed), id, et_now_ns(), err);
    if (!r)
        return;
    r->flags = record_flags;
    struct et_exec_failed *b = et_record_body(r);
    b->kind = kind;
    b->reserved = 0;
    b->result = result;
    et_commit(w, r);
}

static int fill_header(int fd, uint64_t size, bool ring, uint32_t launcher_pid, uint64_t launcher_start_time)
{
    struct et_file_header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, ET_MAGIC, ET_MAGIC_LEN);
    h.version_major = ET_VERSION_MAJOR;
    h.version_minor = ET_VERSION_MINOR;
    h.endian_marker = ET_ENDIAN_MARKER;
    h.header_size = ET_HEADER_SIZE;
    h.chunk_size = ET_CHUNK_SIZE;
    h.chunk_count = (uint32_t)((size - ET_HEADER_SIZE) / ET_CHUNK_SIZE);
    h.file_size = ET_HEADER_SIZE + (uint64_t)h.chunk_count * ET_CHUNK_SIZE;
    if (ring) {
        h.version_major = ET_VERSION_MAJOR_RING;
        h.flags = ET_FILE_RING;
        h.ring_slot_count = et_ring_slots_for(size);
        h.ring_data_offset = (uint32_t)et_ring_data_offset(h.ring_slot_count);
        h.chunk_count = h.ring_slot_count * ET_RING_SLOT_CHUNKS;
        h.file_size = h.ring_data_offset + (uint64_t)h.chunk_count * ET_CHUNK_SIZE;
    }
    h.launcher_pid = launcher_pid;
    h.launcher_start_time = launcher_start_time;
    _Static_assert(sizeof(EXECTRACE_VERSION) <= sizeof(h.writer_version), "version fits the header");
    memcpy(h.writer_version, EXECTRACE_VERSION, sizeof(EXECTRACE_VERSION));
    struct timespec mono, real;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &real);
    h.anchor_monotonic_ns = (uint64_t)mono.tv_sec * 1000000000u + (uint64_t)mono.tv_nsec;
    h.anchor_realtime_ns = (uint64_t)real.tv_sec * 1000000000u + (uint64_t)real.tv_nsec;

    size_t done = 0;
    while (done < sizeof(h)) {
        ssize_t n = pwrite(fd, (char *)&h + done, sizeof(h) - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        done += (size_t)n;
    }
    return 0;
}

int et_trace_create(const char *path, uint64_t size, bool ring, uint32_t launcher_pid, uint64_t launcher_start_time,
                    bool replace, int *replaced_fd, const char **what)
{
    char tmp[4096 + 32];
    int ret;
    if (replaced_fd)
        *replaced_fd = -1;

    if ((ring ? !et_ring_slots_for(size) : size < ET_MIN_FILE_SIZE) || size > ET_MAX_FILE_SIZE) {
        *what = "size out of range";
        return -EINVAL;
    }
    if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= (int)sizeof(tmp)) {
        *what = "path too long";
        return -ENAMETOOLONG;
    }

    /* Build the whole file under a temporary name, then link it into place:
     * a process that opens the trace never sees a half-written header. */
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        *what = "create";
        return -errno;
    }
    uint64_t file_size = ET_HEADER_SIZE + (size - ET_HEADER_SIZE) / ET_CHUNK_SIZE * ET_CHUNK_SIZE;
    if (ring) {
        uint32_t slots = et_ring_slots_for(size);
        file_size = et_ring_data_offset(slots) + (uint64_t)slots * ET_RING_SLOT_BYTES;
    }
    ret = -posix_fallocate(fd, 0, (off_t)file_size);
    if (ret) {
        *what = "reserve space";
        goto fail;
    }
    ret = fill_header(fd, file_size, ring, launcher_pid, launcher_start_time);
    if (ret) {
        *what = "write header";
        goto fail;
    }

    if (replace) {
        struct stat st;
        if (lstat(path, &st) == 0) {
            if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
                ret = -EEXIST;
                *what = "refusing to replace (not a regular file of yours)";
                goto fail;
            }
            /* Held open, the replaced file is freed (its blocks, its pages
             * in the cache: milliseconds for a full trace) when the caller
             * closes it, not here. */
            int old = replaced_fd ? open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) : -1;
            if (rename(tmp, path) < 0) {
                ret = -errno;
                *what = "replace";
                if (old >= 0)
                    close(old);
                goto fail;
            }
            if (replaced_fd)
                *replaced_fd = old;
            close(fd);
            return 0;
        }
    }
    if (link(tmp, path) < 0) {
        ret = -errno;
        *what = "create";
        goto fail;
    }
    unlink(tmp);
    close(fd);
    return 0;

fail:
    unlink(tmp);
    close(fd);
    return ret;
}
