/* The process model and the rules of findings.c on hand-built traces: each
 * simulated process writes its own records, with the pids, start times and
 * timestamps the case needs, into runs of its own (as real processes do), and
 * the test checks what the model made of them and which findings came out.
 * Every rule has cases that must produce it and near misses that must not.
 *
 * Times are written in milliseconds from the trace's anchor (set to 0), so
 * that "+2.000000" in a message is MS(2000). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "findings.h"
#include "model.h"
#include "rules.h"
#include "reader.h"
#include "report.h"
#include "snapshot.h"
#include "writer.h"

#define MS(x) ((uint64_t)(x) * 1000000ull)
#define EXITED(code) ((code) << 8)
#define KILLED(sig) (sig)
/* The group and session every process starts in unless told otherwise: the
 * shell that ran the traced command, itself not traced. */
#define SHELL_PGID 7u

/* ---- the simulated trace ------------------------------------------------------ */

/* A process: pids are reused, so a start time always goes with the pid. */
struct pr {
    uint32_t pid;
    uint64_t st;
};
#define PR(pid) ((struct pr){(pid), (uint64_t)(pid) * 100 + 1})

#define MAX_WRITERS 64

static struct sim {
    char dir[64];
    char path[128];
    uint8_t *map;
    uint64_t size;
    struct {
        struct pr p;
        struct et_writer w;
    } writers[MAX_WRITERS];
    unsigned nwriters;
    struct et_thresholds th;
    struct et_trace t;
    struct et_analysis a;
    bool built;
} S;

static int sim_setup(void **state)
{
    (void)state;
    memset(&S, 0, sizeof(S));
    snprintf(S.dir, sizeof(S.dir), "/tmp/exectrace-rules-XXXXXX");
    assert_non_null(mkdtemp(S.dir));
    snprintf(S.path, sizeof(S.path), "%s/t.trace", S.dir);
    const char *what = NULL;
    assert_int_equal(et_trace_create(S.path, 1u << 20, false, 1, 0, false, NULL, &what), 0);
    int fd = open(S.path, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    S.size = (uint64_t)st.st_size;
    S.map = mmap(NULL, (size_t)S.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    assert_true(S.map != MAP_FAILED);
    /* Messages give times relative to the anchor: make them our numbers. */
    ((struct et_file_header *)S.map)->anchor_monotonic_ns = 0;
    et_default_thresholds(&S.th);
    return 0;
}

static int sim_teardown(void **state)
{
    (void)state;
    if (S.built)
        et_analysis_free(&S.a);
    munmap(S.map, (size_t)S.size);
    unlink(S.path);
    rmdir(S.dir);
    return 0;
}

/* Each process appends through a writer of its own, so its records land in
 * runs of its own. */
static struct et_writer *writer_of(struct pr p)
{
    for (unsigned i = 0; i < S.nwriters; i++)
        if (S.writers[i].p.pid == p.pid && S.writers[i].p.st == p.st)
            return &S.writers[i].w;
    assert_true(S.nwriters < MAX_WRITERS);
    unsigned i = S.nwriters++;
    S.writers[i].p = p;
    assert_int_equal(et_writer_attach(&S.writers[i].w, S.map, S.size, p.pid), 0);
    return &S.writers[i].w;
}

/* The process goes on in a fresh run, as after exec (a new image attaches
 * anew) or once its run is full. */
static void new_run(struct pr p)
{
    et_writer_forget_run(writer_of(p), p.pid);
}

static void emit(struct pr p, uint32_t tid, uint16_t type, uint64_t ts, int err, const void *body, size_t len)
{
    struct et_identity id = {p.pid, tid ? tid : p.pid, p.st};
    struct et_record *r = et_record_reserve(writer_of(p), type, (uint32_t)len, &id, ts, err);
    assert_non_null(r);
    memcpy(et_record_body(r), body, len);
    et_commit(writer_of(p), r);
}

/* ---- records --------------------------------------------------------------------- */

struct ends {
    uint16_t n;
    struct et_pipe_end e[8];
};
#define ENDS(...)                                                                                                      \
    ((struct ends){(uint16_t)(sizeof((struct et_pipe_end[]){__VA_ARGS__}) / sizeof(struct et_pipe_end)),            \
                   {__VA_ARGS__}})
#define RD(fd, inode) ((struct et_pipe_end){(fd), ET_PIPE_READ, (inode)})
#define WR(fd, inode) ((struct et_pipe_end){(fd), ET_PIPE_WRITE, (inode)})

struct start_args {
    struct pr p;
    uint32_t ppid;
    uint64_t ts;
    const char *cmd; /* NULL: a fork child, which runs its parent's program */
    uint16_t origin; /* 0: exec when there is a command, fork otherwise */
    uint32_t pgid, sid;
    struct ends ends; /* the pipe ends the image starts with */
};

static void ev_start_(struct start_args a)
{
    char buf[256];
    char *argv[16];
    unsigned argc = 0;
    if (a.cmd) {
        snprintf(buf, sizeof(buf), "%s", a.cmd);
        for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok && argc < 15; tok = strtok_r(NULL, " ", &save))
            argv[argc++] = tok;
    }
    argv[argc] = NULL;
    struct et_start_info info = {
        .origin = a.origin ? a.origin : (a.cmd ? ET_ORIGIN_EXEC : ET_ORIGIN_FORK),
        .ppid = a.ppid,
        .pgid = a.pgid ? a.pgid : SHELL_PGID,
        .sid = a.sid ? a.sid : SHELL_PGID,
        .uid = 1000,
        .euid = 1000,
        .exe = a.cmd ? argv[0] : NULL,
        .argv = a.cmd ? argv : NULL,
        .pipes = a.ends.e,
        .pipe_count = a.ends.n,
    };
    struct et_identity id = {a.p.pid, a.p.pid, a.p.st};
    et_write_start(writer_of(a.p), &id, a.ts, 0, &info);
}
#define ev_start(...) ev_start_((struct start_args){__VA_ARGS__})

static void ev_exit(struct pr p, uint64_t ts, int code)
{
    struct et_image_exit b = {.how = ET_EXIT_EXIT, .status = code};
    emit(p, 0, ET_REC_IMAGE_EXIT, ts, 0, &b, sizeof(b));
}

static void ev_fork(struct pr p, uint64_t ts, uint32_t child)
{
    struct et_fork b = {.kind = ET_FORK_FORK, .result = (int32_t)child};
    emit(p, 0, ET_REC_FORK, ts, 0, &b, sizeof(b));
}

/* The exec call, recorded before it is made; argv from cmd. */
static void ev_exec(struct pr p, uint64_t ts, const char *cmd, uint16_t env_flags)
{
    char buf[256];
    char *argv[16];
    unsigned argc = 0;
    snprintf(buf, sizeof(buf), "%s", cmd);
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok && argc < 15; tok = strtok_r(NULL, " ", &save))
        argv[argc++] = tok;
    argv[argc] = NULL;
    struct et_exec_info info = {.kind = ET_EXEC_EXECVE, .env_flags = env_flags, .fd = -1, .path = argv[0], .argv = argv};
    struct et_identity id = {p.pid, p.pid, p.st};
    et_write_exec(writer_of(p), &id, ts, 0, &info);
}

static void ev_exec_failed(struct pr p, uint64_t ts, int err)
{
    struct et_exec_failed b = {.kind = ET_EXEC_EXECVE, .result = -1};
    emit(p, 0, ET_REC_EXEC_FAILED, ts, err, &b, sizeof(b));
}

static void ev_signal(struct pr p, uint32_t tid, uint64_t ts, uint16_t kind, int32_t target, int sig, int result,
                      int err, int32_t pidfd_pid)
{
    struct et_signal b = {.kind = kind,
                          .target = target,
                          .sig = sig,
                          .result = result,
                          .pidfd = kind == ET_SIGNAL_PIDFD_SEND_SIGNAL ? 5 : -1,
                          .pidfd_pid = pidfd_pid};
    emit(p, tid, ET_REC_SIGNAL, ts, err, &b, sizeof(b));
}

static void ev_kill(struct pr p, uint32_t tid, uint64_t ts, int32_t target, int sig, int result, int err)
{
    ev_signal(p, tid, ts, ET_SIGNAL_KILL, target, sig, result, err, -1);
}

static void ev_wait_enter(struct pr p, uint32_t tid, uint64_t ts, uint16_t kind, int64_t id)
{
    struct et_wait_enter b = {.kind = kind, .id = id};
    emit(p, tid, ET_REC_WAIT_ENTER, ts, 0, &b, sizeof(b));
}

static void ev_wait_return(struct pr p, uint32_t tid, uint64_t ts, uint16_t kind, int32_t result, int status, int err)
{
    struct et_wait_return b = {.kind = kind, .result = result, .status = status};
    emit(p, tid, ET_REC_WAIT_RETURN, ts, err, &b, sizeof(b));
}

/* waitpid(child) on the main thread, blocked from ts_enter to ts_return. */
static void ev_wait(struct pr p, uint64_t ts_enter, uint64_t ts_return, uint32_t child, int status)
{
    ev_wait_enter(p, 0, ts_enter, ET_WAIT_WAITPID, child);
    ev_wait_return(p, 0, ts_return, ET_WAIT_WAITPID, (int32_t)child, status, 0);
}

static void ev_pipe(struct pr p, uint64_t ts, int rfd, int wfd, uint64_t inode)
{
    struct et_pipe b = {.kind = ET_PIPE_PIPE, .read_fd = rfd, .write_fd = wfd, .inode = inode};
    emit(p, 0, ET_REC_PIPE, ts, 0, &b, sizeof(b));
}

static void ev_close(struct pr p, uint64_t ts, struct et_pipe_end end)
{
    struct et_close b = {.fd = end.fd, .pipe = end};
    emit(p, 0, ET_REC_CLOSE, ts, 0, &b, sizeof(b));
}

/* A read or poll of the pipe end that blocked from `from` to `until`. */
static void ev_pipe_wait(struct pr p, uint64_t from, uint64_t until, uint16_t call, struct et_pipe_end end,
                         int64_t result)
{
    struct {
        struct et_pipe_wait w;
        struct et_pipe_end e;
    } b = {{.began_ns = from, .result = result, .call = call, .count = 1}, end};
    b.e.flags |= ET_PIPE_WAIT_READY;
    emit(p, 0, ET_REC_PIPE_WAIT, until, 0, &b, sizeof(b));
}

static void ev_pipe_eof(struct pr p, uint64_t ts, struct et_pipe_end end)
{
    struct et_pipe_eof b = {.call = ET_SYS_read, .pipe = end};
    emit(p, 0, ET_REC_PIPE_EOF, ts, 0, &b, sizeof(b));
}

/* dup2(source.fd, newfd) */
static void ev_dup2(struct pr p, uint64_t ts, struct et_pipe_end source, int newfd)
{
    struct et_dup b = {.kind = ET_DUP_DUP2, .oldfd = source.fd, .newfd = newfd, .result = newfd, .source = source};
    b.replaced.fd = -1;
    emit(p, 0, ET_REC_DUP, ts, 0, &b, sizeof(b));
}

static void ev_setsid(struct pr p, uint64_t ts)
{
    struct et_setsid b = {.result = (int32_t)p.pid};
    emit(p, 0, ET_REC_SETSID, ts, 0, &b, sizeof(b));
}

static void ev_setpgid(struct pr p, uint64_t ts, int32_t pid, int32_t pgid)
{
    struct et_setpgid b = {.kind = ET_SETPGID_SETPGID, .pid = pid, .pgid = pgid};
    emit(p, 0, ET_REC_SETPGID, ts, 0, &b, sizeof(b));
}

static void ev_sigchld(struct pr p, uint64_t ts, uint16_t disposition, uint32_t sa_flags)
{
    struct et_sigchld_action b = {.call = ET_SIGCHLD_SIGACTION, .disposition = disposition, .sa_flags = sa_flags};
    emit(p, 0, ET_REC_SIGCHLD_ACTION, ts, 0, &b, sizeof(b));
}

/* The launcher, which is the subreaper of the run, reaped pid. */
static void ev_reaped(struct pr launcher, uint64_t ts, struct pr child, int status, uint16_t role)
{
    struct et_reaped b = {.pid = (int32_t)child.pid, .status = status, .start_time = child.st, .role = role};
    emit(launcher, 0, ET_REC_REAPED, ts, 0, &b, sizeof(b));
}

/* A fork and the child's start, 1 ms apart: the child's record always comes
 * after its parent's fork record, as the shim's clocks make it. */
static void ev_child(struct pr parent, struct pr child, uint64_t ts, const char *cmd, struct ends ends)
{
    ev_fork(parent, ts, child.pid);
    ev_start(.p = child, .ppid = parent.pid, .ts = ts + MS(1), .cmd = cmd, .ends = ends);
}

/* ---- reading the findings ----------------------------------------------------------- */

/* complete_from: read as a ring that went round, whose history is
 * complete from then (0: a trace of fixed size). */
static void build_from(uint64_t complete_from)
{
    assert_int_equal(((struct et_file_header *)S.map)->records_dropped, 0);
    assert_int_equal(et_trace_from_buffer(&S.t, S.map, (size_t)S.size), 0);
    if (complete_from) {
        S.t.ring_wrapped = true;
        S.t.ring_complete_since_ns = complete_from;
    }
    assert_int_equal(et_analyze(&S.a, &S.t, &S.th), 0);
    S.built = true;
    assert_int_equal(S.t.problems, 0);
    /* Every finding says what put it at its severity. */
    for (size_t i = 0; i < S.a.findings.n; i++)
        if (!S.a.findings.v[i].basis || !S.a.findings.v[i].basis[0])
            fail_msg("%s has no basis for its severity", et_finding_kind_name(S.a.findings.v[i].kind));
}

static void build(void)
{
    build_from(0);
}

static void dump_findings(void)
{
    for (size_t i = 0; i < S.a.findings.n; i++) {
        const struct et_finding *f = &S.a.findings.v[i];
        print_message("  finding %zu: %s %s: %s\n", i, et_finding_kind_name(f->kind), et_severity_name(f->severity),
                      f->message);
    }
}

static unsigned count_kind(unsigned kind)
{
    unsigned n = 0;
    for (size_t i = 0; i < S.a.findings.n; i++)
        n += S.a.findings.v[i].kind == kind;
    return n;
}

/* The one finding of this kind. */
static const struct et_finding *the(unsigned kind)
{
    if (count_kind(kind) != 1) {
        dump_findings();
        fail_msg("expected exactly one %s finding, got %u", et_finding_kind_name(kind), count_kind(kind));
    }
    for (size_t i = 0; i < S.a.findings.n; i++)
        if (S.a.findings.v[i].kind == kind)
            return &S.a.findings.v[i];
    return NULL;
}

static void assert_none(unsigned kind)
{
    if (count_kind(kind) != 0) {
        dump_findings();
        fail_msg("expected no %s finding, got %u", et_finding_kind_name(kind), count_kind(kind));
    }
}

static void assert_no_findings(void)
{
    if (S.a.findings.n) {
        dump_findings();
        fail_msg("expected no findings, got %zu", S.a.findings.n);
    }
}

static void assert_says(const struct et_finding *f, const char *text)
{
    if (!strstr(f->message, text))
        fail_msg("message of %s does not say \"%s\":\n  %s", et_finding_kind_name(f->kind), text, f->message);
}

/* The processes a finding names, as (pid, start time), in order. */
static void assert_procs_(const struct et_finding *f, const struct pr *want, unsigned n)
{
    bool ok = f->nprocs == n;
    for (unsigned i = 0; ok && i < n; i++) {
        const struct et_proc *p = &S.a.model.procs[f->procs[i]];
        ok = p->pid == want[i].pid && p->start_time == want[i].st;
    }
    if (!ok) {
        for (unsigned i = 0; i < f->nprocs; i++)
            print_message("  procs[%u] = %u/%llu\n", i, S.a.model.procs[f->procs[i]].pid,
                          (unsigned long long)S.a.model.procs[f->procs[i]].start_time);
        fail_msg("%s names the wrong processes: %s", et_finding_kind_name(f->kind), f->message);
    }
}
#define assert_procs(f, ...)                                                                                           \
    assert_procs_((f), (struct pr[]){__VA_ARGS__}, sizeof((struct pr[]){__VA_ARGS__}) / sizeof(struct pr))

static int32_t index_of(struct pr p)
{
    for (size_t i = 0; i < S.a.model.nprocs; i++)
        if (S.a.model.procs[i].pid == p.pid && S.a.model.procs[i].start_time == p.st)
            return (int32_t)i;
    fail_msg("no process %u/%llu in the model", p.pid, (unsigned long long)p.st);
    return ET_NO_PROC;
}

static const struct et_proc *proc(struct pr p)
{
    return &S.a.model.procs[index_of(p)];
}

/* ---- zombie -------------------------------------------------------------------------- */

static const struct pr SH = {100, 10001};
static const struct pr KID = {200, 20001};

/* sh forks a child that runs "sleep 1". */
static void sh_and_kid(void)
{
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_child(SH, KID, MS(2000), "sleep 1", (struct ends){0});
}

static void zombie_reaped_after_the_threshold(void **state)
{
    (void)state;
    S.th.zombie_ns = MS(1000);
    sh_and_kid();
    ev_exit(KID, MS(3000), 0);
    ev_wait(SH, MS(2500), MS(4100), KID.pid, EXITED(0));
    build();
    const struct et_finding *f = the(ET_FK_ZOMBIE);
    assert_int_equal(f->severity, ET_SEV_WARNING);
    assert_procs(f, KID, SH);
    assert_says(f, "200 (sleep 1) exited at +3.000000 and stayed a zombie for 1.1 s, until its parent 100 (sh -c job) "
                   "reaped it at +4.100000");
    assert_int_equal(S.a.findings.n, 1);
}

static void near_miss_zombie_reaped_within_the_threshold(void **state)
{
    (void)state;
    S.th.zombie_ns = MS(1000);
    sh_and_kid();
    ev_exit(KID, MS(3000), 0);
    ev_wait(SH, MS(2500), MS(3900), KID.pid, EXITED(0));
    build();
    assert_no_findings();
}

/* Never reaped: a zombie until its parent ended, and the parent left it. */
static void zombie_never_reaped_lasts_until_its_parent_ends(void **state)
{
    (void)state;
    sh_and_kid();
    ev_exit(KID, MS(3000), 3);
    ev_exit(SH, MS(4500), 0);
    build();
    assert_int_equal(proc(KID)->end_how, ET_END_EXITED);
    assert_int_equal(proc(KID)->exit_code, 3);
    const struct et_finding *f = the(ET_FK_ZOMBIE);
    assert_procs(f, KID, SH);
    assert_says(f, "200 (sleep 1) exited at +3.000000 and its parent 100 (sh -c job) never reaped it: it stayed a "
                   "zombie for 1.5 s, until its parent ended");
    f = the(ET_FK_UNREAPED_AT_EXIT);
    assert_says(f, "200 (sleep 1) (already exited, a zombie)");
}

/* A zombie the parent never reaped while still running, to the end of the
 * trace; and the same child at less than the threshold is nothing. */
static void zombie_until_the_end_of_the_trace(void **state)
{
    (void)state;
    S.th.zombie_ns = MS(1000);
    sh_and_kid();
    ev_exit(KID, MS(3000), 0);
    ev_close(SH, MS(4200), RD(9, 1)); /* sh still busy: the trace goes on */
    build();
    const struct et_finding *f = the(ET_FK_ZOMBIE);
    assert_says(f, "it stayed a zombie for 1.2 s, until the end of the trace");
}

static void zombie_not_reported_when_the_kernel_reaps(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_sigchld(SH, MS(1500), ET_DISP_IGNORE, 0);
    ev_child(SH, KID, MS(2000), "sleep 1", (struct ends){0});
    ev_exit(KID, MS(3000), 0);
    ev_exit(SH, MS(9000), 0);
    build();
    assert_true(proc(KID)->reaped_by_kernel);
    assert_true(proc(KID)->flags & ET_PF_REAPED);
    assert_no_findings();
}

/* Reaped by the kernel while SIGCHLD was ignored: restoring the default
 * later does not make it a zombie after the fact. */
static void zombie_not_reported_after_sigchld_is_restored(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_sigchld(SH, MS(1500), ET_DISP_IGNORE, 0);
    ev_child(SH, KID, MS(2000), "sleep 1", (struct ends){0});
    ev_exit(KID, MS(3000), 0);
    ev_sigchld(SH, MS(3500), ET_DISP_DEFAULT, 0);
    ev_exit(SH, MS(9000), 0);
    build();
    assert_none(ET_FK_ZOMBIE);
    assert_none(ET_FK_UNREAPED_AT_EXIT);
}

/* Killed without a kill record: when it died is a guess (some time before
 * its reap), too weak to call it a zombie. */
static void zombie_not_reported_when_death_time_is_a_guess(void **state)
{
    (void)state;
    sh_and_kid();
    ev_wait(SH, MS(2500), MS(6000), KID.pid, KILLED(SIGSEGV));
    build();
    assert_false(proc(KID)->end_ts_exact);
    assert_none(ET_FK_ZOMBIE);
}

/* An untraced parent's waits are not in the trace. */
static void zombie_not_reported_for_an_untraced_parent(void **state)
{
    (void)state;
    ev_start(.p = KID, .ppid = 50, .ts = MS(1000), .cmd = "worker");
    ev_exit(KID, MS(2000), 0);
    ev_start(.p = PR(300), .ppid = 1, .ts = MS(9000), .cmd = "later");
    build();
    assert_none(ET_FK_ZOMBIE);
}

/* ---- unreaped-at-exit ---------------------------------------------------------------- */

static void unreaped_at_exit_lists_the_children_left_running(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_child(SH, PR(200), MS(2000), "sleep 100", (struct ends){0});
    ev_child(SH, PR(300), MS(2100), "sleep 200", (struct ends){0});
    ev_exit(SH, MS(3000), 0);
    build();
    const struct et_finding *f = the(ET_FK_UNREAPED_AT_EXIT);
    assert_int_equal(f->severity, ET_SEV_WARNING);
    assert_procs(f, SH, PR(200), PR(300));
    assert_says(f, "100 (sh -c job) exited at +3.000000 without waiting for 2 children it started: 200 (sleep 100), "
                   "300 (sleep 200)");
    assert_true(proc(PR(200))->flags & ET_PF_ORPHANED);
    assert_int_equal(S.a.findings.n, 1);
}

/* A ring that went round: the children were started before its complete
 * history, and whether they were waited for may have been in what was
 * overwritten.  Nothing is judged from it; the parent is still named. */
static void a_wrapped_ring_judges_nothing_from_before_its_complete_history(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_child(SH, PR(200), MS(2000), "sleep 100", (struct ends){0});
    ev_child(SH, PR(300), MS(2100), "sleep 200", (struct ends){0});
    ev_exit(SH, MS(3000), 0);
    build_from(MS(2500));
    assert_no_findings();
    assert_true(S.a.model.records_before_history > 0);
    const struct et_proc *sh = proc(SH);
    assert_true(sh->flags & ET_PF_BEFORE_HISTORY);
    assert_string_equal(et_proc_command(sh), "sh -c job");
    assert_true(sh->flags & ET_PF_ENDED);
}

/* The same run, its history complete from before it began: judged as a
 * trace of fixed size is. */
static void a_wrapped_ring_judges_what_its_complete_history_holds(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_child(SH, PR(200), MS(2000), "sleep 100", (struct ends){0});
    ev_child(SH, PR(300), MS(2100), "sleep 200", (struct ends){0});
    ev_exit(SH, MS(3000), 0);
    build_from(MS(500));
    assert_int_equal(the(ET_FK_UNREAPED_AT_EXIT)->severity, ET_SEV_WARNING);
    assert_false(proc(SH)->flags & ET_PF_BEFORE_HISTORY);
}

/* A checkpoint of a ring (the launcher restating the live tree) names a
 * process whose start was overwritten, and says which pipe ends it holds;
 * a process whose start is in the trace keeps what the trace says. */
static void checkpoint(uint64_t ts, struct pr p, uint32_t ppid, const char *cmdline, size_t cmdline_len,
                       struct et_pipe_end *ends, uint32_t nends)
{
    char *line = malloc(cmdline_len + 1);
    assert_non_null(line);
    memcpy(line, cmdline, cmdline_len + 1);
    struct et_live_proc live = {.pid = (int32_t)p.pid, .start_time = p.st, .ppid = ppid, .pgid = SHELL_PGID,
                                .sid = SHELL_PGID, .state = 'S', .comm = "sh", .pipes = ends, .npipes = nends,
                                .exe = strdup("/bin/sh"), .cmdline = line, .cmdline_len = cmdline_len};
    struct et_live_tree tree = {&live, 1};
    assert_int_equal(et_live_write(writer_of(p), 0, ET_SNAP_CHECKPOINT, ts, &tree), 1);
    free(live.exe);
    free(line);
}

static void a_checkpoint_restates_a_process_started_before_the_history(void **state)
{
    (void)state;
    struct et_pipe_end ends[] = {WR(1, 777)};
    checkpoint(MS(3000), SH, 1, "sh\0-c\0job", 9, ends, 1);
    build_from(MS(2500));
    assert_no_findings();
    const struct et_proc *sh = proc(SH);
    assert_true(sh->flags & ET_PF_BEFORE_HISTORY);
    assert_true(sh->flags & ET_PF_HOLDS_FROM_CHECKPOINT);
    assert_string_equal(et_proc_command(sh), "sh -c job");
    assert_int_equal(sh->nholds, 1);
    assert_true(sh->holds[0].write && !sh->holds[0].read);
    assert_int_equal(sh->holds[0].fd, 1);
    assert_int_equal(S.a.model.pipes[sh->holds[0].pipe].inode, 777);
}

static void a_checkpoint_changes_nothing_the_trace_says(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    struct et_pipe_end ends[] = {WR(1, 777)};
    checkpoint(MS(3000), SH, 1, "sh\0-c\0other", 11, ends, 1);
    ev_exit(SH, MS(4000), 0);
    build();
    const struct et_proc *sh = proc(SH);
    assert_false(sh->flags & (ET_PF_BEFORE_HISTORY | ET_PF_HOLDS_FROM_CHECKPOINT));
    assert_string_equal(et_proc_command(sh), "sh -c job");
    assert_int_equal(S.a.model.snapshot, 0); /* not a look at a hang */
}

static void near_miss_unreaped_at_exit_the_parent_waited(void **state)
{
    (void)state;
    sh_and_kid();
    ev_exit(KID, MS(3000), 0);
    ev_wait(SH, MS(2500), MS(3001), KID.pid, EXITED(0));
    ev_exit(SH, MS(3500), 0);
    build();
    assert_no_findings();
}

/* setsid() is how a daemon says it is on its own. */
static void unreaped_at_exit_ignores_a_child_that_called_setsid(void **state)
{
    (void)state;
    sh_and_kid();
    ev_setsid(KID, MS(2500));
    ev_exit(SH, MS(3000), 0);
    build();
    assert_true(proc(KID)->flags & ET_PF_DETACHED);
    assert_none(ET_FK_UNREAPED_AT_EXIT);
}

/* The classic daemon: the middle process makes a session, starts the
 * daemon in it and exits at once, on purpose. */
static void unreaped_at_exit_ignores_the_middle_of_a_double_fork(void **state)
{
    (void)state;
    static const struct pr DAEMON = {300, 30001};
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "starter");
    ev_child(SH, KID, MS(2000), NULL, (struct ends){0});
    ev_setsid(KID, MS(2100));
    ev_fork(KID, MS(2200), DAEMON.pid);
    ev_start(.p = DAEMON, .ppid = KID.pid, .ts = MS(2201), .pgid = KID.pid, .sid = KID.pid);
    ev_exit(KID, MS(2300), 0);
    ev_wait(SH, MS(2000), MS(2310), KID.pid, W_EXITCODE(0, 0));
    ev_exit(SH, MS(2400), 0);
    build();
    assert_none(ET_FK_UNREAPED_AT_EXIT);
}

static void unreaped_at_exit_ignores_a_parent_that_ignores_sigchld(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_sigchld(SH, MS(1500), ET_DISP_IGNORE, 0);
    ev_child(SH, KID, MS(2000), "sleep 100", (struct ends){0});
    ev_exit(SH, MS(3000), 0);
    build();
    assert_none(ET_FK_UNREAPED_AT_EXIT);
}

/* SA_NOCLDWAIT with a default disposition has the same effect. */
static void unreaped_at_exit_ignores_a_parent_with_sa_nocldwait(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_sigchld(SH, MS(1500), ET_DISP_DEFAULT, SA_NOCLDWAIT);
    ev_child(SH, KID, MS(2000), "sleep 100", (struct ends){0});
    ev_exit(SH, MS(3000), 0);
    build();
    assert_none(ET_FK_UNREAPED_AT_EXIT);
}

/* A parent that was killed did not choose to leave: that is
 * orphaned-descendants' business. */
static void unreaped_at_exit_not_reported_for_a_killed_parent(void **state)
{
    (void)state;
    struct pr top = PR(90);
    ev_start(.p = top, .ppid = 1, .ts = MS(500), .cmd = "timeout 5 sh");
    ev_child(top, SH, MS(900), "sh -c job", (struct ends){0});
    ev_child(SH, KID, MS(2000), "sleep 100", (struct ends){0});
    ev_kill(top, 0, MS(5000), (int32_t)SH.pid, SIGKILL, 0, 0);
    ev_wait(top, MS(4000), MS(5010), SH.pid, KILLED(SIGKILL));
    /* The top process lives on a while, so the sleep demonstrably outlived
     * the shell (a trace that simply stops is no evidence). */
    ev_exit(top, MS(6000), 0);
    build();
    assert_int_equal(proc(SH)->end_how, ET_END_KILLED);
    assert_none(ET_FK_UNREAPED_AT_EXIT);
    assert_int_equal(count_kind(ET_FK_ORPHANED_DESCENDANTS), 1);
}

/* timeout (under the launcher) kills sh; sh's sleep is still running when
 * the trace stops, 10 ms later. */
static void killed_shell_and_a_trace_that_stops(void)
{
    static const struct pr LAUNCHER = {80, 8001};
    struct pr top = PR(90);
    ev_start(.p = LAUNCHER, .ppid = 1, .ts = MS(100), .cmd = "exectrace run", .origin = ET_ORIGIN_LAUNCHER);
    ev_start(.p = top, .ppid = LAUNCHER.pid, .ts = MS(500), .cmd = "timeout 5 sh");
    ev_child(top, SH, MS(900), "sh -c job", (struct ends){0});
    ev_child(SH, KID, MS(2000), "sleep 100", (struct ends){0});
    ev_kill(top, 0, MS(5000), (int32_t)SH.pid, SIGKILL, 0, 0);
    ev_wait(top, MS(4000), MS(5010), SH.pid, KILLED(SIGKILL));
}

/* A trace that stops 10 ms after the kill is no evidence that the sleep
 * outlived the shell... */
static void orphan_still_running_when_the_trace_stops_soon_after_is_not_reported(void **state)
{
    (void)state;
    killed_shell_and_a_trace_that_stops();
    build();
    assert_none(ET_FK_ORPHANED_DESCENDANTS);
}

/* ...but exectrace listing it as still running at its stop is. */
static void orphan_the_launcher_left_running_is_reported(void **state)
{
    (void)state;
    static const struct pr LAUNCHER = {80, 8001};
    killed_shell_and_a_trace_that_stops();
    struct {
        struct et_run_end b;
        int32_t left[2];
    } end = {{.command_pid = 90, .left_running = 1}, {(int32_t)KID.pid, 0}};
    emit(LAUNCHER, 0, ET_REC_RUN_END, MS(5020), 0, &end, sizeof(end.b) + sizeof(int32_t));
    build();
    assert_int_equal(count_kind(ET_FK_ORPHANED_DESCENDANTS), 1);
    assert_true(proc(KID)->flags & ET_PF_LEFT_RUNNING);
}

/* The launcher's command execs a static tool (not traced), which starts a
 * traced child, kills it and reaps it: only the launcher's stop, with
 * nothing left running, says that child ended. */
static void static_tool_that_reaps_a_traced_child(const int32_t *left, uint16_t nleft)
{
    static const struct pr LAUNCHER = {80, 8001};
    struct pr tool = PR(90);
    ev_start(.p = LAUNCHER, .ppid = 1, .ts = MS(100), .cmd = "exectrace run", .origin = ET_ORIGIN_LAUNCHER);
    ev_child(LAUNCHER, tool, MS(200), "sh -c ./static-tool", (struct ends){0});
    ev_exec(tool, MS(300), "./static-tool", 0);
    ev_start(.p = KID, .ppid = tool.pid, .ts = MS(400), .cmd = "worker");
    ev_reaped(LAUNCHER, MS(900), tool, EXITED(0), ET_REAPED_COMMAND);
    struct {
        struct et_run_end b;
        int32_t left[2];
    } end = {{.command_pid = (int32_t)tool.pid, .left_running = nleft}, {0, 0}};
    for (uint16_t i = 0; i < nleft && i < 2; i++)
        end.left[i] = left[i];
    emit(LAUNCHER, 0, ET_REC_RUN_END, MS(1000), 0, &end, sizeof(end.b) + nleft * sizeof(int32_t));
    build();
}

static void end_seen_only_by_an_untraced_parent(void **state)
{
    (void)state;
    static_tool_that_reaps_a_traced_child(NULL, 0);
    const struct et_proc *k = proc(KID);
    assert_false(k->flags & ET_PF_ENDED); /* no time is made up for it */
    assert_true(k->flags & ET_PF_END_UNSEEN);
    assert_false(k->flags & ET_PF_ORPHANED); /* else the launcher would have reaped it */
    assert_int_equal(et_proc_unseen_reaper(&S.a.model, index_of(KID)), index_of(PR(90)));
    assert_none(ET_FK_ORPHANED_DESCENDANTS);
}

/* The same, but exectrace left the worker running: it may still run. */
static void end_unseen_not_claimed_for_what_was_left_running(void **state)
{
    (void)state;
    const int32_t left[] = {(int32_t)KID.pid};
    static_tool_that_reaps_a_traced_child(left, 1);
    assert_false(proc(KID)->flags & ET_PF_END_UNSEEN);
    assert_true(proc(KID)->flags & ET_PF_LEFT_RUNNING);
}

/* ---- orphaned-descendants ------------------------------------------------------------ */

static const struct pr TOP = {90, 9001};
static const struct pr GRAND = {300, 30001};

/* timeout -> sh -> sleep 10; timeout kills sh at 5 s. */
static void killed_with_a_grandchild(void)
{
    ev_start(.p = TOP, .ppid = 1, .ts = MS(500), .cmd = "timeout 5 sh");
    ev_child(TOP, SH, MS(900), "sh -c job", (struct ends){0});
    ev_child(SH, GRAND, MS(2000), "sleep 10", (struct ends){0});
    ev_wait_enter(TOP, 0, MS(1000), ET_WAIT_WAITPID, SH.pid);
    ev_kill(TOP, 91, MS(5000), (int32_t)SH.pid, SIGKILL, 0, 0);
    ev_wait_return(TOP, 0, MS(5010), ET_WAIT_WAITPID, (int32_t)SH.pid, KILLED(SIGKILL), 0);
}

static void orphaned_descendants_after_a_kill(void **state)
{
    (void)state;
    killed_with_a_grandchild();
    ev_exit(GRAND, MS(15000), 0);
    build();
    const struct et_finding *f = the(ET_FK_ORPHANED_DESCENDANTS);
    assert_int_equal(f->severity, ET_SEV_WARNING);
    assert_procs(f, SH, GRAND);
    assert_says(f, "100 (sh -c job) was killed by SIGKILL at +5.000000 while 1 descendant lived on: 300 (sleep 10), "
                   "outlived it by 10 s");
    /* The kill dated the death exactly, though sh wrote no exit record. */
    assert_int_equal(proc(SH)->end_ts, MS(5000));
    assert_true(proc(SH)->end_ts_exact);
}

static void near_miss_orphaned_descendants_ending_within_the_threshold(void **state)
{
    (void)state;
    S.th.orphan_ns = MS(1000);
    killed_with_a_grandchild();
    ev_exit(GRAND, MS(5000 + 900), 0);
    build();
    assert_none(ET_FK_ORPHANED_DESCENDANTS);
}

static void orphaned_descendants_past_the_threshold(void **state)
{
    (void)state;
    S.th.orphan_ns = MS(1000);
    killed_with_a_grandchild();
    ev_exit(GRAND, MS(5000 + 1100), 0);
    build();
    assert_says(the(ET_FK_ORPHANED_DESCENDANTS), "outlived it by 1.1 s");
}

static void orphaned_descendant_still_running_at_the_end(void **state)
{
    (void)state;
    killed_with_a_grandchild();
    ev_exit(TOP, MS(8000), 0);
    build();
    const struct et_finding *f = the(ET_FK_ORPHANED_DESCENDANTS);
    assert_says(f, "300 (sleep 10), still running at the end of the trace, 3.0 s later");
    assert_int_equal(proc(GRAND)->end_how, ET_END_RUNNING);
    assert_false(proc(GRAND)->flags & ET_PF_ENDED);
}

/* Descendants several levels down count, each once. */
static void orphaned_descendants_include_grandchildren(void **state)
{
    (void)state;
    killed_with_a_grandchild();
    struct pr ggc = PR(400);
    ev_child(GRAND, ggc, MS(3000), "cat", (struct ends){0});
    ev_exit(GRAND, MS(7000), 0);
    ev_exit(ggc, MS(8000), 0);
    build();
    const struct et_finding *f = the(ET_FK_ORPHANED_DESCENDANTS);
    assert_procs(f, SH, GRAND, ggc);
    assert_says(f, "while 2 descendants lived on: 300 (sleep 10), outlived it by 2.0 s; 400 (cat), outlived it by 3.0 s");
}

static void orphaned_descendants_not_reported_after_a_normal_exit(void **state)
{
    (void)state;
    ev_start(.p = TOP, .ppid = 1, .ts = MS(500), .cmd = "timeout 5 sh");
    ev_child(TOP, SH, MS(900), "sh -c job", (struct ends){0});
    ev_child(SH, GRAND, MS(2000), "sleep 10", (struct ends){0});
    ev_exit(SH, MS(5000), 0);
    ev_wait(TOP, MS(1000), MS(5010), SH.pid, EXITED(0));
    ev_exit(GRAND, MS(15000), 0);
    build();
    assert_none(ET_FK_ORPHANED_DESCENDANTS);
    assert_int_equal(count_kind(ET_FK_UNREAPED_AT_EXIT), 1);
}

static void orphaned_descendants_not_reported_when_they_ended_first(void **state)
{
    (void)state;
    ev_start(.p = TOP, .ppid = 1, .ts = MS(500), .cmd = "timeout 5 sh");
    ev_child(TOP, SH, MS(900), "sh -c job", (struct ends){0});
    ev_child(SH, GRAND, MS(2000), "sleep 1", (struct ends){0});
    ev_exit(GRAND, MS(3000), 0);
    ev_wait(SH, MS(2500), MS(3001), GRAND.pid, EXITED(0));
    ev_kill(TOP, 0, MS(5000), (int32_t)SH.pid, SIGKILL, 0, 0);
    ev_wait(TOP, MS(5001), MS(5010), SH.pid, KILLED(SIGKILL));
    build();
    assert_none(ET_FK_ORPHANED_DESCENDANTS);
}

/* ---- held-pipe ------------------------------------------------------------------------- */

static const struct pr PY = {100, 10001};
static const struct pr CHILD = {200, 20001};
#define PIPE_INO 555

/* The classic hang: python runs `sh -c 'sleep 10 &'` with its output on a
 * pipe, kills sh at its timeout, and reads on while sleep holds the pipe. */
static void python_runs_sh_with_a_background_job(void)
{
    ev_start(.p = PY, .ppid = 1, .ts = MS(1000), .cmd = "python3 run.py");
    ev_pipe(PY, MS(1100), 3, 4, PIPE_INO);
    ev_child(PY, CHILD, MS(1200), "sh -c job", ENDS(WR(1, PIPE_INO)));
    ev_close(PY, MS(1300), WR(4, PIPE_INO));
    ev_child(CHILD, GRAND, MS(1400), "sleep 10", ENDS(WR(1, PIPE_INO)));
    ev_wait_enter(PY, 0, MS(1500), ET_WAIT_WAITPID, CHILD.pid);
    ev_kill(PY, 101, MS(2000), (int32_t)CHILD.pid, SIGKILL, 0, 0);
    ev_wait_return(PY, 0, MS(2010), ET_WAIT_WAITPID, (int32_t)CHILD.pid, KILLED(SIGKILL), 0);
}

static void held_pipe_by_a_grandchild_after_its_parent_was_killed(void **state)
{
    (void)state;
    python_runs_sh_with_a_background_job();
    ev_exit(GRAND, MS(12000), 0);
    build();
    const struct et_finding *f = the(ET_FK_HELD_PIPE);
    assert_int_equal(f->severity, ET_SEV_WARNING);
    assert_procs(f, GRAND, CHILD, PY);
    assert_says(f, "100 (python3 run.py) made pipe:[555] for the output of 200 (sh -c job). When 200 was killed at "
                   "+2.000000, 300 (sleep 10) still held the write end (fd 1), inherited from it, and kept the pipe "
                   "open for 10 s more, until +12.000000: 100 (python3 run.py), reading it, could see end-of-file only that late; "
                   "no reader was seen waiting for it (100 (python3 run.py) records its reads: none blocked 100 ms "
                   "or more meanwhile)");
    assert_none(ET_FK_PARENT_HOLDS_WRITE_END);
}

/* The same with the reader seen waiting: the harm happened. */
static void held_pipe_with_its_reader_seen_waiting(void **state)
{
    (void)state;
    python_runs_sh_with_a_background_job();
    ev_pipe_wait(PY, MS(1500), MS(12000) + 100, ET_SYS_poll, RD(3, PIPE_INO), 1);
    ev_pipe_eof(PY, MS(12000) + 200, RD(3, PIPE_INO));
    ev_exit(GRAND, MS(12000), 0);
    build();
    const struct et_finding *f = the(ET_FK_HELD_PIPE);
    assert_int_equal(f->severity, ET_SEV_ERROR);
    assert_says(f, "could see end-of-file only that late; it waited for it: its poll, blocked since +1.500000, was still waiting 10 s "
                   "after 200 ended, and it saw end-of-file at +12.000000");
}

/* A wait that ended before the writer did is no harm of this holder's. */
static void near_miss_held_pipe_error_a_wait_that_ended_before_the_writer(void **state)
{
    (void)state;
    python_runs_sh_with_a_background_job();
    ev_pipe_wait(PY, MS(1500), MS(1900), ET_SYS_read, RD(3, PIPE_INO), 10);
    ev_exit(GRAND, MS(12000), 0);
    build();
    assert_int_equal(the(ET_FK_HELD_PIPE)->severity, ET_SEV_WARNING);
}

static void near_miss_held_pipe_released_within_the_threshold(void **state)
{
    (void)state;
    S.th.held_pipe_ns = MS(1000);
    python_runs_sh_with_a_background_job();
    ev_exit(GRAND, MS(2000 + 900), 0);
    build();
    assert_none(ET_FK_HELD_PIPE);
}

static void held_pipe_released_past_the_threshold(void **state)
{
    (void)state;
    S.th.held_pipe_ns = MS(1000);
    python_runs_sh_with_a_background_job();
    ev_exit(GRAND, MS(2000 + 1100), 0);
    build();
    assert_says(the(ET_FK_HELD_PIPE), "for 1.1 s more, until +3.100000");
}

/* Letting go of the pipe is what counts, not exiting: a close does it. */
static void held_pipe_ends_with_the_holders_close(void **state)
{
    (void)state;
    python_runs_sh_with_a_background_job();
    ev_close(GRAND, MS(2050), WR(1, PIPE_INO));
    ev_exit(GRAND, MS(12000), 0);
    build();
    assert_none(ET_FK_HELD_PIPE);
}

static void held_pipe_still_held_at_the_end_of_the_trace(void **state)
{
    (void)state;
    python_runs_sh_with_a_background_job();
    ev_close(PY, MS(5000), RD(3, PIPE_INO));
    build();
    assert_says(the(ET_FK_HELD_PIPE), "kept the pipe open until the end of the trace, 3.0 s later: 100 (python3 "
                                      "run.py), reading it, could see end-of-file never");
}

/* A process outside the writer's tree holding a copy at fd 3 or above got it
 * by accident (a leak), not as its output. */
static void held_pipe_by_an_accidental_copy_outside_the_tree(void **state)
{
    (void)state;
    struct pr daemon = PR(400);
    ev_start(.p = PY, .ppid = 1, .ts = MS(1000), .cmd = "python3 run.py");
    ev_pipe(PY, MS(1100), 3, 4, PIPE_INO);
    ev_child(PY, CHILD, MS(1200), "grep x", ENDS(WR(1, PIPE_INO)));
    ev_child(PY, daemon, MS(1250), "daemon", ENDS(RD(3, PIPE_INO), WR(4, PIPE_INO)));
    ev_close(PY, MS(1300), WR(4, PIPE_INO));
    ev_exit(CHILD, MS(2000), 0);
    ev_exit(daemon, MS(8000), 0);
    build();
    const struct et_finding *f = the(ET_FK_HELD_PIPE);
    assert_procs(f, daemon, CHILD, PY);
    assert_says(f, "When 200 ended at +2.000000, 400 (daemon) still held the write end (fd 4), a copy it was not "
                   "meant to have, and kept the pipe open for 6.0 s more, until +8.000000");
    /* python never reaped grep: it was waiting for EOF, which the pipe
     * finding explains. */
    assert_none(ET_FK_ZOMBIE);
    assert_int_equal(count_kind(ET_FK_FD_LEAK_EXEC), 1);
}

/* `a 2>&1 | ...`-style sharing: a sibling given the pipe as its own stdout
 * or stderr is meant to write to it. */
static void held_pipe_not_reported_for_a_sibling_writing_to_it_on_purpose(void **state)
{
    (void)state;
    struct pr sibling = PR(400);
    ev_start(.p = PY, .ppid = 1, .ts = MS(1000), .cmd = "python3 run.py");
    ev_pipe(PY, MS(1100), 3, 4, PIPE_INO);
    ev_child(PY, CHILD, MS(1200), "grep x", ENDS(WR(1, PIPE_INO)));
    ev_child(PY, sibling, MS(1250), "logger", ENDS(WR(2, PIPE_INO)));
    ev_close(PY, MS(1300), WR(4, PIPE_INO));
    ev_exit(CHILD, MS(2000), 0);
    ev_wait(PY, MS(1500), MS(2010), CHILD.pid, EXITED(0));
    ev_exit(sibling, MS(8000), 0);
    build();
    assert_none(ET_FK_HELD_PIPE);
}

/* Only pipes the writer's parent made are its output: here the pipe came
 * from the grandparent. */
static void held_pipe_needs_the_pipe_made_by_the_writers_parent(void **state)
{
    (void)state;
    struct pr bash = PR(50);
    ev_start(.p = bash, .ppid = 1, .ts = MS(500), .cmd = "bash");
    ev_pipe(bash, MS(600), 3, 4, PIPE_INO);
    ev_child(bash, PY, MS(700), NULL, ENDS(RD(3, PIPE_INO), WR(4, PIPE_INO)));
    ev_child(PY, CHILD, MS(1200), "sh -c job", ENDS(WR(1, PIPE_INO)));
    ev_close(PY, MS(1300), WR(4, PIPE_INO));
    ev_close(bash, MS(1300), WR(4, PIPE_INO));
    ev_child(CHILD, GRAND, MS(1400), "sleep 10", ENDS(WR(1, PIPE_INO)));
    ev_kill(PY, 0, MS(2000), (int32_t)CHILD.pid, SIGKILL, 0, 0);
    ev_wait(PY, MS(2001), MS(2010), CHILD.pid, KILLED(SIGKILL));
    ev_exit(GRAND, MS(12000), 0);
    build();
    assert_none(ET_FK_HELD_PIPE);
}

/* Nobody reading: nobody kept waiting. */
static void held_pipe_needs_a_reader(void **state)
{
    (void)state;
    ev_start(.p = PY, .ppid = 1, .ts = MS(1000), .cmd = "python3 run.py");
    ev_pipe(PY, MS(1100), 3, 4, PIPE_INO);
    ev_child(PY, CHILD, MS(1200), "sh -c job", ENDS(WR(1, PIPE_INO)));
    ev_close(PY, MS(1300), WR(4, PIPE_INO));
    ev_close(PY, MS(1310), RD(3, PIPE_INO));
    ev_child(CHILD, GRAND, MS(1400), "sleep 10", ENDS(WR(1, PIPE_INO)));
    ev_kill(PY, 0, MS(2000), (int32_t)CHILD.pid, SIGKILL, 0, 0);
    ev_wait(PY, MS(2001), MS(2010), CHILD.pid, KILLED(SIGKILL));
    ev_exit(GRAND, MS(12000), 0);
    build();
    assert_none(ET_FK_HELD_PIPE);
}

/* A writer that holds both ends uses the pipe as a token (make's jobserver),
 * not as its output. */
static void held_pipe_not_reported_for_a_writer_holding_both_ends(void **state)
{
    (void)state;
    ev_start(.p = PY, .ppid = 1, .ts = MS(1000), .cmd = "python3 run.py");
    ev_pipe(PY, MS(1100), 3, 4, PIPE_INO);
    ev_child(PY, CHILD, MS(1200), "sh -c job", ENDS(RD(3, PIPE_INO), WR(4, PIPE_INO)));
    ev_child(CHILD, GRAND, MS(1400), "sleep 10", ENDS(RD(3, PIPE_INO), WR(4, PIPE_INO)));
    ev_kill(PY, 0, MS(2000), (int32_t)CHILD.pid, SIGKILL, 0, 0);
    ev_wait(PY, MS(2001), MS(2010), CHILD.pid, KILLED(SIGKILL));
    ev_exit(GRAND, MS(12000), 0);
    build();
    assert_none(ET_FK_HELD_PIPE);
    assert_none(ET_FK_PARENT_HOLDS_WRITE_END);
}

/* The write end reached the writer through dup2 onto stdout, and the parent
 * closed its own copy with close_range: the holds follow both. */
static void held_pipe_follows_dup2_and_close(void **state)
{
    (void)state;
    ev_start(.p = PY, .ppid = 1, .ts = MS(1000), .cmd = "python3 run.py");
    ev_pipe(PY, MS(1100), 3, 4, PIPE_INO);
    ev_fork(PY, MS(1200), CHILD.pid);
    ev_start(.p = CHILD, .ppid = PY.pid, .ts = MS(1201), .ends = ENDS(RD(3, PIPE_INO), WR(4, PIPE_INO)));
    ev_dup2(CHILD, MS(1202), WR(4, PIPE_INO), 1);
    ev_close(CHILD, MS(1203), RD(3, PIPE_INO));
    ev_close(CHILD, MS(1204), WR(4, PIPE_INO));
    ev_exec(CHILD, MS(1205), "sh -c job", 0);
    ev_start(.p = CHILD, .ppid = PY.pid, .ts = MS(1206), .cmd = "sh -c job", .ends = ENDS(WR(1, PIPE_INO)));
    struct {
        struct et_close_range b;
        struct et_pipe_end e;
    } cr = {{.kind = ET_CLOSE_RANGE, .pipe_count = 1, .first = 4, .last = ~0u}, WR(4, PIPE_INO)};
    emit(PY, 0, ET_REC_CLOSE_RANGE, MS(1300), 0, &cr, sizeof(cr));
    ev_child(CHILD, GRAND, MS(1400), "sleep 10", ENDS(WR(1, PIPE_INO)));
    ev_kill(PY, 0, MS(2000), (int32_t)CHILD.pid, SIGKILL, 0, 0);
    ev_wait(PY, MS(2001), MS(2010), CHILD.pid, KILLED(SIGKILL));
    ev_exit(GRAND, MS(12000), 0);
    build();
    assert_procs(the(ET_FK_HELD_PIPE), GRAND, CHILD, PY);
    assert_none(ET_FK_PARENT_HOLDS_WRITE_END);
}

/* The holder's stdout moved to another pipe (dup2 over fd 1): its copy of
 * the first pipe went at that moment, not when it exited. */
static void held_pipe_ends_when_dup2_replaces_the_holders_copy(void **state)
{
    (void)state;
    python_runs_sh_with_a_background_job();
    ev_pipe(GRAND, MS(2500), 5, 6, 666);
    ev_dup2(GRAND, MS(3000), WR(6, 666), 1);
    ev_exit(GRAND, MS(12000), 0);
    build();
    assert_says(the(ET_FK_HELD_PIPE), "kept the pipe open for 1.0 s more, until +3.000000");
}

/* The same with a file that is not a pipe (>/dev/null) over fd 1. */
static void held_pipe_ends_when_dup2_puts_a_file_over_the_holders_copy(void **state)
{
    (void)state;
    python_runs_sh_with_a_background_job();
    struct et_dup b = {.kind = ET_DUP_DUP2, .oldfd = 5, .newfd = 1, .result = 1, .replaced = WR(1, PIPE_INO)};
    b.source.fd = -1;
    emit(GRAND, 0, ET_REC_DUP, MS(3000), 0, &b, sizeof(b));
    ev_exit(GRAND, MS(12000), 0);
    build();
    assert_says(the(ET_FK_HELD_PIPE), "kept the pipe open for 1.0 s more, until +3.000000");
}

/* A shell pipeline `a | b`: the shell closes both ends as soon as it has
 * forked, and here its closes are recorded before the children's first
 * records (a race the children often lose).  The pipe is still the shell's,
 * and a's background job still holds it. */
static void held_pipe_in_a_pipeline_whose_shell_closed_its_ends_first(void **state)
{
    (void)state;
    struct pr a = PR(200), b = PR(300), bg = PR(400);
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c pipeline");
    ev_pipe(SH, MS(1100), 3, 4, PIPE_INO);
    ev_fork(SH, MS(1200), a.pid);
    ev_fork(SH, MS(1210), b.pid);
    ev_close(SH, MS(1220), RD(3, PIPE_INO));
    ev_close(SH, MS(1221), WR(4, PIPE_INO));
    ev_start(.p = a, .ppid = SH.pid, .ts = MS(1230), .cmd = "sh -c job", .ends = ENDS(WR(1, PIPE_INO)));
    ev_start(.p = b, .ppid = SH.pid, .ts = MS(1240), .cmd = "cat", .ends = ENDS(RD(0, PIPE_INO)));
    ev_child(a, bg, MS(1300), "sleep 10", ENDS(WR(1, PIPE_INO)));
    ev_exit(a, MS(2000), 0);
    ev_wait(SH, MS(1250), MS(2001), a.pid, EXITED(0));
    ev_exit(bg, MS(12000), 0);
    ev_exit(b, MS(12001), 0);
    build();
    const struct et_finding *f = the(ET_FK_HELD_PIPE);
    assert_procs(f, bg, a, SH, b);
    assert_says(f, "300 (cat), reading it, could see end-of-file only that late");
}

/* The same pipeline with the children's first records before the shell's
 * closes: the order the first case must not depend on. */
static void held_pipe_in_a_pipeline_whose_children_started_first(void **state)
{
    (void)state;
    struct pr a = PR(200), b = PR(300), bg = PR(400);
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c pipeline");
    ev_pipe(SH, MS(1100), 3, 4, PIPE_INO);
    ev_fork(SH, MS(1200), a.pid);
    ev_fork(SH, MS(1210), b.pid);
    ev_start(.p = a, .ppid = SH.pid, .ts = MS(1211), .cmd = "sh -c job", .ends = ENDS(WR(1, PIPE_INO)));
    ev_start(.p = b, .ppid = SH.pid, .ts = MS(1212), .cmd = "cat", .ends = ENDS(RD(0, PIPE_INO)));
    ev_close(SH, MS(1220), RD(3, PIPE_INO));
    ev_close(SH, MS(1221), WR(4, PIPE_INO));
    ev_child(a, bg, MS(1300), "sleep 10", ENDS(WR(1, PIPE_INO)));
    ev_exit(a, MS(2000), 0);
    ev_wait(SH, MS(1250), MS(2001), a.pid, EXITED(0));
    ev_exit(bg, MS(12000), 0);
    ev_exit(b, MS(12001), 0);
    build();
    const struct et_finding *f = the(ET_FK_HELD_PIPE);
    assert_procs(f, bg, a, SH, b);
    assert_says(f, "300 (cat), reading it, could see end-of-file only that late");
}

/* ---- parent-holds-write-end --------------------------------------------------------- */

static void parent_keeping_its_write_end(void **state)
{
    (void)state;
    ev_start(.p = PY, .ppid = 1, .ts = MS(1000), .cmd = "python3 run.py");
    ev_pipe(PY, MS(1100), 3, 4, PIPE_INO);
    ev_child(PY, CHILD, MS(1200), "grep x", ENDS(WR(1, PIPE_INO)));
    ev_exit(CHILD, MS(2000), 0);
    ev_pipe_wait(PY, MS(1300), MS(7000), ET_SYS_poll, RD(3, PIPE_INO), 0);
    ev_close(PY, MS(7000), WR(4, PIPE_INO));
    ev_wait(PY, MS(7050), MS(7100), CHILD.pid, EXITED(0));
    build();
    const struct et_finding *f = the(ET_FK_PARENT_HOLDS_WRITE_END);
    assert_int_equal(f->severity, ET_SEV_ERROR);
    assert_procs(f, PY, CHILD);
    assert_says(f, "100 (python3 run.py) made pipe:[555], gave its write end to 200 (grep x) and kept its own copy "
                   "(fd 4). When 200 ended at +2.000000, the pipe stayed open for 5.0 s more, until +7.000000: 100 "
                   "could not see end-of-file on its own read end; it waited for it: its poll, "
                   "blocked since +1.300000, was still waiting 5.0 s after 200 ended");
    /* The late reap is the consequence, already explained. */
    assert_none(ET_FK_ZOMBIE);
    assert_none(ET_FK_HELD_PIPE);
}

/* The same copy kept, but nobody waited on the pipe meanwhile (pass_fds
 * style): a latent pattern, not harm. */
static void near_miss_parent_holds_write_end_error_nobody_waiting(void **state)
{
    (void)state;
    ev_start(.p = PY, .ppid = 1, .ts = MS(1000), .cmd = "python3 run.py");
    ev_pipe(PY, MS(1100), 3, 4, PIPE_INO);
    ev_child(PY, CHILD, MS(1200), "grep x", ENDS(WR(1, PIPE_INO)));
    ev_exit(CHILD, MS(2000), 0);
    ev_close(PY, MS(7000), WR(4, PIPE_INO));
    ev_wait(PY, MS(7050), MS(7100), CHILD.pid, EXITED(0));
    build();
    const struct et_finding *f = the(ET_FK_PARENT_HOLDS_WRITE_END);
    assert_int_equal(f->severity, ET_SEV_INFO);
    assert_says(f, "no reader was seen waiting for it (100 (python3 run.py) records its reads: none blocked 100 ms or "
                   "more meanwhile)");
}

/* Two holders of the read end, one of them killed while the copy was held:
 * that nobody waited is known only if every reader's waiting would show. */
static void parent_keeping_its_write_end_with_a_second_reader_killed(void **state)
{
    (void)state;
    struct pr rd = PR(300);
    ev_start(.p = PY, .ppid = 1, .ts = MS(1000), .cmd = "python3 run.py");
    ev_pipe(PY, MS(1100), 3, 4, PIPE_INO);
    ev_child(PY, CHILD, MS(1200), "grep x", ENDS(WR(1, PIPE_INO)));
    ev_child(PY, rd, MS(1300), "reader", ENDS(RD(0, PIPE_INO)));
    ev_exit(CHILD, MS(2000), 0);
    ev_wait(PY, MS(4000), MS(5000), rd.pid, KILLED(SIGKILL));
    ev_close(PY, MS(7000), WR(4, PIPE_INO));
    ev_wait(PY, MS(7050), MS(7100), CHILD.pid, EXITED(0));
    build();
    const struct et_finding *f = the(ET_FK_PARENT_HOLDS_WRITE_END);
    assert_int_equal(f->severity, ET_SEV_WARNING);
    assert_says(f, "whether 300 (reader) waited for it is not known: it was killed while the pipe was held");
}

/* Killed while it held the copy: a read it was blocked in then would leave
 * no record, so that nobody waited is not known. */
static void parent_keeping_its_write_end_killed_while_holding_it(void **state)
{
    (void)state;
    struct pr sh = PR(50);
    ev_start(.p = sh, .ppid = 1, .ts = MS(900), .cmd = "sh run.sh");
    ev_fork(sh, MS(950), PY.pid);
    ev_start(.p = PY, .ppid = sh.pid, .ts = MS(1000), .cmd = "python3 run.py");
    ev_pipe(PY, MS(1100), 3, 4, PIPE_INO);
    ev_child(PY, CHILD, MS(1200), "grep x", ENDS(WR(1, PIPE_INO)));
    ev_exit(CHILD, MS(2000), 0);
    ev_wait(sh, MS(1500), MS(5000), PY.pid, KILLED(SIGKILL));
    build();
    const struct et_finding *f = the(ET_FK_PARENT_HOLDS_WRITE_END);
    assert_int_equal(f->severity, ET_SEV_WARNING);
    assert_says(f, "whether 100 (python3 run.py) waited for it is not known: it was killed while the pipe was held");
}

static void near_miss_parent_holds_write_end_closed_after_the_fork(void **state)
{
    (void)state;
    ev_start(.p = PY, .ppid = 1, .ts = MS(1000), .cmd = "python3 run.py");
    ev_pipe(PY, MS(1100), 3, 4, PIPE_INO);
    ev_child(PY, CHILD, MS(1200), "grep x", ENDS(WR(1, PIPE_INO)));
    ev_close(PY, MS(1210), WR(4, PIPE_INO));
    ev_exit(CHILD, MS(2000), 0);
    ev_wait(PY, MS(1500), MS(2010), CHILD.pid, EXITED(0));
    ev_close(PY, MS(2020), RD(3, PIPE_INO));
    build();
    assert_no_findings();
}

/* Closing just after the child ended is no hang. */
static void parent_write_end_threshold(void **state)
{
    (void)state;
    S.th.held_pipe_ns = MS(1000);
    ev_start(.p = PY, .ppid = 1, .ts = MS(1000), .cmd = "python3 run.py");
    ev_pipe(PY, MS(1100), 3, 4, PIPE_INO);
    ev_child(PY, CHILD, MS(1200), "grep x", ENDS(WR(1, PIPE_INO)));
    ev_exit(CHILD, MS(2000), 0);
    ev_close(PY, MS(2900), WR(4, PIPE_INO));
    ev_wait(PY, MS(2950), MS(2960), CHILD.pid, EXITED(0));
    build();
    assert_none(ET_FK_PARENT_HOLDS_WRITE_END);
}

/* A pipe that closed within the threshold explains nothing: the parent
 * then left its child a zombie for seconds on its own account. */
static void zombie_not_excused_by_a_pipe_that_closed_in_time(void **state)
{
    (void)state;
    ev_start(.p = PY, .ppid = 1, .ts = MS(1000), .cmd = "python3 run.py");
    ev_pipe(PY, MS(1100), 3, 4, PIPE_INO);
    ev_child(PY, CHILD, MS(1200), "grep x", ENDS(WR(1, PIPE_INO)));
    ev_exit(CHILD, MS(2000), 0);
    ev_close(PY, MS(2050), WR(4, PIPE_INO));
    ev_wait(PY, MS(8950), MS(9000), CHILD.pid, EXITED(0));
    build();
    assert_none(ET_FK_PARENT_HOLDS_WRITE_END);
    assert_says(the(ET_FK_ZOMBIE), "stayed a zombie for 7.0 s");
}

/* ---- fd-leak-exec -------------------------------------------------------------------- */

static void fd_leak_exec_reports_inherited_pipe_ends(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_pipe(SH, MS(1100), 3, 4, PIPE_INO);
    ev_child(SH, KID, MS(1200), "cat", ENDS(RD(3, PIPE_INO), WR(4, PIPE_INO)));
    build();
    const struct et_finding *f = the(ET_FK_FD_LEAK_EXEC);
    assert_int_equal(f->severity, ET_SEV_INFO);
    assert_procs(f, KID, SH);
    assert_says(f, "200 (cat) started with pipe ends it did not ask for, left open across exec: fd 3 (pipe:[555] read "
                   "end), 4 (pipe:[555] write end)");
}

static void fd_leak_exec_ignores_stdio(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_pipe(SH, MS(1100), 3, 4, PIPE_INO);
    ev_child(SH, KID, MS(1200), "cat", ENDS(RD(0, PIPE_INO), WR(2, PIPE_INO)));
    build();
    assert_none(ET_FK_FD_LEAK_EXEC);
}

/* make hands its jobserver pipe to every recipe on purpose. */
static void fd_leak_exec_ignores_the_make_jobserver(void **state)
{
    (void)state;
    struct pr make = PR(100);
    ev_start(.p = make, .ppid = 1, .ts = MS(1000), .cmd = "/usr/bin/make -j4");
    ev_pipe(make, MS(1100), 3, 4, PIPE_INO);
    ev_child(make, KID, MS(1200), "cc -c x.c", ENDS(RD(3, PIPE_INO), WR(4, PIPE_INO)));
    build();
    assert_none(ET_FK_FD_LEAK_EXEC);
}

/* What the traced tree was started with is its caller's business. */
static void fd_leak_exec_ignores_pipes_from_outside_the_tree(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job", .ends = ENDS(WR(5, 777)));
    ev_child(SH, KID, MS(1200), "cat", ENDS(WR(5, 777)));
    build();
    assert_none(ET_FK_FD_LEAK_EXEC);
}

/* The parent closed its ends right after the fork, before the child's
 * exec'd image wrote its first record: the ends the child leaked are still
 * of a pipe the tree made. */
static void fd_leak_exec_when_the_parent_closed_its_ends_first(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_pipe(SH, MS(1100), 3, 4, PIPE_INO);
    ev_fork(SH, MS(1200), KID.pid);
    ev_close(SH, MS(1210), RD(3, PIPE_INO));
    ev_close(SH, MS(1211), WR(4, PIPE_INO));
    ev_start(.p = KID, .ppid = SH.pid, .ts = MS(1300), .cmd = "cat", .ends = ENDS(RD(3, PIPE_INO), WR(4, PIPE_INO)));
    build();
    assert_procs(the(ET_FK_FD_LEAK_EXEC), KID, SH);
}

/* A fork child is the same program: nothing crossed an exec. */
static void near_miss_fd_leak_exec_no_exec(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_pipe(SH, MS(1100), 3, 4, PIPE_INO);
    ev_child(SH, KID, MS(1200), NULL, ENDS(RD(3, PIPE_INO), WR(4, PIPE_INO)));
    build();
    assert_none(ET_FK_FD_LEAK_EXEC);
}

/* ---- kill-after-reap ------------------------------------------------------------------- */

/* sh forks "sleep 1", which exits at 3 s and is reaped at 3.1 s. */
static void sh_reaps_its_kid(void)
{
    sh_and_kid();
    ev_exit(KID, MS(3000), 0);
    ev_wait(SH, MS(2500), MS(3100), KID.pid, EXITED(0));
}

static void kill_after_reap_is_an_error(void **state)
{
    (void)state;
    sh_reaps_its_kid();
    ev_kill(SH, 0, MS(4100), (int32_t)KID.pid, SIGTERM, -1, ESRCH);
    build();
    const struct et_finding *f = the(ET_FK_KILL_AFTER_REAP);
    assert_int_equal(f->severity, ET_SEV_ERROR);
    assert_procs(f, SH, KID);
    assert_says(f, "100 (sh -c job) sent SIGTERM to pid 200 at +4.100000, 1.0 s after 200 (sleep 1) had been reaped "
                   "by 100 (sh -c job); it failed with ESRCH: no process had the pid yet");
}

static void near_miss_kill_after_reap_signal_before_the_reap(void **state)
{
    (void)state;
    sh_and_kid();
    ev_kill(SH, 0, MS(2500), (int32_t)KID.pid, SIGTERM, 0, 0);
    ev_wait(SH, MS(2600), MS(2700), KID.pid, KILLED(SIGTERM));
    build();
    assert_no_findings();
    assert_int_equal(proc(KID)->end_how, ET_END_KILLED);
    assert_int_equal(proc(KID)->term_signal, SIGTERM);
    /* The kill that matches the status dates the death, not the reap. */
    assert_int_equal(proc(KID)->end_ts, MS(2500));
    assert_true(proc(KID)->end_ts_exact);
}

/* A pidfd names the process, not the number: it cannot reach a newcomer. */
static void kill_through_a_pidfd_after_reap_is_fine(void **state)
{
    (void)state;
    sh_reaps_its_kid();
    ev_signal(SH, 0, MS(4100), ET_SIGNAL_PIDFD_SEND_SIGNAL, -1, SIGTERM, -1, ESRCH, (int32_t)KID.pid);
    build();
    assert_no_findings();
}

static void kill_after_reap_names_the_process_that_reused_the_pid(void **state)
{
    (void)state;
    struct pr other = PR(300), newcomer = {200, 35001};
    sh_reaps_its_kid();
    ev_start(.p = other, .ppid = 1, .ts = MS(1000), .cmd = "cron");
    ev_child(other, newcomer, MS(3500), "backup", (struct ends){0});
    ev_kill(SH, 0, MS(4100), (int32_t)KID.pid, SIGTERM, 0, 0);
    build();
    const struct et_finding *f = the(ET_FK_KILL_AFTER_REAP);
    assert_procs(f, SH, KID, newcomer);
    assert_says(f, "after 200 (sleep 1) had been reaped by 100 (sh -c job); the pid now belonged to 200 (backup), "
                   "which received it");
}

/* The launcher reaps orphans; a kill after that is as late as any. */
static void kill_after_the_launcher_reaped_an_orphan(void **state)
{
    (void)state;
    struct pr launcher = PR(10), daemon = PR(200), watchdog = PR(300);
    ev_start(.p = launcher, .ppid = 1, .ts = MS(500), .cmd = "exectrace run -- sh", .origin = ET_ORIGIN_LAUNCHER);
    ev_child(launcher, SH, MS(600), "sh -c job", (struct ends){0});
    ev_child(SH, daemon, MS(1000), "daemon", (struct ends){0});
    ev_child(SH, watchdog, MS(1100), "watchdog", (struct ends){0});
    ev_exit(SH, MS(1500), 0);
    ev_reaped(launcher, MS(1501), SH, EXITED(0), ET_REAPED_COMMAND);
    ev_exit(daemon, MS(2000), 0);
    ev_reaped(launcher, MS(2001), daemon, EXITED(0), ET_REAPED_ORPHAN);
    ev_kill(watchdog, 0, MS(3000), (int32_t)daemon.pid, SIGTERM, -1, ESRCH);
    build();
    const struct et_finding *f = the(ET_FK_KILL_AFTER_REAP);
    assert_procs(f, watchdog, daemon);
    assert_says(f, "300 (watchdog) sent SIGTERM to pid 200 at +3.000000, 999 ms after 200 (daemon) had been reaped by "
                   "10 (exectrace)");
    assert_int_equal(proc(daemon)->adopter, index_of(launcher));
}

/* fork returned the pid to the sender after the old child was reaped: the
 * sender knows the number now means its new child. */
static void kill_of_a_new_child_that_reused_a_reaped_pid_is_fine(void **state)
{
    (void)state;
    struct pr second = {200, 40001};
    sh_reaps_its_kid();
    ev_child(SH, second, MS(4000), "sleep 2", (struct ends){0});
    ev_kill(SH, 0, MS(5000), (int32_t)second.pid, SIGTERM, 0, 0);
    ev_wait(SH, MS(5001), MS(5010), second.pid, KILLED(SIGTERM));
    build();
    assert_none(ET_FK_KILL_AFTER_REAP);
}

/* ---- kill-wait-race ------------------------------------------------------------------ */

static const struct pr SERVER = {100, 10001};

static void server_with_a_worker(void)
{
    ev_start(.p = SERVER, .ppid = 1, .ts = MS(1000), .cmd = "server");
    ev_child(SERVER, KID, MS(2000), "worker", (struct ends){0});
}

static void kill_while_another_thread_waits_is_a_race(void **state)
{
    (void)state;
    server_with_a_worker();
    ev_wait_enter(SERVER, 101, MS(3000), ET_WAIT_WAITPID, -1);
    ev_kill(SERVER, 102, MS(4000), (int32_t)KID.pid, SIGTERM, 0, 0);
    build();
    const struct et_finding *f = the(ET_FK_KILL_WAIT_RACE);
    assert_int_equal(f->severity, ET_SEV_WARNING);
    assert_procs(f, SERVER, KID);
    assert_says(f, "thread 102 of 100 (server) sent SIGTERM to its child 200 (worker) at +4.000000 while thread 101 "
                   "was in waitpid since +3.000000, able to reap it");
}

/* waitid(P_ALL) and wait() can reap any child as well. */
static void kill_while_another_thread_is_in_waitid_is_a_race(void **state)
{
    (void)state;
    server_with_a_worker();
    struct et_wait_enter b = {.kind = ET_WAIT_WAITID, .idtype = P_ALL, .options = WEXITED};
    emit(SERVER, 101, ET_REC_WAIT_ENTER, MS(3000), 0, &b, sizeof(b));
    ev_kill(SERVER, 102, MS(4000), (int32_t)KID.pid, SIGTERM, 0, 0);
    build();
    assert_says(the(ET_FK_KILL_WAIT_RACE), "was in waitid since +3.000000");
}

/* WNOWAIT leaves the child a zombie, its pid still taken: the remedy the
 * finding itself recommends is not the race. */
static void kill_while_another_thread_waits_with_wnowait_is_fine(void **state)
{
    (void)state;
    server_with_a_worker();
    struct et_wait_enter b = {.kind = ET_WAIT_WAITID, .idtype = P_PID, .id = KID.pid, .options = WEXITED | WNOWAIT};
    emit(SERVER, 101, ET_REC_WAIT_ENTER, MS(3000), 0, &b, sizeof(b));
    ev_kill(SERVER, 102, MS(4000), (int32_t)KID.pid, SIGTERM, 0, 0);
    build();
    assert_none(ET_FK_KILL_WAIT_RACE);
}

static void kill_after_the_wait_returned_is_fine(void **state)
{
    (void)state;
    server_with_a_worker();
    ev_wait_enter(SERVER, 101, MS(3000), ET_WAIT_WAITPID, -1);
    ev_wait_return(SERVER, 101, MS(3500), ET_WAIT_WAITPID, 0, 0, 0);
    ev_kill(SERVER, 102, MS(4000), (int32_t)KID.pid, SIGTERM, 0, 0);
    build();
    assert_none(ET_FK_KILL_WAIT_RACE);
}

static void kill_while_waiting_for_another_child_is_fine(void **state)
{
    (void)state;
    server_with_a_worker();
    ev_child(SERVER, PR(300), MS(2100), "other", (struct ends){0});
    ev_wait_enter(SERVER, 101, MS(3000), ET_WAIT_WAITPID, 300);
    ev_kill(SERVER, 102, MS(4000), (int32_t)KID.pid, SIGTERM, 0, 0);
    build();
    assert_none(ET_FK_KILL_WAIT_RACE);
}

/* A signal handler on the waiting thread itself cannot race its own wait. */
static void near_miss_kill_wait_race_signal_from_the_waiting_thread(void **state)
{
    (void)state;
    server_with_a_worker();
    ev_wait_enter(SERVER, 101, MS(3000), ET_WAIT_WAITPID, -1);
    ev_kill(SERVER, 101, MS(4000), (int32_t)KID.pid, SIGTERM, 0, 0);
    build();
    assert_none(ET_FK_KILL_WAIT_RACE);
}

static void kill_through_a_pidfd_while_waiting_is_fine(void **state)
{
    (void)state;
    server_with_a_worker();
    ev_wait_enter(SERVER, 101, MS(3000), ET_WAIT_WAITPID, -1);
    ev_signal(SERVER, 102, MS(4000), ET_SIGNAL_PIDFD_SEND_SIGNAL, -1, SIGTERM, 0, 0, (int32_t)KID.pid);
    build();
    assert_none(ET_FK_KILL_WAIT_RACE);
}

/* ---- echild ----------------------------------------------------------------------- */

static void echild_because_sigchld_is_ignored(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_sigchld(SH, MS(1500), ET_DISP_IGNORE, 0);
    ev_child(SH, KID, MS(2000), "sleep 1", (struct ends){0});
    ev_exit(KID, MS(3000), 0);
    ev_wait_enter(SH, 0, MS(4000), ET_WAIT_WAITPID, KID.pid);
    ev_wait_return(SH, 0, MS(4001), ET_WAIT_WAITPID, -1, 0, ECHILD);
    build();
    const struct et_finding *f = the(ET_FK_ECHILD);
    /* The kernel threw the status away: lost, an error. */
    assert_int_equal(f->severity, ET_SEV_ERROR);
    assert_procs(f, SH, KID);
    assert_says(f, "100 (sh -c job) waited for its child 200 (sleep 1) and got ECHILD at +4.001000: SIGCHLD is "
                   "ignored (SIG_IGN or SA_NOCLDWAIT) in 100 (sh -c job)");
}

static void echild_after_another_thread_reaped(void **state)
{
    (void)state;
    sh_and_kid();
    ev_wait_enter(SH, 101, MS(2500), ET_WAIT_WAITPID, KID.pid);
    ev_wait_enter(SH, 102, MS(2600), ET_WAIT_WAITPID, KID.pid);
    ev_exit(KID, MS(3000), 0);
    ev_wait_return(SH, 101, MS(3001), ET_WAIT_WAITPID, (int32_t)KID.pid, EXITED(0), 0);
    ev_wait_return(SH, 102, MS(3002), ET_WAIT_WAITPID, -1, 0, ECHILD);
    build();
    assert_says(the(ET_FK_ECHILD), "got ECHILD at +3.002000: thread 101 of the same process had already reaped it at "
                                   "+3.001000 (a double wait): that wait had the status");
    /* Thread 101 asked for it by pid and got its status: not lost. */
    assert_int_equal(the(ET_FK_ECHILD)->severity, ET_SEV_WARNING);
}

/* The same child waited for twice by pid in one thread: the first wait had
 * the status, the second fails.  A mistake, not a lost status. */
static void echild_for_a_second_wait_by_pid(void **state)
{
    (void)state;
    sh_and_kid();
    ev_exit(KID, MS(3000), 0);
    ev_wait(SH, MS(2900), MS(3001), KID.pid, EXITED(0));
    ev_wait_enter(SH, 0, MS(3100), ET_WAIT_WAITPID, KID.pid);
    ev_wait_return(SH, 0, MS(3101), ET_WAIT_WAITPID, -1, 0, ECHILD);
    build();
    const struct et_finding *f = the(ET_FK_ECHILD);
    assert_int_equal(f->severity, ET_SEV_WARNING);
    assert_says(f, "an earlier wait for it by pid in the same thread had already reaped it at +3.001000 (a second "
                   "wait): that wait had the status");
}

/* A SIGCHLD handler reaping with wait(-1) in the middle of the main code's
 * waitpid, on the same thread. */
static void echild_after_a_handler_in_the_same_thread_reaped(void **state)
{
    (void)state;
    sh_and_kid();
    ev_wait_enter(SH, 0, MS(2900), ET_WAIT_WAITPID, KID.pid);
    ev_exit(KID, MS(3000), 0);
    ev_wait_enter(SH, 0, MS(3001), ET_WAIT_WAIT, -1);
    ev_wait_return(SH, 0, MS(3002), ET_WAIT_WAIT, (int32_t)KID.pid, EXITED(0), 0);
    ev_wait_return(SH, 0, MS(3003), ET_WAIT_WAITPID, -1, 0, ECHILD);
    build();
    assert_says(the(ET_FK_ECHILD), "an earlier wait for any child in the same thread (a SIGCHLD handler, or a "
                                   "reaping loop) had already reaped it at +3.002000");
    /* The handler's wait(-1) took the status the waitpid asked for. */
    assert_int_equal(the(ET_FK_ECHILD)->severity, ET_SEV_ERROR);
}

static void near_miss_echild_error_the_reaper_is_not_in_the_trace(void **state)
{
    (void)state;
    sh_and_kid();
    ev_exit(KID, MS(3000), 0);
    ev_wait_enter(SH, 0, MS(3500), ET_WAIT_WAITPID, KID.pid);
    ev_wait_return(SH, 0, MS(3501), ET_WAIT_WAITPID, -1, 0, ECHILD);
    build();
    /* Where the status went is not in the trace: not known to be lost. */
    assert_int_equal(the(ET_FK_ECHILD)->severity, ET_SEV_WARNING);
    assert_says(the(ET_FK_ECHILD), "something exectrace does not see reaped it");
}

/* wait(-1) answering ECHILD is how a reaping loop ends: normal, unless
 * SIGCHLD is ignored and a status was lost. */
static void near_miss_echild_a_reaping_loop_ends(void **state)
{
    (void)state;
    sh_and_kid();
    ev_exit(KID, MS(3000), 0);
    ev_wait_enter(SH, 0, MS(3100), ET_WAIT_WAIT, -1);
    ev_wait_return(SH, 0, MS(3101), ET_WAIT_WAIT, (int32_t)KID.pid, EXITED(0), 0);
    ev_wait_enter(SH, 0, MS(3200), ET_WAIT_WAIT, -1);
    ev_wait_return(SH, 0, MS(3201), ET_WAIT_WAIT, -1, 0, ECHILD);
    build();
    assert_no_findings();
}

static void echild_for_wait_any_with_sigchld_ignored(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_sigchld(SH, MS(1500), ET_DISP_IGNORE, 0);
    ev_child(SH, KID, MS(2000), "sleep 1", (struct ends){0});
    ev_exit(KID, MS(3000), 0);
    ev_wait_enter(SH, 0, MS(3200), ET_WAIT_WAIT, -1);
    ev_wait_return(SH, 0, MS(3201), ET_WAIT_WAIT, -1, 0, ECHILD);
    build();
    const struct et_finding *f = the(ET_FK_ECHILD);
    assert_procs(f, SH, KID);
    assert_says(f, "SIGCHLD is ignored");
}

static void echild_for_a_pid_that_is_not_a_child(void **state)
{
    (void)state;
    sh_and_kid();
    ev_start(.p = PR(300), .ppid = 1, .ts = MS(1500), .cmd = "stranger");
    ev_wait_enter(SH, 0, MS(3000), ET_WAIT_WAITPID, 300);
    ev_wait_return(SH, 0, MS(3001), ET_WAIT_WAITPID, -1, 0, ECHILD);
    ev_wait_enter(SH, 0, MS(3100), ET_WAIT_WAITPID, 999);
    ev_wait_return(SH, 0, MS(3101), ET_WAIT_WAITPID, -1, 0, ECHILD);
    build();
    assert_none(ET_FK_ECHILD);
}

/* ---- kill-broadcast ----------------------------------------------------------------- */

static void kill_minus_one_is_reported(void **state)
{
    (void)state;
    sh_and_kid();
    ev_kill(KID, 0, MS(3000), -1, SIGKILL, 0, 0);
    build();
    const struct et_finding *f = the(ET_FK_KILL_BROADCAST);
    assert_int_equal(f->severity, ET_SEV_WARNING);
    assert_procs(f, KID);
    assert_says(f, "200 (sleep 1) sent SIGKILL to every process it may signal: kill(-1, SIGKILL)");
}

/* A child that never made a group of its own shares its parent's. */
static void kill_zero_reaches_the_parent_in_the_shared_group(void **state)
{
    (void)state;
    sh_and_kid();
    ev_kill(KID, 0, MS(3000), 0, SIGTERM, 0, 0);
    build();
    const struct et_finding *f = the(ET_FK_KILL_BROADCAST);
    assert_procs(f, KID, SH);
    assert_says(f, "200 (sleep 1) sent SIGTERM to process group 7, which also held 1 process it did not start: its "
                   "parent 100 (sh -c job)");
}

static void near_miss_kill_broadcast_a_group_of_its_own(void **state)
{
    (void)state;
    sh_and_kid();
    ev_setpgid(KID, MS(2500), 0, 0);
    ev_start(.p = PR(300), .ppid = KID.pid, .ts = MS(2600), .cmd = "helper", .pgid = KID.pid);
    ev_fork(KID, MS(2599), 300);
    ev_kill(KID, 0, MS(3000), 0, SIGTERM, 0, 0);
    ev_signal(KID, 0, MS(3001), ET_SIGNAL_KILLPG, 0, SIGTERM, 0, 0, -1);
    build();
    assert_int_equal(proc(KID)->pgid, KID.pid);
    assert_none(ET_FK_KILL_BROADCAST);
}

static void killpg_of_a_group_with_an_unrelated_member(void **state)
{
    (void)state;
    struct pr a = PR(200), b = PR(300);
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job", .pgid = 100);
    ev_fork(SH, MS(2000), a.pid);
    ev_start(.p = a, .ppid = SH.pid, .ts = MS(2001), .cmd = "make", .pgid = 100);
    ev_fork(SH, MS(2100), b.pid);
    ev_start(.p = b, .ppid = SH.pid, .ts = MS(2101), .cmd = "tee log", .pgid = 100);
    ev_signal(a, 0, MS(3000), ET_SIGNAL_KILLPG, 100, SIGINT, 0, 0, -1);
    build();
    const struct et_finding *f = the(ET_FK_KILL_BROADCAST);
    assert_procs(f, a, SH);
    assert_says(f, "200 (make) sent SIGINT to process group 100, which also held 2 processes it did not start: its "
                   "parent 100 (sh -c job), 300 (tee log)");
}

/* Those already gone cannot be hit. */
static void kill_broadcast_ignores_ended_members(void **state)
{
    (void)state;
    struct pr a = PR(200), b = PR(300);
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_fork(SH, MS(2000), a.pid);
    ev_start(.p = a, .ppid = SH.pid, .ts = MS(2001), .cmd = "make", .pgid = 250);
    ev_fork(SH, MS(2100), b.pid);
    ev_start(.p = b, .ppid = SH.pid, .ts = MS(2101), .cmd = "tee log", .pgid = 250);
    ev_exit(b, MS(2500), 0);
    ev_wait(SH, MS(2400), MS(2501), b.pid, EXITED(0));
    ev_kill(a, 0, MS(3000), -250, SIGINT, 0, 0);
    build();
    assert_none(ET_FK_KILL_BROADCAST);
}

/* kill(0, 0) probes the group and hits no one. */
static void kill_zero_with_signal_zero_is_a_probe(void **state)
{
    (void)state;
    sh_and_kid();
    ev_kill(KID, 0, MS(3000), 0, 0, 0, 0);
    ev_kill(KID, 0, MS(3001), -1, 0, 0, 0);
    build();
    assert_none(ET_FK_KILL_BROADCAST);
}

/* ---- untraced ---------------------------------------------------------------------- */

static void untraced_exec_of_a_program_without_the_shim(void **state)
{
    (void)state;
    sh_and_kid();
    ev_exec(KID, MS(2500), "/usr/local/bin/static-tool --fast", 0);
    build();
    const struct et_finding *f = the(ET_FK_UNTRACED);
    assert_int_equal(f->severity, ET_SEV_INFO);
    assert_procs(f, KID);
    assert_says(f, "200 (static-tool --fast) exec'd /usr/local/bin/static-tool, which did not load the shim (a static "
                   "binary, a set-id program, or the process died at once)");
    assert_true(proc(KID)->flags & ET_PF_UNTRACED_EXEC);
}

static void untraced_exec_of_a_setid_program(void **state)
{
    (void)state;
    sh_and_kid();
    ev_exec(KID, MS(2500), "/usr/bin/sudo id", ET_ENV_NOT_ADDED_SETUID);
    build();
    assert_says(the(ET_FK_UNTRACED), "which did not load the shim (a set-user-ID or set-group-ID program)");
}

static void near_miss_untraced_the_exec_is_seen_through(void **state)
{
    (void)state;
    sh_and_kid();
    ev_exec(KID, MS(2500), "/bin/nope", 0);
    ev_exec_failed(KID, MS(2501), ENOENT);
    ev_exec(KID, MS(2600), "/bin/cat x", 0);
    new_run(KID);
    ev_start(.p = KID, .ppid = SH.pid, .ts = MS(2601), .cmd = "/bin/cat x");
    build();
    assert_no_findings();
    assert_string_equal(et_proc_command(proc(KID)), "/bin/cat x");
}

/* The exec failed and the process went on to exit: no program ran unseen. */
static void untraced_not_reported_for_a_failed_exec(void **state)
{
    (void)state;
    sh_and_kid();
    ev_exec(KID, MS(2500), "/bin/nope", 0);
    ev_exec_failed(KID, MS(2501), ENOENT);
    ev_exit(KID, MS(2502), 127);
    ev_wait(SH, MS(2400), MS(2503), KID.pid, EXITED(127));
    build();
    assert_no_findings();
}

static void untraced_child_that_wrote_nothing(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_fork(SH, MS(2000), 200);
    build();
    const struct et_finding *f = the(ET_FK_UNTRACED);
    assert_says(f, "200 (sh -c job), started by 100 (sh -c job) at +2.000000, wrote no records");
    assert_int_equal(f->nprocs, 1);
    const struct et_proc *p = &S.a.model.procs[f->procs[0]];
    assert_int_equal(p->pid, 200);
    assert_true(p->flags & ET_PF_PLACEHOLDER);
    assert_int_equal(p->parent, index_of(SH));
}

/* The parent never wrote a record: it is known only as a parent. */
static void untraced_parent_gets_a_placeholder(void **state)
{
    (void)state;
    ev_start(.p = KID, .ppid = 50, .ts = MS(1000), .cmd = "worker");
    ev_exit(KID, MS(2000), 0);
    build();
    assert_int_equal(S.a.model.nprocs, 2);
    int32_t parent = proc(KID)->parent;
    assert_int_not_equal(parent, ET_NO_PROC);
    assert_int_equal(S.a.model.procs[parent].pid, 50);
    assert_true(S.a.model.procs[parent].flags & ET_PF_PLACEHOLDER);
    assert_false(S.a.model.procs[parent].flags & ET_PF_TRACED);
    const struct et_finding *f = the(ET_FK_UNTRACED);
    assert_int_equal(f->procs[0], parent);
    assert_says(f, "pid 50, the parent of 200 (worker), is not traced");
    assert_int_equal(S.a.findings.n, 1);
}

/* Started by init (or reparented to it before starting): no placeholder. */
static void untraced_not_reported_for_a_child_of_init(void **state)
{
    (void)state;
    ev_start(.p = KID, .ppid = 1, .ts = MS(1000), .cmd = "worker");
    ev_exit(KID, MS(2000), 0);
    build();
    assert_int_equal(S.a.model.nprocs, 1);
    assert_int_equal(proc(KID)->parent, ET_NO_PROC);
    assert_no_findings();
}

/* ---- the model: pid reuse, disorder, missing ends --------------------------------------- */

/* Two processes with pid 200, told apart by their start times: each keeps
 * its own parent, program, end and reaper. */
static void pid_reuse_keeps_processes_apart(void **state)
{
    (void)state;
    struct pr other = PR(300), first = {200, 20001}, second = {200, 50001};
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_start(.p = other, .ppid = 1, .ts = MS(1000) + 1, .cmd = "cron");
    ev_child(SH, first, MS(2000), "first", (struct ends){0});
    ev_exit(first, MS(3000), 0);
    ev_wait(SH, MS(2500), MS(3100), first.pid, EXITED(3));
    ev_child(other, second, MS(5000), "second", (struct ends){0});
    ev_exit(second, MS(6000), 0);
    ev_wait(other, MS(5500), MS(6100), second.pid, KILLED(SIGTERM));
    build();
    assert_int_equal(S.a.model.nprocs, 4);
    const struct et_proc *a = proc(first), *b = proc(second);
    assert_int_equal(a->parent, index_of(SH));
    assert_int_equal(b->parent, index_of(other));
    assert_string_equal(et_proc_command(a), "first");
    assert_string_equal(et_proc_command(b), "second");
    assert_int_equal(a->end_ts, MS(3000));
    assert_int_equal(b->end_ts, MS(6000));
    assert_int_equal(a->reaper, index_of(SH));
    assert_int_equal(b->reaper, index_of(other));
    assert_int_equal(a->end_how, ET_END_EXITED);
    assert_int_equal(a->exit_code, 3);
    assert_int_equal(b->end_how, ET_END_KILLED);
    assert_int_equal(b->term_signal, SIGTERM);
    assert_int_equal(S.a.model.procs[index_of(SH)].first_child, index_of(first));
    assert_int_equal(S.a.model.procs[index_of(first)].next_sibling, ET_NO_PROC);
    assert_no_findings();
}

/* Same pid, same parent: the parent reaps one child and forks another that
 * gets the number again. */
static void pid_reuse_by_the_same_parent(void **state)
{
    (void)state;
    struct pr first = {200, 20001}, second = {200, 50001};
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_child(SH, first, MS(2000), "first", (struct ends){0});
    ev_exit(first, MS(3000), 0);
    ev_wait(SH, MS(2500), MS(3100), first.pid, EXITED(0));
    ev_child(SH, second, MS(5000), "second", (struct ends){0});
    ev_exit(second, MS(6000), 0);
    ev_wait(SH, MS(5500), MS(6100), second.pid, EXITED(0));
    build();
    assert_int_equal(S.a.model.nprocs, 3);
    assert_int_equal(proc(first)->reap_ts, MS(3100));
    assert_int_equal(proc(second)->reap_ts, MS(6100));
    assert_int_equal(proc(second)->begin_ts, MS(5000));
    assert_no_findings();
}

/* The child's start record stamped at the very instant of the parent's fork
 * record, and stored in a run that comes first in the file: the stream hands
 * the child's start over first. */
static void child_start_before_the_parents_fork_record_in_the_stream(void **state)
{
    (void)state;
    ev_start(.p = KID, .ppid = SH.pid, .ts = MS(2000), .cmd = "sleep 1"); /* claims the first run */
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_fork(SH, MS(2000), KID.pid);
    ev_exit(KID, MS(3000), 0);
    ev_wait(SH, MS(2500), MS(3100), KID.pid, EXITED(0));
    build();
    assert_int_equal(S.a.model.nprocs, 2);
    assert_int_equal(proc(KID)->parent, index_of(SH));
    assert_non_null(proc(KID)->created_by);
    assert_int_equal(proc(KID)->reaper, index_of(SH));
    assert_no_findings();
}

/* Stamped a hair before the fork record (clocks of different CPUs): still
 * the child that fork made, not an older process with the same pid. */
static void child_start_stamped_before_the_parents_fork(void **state)
{
    (void)state;
    ev_start(.p = SH, .ppid = 1, .ts = MS(1000), .cmd = "sh -c job");
    ev_start(.p = KID, .ppid = SH.pid, .ts = MS(2000) - 1000, .cmd = "sleep 1");
    ev_fork(SH, MS(2000), KID.pid);
    ev_exit(KID, MS(3000), 0);
    ev_wait(SH, MS(2500), MS(3100), KID.pid, EXITED(0));
    build();
    assert_int_equal(S.a.model.nprocs, 2);
    assert_int_equal(proc(KID)->parent, index_of(SH));
    assert_int_equal(proc(KID)->reaper, index_of(SH));
    assert_no_findings();
}

/* A process's records spread over several runs, interleaved in the file
 * with other processes' runs, are still one process. */
static void one_process_across_several_runs(void **state)
{
    (void)state;
    sh_and_kid();
    new_run(SH);
    ev_child(SH, PR(300), MS(2100), "other", (struct ends){0});
    new_run(KID);
    ev_exit(KID, MS(3000), 0);
    new_run(SH);
    ev_wait(SH, MS(2500), MS(3100), KID.pid, EXITED(0));
    build();
    assert_int_equal(S.a.model.nprocs, 3);
    assert_int_equal(proc(KID)->reaper, index_of(SH));
    assert_int_equal(proc(PR(300))->parent, index_of(SH));
}

/* SIGKILL cannot be caught: a delivered one ends every process it reached
 * at once, reaped or not (a grandchild handed to init leaves no reap).  A
 * kill that failed ends nothing. */
static void delivered_sigkill_ends_the_whole_group_at_once(void **state)
{
    (void)state;
    struct pr stranger = PR(500);
    ev_start(.p = TOP, .ppid = 1, .ts = MS(500), .cmd = "timeout 5 sh");
    ev_fork(TOP, MS(900), SH.pid);
    ev_start(.p = SH, .ppid = TOP.pid, .ts = MS(901), .cmd = "sh -c job", .pgid = SH.pid);
    ev_fork(SH, MS(2000), GRAND.pid);
    ev_start(.p = GRAND, .ppid = SH.pid, .ts = MS(2001), .cmd = "sleep 10", .pgid = SH.pid);
    ev_start(.p = stranger, .ppid = 1, .ts = MS(2100), .cmd = "sshd");
    ev_kill(TOP, 0, MS(4000), (int32_t)stranger.pid, SIGKILL, -1, EPERM);
    ev_kill(TOP, 0, MS(5000), -(int32_t)SH.pid, SIGKILL, 0, 0);
    ev_wait(TOP, MS(5001), MS(5010), SH.pid, KILLED(SIGKILL));
    ev_exit(TOP, MS(6000), 0);
    build();
    const struct et_proc *g = proc(GRAND);
    assert_true(g->flags & ET_PF_ENDED);
    assert_int_equal(g->end_how, ET_END_KILLED);
    assert_int_equal(g->term_signal, SIGKILL);
    assert_int_equal(g->end_ts, MS(5000));
    assert_int_equal(proc(SH)->end_ts, MS(5000));
    assert_false(proc(stranger)->flags & ET_PF_ENDED);
    /* Nothing outlived the kill: the group went down together. */
    assert_none(ET_FK_ORPHANED_DESCENDANTS);
    assert_none(ET_FK_KILL_BROADCAST);
    assert_none(ET_FK_ZOMBIE);
}

/* No exit record: killed, as its parent's wait said, at a time unknown. */
static void child_without_an_exit_record_reaped_as_killed(void **state)
{
    (void)state;
    sh_and_kid();
    ev_wait(SH, MS(2500), MS(4000), KID.pid, KILLED(SIGSEGV));
    build();
    const struct et_proc *k = proc(KID);
    assert_int_equal(k->end_how, ET_END_KILLED);
    assert_int_equal(k->term_signal, SIGSEGV);
    assert_true(k->flags & ET_PF_ENDED);
    assert_true(k->flags & ET_PF_REAPED);
    assert_false(k->end_ts_exact);
    assert_int_equal(k->end_ts, MS(4000));
    assert_null(k->exit_rec);
}

static void child_never_reaped_nor_ended_is_still_running(void **state)
{
    (void)state;
    sh_and_kid();
    ev_close(SH, MS(5000), RD(9, 1));
    build();
    const struct et_proc *k = proc(KID);
    assert_int_equal(k->end_how, ET_END_RUNNING);
    assert_false(k->flags & ET_PF_ENDED);
    assert_false(k->flags & ET_PF_REAPED);
    assert_int_equal(k->reaper, ET_NO_PROC);
    assert_no_findings();
}

#define T(name) cmocka_unit_test_setup_teardown(name, sim_setup, sim_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(zombie_reaped_after_the_threshold),
        T(near_miss_zombie_reaped_within_the_threshold),
        T(zombie_never_reaped_lasts_until_its_parent_ends),
        T(zombie_until_the_end_of_the_trace),
        T(zombie_not_reported_when_the_kernel_reaps),
        T(zombie_not_reported_after_sigchld_is_restored),
        T(zombie_not_reported_when_death_time_is_a_guess),
        T(zombie_not_reported_for_an_untraced_parent),
        T(unreaped_at_exit_lists_the_children_left_running),
        T(a_wrapped_ring_judges_nothing_from_before_its_complete_history),
        T(a_wrapped_ring_judges_what_its_complete_history_holds),
        T(a_checkpoint_restates_a_process_started_before_the_history),
        T(a_checkpoint_changes_nothing_the_trace_says),
        T(near_miss_unreaped_at_exit_the_parent_waited),
        T(unreaped_at_exit_ignores_a_child_that_called_setsid),
        T(unreaped_at_exit_ignores_a_parent_that_ignores_sigchld),
        T(unreaped_at_exit_ignores_a_parent_with_sa_nocldwait),
        T(unreaped_at_exit_not_reported_for_a_killed_parent),
        T(orphaned_descendants_after_a_kill),
        T(near_miss_orphaned_descendants_ending_within_the_threshold),
        T(orphaned_descendants_past_the_threshold),
        T(orphaned_descendant_still_running_at_the_end),
        T(orphaned_descendants_include_grandchildren),
        T(orphaned_descendants_not_reported_after_a_normal_exit),
        T(orphaned_descendants_not_reported_when_they_ended_first),
        T(held_pipe_by_a_grandchild_after_its_parent_was_killed),
        T(held_pipe_with_its_reader_seen_waiting),
        T(near_miss_held_pipe_error_a_wait_that_ended_before_the_writer),
        T(near_miss_held_pipe_released_within_the_threshold),
        T(held_pipe_released_past_the_threshold),
        T(held_pipe_ends_with_the_holders_close),
        T(held_pipe_still_held_at_the_end_of_the_trace),
        T(held_pipe_by_an_accidental_copy_outside_the_tree),
        T(held_pipe_not_reported_for_a_sibling_writing_to_it_on_purpose),
        T(held_pipe_needs_the_pipe_made_by_the_writers_parent),
        T(held_pipe_needs_a_reader),
        T(held_pipe_not_reported_for_a_writer_holding_both_ends),
        T(held_pipe_follows_dup2_and_close),
        T(held_pipe_ends_when_dup2_replaces_the_holders_copy),
        T(held_pipe_ends_when_dup2_puts_a_file_over_the_holders_copy),
        T(held_pipe_in_a_pipeline_whose_shell_closed_its_ends_first),
        T(held_pipe_in_a_pipeline_whose_children_started_first),
        T(parent_keeping_its_write_end),
        T(near_miss_parent_holds_write_end_error_nobody_waiting),
        T(parent_keeping_its_write_end_killed_while_holding_it),
        T(parent_keeping_its_write_end_with_a_second_reader_killed),
        T(near_miss_parent_holds_write_end_closed_after_the_fork),
        T(parent_write_end_threshold),
        T(zombie_not_excused_by_a_pipe_that_closed_in_time),
        T(fd_leak_exec_reports_inherited_pipe_ends),
        T(fd_leak_exec_ignores_stdio),
        T(fd_leak_exec_ignores_the_make_jobserver),
        T(fd_leak_exec_ignores_pipes_from_outside_the_tree),
        T(fd_leak_exec_when_the_parent_closed_its_ends_first),
        T(near_miss_fd_leak_exec_no_exec),
        T(kill_after_reap_is_an_error),
        T(near_miss_kill_after_reap_signal_before_the_reap),
        T(kill_through_a_pidfd_after_reap_is_fine),
        T(kill_after_reap_names_the_process_that_reused_the_pid),
        T(kill_after_the_launcher_reaped_an_orphan),
        T(kill_of_a_new_child_that_reused_a_reaped_pid_is_fine),
        T(kill_while_another_thread_waits_is_a_race),
        T(kill_while_another_thread_is_in_waitid_is_a_race),
        T(kill_while_another_thread_waits_with_wnowait_is_fine),
        T(kill_after_the_wait_returned_is_fine),
        T(unreaped_at_exit_ignores_the_middle_of_a_double_fork),
        T(orphan_still_running_when_the_trace_stops_soon_after_is_not_reported),
        T(orphan_the_launcher_left_running_is_reported),
        T(end_seen_only_by_an_untraced_parent),
        T(end_unseen_not_claimed_for_what_was_left_running),
        T(kill_while_waiting_for_another_child_is_fine),
        T(near_miss_kill_wait_race_signal_from_the_waiting_thread),
        T(kill_through_a_pidfd_while_waiting_is_fine),
        T(echild_because_sigchld_is_ignored),
        T(echild_after_another_thread_reaped),
        T(echild_after_a_handler_in_the_same_thread_reaped),
        T(echild_for_a_second_wait_by_pid),
        T(near_miss_echild_error_the_reaper_is_not_in_the_trace),
        T(near_miss_echild_a_reaping_loop_ends),
        T(echild_for_wait_any_with_sigchld_ignored),
        T(echild_for_a_pid_that_is_not_a_child),
        T(kill_minus_one_is_reported),
        T(kill_zero_reaches_the_parent_in_the_shared_group),
        T(near_miss_kill_broadcast_a_group_of_its_own),
        T(killpg_of_a_group_with_an_unrelated_member),
        T(kill_broadcast_ignores_ended_members),
        T(kill_zero_with_signal_zero_is_a_probe),
        T(untraced_exec_of_a_program_without_the_shim),
        T(untraced_exec_of_a_setid_program),
        T(near_miss_untraced_the_exec_is_seen_through),
        T(untraced_not_reported_for_a_failed_exec),
        T(untraced_child_that_wrote_nothing),
        T(untraced_parent_gets_a_placeholder),
        T(untraced_not_reported_for_a_child_of_init),
        T(pid_reuse_keeps_processes_apart),
        T(pid_reuse_by_the_same_parent),
        T(child_start_before_the_parents_fork_record_in_the_stream),
        T(child_start_stamped_before_the_parents_fork),
        T(one_process_across_several_runs),
        T(delivered_sigkill_ends_the_whole_group_at_once),
        T(child_without_an_exit_record_reaped_as_killed),
        T(child_never_reaped_nor_ended_is_still_running),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
