/* Live hang diagnosis, end to end.  Every hang example in examples/ runs
 * under `exectrace run --hang-after 1 --kill-after-report`: exectrace must
 * exit 124, the report must name the hang (its kind, and the processes the
 * example says it used), and nothing of the traced tree may be left running
 * afterwards.  Each fixed twin, under the same options, must exit with its
 * own status, take no snapshot and report nothing.  Then `exectrace
 * snapshot FILE` from outside on a run that hangs, and Ctrl-C (SIGINT to the
 * process group of `exectrace run`).
 *
 * The runs are started here rather than through the harness's traced_run,
 * which kills the whole process group when the run ends: that would hide
 * any process exectrace failed to kill.  Every run instead puts a marker in
 * the environment of the tree, and after the run /proc is searched for
 * processes that still carry it. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "findings.h"
#include "rules.h"
#include "harness.h"
#include "model.h"
#include "report.h"

#define MARKER_VAR "EXECTRACE_HANG_TEST"
/* A run that hangs is killed after --hang-after 1; one that is still going
 * after this long is a failure (and is killed). */
#define RUN_LIMIT_S 20.0
/* A fixed twin must end well before the hang deadline. */
#define TWIN_LIMIT_S 1.0

/* ---- where things are ------------------------------------------------------- */

static const char *source_dir(void)
{
    return EXECTRACE_SOURCE_DIR;
}

static const char *example_bin(const char *kind, const char *name)
{
    static char paths[4][PATH_MAX];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, PATH_MAX, "%s/examples/%s/%s", EXECTRACE_BUILD_DIR, kind, name);
    if (access(path, X_OK) != 0)
        fail_msg("%s is not built: the top-level Makefile must include examples/examples.mk", path);
    return path;
}

static const char *example_script(const char *kind, const char *name)
{
    static char paths[4][PATH_MAX];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, PATH_MAX, "%s/examples/%s/%s", source_dir(), kind, name);
    if (access(path, R_OK) != 0)
        fail_msg("%s: not found", path);
    return path;
}

/* The interpreter itself, not a wrapper script (pyenv) whose own processes
 * would crowd the trace and slow the start. */
static const char *python(void)
{
    static char path[PATH_MAX];
    static int known = -1;
    if (known < 0) {
        known = 0;
        FILE *p = popen("python3 -c 'import sys; print(sys.executable)' 2>/dev/null", "r");
        if (p) {
            if (fgets(path, sizeof(path), p)) {
                path[strcspn(path, "\n")] = 0;
                known = path[0] == '/';
            }
            pclose(p);
        }
    }
    return known ? path : NULL;
}

#define NEED_PYTHON()                                                                                            \
    do {                                                                                                         \
        if (!python()) {                                                                                         \
            print_message("no python3 here\n");                                                                  \
            skip();                                                                                              \
        }                                                                                                        \
    } while (0)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path)
{
    char *buf = read_whole_file(path);
    return buf ? buf : strdup("");
}

/* ---- processes that carry the marker ---------------------------------------- */

/* Pids of live (not zombie) processes whose environment holds
 * MARKER_VAR=token; returns how many (at most max). */
static int marked_processes(const char *token, pid_t *out, int max)
{
    char want[128];
    int wlen = snprintf(want, sizeof(want), MARKER_VAR "=%s", token);
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0 || pid == getpid())
            continue;
        char path[64];
        snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        static char env[1 << 16];
        ssize_t got = read(fd, env, sizeof(env) - 1);
        close(fd);
        if (got <= 0)
            continue; /* a zombie has no environment left */
        for (ssize_t i = 0; i < got; i += (ssize_t)strlen(env + i) + 1) {
            env[got] = 0;
            if (strncmp(env + i, want, (size_t)wlen) == 0 && env[i + wlen] == 0) {
                out[n++] = (pid_t)pid;
                break;
            }
        }
    }
    closedir(d);
    return n;
}

static void kill_marked(const char *token)
{
    pid_t left[64];
    for (int round = 0; round < 10; round++) {
        int n = marked_processes(token, left, 64);
        if (!n)
            return;
        for (int i = 0; i < n; i++)
            kill(left[i], SIGKILL);
        usleep(20000);
    }
}

/* ---- a run of exectrace -------------------------------------------------------- */

struct run {
    char dir[PATH_MAX];
    char trace[PATH_MAX + 16];
    char out_path[PATH_MAX + 16], err_path[PATH_MAX + 16];
    char token[64];
    pid_t pid; /* exectrace, leader of its own process group */
    int status;
    double took;
    char *out, *err;
    struct et_trace t;
    bool loaded;
    struct et_analysis a;
    bool built;
};

/* Every run, so that a failing test (cmocka jumps out of it) still cleans
 * up: its teardown frees what is left. */
static struct run *runs[64];
static size_t nruns;
static unsigned run_serial;

static void remove_run_dir(struct run *r)
{
    if (!r->dir[0])
        return;
    unlink(r->trace);
    unlink(r->out_path);
    unlink(r->err_path);
    rmdir(r->dir);
    r->dir[0] = 0;
}

static void run_free(struct run *r)
{
    if (r->pid > 0) {
        kill(-r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
    if (r->token[0])
        kill_marked(r->token);
    if (r->built)
        et_analysis_free(&r->a);
    if (r->loaded)
        et_trace_close(&r->t);
    r->built = r->loaded = false;
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
    remove_run_dir(r);
    for (size_t i = 0; i < nruns; i++)
        if (runs[i] == r)
            runs[i] = NULL;
    free(r);
}

static void free_leftover_runs(void)
{
    for (size_t i = 0; i < nruns; i++)
        if (runs[i])
            run_free(runs[i]);
    nruns = 0;
}

/* Where the static parent is built, removed by the teardown. */
static char static_dir[64];

static void remove_static_dir(void)
{
    if (!static_dir[0])
        return;
    char bin[sizeof(static_dir) + 32];
    snprintf(bin, sizeof(bin), "%s/static_parent", static_dir);
    unlink(bin);
    rmdir(static_dir);
    static_dir[0] = 0;
}

static int teardown(void **state)
{
    (void)state;
    free_leftover_runs();
    remove_static_dir();
    return 0;
}

/* Starts `exectrace run -o TRACE options... -- argv...` in a fresh
 * directory (its working directory), in a process group of its own, with
 * SIGINT at its default (a background job of a script would inherit it
 * ignored), and the marker in its environment. */
static struct run *run_start(const char *const *options, const char *const argv[])
{
    struct run *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    assert_true(nruns < sizeof(runs) / sizeof(runs[0]));
    runs[nruns++] = r;
    snprintf(r->dir, sizeof(r->dir), "/tmp/exectrace-hang-XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    snprintf(r->trace, sizeof(r->trace), "%s/run.trace", r->dir);
    snprintf(r->out_path, sizeof(r->out_path), "%s/stdout", r->dir);
    snprintf(r->err_path, sizeof(r->err_path), "%s/stderr", r->dir);
    snprintf(r->token, sizeof(r->token), "%d-%ld-%u", getpid(), (long)time(NULL), ++run_serial);

    const char *args[64];
    int n = 0;
    args[n++] = exectrace_bin();
    args[n++] = "run";
    args[n++] = "-o";
    args[n++] = r->trace;
    for (int i = 0; options && options[i] && n < 40; i++)
        args[n++] = options[i];
    args[n++] = "--";
    for (int i = 0; argv[i] && n < 62; i++)
        args[n++] = argv[i];
    args[n] = NULL;

    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int in = open("/dev/null", O_RDONLY);
        int out = open(r->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(r->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0 || chdir(r->dir) < 0)
            _exit(120);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        /* Nothing else of ours may reach the tree: it would hold the
         * test's files and pipes. */
        closefrom(3);
        unsetenv("MAKEFLAGS");
        unsetenv("MFLAGS");
        unsetenv("MAKELEVEL");
        setenv(MARKER_VAR, r->token, 1);
        execv(args[0], (char *const *)args);
        _exit(127);
    }
    setpgid(pid, pid);
    r->pid = pid;
    return r;
}

/* Waits for the run to end (at most RUN_LIMIT_S), then loads its output
 * and trace and builds the model. */
static void run_finish(struct run *r, double started)
{
    int status = 0;
    for (;;) {
        pid_t got = waitpid(r->pid, &status, WNOHANG);
        if (got == r->pid)
            break;
        assert_true(got == 0 || errno == EINTR);
        if (now_s() - started > RUN_LIMIT_S) {
            kill(-r->pid, SIGKILL);
            kill_marked(r->token);
            waitpid(r->pid, &status, 0);
            r->pid = 0;
            fail_msg("exectrace run was still running after %.0f s\nstderr:\n%s", RUN_LIMIT_S,
                     (r->err = slurp(r->err_path)));
        }
        usleep(5000);
    }
    r->pid = 0;
    r->took = now_s() - started;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    free(r->out); /* what was read while it ran */
    free(r->err);
    r->out = slurp(r->out_path);
    r->err = slurp(r->err_path);
    assert_int_equal(et_trace_open(&r->t, r->trace), 0);
    r->loaded = true;
    struct et_thresholds th;
    et_default_thresholds(&th);
    assert_int_equal(et_analyze(&r->a, &r->t, &th), 0);
    r->built = true;
}

static struct run *run_to_end(const char *const *options, const char *const argv[])
{
    double started = now_s();
    struct run *r = run_start(options, argv);
    run_finish(r, started);
    return r;
}

/* Nothing of the traced tree is running any more. */
static void expect_nothing_left(struct run *r)
{
    pid_t left[64];
    int n = marked_processes(r->token, left, 64);
    if (n == 0)
        return;
    char list[512] = "";
    size_t used = 0;
    for (int i = 0; i < n && used < sizeof(list) - 64; i++) {
        char comm[64] = "?";
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/comm", left[i]);
        FILE *f = fopen(path, "r");
        if (f) {
            if (fgets(comm, sizeof(comm), f))
                comm[strcspn(comm, "\n")] = 0;
            fclose(f);
        }
        used += (size_t)snprintf(list + used, sizeof(list) - used, " %d (%s)", left[i], comm);
    }
    kill_marked(r->token);
    fail_msg("%d process%s of the traced tree still running after exectrace ended:%s", n, n == 1 ? "" : "es", list);
}

/* ---- what the program said, what the report says ------------------------------ */

static void print_findings(const struct et_findings *F)
{
    for (size_t i = 0; i < F->n; i++)
        print_message("  %s %s: %s\n", et_severity_name(F->v[i].severity),
                      et_finding_kind_name(F->v[i].kind), F->v[i].message);
}

/* The number after "key=" in the program's output, where key starts a word. */
static int out_pid(const struct run *r, const char *key)
{
    size_t klen = strlen(key);
    for (const char *s = r->out; s && (s = strstr(s, key)) != NULL; s += klen) {
        bool word_start = s == r->out || !(isalnum((unsigned char)s[-1]) || s[-1] == '_');
        if (word_start && s[klen] == '=' && isdigit((unsigned char)s[klen + 1]))
            return atoi(s + klen + 1);
    }
    fail_msg("no %s=PID in the example's output:\n%s", key, r->out);
    return -1;
}

static const struct et_finding *find_kind(const struct run *r, unsigned kind)
{
    for (size_t i = 0; i < r->a.findings.n; i++)
        if (r->a.findings.v[i].kind == kind)
            return &r->a.findings.v[i];
    return NULL;
}

static const struct et_finding *expect_finding(const struct run *r, unsigned kind, unsigned severity)
{
    const struct et_finding *f = find_kind(r, kind);
    if (!f) {
        print_message("no %s finding; the report has:\n", et_finding_kind_name(kind));
        print_findings(&r->a.findings);
        fail_msg("%s was not reported\nstdout:\n%s\nstderr:\n%s", et_finding_kind_name(kind), r->out, r->err);
    }
    if (f->severity != severity)
        fail_msg("%s is reported as %s, not %s: %s", et_finding_kind_name(kind), et_severity_name(f->severity),
                 et_severity_name(severity), f->message);
    return f;
}

static void expect_names_pid(const struct run *r, const struct et_finding *f, int pid, const char *who)
{
    for (uint32_t i = 0; i < f->nprocs; i++)
        if (r->a.model.procs[f->procs[i]].pid == (uint32_t)pid)
            return;
    fail_msg("the %s finding does not name %s (pid %d): %s", et_finding_kind_name(f->kind), who, pid, f->message);
}

static void expect_names_command(const struct run *r, const struct et_finding *f, const char *command)
{
    for (uint32_t i = 0; i < f->nprocs; i++)
        if (strncmp(et_proc_command(&r->a.model.procs[f->procs[i]]), command, strlen(command)) == 0)
            return;
    fail_msg("the %s finding does not name a process running \"%s\": %s", et_finding_kind_name(f->kind), command,
             f->message);
}

static void expect_says(const struct et_finding *f, const char *text)
{
    if (!strstr(f->message, text))
        fail_msg("the %s finding does not say \"%s\": %s", et_finding_kind_name(f->kind), text, f->message);
}

static void expect_err(const struct run *r, const char *text)
{
    if (!strstr(r->err, text))
        fail_msg("exectrace's stderr lacks \"%s\":\n%s", text, r->err);
}

/* The report exectrace printed when the hang deadline passed (before it
 * killed the tree) names this kind: "error pipe-deadlock".  That report is
 * the one the user sees; the model built here afterwards reads the whole
 * trace, the kill included. */
static void expect_in_run_report(const struct run *r, const char *severity_and_kind)
{
    const char *report = strstr(r->err, "exectrace report: ");
    const char *killed = strstr(r->err, "exectrace: killed the traced tree");
    const char *at = report ? strstr(report, severity_and_kind) : NULL;
    if (!at || (killed && at > killed))
        fail_msg("the report printed at the hang lacks \"%s\":\n%s", severity_and_kind, r->err);
}

/* How many snapshot records of this reason the trace holds. */
static size_t snapshot_records(const struct run *r, uint16_t reason)
{
    size_t n = 0;
    for (size_t i = 0; i < r->a.model.nprocs; i++) {
        const struct et_record *s = r->a.model.procs[i].snap;
        if (s && ((const struct et_snapshot *)et_body(s))->reason == reason)
            n++;
    }
    return n;
}

/* ---- the two halves of every example ----------------------------------------- */

static const char *const HANG_OPTIONS[] = {"--hang-after", "1", "--kill-after-report", NULL};
/* Without the ptrace recorder: programs that do not load the shim are seen
 * in /proc only. */
static const char *const HANG_OPTIONS_SHIM_ONLY[] = {"--hang-after", "1", "--kill-after-report", "--no-ptrace", NULL};

/* The bug: it hangs, exectrace reports after 1 s, kills the tree, exits
 * 124, and nothing is left. */
static struct run *run_hang_with(const char *const *options, const char *const argv[])
{
    struct run *r = run_to_end(options, argv);
    if (r->status != 124)
        fail_msg("%s: exectrace exited %d, not 124\nstdout:\n%s\nstderr:\n%s", argv[0], r->status, r->out, r->err);
    expect_err(r, "has not finished after 1.0 s");
    expect_err(r, "killed the traced tree");
    assert_true(snapshot_records(r, ET_SNAP_HANG) >= 1);
    assert_true(r->a.model.snapshot >= 1);
    expect_nothing_left(r);
    return r;
}

static struct run *run_hang(const char *const argv[])
{
    return run_hang_with(HANG_OPTIONS, argv);
}

/* The fix: it ends before the deadline with its own status, no snapshot,
 * no finding at all, nothing left. */
static void run_twin(const char *const argv[], int status)
{
    struct run *r = run_to_end(HANG_OPTIONS, argv);
    if (r->status != status)
        fail_msg("%s: exectrace exited %d, not %d\nstdout:\n%s\nstderr:\n%s", argv[0], r->status, status, r->out,
                 r->err);
    if (strstr(r->err, "has not finished"))
        fail_msg("the fixed twin %s hung:\n%s", argv[0], r->err);
    if (r->took > TWIN_LIMIT_S)
        fail_msg("the fixed twin %s took %.2f s", argv[0], r->took);
    assert_int_equal(r->a.model.snapshot, 0);
    if (r->a.findings.n) {
        print_findings(&r->a.findings);
        fail_msg("the fixed twin %s must report nothing\nstdout:\n%s", argv[0], r->out);
    }
    expect_nothing_left(r);
    run_free(r);
}

/* ---- pipe-deadlock ------------------------------------------------------------- */

static void pipe_deadlock(void **state)
{
    (void)state;
    struct run *r = run_hang((const char *const[]){example_bin("pipe-deadlock", "pipe_deadlock"), NULL});
    const struct et_finding *f = expect_finding(r, ET_FK_PIPE_DEADLOCK, ET_SEV_ERROR);
    expect_names_pid(r, f, out_pid(r, "main"), "main, in waitpid");
    expect_in_run_report(r, "error pipe-deadlock");
    expect_names_pid(r, f, out_pid(r, "child"), "seq, in write");
    expect_says(f, "is blocked in wait4(");
    expect_says(f, "is blocked in write(fd 1, pipe:[");
    /* The wait is explained by the deadlock: not reported again. */
    assert_null(find_kind(r, ET_FK_STUCK_WAIT));
    run_free(r);
}

static void pipe_deadlock_fixed(void **state)
{
    (void)state;
    run_twin((const char *const[]){example_bin("pipe-deadlock", "pipe_deadlock_fixed"), NULL}, 0);
}

/* A Go example: its default build, or with the state "go1.23" its build by
 * Go 1.23 (pidfds for every child); skips when that Go is not installed. */
static const char *go_example_bin(void **state, const char *name)
{
    static char path[2][PATH_MAX];
    static int next;
    char *p = path[next++ % 2];
    const char *suffix = *state ? "-go1.23" : "";
    snprintf(p, PATH_MAX, "%s/examples%s/pipe-deadlock/%s", EXECTRACE_BUILD_DIR, suffix, name);
    if (access(p, X_OK) != 0) {
        bool have = *state ? access("/usr/lib/go-1.23/bin/go", X_OK) == 0 : system("command -v go >/dev/null 2>&1") == 0;
        if (!have) {
            print_message("%s is not installed (./make.sh installs it): %s is not built\n",
                          *state ? "Go 1.23 (golang-1.23-go, bookworm-backports)" : "Go (golang-go)", p);
            skip();
        }
        fail_msg("%s is not built", p);
    }
    return p;
}

/* Go's StdoutPipe + Wait before reading, with a shell between the waiter
 * and the blocked writer. */
static void pipe_deadlock_go(void **state)
{
    struct run *r = run_hang((const char *const[]){go_example_bin(state, "go_wait_before_read"), NULL});
    const struct et_finding *f = expect_finding(r, ET_FK_PIPE_DEADLOCK, ET_SEV_ERROR);
    expect_names_pid(r, f, out_pid(r, "main"), "the Go program, in waitid");
    expect_names_command(r, f, "seq");
    expect_says(f, "is blocked in write(fd 1, pipe:[");
    char shell[32];
    snprintf(shell, sizeof(shell), "%d (sh -c", out_pid(r, "shell"));
    expect_says(f, shell);
    /* The wait is part of the deadlock: not reported again. */
    assert_null(find_kind(r, ET_FK_STUCK_WAIT));
    run_free(r);
}

static void pipe_deadlock_go_fixed(void **state)
{
    run_twin((const char *const[]){go_example_bin(state, "go_wait_before_read_fixed"), NULL}, 0);
}

static void pipe_deadlock_python(void **state)
{
    (void)state;
    NEED_PYTHON();
    struct run *r = run_hang((const char *const[]){python(), example_script("pipe-deadlock", "python_wait_before_read.py"), NULL});
    const struct et_finding *f = expect_finding(r, ET_FK_PIPE_DEADLOCK, ET_SEV_ERROR);
    expect_names_pid(r, f, out_pid(r, "main"), "python, in wait()");
    expect_in_run_report(r, "error pipe-deadlock");
    expect_names_pid(r, f, out_pid(r, "child"), "the child python, in write");
    run_free(r);
}

static void pipe_deadlock_python_fixed(void **state)
{
    (void)state;
    NEED_PYTHON();
    run_twin((const char *const[]){python(), example_script("pipe-deadlock", "python_wait_before_read_fixed.py"),
                                       NULL},
             0);
}

/* ---- blocked-on-held-pipe --------------------------------------------------------- */

static void blocked_on_held_pipe(void **state)
{
    (void)state;
    struct run *r = run_hang((const char *const[]){example_bin("blocked-on-held-pipe", "blocked_on_held_pipe"), NULL});
    const struct et_finding *f = expect_finding(r, ET_FK_BLOCKED_ON_HELD_PIPE, ET_SEV_ERROR);
    expect_names_pid(r, f, out_pid(r, "main"), "main, the reader");
    expect_in_run_report(r, "error blocked-on-held-pipe");
    expect_names_pid(r, f, out_pid(r, "helper"), "the helper holding the write end");
    expect_says(f, "is blocked in read(fd 3, pipe:[");
    expect_says(f, "holds a copy at fd 4");
    /* The job, the intended writer, has exited: it is not a holder. */
    for (uint32_t i = 0; i < f->nprocs; i++)
        assert_int_not_equal(r->a.model.procs[f->procs[i]].pid, out_pid(r, "job"));
    run_free(r);
}

static void blocked_on_held_pipe_fixed(void **state)
{
    (void)state;
    run_twin((const char *const[]){example_bin("blocked-on-held-pipe", "blocked_on_held_pipe_fixed"), NULL}, 0);
}

static void blocked_on_held_pipe_python(void **state)
{
    (void)state;
    NEED_PYTHON();
    struct run *r = run_hang((const char *const[]){python(),
                                       example_script("blocked-on-held-pipe", "python_communicate_after_kill.py"),
                                       NULL});
    const struct et_finding *f = expect_finding(r, ET_FK_BLOCKED_ON_HELD_PIPE, ET_SEV_ERROR);
    expect_names_pid(r, f, out_pid(r, "main"), "python, in communicate()");
    expect_in_run_report(r, "error blocked-on-held-pipe");
    expect_names_command(r, f, "sleep 30");
    /* ...which inherited the pipe from the shell that was killed. */
    char shell[32];
    snprintf(shell, sizeof(shell), "from %d (sh", out_pid(r, "shell"));
    expect_says(f, shell);
    expect_says(f, "was killed at");
    run_free(r);
}

static void blocked_on_held_pipe_python_fixed(void **state)
{
    (void)state;
    NEED_PYTHON();
    run_twin((const char *const[]){python(),
                                       example_script("blocked-on-held-pipe", "python_communicate_after_kill_fixed.py"),
                                       NULL},
             0);
}

static void blocked_on_held_pipe_shell(void **state)
{
    (void)state;
    struct run *r = run_hang((const char *const[]){"/bin/sh",
                                       example_script("blocked-on-held-pipe", "shell_background_in_substitution.sh"),
                                       NULL});
    const struct et_finding *f = expect_finding(r, ET_FK_BLOCKED_ON_HELD_PIPE, ET_SEV_ERROR);
    expect_names_pid(r, f, out_pid(r, "script"), "the script, reading $(...)");
    expect_in_run_report(r, "error blocked-on-held-pipe");
    expect_names_command(r, f, "sleep 30");
    expect_says(f, "inherited it (fd 1) from");
    run_free(r);
}

static void blocked_on_held_pipe_shell_fixed(void **state)
{
    (void)state;
    run_twin((const char *const[]){"/bin/sh", example_script("blocked-on-held-pipe",
                                                                 "shell_background_in_substitution_fixed.sh"),
                                       NULL},
             0);
}

/* The parent never loads the shim (linked -static, like a Go program): its
 * state comes from /proc alone.  Built here with `cc -static`, since
 * examples/examples.mk links only untraced/untraced statically. */
static bool is_static_elf(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    Elf64_Ehdr eh;
    bool is_static = false;
    if (read(fd, &eh, sizeof(eh)) == sizeof(eh) && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
        eh.e_ident[EI_CLASS] == ELFCLASS64) {
        is_static = true;
        for (unsigned i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) != sizeof(ph) ||
                ph.p_type == PT_INTERP) {
                is_static = false;
                break;
            }
        }
    }
    close(fd);
    return is_static;
}

/* Builds the static parent; its path, or NULL after skip(). */
static const char *build_static_parent(void)
{
    snprintf(static_dir, sizeof(static_dir), "/tmp/exectrace-static-XXXXXX");
    assert_non_null(mkdtemp(static_dir));
    char bin[sizeof(static_dir) + 32];
    snprintf(bin, sizeof(bin), "%s/static_parent", static_dir);
    char src[PATH_MAX];
    snprintf(src, sizeof(src), "%s/examples/blocked-on-held-pipe/static_parent.c", source_dir());
    struct captured c;
    int ran = run_captured((const char *const[]){"cc", "-static", "-O1", "-o", bin, src, NULL}, NULL, &c);
    const char *path = bin;
    if (ran != 0 || c.status != 0 || !is_static_elf(bin)) {
        /* No compiler, or no static libc: the build's own copy will do if
         * the Makefile links it statically. */
        const char *built = EXECTRACE_BUILD_DIR "/examples/blocked-on-held-pipe/static_parent";
        if (!is_static_elf(built)) {
            print_message("cannot link a static program here (cc -static: status %d: %s), and %s is not static\n",
                          ran == 0 ? c.status : -1, ran == 0 ? c.err : "did not run", built);
            if (ran == 0)
                captured_free(&c);
            remove_static_dir();
            skip();
        }
        path = built;
    }
    if (ran == 0)
        captured_free(&c);
    static char built_path[sizeof(bin)];
    snprintf(built_path, sizeof(built_path), "%s", path);
    return built_path;
}

/* The hang is named either way: from the recorder's records, or from /proc
 * alone when it is off. */
static void check_static_parent_hang(struct run *r, int main_pid)
{
    const struct et_finding *f = expect_finding(r, ET_FK_BLOCKED_ON_HELD_PIPE, ET_SEV_ERROR);
    expect_names_pid(r, f, main_pid, "the static parent, blocked in read");
    expect_in_run_report(r, "error blocked-on-held-pipe");
    expect_names_command(r, f, "sleep 30");
    expect_says(f, "is blocked in read(fd 3, pipe:[");
    char shell[32];
    snprintf(shell, sizeof(shell), "from %d (sh", out_pid(r, "shell"));
    expect_says(f, shell);
}

static void blocked_on_held_pipe_static_parent(void **state)
{
    (void)state;
    const char *path = build_static_parent();
    struct run *r = run_hang_with(HANG_OPTIONS_SHIM_ONLY, (const char *const[]){path, NULL});
    remove_static_dir();
    int main_pid = out_pid(r, "main");
    /* The trace has none of its calls... */
    const struct et_finding *u = expect_finding(r, ET_FK_UNTRACED, ET_SEV_INFO);
    expect_names_pid(r, u, main_pid, "the static parent");
    /* ...yet the hang is named, from /proc. */
    check_static_parent_hang(r, main_pid);
    run_free(r);
}

/* With the recorder, the static parent's pipe and fork are in the trace. */
static void blocked_on_held_pipe_static_parent_recorded(void **state)
{
    (void)state;
    const char *path = build_static_parent();
    struct run *r = run_hang((const char *const[]){path, NULL});
    remove_static_dir();
    int main_pid = out_pid(r, "main");
    assert_null(find_kind(r, ET_FK_UNTRACED));
    check_static_parent_hang(r, main_pid);
    const struct et_finding *f = find_kind(r, ET_FK_BLOCKED_ON_HELD_PIPE);
    bool cites_pipe = false;
    for (uint32_t k = 0; k < f->nevidence; k++)
        cites_pipe |= f->evidence[k]->type == ET_REC_PIPE && f->evidence[k]->pid == (uint32_t)main_pid &&
                      (f->evidence[k]->flags & ET_RF_RECORDER);
    if (!cites_pipe)
        fail_msg("the finding does not cite the static parent's pipe, recorded by ptrace: %s", f->message);
    run_free(r);
}

/* ---- self-held-pipe -------------------------------------------------------------- */

static void self_held_pipe(void **state)
{
    (void)state;
    struct run *r = run_hang((const char *const[]){example_bin("self-held-pipe", "self_held_pipe"), NULL});
    const struct et_finding *f = expect_finding(r, ET_FK_SELF_HELD_PIPE, ET_SEV_ERROR);
    expect_names_pid(r, f, out_pid(r, "main"), "main, reading its own pipe");
    expect_in_run_report(r, "error self-held-pipe");
    expect_says(f, "(fd 3) whose write end it holds itself (fd 4)");
    /* Its exited child is a zombie main cannot reap while it reads: that
     * is the same hang, not a second finding. */
    assert_null(find_kind(r, ET_FK_ZOMBIE));
    run_free(r);
}

static void self_held_pipe_fixed(void **state)
{
    (void)state;
    run_twin((const char *const[]){example_bin("self-held-pipe", "self_held_pipe_fixed"), NULL}, 0);
}

/* ---- zombie ------------------------------------------------------------------------ */

/* A parent that never reaps: its exited child is a zombie at the snapshot.
 * Traced, the report says for how long; exec'd into a static program,
 * whose exit is not recorded, only the snapshot knows. */
static void check_live_zombie(const char *const *options, const char *mode, const char *says)
{
    char prog[PATH_MAX], statik[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("hang_zombie"));
    snprintf(statik, sizeof(statik), "%s", test_prog("hang_zombie_static"));
    struct run *r = run_hang_with(options, (const char *const[]){prog, mode, statik, NULL});
    const struct et_finding *f = expect_finding(r, ET_FK_ZOMBIE, ET_SEV_WARNING);
    expect_names_pid(r, f, out_pid(r, "job"), "the zombie");
    expect_names_pid(r, f, out_pid(r, "main"), "its parent, which never reaps it");
    expect_says(f, says);
    expect_in_run_report(r, "warning zombie");
    run_free(r);
}

static void zombie_traced(void **state)
{
    (void)state;
    check_live_zombie(HANG_OPTIONS, "traced", "since it exited at");
}

static void zombie_untraced(void **state)
{
    (void)state;
    check_live_zombie(HANG_OPTIONS_SHIM_ONLY, "untraced", "(since when is not recorded)");
}

/* The static program's exit is the recorder's: the report knows when. */
static void zombie_untraced_recorded(void **state)
{
    (void)state;
    check_live_zombie(HANG_OPTIONS, "untraced", "since it exited at");
}

/* ---- stuck-wait ------------------------------------------------------------------- */

static void stuck_wait(void **state)
{
    (void)state;
    struct run *r = run_hang((const char *const[]){example_bin("stuck-wait", "stuck_wait"), NULL});
    const struct et_finding *f = expect_finding(r, ET_FK_STUCK_WAIT, ET_SEV_WARNING);
    expect_names_pid(r, f, out_pid(r, "main"), "main, in waitpid");
    expect_in_run_report(r, "warning stuck-wait");
    expect_names_pid(r, f, out_pid(r, "step"), "the step, in flock");
    expect_says(f, "in flock");
    run_free(r);
}

static void stuck_wait_fixed(void **state)
{
    (void)state;
    run_twin((const char *const[]){example_bin("stuck-wait", "stuck_wait_fixed"), NULL}, 0);
}

static void check_shell_lock_twice(struct run *r)
{
    const struct et_finding *f = expect_finding(r, ET_FK_STUCK_WAIT, ET_SEV_WARNING);
    expect_in_run_report(r, "warning stuck-wait");
    expect_names_pid(r, f, out_pid(r, "script"), "the script, waiting for the step");
    /* The chain runs down to flock(1), blocked in flock(). */
    expect_says(f, "(flock -w 30 . echo");
    expect_says(f, "in flock)");
}

/* Under the options every other example uses. */
static void stuck_wait_shell(void **state)
{
    (void)state;
    struct run *r = run_hang((const char *const[]){"/bin/sh", example_script("stuck-wait", "shell_lock_twice.sh"), NULL});
    check_shell_lock_twice(r);
    run_free(r);
}

/* The same with two seconds: the rule itself is right, given time. */
static void stuck_wait_shell_after_2s(void **state)
{
    (void)state;
    struct run *r = run_to_end((const char *const[]){"--hang-after", "2", "--kill-after-report", NULL},
                               (const char *const[]){"/bin/sh", example_script("stuck-wait", "shell_lock_twice.sh"),
                                                     NULL});
    assert_int_equal(r->status, 124);
    expect_err(r, "has not finished after 2.0 s");
    check_shell_lock_twice(r);
    expect_nothing_left(r);
    run_free(r);
}

static void stuck_wait_shell_fixed(void **state)
{
    (void)state;
    run_twin((const char *const[]){"/bin/sh", example_script("stuck-wait", "shell_lock_twice_fixed.sh"), NULL},
             0);
}

/* ---- from outside: exectrace snapshot, Ctrl-C --------------------------------------- */

/* Waits (at most 5 s) until the example has printed `text` and process pid
 * is blocked in system call nr. */
static void wait_until_blocked(struct run *r, const char *text, const char *key, int nr, int *pid)
{
    double start = now_s();
    char want[16];
    snprintf(want, sizeof(want), "%d ", nr);
    for (;;) {
        free(r->out);
        r->out = slurp(r->out_path);
        if (strstr(r->out, text)) {
            *pid = out_pid(r, key);
            char path[64], buf[256] = "";
            snprintf(path, sizeof(path), "/proc/%d/syscall", *pid);
            FILE *f = fopen(path, "r");
            if (f) {
                if (!fgets(buf, sizeof(buf), f))
                    buf[0] = 0;
                fclose(f);
            }
            if (strncmp(buf, want, strlen(want)) == 0)
                return;
        }
        if (now_s() - start > 5.0)
            fail_msg("the example did not get to its hang within 5 s\nstdout:\n%s", r->out);
        usleep(10000);
    }
}

static void snapshot_from_another_terminal(void **state)
{
    (void)state;
    double started = now_s();
    struct run *r = run_start(NULL, (const char *const[]){example_bin("blocked-on-held-pipe", "blocked_on_held_pipe"), NULL});
    int main_pid;
    wait_until_blocked(r, "job said: job done", "main", 0 /* read */, &main_pid);

    struct captured c;
    assert_int_equal(run_captured((const char *const[]){exectrace_bin(), "snapshot", r->trace, NULL}, NULL, &c), 0);
    if (c.status != 1)
        fail_msg("exectrace snapshot exited %d, not 1\nstdout:\n%s\nstderr:\n%s", c.status, c.out, c.err);
    if (!strstr(c.err, "snapshot #1 of the live tree: 3 processes"))
        fail_msg("exectrace snapshot's stderr:\n%s", c.err);
    if (!strstr(c.out, "error blocked-on-held-pipe"))
        fail_msg("exectrace snapshot's report lacks the hang:\n%s", c.out);
    char who[64];
    snprintf(who, sizeof(who), "%d (blocked_on_held_pipe) is blocked in read(fd 3", main_pid);
    if (!strstr(c.out, who))
        fail_msg("exectrace snapshot's report does not name main (%d) as the reader:\n%s", main_pid, c.out);
    captured_free(&c);

    /* The run goes on, unaware; the tree is still there.  Now end it. */
    assert_int_equal(kill(main_pid, 0), 0);
    assert_int_equal(kill(-r->pid, SIGKILL), 0);
    kill_marked(r->token);
    run_finish(r, started);
    assert_int_equal(snapshot_records(r, ET_SNAP_REQUESTED), 3);
    assert_non_null(find_kind(r, ET_FK_BLOCKED_ON_HELD_PIPE));
    expect_nothing_left(r);

    /* Once the run is over there is nothing to snapshot. */
    assert_int_equal(run_captured((const char *const[]){exectrace_bin(), "snapshot", r->trace, NULL}, NULL, &c), 0);
    assert_int_equal(c.status, 2);
    if (!strstr(c.err, "is no longer running"))
        fail_msg("exectrace snapshot on a finished run said:\n%s", c.err);
    captured_free(&c);
    run_free(r);
}

/* A tree exectrace did not start: `snapshot --pid` reads it from /proc into
 * a new trace, reports the hang, and `report` and `tree` read it later. */
static void snapshot_of_a_tree_exectrace_did_not_start(void **state)
{
    (void)state;
    char dir[] = "/tmp/exectrace-live-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char out_path[PATH_MAX], trace[PATH_MAX];
    snprintf(out_path, sizeof(out_path), "%s/out", dir);
    snprintf(trace, sizeof(trace), "%s/live.trace", dir);
    pid_t main_pid = fork();
    assert_true(main_pid >= 0);
    if (main_pid == 0) {
        setpgid(0, 0);
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        close(fd);
        unsetenv("LD_PRELOAD");
        execl(example_bin("blocked-on-held-pipe", "blocked_on_held_pipe"), "blocked_on_held_pipe", (char *)NULL);
        _exit(127);
    }
    /* Until it reads (system call 0) the pipe its helper holds. */
    double start = now_s();
    for (char buf[64] = "";; usleep(10000)) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/syscall", (int)main_pid);
        FILE *f = fopen(path, "r");
        if (f && fgets(buf, sizeof(buf), f) && strncmp(buf, "0 ", 2) == 0) {
            char *out = slurp(out_path);
            bool ready = strstr(out, "job said: job done");
            free(out);
            fclose(f);
            if (ready)
                break;
        } else if (f) {
            fclose(f);
        }
        if (now_s() - start > 5.0) {
            kill(-main_pid, SIGKILL);
            fail_msg("the example did not get to its hang within 5 s");
        }
    }

    char pid_text[16];
    snprintf(pid_text, sizeof(pid_text), "%d", (int)main_pid);
    struct captured c;
    assert_int_equal(
        run_captured((const char *const[]){exectrace_bin(), "snapshot", "--pid", pid_text, "-o", trace, NULL}, NULL, &c),
        0);
    char who[64];
    snprintf(who, sizeof(who), "%d (blocked_on_held) is blocked in read(fd 3", (int)main_pid);
    if (c.status != 1 || !strstr(c.out, "error blocked-on-held-pipe") || !strstr(c.out, who) ||
        strstr(c.out, "untraced"))
        fail_msg("snapshot --pid exited %d:\nstdout:\n%s\nstderr:\n%s", c.status, c.out, c.err);
    if (!strstr(c.err, "snapshot of 3 live processes in "))
        fail_msg("snapshot --pid's stderr:\n%s", c.err);
    captured_free(&c);
    kill(-main_pid, SIGKILL);
    waitpid(main_pid, NULL, 0);

    /* The file is a trace like any other, read after the tree is gone. */
    assert_int_equal(run_captured((const char *const[]){exectrace_bin(), "report", trace, NULL}, NULL, &c), 0);
    assert_int_equal(c.status, 1);
    assert_non_null(strstr(c.out, "error blocked-on-held-pipe"));
    captured_free(&c);
    assert_int_equal(run_captured((const char *const[]){exectrace_bin(), "tree", trace, NULL}, NULL, &c), 0);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, pid_text));
    /* All the trace knows of them: alive then. */
    assert_non_null(strstr(c.out, "alive at the snapshot at +"));
    assert_null(strstr(c.out, "still running"));
    captured_free(&c);
    char html[PATH_MAX + 8];
    snprintf(html, sizeof(html), "%s.html", trace);
    assert_int_equal(run_captured((const char *const[]){exectrace_bin(), "timeline", "-o", html, trace, NULL}, NULL, &c),
                     0);
    assert_int_equal(c.status, 0);
    captured_free(&c);
    assert_int_equal(unlink(html), 0);
    assert_int_equal(run_captured((const char *const[]){exectrace_bin(), "export", "--format", "chrome-json", "-o",
                                                        "/dev/null", trace, NULL},
                                  NULL, &c),
                     0);
    assert_int_equal(c.status, 0);
    captured_free(&c);

    /* What cannot be snapshot says so, and exits 2. */
    assert_int_equal(run_captured((const char *const[]){exectrace_bin(), "snapshot", "--pid", pid_text, "-o", trace,
                                                        NULL},
                                  NULL, &c),
                     0);
    if (c.status != 2 || !strstr(c.err, "no such process"))
        fail_msg("snapshot --pid of a process gone: exit %d, stderr:\n%s", c.status, c.err);
    captured_free(&c);
    assert_int_equal(run_captured((const char *const[]){exectrace_bin(), "snapshot", "--pid", "1", trace, NULL}, NULL,
                                  &c),
                     0);
    assert_int_equal(c.status, 2); /* a FILE with --pid: usage */
    captured_free(&c);
    if (geteuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0) {
        /* Another user's process: not ours to read. */
        assert_int_equal(run_captured((const char *const[]){"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                                            "--clear-groups", exectrace_bin(), "snapshot", "--pid",
                                                            "1", "-o", "/dev/null", NULL},
                                      NULL, &c),
                         0);
        if (c.status != 2 || !strstr(c.err, "belongs to uid 0"))
            fail_msg("snapshot --pid 1 as nobody: exit %d, stderr:\n%s", c.status, c.err);
        captured_free(&c);
    } else {
        print_message("not root, or no setpriv: the not-permitted case is not checked here\n");
    }
    unlink(trace);
    unlink(out_path);
    rmdir(dir);
}

static void ctrl_c_snapshots_and_reports(void **state)
{
    (void)state;
    double started = now_s();
    struct run *r = run_start(NULL, (const char *const[]){example_bin("self-held-pipe", "self_held_pipe"), NULL});
    int main_pid;
    wait_until_blocked(r, "read: hello from echo", "main", 0 /* read */, &main_pid);
    /* What a terminal does on Ctrl-C: SIGINT to the foreground group. */
    assert_int_equal(kill(-r->pid, SIGINT), 0);
    run_finish(r, started);
    /* The command died of SIGINT: 128 + 2. */
    if (r->status != 130)
        fail_msg("exectrace run exited %d after Ctrl-C, not 130\nstderr:\n%s", r->status, r->err);
    size_t n = snapshot_records(r, ET_SNAP_INTERRUPT);
    if (n == 0)
        fail_msg("no snapshot record with reason interrupt in the trace\nstderr:\n%s", r->err);
    expect_err(r, "snapshot #1 of the live tree");
    /* The report comes at the end, after the summary line. */
    const char *summary = strstr(r->err, "exectrace: trace ");
    const char *report = strstr(r->err, "exectrace report: ");
    if (!summary || !report || report < summary)
        fail_msg("no report after the summary on Ctrl-C:\n%s", r->err);
    /* SIGINT reached main at the same time as exectrace: whether the
     * snapshot still saw it in read() is a race.  When it did, the hang is
     * named. */
    for (size_t i = 0; i < r->a.model.nprocs; i++) {
        const struct et_record *s = r->a.model.procs[i].snap;
        if (s && r->a.model.procs[i].pid == (uint32_t)main_pid &&
            ((const struct et_snapshot *)et_body(s))->state == 'S') {
            assert_non_null(find_kind(r, ET_FK_SELF_HELD_PIPE));
            if (!strstr(r->err, "error self-held-pipe"))
                fail_msg("the report printed on Ctrl-C lacks the hang:\n%s", r->err);
        }
    }
    expect_nothing_left(r);
    run_free(r);
}

/* The interrupt snapshot is taken while the processes the same SIGINT
 * killed are zombies, not yet reaped by exectrace: they are not zombies to
 * report (their parent is exectrace, or is dead itself). */
static void ctrl_c_reports_no_zombie_for_what_it_killed(void **state)
{
    (void)state;
    double started = now_s();
    struct run *r = run_start(NULL, (const char *const[]){example_bin("self-held-pipe", "self_held_pipe"), NULL});
    int main_pid;
    wait_until_blocked(r, "read: hello from echo", "main", 0 /* read */, &main_pid);
    assert_int_equal(kill(-r->pid, SIGINT), 0);
    run_finish(r, started);
    assert_int_equal(r->status, 130);
    assert_true(snapshot_records(r, ET_SNAP_INTERRUPT) >= 1);
    if (find_kind(r, ET_FK_ZOMBIE)) {
        print_findings(&r->a.findings);
        fail_msg("Ctrl-C: processes killed by the same SIGINT, not yet reaped, are reported as zombies\nstderr:\n%s",
                 r->err);
    }
    expect_nothing_left(r);
    run_free(r);
}

/* `exectrace report` on the trace after the run must judge the snapshot as
 * the run did at the hang: the processes were killed and reaped after the
 * snapshot, but at the snapshot they were blocked in calls the trace
 * recorded (the pipe's creation, the wait's entry). */
static void report_after_the_run_sees_the_snapshot_as_the_run_did(void **state)
{
    (void)state;
    struct run *r = run_hang((const char *const[]){example_bin("pipe-deadlock", "pipe_deadlock"), NULL});
    /* At the hang, the evidence had the pipe and the wait. */
    expect_in_run_report(r, "] pipe([3 r, 4 w] pipe:[");
    expect_in_run_report(r, "] waitpid(");
    const struct et_finding *f = expect_finding(r, ET_FK_PIPE_DEADLOCK, ET_SEV_ERROR);
    bool pipe_rec = false, wait_rec = false;
    for (uint32_t i = 0; i < f->nevidence; i++) {
        pipe_rec = pipe_rec || f->evidence[i]->type == ET_REC_PIPE;
        wait_rec = wait_rec || f->evidence[i]->type == ET_REC_WAIT_ENTER;
    }
    if (!pipe_rec || !wait_rec)
        fail_msg("after the run, the pipe-deadlock finding has lost its evidence:%s%s (the report at the hang had "
                 "both)\n%s",
                 pipe_rec ? "" : " the pipe() record", wait_rec ? "" : " the waitpid() entry", r->err);
    run_free(r);

    /* A traced wait is not "not traced" because its process ended later. */
    r = run_hang((const char *const[]){example_bin("stuck-wait", "stuck_wait"), NULL});
    f = expect_finding(r, ET_FK_STUCK_WAIT, ET_SEV_WARNING);
    if (strstr(f->message, "it is not traced"))
        fail_msg("after the run, stuck-wait calls the traced waiter untraced: %s", f->message);
    run_free(r);
}

/* The Go 1.23 builds, as a test's initial state. */
static char go123[] = "go1.23";

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(snapshot_of_a_tree_exectrace_did_not_start, teardown),
        cmocka_unit_test_teardown(pipe_deadlock, teardown),
        cmocka_unit_test_teardown(pipe_deadlock_fixed, teardown),
        cmocka_unit_test_teardown(pipe_deadlock_go, teardown),
        cmocka_unit_test_teardown(pipe_deadlock_go_fixed, teardown),
        {"pipe_deadlock_go_1_23", pipe_deadlock_go, NULL, teardown, go123},
        {"pipe_deadlock_go_fixed_1_23", pipe_deadlock_go_fixed, NULL, teardown, go123},
        cmocka_unit_test_teardown(pipe_deadlock_python, teardown),
        cmocka_unit_test_teardown(pipe_deadlock_python_fixed, teardown),
        cmocka_unit_test_teardown(blocked_on_held_pipe, teardown),
        cmocka_unit_test_teardown(blocked_on_held_pipe_fixed, teardown),
        cmocka_unit_test_teardown(blocked_on_held_pipe_python, teardown),
        cmocka_unit_test_teardown(blocked_on_held_pipe_python_fixed, teardown),
        cmocka_unit_test_teardown(blocked_on_held_pipe_shell, teardown),
        cmocka_unit_test_teardown(blocked_on_held_pipe_shell_fixed, teardown),
        cmocka_unit_test_teardown(blocked_on_held_pipe_static_parent, teardown),
        cmocka_unit_test_teardown(blocked_on_held_pipe_static_parent_recorded, teardown),
        cmocka_unit_test_teardown(self_held_pipe, teardown),
        cmocka_unit_test_teardown(self_held_pipe_fixed, teardown),
        cmocka_unit_test_teardown(zombie_traced, teardown),
        cmocka_unit_test_teardown(zombie_untraced, teardown),
        cmocka_unit_test_teardown(zombie_untraced_recorded, teardown),
        cmocka_unit_test_teardown(stuck_wait, teardown),
        cmocka_unit_test_teardown(stuck_wait_fixed, teardown),
        cmocka_unit_test_teardown(stuck_wait_shell, teardown),
        cmocka_unit_test_teardown(stuck_wait_shell_after_2s, teardown),
        cmocka_unit_test_teardown(stuck_wait_shell_fixed, teardown),
        cmocka_unit_test_teardown(snapshot_from_another_terminal, teardown),
        cmocka_unit_test_teardown(ctrl_c_snapshots_and_reports, teardown),
        cmocka_unit_test_teardown(ctrl_c_reports_no_zombie_for_what_it_killed, teardown),
        cmocka_unit_test_teardown(report_after_the_run_sees_the_snapshot_as_the_run_did, teardown),
    };
    return cmocka_run_group_tests_name("hangs", tests, NULL, NULL);
}
