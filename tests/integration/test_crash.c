/* A traced program killed with SIGKILL in the middle of its hooked calls:
 * the trace must hold every call that returned, at most one more per thread
 * (recorded but not yet counted), and no damage, only possibly a record its
 * writer never finished. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* As in tests/progs/crash_writer.c. */
#define CRASH_THREADS 4
struct crash_shared {
    int32_t pid;
    int32_t reserved;
    struct {
        int32_t tid;
        int32_t reserved;
        uint64_t calls;
    } thread[CRASH_THREADS];
};

#define CALLS_PER_THREAD 100000
#define LIMIT_SECONDS 30

struct crash_run {
    char dir[PATH_MAX];
    char shared_path[PATH_MAX + 16];
    char trace_path[PATH_MAX + 16];
    char log_path[PATH_MAX + 16];
    struct crash_shared *shared;
    pid_t launcher;
};

static double elapsed(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* ring: a ring trace of 1 MiB, which the threads' calls go round dozens
 * of times, rather than a trace with room for every call. */
static void start_traced(struct crash_run *c, bool ring)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->dir, sizeof(c->dir), "/tmp/exectrace-crash-XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    snprintf(c->shared_path, sizeof(c->shared_path), "%s/shared", c->dir);
    snprintf(c->trace_path, sizeof(c->trace_path), "%s/run.trace", c->dir);
    snprintf(c->log_path, sizeof(c->log_path), "%s/log", c->dir);
    int fd = open(c->shared_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 4096), 0);
    c->shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    assert_true(c->shared != MAP_FAILED);

    char calls[32];
    snprintf(calls, sizeof(calls), "%d", CALLS_PER_THREAD);
    const char *prog = test_prog("crash_writer");
    /* Room for every call's record with its call-site stack: none may be
     * dropped. */
    const char *const argv[] = {exectrace_bin(), "run", "-q", ring ? "--ring" : "--size", ring ? "1M" : "256M",
                                "-o", c->trace_path, "--", prog, c->shared_path, calls, NULL};
    c->launcher = fork();
    assert_true(c->launcher >= 0);
    if (c->launcher == 0) {
        setpgid(0, 0);
        int in = open("/dev/null", O_RDONLY);
        int log = open(c->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || log < 0)
            _exit(120);
        dup2(in, 0);
        dup2(log, 1);
        dup2(log, 2);
        execv(argv[0], (char *const *)argv);
        _exit(121);
    }
    setpgid(c->launcher, c->launcher);
}

/* Whatever happens, nothing of the run survives the test. */
static void stop_traced(struct crash_run *c)
{
    if (c->launcher > 0) {
        kill(-c->launcher, SIGKILL);
        waitpid(c->launcher, NULL, 0);
    }
    if (c->shared && c->shared != MAP_FAILED)
        munmap(c->shared, 4096);
    unlink(c->shared_path);
    unlink(c->trace_path);
    unlink(c->log_path);
    rmdir(c->dir);
}

static uint64_t fewest_calls(const struct crash_shared *s)
{
    uint64_t least = UINT64_MAX;
    for (int i = 0; i < CRASH_THREADS; i++) {
        uint64_t n = __atomic_load_n(&s->thread[i].calls, __ATOMIC_ACQUIRE);
        if (n < least)
            least = n;
    }
    return least;
}

struct kill_counts {
    int32_t pid;
    int32_t tid[CRASH_THREADS];
    uint64_t records[CRASH_THREADS];
    uint64_t strays; /* kill records of that process from an unknown thread */
};

static int count_kills(const struct et_record *r, uint64_t offset, void *ctx)
{
    (void)offset;
    struct kill_counts *k = ctx;
    if (r->type != ET_REC_SIGNAL || r->pid != (uint32_t)k->pid)
        return 0;
    const struct et_signal *b = et_body(r);
    if (b->kind != ET_SIGNAL_KILL || b->target != k->pid || b->sig != 0 || b->result != 0) {
        k->strays++;
        return 0;
    }
    for (int i = 0; i < CRASH_THREADS; i++)
        if (r->tid == (uint32_t)k->tid[i]) {
            k->records[i]++;
            return 0;
        }
    k->strays++;
    return 0;
}

/* Kills the traced program once every thread has completed at least
 * `after` calls, then checks the trace against the counters: with `exact`,
 * no call can have been in flight.  In a ring, the newest calls only are
 * left: never more than were made, nothing damaged (a thread that was
 * descheduled while the others went round the ring may have none left). */
static void kill_after_in(uint64_t after, bool exact, bool ring)
{
    struct crash_run c;
    start_traced(&c, ring);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (fewest_calls(c.shared) < after) {
        int status;
        if (waitpid(c.launcher, &status, WNOHANG) == c.launcher) {
            c.launcher = 0;
            stop_traced(&c);
            fail_msg("the traced run ended before it was killed (status 0x%x)", status);
        }
        if (elapsed(&start) > LIMIT_SECONDS) {
            stop_traced(&c);
            fail_msg("the threads did not reach %llu calls in %d s", (unsigned long long)after, LIMIT_SECONDS);
        }
        usleep(after > 1000 ? 1000 : 100);
    }
    int32_t pid = __atomic_load_n(&c.shared->pid, __ATOMIC_ACQUIRE);
    assert_true(pid > 0 && pid != c.launcher);
    assert_int_equal(kill(pid, SIGKILL), 0);

    /* The launcher notices and finishes the trace. */
    int status = 0;
    for (;;) {
        pid_t got = waitpid(c.launcher, &status, WNOHANG);
        if (got == c.launcher)
            break;
        if (elapsed(&start) > 2 * LIMIT_SECONDS) {
            stop_traced(&c);
            fail_msg("exectrace run did not finish after its command was killed");
        }
        usleep(1000);
    }
    c.launcher = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 128 + SIGKILL);

    struct kill_counts k = {.pid = pid};
    uint64_t calls[CRASH_THREADS];
    for (int i = 0; i < CRASH_THREADS; i++) {
        k.tid[i] = c.shared->thread[i].tid;
        calls[i] = c.shared->thread[i].calls;
        assert_true(k.tid[i] > 0);
    }
    struct et_trace t;
    assert_int_equal(et_trace_open(&t, c.trace_path), 0);
    assert_int_equal(et_trace_scan(&t, count_kills, &k), 0);
    if (t.problems)
        fail_msg("the reader found damage: %s", t.diag);
    assert_int_equal(t.hdr->records_dropped, 0);
    assert_int_equal(k.strays, 0);
    for (int i = 0; i < CRASH_THREADS; i++)
        if ((!ring && k.records[i] < calls[i]) || k.records[i] > calls[i] + (exact ? 0 : 1))
            fail_msg("thread %d (tid %d): %llu calls returned, %llu recorded", i, k.tid[i],
                     (unsigned long long)calls[i], (unsigned long long)k.records[i]);
    if (ring && after >= 5000) {
        uint64_t kept = 0;
        for (int i = 0; i < CRASH_THREADS; i++)
            kept += k.records[i];
        assert_true(kept > 0);
        assert_true(t.ring && t.ring_wrapped);
        assert_true(t.hdr->ring_records_overwritten > 0);
    }
    /* A killed writer can leave at most one unfinished record per thread. */
    assert_true(t.incomplete <= CRASH_THREADS);
    et_trace_close(&t);
    stop_traced(&c);
}

static void kill_after(uint64_t after, bool exact)
{
    kill_after_in(after, exact, false);
}

static void killed_at_the_first_calls(void **state)
{
    (void)state;
    kill_after(1, false);
}

static void killed_after_a_few_runs_were_claimed(void **state)
{
    (void)state;
    kill_after(100, false);
}

static void killed_in_the_thick_of_it(void **state)
{
    (void)state;
    kill_after(5000, false);
    kill_after(30000, false);
}

static void killed_once_every_thread_was_done(void **state)
{
    (void)state;
    /* Every thread is asleep: nothing was in flight. */
    kill_after(CALLS_PER_THREAD, true);
}

static void killed_in_a_ring_gone_round_many_times(void **state)
{
    (void)state;
    kill_after_in(1, false, true);
    kill_after_in(5000, false, true);
    kill_after_in(30000, false, true);
    kill_after_in(CALLS_PER_THREAD, true, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(killed_at_the_first_calls),
        cmocka_unit_test(killed_after_a_few_runs_were_claimed),
        cmocka_unit_test(killed_in_the_thick_of_it),
        cmocka_unit_test(killed_once_every_thread_was_done),
        cmocka_unit_test(killed_in_a_ring_gone_round_many_times),
    };
    return cmocka_run_group_tests_name("crash", tests, NULL, NULL);
}
