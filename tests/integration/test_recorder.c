/* The ptrace + seccomp recorder of `exectrace run`: programs that never load
 * the shim (static, static-pie, Go's raw calls) are recorded, and every
 * program behaves as it does untraced, through the stops a tracer gets
 * wrong: signals, group-stops, SIGKILL in a stop, exit_group with threads,
 * vfork, exec from a thread, zombies, the tracer's own death.  And where
 * ptrace or seccomp is refused, exectrace says so and records with the shim
 * alone. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <inttypes.h>
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

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif

#include "files.h"
#include "findings.h"
#include "rules.h"
#include "harness.h"
#include "model.h"
#include "names.h"
#include "report.h"

/* The three builds of one program: static, static-pie, dynamic. */
static const char *const BUILDS[] = {"_static", "_static_pie", ""};

static const char *prog_build(const char *name, const char *suffix)
{
    static char path[4][PATH_MAX];
    static int next;
    char *p = path[next++ % 4];
    char base[128];
    snprintf(base, sizeof(base), "%s%s", name, suffix);
    snprintf(p, PATH_MAX, "%s", test_prog(base));
    if (access(p, X_OK) != 0)
        fail_msg("%s is not built", p);
    return p;
}

static void run_ok(struct traced_run *r, const char *const *options, const char *const argv[])
{
    assert_int_equal(traced_run(r, options, NULL, argv), 0);
    if (!r->loaded)
        fail_msg("the trace could not be read\nstderr:\n%s", r->err);
    if (r->trace.problems)
        fail_msg("the reader found damage: %s", r->trace.diag);
}

static bool by_recorder(const struct et_record *r, const void *arg)
{
    (void)arg;
    return (r->flags & ET_RF_RECORDER) != 0;
}

/* Runs `recorder_cases MODE` plainly and traced, each build; the output
 * must be `expect` (after the pids the program prints, which differ), the
 * status `status`; checks(r, build) looks at the trace. */
typedef void (*trace_check)(const struct traced_run *r, const char *build);

/* Drops "=DIGITS" after the keys that carry pids. */
static void without_pids(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; in[i] && o + 1 < len; i++) {
        out[o++] = in[i];
        if (in[i] == '=' && ((i >= 5 && !strncmp(in + i - 5, "child", 5)) || (i >= 6 && !strncmp(in + i - 6, "leader", 6))))
            while (in[i + 1] >= '0' && in[i + 1] <= '9')
                i++;
    }
    out[o] = 0;
}

static void check_mode(const char *mode, const char *expect, int status, trace_check check)
{
    for (size_t b = 0; b < sizeof(BUILDS) / sizeof(BUILDS[0]); b++) {
        const char *prog = prog_build("recorder_cases", BUILDS[b]);
        struct captured plain;
        assert_int_equal(run_captured((const char *const[]){prog, mode, NULL}, NULL, &plain), 0);
        char got[4096];
        without_pids(plain.out, got, sizeof(got));
        if (plain.status != status || strcmp(got, expect) != 0)
            fail_msg("untraced, %s %s exited %d and said:\n%s\n(expected %d and:\n%s)", prog, mode, plain.status,
                     plain.out, status, expect);
        captured_free(&plain);

        struct traced_run r;
        run_ok(&r, (const char *const[]){"-q", NULL}, (const char *const[]){prog, mode, NULL});
        without_pids(r.out, got, sizeof(got));
        if (r.status != status || strcmp(got, expect) != 0)
            fail_msg("traced, %s %s exited %d and said:\n%s\n(expected %d and:\n%s)\nstderr:\n%s", prog, mode,
                     r.status, r.out, status, expect, r.err);
        if (check)
            check(&r, BUILDS[b]);
        traced_run_free(&r);
    }
}

static bool is_static(const char *build)
{
    return build[0] != 0;
}

/* A static build's own calls are the recorder's; a dynamic one's, the
 * shim's, never both. */
static void calls_recorded_once(const struct traced_run *r, const char *build, uint16_t type, size_t at_least)
{
    int pid = command_pid(r);
    size_t by_tracer = count_records(r, type, pid, by_recorder, NULL);
    size_t all = count_records(r, type, pid, NULL, NULL);
    if (is_static(build) ? by_tracer < at_least || by_tracer != all : by_tracer != 0 || all < at_least)
        fail_msg("%s build: %zu %s records, %zu of them by the recorder (expected at least %zu, all %s)",
                 build[0] ? build + 1 : "dynamic", all, et_record_type_name(type), by_tracer, at_least,
                 is_static(build) ? "by the recorder" : "by the shim");
}

static void check_signals(const struct traced_run *r, const char *build)
{
    calls_recorded_once(r, build, ET_REC_SIGNAL, 15);
    calls_recorded_once(r, build, ET_REC_FORK, 1);
    calls_recorded_once(r, build, ET_REC_PIPE, 1);
}

static void signals_reach_their_handlers_and_calls_restart(void **state)
{
    (void)state;
    check_mode("signals", "usr1=5 alrm=5 term=5 chld=1 read=1x status=0\n", 0, check_signals);
}

static void group_stops_stay_stopped_until_sigcont(void **state)
{
    (void)state;
    check_mode("stop",
               "SIGSTOP: stopped=1 still-stopped=1 continued=1 exit=1\n"
               "SIGTSTP: stopped=1 still-stopped=1 continued=1 exit=1\n",
               0, NULL);
}

static void check_killed(const struct traced_run *r, const char *build)
{
    calls_recorded_once(r, build, ET_REC_SIGNAL, 1);
}

static void sigkill_in_the_middle_of_traced_calls(void **state)
{
    (void)state;
    check_mode("kill-in-calls", "killed=9\n", 0, check_killed);
}

static void check_exit_group(const struct traced_run *r, const char *build)
{
    if (!is_static(build))
        return;
    const struct et_record *exit = find_record(r, ET_REC_IMAGE_EXIT, command_pid(r), by_recorder, NULL);
    assert_non_null(exit);
    assert_int_equal(BODY(exit, et_image_exit)->how, ET_EXIT_EXIT_GROUP);
    assert_int_equal(BODY(exit, et_image_exit)->status, 3);
}

static void exit_group_while_threads_are_in_traced_calls(void **state)
{
    (void)state;
    check_mode("exit-threads", "exiting with 3\n", 3, check_exit_group);
}

static bool is_vfork_child(const struct et_record *r, const void *arg)
{
    (void)arg;
    return BODY(r, et_image_start)->origin == ET_ORIGIN_VFORK;
}

static void check_vfork(const struct traced_run *r, const char *build)
{
    calls_recorded_once(r, build, ET_REC_FORK, 1);
    const struct et_record *child = find_record(r, ET_REC_IMAGE_START, -1, is_vfork_child, NULL);
    assert_non_null(child);
    /* Its exec is its own, flagged as made on the parent's memory. */
    const struct et_record *exec = find_record(r, ET_REC_EXEC, (int)child->pid, NULL, NULL);
    assert_non_null(exec);
    if (is_static(build))
        assert_true(exec->flags & ET_RF_VFORK_CHILD);
}

static void vfork_children_run_and_exec(void **state)
{
    (void)state;
    check_mode("vfork", "vfork child= status=5\n", 0, check_vfork);
}

static void check_thread_exec(const struct traced_run *r, const char *build)
{
    int leader = command_pid(r);
    const struct et_record *exec = find_record(r, ET_REC_EXEC, leader, NULL, NULL);
    while (exec && BODY(exec, et_exec)->kind == ET_EXEC_EXECVP)
        exec = find_record(r, ET_REC_EXEC, leader, by_recorder, NULL);
    if (is_static(build)) {
        assert_non_null(exec);
        /* Made by the thread, recorded under its tid... */
        assert_int_not_equal((int)exec->tid, leader);
    }
    /* ...and the new image is the leader's pid. */
    const struct et_record *echo = start_by_argv0(r, "echo");
    assert_non_null(echo);
    assert_int_equal((int)echo->pid, leader);
}

static void exec_from_a_thread_that_is_not_the_leader(void **state)
{
    (void)state;
    check_mode("thread-exec", "leader=\nthread-exec done\n", 0, check_thread_exec);
}

static void check_zombie(const struct traced_run *r, const char *build)
{
    calls_recorded_once(r, build, ET_REC_WAIT_RETURN, 1);
}

static void a_child_that_exits_is_its_parents_zombie(void **state)
{
    (void)state;
    check_mode("zombie", "state=Z reaped=1 status=4\n", 0, check_zombie);
}

/* A tracee gets even the signals it ignores (to stop for its tracer), and
 * the call it was blocked in returns; epoll_wait, which the kernel does not
 * restart, must not fail with an EINTR the program never sees untraced. */
static void an_ignored_signal_does_not_interrupt_a_blocking_call(void **state)
{
    (void)state;
    check_mode("ignored", "epoll_wait=0 timed out\n", 0, NULL);
}

/* ---- the tracer's death -------------------------------------------------------- */

static bool alive(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char state = 'X';
    if (fgets(buf, sizeof(buf), f)) {
        char *paren = strrchr(buf, ')');
        if (paren)
            state = paren[2];
    }
    fclose(f);
    return state != 'Z' && state != 'X';
}

/* Nothing filtered may outlive its tracer: its next traced call would fail
 * with ENOSYS.  PTRACE_O_EXITKILL kills the tree with the launcher. */
static void a_killed_launcher_leaves_nothing_running(void **state)
{
    (void)state;
    char dir[] = "/tmp/exectrace-rec-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char trace[PATH_MAX];
    snprintf(trace, sizeof(trace), "%s/t.trace", dir);
    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t launcher = fork();
    if (launcher == 0) {
        setpgid(0, 0);
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execl(exectrace_bin(), "exectrace", "run", "-q", "-o", trace, "--", prog_build("recorder_cases", "_static"),
              "sleep", "20000", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char buf[128] = "";
    ssize_t n = read(out[0], buf, sizeof(buf) - 1);
    close(out[0]);
    buf[n > 0 ? n : 0] = 0;
    int pid = 0;
    if (sscanf(buf, "pid=%d", &pid) != 1) {
        kill(-launcher, SIGKILL);
        waitpid(launcher, NULL, 0);
        fail_msg("the traced program did not start: %s", buf);
    }
    assert_true(alive(pid));
    kill(launcher, SIGKILL);
    waitpid(launcher, NULL, 0);
    bool gone = false;
    for (int i = 0; i < 200 && !gone; i++) {
        gone = !alive(pid);
        if (!gone)
            usleep(10000);
    }
    if (!gone)
        kill(pid, SIGKILL);
    unlink(trace);
    rmdir(dir);
    if (!gone)
        fail_msg("pid %d still ran 2 s after its tracer was killed", pid);
}

/* ---- Go's raw patterns ----------------------------------------------------------- */

static bool is_pidfd_signal(const struct et_record *r, const void *arg)
{
    (void)arg;
    return BODY(r, et_signal)->kind == ET_SIGNAL_PIDFD_SEND_SIGNAL && BODY(r, et_signal)->sig == SIGKILL;
}

static void build_model(struct traced_run *r, struct et_analysis *a)
{
    struct et_thresholds th;
    et_default_thresholds(&th);
    assert_int_equal(et_analyze(a, &r->trace, &th), 0);
}

static void print_findings(const struct et_findings *F)
{
    for (size_t i = 0; i < F->n; i++)
        print_message("  %s %s: %s\n", et_severity_name(F->v[i].severity),
                      et_finding_kind_name(F->v[i].kind), F->v[i].message);
}

/* Go 1.22+: the child made with CLONE_PIDFD, killed and reaped through the
 * pidfd; the pidfd probe before it is not a finding. */
static void pidfd_clone_kill_and_wait_are_recorded(void **state)
{
    (void)state;
    for (int b = 0; b < 2; b++) {
        struct traced_run r;
        run_ok(&r, (const char *const[]){"-q", NULL},
               (const char *const[]){prog_build("go_patterns", BUILDS[b]), "pidfd-kill", NULL});
        if (r.status != 0)
            fail_msg("go_patterns pidfd-kill exited %d:\n%s%s", r.status, r.out, r.err);
        int main_pid = command_pid(&r);
        const struct et_record *fork = find_record(&r, ET_REC_FORK, main_pid, by_recorder, NULL);
        assert_non_null(fork);
        assert_true(BODY(fork, et_fork)->clone_flags & CLONE_PIDFD);
        int child = BODY(fork, et_fork)->result;
        const struct et_record *kill = find_record(&r, ET_REC_SIGNAL, main_pid, is_pidfd_signal, NULL);
        assert_non_null(kill);
        assert_int_equal(BODY(kill, et_signal)->pidfd_pid, child);
        struct et_analysis a;
        build_model(&r, &a);
        if (a.findings.n) {
            print_findings(&a.findings);
            fail_msg("a child killed and reaped through its pidfd is not a finding");
        }
        /* The model knows who killed the child. */
        bool killed = false;
        for (size_t i = 0; i < a.model.nprocs; i++)
            if (a.model.procs[i].pid == (uint32_t)child)
                killed = a.model.procs[i].end_how == ET_END_KILLED && a.model.procs[i].killed_by == kill;
        assert_true(killed);
        et_analysis_free(&a);
        traced_run_free(&r);
    }
}

/* Go 1.19: waitid(WNOWAIT) then wait4, then syscall.Kill on the reaped pid. */
static void kill_after_reap_by_a_go_like_parent_is_found(void **state)
{
    (void)state;
    for (int b = 0; b < 2; b++) {
        struct traced_run r;
        run_ok(&r, (const char *const[]){"-q", NULL},
               (const char *const[]){prog_build("go_patterns", BUILDS[b]), "kill-reaped", NULL});
        struct et_analysis a;
        build_model(&r, &a);
        bool found = false;
        for (size_t i = 0; i < a.findings.n; i++)
            found |= a.findings.v[i].kind == ET_FK_KILL_AFTER_REAP && a.findings.v[i].severity == ET_SEV_ERROR;
        if (!found) {
            print_findings(&a.findings);
            fail_msg("no kill-after-reap error for the %s build", BUILDS[b]);
        }
        et_analysis_free(&a);
        traced_run_free(&r);
    }
}

/* ---- without the recorder ------------------------------------------------------- */

static const struct et_record *recorder_record(const struct traced_run *r)
{
    return find_record(r, ET_REC_RECORDER, -1, NULL, NULL);
}

/* LeakSanitizer's check at exit is itself a ptrace of the process: where
 * ptrace is refused, or taken by another tracer, a sanitizer build of
 * exectrace could not finish it.  Nothing else in these runs needs it. */
static char saved_asan_options[512];
static bool had_asan_options;

static void without_leak_check(void)
{
    const char *old = getenv("ASAN_OPTIONS");
    had_asan_options = old != NULL;
    snprintf(saved_asan_options, sizeof(saved_asan_options), "%s", old ? old : "");
    char value[600];
    snprintf(value, sizeof(value), "%s%sdetect_leaks=0", saved_asan_options, old && *old ? ":" : "");
    setenv("ASAN_OPTIONS", value, 1);
}

static void with_leak_check(void)
{
    if (had_asan_options)
        setenv("ASAN_OPTIONS", saved_asan_options, 1);
    else
        unsetenv("ASAN_OPTIONS");
}

static bool has_finding(const struct et_findings *F, int kind, const char *text)
{
    for (size_t i = 0; i < F->n; i++)
        if ((int)F->v[i].kind == kind && (!text || strstr(F->v[i].message, text)))
            return true;
    return false;
}

static void expect_off(const char *deny, const char *says)
{
    without_leak_check();
    struct traced_run r;
    char deny_prog[PATH_MAX];
    snprintf(deny_prog, sizeof(deny_prog), "%s", test_prog("deny"));
    const char *argv[] = {deny_prog, deny, exectrace_bin(), "run", "-q", "-o", NULL, "--",
                          prog_build("recorder_cases", "_static"), "zombie", NULL};
    char dir[] = "/tmp/exectrace-rec-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char trace[PATH_MAX];
    snprintf(trace, sizeof(trace), "%s/t.trace", dir);
    argv[6] = trace;
    struct captured c;
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    with_leak_check();
    /* The program ran as usual... */
    assert_int_equal(c.status, 0);
    if (!strstr(c.out, "state=Z reaped=1 status=4"))
        fail_msg("the program's output changed:\n%s", c.out);
    /* ...and one line said why it was not recorded. */
    if (!strstr(c.err, says) || !strstr(c.err, "recording with the shim alone"))
        fail_msg("exectrace did not say \"%s\" and that the shim records alone:\n%s", says, c.err);
    memset(&r, 0, sizeof(r));
    assert_int_equal(et_trace_open(&r.trace, trace), 0);
    assert_int_equal(et_events_load(&r.trace, &r.events), 0);
    const struct et_record *rec = recorder_record(&r);
    assert_non_null(rec);
    assert_int_equal(BODY(rec, et_recorder)->state, ET_RECORDER_UNAVAILABLE);
    /* The report's untraced finding carries the reason. */
    struct et_analysis a;
    build_model(&r, &a);
    if (!has_finding(&a.findings, ET_FK_UNTRACED, says)) {
        print_findings(&a.findings);
        fail_msg("no untraced finding says \"%s\"", says);
    }
    et_analysis_free(&a);
    et_events_free(&r.events);
    et_trace_close(&r.trace);
    captured_free(&c);
    unlink(trace);
    rmdir(dir);
}

static void ptrace_refused_records_with_the_shim_and_says_why(void **state)
{
    (void)state;
    expect_off("ptrace", "ptrace is not permitted here");
}

static void seccomp_refused_records_with_the_shim_and_says_why(void **state)
{
    (void)state;
    expect_off("seccomp", "seccomp filters are not permitted here");
}

static void no_ptrace_option_turns_it_off(void **state)
{
    (void)state;
    struct traced_run r;
    run_ok(&r, (const char *const[]){"-q", "--no-ptrace", NULL},
           (const char *const[]){prog_build("recorder_cases", "_static"), "zombie", NULL});
    assert_int_equal(r.status, 0);
    assert_int_equal(BODY(recorder_record(&r), et_recorder)->state, ET_RECORDER_DISABLED);
    for (size_t i = 0; i < r.events.n; i++)
        if (r.events.v[i].r->flags & ET_RF_RECORDER)
            fail_msg("a record by the recorder, which was off");
    traced_run_free(&r);
}

/* With the recorder off, a static parent kills and reaps a traced child:
 * nothing records that end, but the launcher's stop with nothing left
 * running shows it happened.  The tree says so, with no time made up, and
 * the report does not call the child running. */
static void end_seen_only_by_an_untraced_parent(void **state)
{
    (void)state;
    struct traced_run r;
    run_ok(&r, (const char *const[]){"-q", "--no-ptrace", NULL},
           (const char *const[]){prog_build("recorder_cases", "_static"), "kill-exec", "/bin/sleep", "10", NULL});
    assert_int_equal(r.status, 0);
    const char *line = strstr(r.out, "child=");
    assert_non_null(line);
    int child = atoi(line + 6);
    int parent = command_pid(&r);
    struct captured c;
    assert_int_equal(run_captured((const char *const[]){exectrace_bin(), "tree", r.trace_path, NULL}, NULL, &c), 0);
    char want[128];
    snprintf(want, sizeof(want), "ended, reaped by %d (not traced), time unknown", parent);
    if (!strstr(c.out, want) || strstr(c.out, "still running"))
        fail_msg("the tree does not say \"%s\" of %d:\n%s", want, child, c.out);
    captured_free(&c);
    assert_int_equal(run_captured((const char *const[]){exectrace_bin(), "report", "--json", r.trace_path, NULL},
                                  NULL, &c),
                     0);
    char ended[160];
    snprintf(ended, sizeof(ended), "\"pid\":%d,", child);
    const char *at = strstr(c.out, ended);
    if (!at || !strstr(at, "\"ended\":\"unknown\""))
        fail_msg("report --json does not give %d an unknown end:\n%s", child, c.out);
    captured_free(&c);
    traced_run_free(&r);
}

/* Under strace -f, our children are strace's: we cannot attach. */
static void already_traced_falls_back_with_one_line(void **state)
{
    (void)state;
    if (system("command -v strace >/dev/null 2>&1") != 0) {
        print_message("strace is not installed (./make.sh installs it)\n");
        skip();
    }
    without_leak_check();
    char dir[] = "/tmp/exectrace-rec-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char trace[PATH_MAX];
    snprintf(trace, sizeof(trace), "%s/t.trace", dir);
    struct captured c;
    /* The static program makes the recorder start, when sh asks for it. */
    char script[PATH_MAX + 32];
    snprintf(script, sizeof(script), "%s zombie; exit 6", prog_build("recorder_cases", "_static"));
    assert_int_equal(run_captured((const char *const[]){"strace", "-f", "-o", "/dev/null", exectrace_bin(), "run",
                                                        "-q", "-o", trace, "--", "sh", "-c", script, NULL},
                                  NULL, &c),
                     0);
    with_leak_check();
    assert_int_equal(c.status, 6);
    if (!strstr(c.err, "ptrace is not permitted here") || !strstr(c.err, "already traced"))
        fail_msg("no line about being traced already:\n%s", c.err);
    captured_free(&c);
    unlink(trace);
    rmdir(dir);
}

/* A debugger inside the tree: on a dynamic program it works, as nothing
 * else traces that; on a static one it wins, and the report says why that
 * program went unrecorded; a debugger run by a program the recorder follows
 * cannot attach, and the user is told how to run it. */
static void a_tracer_inside_the_tree_works_or_is_explained(void **state)
{
    (void)state;
    if (system("command -v strace >/dev/null 2>&1") != 0) {
        print_message("strace is not installed (./make.sh installs it)\n");
        skip();
    }
    struct traced_run r;
    run_ok(&r, (const char *const[]){"-q", NULL}, (const char *const[]){"strace", "-o", "/dev/null", "true", NULL});
    assert_int_equal(r.status, 0);
    if (strstr(r.err, "--no-ptrace"))
        fail_msg("strace of a dynamic program was refused:\n%s", r.err);
    traced_run_free(&r);

    const char *stat = prog_build("recorder_cases", "_static");
    run_ok(&r, (const char *const[]){"-q", NULL},
           (const char *const[]){"strace", "-f", "-o", "/dev/null", stat, "zombie", NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "state=Z reaped=1 status=4\n");
    struct et_analysis a;
    build_model(&r, &a);
    if (!has_finding(&a.findings, ET_FK_UNTRACED, "another tracer")) {
        print_findings(&a.findings);
        fail_msg("the report does not say that strace had the static program");
    }
    et_analysis_free(&a);
    traced_run_free(&r);

    run_ok(&r, (const char *const[]){"-q", NULL},
           (const char *const[]){stat, "exec", "/usr/bin/strace", "-o", "/dev/null", "true", NULL});
    if (!strstr(r.err, "exectrace run --no-ptrace"))
        fail_msg("no advice about --no-ptrace:\n%s", r.err);
    traced_run_free(&r);
    run_ok(&r, (const char *const[]){"-q", "--no-ptrace", NULL},
           (const char *const[]){stat, "exec", "/usr/bin/strace", "-o", "/dev/null", "true", NULL});
    assert_int_equal(r.status, 0);
    traced_run_free(&r);
}

/* ---- following only where needed -------------------------------------------------- */

/* A tree of dynamic programs is never traced: the shim records it all, and
 * ptrace would only add stops; the recorder does not even start.  The
 * static program at its end is traced. */
static void only_programs_that_make_their_own_calls_are_traced(void **state)
{
    (void)state;
    struct traced_run r;
    run_ok(&r, (const char *const[]){"-q", NULL},
           (const char *const[]){"sh", "-c", "grep -c '^TracerPid:[[:space:]]*0$' /proc/self/status", NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "1\n");
    const struct et_recorder *said = BODY(recorder_record(&r), et_recorder);
    assert_int_equal(said->state, ET_RECORDER_ON);
    assert_int_equal(said->filter, 0); /* never started */
    traced_run_free(&r);

    char script[3 * PATH_MAX];
    snprintf(script, sizeof(script), "%s tracer; %s tracer", prog_build("recorder_cases", ""),
             prog_build("recorder_cases", "_static"));
    run_ok(&r, (const char *const[]){"-q", NULL}, (const char *const[]){"sh", "-c", script, NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "traced=no\ntraced=yes\n");
    traced_run_free(&r);
}

/* A static program that a dynamic one execs (through sh) or posix_spawns
 * is recorded from its first instruction: the shim asked the recorder to
 * follow the thread before the exec. */
static void static_programs_started_by_dynamic_ones_are_recorded(void **state)
{
    (void)state;
    for (size_t b = 0; b < 2; b++) {
        const char *stat = prog_build("recorder_cases", BUILDS[b]);
        char script[2 * PATH_MAX];
        snprintf(script, sizeof(script), "%s zombie", stat);
        const char *const by_exec[] = {"sh", "-c", script, NULL};
        const char *const by_spawn[] = {prog_build("recorder_cases", ""), "spawn", stat, "zombie", NULL};
        const char *const *ways[] = {by_exec, by_spawn};
        const char *outputs[] = {"state=Z reaped=1 status=4\n", "state=Z reaped=1 status=4\nspawned status=0\n"};
        for (size_t w = 0; w < 2; w++) {
            struct traced_run r;
            run_ok(&r, (const char *const[]){"-q", NULL}, ways[w]);
            assert_int_equal(r.status, 0);
            if (strcmp(r.out, outputs[w]) != 0)
                fail_msg("%s %s said:\n%s\nstderr:\n%s", BUILDS[b], w ? "spawned" : "exec'd", r.out, r.err);
            /* Its fork and its wait are the recorder's. */
            if (count_records(&r, ET_REC_WAIT_RETURN, -1, by_recorder, NULL) < 1 ||
                count_records(&r, ET_REC_FORK, -1, by_recorder, NULL) < 1)
                fail_msg("%s %s: its calls were not recorded\nstderr:\n%s", BUILDS[b], w ? "spawned" : "exec'd",
                         r.err);
            struct et_analysis a;
            build_model(&r, &a);
            if (has_finding(&a.findings, ET_FK_UNTRACED, NULL)) {
                print_findings(&a.findings);
                fail_msg("%s %s: reported as untraced", BUILDS[b], w ? "spawned" : "exec'd");
            }
            et_analysis_free(&a);
            traced_run_free(&r);
        }
    }
}

/* ---- as an ordinary user ---------------------------------------------------------- */

/* Seizing one's own children and an unprivileged seccomp filter need no
 * privilege.  Run as nobody when we are root; otherwise we are a user.  The
 * hard cases again, each as the untraced run says. */
static void works_for_an_unprivileged_user(void **state)
{
    (void)state;
    if (geteuid() == 0 && system("command -v setpriv >/dev/null 2>&1") != 0) {
        print_message("no setpriv to run as nobody\n");
        skip();
    }
    /* by_shell: started by sh, which has the shim and asks for the
     * recorder (an unprivileged filter needs no_new_privs there too). */
    static const struct {
        const char *mode, *expect;
        bool by_shell;
    } cases[] = {
        {"signals", "usr1=5 alrm=5 term=5 chld=1 read=1x status=0\n", false},
        {"stop", "SIGSTOP: stopped=1 still-stopped=1 continued=1 exit=1\n"
                 "SIGTSTP: stopped=1 still-stopped=1 continued=1 exit=1\n", false},
        {"kill-in-calls", "killed=9\n", false},
        {"vfork", "vfork child= status=5\n", false},
        {"zombie", "state=Z reaped=1 status=4\n", false},
        {"ignored", "epoll_wait=0 timed out\n", false},
        {"zombie", "state=Z reaped=1 status=4\n", true},
    };
    char dir[] = "/tmp/exectrace-rec-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0777), 0);
    char trace[PATH_MAX];
    snprintf(trace, sizeof(trace), "%s/t.trace", dir);
    /* The build tree may be where nobody can read it (a clone in a 0700
     * directory): exectrace, its shim and the program are copied next to
     * the trace, and exectrace finds the shim beside itself. */
    char et[PATH_MAX], prog[PATH_MAX], shim_copy[PATH_MAX];
    snprintf(et, sizeof(et), "%s/exectrace", dir);
    snprintf(shim_copy, sizeof(shim_copy), "%s/libexectrace.so", dir);
    snprintf(prog, sizeof(prog), "%s/recorder_cases_static", dir);
    const char *copies[][2] = {{exectrace_bin(), et}, {shim_path(), shim_copy},
                               {prog_build("recorder_cases", "_static"), prog}};
    for (size_t k = 0; k < 3; k++) {
        struct captured cp;
        assert_int_equal(run_captured((const char *const[]){"cp", copies[k][0], copies[k][1], NULL}, NULL, &cp), 0);
        assert_int_equal(cp.status, 0);
        captured_free(&cp);
        assert_int_equal(chmod(copies[k][1], 0755), 0);
    }
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        const char *as_nobody[] = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", NULL};
        const char *argv[24];
        int n = 0;
        if (geteuid() == 0)
            for (int i = 0; as_nobody[i]; i++)
                argv[n++] = as_nobody[i];
        char script[2 * PATH_MAX];
        snprintf(script, sizeof(script), "%s %s", prog, cases[k].mode);
        const char *direct[] = {et, "run", "-q", "-o", trace, "--", prog, cases[k].mode, NULL};
        const char *by_shell[] = {et, "run", "-q", "-o", trace, "--", "sh", "-c", script, NULL};
        const char **rest = cases[k].by_shell ? by_shell : direct;
        for (int i = 0; rest[i]; i++)
            argv[n++] = rest[i];
        argv[n] = NULL;
        struct captured c;
        assert_int_equal(run_captured(argv, NULL, &c), 0);
        char got[4096];
        without_pids(c.out, got, sizeof(got));
        if (c.status != 0 || strcmp(got, cases[k].expect) != 0)
            fail_msg("as an unprivileged user, %s exited %d:\n%s%s", cases[k].mode, c.status, c.out, c.err);
        if (strstr(c.err, "recording with the shim alone"))
            fail_msg("the recorder did not run for an unprivileged user:\n%s", c.err);
        struct traced_run r;
        memset(&r, 0, sizeof(r));
        assert_int_equal(et_trace_open(&r.trace, trace), 0);
        assert_int_equal(et_events_load(&r.trace, &r.events), 0);
        assert_int_equal(BODY(recorder_record(&r), et_recorder)->state, ET_RECORDER_ON);
        if (!strcmp(cases[k].mode, "signals"))
            assert_true(count_records(&r, ET_REC_SIGNAL, -1, by_recorder, NULL) >= 15);
        if (!strcmp(cases[k].mode, "zombie"))
            assert_true(count_records(&r, ET_REC_WAIT_RETURN, -1, by_recorder, NULL) >= 1);
        et_events_free(&r.events);
        et_trace_close(&r.trace);
        captured_free(&c);
        unlink(trace);
    }
    for (size_t k = 0; k < 3; k++)
        unlink(copies[k][1]);
    rmdir(dir);
}

/* The shim remembers the last program it found dynamic, by file identity:
 * the same path, rewritten in place with a static program, is judged
 * again (python's vfork children write the parent's memory, so the second
 * run would see the first one's verdict if the identity did not change). */
static void a_program_rewritten_in_place_is_judged_again(void **state)
{
    (void)state;
    if (system("command -v python3 >/dev/null 2>&1") != 0) {
        print_message("python3 is not installed\n");
        skip();
    }
    char dir[] = "/tmp/exectrace-rec-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char prog[PATH_MAX], script[4 * PATH_MAX];
    snprintf(prog, sizeof(prog), "%s/prog", dir);
    snprintf(script, sizeof(script),
             "import shutil, subprocess\n"
             "shutil.copyfile('%s', '%s')\n"
             "subprocess.run(['%s', 'tracer'], check=True)\n"
             "shutil.copyfile('%s', '%s')\n"
             "subprocess.run(['%s', 'tracer'], check=True)\n",
             prog_build("recorder_cases", ""), prog, prog, prog_build("recorder_cases", "_static"), prog, prog);
    assert_int_equal(chmod(dir, 0755), 0);
    int fd = open(prog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    assert_true(fd >= 0);
    close(fd);
    struct traced_run r;
    run_ok(&r, (const char *const[]){"-q", NULL}, (const char *const[]){"python3", "-c", script, NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "traced=no\ntraced=yes\n");
    traced_run_free(&r);
    unlink(prog);
    rmdir(dir);
}

/* Before each exec the shim reads the program's first page, to learn
 * whether the recorder must follow it.  Fork children running one program
 * share what the first of them learnt (a cache in the trace's header),
 * since each child's own memory goes with its exec: strace sees the file
 * opened once for three runs.  bash, since it forks (dash's vfork children
 * write their parent's memory, which remembers it anyway). */
static void children_running_one_program_read_it_once(void **state)
{
    (void)state;
    if (system("command -v strace >/dev/null 2>&1") != 0) {
        print_message("strace is not installed (./make.sh installs it)\n");
        skip();
    }
    char dir[] = "/tmp/exectrace-rec-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char prog[PATH_MAX], log[PATH_MAX], script[3 * PATH_MAX + 64];
    snprintf(prog, sizeof(prog), "%s/prog", dir);
    snprintf(log, sizeof(log), "%s/strace.log", dir);
    assert_int_equal(symlink("/bin/true", prog), 0);
    snprintf(script, sizeof(script), "%s; %s; %s; true", prog, prog, prog);
    struct traced_run r;
    run_ok(&r, (const char *const[]){"-q", NULL},
           (const char *const[]){"strace", "-f", "-qq", "-e", "trace=openat", "-o", log, "bash", "-c", script, NULL});
    assert_int_equal(r.status, 0);
    traced_run_free(&r);
    char *text = read_whole_file(log);
    assert_non_null(text);
    char opened[PATH_MAX + 16];
    snprintf(opened, sizeof(opened), "\"%s\"", prog);
    int opens = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        opens += strstr(line, "openat(") && strstr(line, opened);
    if (opens != 1)
        fail_msg("%s opened %d times by three children", prog, opens);
    free(text);
    unlink(log);
    unlink(prog);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signals_reach_their_handlers_and_calls_restart),
        cmocka_unit_test(group_stops_stay_stopped_until_sigcont),
        cmocka_unit_test(sigkill_in_the_middle_of_traced_calls),
        cmocka_unit_test(exit_group_while_threads_are_in_traced_calls),
        cmocka_unit_test(vfork_children_run_and_exec),
        cmocka_unit_test(exec_from_a_thread_that_is_not_the_leader),
        cmocka_unit_test(a_child_that_exits_is_its_parents_zombie),
        cmocka_unit_test(an_ignored_signal_does_not_interrupt_a_blocking_call),
        cmocka_unit_test(a_killed_launcher_leaves_nothing_running),
        cmocka_unit_test(pidfd_clone_kill_and_wait_are_recorded),
        cmocka_unit_test(kill_after_reap_by_a_go_like_parent_is_found),
        cmocka_unit_test(ptrace_refused_records_with_the_shim_and_says_why),
        cmocka_unit_test(seccomp_refused_records_with_the_shim_and_says_why),
        cmocka_unit_test(no_ptrace_option_turns_it_off),
        cmocka_unit_test(end_seen_only_by_an_untraced_parent),
        cmocka_unit_test(already_traced_falls_back_with_one_line),
        cmocka_unit_test(a_tracer_inside_the_tree_works_or_is_explained),
        cmocka_unit_test(only_programs_that_make_their_own_calls_are_traced),
        cmocka_unit_test(static_programs_started_by_dynamic_ones_are_recorded),
        cmocka_unit_test(a_program_rewritten_in_place_is_judged_again),
        cmocka_unit_test(children_running_one_program_read_it_once),
        cmocka_unit_test(works_for_an_unprivileged_user),
    };
    return cmocka_run_group_tests_name("recorder", tests, NULL, NULL);
}
