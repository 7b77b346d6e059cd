/* The lock-free writer: concurrent appends from threads and processes, exact
 * accounting of what did not fit, records a killed writer left behind, file
 * creation, and the bounds on argv tails. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmocka.h>

#include "files.h"
#include "reader.h"
#include "writer.h"

/* ---- a trace file in a private directory --------------------------------- */

struct tfile {
    char dir[64];
    char path[128];
    void *map;
    uint64_t size;
    struct et_writer w;
};

static void tfile_open(struct tfile *f, uint64_t size)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/exectrace-writer-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/t.trace", f->dir);
    f->map = map_new_trace(f->path, size, false, (uint32_t)getpid(), &f->size);
    assert_non_null(f->map);
    assert_int_equal(et_writer_attach(&f->w, f->map, f->size, (uint32_t)getpid()), 0);
}

static void tfile_close(struct tfile *f)
{
    if (f->map)
        munmap(f->map, (size_t)f->size);
    unlink(f->path);
    rmdir(f->dir);
}

/* cmocka catches crashes to report them; in a forked child that would go on
 * to run the remaining tests.  A child must die of its crash instead. */
static void child_default_signals(void)
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], SIG_DFL);
}

static uint32_t my_tid(void)
{
    return (uint32_t)syscall(SYS_gettid);
}

/* A signal record whose body says who wrote it and in what order: target is
 * the writer's number, target_tid its sequence number. */
static struct et_record *reserve_tagged(struct et_writer *w, int32_t who, int32_t seq)
{
    struct et_identity id = {(uint32_t)getpid(), my_tid(), 0};
    struct et_record *r = et_record_reserve(w, ET_REC_SIGNAL, sizeof(struct et_signal), &id, (uint64_t)seq + 1, 0);
    if (!r)
        return NULL;
    struct et_signal *b = et_record_body(r);
    memset(b, 0, sizeof(*b));
    b->target = who;
    b->target_tid = seq;
    return r;
}

static bool append_tagged(struct et_writer *w, int32_t who, int32_t seq)
{
    struct et_record *r = reserve_tagged(w, who, seq);
    if (!r)
        return false;
    et_commit(w, r);
    return true;
}

/* Counts how often each (writer, sequence) pair was read back. */
struct seen {
    unsigned writers;
    unsigned per_writer;
    uint8_t *count; /* writers * per_writer */
    uint64_t foreign; /* records that are not ours, or out of range */
    uint64_t duplicates;
};

static void seen_init(struct seen *s, unsigned writers, unsigned per_writer)
{
    memset(s, 0, sizeof(*s));
    s->writers = writers;
    s->per_writer = per_writer;
    s->count = calloc((size_t)writers * per_writer, 1);
    assert_non_null(s->count);
}

static int seen_record(const struct et_record *r, uint64_t offset, void *ctx)
{
    (void)offset;
    struct seen *s = ctx;
    if (r->type != ET_REC_SIGNAL || r->size != et_align8(sizeof(*r) + sizeof(struct et_signal))) {
        s->foreign++;
        return 0;
    }
    const struct et_signal *b = et_body(r);
    if (b->target < 0 || (unsigned)b->target >= s->writers || b->target_tid < 0 ||
        (unsigned)b->target_tid >= s->per_writer) {
        s->foreign++;
        return 0;
    }
    uint8_t *c = &s->count[(size_t)b->target * s->per_writer + (unsigned)b->target_tid];
    if (*c)
        s->duplicates++;
    if (*c < 255)
        (*c)++;
    return 0;
}

/* Every pair exactly once: no drop and no duplicate. */
static void assert_each_seen_once(const struct seen *s)
{
    assert_int_equal(s->foreign, 0);
    assert_int_equal(s->duplicates, 0);
    uint64_t missing = 0;
    for (size_t i = 0; i < (size_t)s->writers * s->per_writer; i++)
        if (s->count[i] != 1)
            missing++;
    assert_int_equal(missing, 0);
}

static void read_back(const char *path, struct seen *s, struct et_trace *t)
{
    assert_int_equal(et_trace_open(t, path), 0);
    assert_int_equal(et_trace_scan(t, seen_record, s), 0);
}

/* The runs' own counts (et_trace_tally) against a read of every record:
 * the same number of records, and every writing pid among those it shows. */
struct pids_seen {
    uint32_t pid[16];
    unsigned n;
};

static int note_pid(const struct et_record *r, uint64_t offset, void *ctx)
{
    (void)offset;
    struct pids_seen *p = ctx;
    for (unsigned i = 0; i < p->n; i++)
        if (p->pid[i] == r->pid)
            return 0;
    if (p->n < 16)
        p->pid[p->n++] = r->pid;
    return 0;
}

static void assert_tally_agrees(struct et_trace *t, unsigned writers)
{
    struct pids_seen tallied = {0}, scanned = {0};
    assert_int_equal(et_trace_scan(t, note_pid, &scanned), 0);
    uint64_t records = 0;
    assert_int_equal(et_trace_tally(t, note_pid, &tallied, &records), 0);
    assert_int_equal(records, t->records);
    assert_int_equal(scanned.n, writers);
    assert_int_equal(tallied.n, writers);
}

/* ---- concurrency ------------------------------------------------------------ */

#define THREADS 8
#define PER_THREAD 50000

struct thread_arg {
    struct et_writer *w;
    int32_t who;
    pthread_barrier_t *start;
    unsigned failed;
};

static void *thread_appender(void *p)
{
    struct thread_arg *a = p;
    pthread_barrier_wait(a->start); /* maximise contention on the runs */
    for (int32_t seq = 0; seq < PER_THREAD; seq++)
        if (!append_tagged(a->w, a->who, seq))
            a->failed++;
    return NULL;
}

static void threads_appending_at_once_lose_and_duplicate_nothing(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, ET_DEFAULT_FILE_SIZE);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    pthread_t th[THREADS];
    struct thread_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct thread_arg){&f.w, i, &start, 0};
        assert_int_equal(pthread_create(&th[i], NULL, thread_appender, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failed, 0);
    }
    pthread_barrier_destroy(&start);

    struct seen s;
    seen_init(&s, THREADS, PER_THREAD);
    struct et_trace t;
    read_back(f.path, &s, &t);
    assert_int_equal(t.problems, 0);
    assert_int_equal(t.incomplete, 0);
    assert_int_equal(t.records, (uint64_t)THREADS * PER_THREAD);
    assert_each_seen_once(&s);
    assert_tally_agrees(&t, 1);
    assert_int_equal(t.hdr->records_dropped, 0);
    assert_int_equal(t.hdr->bytes_dropped, 0);
    et_trace_close(&t);
    free(s.count);
    tfile_close(&f);
}

#define CHILDREN 4
#define PER_CHILD 20000
#define PARENT_RECORDS 10

static void processes_sharing_the_file_lose_and_duplicate_nothing(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, ET_DEFAULT_FILE_SIZE);
    /* The parent owns a run with room left when it forks: a child that kept
     * appending to it would collide with the parent and its siblings. */
    for (int32_t seq = 0; seq < PARENT_RECORDS; seq++)
        assert_true(append_tagged(&f.w, CHILDREN, seq));

    pid_t pids[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            child_default_signals();
            et_writer_forget_run(&f.w, (uint32_t)getpid());
            int failed = 0;
            for (int32_t seq = 0; seq < PER_CHILD; seq++)
                if (!append_tagged(&f.w, i, seq))
                    failed = 1;
            _exit(failed);
        }
    }
    /* The parent keeps appending to its own run meanwhile. */
    for (int32_t seq = PARENT_RECORDS; seq < PER_CHILD; seq++)
        assert_true(append_tagged(&f.w, CHILDREN, seq));
    for (int i = 0; i < CHILDREN; i++) {
        int status;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }

    struct seen s;
    seen_init(&s, CHILDREN + 1, PER_CHILD);
    struct et_trace t;
    read_back(f.path, &s, &t);
    assert_int_equal(t.problems, 0);
    assert_int_equal(t.incomplete, 0);
    assert_int_equal(t.records, (uint64_t)(CHILDREN + 1) * PER_CHILD);
    assert_each_seen_once(&s);
    assert_tally_agrees(&t, CHILDREN + 1);
    assert_int_equal(t.hdr->records_dropped, 0);
    et_trace_close(&t);
    free(s.count);
    tfile_close(&f);
}

/* A vfork child writes about itself into its parent's run, as the
 * recorder writes about its tracees into the launcher's: the run says so,
 * and a tally reads such runs whole, finding the writers that are not
 * first in any run. */
static void records_about_another_process_mark_their_run(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, ET_DEFAULT_FILE_SIZE);
    struct et_identity self = {(uint32_t)getpid(), my_tid(), 7};
    struct et_identity other = {(uint32_t)getpid() + 100000, 1, 9};
    for (int i = 0; i < 3; i++) {
        const struct et_identity *id = i == 1 ? &other : &self;
        struct et_record *r = et_record_reserve(&f.w, ET_REC_SIGNAL, sizeof(struct et_signal), id, 1, 0);
        assert_non_null(r);
        memset(et_record_body(r), 0, sizeof(struct et_signal));
        et_commit(&f.w, r);
    }
    const struct et_run_header *run = (const void *)((const uint8_t *)f.map + ET_HEADER_SIZE);
    assert_int_equal(ET_RUN_RECORDS(run->records), 3);
    assert_true(run->records & ET_RUN_FOREIGN);

    struct et_trace t;
    assert_int_equal(et_trace_open(&t, f.path), 0);
    assert_int_equal(et_trace_scan(&t, NULL, NULL), 0);
    assert_tally_agrees(&t, 2);
    et_trace_close(&t);
    tfile_close(&f);
}

/* A run of one process's records is not marked, and a tally reads only its
 * first record. */
static void own_records_leave_their_run_unmarked(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, ET_DEFAULT_FILE_SIZE);
    for (int32_t seq = 0; seq < 5; seq++)
        assert_true(append_tagged(&f.w, 0, seq));
    const struct et_run_header *run = (const void *)((const uint8_t *)f.map + ET_HEADER_SIZE);
    assert_int_equal(run->records, 5);
    struct et_trace t;
    assert_int_equal(et_trace_open(&t, f.path), 0);
    struct seen s;
    seen_init(&s, 1, 5);
    uint64_t records = 0;
    assert_int_equal(et_trace_tally(&t, seen_record, &s, &records), 0);
    assert_int_equal(records, 5);
    assert_int_equal(s.count[0] + s.count[1] + s.count[2] + s.count[3] + s.count[4], 1);
    free(s.count);
    et_trace_close(&t);
    tfile_close(&f);
}

/* ---- a full file ------------------------------------------------------------ */

static void full_file_counts_every_dropped_record_exactly(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, ET_MIN_FILE_SIZE);
    const uint32_t size = et_align8(sizeof(struct et_record) + sizeof(struct et_signal));

    /* Too large for any run: refused and counted even with room left. */
    struct et_identity id = {1, 1, 0};
    assert_null(et_record_reserve(&f.w, ET_REC_EXEC, ET_MAX_RECORD_SIZE, &id, 0, 0));
    uint64_t failed = 1;

    int32_t ok = 0;
    while (append_tagged(&f.w, 0, ok))
        ok++;
    failed++;
    /* Retries after the first refusal must neither succeed nor go uncounted. */
    for (int i = 0; i < 5000; i++) {
        if (append_tagged(&f.w, 1, i))
            fail_msg("append %d succeeded after the file was full", i);
        failed++;
    }

    const struct et_file_header *h = f.map;
    assert_true(ok > 0);
    assert_int_equal(h->records_dropped, failed);
    assert_int_equal(h->bytes_dropped, (failed - 1) * size + et_align8(sizeof(struct et_record) + ET_MAX_RECORD_SIZE));

    struct seen s;
    seen_init(&s, 1, (unsigned)ok);
    struct et_trace t;
    read_back(f.path, &s, &t);
    assert_int_equal(t.problems, 0);
    assert_int_equal(t.records, (uint64_t)ok);
    assert_each_seen_once(&s);
    assert_tally_agrees(&t, 1);
    et_trace_close(&t);
    free(s.count);
    tfile_close(&f);
}

/* A process that keeps calling hooked functions after the file is full
 * retries in its last run every time; that run's `used` counter must not wrap
 * around and hand out space that holds committed records.  Large records make
 * the 2^32 bytes of retries quick to reach; small ones get there too, after
 * tens of millions of calls. */
static void full_file_refuses_however_many_retries(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, ET_MIN_FILE_SIZE);
    /* Not a power of two, so that the retries do not cycle through the same
     * offsets after wrapping. */
    const uint32_t body = 16376 - (uint32_t)sizeof(struct et_record);
    struct et_identity id = {(uint32_t)getpid(), my_tid(), 0};

    uint32_t ok = 0;
    for (;;) {
        struct et_record *r = et_record_reserve(&f.w, 200, body, &id, ok, 0);
        if (!r)
            break;
        memset(et_record_body(r), (int)ok + 1, body);
        et_commit(&f.w, r);
        ok++;
    }
    assert_true(ok > 0);

    uint64_t late_successes = 0;
    const uint64_t retries = ((uint64_t)1 << 32) / 16376 + 1000;
    for (uint64_t i = 0; i < retries; i++) {
        struct et_record *r = et_record_reserve(&f.w, 200, body, &id, 0, 0);
        if (r) {
            late_successes++;
            et_commit(&f.w, r); /* as a hook would */
        }
    }
    const struct et_file_header *h = f.map;
    uint64_t dropped = h->records_dropped;
    struct et_trace t;
    int opened = et_trace_open(&t, f.path);
    et_trace_scan(&t, NULL, NULL);
    uint64_t problems = t.problems, records = t.records;
    et_trace_close(&t);
    tfile_close(&f);

    assert_int_equal(opened, 0);
    assert_int_equal(late_successes, 0);
    assert_int_equal(dropped, retries + 1);
    assert_int_equal(problems, 0);
    assert_int_equal(records, ok);
}

/* ---- records a killed writer left behind ------------------------------------- */

static int collect_seq(const struct et_record *r, uint64_t offset, void *ctx)
{
    (void)offset;
    int32_t **out = ctx;
    if (r->type == ET_REC_SIGNAL)
        *(*out)++ = ((const struct et_signal *)et_body(r))->target_tid;
    return 0;
}

static void torn_record_is_counted_incomplete_and_the_run_still_read(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, ET_MIN_FILE_SIZE);
    for (int32_t seq = 0; seq < 3; seq++)
        assert_true(append_tagged(&f.w, 0, seq));
    /* Reserved and size stored, but the writer died before committing. */
    struct et_record *torn = reserve_tagged(&f.w, 0, 3);
    assert_non_null(torn);
    for (int32_t seq = 4; seq < 7; seq++)
        assert_true(append_tagged(&f.w, 0, seq));
    /* All in one run: the reader must step over the torn record, not stop. */
    assert_true((uint8_t *)torn > (uint8_t *)f.w.run && (uint8_t *)torn < (uint8_t *)f.w.run + ET_CHUNK_SIZE);

    struct et_trace t;
    int32_t seqs[16], *p = seqs;
    assert_int_equal(et_trace_open(&t, f.path), 0);
    assert_int_equal(et_trace_scan(&t, collect_seq, &p), 0);
    assert_int_equal(t.problems, 0);
    assert_int_equal(t.incomplete, 1);
    assert_int_equal(t.records, 6);
    assert_int_equal(p - seqs, 6);
    const int32_t expected[] = {0, 1, 2, 4, 5, 6};
    assert_memory_equal(seqs, expected, sizeof(expected));
    et_trace_close(&t);
    tfile_close(&f);
}

static void reservation_without_a_size_is_skipped_and_later_records_read(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, ET_MIN_FILE_SIZE);
    for (int32_t seq = 0; seq < 3; seq++)
        assert_true(append_tagged(&f.w, 0, seq));
    /* The window between the atomic add on `used` and the store of the size:
     * the space is reserved but still all zeros. */
    const uint32_t size = et_align8(sizeof(struct et_record) + sizeof(struct et_signal));
    __atomic_fetch_add(&f.w.run->used, size, __ATOMIC_RELAXED);
    for (int32_t seq = 4; seq < 7; seq++)
        assert_true(append_tagged(&f.w, 0, seq));

    struct et_trace t;
    int32_t seqs[16], *p = seqs;
    assert_int_equal(et_trace_open(&t, f.path), 0);
    assert_int_equal(et_trace_scan(&t, collect_seq, &p), 0);
    assert_int_equal(t.problems, 0);
    assert_int_equal(t.incomplete, 1);
    assert_int_equal(p - seqs, 6);
    const int32_t expected[] = {0, 1, 2, 4, 5, 6};
    assert_memory_equal(seqs, expected, sizeof(expected));
    et_trace_close(&t);
    tfile_close(&f);
}

/* The reservation that crosses the end of a run marks the rest as padding
 * with two stores, size then commit.  A writer killed between them leaves a
 * tail too short for a record with only its size: that is a record whose
 * writer died, like any other, not damage. */
static void padding_left_half_written_by_a_killed_writer_is_not_damage(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, ET_MIN_FILE_SIZE);
    const uint32_t size = et_align8(sizeof(struct et_record) + sizeof(struct et_signal));
    struct et_run_header *first = NULL;
    int32_t seq = 0;
    /* Fill the first run until the next record goes elsewhere. */
    for (;; seq++) {
        assert_true(append_tagged(&f.w, 0, seq));
        if (!first)
            first = f.w.run;
        if (f.w.run != first)
            break;
    }
    uint32_t cap = ET_RUN_TAG_CHUNKS(first->tag) * ET_CHUNK_SIZE - (uint32_t)sizeof(*first);
    uint32_t tail = cap % size;
    /* This layout leaves a tail shorter than a record header. */
    assert_true(tail > 0 && tail < sizeof(struct et_record));
    uint32_t *pad = (uint32_t *)((uint8_t *)(first + 1) + (cap - tail));
    assert_int_equal(pad[0], tail);
    assert_int_equal(pad[1], et_commit_word(ET_PADDING_TYPE, tail));
    pad[1] = 0; /* killed before the second store */

    struct et_trace t;
    assert_int_equal(et_trace_open(&t, f.path), 0);
    assert_int_equal(et_trace_scan(&t, NULL, NULL), 0);
    uint64_t problems = t.problems, records = t.records, incomplete = t.incomplete;
    char diag[sizeof(t.diag)];
    memcpy(diag, t.diag, sizeof(diag));
    et_trace_close(&t);
    tfile_close(&f);
    if (problems)
        fail_msg("reported as damage: %s", diag);
    assert_int_equal(records, (uint64_t)seq + 1);
    assert_true(incomplete <= 1);
}

/* ---- an append interrupted at the worst moment --------------------------------- */

/* Another thread, or a signal handler, may append between the moment a writer
 * installs the run it just claimed and the moment it reserves its own record
 * there, and may fill that run.  Threads hit this window by chance; to hit it
 * every time, the append is single-stepped (x86-64 trap flag) and a SIGTRAP
 * handler, the documented signal-handler use of the writer, fills the new run
 * right after it is installed. */
#if defined(__x86_64__)
static struct et_writer *step_writer;
static struct et_run_header *step_run_before;
static volatile sig_atomic_t step_fired;

static void fill_new_run_once_installed(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    struct et_run_header *run = __atomic_load_n(&step_writer->run, __ATOMIC_RELAXED);
    if (run == step_run_before)
        return;
    uc->uc_mcontext.gregs[REG_EFL] &= ~0x100L; /* stop stepping */
    step_fired = 1;
    uint32_t cap = ET_RUN_TAG_CHUNKS(run->tag) * ET_CHUNK_SIZE - (uint32_t)sizeof(*run);
    uint32_t used = __atomic_load_n(&run->used, __ATOMIC_RELAXED);
    struct et_identity id = {(uint32_t)getpid(), my_tid(), 0};
    if (used + sizeof(struct et_record) <= cap) {
        struct et_record *r = et_record_reserve(step_writer, 200, cap - used - (uint32_t)sizeof(struct et_record), &id, 0, 0);
        if (r)
            et_commit(step_writer, r);
    }
}

/* Exit codes of the child. */
enum { STEP_OK = 0, STEP_NOT_FIRED = 3, STEP_NO_SIGNAL = 77 };

static int interrupted_append_child(struct et_writer *w)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fill_new_run_once_installed;
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGTRAP, &sa, NULL) < 0)
        return STEP_NO_SIGNAL;
    step_writer = w;
    step_run_before = w->run;
    struct et_identity id = {(uint32_t)getpid(), my_tid(), 0};
    __asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq" ::: "memory", "cc");
    struct et_record *r = et_record_reserve(w, ET_REC_SIGNAL, sizeof(struct et_signal), &id, 1, 0);
    __asm__ volatile("pushfq; andq $~0x100, (%%rsp); popfq" ::: "memory", "cc");
    if (!step_fired)
        return STEP_NOT_FIRED;
    if (r) {
        memset(et_record_body(r), 0, sizeof(struct et_signal));
        et_commit(w, r);
    }
    return STEP_OK;
}
#endif

static void append_interrupted_after_installing_a_run_survives_that_run_filling_up(void **state)
{
    (void)state;
#if !defined(__x86_64__)
    skip();
#else
    struct tfile f;
    tfile_open(&f, ET_MIN_FILE_SIZE);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_default_signals();
        _exit(interrupted_append_child(&f.w));
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) {
        tfile_close(&f);
        fail_msg("the interrupted append died of signal %d", WTERMSIG(status));
    }
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == STEP_NO_SIGNAL) {
        tfile_close(&f);
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), STEP_OK);

    /* Either the interrupted record found room elsewhere or it was counted
     * as dropped; the handler's record is there in any case. */
    const struct et_file_header *h = f.map;
    struct et_trace t;
    assert_int_equal(et_trace_open(&t, f.path), 0);
    assert_int_equal(et_trace_scan(&t, NULL, NULL), 0);
    assert_int_equal(t.problems, 0);
    assert_int_equal(t.incomplete, 0);
    assert_int_equal(t.records + h->records_dropped, 2);
    assert_true(t.records >= 1);
    et_trace_close(&t);
    tfile_close(&f);
#endif
}

/* ---- the commit word ---------------------------------------------------------- */

/* A new image's first timestamps come from the system call, the later ones
 * from the vDSO: one clock, never going back. */
static void timestamps_across_the_switch_to_the_vdso_are_one_clock(void **state)
{
    (void)state;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t before = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    et_clock_new_image();
    uint64_t prev = before;
    for (int i = 0; i < 32; i++) {
        uint64_t t = et_now_ns();
        if (t < prev)
            fail_msg("timestamp %d went back: %llu after %llu", i, (unsigned long long)t, (unsigned long long)prev);
        prev = t;
    }
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t after = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    assert_true(prev <= after);
    assert_true(after - before < 1000000000u);
}

static void commit_word_is_never_zero(void **state)
{
    (void)state;
    /* Zero means "not committed yet": a valid record, or padding (type
     * ET_PADDING_TYPE, from 8 bytes), must never look so. */
    const uint32_t extra_types[] = {ET_REC_TYPE_COUNT, ET_REC_TYPE_COUNT + 1, 0x3c5a, 0x7fff, 0xc3a5, ET_PADDING_TYPE};
    for (uint32_t type = 0; type < ET_REC_TYPE_COUNT + 6; type++) {
        uint32_t ty = type < ET_REC_TYPE_COUNT ? type : extra_types[type - ET_REC_TYPE_COUNT];
        for (uint32_t size = 8; size <= ET_MAX_RECORD_SIZE; size += 8)
            if (et_commit_word((uint16_t)ty, size) == 0)
                fail_msg("commit word of type %u size %u is zero", ty, size);
    }
}

/* ---- creating the file -------------------------------------------------------- */

struct tdir {
    char path[64];
};

static void tdir_make(struct tdir *d)
{
    snprintf(d->path, sizeof(d->path), "/tmp/exectrace-create-XXXXXX");
    assert_non_null(mkdtemp(d->path));
}

static const char *in_dir(const struct tdir *d, const char *name)
{
    static char buf[4][128];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, sizeof(buf[0]), "%s/%s", d->path, name);
    return b;
}

/* Entries of the directory, "." and ".." aside. */
static int dir_entries(const struct tdir *d)
{
    DIR *dir = opendir(d->path);
    assert_non_null(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(dir);
    return n;
}

static void tdir_remove(struct tdir *d)
{
    DIR *dir = opendir(d->path);
    if (dir) {
        struct dirent *e;
        while ((e = readdir(dir)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                unlinkat(dirfd(dir), e->d_name, 0);
        closedir(dir);
    }
    rmdir(d->path);
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void assert_file_is(const char *path, const char *text)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    assert_true(n >= 0);
    buf[n] = 0;
    assert_string_equal(buf, text);
}

static void read_header(const char *path, struct et_file_header *h)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, h, sizeof(*h), 0), (ssize_t)sizeof(*h));
    close(fd);
}

static void created_file_is_private_reserved_and_has_a_valid_header(void **state)
{
    (void)state;
    struct tdir d;
    tdir_make(&d);
    const char *path = in_dir(&d, "t.trace");
    /* Not a whole number of chunks: the tail is left out. */
    const uint64_t size = ET_MIN_FILE_SIZE + 100 * ET_CHUNK_SIZE + 500;
    const char *what = NULL;
    mode_t old = umask(0);
    int ret = et_trace_create(path, size, false, 4242, 987654321, false, NULL, &what);
    umask(old);
    assert_int_equal(ret, 0);

    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    const uint64_t expected_size = ET_MIN_FILE_SIZE + 100 * ET_CHUNK_SIZE;
    assert_int_equal(st.st_size, expected_size);
    /* Every block allocated: writing through the mapping cannot raise SIGBUS
     * on a full disk. */
    assert_true((uint64_t)st.st_blocks * 512 >= expected_size);

    struct et_file_header h;
    read_header(path, &h);
    assert_memory_equal(h.magic, ET_MAGIC, ET_MAGIC_LEN);
    assert_int_equal(h.version_major, ET_VERSION_MAJOR);
    assert_int_equal(h.version_minor, ET_VERSION_MINOR);
    assert_int_equal(h.endian_marker, ET_ENDIAN_MARKER);
    assert_int_equal(h.header_size, ET_HEADER_SIZE);
    assert_int_equal(h.chunk_size, ET_CHUNK_SIZE);
    assert_int_equal(h.chunk_count, (expected_size - ET_HEADER_SIZE) / ET_CHUNK_SIZE);
    assert_int_equal(h.file_size, expected_size);
    assert_int_equal(h.launcher_pid, 4242);
    assert_int_equal(h.launcher_start_time, 987654321);
    assert_true(h.anchor_monotonic_ns != 0);
    assert_true(h.anchor_realtime_ns != 0);
    assert_int_equal(h.flags, 0);
    assert_int_equal(h.next_chunk, 0);
    assert_int_equal(h.records_dropped, 0);
    assert_int_equal(h.bytes_dropped, 0);
    /* Nothing left under a temporary name. */
    assert_int_equal(dir_entries(&d), 1);
    tdir_remove(&d);
}

static void created_file_can_be_attached_by_a_writer(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, ET_MIN_FILE_SIZE);
    assert_true(append_tagged(&f.w, 0, 0));
    /* A mapping shorter than the file would fault past its end. */
    struct et_writer w2;
    assert_int_equal(et_writer_attach(&w2, f.map, f.size - 1, 1), -EFBIG);
    assert_null(w2.hdr);
    struct et_identity id = {1, 1, 0};
    assert_null(et_record_reserve(&w2, ET_REC_SIGNAL, sizeof(struct et_signal), &id, 0, 0));
    tfile_close(&f);
}

static void writer_refuses_a_header_it_would_misread(void **state)
{
    (void)state;
    struct tfile f;
    tfile_open(&f, ET_MIN_FILE_SIZE);
    struct et_file_header *h = f.map;
    struct et_writer w2;

    h->version_major++;
    assert_int_equal(et_writer_attach(&w2, f.map, f.size, 1), -EINVAL);
    h->version_major--;
    h->endian_marker = __builtin_bswap32(ET_ENDIAN_MARKER);
    assert_int_equal(et_writer_attach(&w2, f.map, f.size, 1), -EINVAL);
    h->endian_marker = ET_ENDIAN_MARKER;
    h->chunk_count++; /* file_size no longer agrees */
    assert_int_equal(et_writer_attach(&w2, f.map, f.size, 1), -EINVAL);
    h->chunk_count--;
    h->magic[1] = 'X';
    assert_int_equal(et_writer_attach(&w2, f.map, f.size, 1), -EINVAL);
    h->magic[1] = 'E';
    assert_int_equal(et_writer_attach(&w2, f.map, f.size, 1), 0);
    tfile_close(&f);
}

static void create_leaves_an_existing_file_alone_unless_replacing(void **state)
{
    (void)state;
    struct tdir d;
    tdir_make(&d);
    const char *path = in_dir(&d, "t.trace");
    write_file(path, "someone else's data\n");
    const char *what = NULL;
    assert_int_equal(et_trace_create(path, ET_MIN_FILE_SIZE, false, 1, 0, false, NULL, &what), -EEXIST);
    assert_non_null(what);
    assert_file_is(path, "someone else's data\n");
    assert_int_equal(dir_entries(&d), 1);

    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);
    assert_int_equal(et_trace_create(path, ET_MIN_FILE_SIZE, false, 2, 0, true, NULL, &what), 0);
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(after.st_size, ET_MIN_FILE_SIZE);
    assert_true(after.st_ino != before.st_ino);
    struct et_file_header h;
    read_header(path, &h);
    assert_memory_equal(h.magic, ET_MAGIC, ET_MAGIC_LEN);
    assert_int_equal(h.launcher_pid, 2);
    assert_int_equal(dir_entries(&d), 1);
    tdir_remove(&d);
}

/* The launcher frees the trace it replaces while the command runs: it gets
 * the old file, already unlinked, to close when it chooses. */
static void replacing_can_hand_over_the_replaced_file(void **state)
{
    (void)state;
    struct tdir d;
    tdir_make(&d);
    const char *path = in_dir(&d, "t.trace");
    const char *what = NULL;
    int old = 7;
    assert_int_equal(et_trace_create(path, ET_MIN_FILE_SIZE, false, 1, 0, true, &old, &what), 0);
    assert_int_equal(old, -1); /* nothing was there */

    write_file(path, "the previous run\n");
    assert_int_equal(et_trace_create(path, ET_MIN_FILE_SIZE, false, 2, 0, true, &old, &what), 0);
    assert_true(old >= 0);
    struct stat st;
    assert_int_equal(fstat(old, &st), 0);
    assert_int_equal(st.st_nlink, 0);
    char text[64] = {0};
    assert_int_equal(pread(old, text, sizeof(text) - 1, 0), (ssize_t)strlen("the previous run\n"));
    assert_string_equal(text, "the previous run\n");
    assert_true(fcntl(old, F_GETFD) & FD_CLOEXEC);
    close(old);
    struct et_file_header h;
    read_header(path, &h);
    assert_int_equal(h.launcher_pid, 2);
    assert_int_equal(dir_entries(&d), 1);
    tdir_remove(&d);
}

static void create_never_follows_a_symlink(void **state)
{
    (void)state;
    struct tdir d;
    tdir_make(&d);
    const char *target = in_dir(&d, "victim");
    const char *link_path = in_dir(&d, "t.trace");
    write_file(target, "precious\n");
    assert_int_equal(symlink(target, link_path), 0);
    const char *what = NULL;

    assert_int_equal(et_trace_create(link_path, ET_MIN_FILE_SIZE, false, 1, 0, false, NULL, &what), -EEXIST);
    assert_file_is(target, "precious\n");
    /* Replacing is for regular files: a symlink is refused, not followed and
     * not removed. */
    assert_true(et_trace_create(link_path, ET_MIN_FILE_SIZE, false, 1, 0, true, NULL, &what) < 0);
    assert_file_is(target, "precious\n");
    struct stat st;
    assert_int_equal(lstat(link_path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(dir_entries(&d), 2);

    /* A dangling link must not create the file it points to. */
    const char *dangling = in_dir(&d, "dangling.trace");
    const char *nowhere = in_dir(&d, "created-through-link");
    assert_int_equal(symlink(nowhere, dangling), 0);
    assert_int_equal(et_trace_create(dangling, ET_MIN_FILE_SIZE, false, 1, 0, false, NULL, &what), -EEXIST);
    assert_int_equal(lstat(nowhere, &st), -1);
    assert_true(et_trace_create(dangling, ET_MIN_FILE_SIZE, false, 1, 0, true, NULL, &what) < 0);
    assert_int_equal(lstat(nowhere, &st), -1);
    assert_int_equal(dir_entries(&d), 3);
    tdir_remove(&d);
}

static void create_rejects_sizes_out_of_range(void **state)
{
    (void)state;
    struct tdir d;
    tdir_make(&d);
    const char *what = NULL;
    assert_int_equal(et_trace_create(in_dir(&d, "a"), false, ET_MIN_FILE_SIZE - 1, 1, 0, false, NULL, &what), -EINVAL);
    assert_int_equal(et_trace_create(in_dir(&d, "b"), false, ET_MAX_FILE_SIZE + 1, 1, 0, false, NULL, &what), -EINVAL);
    assert_int_equal(dir_entries(&d), 0);
    tdir_remove(&d);
}

/* ---- argv tails ---------------------------------------------------------------- */

/* Decodes a tail written by et_put_argv; returns the number of strings. */
static unsigned decode_argv(const uint8_t *p, uint32_t len, uint16_t *lens, unsigned max)
{
    unsigned n = 0;
    uint32_t off = 0;
    while (off < len && n < max) {
        uint16_t l;
        assert_true(off + 2 <= len);
        memcpy(&l, p + off, 2);
        assert_true(off + 2 + l <= len);
        lens[n++] = l;
        off += 2u + l;
    }
    assert_int_equal(off, len);
    return n;
}

struct big_argv {
    char **argv;
    char *storage;
};

static char **make_argv(struct big_argv *a, unsigned n, size_t each)
{
    a->argv = calloc(n + 1, sizeof(char *));
    a->storage = malloc(n * (each + 1));
    assert_non_null(a->argv);
    assert_non_null(a->storage);
    for (unsigned i = 0; i < n; i++) {
        char *s = a->storage + i * (each + 1);
        memset(s, 'a' + (int)(i % 26), each);
        s[each] = 0;
        a->argv[i] = s;
    }
    return a->argv;
}

static void free_argv(struct big_argv *a)
{
    free(a->argv);
    free(a->storage);
}

/* Writes into a buffer with a guard zone and checks nothing lands past the
 * returned size, and that measuring gives the same size. */
static uint32_t put_argv_checked(char *const argv[], struct et_argv_summary *sum, uint8_t *buf, size_t buflen)
{
    struct et_argv_summary measured;
    uint32_t want = et_put_argv(NULL, argv, &measured);
    memset(buf, 0xa5, buflen);
    uint32_t got = et_put_argv(buf, argv, sum);
    assert_int_equal(got, want);
    assert_int_equal(measured.argc, sum->argc);
    assert_int_equal(measured.count, sum->count);
    assert_int_equal(measured.truncated, sum->truncated);
    assert_true(got <= ET_MAX_ARGV_BYTES);
    for (size_t i = got; i < buflen; i++)
        if (buf[i] != 0xa5)
            fail_msg("et_put_argv wrote byte %zu past its %u", i, got);
    return got;
}

static void argv_with_too_many_strings_is_cut_at_the_string_limit(void **state)
{
    (void)state;
    static uint8_t buf[ET_MAX_ARGV_BYTES + 4096];
    struct big_argv a;
    char **argv = make_argv(&a, 10000, 1);
    struct et_argv_summary sum;
    uint32_t got = put_argv_checked(argv, &sum, buf, sizeof(buf));
    assert_int_equal(sum.argc, 10000);
    assert_int_equal(sum.count, ET_MAX_ARGV_STRINGS);
    assert_true(sum.truncated);
    assert_int_equal(got, ET_MAX_ARGV_STRINGS * 3);
    uint16_t lens[ET_MAX_ARGV_STRINGS + 1];
    assert_int_equal(decode_argv(buf, got, lens, ET_MAX_ARGV_STRINGS + 1), ET_MAX_ARGV_STRINGS);
    free_argv(&a);

    /* Exactly at the limit nothing is lost. */
    argv = make_argv(&a, ET_MAX_ARGV_STRINGS, 1);
    put_argv_checked(argv, &sum, buf, sizeof(buf));
    assert_int_equal(sum.argc, ET_MAX_ARGV_STRINGS);
    assert_int_equal(sum.count, ET_MAX_ARGV_STRINGS);
    assert_false(sum.truncated);
    free_argv(&a);
}

static void argv_with_too_many_bytes_is_cut_at_the_byte_limit(void **state)
{
    (void)state;
    static uint8_t buf[ET_MAX_ARGV_BYTES + 4096];
    struct big_argv a;
    char **argv = make_argv(&a, 3, 3000);
    struct et_argv_summary sum;
    uint32_t got = put_argv_checked(argv, &sum, buf, sizeof(buf));
    assert_int_equal(sum.argc, 3);
    assert_true(sum.truncated);
    assert_int_equal(got, ET_MAX_ARGV_BYTES);
    uint16_t lens[4];
    unsigned n = decode_argv(buf, got, lens, 4);
    assert_int_equal(n, sum.count);
    assert_int_equal(n, 2);
    assert_int_equal(lens[0], 3000);
    assert_int_equal(lens[1], ET_MAX_ARGV_BYTES - 3002 - 2);
    assert_memory_equal(buf + 2, argv[0], 3000);
    free_argv(&a);

    /* One string longer than the whole budget. */
    argv = make_argv(&a, 2, 70000);
    got = put_argv_checked(argv, &sum, buf, sizeof(buf));
    assert_int_equal(sum.argc, 2);
    assert_int_equal(sum.count, 1);
    assert_true(sum.truncated);
    assert_int_equal(got, ET_MAX_ARGV_BYTES);
    free_argv(&a);

    /* Many strings: the byte budget binds before the string limit. */
    argv = make_argv(&a, 200, 100);
    got = put_argv_checked(argv, &sum, buf, sizeof(buf));
    assert_int_equal(sum.argc, 200);
    assert_true(sum.truncated);
    assert_true(sum.count < 200);
    uint16_t many[200];
    assert_int_equal(decode_argv(buf, got, many, 200), sum.count);
    free_argv(&a);
}

static void small_argv_is_stored_whole(void **state)
{
    (void)state;
    static uint8_t buf[ET_MAX_ARGV_BYTES + 64];
    char *argv[] = {(char *)"true", (char *)"", (char *)"x y", NULL};
    struct et_argv_summary sum;
    uint32_t got = put_argv_checked(argv, &sum, buf, sizeof(buf));
    assert_int_equal(got, 2 + 4 + 2 + 0 + 2 + 3);
    assert_int_equal(sum.argc, 3);
    assert_int_equal(sum.count, 3);
    assert_false(sum.truncated);
    assert_memory_equal(buf, "\x04\x00true\x00\x00\x03\x00x y", got);

    assert_int_equal(et_put_argv(buf, NULL, &sum), 0);
    assert_int_equal(sum.argc, 0);
    assert_int_equal(sum.count, 0);
    assert_false(sum.truncated);
}

/* A fork child's start record has no exe and no argv.  Run in a child: a
 * sanitizer build stops the process on undefined behaviour. */
static int store_missing_strings(void)
{
    uint8_t buf[8];
    memset(buf, 0xa5, sizeof(buf));
    bool truncated = false;
    if (et_put_str(NULL, NULL, ET_MAX_PATH_BYTES, &truncated) != 2 ||
        et_put_str(buf, NULL, ET_MAX_PATH_BYTES, &truncated) != 2 || truncated || memcmp(buf, "\0\0\xa5", 3) != 0)
        return 1;
    struct et_writer w;
    struct et_file_header *h = aligned_alloc(4096, ET_MIN_FILE_SIZE);
    if (!h)
        return 2;
    memset(h, 0, ET_MIN_FILE_SIZE);
    memcpy(h->magic, ET_MAGIC, ET_MAGIC_LEN);
    h->version_major = ET_VERSION_MAJOR;
    h->endian_marker = ET_ENDIAN_MARKER;
    h->header_size = ET_HEADER_SIZE;
    h->chunk_size = ET_CHUNK_SIZE;
    h->chunk_count = (ET_MIN_FILE_SIZE - ET_HEADER_SIZE) / ET_CHUNK_SIZE;
    h->file_size = ET_MIN_FILE_SIZE;
    if (et_writer_attach(&w, h, ET_MIN_FILE_SIZE, 1) < 0)
        return 2;
    struct et_identity id = {1, 1, 0};
    struct et_start_info info = {.origin = ET_ORIGIN_FORK, .ppid = 1};
    et_write_start(&w, &id, 1, 0, &info);
    struct et_trace t;
    if (et_trace_from_buffer(&t, h, ET_MIN_FILE_SIZE) < 0 || et_trace_scan(&t, NULL, NULL) != 0 || t.records != 1 ||
        t.problems)
        return 3;
    free(h);
    return 0;
}

static void missing_string_and_argv_are_stored_empty(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_default_signals();
        _exit(store_missing_strings());
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("storing a missing string died of signal %d", WTERMSIG(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(threads_appending_at_once_lose_and_duplicate_nothing),
        cmocka_unit_test(processes_sharing_the_file_lose_and_duplicate_nothing),
        cmocka_unit_test(records_about_another_process_mark_their_run),
        cmocka_unit_test(own_records_leave_their_run_unmarked),
        cmocka_unit_test(full_file_counts_every_dropped_record_exactly),
        cmocka_unit_test(full_file_refuses_however_many_retries),
        cmocka_unit_test(torn_record_is_counted_incomplete_and_the_run_still_read),
        cmocka_unit_test(reservation_without_a_size_is_skipped_and_later_records_read),
        cmocka_unit_test(padding_left_half_written_by_a_killed_writer_is_not_damage),
        cmocka_unit_test(append_interrupted_after_installing_a_run_survives_that_run_filling_up),
        cmocka_unit_test(commit_word_is_never_zero),
        cmocka_unit_test(timestamps_across_the_switch_to_the_vdso_are_one_clock),
        cmocka_unit_test(created_file_is_private_reserved_and_has_a_valid_header),
        cmocka_unit_test(created_file_can_be_attached_by_a_writer),
        cmocka_unit_test(writer_refuses_a_header_it_would_misread),
        cmocka_unit_test(create_leaves_an_existing_file_alone_unless_replacing),
        cmocka_unit_test(replacing_can_hand_over_the_replaced_file),
        cmocka_unit_test(create_never_follows_a_symlink),
        cmocka_unit_test(create_rejects_sizes_out_of_range),
        cmocka_unit_test(argv_with_too_many_strings_is_cut_at_the_string_limit),
        cmocka_unit_test(argv_with_too_many_bytes_is_cut_at_the_byte_limit),
        cmocka_unit_test(small_argv_is_stored_whole),
        cmocka_unit_test(missing_string_and_argv_are_stored_empty),
    };
    return cmocka_run_group_tests_name("writer", tests, NULL, NULL);
}
