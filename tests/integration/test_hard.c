/*
 * The hard cases: the shim in hostile conditions.  Each test fails if the
 * shim deadlocks, changes what the program sees, loses or tears records, or
 * if the launcher gets its message or exit status wrong.
 *
 *  1. fork from a program whose eight threads are all inside hooked calls
 *  2. a SIGCHLD handler reaping (hooked waitpid) while it interrupts hooked calls
 *  3. hooked calls from another library's constructor before the shim's own
 *     has run (the lazy init path), and from destructors and exit handlers
 *  4. programs that close every fd, then fork and exec
 *  5. exec with an emptied (or NULL) environment; set-id programs
 *  6. fd exhaustion: the program sees exactly what it sees untraced
 *  7. a full trace file, a full disk, an unwritable trace directory, a shim
 *     preloaded by hand that cannot trace
 *  8. 200 random SIGKILLs of a multithreaded writer and its children
 *
 * The programs are tests/progs/hard_*.c; libearly.so is built from
 * tests/progs/lib/libearly.c (see there for its make rule).  Environment:
 * HARD_SEED and HARD_CRASH_RUNS override case 8's seed and number of runs;
 * HARD_TEST=PATTERN runs only the tests whose names match (cmocka's filter,
 * * as a wildcard).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/kcmp.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "procstat.h"

/* ---- cleaning up, even after a failed assertion ------------------------ */

/* A failing assertion jumps out of the test: whatever it mounted or created
 * is undone at exit. */
static char cleanup_dirs[64][PATH_MAX];
static char cleanup_mounts[16][PATH_MAX];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void cleanup_all(void)
{
    for (size_t i = 0; i < sizeof(cleanup_mounts) / sizeof(cleanup_mounts[0]); i++)
        if (cleanup_mounts[i][0])
            umount2(cleanup_mounts[i], MNT_DETACH);
    for (size_t i = 0; i < sizeof(cleanup_dirs) / sizeof(cleanup_dirs[0]); i++)
        if (cleanup_dirs[i][0])
            nftw(cleanup_dirs[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static void note(char (*list)[PATH_MAX], size_t n, const char *path)
{
    static bool registered;
    if (!registered) {
        atexit(cleanup_all);
        registered = true;
    }
    for (size_t i = 0; i < n; i++)
        if (!list[i][0]) {
            snprintf(list[i], PATH_MAX, "%s", path);
            return;
        }
}

static void forget(char (*list)[PATH_MAX], size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], path) == 0)
            list[i][0] = 0;
}

/* A fresh directory, removed with everything in it at the end of the test
 * (remove_dir) or at exit. */
static void make_dir(char *dir, size_t len, const char *what)
{
    snprintf(dir, len, "/tmp/exectrace-hard-%s-XXXXXX", what);
    assert_non_null(mkdtemp(dir));
    note(cleanup_dirs, 64, dir);
}

static void remove_dir(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    forget(cleanup_dirs, 64, dir);
}

static void unmount(const char *dir)
{
    umount2(dir, MNT_DETACH);
    forget(cleanup_mounts, 16, dir);
}

/* ---- running programs ---------------------------------------------------- */

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void run_traced(struct traced_run *r, const char *const *options, const char *const *extra_env,
                       const char *const argv[])
{
    assert_int_equal(traced_run(r, options, extra_env, argv), 0);
    if (!r->loaded)
        fail_msg("the trace could not be read: %s\nstderr:\n%s", r->trace.diag, r->err);
}

/* The program's own verdict: its message explains a transparency failure. */
static void expect_status(const char *what, int got, int want, const char *err)
{
    if (got != want)
        fail_msg("%s: exit status %d, expected %d; stderr:\n%s", what, got, want, err);
}

/* Runs argv with LD_PRELOAD=preload and EXECTRACE_FILE=<dir>/run.trace set by
 * hand (no launcher), plus env (NAME=VALUE, NULL-terminated), and loads the
 * trace if there is one.  traced_run_free releases it. */
static void preload_run(struct traced_run *r, const char *preload, const char *const *env, const char *const argv[])
{
    memset(r, 0, sizeof(*r));
    make_dir(r->dir, sizeof(r->dir), "preload");
    snprintf(r->trace_path, sizeof(r->trace_path), "%s/run.trace", r->dir);
    char preload_env[PATH_MAX * 2 + 32], file_env[PATH_MAX + 32];
    snprintf(preload_env, sizeof(preload_env), "LD_PRELOAD=%s", preload);
    snprintf(file_env, sizeof(file_env), "EXECTRACE_FILE=%s", r->trace_path);
    const char *args[64];
    int n = 0;
    args[n++] = "env";
    args[n++] = preload_env;
    args[n++] = file_env;
    for (int i = 0; env && env[i]; i++)
        args[n++] = env[i];
    for (int i = 0; argv[i] && n < 63; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    struct captured c;
    assert_int_equal(run_captured(args, NULL, &c), 0);
    r->status = c.status;
    r->out = c.out;
    r->err = c.err;
    if (et_trace_open(&r->trace, r->trace_path) == 0 && et_events_load(&r->trace, &r->events) == 0)
        r->loaded = true;
}

/* exectrace run -o <dir>/run.trace [options] -- argv, through run_captured
 * as an untraced run is: both inherit the same fds from this process, so a
 * program that prints fd numbers prints the same ones. */
static void launch_run(struct traced_run *r, const char *const *options, const char *const argv[])
{
    memset(r, 0, sizeof(*r));
    make_dir(r->dir, sizeof(r->dir), "run");
    snprintf(r->trace_path, sizeof(r->trace_path), "%s/run.trace", r->dir);
    const char *args[64];
    int n = 0;
    args[n++] = exectrace_bin();
    args[n++] = "run";
    args[n++] = "-o";
    args[n++] = r->trace_path;
    for (int i = 0; options && options[i]; i++)
        args[n++] = options[i];
    args[n++] = "--";
    for (int i = 0; argv[i] && n < 63; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    struct captured c;
    assert_int_equal(run_captured(args, NULL, &c), 0);
    r->status = c.status;
    r->out = c.out;
    r->err = c.err;
    if (et_trace_open(&r->trace, r->trace_path) != 0 || et_events_load(&r->trace, &r->events) != 0)
        fail_msg("the trace could not be read: %s\nstderr:\n%s", r->trace.diag, r->err);
    r->loaded = true;
}

static void free_preload_run(struct traced_run *r)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", r->dir);
    traced_run_free(r);
    remove_dir(dir);
}

/* The value after "key=" in a program's output, at the start of a line or
 * after a space. */
static long long out_value(const char *out, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = out; p && (p = strstr(p, key)) != NULL; p += klen) {
        if ((p == out || p[-1] == '\n' || p[-1] == ' ') && p[klen] == '=')
            return strtoll(p + klen + 1, NULL, 10);
    }
    fail_msg("no %s= in the program's output:\n%s", key, out);
    return 0;
}

/* The trace reads back without damage, without records whose writer never
 * finished them, and nothing was dropped. */
static void expect_sound_trace(const struct traced_run *r)
{
    if (r->trace.problems)
        fail_msg("the reader found damage: %s", r->trace.diag);
    if (r->trace.incomplete)
        fail_msg("%" PRIu64 " incomplete records in a run whose processes all ended normally", r->trace.incomplete);
    if (r->trace.hdr->records_dropped)
        fail_msg("%" PRIu64 " records dropped: the trace file was too small", (uint64_t)r->trace.hdr->records_dropped);
}

/* Per-pid tallies, for programs with many children. */
static size_t pid_limit(void)
{
    FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
    long max = 4194304;
    if (f) {
        if (fscanf(f, "%ld", &max) != 1)
            max = 4194304;
        fclose(f);
    }
    return (size_t)max + 1;
}

struct child_tally {
    uint8_t forked;  /* the parent's fork record named it */
    uint8_t started; /* its start record: a fork child of the parent */
    uint8_t exited;  /* its _exit(0) record */
    uint8_t reaped;  /* a wait record of the parent returned it, exited 0 */
    uint8_t kills, pipes, closes;
    uint8_t listed; /* the program printed it */
};

static struct child_tally *new_tallies(size_t *n)
{
    *n = pid_limit();
    struct child_tally *t = calloc(*n, sizeof(*t));
    assert_non_null(t);
    return t;
}

/* Counts the start, exit and calls of the children of `parent`. */
static void tally_child_record(struct child_tally *t, size_t n, const struct et_record *rec, int parent)
{
    if (rec->pid >= n)
        return;
    struct child_tally *c = &t[rec->pid];
    switch (rec->type) {
    case ET_REC_IMAGE_START:
        if (BODY(rec, et_image_start)->origin == ET_ORIGIN_FORK &&
            BODY(rec, et_image_start)->ppid == (uint32_t)parent && rec->tid == rec->pid)
            c->started++;
        break;
    case ET_REC_IMAGE_EXIT:
        if (BODY(rec, et_image_exit)->how == ET_EXIT__EXIT && BODY(rec, et_image_exit)->status == 0)
            c->exited++;
        break;
    case ET_REC_SIGNAL:
        if (BODY(rec, et_signal)->target == (int)rec->pid && BODY(rec, et_signal)->sig == 0)
            c->kills++;
        break;
    case ET_REC_PIPE:
        if (BODY(rec, et_pipe)->result == 0)
            c->pipes++;
        break;
    case ET_REC_CLOSE:
        if (BODY(rec, et_close)->result == 0)
            c->closes++;
        break;
    default:
        break;
    }
}

/* ---- 1. fork from a busy multithreaded program --------------------------- */

#define FT_THREADS 8
#define FT_FORKS 1000
#define FT_BURST "8"

struct thread_tally {
    int tid;
    unsigned long kills, pipes, closes;             /* what the thread counted */
    unsigned long rec_kills, rec_pipes, rec_closes; /* what the trace holds */
};

/* Runs hard_fork_threads FORKS BURST and checks that every call of every
 * thread, every fork and every child is in the trace. */
static void check_threads_and_forks(int nforks, const char *burst)
{
    char forks[16];
    snprintf(forks, sizeof(forks), "%d", nforks);
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_fork_threads"));
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct traced_run r;
    /* At most 8 threads x BURST iterations x (FORKS + 1) x 4 records of
     * under 80 bytes, and FORKS children: some 20 MB for each test. */
    run_traced(&r, (const char *const[]){"-q", "--size", "128M", NULL}, NULL,
               (const char *const[]){prog, forks, burst, NULL});
    double took = seconds_since(&start);
    expect_status("hard_fork_threads", r.status, 0, r.err);
    if (took > 50)
        fail_msg("the run took %.1f s: something stalled", took);
    expect_sound_trace(&r);
    int parent = (int)out_value(r.out, "pid");
    assert_int_equal(command_pid(&r), parent);

    size_t n;
    struct child_tally *t = new_tallies(&n);
    int listed = 0;
    for (const char *p = r.out; (p = strstr(p, "\nchild=")) != NULL; p++) {
        long pid = strtol(p + 7, NULL, 10);
        assert_true(pid > 0 && (size_t)pid < n);
        t[pid].listed++;
        listed++;
    }
    assert_int_equal(listed, nforks);

    struct thread_tally th[FT_THREADS];
    memset(th, 0, sizeof(th));
    int nth = 0;
    for (const char *p = r.out; (p = strstr(p, "thread=")) != NULL && nth < FT_THREADS; p++, nth++) {
        if (sscanf(p, "thread=%d kills=%lu pipes=%lu closes=%lu", &th[nth].tid, &th[nth].kills, &th[nth].pipes,
                   &th[nth].closes) != 4)
            fail_msg("bad thread line in the output");
    }
    assert_int_equal(nth, FT_THREADS);

    size_t stray = 0, fork_records = 0;
    for (size_t i = 0; i < r.events.n; i++) {
        const struct et_record *rec = r.events.v[i].r;
        if (rec->pid != (uint32_t)parent) {
            tally_child_record(t, n, rec, parent);
            continue;
        }
        if (rec->tid == (uint32_t)parent) {
            if (rec->type == ET_REC_FORK) {
                int child = BODY(rec, et_fork)->result;
                assert_int_equal(BODY(rec, et_fork)->kind, ET_FORK_FORK);
                if (child > 0 && (size_t)child < n)
                    t[child].forked++;
                fork_records++;
            } else if (rec->type == ET_REC_WAIT_RETURN) {
                int child = BODY(rec, et_wait_return)->result;
                int st = BODY(rec, et_wait_return)->status;
                if (child > 0 && (size_t)child < n && WIFEXITED(st) && WEXITSTATUS(st) == 0)
                    t[child].reaped++;
            }
            continue;
        }
        /* The loaded objects, recorded with the process's first stack by
         * whichever thread took it. */
        if (rec->type == ET_REC_MODULE)
            continue;
        struct thread_tally *tt = NULL;
        for (int k = 0; k < FT_THREADS; k++)
            if (rec->tid == (uint32_t)th[k].tid)
                tt = &th[k];
        if (!tt) {
            stray++;
            continue;
        }
        if (rec->type == ET_REC_SIGNAL && BODY(rec, et_signal)->kind == ET_SIGNAL_KILL &&
            BODY(rec, et_signal)->target == parent && BODY(rec, et_signal)->sig == 0 &&
            BODY(rec, et_signal)->result == 0)
            tt->rec_kills++;
        else if (rec->type == ET_REC_PIPE && BODY(rec, et_pipe)->result == 0)
            tt->rec_pipes++;
        else if (rec->type == ET_REC_CLOSE && BODY(rec, et_close)->result == 0)
            tt->rec_closes++;
        else
            stray++;
    }
    assert_int_equal(stray, 0);
    assert_int_equal(fork_records, nforks);
    for (int k = 0; k < FT_THREADS; k++) {
        if (th[k].rec_kills != th[k].kills || th[k].rec_pipes != th[k].pipes || th[k].rec_closes != th[k].closes)
            fail_msg("thread %d made %lu kills, %lu pipes, %lu closes; the trace has %lu, %lu, %lu", th[k].tid,
                     th[k].kills, th[k].pipes, th[k].closes, th[k].rec_kills, th[k].rec_pipes, th[k].rec_closes);
        assert_true(th[k].kills >= 1);
    }
    int bad = 0;
    for (size_t pid = 0; pid < n; pid++) {
        struct child_tally *c = &t[pid];
        if (!c->listed)
            continue;
        if (c->forked != 1 || c->started != 1 || c->exited != 1 || c->reaped != 1 || c->kills != 1 || c->pipes != 1 ||
            c->closes != 2) {
            if (bad++ < 5)
                print_message("child %zu: fork records %u, start %u, _exit %u, reaped %u, kill %u, pipe %u, close %u\n",
                              pid, c->forked, c->started, c->exited, c->reaped, c->kills, c->pipes, c->closes);
        }
    }
    if (bad)
        fail_msg("%d of %d children are not fully in the trace", bad, nforks);
    free(t);
    traced_run_free(&r);
}

static void fork_while_eight_threads_are_in_hooked_calls_loses_nothing(void **state)
{
    (void)state;
    check_threads_and_forks(FT_FORKS, FT_BURST);
}

/* The same threads without the forks: eight threads making and closing
 * pipes reuse each other's fd numbers all the time; no close may go
 * unrecorded for it. */
static void threads_reusing_each_others_fd_numbers_lose_no_close(void **state)
{
    (void)state;
    check_threads_and_forks(0, "20000");
}

/* ---- 2. a SIGCHLD handler that reaps, interrupting hooked calls ---------- */

static void sigchld_handler_reaping_inside_hooked_calls_loses_and_tears_nothing(void **state)
{
    (void)state;
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_sigchld"));
    struct traced_run r;
    run_traced(&r, (const char *const[]){"-q", "--size", "64M", NULL}, NULL,
               (const char *const[]){prog, "30000", "100", NULL});
    expect_status("hard_sigchld", r.status, 0, r.err);
    expect_sound_trace(&r);
    int self = (int)out_value(r.out, "pid");
    long pipes = out_value(r.out, "pipes"), dup2s = out_value(r.out, "dup2s"), closes = out_value(r.out, "closes");
    long kills = out_value(r.out, "kills"), forks = out_value(r.out, "forks");
    long waitpid_calls = out_value(r.out, "waitpid_calls"), reaped = out_value(r.out, "reaped");
    long interrupted = out_value(r.out, "interrupted_in_call");
    assert_int_equal(reaped, forks);
    if (interrupted == 0)
        fail_msg("the handler never interrupted a call: the case was not exercised (%s)", r.out);

    size_t n;
    struct child_tally *t = new_tallies(&n);
    for (const char *p = r.out; (p = strstr(p, "child=")) != NULL; p++) {
        long pid = strtol(p + 6, NULL, 10);
        assert_true(pid > 0 && (size_t)pid < n);
        t[pid].listed++;
    }
    long rec_pipes = 0, rec_dup2s = 0, rec_closes = 0, rec_kills = 0, rec_forks = 0, enters = 0, returns = 0;
    long reaps = 0, other = 0;
    const struct et_record *pending_enter = NULL;
    for (size_t i = 0; i < r.events.n; i++) {
        const struct et_record *rec = r.events.v[i].r;
        if (rec->pid != (uint32_t)self) {
            tally_child_record(t, n, rec, self);
            continue;
        }
        assert_int_equal(rec->tid, self);
        /* The handler runs to its end once it has started: its wait's
         * return is the next record of the process. */
        if (pending_enter && rec->type != ET_REC_WAIT_RETURN)
            fail_msg("a wait entry is followed by a record of type %u, not by its return", rec->type);
        pending_enter = NULL;
        switch (rec->type) {
        case ET_REC_PIPE:
            rec_pipes += BODY(rec, et_pipe)->result == 0 && rec->err == 0;
            break;
        case ET_REC_DUP:
            rec_dup2s += BODY(rec, et_dup)->kind == ET_DUP_DUP2 && BODY(rec, et_dup)->result == 100;
            break;
        case ET_REC_CLOSE:
            rec_closes += BODY(rec, et_close)->result == 0;
            break;
        case ET_REC_SIGNAL:
            rec_kills += BODY(rec, et_signal)->target == self && BODY(rec, et_signal)->sig == 0;
            break;
        case ET_REC_FORK: {
            int child = BODY(rec, et_fork)->result;
            if (child > 0 && (size_t)child < n)
                t[child].forked++;
            rec_forks++;
            break;
        }
        case ET_REC_WAIT_ENTER:
            assert_int_equal(BODY(rec, et_wait_enter)->kind, ET_WAIT_WAITPID);
            assert_int_equal(BODY(rec, et_wait_enter)->id, -1);
            assert_int_equal(BODY(rec, et_wait_enter)->options, WNOHANG);
            pending_enter = rec;
            enters++;
            break;
        case ET_REC_WAIT_RETURN: {
            returns++;
            int child = BODY(rec, et_wait_return)->result;
            int st = BODY(rec, et_wait_return)->status;
            if (child > 0) {
                reaps++;
                if ((size_t)child < n && WIFEXITED(st) && WEXITSTATUS(st) == 0)
                    t[child].reaped++;
            }
            break;
        }
        case ET_REC_IMAGE_START:
        case ET_REC_IMAGE_EXIT:
        case ET_REC_EXEC: /* the launcher's, before the program started */
        case ET_REC_SIGCHLD_ACTION:
        case ET_REC_MODULE:
            break;
        default:
            other++;
            break;
        }
    }
    assert_null(pending_enter);
    assert_int_equal(other, 0);
    assert_int_equal(rec_pipes, pipes);
    assert_int_equal(rec_dup2s, dup2s);
    assert_int_equal(rec_closes, closes);
    assert_int_equal(rec_kills, kills);
    assert_int_equal(rec_forks, forks);
    assert_int_equal(enters, waitpid_calls);
    assert_int_equal(returns, waitpid_calls);
    assert_int_equal(reaps, forks);
    int bad = 0;
    for (size_t pid = 0; pid < n; pid++) {
        struct child_tally *c = &t[pid];
        if (!c->listed)
            continue;
        if (c->forked != 1 || c->started != 1 || c->exited != 1 || c->reaped != 1)
            if (bad++ < 5)
                print_message("child %zu: fork records %u, start %u, _exit %u, reaped %u\n", pid, c->forked, c->started,
                              c->exited, c->reaped);
    }
    if (bad)
        fail_msg("%d of %ld children are not fully in the trace", bad, forks);
    free(t);
    traced_run_free(&r);
}

/* ---- 3. constructors before the shim's, destructors after ---------------- */

static const char *libearly_path(void)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s", test_prog("libearly.so"));
    if (access(path, R_OK) != 0)
        fail_msg("%s is missing: it needs its make rule (see tests/progs/lib/libearly.c)", path);
    return path;
}

/* stderr without the loader's LD_DEBUG lines ("   PID:\t..."), for messages;
 * a static buffer. */
static const char *without_ld_debug(const char *err)
{
    static char buf[8192];
    size_t n = 0;
    for (const char *line = err; *line && n + 1 < sizeof(buf);) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line + 1) : strlen(line);
        const char *p = line + strspn(line, " ");
        p += strspn(p, "0123456789");
        if (!(p > line && p[0] == ':' && p[1] == '\t')) {
            if (len > sizeof(buf) - 1 - n)
                len = sizeof(buf) - 1 - n;
            memcpy(buf + n, line, len);
            n += len;
        }
        line += end ? (size_t)(end - line + 1) : strlen(line);
    }
    buf[n] = 0;
    return buf;
}

/* Where the loader says it ran a library's constructor (LD_DEBUG=files). */
static const char *init_call(const char *err, const char *lib)
{
    char needle[PATH_MAX + 32];
    snprintf(needle, sizeof(needle), "calling init: %s\n", lib);
    return strstr(err, needle);
}

/* The records of pid, in time order, but for its map of loaded objects. */
static size_t records_of(const struct traced_run *r, int pid, const struct et_record **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->events.n; i++)
        if (r->events.v[i].r->pid == (uint32_t)pid && r->events.v[i].r->type != ET_REC_MODULE) {
            assert_true(n < max);
            out[n++] = r->events.v[i].r;
        }
    return n;
}

static size_t count_type(const struct et_record *const *recs, size_t n, uint16_t type)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += recs[i]->type == type;
    return k;
}

/* A child forked by `parent` that made its hooked calls and _exited 0, which
 * the parent forked (fork record) and reaped (wait return). */
static void expect_checked_child(const struct traced_run *r, int parent, int child)
{
    const struct et_record *recs[64];
    size_t n = records_of(r, child, recs, 64);
    if (n != 6)
        fail_msg("child %d has %zu records, expected start, kill, pipe, 2 closes, _exit", child, n);
    assert_int_equal(recs[0]->type, ET_REC_IMAGE_START);
    assert_int_equal(BODY(recs[0], et_image_start)->origin, ET_ORIGIN_FORK);
    assert_int_equal(BODY(recs[0], et_image_start)->ppid, parent);
    assert_int_equal(recs[1]->type, ET_REC_SIGNAL);
    assert_int_equal(recs[2]->type, ET_REC_PIPE);
    assert_int_equal(recs[3]->type, ET_REC_CLOSE);
    assert_int_equal(recs[4]->type, ET_REC_CLOSE);
    assert_int_equal(recs[5]->type, ET_REC_IMAGE_EXIT);
    assert_int_equal(BODY(recs[5], et_image_exit)->how, ET_EXIT__EXIT);
    assert_int_equal(BODY(recs[5], et_image_exit)->status, 0);

    bool forked = false, reaped = false;
    for (size_t i = 0; i < r->events.n; i++) {
        const struct et_record *rec = r->events.v[i].r;
        if (rec->pid != (uint32_t)parent)
            continue;
        if (rec->type == ET_REC_FORK && BODY(rec, et_fork)->result == child)
            forked = true;
        if (rec->type == ET_REC_WAIT_RETURN && BODY(rec, et_wait_return)->result == child)
            reaped = true;
    }
    if (!forked || !reaped)
        fail_msg("parent %d: fork of %d recorded: %d, its reaping: %d", parent, child, forked, reaped);
}

/* One start record for the program image, first of its records, with its
 * command line and executable; one exit(0) record, last. */
static void expect_program_image(const struct traced_run *r, int pid, const char *prog, const struct et_record **recs,
                                 size_t n)
{
    assert_int_equal(count_records(r, ET_REC_IMAGE_START, pid, NULL, NULL), 1);
    assert_true(n >= 2);
    const struct et_record *start = recs[0];
    if (start->type != ET_REC_IMAGE_START)
        fail_msg("the first record of %d is of type %u, not its start", pid, start->type);
    assert_int_equal(BODY(start, et_image_start)->origin, ET_ORIGIN_EXEC);
    assert_int_equal(BODY(start, et_image_start)->argc, 2);
    assert_string_equal(start_argv(start, 0), prog);
    assert_string_equal(start_argv(start, 1), "run");
    char real[PATH_MAX];
    assert_non_null(realpath(prog, real));
    assert_string_equal(start_exe(start), real);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(recs[i]->start_time, start->start_time);
    const struct et_record *last = recs[n - 1];
    if (last->type != ET_REC_IMAGE_EXIT)
        fail_msg("the last record of %d is of type %u, not its exit", pid, last->type);
    assert_int_equal(BODY(last, et_image_exit)->how, ET_EXIT_EXIT);
    assert_int_equal(BODY(last, et_image_exit)->status, 0);
}

/* libearly.so preloaded beside the shim, in the given order, with
 * HARD_EARLY=modes; checks which constructor the loader ran first. */
static void run_early(struct traced_run *r, bool early_constructor_first, const char *modes)
{
    const char *lib = libearly_path();
    char preload[2 * PATH_MAX + 2];
    /* The loader runs the constructors of LD_PRELOAD libraries in reverse
     * order: the one listed last first. */
    if (early_constructor_first)
        snprintf(preload, sizeof(preload), "%s %s", shim_path(), lib);
    else
        snprintf(preload, sizeof(preload), "%s %s", lib, shim_path());
    char mode_env[128];
    snprintf(mode_env, sizeof(mode_env), "HARD_EARLY=%s", modes);
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_early"));
    preload_run(r, preload, (const char *const[]){mode_env, "LD_DEBUG=files", NULL},
                (const char *const[]){prog, "run", NULL});
    expect_status("hard_early with libearly.so", r->status, 0, without_ld_debug(r->err));
    const char *early_init = init_call(r->err, lib), *shim_init = init_call(r->err, shim_path());
    if (!early_init || !shim_init)
        fail_msg("the loader did not say it ran both constructors:\n%s", r->err);
    if ((early_init < shim_init) != early_constructor_first)
        fail_msg("with LD_PRELOAD=\"%s\" the loader ran %s constructor first: the test no longer covers the case",
                 preload, early_init < shim_init ? "libearly's" : "the shim's");
    if (!r->loaded)
        fail_msg("no trace: %s", r->trace.diag);
    expect_sound_trace(r);
}

/* The constructor's first hooked call is a fork (with_fork) or a pipe; then
 * come its pipe, closes and kill, then main's. */
static void check_constructor_calls(bool early_constructor_first, bool with_fork)
{
    struct traced_run r;
    run_early(&r, early_constructor_first, with_fork ? "ctor_fork,ctor_calls" : "ctor_calls");
    int pid = (int)out_value(r.out, "main pid");
    const struct et_record *recs[256];
    size_t n = records_of(&r, pid, recs, 256);
    expect_program_image(&r, pid, test_prog("hard_early"), recs, n);
    assert_int_equal(count_type(recs, n, ET_REC_FORK), with_fork);
    assert_int_equal(count_type(recs, n, ET_REC_WAIT_ENTER), with_fork);
    assert_int_equal(count_type(recs, n, ET_REC_WAIT_RETURN), with_fork);
    assert_int_equal(count_type(recs, n, ET_REC_PIPE), 2);
    assert_int_equal(count_type(recs, n, ET_REC_CLOSE), 4);
    assert_int_equal(count_type(recs, n, ET_REC_SIGNAL), 2);
    assert_int_equal(recs[1]->type, with_fork ? ET_REC_FORK : ET_REC_PIPE);
    if (with_fork)
        expect_checked_child(&r, pid, (int)out_value(r.out, "early: ctor child"));
    free_preload_run(&r);
}

static void hooked_calls_in_a_constructor_run_before_the_shims_are_recorded(void **state)
{
    (void)state;
    /* The shim's constructor has not run: the first hook initialises it. */
    check_constructor_calls(true, true);
    check_constructor_calls(true, false);
}

static void hooked_calls_in_a_constructor_run_after_the_shims_are_recorded(void **state)
{
    (void)state;
    check_constructor_calls(false, true);
    check_constructor_calls(false, false);
}

static void check_exit_time_calls(bool early_constructor_first)
{
    struct traced_run r;
    run_early(&r, early_constructor_first, "dtor,atexit");
    int pid = (int)out_value(r.out, "main pid");
    int dtor_child = (int)out_value(r.out, "early: dtor child");
    int atexit_child = (int)out_value(r.out, "early: atexit child");
    const struct et_record *recs[256];
    size_t n = records_of(&r, pid, recs, 256);
    expect_program_image(&r, pid, test_prog("hard_early"), recs, n);
    assert_int_equal(count_type(recs, n, ET_REC_FORK), 2);
    assert_int_equal(count_type(recs, n, ET_REC_WAIT_RETURN), 2);
    assert_int_equal(count_type(recs, n, ET_REC_PIPE), 3);
    assert_int_equal(count_type(recs, n, ET_REC_CLOSE), 6);
    expect_checked_child(&r, pid, dtor_child);
    expect_checked_child(&r, pid, atexit_child);
    free_preload_run(&r);
}

static void hooked_calls_in_destructors_and_exit_handlers_are_recorded(void **state)
{
    (void)state;
    check_exit_time_calls(true);
    check_exit_time_calls(false);
}

static void errno_is_zero_when_main_starts(void **state)
{
    (void)state;
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_early"));
    struct captured c;
    assert_int_equal(run_captured((const char *const[]){prog, "errno", NULL}, NULL, &c), 0);
    expect_status("hard_early errno, untraced", c.status, 0, c.out);
    captured_free(&c);

    struct traced_run r;
    run_traced(&r, (const char *const[]){"-q", NULL}, NULL, (const char *const[]){prog, "errno", NULL});
    /* C11 7.5: errno is zero at program startup. */
    if (r.status != 0)
        fail_msg("traced, the program started with %s", r.out);
    traced_run_free(&r);
}

/* ---- 4. programs that close every fd ------------------------------------- */

static bool pipe_end_at(const struct et_pipe_end *ends, unsigned n, int fd)
{
    for (unsigned i = 0; i < n; i++)
        if (ends[i].fd == fd)
            return true;
    return false;
}

static void check_close_everything(const char *mode)
{
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_closeall"));
    struct traced_run r;
    run_traced(&r, (const char *const[]){"-q", NULL}, NULL, (const char *const[]){prog, mode, NULL});
    expect_status(mode, r.status, 0, r.err);
    expect_sound_trace(&r);
    int pid = (int)out_value(r.out, "pid");
    int ends[4] = {-1, -1, -1, -1};
    const char *e = strstr(r.out, "ends=");
    assert_non_null(e);
    int nends = sscanf(e, "ends=%d,%d,%d,%d", &ends[0], &ends[1], &ends[2], &ends[3]);
    assert_true(nends >= 3);

    /* The closing itself, with the pipe ends it took. */
    const struct et_record *recs[512];
    size_t n = records_of(&r, pid, recs, 512);
    size_t k = 0;
    if (strcmp(mode, "loop") == 0) {
        for (int i = 0; i < nends; i++) {
            bool found = false;
            for (size_t j = 0; j < n; j++)
                if (recs[j]->type == ET_REC_CLOSE && BODY(recs[j], et_close)->fd == ends[i] &&
                    BODY(recs[j], et_close)->pipe.fd == ends[i]) {
                    found = true;
                    if (j > k)
                        k = j;
                }
            if (!found)
                fail_msg("no close record for the pipe end at fd %d", ends[i]);
        }
    } else {
        const struct et_record *range = NULL;
        for (size_t j = 0; j < n; j++)
            if (recs[j]->type == ET_REC_CLOSE_RANGE) {
                assert_null(range);
                range = recs[j];
                k = j;
            }
        assert_non_null(range);
        const struct et_close_range *b = BODY(range, et_close_range);
        assert_int_equal(b->kind, strcmp(mode, "closefrom") == 0 ? ET_CLOSEFROM : ET_CLOSE_RANGE);
        assert_int_equal(b->first, 3);
        assert_int_equal(b->last, ~0U);
        assert_int_equal(b->result, 0);
        struct et_tail tail = et_tail_of(range);
        const struct et_pipe_end *closed = et_tail_array(&tail, b->pipe_count, sizeof(*closed));
        assert_non_null(closed);
        for (int i = 0; i < nends; i++)
            if (!pipe_end_at(closed, b->pipe_count, ends[i]))
                fail_msg("the %s record does not list the pipe end at fd %d", mode, ends[i]);
    }

    /* After: a pipe at 3 and 4, then three children, each exec'ing. */
    const struct et_record *after = NULL;
    for (size_t j = k + 1; j < n && !after; j++)
        if (recs[j]->type == ET_REC_PIPE)
            after = recs[j];
    if (!after)
        fail_msg("no pipe record after the fds were closed");
    assert_int_equal(BODY(after, et_pipe)->read_fd, 3);
    assert_int_equal(BODY(after, et_pipe)->write_fd, 4);

    int children = 0;
    static const uint16_t kinds[3] = {ET_FORK_FORK, ET_FORK_FORK, ET_FORK_VFORK};
    for (const char *p = r.out; (p = strstr(p, "child=")) != NULL; p++, children++) {
        int child = atoi(p + 6);
        assert_true(children < 3);
        bool forked = false;
        for (size_t j = k; j < n; j++)
            if (recs[j]->type == ET_REC_FORK && BODY(recs[j], et_fork)->result == child) {
                assert_int_equal(BODY(recs[j], et_fork)->kind, kinds[children]);
                forked = true;
            }
        assert_true(forked);
        const struct et_record *cstart = start_of(&r, child, children == 2 ? ET_ORIGIN_VFORK : ET_ORIGIN_FORK);
        if (!cstart)
            fail_msg("child %d has no start record", child);
        assert_int_equal(BODY(cstart, et_image_start)->ppid, pid);
        const struct et_record *exec = find_record(&r, ET_REC_EXEC, child, NULL, NULL);
        if (!exec)
            fail_msg("child %d has no exec record", child);
        assert_int_equal(BODY(exec, et_exec)->flags & (ET_ENV_ADDED_PRELOAD | ET_ENV_ADDED_FILE), 0);
        const struct et_record *tstart = start_of(&r, child, ET_ORIGIN_EXEC);
        if (!tstart)
            fail_msg("the image child %d exec'd has no start record", child);
        assert_string_equal(start_argv(tstart, 1), "target");
        assert_int_equal(r.events.v[event_index(&r, exec)].outcome, event_index(&r, tstart));
        const struct et_record *crecs[64];
        size_t cn = records_of(&r, child, crecs, 64);
        assert_int_equal(count_type(crecs, cn, ET_REC_PIPE), 1);
        assert_int_equal(count_type(crecs, cn, ET_REC_SIGNAL), 1);
        assert_int_equal(crecs[cn - 1]->type, ET_REC_IMAGE_EXIT);
    }
    assert_int_equal(children, 3);
    traced_run_free(&r);
}

static void close_range_of_every_fd_then_fork_and_exec_stays_traced(void **state)
{
    (void)state;
    check_close_everything("close_range");
}

static void closefrom_3_then_fork_and_exec_stays_traced(void **state)
{
    (void)state;
    check_close_everything("closefrom");
}

static void closing_every_fd_up_to_the_limit_then_fork_and_exec_stays_traced(void **state)
{
    (void)state;
    check_close_everything("loop");
}

/* ---- 5. emptied environments, set-id programs ---------------------------- */

static void check_emptied_environment(const char *mode)
{
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_env"));
    struct traced_run r;
    run_traced(&r, (const char *const[]){"-q", NULL}, NULL, (const char *const[]){prog, mode, NULL});
    expect_status(mode, r.status, 0, r.err);
    expect_sound_trace(&r);
    int pid = (int)out_value(r.out, "pid");
    /* The new image got exactly what the shim put back: the recorder's
     * socket too, when the recorder is on. */
    bool recorder_on = false;
    for (size_t i = 0; i < r.events.n; i++)
        if (r.events.v[i].r->type == ET_REC_RECORDER && BODY(r.events.v[i].r, et_recorder)->state == ET_RECORDER_ON)
            recorder_on = true;
    const char *expect =
        recorder_on ? "target env=3 preload=1 file=1 recorder=1\n" : "target env=2 preload=1 file=1 recorder=0\n";
    if (!strstr(r.out, expect))
        fail_msg("expected \"%s\" in:\n%s", expect, r.out);
    const struct et_record *exec = NULL;
    for (size_t i = 0; i < r.events.n; i++) {
        const struct et_record *rec = r.events.v[i].r;
        if (rec->type == ET_REC_EXEC && rec->pid == (uint32_t)pid && BODY(rec, et_exec)->kind == ET_EXEC_EXECVE)
            exec = rec;
    }
    assert_non_null(exec);
    assert_int_equal(BODY(exec, et_exec)->flags & (ET_ENV_ADDED_PRELOAD | ET_ENV_ADDED_FILE | ET_ENV_NOT_ADDED_SETUID),
                     ET_ENV_ADDED_PRELOAD | ET_ENV_ADDED_FILE);
    const struct et_record *tstart = NULL;
    for (size_t i = 0; i < r.events.n; i++) {
        const struct et_record *rec = r.events.v[i].r;
        if (rec->type == ET_REC_IMAGE_START && rec->pid == (uint32_t)pid &&
            BODY(rec, et_image_start)->argv_count == 2 && strcmp(start_argv(rec, 1), "target") == 0)
            tstart = rec;
    }
    if (!tstart)
        fail_msg("the image exec'd with a %s environment was not traced", mode);
    assert_int_equal(r.events.v[event_index(&r, exec)].outcome, event_index(&r, tstart));
    traced_run_free(&r);
}

static void execve_with_an_empty_environment_stays_traced(void **state)
{
    (void)state;
    check_emptied_environment("empty");
}

static void execve_with_a_NULL_environment_stays_traced(void **state)
{
    (void)state;
    check_emptied_environment("null");
}

struct setid_dir {
    char dir[PATH_MAX];
    char suid_nobody[PATH_MAX + 16];  /* set-user-ID, owned by nobody: AT_SECURE for root */
    char sgid_nogroup[PATH_MAX + 16]; /* set-group-ID, group nogroup: AT_SECURE too */
    char suid_root[PATH_MAX + 16];    /* set-user-ID root: run by root, not AT_SECURE */
};

/* 0, or the errno of a chown this process may not make. */
static int copy_with_mode(const char *from, const char *to, uid_t uid, gid_t gid, mode_t mode)
{
    int in = open(from, O_RDONLY);
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0700);
    assert_true(in >= 0 && out >= 0);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        assert_int_equal(write(out, buf, (size_t)n), n);
    assert_int_equal(n, 0);
    close(in);
    /* chown clears the set-id bits: mode after owner. */
    int err = fchown(out, uid, gid) == 0 ? 0 : errno;
    if (err == 0)
        assert_int_equal(fchmod(out, mode), 0);
    close(out);
    return err;
}

/* Copies of hard_env with set-id bits, or a skip with the reason. */
static void make_setid_programs(struct setid_dir *s)
{
    if (geteuid() != 0) {
        print_message("skipped: making set-id programs of other owners needs root\n");
        skip();
    }
    make_dir(s->dir, sizeof(s->dir), "setid");
    struct statvfs vfs;
    assert_int_equal(statvfs(s->dir, &vfs), 0);
    if (vfs.f_flag & ST_NOSUID) {
        remove_dir(s->dir);
        print_message("skipped: /tmp is mounted nosuid, set-id bits would be ignored\n");
        skip();
    }
    assert_int_equal(chmod(s->dir, 0755), 0);
    struct passwd *nobody = getpwnam("nobody");
    struct group *nogroup = getgrnam("nogroup");
    uid_t nobody_uid = nobody ? nobody->pw_uid : 65534;
    gid_t nogroup_gid = nogroup ? nogroup->gr_gid : nobody ? nobody->pw_gid : 65534;
    snprintf(s->suid_nobody, sizeof(s->suid_nobody), "%s/suid_nobody", s->dir);
    snprintf(s->sgid_nogroup, sizeof(s->sgid_nogroup), "%s/sgid_nogroup", s->dir);
    snprintf(s->suid_root, sizeof(s->suid_root), "%s/suid_root", s->dir);
    const char *prog = test_prog("hard_env");
    int err = copy_with_mode(prog, s->suid_nobody, nobody_uid, 0, 04755);
    if (!err)
        err = copy_with_mode(prog, s->sgid_nogroup, 0, nogroup_gid, 02755);
    if (!err)
        err = copy_with_mode(prog, s->suid_root, 0, 0, 04755);
    if (err) {
        remove_dir(s->dir);
        print_message("skipped: cannot give a file to nobody: %s\n", strerror(err));
        skip();
    }
}

/* Whether a "hard_env secure" image wrote its start record: was traced. */
static bool secure_image_traced(const struct traced_run *r)
{
    for (size_t i = 0; i < r->events.n; i++) {
        const struct et_record *rec = r->events.v[i].r;
        if (rec->type == ET_REC_IMAGE_START && BODY(rec, et_image_start)->origin == ET_ORIGIN_EXEC &&
            BODY(rec, et_image_start)->argv_count >= 2 && strcmp(start_argv(rec, 1), "secure") == 0)
            return true;
    }
    return false;
}

/* Runs "hard_env exec PROG ENV HOW" and checks the set-id program's run. */
static void check_setid_exec(const char *setid_prog, const char *env, const char *how, bool secure)
{
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_env"));
    struct traced_run r;
    run_traced(&r, (const char *const[]){"-q", NULL}, NULL,
               (const char *const[]){prog, "exec", setid_prog, env, how, NULL});
    char what[PATH_MAX + 64];
    snprintf(what, sizeof(what), "%s of %s with the environment %s", how, setid_prog, env);
    expect_status(what, r.status, 0, r.err);
    expect_sound_trace(&r);
    int pid = (int)out_value(r.out, "pid");
    /* The program worked, with the privileges it was given. */
    if (out_value(r.out, "secure") != (secure ? 1 : 0))
        fail_msg("%s: AT_SECURE is not %d:\n%s", what, secure, r.out);
    const struct et_record *exec = NULL;
    for (size_t i = 0; i < r.events.n; i++) {
        const struct et_record *rec = r.events.v[i].r;
        if (rec->type == ET_REC_EXEC && rec->pid == (uint32_t)pid && BODY(rec, et_exec)->kind != ET_EXEC_EXECVP)
            exec = rec;
    }
    assert_non_null(exec);
    uint16_t env_flags =
        BODY(exec, et_exec)->flags & (ET_ENV_ADDED_PRELOAD | ET_ENV_ADDED_FILE | ET_ENV_NOT_ADDED_SETUID);
    if (strcmp(env, "empty") == 0) {
        /* Nothing was put into the set-id program's environment, and the
         * record says why. */
        if (!strstr(r.out, "env=0 preload=0 file=0 recorder=0\n") || env_flags != ET_ENV_NOT_ADDED_SETUID)
            fail_msg("%s: the exec record's environment flags are 0x%x (expected ET_ENV_NOT_ADDED_SETUID), the "
                     "program saw:\n%s",
                     what, env_flags, r.out);
        assert_false(secure_image_traced(&r));
    } else {
        assert_int_equal(env_flags, 0);
        /* With the shim in its environment, the program is traced exactly
         * when the loader honours LD_PRELOAD: when it is not AT_SECURE. */
        if (secure_image_traced(&r) != !secure)
            fail_msg("%s: AT_SECURE=%d, yet the program was %s", what, secure, secure ? "traced" : "not traced");
    }
    traced_run_free(&r);
}

static void setid_programs_exec_d_by_path_run_untraced_and_the_shim_is_not_put_back(void **state)
{
    (void)state;
    struct setid_dir s;
    make_setid_programs(&s);
    const char *envs[] = {"empty", "keep"};
    for (int e = 0; e < 2; e++) {
        check_setid_exec(s.suid_nobody, envs[e], "execve", true);
        check_setid_exec(s.sgid_nogroup, envs[e], "execve", true);
        check_setid_exec(s.suid_root, envs[e], "execve", false);
    }
    /* Started by the launcher itself. */
    struct traced_run r;
    run_traced(&r, (const char *const[]){"-q", NULL}, NULL, (const char *const[]){s.suid_nobody, "secure", NULL});
    expect_status("exectrace run of a set-user-ID program", r.status, 0, r.err);
    assert_int_equal(out_value(r.out, "secure"), 1);
    assert_false(secure_image_traced(&r));
    traced_run_free(&r);
    remove_dir(s.dir);
}

static void setid_programs_exec_d_by_fd_or_dirfd_do_not_get_the_shim_put_back(void **state)
{
    (void)state;
    struct setid_dir s;
    make_setid_programs(&s);
    const char *hows[] = {"fexecve", "execveat"};
    for (int h = 0; h < 2; h++) {
        check_setid_exec(s.suid_nobody, "keep", hows[h], true);
        check_setid_exec(s.suid_nobody, "empty", hows[h], true);
        check_setid_exec(s.sgid_nogroup, "empty", hows[h], true);
    }
    remove_dir(s.dir);
}

/* ---- 6. fd exhaustion ---------------------------------------------------- */

/* The program prints no pids: traced and untraced, it must print the same. */
static void expect_same_as_untraced(const struct traced_run *r, const char *const argv[])
{
    struct captured c;
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    expect_status("untraced", c.status, 0, c.err);
    if (r->status != c.status || strcmp(r->out, c.out) != 0)
        fail_msg("traced, the program exited %d and printed:\n%s\nuntraced, it exited %d and printed:\n%s", r->status,
                 r->out, c.status, c.out);
    captured_free(&c);
}

/* ---- small stacks ---------------------------------------------------------- */

/* A hooked call on a stack of a few kilobytes (a clone child's, a thread's
 * of PTHREAD_STACK_MIN) must fit where glibc's own does: it did not when
 * the exec hook kept an 8 KiB argv array and the fork child's start record
 * a 4 KiB directory buffer on the stack, and the child died of SIGSEGV. */
static void check_small_stack(const char *const argv[], bool execs)
{
    struct traced_run r;
    launch_run(&r, (const char *const[]){"-q", NULL}, argv);
    if (r.status != 0)
        fail_msg("%s %s %s %s: exit status %d under exectrace; it printed:\n%s%s", argv[0], argv[1], argv[2],
                 argv[3] ? argv[3] : "", r.status, r.out, r.err);
    expect_sound_trace(&r);
    if (execs && !start_by_argv0(&r, "true"))
        fail_msg("%s %s: the child's exec of true was not traced", argv[1], argv[3] ? argv[3] : "");
    expect_same_as_untraced(&r, argv);
    free_preload_run(&r);
}

static void hooked_calls_in_a_clone_child_on_a_4_KiB_stack_fit(void **state)
{
    (void)state;
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_small_stack"));
    static const char *const modes[] = {"exit", "execve", "execl", "execlp", "close_range"};
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        check_small_stack((const char *const[]){prog, "clone", "4096", modes[i], NULL}, i > 0);
}

static void fork_and_execl_in_a_thread_with_the_smallest_stack_fit(void **state)
{
    (void)state;
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_small_stack"));
    check_small_stack((const char *const[]){prog, "thread", "0", NULL}, true);
}

/* ---- 6. fd exhaustion, continued ------------------------------------------- */

static void fd_exhaustion_is_seen_exactly_as_without_the_shim(void **state)
{
    (void)state;
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_fdlimit"));
    const char *const argv[] = {prog, "exhaust", NULL};
    struct traced_run r;
    launch_run(&r, (const char *const[]){"-q", NULL}, argv);
    expect_status("hard_fdlimit exhaust", r.status, 0, r.err);
    expect_sound_trace(&r);
    expect_same_as_untraced(&r, argv);
    /* The failures are recorded as such: the parent's three and its child's
     * one (before its exec); the parent's pipe with two fds free and the
     * target's pipe succeed. */
    int failed_pipes = 0, good_pipes = 0;
    for (size_t i = 0; i < r.events.n; i++) {
        const struct et_record *rec = r.events.v[i].r;
        if (rec->type != ET_REC_PIPE)
            continue;
        if (rec->err == EMFILE && BODY(rec, et_pipe)->result == -1)
            failed_pipes++;
        else if (rec->err == 0 && BODY(rec, et_pipe)->result == 0)
            good_pipes++;
    }
    assert_int_equal(failed_pipes, 4);
    assert_int_equal(good_pipes, 2);
    free_preload_run(&r);
}

static void fork_child_with_no_fd_free_records_its_parent_and_identity(void **state)
{
    (void)state;
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_fdlimit"));
    struct traced_run r;
    run_traced(&r, (const char *const[]){"-q", NULL}, NULL, (const char *const[]){prog, "exhaust", NULL});
    expect_status("hard_fdlimit exhaust", r.status, 0, r.err);
    int parent = command_pid(&r);
    const struct et_record *fork_rec = find_record(&r, ET_REC_FORK, parent, NULL, NULL);
    assert_non_null(fork_rec);
    int child = BODY(fork_rec, et_fork)->result;
    const struct et_record *cstart = start_of(&r, child, ET_ORIGIN_FORK);
    assert_non_null(cstart);
    const struct et_image_start *b = BODY(cstart, et_image_start);
    const struct et_record *pstart = start_of(&r, parent, ET_ORIGIN_EXEC);
    assert_non_null(pstart);
    /* Forked with every fd taken, it cannot open /proc/self/stat; but its
     * parent, group and session are a system call away. */
    if (b->ppid != (uint32_t)parent || b->pgid != BODY(pstart, et_image_start)->pgid ||
        b->sid != BODY(pstart, et_image_start)->sid)
        fail_msg("the child forked with no fd free starts with ppid=%u pgid=%u sid=%u start_time=%" PRIu64
                 " (parent %d: pgid=%u sid=%u)",
                 b->ppid, b->pgid, b->sid, cstart->start_time, parent, BODY(pstart, et_image_start)->pgid,
                 BODY(pstart, et_image_start)->sid);
    const struct et_record *exec = find_record(&r, ET_REC_EXEC, child, NULL, NULL);
    const struct et_record *tstart = start_of(&r, child, ET_ORIGIN_EXEC);
    assert_non_null(exec);
    assert_non_null(tstart);
    /* Its exec is tied to the image it started (same pid and start time),
     * and it is one process, not two. */
    if (r.events.v[event_index(&r, exec)].outcome != event_index(&r, tstart))
        fail_msg("the exec of the child forked with no fd free (start time %" PRIu64 ") is not tied to the image "
                 "it started (start time %" PRIu64 ")",
                 exec->start_time, tstart->start_time);
    assert_int_equal(et_events_count_processes(&r.trace, &r.events), 2);
    traced_run_free(&r);
}

static void image_started_with_one_fd_free_is_traced_and_finds_it_free(void **state)
{
    (void)state;
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_fdlimit"));
    const char *const argv[] = {prog, "one_free", NULL};
    struct traced_run r;
    launch_run(&r, (const char *const[]){"-q", NULL}, argv);
    expect_status("hard_fdlimit one_free", r.status, 0, r.err);
    expect_sound_trace(&r);
    expect_same_as_untraced(&r, argv);
    int pid = command_pid(&r);
    const struct et_record *start = NULL;
    for (size_t i = 0; i < r.events.n; i++) {
        const struct et_record *rec = r.events.v[i].r;
        if (rec->type == ET_REC_IMAGE_START && rec->pid == (uint32_t)pid &&
            BODY(rec, et_image_start)->argv_count == 3 && strcmp(start_argv(rec, 1), "in_one_free") == 0)
            start = rec;
    }
    if (!start)
        fail_msg("the image started with one fd free was not traced");
    const struct et_record *pipe_rec = find_record(&r, ET_REC_PIPE, pid, NULL, NULL);
    assert_non_null(pipe_rec);
    assert_int_equal(pipe_rec->err, EMFILE);
    assert_true(event_index(&r, start) < event_index(&r, pipe_rec));
    free_preload_run(&r);
}

static void constructor_with_no_fd_free_leaves_the_program_untraced_but_unharmed(void **state)
{
    (void)state;
    char prog[PATH_MAX], preload[PATH_MAX + 16];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_early"));
    snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", libearly_path());
    /* env execs the program with LD_PRELOAD=libearly.so: the shim puts itself
     * first, so libearly's constructor runs before the shim's and takes every
     * fd. */
    const char *const argv[] = {"env", preload, "HARD_EARLY=hog", prog, "hog", NULL};
    struct traced_run r;
    launch_run(&r, (const char *const[]){"-q", NULL}, argv);
    expect_status("hard_early hog", r.status, 0, r.err);
    expect_sound_trace(&r);
    expect_same_as_untraced(&r, argv);
    assert_non_null(strstr(r.out, "after\n"));
    int pid = command_pid(&r);
    bool hog_traced = false, after_traced = false;
    for (size_t i = 0; i < r.events.n; i++) {
        const struct et_record *rec = r.events.v[i].r;
        if (rec->type != ET_REC_IMAGE_START || rec->pid != (uint32_t)pid || BODY(rec, et_image_start)->argv_count != 2)
            continue;
        hog_traced |= strcmp(start_argv(rec, 1), "hog") == 0;
        after_traced |= strcmp(start_argv(rec, 1), "after") == 0;
    }
    /* It could not open the trace: untraced.  The next image, with its fds
     * back, is traced again. */
    assert_false(hog_traced);
    assert_true(after_traced);
    free_preload_run(&r);
}

/* ---- 7. full trace, full disk, unwritable places ------------------------- */

static void full_trace_file_changes_nothing_for_the_program_and_counts_the_drops(void **state)
{
    (void)state;
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_many"));
    const char *const argv[] = {prog, "5000", NULL};
    struct captured plain;
    assert_int_equal(run_captured(argv, NULL, &plain), 0);
    expect_status("hard_many untraced", plain.status, 3, plain.err);

    char min_size[32];
    snprintf(min_size, sizeof(min_size), "%uK", ET_MIN_FILE_SIZE >> 10);
    struct traced_run r;
    launch_run(&r, (const char *const[]){"--size", min_size, NULL}, argv);
    assert_int_equal(r.status, 3);
    assert_string_equal(r.out, plain.out);
    /* The program's stderr, then exectrace's summary. */
    assert_true(strncmp(r.err, plain.err, strlen(plain.err)) == 0);
    uint64_t dropped = r.trace.hdr->records_dropped;
    assert_true(dropped > 0);
    assert_int_equal(r.trace.problems, 0);
    char summary[PATH_MAX + 256];
    snprintf(summary, sizeof(summary),
             "exectrace: trace %s: %zu process%s, %zu events, %" PRIu64
             " dropped (the trace file was full: use a larger --size)\n",
             r.trace_path, et_events_count_processes(&r.trace, &r.events),
             et_events_count_processes(&r.trace, &r.events) == 1 ? "" : "es", r.events.n, dropped);
    if (strcmp(r.err + strlen(plain.err), summary) != 0)
        fail_msg("exectrace printed:\n%s\nexpected:\n%s", r.err + strlen(plain.err), summary);

    struct captured ev;
    assert_int_equal(run_captured((const char *const[]){exectrace_bin(), "events", r.trace_path, NULL}, NULL, &ev), 0);
    expect_status("exectrace events", ev.status, 0, ev.err);
    char note_line[PATH_MAX + 256];
    snprintf(note_line, sizeof(note_line),
             "exectrace: %s: note: %" PRIu64 " records were dropped because the trace file was full", r.trace_path,
             dropped);
    if (!strstr(ev.err, note_line))
        fail_msg("exectrace events does not note the drops:\n%s", ev.err);
    captured_free(&ev);
    assert_int_equal(
        run_captured((const char *const[]){exectrace_bin(), "report", "--fail-on", "never", r.trace_path, NULL}, NULL,
                     &ev),
        0);
    expect_status("exectrace report", ev.status, 0, ev.err);
    assert_non_null(strstr(ev.out, "dropped (the trace file was full)"));
    captured_free(&ev);
    captured_free(&plain);
    free_preload_run(&r);
}

/* exectrace run -o trace -- touch marker: must fail with 125 and a message
 * containing `reason`, without running the command or leaving files. */
static void expect_run_refused(const char *trace, const char *size, const char *reason)
{
    char marker_dir[PATH_MAX], marker[PATH_MAX + 16];
    make_dir(marker_dir, sizeof(marker_dir), "marker");
    snprintf(marker, sizeof(marker), "%s/marker", marker_dir);
    struct captured c;
    assert_int_equal(run_captured((const char *const[]){exectrace_bin(), "run", "-o", trace, "--size", size, "--",
                                                        "touch", marker, NULL},
                                  NULL, &c),
                     0);
    if (c.status != 125)
        fail_msg("exectrace run -o %s exited %d, expected 125; stderr:\n%s", trace, c.status, c.err);
    char expected[PATH_MAX + 64];
    snprintf(expected, sizeof(expected), "exectrace: cannot create trace file %s: ", trace);
    if (strncmp(c.err, expected, strlen(expected)) != 0 || !strstr(c.err, reason) ||
        strchr(c.err, '\n') != c.err + strlen(c.err) - 1)
        fail_msg("exectrace run -o %s: expected one line \"%s...%s\", got:\n%s", trace, expected, reason, c.err);
    if (access(marker, F_OK) == 0)
        fail_msg("exectrace run -o %s ran the command although it could not trace it", trace);
    captured_free(&c);
    remove_dir(marker_dir);
}

/* Nothing in dir but the names in keep (NULL-terminated; NULL: nothing). */
static void expect_only(const char *dir, const char *const *keep)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        bool kept = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
        for (int i = 0; keep && keep[i]; i++)
            kept |= strcmp(e->d_name, keep[i]) == 0;
        if (kept)
            continue;
        closedir(d);
        fail_msg("%s was left in %s", e->d_name, dir);
    }
    closedir(d);
}

static void full_disk_at_creation_fails_with_125_and_runs_nothing(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    make_dir(dir, sizeof(dir), "tmpfs");
    if (mount("tmpfs", dir, "tmpfs", 0, "size=1m") != 0) {
        int err = errno;
        remove_dir(dir);
        print_message("skipped: cannot mount a small tmpfs: %s\n", strerror(err));
        skip();
    }
    note(cleanup_mounts, 16, dir);
    char trace[PATH_MAX + 16];
    snprintf(trace, sizeof(trace), "%s/t.trace", dir);
    expect_run_refused(trace, "64M", strerror(ENOSPC));
    expect_only(dir, NULL);
    unmount(dir);
    remove_dir(dir);
}

static void unwritable_trace_location_fails_with_125_and_runs_nothing(void **state)
{
    (void)state;
    char dir[PATH_MAX], trace[PATH_MAX + 32];
    make_dir(dir, sizeof(dir), "places");
    /* A file where a directory should be. */
    char file[PATH_MAX + 16];
    snprintf(file, sizeof(file), "%s/file", dir);
    int fd = open(file, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    close(fd);
    snprintf(trace, sizeof(trace), "%s/t.trace", file);
    expect_run_refused(trace, "1M", strerror(ENOTDIR));
    /* A directory where the trace should be. */
    snprintf(trace, sizeof(trace), "%s", dir);
    expect_run_refused(trace, "1M", "refusing to replace");
    /* A directory that does not exist. */
    snprintf(trace, sizeof(trace), "%s/missing/t.trace", dir);
    expect_run_refused(trace, "1M", strerror(ENOENT));

    /* Root writes anywhere, except on a read-only mount. */
    char ro[PATH_MAX + 16];
    snprintf(ro, sizeof(ro), "%s/ro", dir);
    assert_int_equal(mkdir(ro, 0700), 0);
    if (mount(ro, ro, NULL, MS_BIND, NULL) != 0) {
        print_message("skipped the read-only part: cannot bind-mount: %s\n", strerror(errno));
    } else {
        note(cleanup_mounts, 16, ro);
        if (mount(NULL, ro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0) {
            print_message("skipped the read-only part: cannot remount read-only: %s\n", strerror(errno));
        } else {
            snprintf(trace, sizeof(trace), "%s/t.trace", ro);
            expect_run_refused(trace, "1M", strerror(EROFS));
        }
        unmount(ro);
    }
    expect_only(dir, (const char *const[]){"file", "ro", NULL});
    remove_dir(dir);
}

static void expect_untouched_by_a_shim_that_cannot_trace(const char *trace, const char *const argv[])
{
    struct captured plain, preloaded;
    assert_int_equal(run_captured(argv, NULL, &plain), 0);
    char preload[PATH_MAX + 16], file[PATH_MAX + 32];
    snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", shim_path());
    snprintf(file, sizeof(file), "EXECTRACE_FILE=%s", trace);
    const char *args[16] = {"env", preload, file};
    int n = 3;
    for (int i = 0; argv[i] && n < 15; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    assert_int_equal(run_captured(args, NULL, &preloaded), 0);
    if (preloaded.status != plain.status || strcmp(preloaded.out, plain.out) != 0 ||
        strcmp(preloaded.err, plain.err) != 0)
        fail_msg("with EXECTRACE_FILE=%s the program exited %d and printed\n%s\n%s\nwithout the shim %d\n%s\n%s", trace,
                 preloaded.status, preloaded.out, preloaded.err, plain.status, plain.out, plain.err);
    captured_free(&plain);
    captured_free(&preloaded);
}

static void preloaded_shim_that_cannot_create_its_trace_changes_nothing(void **state)
{
    (void)state;
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_many"));
    const char *const argv[] = {prog, "300", NULL};
    char dir[PATH_MAX], trace[PATH_MAX + 32];
    make_dir(dir, sizeof(dir), "unwritable");
    char file[PATH_MAX + 16];
    snprintf(file, sizeof(file), "%s/file", dir);
    int fd = open(file, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    close(fd);
    snprintf(trace, sizeof(trace), "%s/t.trace", file);
    expect_untouched_by_a_shim_that_cannot_trace(trace, argv);
    snprintf(trace, sizeof(trace), "%s/missing/t.trace", dir);
    expect_untouched_by_a_shim_that_cannot_trace(trace, argv);
    expect_untouched_by_a_shim_that_cannot_trace("/proc/self/t.trace", argv);
    /* A file that is not a trace. */
    expect_untouched_by_a_shim_that_cannot_trace(file, argv);
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_size, 0);

    char ro[PATH_MAX + 16];
    snprintf(ro, sizeof(ro), "%s/ro", dir);
    assert_int_equal(mkdir(ro, 0700), 0);
    if (mount(ro, ro, NULL, MS_BIND, NULL) == 0) {
        note(cleanup_mounts, 16, ro);
        if (mount(NULL, ro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0) {
            snprintf(trace, sizeof(trace), "%s/t.trace", ro);
            expect_untouched_by_a_shim_that_cannot_trace(trace, argv);
        } else {
            print_message("skipped the read-only part: cannot remount read-only: %s\n", strerror(errno));
        }
        unmount(ro);
    } else {
        print_message("skipped the read-only part: cannot bind-mount: %s\n", strerror(errno));
    }
    expect_only(dir, (const char *const[]){"file", "ro", NULL});
    remove_dir(dir);
}

static void preloaded_shim_whose_trace_is_a_terminal_does_not_make_it_the_controlling_terminal(void **state)
{
    (void)state;
    if (access("/usr/bin/setsid", X_OK) != 0) {
        print_message("skipped: no setsid(1)\n");
        skip();
    }
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
        print_message("skipped: no pseudo-terminal: %s\n", strerror(errno));
        if (master >= 0)
            close(master);
        skip();
    }
    char pts[PATH_MAX];
    assert_int_equal(ptsname_r(master, pts, sizeof(pts)), 0);
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_ctty"));
    /* A session leader without a terminal, as a daemon is. */
    struct captured c;
    assert_int_equal(run_captured((const char *const[]){"setsid", "-w", prog, NULL}, NULL, &c), 0);
    expect_status("hard_ctty untraced", c.status, 0, c.err);
    captured_free(&c);
    char preload[PATH_MAX + 16], file[PATH_MAX + 32];
    snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", shim_path());
    snprintf(file, sizeof(file), "EXECTRACE_FILE=%s", pts);
    assert_int_equal(run_captured((const char *const[]){"setsid", "-w", "env", preload, file, prog, NULL}, NULL, &c),
                     0);
    if (c.status != 0)
        fail_msg("EXECTRACE_FILE=%s (a terminal, not a trace) gave the program a controlling terminal:\n%s", pts,
                 c.out);
    captured_free(&c);
    close(master);
}

/* ---- 8. random SIGKILLs ---------------------------------------------------- */

#define CRASH_CALLERS 4
#define CRASH_RUNS 200
#define CRASH_SEED 20240611u
#define CRASH_LIMIT_SECONDS 10

/* As in tests/progs/hard_crash.c. */
struct crash_shared {
    int32_t pid;
    int32_t forker_tid;
    struct {
        int32_t tid;
        int32_t reserved;
        uint64_t kills;
    } thread[CRASH_CALLERS];
};

/* Whether pid shares the leader's address space: the helper process that
 * LeakSanitizer clones (CLONE_VM, not CLONE_THREAD) to stop the world at an
 * ASan-built launcher's exit.  It is in the launcher's group, and killing it
 * leaves the launcher spinning in sched_yield() forever, waiting for it. */
static bool shares_leaders_memory(pid_t leader, pid_t pid)
{
    return syscall(SYS_kcmp, leader, pid, KCMP_VM, 0, 0) == 0;
}

/* One pass over /proc: SIGKILLs every live process of the group but its
 * leader (and the leader's own helpers); returns how many were killed, and
 * how many were found. */
static int kill_group_pass(pid_t leader, int *found)
{
    int killed = 0;
    *found = 0;
    DIR *d = opendir("/proc");
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0 || pid == leader)
            continue;
        struct et_proc_stat st;
        if (et_proc_stat_read((int)pid, &st) != 0 || st.pgid != (uint32_t)leader || st.state == 'Z' ||
            shares_leaders_memory(leader, (pid_t)pid))
            continue;
        (*found)++;
        if (kill((pid_t)pid, SIGKILL) == 0)
            killed++;
    }
    closedir(d);
    return killed;
}

/* SIGKILLs every process of the group but its leader (the launcher), over
 * and over until none is left: those it forks meanwhile go too.  Waits for
 * the first member to exist.  Returns how many were killed. */
static int kill_group_but_leader(pid_t leader)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int killed = 0;
    for (;;) {
        int found;
        killed += kill_group_pass(leader, &found);
        if (found == 0 && killed > 0)
            return killed;
        if (seconds_since(&start) > CRASH_LIMIT_SECONDS)
            return killed;
        if (found == 0)
            usleep(200);
    }
}

struct crash_check {
    int32_t pid;
    int32_t tid[CRASH_CALLERS];
    uint64_t kill_records[CRASH_CALLERS];
    /* Incomplete records per process: at most one per thread writing. */
    uint32_t owner[64];
    uint64_t incomplete[64];
    int owners;
    struct et_trace *t;
};

static int check_crash_run(struct et_run_cursor c, void *p)
{
    struct crash_check *k = p;
    const struct et_run_header *h = (const void *)(c.p - sizeof(struct et_run_header));
    uint64_t before = k->t->incomplete;
    const struct et_record *r;
    while ((r = et_run_next(k->t, &c)) != NULL) {
        if (r->type != ET_REC_SIGNAL || r->pid != (uint32_t)k->pid)
            continue;
        const struct et_signal *b = et_body(r);
        if (b->kind != ET_SIGNAL_KILL || b->target != k->pid || b->sig != 0)
            continue;
        for (int i = 0; i < CRASH_CALLERS; i++)
            if (r->tid == (uint32_t)k->tid[i])
                k->kill_records[i]++;
    }
    uint64_t added = k->t->incomplete - before;
    if (added) {
        int i = 0;
        while (i < k->owners && k->owner[i] != h->owner_pid)
            i++;
        if (i == k->owners && k->owners < 64)
            k->owner[k->owners++] = h->owner_pid;
        if (i < 64)
            k->incomplete[i] += added;
    }
    return 0;
}

static unsigned crash_setting(const char *name, unsigned fallback)
{
    const char *v = getenv(name);
    return v && *v ? (unsigned)strtoul(v, NULL, 0) : fallback;
}

static void analyzer_survives(const char *trace, const char *const *args, const char *what, unsigned seed, int run,
                              const char *when)
{
    const char *argv[8] = {exectrace_bin()};
    int n = 1;
    for (int i = 0; args[i]; i++)
        argv[n++] = args[i];
    argv[n++] = trace;
    argv[n] = NULL;
    struct captured c;
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    if (c.status != 0)
        fail_msg("seed %u run %d (%s): exectrace %s exited %d:\n%s", seed, run, when, what, c.status, c.err);
    captured_free(&c);
}

static void writer_killed_at_random_moments_leaves_a_sound_trace(void **state)
{
    (void)state;
    unsigned seed = crash_setting("HARD_SEED", CRASH_SEED);
    int runs = (int)crash_setting("HARD_CRASH_RUNS", CRASH_RUNS);
    print_message("seed=%u runs=%d (HARD_SEED and HARD_CRASH_RUNS change them)\n", seed, runs);
    unsigned rng = seed;

    char dir[PATH_MAX], shared_path[PATH_MAX + 16], trace[PATH_MAX + 16], log_path[PATH_MAX + 16];
    make_dir(dir, sizeof(dir), "crash");
    snprintf(shared_path, sizeof(shared_path), "%s/shared", dir);
    snprintf(trace, sizeof(trace), "%s/run.trace", dir);
    snprintf(log_path, sizeof(log_path), "%s/log", dir);
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hard_crash"));
    uint64_t total_incomplete = 0, traced_kills = 0;
    int before_main = 0, start_phase = 0;

    for (int run = 0; run < runs; run++) {
        unsigned delay_ms = 1 + (unsigned)(rand_r(&rng) % 50);
        int fd = open(shared_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 4096), 0);
        struct crash_shared *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        assert_true(shared != MAP_FAILED);

        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        pid_t launcher = fork();
        assert_true(launcher >= 0);
        if (launcher == 0) {
            setpgid(0, 0);
            int in = open("/dev/null", O_RDONLY);
            int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (in < 0 || log < 0)
                _exit(120);
            dup2(in, 0);
            dup2(log, 1);
            dup2(log, 2);
            execl(exectrace_bin(), "exectrace", "run", "-q", "--size", "32M", "-o", trace, "--", prog, shared_path,
                  (char *)NULL);
            _exit(121);
        }
        setpgid(launcher, launcher);
        /* Most runs are killed 1-50 ms after the program's main began, in
         * the thick of its calls; one in eight at a random moment of its
         * start (the launcher's child, the loader, the shim's constructor). */
        bool during_start = rand_r(&rng) % 8 == 0;
        if (during_start) {
            delay_ms = (unsigned)(rand_r(&rng) % 30);
            start_phase++;
        } else {
            while (__atomic_load_n(&shared->pid, __ATOMIC_ACQUIRE) == 0) {
                if (seconds_since(&start) > CRASH_LIMIT_SECONDS) {
                    kill(-launcher, SIGKILL);
                    waitpid(launcher, NULL, 0);
                    fail_msg("seed %u run %d: the program did not start in %d s", seed, run, CRASH_LIMIT_SECONDS);
                }
                usleep(100);
            }
        }
        char when[64];
        snprintf(when, sizeof(when), "killed %u ms after %s", delay_ms, during_start ? "the launch" : "main began");
        struct timespec delay = {0, (long)delay_ms * 1000000L};
        nanosleep(&delay, NULL);
        int killed = kill_group_but_leader(launcher);

        int status = 0;
        unsigned waited = 0;
        for (;;) {
            pid_t got = waitpid(launcher, &status, WNOHANG);
            if (got == launcher)
                break;
            if (seconds_since(&start) > 2 * CRASH_LIMIT_SECONDS) {
                /* What it was waiting for: its state, and what is left of
                 * the group. */
                char stat_path[64], line[512] = "";
                snprintf(stat_path, sizeof(stat_path), "/proc/%d/stat", (int)launcher);
                FILE *f = fopen(stat_path, "r");
                if (f) {
                    if (!fgets(line, sizeof(line), f))
                        line[0] = 0;
                    fclose(f);
                }
                int left;
                int late = kill_group_pass(launcher, &left);
                kill(-launcher, SIGKILL);
                waitpid(launcher, &status, 0);
                fail_msg("seed %u run %d: exectrace run did not finish after its command was killed (%d of its group "
                         "still alive, %d killed now; its stat: %s)",
                         seed, run, left, late, line);
            }
            /* A child whose fork completed as the scan passed it, or whose
             * /proc entry could not be read just then (or the command, when
             * a scan at the launch found only the recorder's self-test
             * process), is still running, and exectrace rightly waits for
             * it: kill it too, within 10 ms, for the program fills its
             * 32 MiB trace in about 150 ms. */
            if (++waited % 20 == 0) {
                int found;
                killed += kill_group_pass(launcher, &found);
            }
            usleep(500);
        }
        if (killed == 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 128 + SIGKILL)
            fail_msg("seed %u run %d (%s, %d processes): exectrace run ended with status 0x%x", seed, run, when, killed,
                     status);

        struct et_trace t;
        if (et_trace_open(&t, trace) != 0)
            fail_msg("seed %u run %d: the trace cannot be read: %s", seed, run, t.diag);
        struct crash_check k;
        memset(&k, 0, sizeof(k));
        k.t = &t;
        k.pid = __atomic_load_n(&shared->pid, __ATOMIC_ACQUIRE);
        uint64_t calls[CRASH_CALLERS];
        for (int i = 0; i < CRASH_CALLERS; i++) {
            k.tid[i] = __atomic_load_n(&shared->thread[i].tid, __ATOMIC_ACQUIRE);
            calls[i] = __atomic_load_n(&shared->thread[i].kills, __ATOMIC_ACQUIRE);
        }
        t.records = t.incomplete = 0;
        et_trace_runs(&t, check_crash_run, &k);
        if (t.problems)
            fail_msg("seed %u run %d (%s): the reader found damage: %s", seed, run, when, t.diag);
        if (t.hdr->records_dropped)
            fail_msg("seed %u run %d: %" PRIu64 " records dropped", seed, run, (uint64_t)t.hdr->records_dropped);
        for (int i = 0; i < k.owners; i++) {
            /* The program's callers and forker; any other process has one
             * thread. */
            uint64_t limit = k.owner[i] == (uint32_t)k.pid ? CRASH_CALLERS + 1 : 1;
            if (k.incomplete[i] > limit)
                fail_msg("seed %u run %d (%s): %" PRIu64 " incomplete records from process %u, "
                         "which had at most %" PRIu64 " threads writing",
                         seed, run, when, k.incomplete[i], k.owner[i], limit);
        }
        for (int i = 0; i < CRASH_CALLERS; i++) {
            if (k.tid[i] <= 0)
                continue;
            if (k.kill_records[i] < calls[i] || k.kill_records[i] > calls[i] + 1)
                fail_msg("seed %u run %d (%s): thread %d made %" PRIu64 " kill calls, the trace has %" PRIu64, seed,
                         run, when, k.tid[i], calls[i], k.kill_records[i]);
            traced_kills += k.kill_records[i];
        }
        if (k.pid == 0)
            before_main++;
        total_incomplete += t.incomplete;
        et_trace_close(&t);
        munmap(shared, 4096);

        analyzer_survives(trace, (const char *const[]){"events", NULL}, "events", seed, run, when);
        analyzer_survives(trace, (const char *const[]){"report", "--fail-on", "never", NULL}, "report", seed, run,
                          when);
        if (run % 4 == 0) {
            analyzer_survives(trace, (const char *const[]){"events", "--json", NULL}, "events --json", seed, run, when);
            analyzer_survives(trace, (const char *const[]){"tree", NULL}, "tree", seed, run, when);
        }
    }
    print_message("%d runs (%d killed while starting, %d of them before main): %" PRIu64 " kill calls traced, %" PRIu64
                  " incomplete records\n",
                  runs, start_phase, before_main, traced_kills, total_incomplete);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fork_while_eight_threads_are_in_hooked_calls_loses_nothing),
        cmocka_unit_test(threads_reusing_each_others_fd_numbers_lose_no_close),
        cmocka_unit_test(sigchld_handler_reaping_inside_hooked_calls_loses_and_tears_nothing),
        cmocka_unit_test(hooked_calls_in_a_constructor_run_before_the_shims_are_recorded),
        cmocka_unit_test(hooked_calls_in_a_constructor_run_after_the_shims_are_recorded),
        cmocka_unit_test(hooked_calls_in_destructors_and_exit_handlers_are_recorded),
        cmocka_unit_test(errno_is_zero_when_main_starts),
        cmocka_unit_test(close_range_of_every_fd_then_fork_and_exec_stays_traced),
        cmocka_unit_test(closefrom_3_then_fork_and_exec_stays_traced),
        cmocka_unit_test(closing_every_fd_up_to_the_limit_then_fork_and_exec_stays_traced),
        cmocka_unit_test(execve_with_an_empty_environment_stays_traced),
        cmocka_unit_test(execve_with_a_NULL_environment_stays_traced),
        cmocka_unit_test(setid_programs_exec_d_by_path_run_untraced_and_the_shim_is_not_put_back),
        cmocka_unit_test(setid_programs_exec_d_by_fd_or_dirfd_do_not_get_the_shim_put_back),
        cmocka_unit_test(fd_exhaustion_is_seen_exactly_as_without_the_shim),
        cmocka_unit_test(fork_child_with_no_fd_free_records_its_parent_and_identity),
        cmocka_unit_test(image_started_with_one_fd_free_is_traced_and_finds_it_free),
        cmocka_unit_test(constructor_with_no_fd_free_leaves_the_program_untraced_but_unharmed),
        cmocka_unit_test(full_trace_file_changes_nothing_for_the_program_and_counts_the_drops),
        cmocka_unit_test(full_disk_at_creation_fails_with_125_and_runs_nothing),
        cmocka_unit_test(unwritable_trace_location_fails_with_125_and_runs_nothing),
        cmocka_unit_test(preloaded_shim_that_cannot_create_its_trace_changes_nothing),
        cmocka_unit_test(preloaded_shim_whose_trace_is_a_terminal_does_not_make_it_the_controlling_terminal),
        cmocka_unit_test(writer_killed_at_random_moments_leaves_a_sound_trace),
        cmocka_unit_test(hooked_calls_in_a_clone_child_on_a_4_KiB_stack_fit),
        cmocka_unit_test(fork_and_execl_in_a_thread_with_the_smallest_stack_fit),
    };
    const char *only = getenv("HARD_TEST");
    if (only && *only)
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests_name("hard", tests, NULL, NULL);
}
