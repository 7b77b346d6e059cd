/* The time-ordered stream over a trace's runs: nothing lost or repeated,
 * in-run disorder smaller than the window put back in order, disorder beyond
 * it still delivered, hundreds of runs merged, ties broken by file order, and
 * damaged runs not taking intact records down with them.  Each record is a
 * signal record whose body names its run (target) and its place in that run
 * (target_tid), so what comes out can be checked against what went in. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "files.h"
#include "reader.h"
#include "stream.h"
#include "writer.h"

#define MAX_WRITERS 400
#define MAX_RECORDS 8192

/* ---- a trace written by several simulated processes ---------------------- */

struct written {
    int32_t run;
    int32_t seq;
    uint64_t ts;
    uint64_t offset;
    struct et_record *rec;
};

struct tfile {
    char dir[64];
    char path[128];
    uint8_t *map;
    uint64_t size;
    /* One writer per simulated process: each claims runs of its own. */
    struct et_writer *w;
    unsigned nwriters;
    struct written *recs;
    unsigned nrecs;
    struct et_trace t;
};

static void tfile_open(struct tfile *f, uint64_t size, unsigned nwriters)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/exectrace-stream-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/t.trace", f->dir);
    f->map = map_new_trace(f->path, size, false, 1, &f->size);
    assert_non_null(f->map);
    assert_true(nwriters <= MAX_WRITERS);
    f->w = calloc(nwriters, sizeof(*f->w));
    f->recs = calloc(MAX_RECORDS, sizeof(*f->recs));
    assert_non_null(f->w);
    assert_non_null(f->recs);
    f->nwriters = nwriters;
    for (unsigned i = 0; i < nwriters; i++)
        assert_int_equal(et_writer_attach(&f->w[i], f->map, f->size, 1000 + i), 0);
}

static void tfile_close(struct tfile *f)
{
    munmap(f->map, (size_t)f->size);
    unlink(f->path);
    rmdir(f->dir);
    free(f->w);
    free(f->recs);
}

/* Appends record number `seq` of writer `run`, stamped ts. */
static struct et_record *append(struct tfile *f, unsigned run, int32_t seq, uint64_t ts)
{
    assert_true(run < f->nwriters);
    assert_true(f->nrecs < MAX_RECORDS);
    struct et_identity id = {1000 + run, 1000 + run, 77};
    struct et_record *r = et_record_reserve(&f->w[run], ET_REC_SIGNAL, sizeof(struct et_signal), &id, ts, 0);
    assert_non_null(r);
    struct et_signal *b = et_record_body(r);
    memset(b, 0, sizeof(*b));
    b->kind = ET_SIGNAL_KILL;
    b->target = (int32_t)run;
    b->target_tid = seq;
    b->pidfd = b->pidfd_pid = -1;
    et_commit(&f->w[run], r);
    f->recs[f->nrecs++] = (struct written){(int32_t)run, seq, ts, (uint64_t)((uint8_t *)r - f->map), r};
    return r;
}

static struct written *written_by(struct tfile *f, int32_t run, int32_t seq)
{
    for (unsigned i = 0; i < f->nrecs; i++)
        if (f->recs[i].run == run && f->recs[i].seq == seq)
            return &f->recs[i];
    return NULL;
}

/* ---- reading it back --------------------------------------------------------- */

struct got {
    const struct et_record *r;
    uint64_t offset;
};

/* Everything the stream returns, in its order. */
static unsigned drain(struct tfile *f, size_t window, struct got *out, unsigned cap)
{
    assert_int_equal(et_trace_from_buffer(&f->t, f->map, (size_t)f->size), 0);
    struct et_stream *s;
    assert_int_equal(et_stream_open(&s, &f->t, window), 0);
    unsigned n = 0;
    const struct et_record *r;
    uint64_t offset = 0;
    while ((r = et_stream_next(s, &offset)) != NULL) {
        assert_true(n < cap);
        /* The offset reported must be where the record really is. */
        assert_int_equal(offset, (uint64_t)((const uint8_t *)r - f->map));
        out[n++] = (struct got){r, offset};
    }
    /* The end is sticky. */
    assert_null(et_stream_next(s, NULL));
    et_stream_close(s);
    assert_int_equal(f->t.records, n);
    return n;
}

static int32_t run_of(const struct et_record *r)
{
    return ((const struct et_signal *)et_body(r))->target;
}

static int32_t seq_of(const struct et_record *r)
{
    return ((const struct et_signal *)et_body(r))->target_tid;
}

/* Each written record except the `skip`ped ones came back exactly once, and
 * nothing else did. */
static void assert_exactly(struct tfile *f, const struct got *got, unsigned n, const struct et_record *const *skip,
                           unsigned nskip)
{
    uint8_t *seen = calloc(f->nrecs ? f->nrecs : 1, 1);
    assert_non_null(seen);
    for (unsigned i = 0; i < n; i++) {
        struct written *w = written_by(f, run_of(got[i].r), seq_of(got[i].r));
        if (!w || w->rec != got[i].r)
            fail_msg("record %u of the stream (run %d seq %d at %llu) was never written there", i, run_of(got[i].r),
                     seq_of(got[i].r), (unsigned long long)got[i].offset);
        unsigned k = (unsigned)(w - f->recs);
        if (seen[k]++)
            fail_msg("run %d seq %d came back twice", w->run, w->seq);
    }
    unsigned expected = 0;
    for (unsigned k = 0; k < f->nrecs; k++) {
        bool skipped = false;
        for (unsigned j = 0; j < nskip; j++)
            skipped = skipped || skip[j] == f->recs[k].rec;
        if (skipped) {
            if (seen[k])
                fail_msg("run %d seq %d is damaged but came back", f->recs[k].run, f->recs[k].seq);
            continue;
        }
        expected++;
        if (!seen[k])
            fail_msg("run %d seq %d (ts %llu) is missing", f->recs[k].run, f->recs[k].seq,
                     (unsigned long long)f->recs[k].ts);
    }
    assert_int_equal(n, expected);
    free(seen);
}

/* Time order, and file order among equal times. */
static void assert_time_then_file_order(const struct got *got, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        const struct et_record *a = got[i - 1].r, *b = got[i].r;
        if (a->ts_ns > b->ts_ns)
            fail_msg("out of time order at %u: ts %llu (run %d seq %d) before ts %llu (run %d seq %d)", i,
                     (unsigned long long)a->ts_ns, run_of(a), seq_of(a), (unsigned long long)b->ts_ns, run_of(b),
                     seq_of(b));
        if (a->ts_ns == b->ts_ns && got[i - 1].offset >= got[i].offset)
            fail_msg("equal times out of file order at %u: offset %llu before %llu", i,
                     (unsigned long long)got[i - 1].offset, (unsigned long long)got[i].offset);
    }
}

static struct got GOT[MAX_RECORDS];

/* A fixed pseudo-random sequence: the same trace on every run. */
static uint32_t lcg(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

/* ---- completeness ------------------------------------------------------------ */

static void every_record_comes_back_exactly_once(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, 4u << 20, 6);
    uint32_t rng = 12345;
    int32_t seq[6] = {0};
    /* Writers interleaved at random, enough to fill several runs each
     * (runs grow, so a busy writer spans runs of different sizes). */
    for (unsigned i = 0; i < 3000; i++) {
        unsigned run = lcg(&rng) % 6;
        append(&f, run, seq[run]++, 1000000 + (uint64_t)i * 10 + lcg(&rng) % 7);
    }
    unsigned n = drain(&f, ET_STREAM_DEFAULT_WINDOW, GOT, MAX_RECORDS);
    assert_exactly(&f, GOT, n, NULL, 0);
    assert_time_then_file_order(GOT, n);
    tfile_close(&f);
}

/* ---- disorder within a run ---------------------------------------------------- */

/* A call's record carries the time of the call and is appended when the call
 * returns, so a run holds records stamped earlier than the ones before it. */
static void disorder_smaller_than_the_window_is_put_back_in_order(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, 1u << 20, 1);
    /* Record 3 is late by three places: a window of four still holds the
     * three later records when it arrives. */
    static const uint64_t ts[] = {50, 60, 70, 10, 80, 90};
    for (unsigned i = 0; i < 6; i++)
        append(&f, 0, (int32_t)i, ts[i]);
    unsigned n = drain(&f, 4, GOT, MAX_RECORDS);
    assert_exactly(&f, GOT, n, NULL, 0);
    assert_time_then_file_order(GOT, n);
    assert_int_equal(seq_of(GOT[0].r), 3);
    tfile_close(&f);
}

/* The window counts records in merged order: records of other runs pulled
 * between a late record and the ones it should precede take room too. */
static void window_bound_holds_across_runs(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, 1u << 20, 2);
    append(&f, 0, 0, 100);
    append(&f, 0, 1, 200);
    append(&f, 0, 2, 300);
    append(&f, 0, 3, 150); /* late: merged after 200 and 300 */
    append(&f, 1, 0, 110);
    append(&f, 1, 1, 120);
    append(&f, 1, 2, 130);
    unsigned n = drain(&f, 3, GOT, MAX_RECORDS);
    assert_exactly(&f, GOT, n, NULL, 0);
    assert_time_then_file_order(GOT, n);
    tfile_close(&f);
}

static void disorder_beyond_the_window_still_yields_every_record(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, 1u << 20, 3);
    uint32_t rng = 99;
    /* Each run's times are a random permutation: far more disorder than a
     * window of two can repair. */
    for (unsigned run = 0; run < 3; run++) {
        uint64_t perm[200];
        for (unsigned i = 0; i < 200; i++)
            perm[i] = 1000 + i * 3 + run;
        for (unsigned i = 199; i > 0; i--) {
            unsigned j = lcg(&rng) % (i + 1);
            uint64_t tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        for (unsigned i = 0; i < 200; i++)
            append(&f, run, (int32_t)i, perm[i]);
    }
    unsigned n = drain(&f, 2, GOT, MAX_RECORDS);
    assert_exactly(&f, GOT, n, NULL, 0);

    /* A window of one does no reordering at all, and loses nothing. */
    n = drain(&f, 1, GOT, MAX_RECORDS);
    assert_exactly(&f, GOT, n, NULL, 0);
    /* Zero is taken as one, not as "no window". */
    n = drain(&f, 0, GOT, MAX_RECORDS);
    assert_exactly(&f, GOT, n, NULL, 0);
    tfile_close(&f);
}

static void bounded_disorder_in_many_runs_comes_back_sorted(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, 4u << 20, 16);
    uint32_t rng = 7;
    /* Each run swaps neighbours now and then; all 16 runs together stay
     * well inside the default window. */
    for (unsigned run = 0; run < 16; run++) {
        uint64_t ts[150];
        for (unsigned i = 0; i < 150; i++)
            ts[i] = 5000 + i * 16 + run;
        for (unsigned i = 0; i + 1 < 150; i++) {
            if (lcg(&rng) % 3 == 0) {
                uint64_t tmp = ts[i];
                ts[i] = ts[i + 1];
                ts[i + 1] = tmp;
                i++;
            }
        }
        for (unsigned i = 0; i < 150; i++)
            append(&f, run, (int32_t)i, ts[i]);
    }
    unsigned n = drain(&f, ET_STREAM_DEFAULT_WINDOW, GOT, MAX_RECORDS);
    assert_exactly(&f, GOT, n, NULL, 0);
    assert_time_then_file_order(GOT, n);
    tfile_close(&f);
}

/* ---- many runs ------------------------------------------------------------------ */

static void hundreds_of_interleaved_runs_merge_in_time_order(void **state)
{
    (void)state;
    enum { RUNS = 300, EACH = 12 };
    struct tfile f;
    tfile_open(&f, 8u << 20, RUNS);
    /* Round-robin appends: the file order of the runs is unrelated to time
     * (later runs hold earlier times). */
    for (unsigned k = 0; k < EACH; k++)
        for (unsigned run = 0; run < RUNS; run++)
            append(&f, run, (int32_t)k, 10000 + (uint64_t)k * RUNS * 2 + (RUNS - 1 - run) * 2);
    unsigned n = drain(&f, ET_STREAM_DEFAULT_WINDOW, GOT, MAX_RECORDS);
    assert_int_equal(n, RUNS * EACH);
    assert_exactly(&f, GOT, n, NULL, 0);
    assert_time_then_file_order(GOT, n);

    /* Sorted runs need no window: the merge of their heads alone orders
     * them, with the smallest window there is. */
    n = drain(&f, 1, GOT, MAX_RECORDS);
    assert_exactly(&f, GOT, n, NULL, 0);
    assert_time_then_file_order(GOT, n);
    tfile_close(&f);
}

/* A process outlives its first run: its records continue in runs claimed
 * after other processes' runs. */
static void one_writer_spread_over_several_runs_stays_in_order(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, 4u << 20, 2);
    for (int32_t k = 0; k < 200; k++) {
        append(&f, 0, k, 100 + (uint64_t)k * 2);
        if (k % 50 == 49)
            et_writer_forget_run(&f.w[0], 1000); /* exec: the new image claims afresh */
        append(&f, 1, k, 101 + (uint64_t)k * 2);
    }
    unsigned n = drain(&f, 8, GOT, MAX_RECORDS);
    assert_exactly(&f, GOT, n, NULL, 0);
    assert_time_then_file_order(GOT, n);
    tfile_close(&f);
}

/* ---- ties -------------------------------------------------------------------------- */

static void equal_times_come_back_in_file_order(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, 1u << 20, 3);
    /* Three runs, claimed in the order 2, 0, 1, their records interleaved,
     * all at two instants. */
    for (int32_t k = 0; k < 20; k++) {
        append(&f, 2, k, k < 10 ? 500 : 900);
        append(&f, 0, k, k < 10 ? 500 : 900);
        append(&f, 1, k, k < 10 ? 500 : 900);
    }
    static const size_t windows[] = {1, 2, 7, ET_STREAM_DEFAULT_WINDOW};
    for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
        unsigned n = drain(&f, windows[w], GOT, MAX_RECORDS);
        assert_exactly(&f, GOT, n, NULL, 0);
        assert_time_then_file_order(GOT, n);
        /* File order, not run number or writer: run 2 was claimed first. */
        assert_int_equal(run_of(GOT[0].r), 2);
        assert_int_equal(seq_of(GOT[10].r), 0);
        assert_int_equal(run_of(GOT[10].r), 0);
    }
    tfile_close(&f);
}

/* A run that joins late takes the place a finished run left in the merge:
 * its ties with runs claimed before it still come after theirs.  Run 2
 * joins only once the merge is within a second of its first record, by
 * when run 0 is done. */
static void equal_times_keep_file_order_when_a_late_run_takes_a_finished_runs_place(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, 1u << 20, 3);
    const uint64_t later = 5000000000ull;
    append(&f, 0, 0, 100);
    append(&f, 1, 0, 200);
    append(&f, 2, 0, later);
    append(&f, 1, 1, later);
    static const size_t windows[] = {1, ET_STREAM_DEFAULT_WINDOW};
    for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
        unsigned n = drain(&f, windows[w], GOT, MAX_RECORDS);
        assert_exactly(&f, GOT, n, NULL, 0);
        assert_time_then_file_order(GOT, n);
        assert_int_equal(run_of(GOT[2].r), 1);
        assert_int_equal(run_of(GOT[3].r), 2);
    }
    tfile_close(&f);
}

/* Reordering a late record must not reorder the ties around it. */
static void equal_times_keep_file_order_after_a_late_record(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, 1u << 20, 1);
    static const uint64_t ts[] = {500, 700, 700, 700, 600, 700};
    for (unsigned i = 0; i < 6; i++)
        append(&f, 0, (int32_t)i, ts[i]);
    unsigned n = drain(&f, 6, GOT, MAX_RECORDS);
    assert_exactly(&f, GOT, n, NULL, 0);
    assert_time_then_file_order(GOT, n);
    static const int32_t expect[] = {0, 4, 1, 2, 3, 5};
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(seq_of(GOT[i].r), expect[i]);
    tfile_close(&f);
}

/* ---- nothing to read ------------------------------------------------------------ */

static void empty_trace_yields_nothing(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, ET_MIN_FILE_SIZE, 1);
    unsigned n = drain(&f, ET_STREAM_DEFAULT_WINDOW, GOT, MAX_RECORDS);
    assert_int_equal(n, 0);

    /* A run claimed by a writer killed before its first commit. */
    struct et_identity id = {5, 5, 5};
    assert_non_null(et_record_reserve(&f.w[0], ET_REC_SIGNAL, sizeof(struct et_signal), &id, 10, 0));
    n = drain(&f, ET_STREAM_DEFAULT_WINDOW, GOT, MAX_RECORDS);
    assert_int_equal(n, 0);
    assert_int_equal(f.t.incomplete, 1);
    tfile_close(&f);
}

static void unreadable_trace_yields_nothing(void **state)
{
    (void)state;
    static uint8_t junk[ET_HEADER_SIZE * 2];
    memset(junk, 0x5a, sizeof(junk));
    struct et_trace t;
    assert_int_equal(et_trace_from_buffer(&t, junk, sizeof(junk)), -1);
    struct et_stream *s;
    assert_int_equal(et_stream_open(&s, &t, 16), 0);
    assert_null(et_stream_next(s, NULL));
    et_stream_close(s);
}

/* ---- damage ---------------------------------------------------------------------- */

static void damaged_runs_still_yield_the_intact_records(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, 1u << 20, 4);
    /* Ten records per run fit in the first run of each writer. */
    for (int32_t k = 0; k < 10; k++)
        for (unsigned run = 0; run < 4; run++)
            append(&f, run, k, 1000 + (uint64_t)k * 10 + (3 - run));
    const struct et_record *lost[16];
    unsigned nlost = 0;

    /* Run 1: its tag garbled.  Nothing of it can be trusted. */
    f.w[1].run->tag = 0xdeadbeefu;
    for (int32_t k = 0; k < 10; k++)
        lost[nlost++] = written_by(&f, 1, k)->rec;
    /* Run 2: one record's commit word no longer matches. */
    struct et_record *bad = written_by(&f, 2, 4)->rec;
    bad->commit ^= 0x100u;
    lost[nlost++] = bad;
    /* Run 3: a record whose writer died before committing it. */
    struct et_record *torn = written_by(&f, 3, 7)->rec;
    torn->commit = 0;
    lost[nlost++] = torn;

    unsigned n = drain(&f, ET_STREAM_DEFAULT_WINDOW, GOT, MAX_RECORDS);
    assert_exactly(&f, GOT, n, lost, nlost);
    assert_time_then_file_order(GOT, n);
    assert_int_equal(n, 40 - 12);
    assert_true(f.t.problems >= 2);
    assert_int_equal(f.t.incomplete, 1);
    tfile_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_record_comes_back_exactly_once),
        cmocka_unit_test(disorder_smaller_than_the_window_is_put_back_in_order),
        cmocka_unit_test(window_bound_holds_across_runs),
        cmocka_unit_test(disorder_beyond_the_window_still_yields_every_record),
        cmocka_unit_test(bounded_disorder_in_many_runs_comes_back_sorted),
        cmocka_unit_test(hundreds_of_interleaved_runs_merge_in_time_order),
        cmocka_unit_test(one_writer_spread_over_several_runs_stays_in_order),
        cmocka_unit_test(equal_times_come_back_in_file_order),
        cmocka_unit_test(equal_times_keep_file_order_after_a_late_record),
        cmocka_unit_test(equal_times_keep_file_order_when_a_late_run_takes_a_finished_runs_place),
        cmocka_unit_test(empty_trace_yields_nothing),
        cmocka_unit_test(unreadable_trace_yields_nothing),
        cmocka_unit_test(damaged_runs_still_yield_the_intact_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
