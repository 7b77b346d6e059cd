/* Ring traces (trace_format.h, "Ring traces"): the writer keeps the newest
 * records, never writes where a later lap reserved, never reuses a run a
 * writer is still writing into, and the reader takes back exactly the
 * records that are still whole, and says from when the history is
 * complete. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "events.h"
#include "files.h"
#include "reader.h"
#include "report.h"
#include "writer.h"

struct ring {
    char dir[64];
    char path[128];
    void *map;
    uint64_t size;
};

static void ring_open(struct ring *f, uint64_t size)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/exectrace-ring-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/r.trace", f->dir);
    f->map = map_new_trace(f->path, size, true, (uint32_t)getpid(), &f->size);
    assert_non_null(f->map);
}

static void ring_close(struct ring *f)
{
    munmap(f->map, (size_t)f->size);
    unlink(f->path);
    rmdir(f->dir);
}

static void attach(struct ring *f, struct et_writer *w, uint32_t owner)
{
    assert_int_equal(et_writer_attach(w, f->map, f->size, owner), 0);
    assert_true(w->ring);
}

static struct et_file_header *header(struct ring *f)
{
    return f->map;
}

/* A record that says who wrote it, its number, and a check of both that
 * a write over it from elsewhere would break. */
static uint32_t check_of(int32_t who, int32_t seq)
{
    return (uint32_t)who * 2654435761u ^ (uint32_t)seq * 40503u ^ 0x5a5a5a5au;
}

static struct et_record *reserve_tagged(struct et_writer *w, int32_t who, int32_t seq, uint64_t ts)
{
    struct et_identity id = {w->owner_pid, w->owner_pid, 1};
    struct et_record *r = et_record_reserve(w, ET_REC_SIGNAL, sizeof(struct et_signal), &id, ts, 0);
    if (!r)
        return NULL;
    struct et_signal *b = et_record_body(r);
    memset(b, 0, sizeof(*b));
    b->target = who;
    b->target_tid = seq;
    b->sig = (int32_t)check_of(who, seq);
    b->result = (int32_t)~check_of(who, seq);
    return r;
}

static bool append_tagged(struct et_writer *w, int32_t who, int32_t seq, uint64_t ts)
{
    struct et_record *r = reserve_tagged(w, who, seq, ts);
    if (!r)
        return false;
    et_commit(w, r);
    return true;
}

#define MAX_WRITERS 8
struct readback {
    unsigned per_writer;
    uint8_t *count;      /* MAX_WRITERS * per_writer */
    uint64_t bad;        /* records whose check failed, or not ours */
    uint64_t duplicates;
    uint64_t records;
};

static int note_record(const struct et_record *r, uint64_t offset, void *ctx)
{
    (void)offset;
    struct readback *rb = ctx;
    const struct et_signal *b = et_body(r);
    rb->records++;
    if (r->type != ET_REC_SIGNAL || b->target < 0 || b->target >= MAX_WRITERS || b->target_tid < 0 ||
        (unsigned)b->target_tid >= rb->per_writer || (uint32_t)b->sig != check_of(b->target, b->target_tid) ||
        (uint32_t)b->result != ~check_of(b->target, b->target_tid)) {
        rb->bad++;
        return 0;
    }
    uint8_t *c = &rb->count[(unsigned)b->target * rb->per_writer + (unsigned)b->target_tid];
    if (*c)
        rb->duplicates++;
    *c = 1;
    return 0;
}

static void read_back(struct ring *f, struct et_trace *t, struct readback *rb, unsigned per_writer)
{
    memset(rb, 0, sizeof(*rb));
    rb->per_writer = per_writer;
    rb->count = calloc(MAX_WRITERS, per_writer);
    assert_non_null(rb->count);
    assert_int_equal(et_trace_open(t, f->path), 0);
    assert_true(t->ring);
    assert_int_equal(et_trace_scan(t, note_record, rb), 0);
}

static bool was_read(const struct readback *rb, int who, int seq)
{
    return rb->count[(unsigned)who * rb->per_writer + (unsigned)seq] != 0;
}

/* read_back, and every record read whole and once, nothing damaged. */
static void read_whole(struct ring *f, struct et_trace *t, struct readback *rb, unsigned per_writer)
{
    read_back(f, t, rb, per_writer);
    assert_int_equal(rb->bad, 0);
    assert_int_equal(rb->duplicates, 0);
    assert_int_equal(t->problems, 0);
}

static void read_done(struct ring *f, struct et_trace *t, struct readback *rb)
{
    et_trace_close(t);
    free(rb->count);
    ring_close(f);
}

/* A ring of `size` bytes with two writers, pids 100 and 200. */
static void ring_with_two(struct ring *f, uint64_t size, struct et_writer *a, struct et_writer *b)
{
    ring_open(f, size);
    attach(f, a, 100);
    attach(f, b, 200);
}

static void ring_header_describes_the_ring(void **state)
{
    (void)state;
    struct ring f;
    ring_open(&f, 1u << 20);
    const struct et_file_header *h = header(&f);
    assert_int_equal(h->version_major, ET_VERSION_MAJOR_RING);
    assert_true(h->flags & ET_FILE_RING);
    assert_int_equal(h->ring_slot_count, et_ring_slots_for(1u << 20));
    assert_true(f.size <= 1u << 20);
    assert_int_equal(f.size, h->ring_data_offset + (uint64_t)h->ring_slot_count * ET_RING_SLOT_BYTES);
    /* Nearly all of it is ring: the table takes one cache line a slot. */
    assert_true((uint64_t)h->ring_slot_count * ET_RING_SLOT_BYTES > (1u << 20) * 95 / 100);
    struct et_trace t;
    assert_int_equal(et_trace_open(&t, f.path), 0);
    assert_true(t.ring);
    assert_int_equal(t.problems, 0);
    assert_false(t.ring_wrapped);
    assert_int_equal(t.ring_nruns, 0);
    et_trace_close(&t);
    /* Too small for a ring, refused rather than rounded up. */
    const char *what;
    char small[160];
    snprintf(small, sizeof(small), "%s/small", f.dir);
    assert_int_equal(et_trace_create(small, ET_RING_MIN_FILE_SIZE - 1, true, 1, 0, false, NULL, &what), -EINVAL);
    assert_int_equal(et_trace_create(small, ET_RING_MIN_FILE_SIZE, true, 1, 0, false, NULL, &what), 0);
    unlink(small);
    ring_close(&f);
}

/* One writer round the ring many times: what is read back is exactly its
 * newest records, each whole, and everything overwritten is counted. */
static void a_ring_keeps_the_newest_records(void **state)
{
    (void)state;
    enum { N = 60000 };
    struct ring f;
    ring_open(&f, 256u << 10);
    struct et_writer w;
    attach(&f, &w, 100);
    uint64_t *ts = calloc(N, sizeof(*ts));
    assert_non_null(ts);
    for (int i = 0; i < N; i++) {
        ts[i] = et_now_ns();
        assert_true(append_tagged(&w, 0, i, ts[i]));
    }
    assert_int_equal(header(&f)->records_dropped, 0);

    struct et_trace t;
    struct readback rb;
    read_whole(&f, &t, &rb, N);
    assert_int_equal(t.incomplete, 0);
    assert_true(t.ring_wrapped);
    /* The newest records, unbroken, at least half a ring of them (a run
     * takes no records once half a lap was claimed after it). */
    int oldest = N - 1;
    while (oldest > 0 && was_read(&rb, 0, oldest - 1))
        oldest--;
    assert_true(oldest > 0);
    uint64_t kept = (uint64_t)(N - oldest) * (sizeof(struct et_record) + sizeof(struct et_signal));
    assert_true(kept >= (uint64_t)header(&f)->ring_slot_count * ET_RING_SLOT_BYTES / 2);
    /* Every record since the time the reader names is there; the newest
     * one lost was written before it. */
    assert_true(t.ring_complete_since_ns > 0 && t.ring_complete_since_ns != UINT64_MAX);
    assert_true(ts[oldest - 1] <= t.ring_complete_since_ns);
    for (int i = 0; i < N; i++)
        if (ts[i] >= t.ring_complete_since_ns)
            assert_true(was_read(&rb, 0, i));
    /* What was lost is counted exactly, records and bytes. */
    assert_int_equal(header(&f)->ring_records_overwritten + rb.records, (uint64_t)N);
    assert_int_equal(header(&f)->ring_bytes_overwritten + rb.records * (sizeof(struct et_record) + sizeof(struct et_signal)),
                     (uint64_t)N * (sizeof(struct et_record) + sizeof(struct et_signal)));
    assert_int_equal(header(&f)->ring_busy_skips, 0);
    et_trace_close(&t);
    free(rb.count);
    free(ts);
    ring_close(&f);
}

/* A writer stopped between reserving and committing (descheduled,
 * SIGSTOP, a debugger): the ring goes round many times, its run is left
 * alone, and when it commits its record is read whole; nothing of the
 * other writer's is damaged. */
static void a_writer_inside_a_record_keeps_its_run(void **state)
{
    (void)state;
    enum { N = 40000 };
    struct ring f;
    struct et_writer a, b;
    ring_with_two(&f, 256u << 10, &a, &b);
    assert_true(append_tagged(&a, 0, 0, et_now_ns()));
    struct et_record *inside = reserve_tagged(&a, 0, 1, et_now_ns());
    assert_non_null(inside);
    for (int i = 0; i < N; i++)
        assert_true(append_tagged(&b, 1, i, et_now_ns()));
    assert_true(header(&f)->ring_busy_skips > 0);
    et_commit(&a, inside);

    struct et_trace t;
    struct readback rb;
    read_whole(&f, &t, &rb, N);
    assert_true(was_read(&rb, 0, 0));
    assert_true(was_read(&rb, 0, 1));
    assert_true(was_read(&rb, 1, N - 1));
    read_done(&f, &t, &rb);
}

/* A writer whose run was taken by a later lap while it was away reserves
 * in a new run, never in the old place. */
static void a_run_taken_by_a_later_lap_takes_no_records(void **state)
{
    (void)state;
    enum { N = 40000 };
    struct ring f;
    struct et_writer a, b;
    ring_with_two(&f, 256u << 10, &a, &b);
    assert_true(append_tagged(&a, 0, 0, et_now_ns()));
    uint64_t old_run = a.ring_run;
    for (int i = 0; i < N; i++)
        assert_true(append_tagged(&b, 1, i, et_now_ns()));
    /* Its cached run now names slots a later lap holds. */
    assert_int_equal(a.ring_run, old_run);
    struct et_record *r = reserve_tagged(&a, 0, 1, et_now_ns());
    assert_non_null(r);
    assert_true(a.ring_run != old_run);
    et_commit(&a, r);

    struct et_trace t;
    struct readback rb;
    read_whole(&f, &t, &rb, N);
    assert_false(was_read(&rb, 0, 0));
    assert_true(was_read(&rb, 0, 1));
    assert_true(was_read(&rb, 1, N - 1));
    read_done(&f, &t, &rb);
}

/* A claim whose sequence is a lap old (its claimer took the number, then
 * was descheduled while the ring went round): every slot it would take
 * holds a later lap's run, so it takes none, and the record it was for is
 * dropped and counted rather than written over newer ones. */
static void a_claim_a_lap_late_takes_nothing(void **state)
{
    (void)state;
    enum { N = 30000 };
    struct ring f;
    struct et_writer a, b;
    ring_with_two(&f, 256u << 10, &a, &b);
    for (int i = 0; i < N; i++)
        assert_true(append_tagged(&b, 1, i, et_now_ns()));
    struct et_file_header *h = header(&f);
    uint64_t now = h->next_chunk;
    struct et_trace before;
    struct readback rb_before;
    read_back(&f, &before, &rb_before, N);
    assert_true(rb_before.records > 0);
    /* The numbers the late claims get: all from the lap before. */
    h->next_chunk = now - h->ring_slot_count - 2 * ET_RING_MAX_RUN_SLOTS;
    assert_false(append_tagged(&a, 0, 0, et_now_ns()));
    assert_int_equal(h->records_dropped, 1);
    uint64_t late = h->next_chunk;
    assert_true(late > now - h->ring_slot_count - 2 * ET_RING_MAX_RUN_SLOTS); /* it did try */
    h->next_chunk = now;

    struct et_trace t;
    struct readback rb;
    read_whole(&f, &t, &rb, N);
    assert_false(was_read(&rb, 0, 0));
    /* Exactly what was there before the late claims. */
    assert_int_equal(rb.records, rb_before.records);
    assert_memory_equal(rb.count, rb_before.count, (size_t)MAX_WRITERS * N);
    et_trace_close(&t);
    et_trace_close(&before);
    free(rb.count);
    free(rb_before.count);
    ring_close(&f);
}

/* A signal handler that appends in the middle of its own process's record:
 * round the ring twice over from inside the handler, through the same
 * writer, while the interrupted record is reserved and not committed.  The
 * interrupted run is left alone, the handler's records go elsewhere, and
 * the interrupted record commits whole afterwards. */
static struct et_writer *handler_writer;
static int handler_records;

static void append_from_handler(int sig)
{
    (void)sig;
    for (int i = 0; i < handler_records; i++)
        if (!append_tagged(handler_writer, 1, i, et_now_ns()))
            abort();
}

static void a_signal_handler_goes_round_inside_a_record(void **state)
{
    (void)state;
    enum { N = 20000 };
    struct ring f;
    ring_open(&f, 128u << 10);
    struct et_writer w;
    attach(&f, &w, 100);
    handler_writer = &w;
    handler_records = N;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = append_from_handler;
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    assert_true(append_tagged(&w, 0, 0, et_now_ns()));
    struct et_record *inside = reserve_tagged(&w, 0, 1, et_now_ns());
    assert_non_null(inside);
    raise(SIGUSR1);
    et_commit(&w, inside);
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
    assert_true(header(&f)->next_chunk > 2ull * header(&f)->ring_slot_count);
    assert_true(header(&f)->ring_busy_skips > 0);

    struct et_trace t;
    struct readback rb;
    read_whole(&f, &t, &rb, N);
    assert_true(was_read(&rb, 0, 1));
    assert_true(was_read(&rb, 1, N - 1));
    read_done(&f, &t, &rb);
}

/* Threads of one process share its writer, and so its run: many rounds of
 * the ring, every record whole and read once, each thread's records since
 * the complete history all there. */
#define THREADS 4
#define THREAD_RECORDS 20000
struct thread_arg {
    struct et_writer *w;
    int who;
    uint64_t *ts;
};

static void *thread_writer(void *p)
{
    struct thread_arg *a = p;
    for (int i = 0; i < THREAD_RECORDS; i++) {
        uint64_t ts = et_now_ns();
        if (!append_tagged(a->w, a->who, i, ts))
            return (void *)1;
        a->ts[i] = ts;
    }
    return NULL;
}

static void threads_of_one_process_share_its_runs(void **state)
{
    (void)state;
    struct ring f;
    ring_open(&f, 256u << 10);
    struct et_writer w;
    attach(&f, &w, 100);
    pthread_t th[THREADS];
    struct thread_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct thread_arg){&w, i, calloc(THREAD_RECORDS, sizeof(uint64_t))};
        assert_non_null(args[i].ts);
        assert_int_equal(pthread_create(&th[i], NULL, thread_writer, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        void *ret;
        assert_int_equal(pthread_join(th[i], &ret), 0);
        assert_null(ret);
    }
    struct et_trace t;
    struct readback rb;
    read_back(&f, &t, &rb, THREAD_RECORDS);
    assert_int_equal(rb.bad, 0);
    assert_int_equal(rb.duplicates, 0);
    assert_int_equal(t.problems, 0);
    assert_true(t.ring_wrapped);
    for (int k = 0; k < THREADS; k++) {
        for (int i = 0; i < THREAD_RECORDS; i++)
            if (args[k].ts[i] >= t.ring_complete_since_ns)
                assert_true(was_read(&rb, k, i));
        free(args[k].ts);
    }
    assert_int_equal(rb.records + header(&f)->ring_records_overwritten, (uint64_t)THREADS * THREAD_RECORDS);
    read_done(&f, &t, &rb);
}

/* A run stays open at most half a lap: a writer that writes rarely moves
 * on to a new run rather than adding to one about to be overwritten. */
static void a_run_open_half_a_lap_takes_no_more(void **state)
{
    (void)state;
    struct ring f;
    struct et_writer a, b;
    ring_with_two(&f, 256u << 10, &a, &b);
    assert_true(append_tagged(&a, 0, 0, et_now_ns()));
    uint64_t first_run = a.ring_run;
    uint32_t slots = header(&f)->ring_slot_count;
    /* A third of a lap: still the same run. */
    int seq = 0;
    while (header(&f)->next_chunk < slots / 3)
        assert_true(append_tagged(&b, 1, seq++, et_now_ns()));
    assert_true(append_tagged(&a, 0, 1, et_now_ns()));
    assert_int_equal(a.ring_run, first_run);
    /* Past half a lap: a new one. */
    while (header(&f)->next_chunk < slots / 2 + 2)
        assert_true(append_tagged(&b, 1, seq++, et_now_ns()));
    assert_true(append_tagged(&a, 0, 2, et_now_ns()));
    assert_true(a.ring_run != first_run);
    ring_close(&f);
}

/* Many processes round a small ring many times, some killed wherever they
 * are: every record read is whole and read once, and each writer's
 * records since the time the reader says the history is complete are all
 * there. */
#define STRESS_WRITERS 8
#define STRESS_RECORDS 20000
struct stress_shared {
    uint64_t ts[STRESS_WRITERS][STRESS_RECORDS]; /* set once committed */
};

static void stress_writer(struct ring *f, struct stress_shared *sh, int who)
{
    struct et_writer w;
    if (et_writer_attach(&w, f->map, f->size, (uint32_t)getpid()) != 0)
        _exit(3);
    unsigned seed = (unsigned)who * 7919u + 1;
    for (int i = 0; i < STRESS_RECORDS; i++) {
        uint64_t ts = et_now_ns();
        if (!append_tagged(&w, who, i, ts))
            _exit(4);
        sh->ts[who][i] = ts;
        if (rand_r(&seed) % 512 == 0)
            sched_yield();
    }
    _exit(0);
}

static void many_processes_wrap_the_ring(void **state)
{
    (void)state;
    struct ring f;
    ring_open(&f, 512u << 10);
    struct stress_shared *sh =
        mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(sh != MAP_FAILED);
    pid_t pids[STRESS_WRITERS];
    for (int i = 0; i < STRESS_WRITERS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0)
            stress_writer(&f, sh, i);
    }
    /* Two are killed in the middle of it. */
    struct timespec pause = {0, 3 * 1000 * 1000};
    nanosleep(&pause, NULL);
    kill(pids[0], SIGKILL);
    nanosleep(&pause, NULL);
    kill(pids[1], SIGKILL);
    for (int i = 0; i < STRESS_WRITERS; i++) {
        int status;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        if (i >= 2)
            assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }

    struct et_trace t;
    struct readback rb;
    read_back(&f, &t, &rb, STRESS_RECORDS);
    assert_int_equal(rb.bad, 0);
    assert_int_equal(rb.duplicates, 0);
    assert_int_equal(t.problems, 0);
    assert_true(t.ring_wrapped);
    assert_true(header(&f)->next_chunk > 10ull * header(&f)->ring_slot_count);
    assert_true(t.ring_complete_since_ns > 0 && t.ring_complete_since_ns != UINT64_MAX);
    uint64_t committed = 0, since = 0;
    for (int w = 0; w < STRESS_WRITERS; w++)
        for (int i = 0; i < STRESS_RECORDS; i++) {
            if (!sh->ts[w][i])
                continue;
            committed++;
            if (sh->ts[w][i] >= t.ring_complete_since_ns) {
                since++;
                assert_true(was_read(&rb, w, i));
            }
        }
    assert_true(since > 0);
    /* Counted exactly but for the two killed writers: each may have died
     * after committing a record and before noting it, or inside one. */
    assert_true(rb.records + header(&f)->ring_records_overwritten <= committed + 2);
    assert_true(rb.records + header(&f)->ring_records_overwritten + 2 >= committed);
    et_trace_close(&t);
    free(rb.count);
    munmap(sh, sizeof(*sh));
    ring_close(&f);
}

/* A fixed-size trace's reader of 1.x refuses a ring; a ring with a slot
 * table that contradicts itself loses those runs only, and says so. */
static void a_damaged_slot_table_costs_its_runs_only(void **state)
{
    (void)state;
    struct ring f;
    struct et_writer a, b;
    ring_with_two(&f, 256u << 10, &a, &b);
    assert_true(append_tagged(&a, 0, 0, et_now_ns()));
    assert_true(append_tagged(&b, 1, 0, et_now_ns()));
    struct et_ring_slot *table = (struct et_ring_slot *)((uint8_t *)f.map + ET_HEADER_SIZE);
    uint32_t slot_a = (uint32_t)(a.ring_run & 0xffffff);
    table[slot_a].seq += 1; /* no longer its own position */
    struct et_trace t;
    struct readback rb;
    read_back(&f, &t, &rb, 4);
    assert_int_equal(rb.bad, 0);
    assert_false(was_read(&rb, 0, 0));
    assert_true(was_read(&rb, 1, 0));
    assert_true(t.problems > 0);
    assert_non_null(strstr(t.diag, "does not describe a run"));
    read_done(&f, &t, &rb);
}

/* Bytes of a wrapped ring changed at random, in its slot table and its
 * data, a few at a time: every reader and the whole report go through
 * each copy without crashing (the sanitizer build checks memory), and
 * every record handed out proves itself. */
static int check_record_fits(const struct et_record *r, uint64_t offset, void *ctx)
{
    size_t *len = ctx;
    assert_true(offset + r->size <= *len);
    assert_true(r->size >= sizeof(struct et_record));
    return 0;
}

static void a_damaged_ring_is_read_without_harm(void **state)
{
    (void)state;
    struct ring f;
    ring_open(&f, ET_RING_MIN_FILE_SIZE + 64 * ET_RING_SLOT_BYTES);
    struct et_writer a, b;
    attach(&f, &a, 100);
    attach(&f, &b, 200);
    for (int i = 0; i < 20000; i++)
        assert_true(append_tagged(i % 3 ? &a : &b, i % 3 ? 0 : 1, i, et_now_ns()));
    uint8_t *pristine = malloc(f.size);
    assert_non_null(pristine);
    memcpy(pristine, f.map, f.size);
    const struct et_file_header *h = f.map;
    unsigned seed = 12345;
    char copy[160];
    snprintf(copy, sizeof(copy), "%s/copy", f.dir);
    FILE *null = fopen("/dev/null", "w");
    assert_non_null(null);
    for (int round = 0; round < 1000; round++) {
        uint8_t *d = malloc(f.size);
        assert_non_null(d);
        memcpy(d, pristine, f.size);
        int flips = 1 + rand_r(&seed) % 16;
        for (int k = 0; k < flips; k++) {
            /* Mostly the slot table and the header's ring fields. */
            uint64_t at;
            switch (rand_r(&seed) % 3) {
            case 0:
                at = ET_HEADER_SIZE + (uint64_t)rand_r(&seed) % (h->ring_data_offset - ET_HEADER_SIZE);
                break;
            case 1:
                at = 192 + (uint64_t)rand_r(&seed) % 64;
                break;
            default:
                at = (uint64_t)rand_r(&seed) % f.size;
            }
            d[at] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
        }
        size_t len = rand_r(&seed) % 8 ? f.size : (size_t)rand_r(&seed) % f.size;
        FILE *out = fopen(copy, "w");
        assert_non_null(out);
        assert_int_equal(fwrite(d, 1, len, out), len);
        fclose(out);
        free(d);

        struct et_trace t;
        if (et_trace_open(&t, copy) == 0) {
            assert_int_equal(et_trace_scan(&t, check_record_fits, &len), 0);
            struct et_event_list events;
            if (et_events_load(&t, &events) == 0)
                et_events_free(&events);
        }
        et_trace_close(&t);
        et_report_to(null, copy, 3, ET_REPORT_TEXT);
        et_report_to(null, copy, 3, ET_REPORT_JSON);
    }
    fclose(null);
    unlink(copy);
    free(pristine);
    ring_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ring_header_describes_the_ring),
        cmocka_unit_test(a_ring_keeps_the_newest_records),
        cmocka_unit_test(a_writer_inside_a_record_keeps_its_run),
        cmocka_unit_test(a_run_taken_by_a_later_lap_takes_no_records),
        cmocka_unit_test(a_claim_a_lap_late_takes_nothing),
        cmocka_unit_test(a_signal_handler_goes_round_inside_a_record),
        cmocka_unit_test(threads_of_one_process_share_its_runs),
        cmocka_unit_test(a_run_open_half_a_lap_takes_no_more),
        cmocka_unit_test(many_processes_wrap_the_ring),
        cmocka_unit_test(a_damaged_slot_table_costs_its_runs_only),
        cmocka_unit_test(a_damaged_ring_is_read_without_harm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
