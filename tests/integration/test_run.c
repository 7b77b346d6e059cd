/* `exectrace run`: exit statuses, the summary line, environment re-injection,
 * and what the launcher records as the subreaper. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "exectrace/version.h"
#include "harness.h"

static void run_ok(struct traced_run *r, const char *const *options, const char *const argv[])
{
    assert_int_equal(traced_run(r, options, NULL, argv), 0);
    assert_true(r->loaded);
}

static void exits_with_the_commands_status(void **state)
{
    (void)state;
    struct traced_run r;
    run_ok(&r, NULL, (const char *const[]){"sh", "-c", "exit 0", NULL});
    assert_int_equal(r.status, 0);
    traced_run_free(&r);

    run_ok(&r, NULL, (const char *const[]){"sh", "-c", "exit 42", NULL});
    assert_int_equal(r.status, 42);
    traced_run_free(&r);
}

static void death_by_signal_exits_128_plus_signal(void **state)
{
    (void)state;
    struct traced_run r;
    run_ok(&r, NULL, (const char *const[]){"sh", "-c", "kill -KILL $$", NULL});
    assert_int_equal(r.status, 128 + SIGKILL);
    const struct et_record *reaped = find_record(&r, ET_REC_REAPED, -1, NULL, NULL);
    assert_non_null(reaped);
    assert_int_equal(BODY(reaped, et_reaped)->role, ET_REAPED_COMMAND);
    assert_true(WIFSIGNALED(BODY(reaped, et_reaped)->status));
    assert_int_equal(WTERMSIG(BODY(reaped, et_reaped)->status), SIGKILL);
    traced_run_free(&r);
}

static void missing_command_exits_127_with_a_message(void **state)
{
    (void)state;
    struct traced_run r;
    run_ok(&r, NULL, (const char *const[]){"exectrace-no-such-command", NULL});
    assert_int_equal(r.status, 127);
    assert_non_null(strstr(r.err, "exectrace-no-such-command: command not found"));
    /* The attempt itself is in the trace, with its errno. */
    const struct et_record *failed = find_record(&r, ET_REC_EXEC_FAILED, command_pid(&r), NULL, NULL);
    assert_non_null(failed);
    assert_int_equal(failed->err, ENOENT);
    traced_run_free(&r);
}

static void non_executable_command_exits_126(void **state)
{
    (void)state;
    struct traced_run r;
    run_ok(&r, NULL, (const char *const[]){"/etc/passwd", NULL});
    assert_int_equal(r.status, 126);
    assert_non_null(strstr(r.err, "Permission denied"));
    traced_run_free(&r);
}

/* The summary comes from the counts each run keeps, not from reading the
 * trace: it must still say what a full read says, whatever shape the trace
 * has: many processes and runs, one process's runs growing, a vfork child's
 * records in its parent's run, the recorder's in the launcher's. */
static void summary_line_counts_processes_and_events(void **state)
{
    (void)state;
    char many[PATH_MAX], create[PATH_MAX], recorded[PATH_MAX];
    snprintf(many, sizeof(many), "%s", test_prog("hard_many"));
    snprintf(create, sizeof(create), "%s", test_prog("hooks_create"));
    snprintf(recorded, sizeof(recorded), "%s", test_prog("recorder_cases_static"));
    static const int statuses[] = {0, 3, 0, 0, 0};
    const char *const *commands[] = {
        (const char *const[]){"sh", "-c", "true; /bin/true; echo x | cat >/dev/null", NULL},
        (const char *const[]){many, "20000", NULL},
        (const char *const[]){create, "vfork_exit", NULL},
        (const char *const[]){create, "vfork_loop", NULL},
        (const char *const[]){recorded, "vfork", NULL},
    };
    bool saw_recorder = false;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        struct traced_run r;
        run_ok(&r, NULL, commands[i]);
        if (r.status != statuses[i])
            fail_msg("%s %s: exit %d\n%s", commands[i][0], commands[i][1], r.status, r.err);
        size_t processes = et_events_count_processes(&r.trace, &r.events);
        assert_true(processes >= 2);
        char expected[PATH_MAX + 256];
        snprintf(expected, sizeof(expected), "exectrace: trace %s: %zu processes, %zu events, 0 dropped\n",
                 r.trace_path, processes, r.events.n);
        if (!strstr(r.err, expected))
            fail_msg("%s %s: the summary is not\n%sit is\n%s", commands[i][0], commands[i][1], expected, r.err);
        assert_int_equal(r.trace.hdr->records_written, r.events.n);
        for (size_t k = 0; k < r.events.n; k++)
            saw_recorder |= (r.events.v[k].r->flags & ET_RF_RECORDER) != 0;
        traced_run_free(&r);
    }
    /* The last command's records came from the recorder, when it can run
     * here; without it, that case is one more ordinary trace. */
    if (!saw_recorder)
        print_message("the ptrace recorder did not run here: its records' runs were not tried\n");

    struct traced_run r;
    run_ok(&r, (const char *const[]){"-q", NULL}, (const char *const[]){"true", NULL});
    assert_null(strstr(r.err, "exectrace:"));
    traced_run_free(&r);
}

static bool exec_of(const struct et_record *rec, const void *arg)
{
    const char *p = exec_path(rec);
    return p && strcmp(p, arg) == 0;
}

static void environment_cleared_by_env_i_is_put_back(void **state)
{
    (void)state;
    struct traced_run r;
    run_ok(&r, NULL, (const char *const[]){"env", "-i", "/bin/sh", "-c", "/bin/echo traced", NULL});
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "traced\n");
    const struct et_record *exec = find_record(&r, ET_REC_EXEC, -1, exec_of, "/bin/sh");
    assert_non_null(exec);
    assert_int_equal(BODY(exec, et_exec)->flags & (ET_ENV_ADDED_PRELOAD | ET_ENV_ADDED_FILE),
                     ET_ENV_ADDED_PRELOAD | ET_ENV_ADDED_FILE);
    /* The proof: sh and echo, run with an empty environment, were traced. */
    assert_non_null(start_by_argv0(&r, "/bin/sh"));
    assert_non_null(start_by_argv0(&r, "/bin/echo"));
    traced_run_free(&r);
}

/* A program with file capabilities runs with AT_SECURE, like a set-id one:
 * the shim must not be put back into its environment. */
static void environment_is_not_put_back_for_a_program_with_capabilities(void **state)
{
    (void)state;
    char dir[] = "/tmp/exectrace-cap-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s/captrue", dir);
    struct captured c;
    const char *const copy[] = {"cp", "/bin/true", prog, NULL};
    assert_int_equal(run_captured(copy, NULL, &c), 0);
    assert_int_equal(c.status, 0);
    captured_free(&c);
    const char *const setcap[] = {"setcap", "cap_net_bind_service+ep", prog, NULL};
    assert_int_equal(run_captured(setcap, NULL, &c), 0);
    int status = c.status;
    captured_free(&c);
    if (status != 0) {
        unlink(prog);
        rmdir(dir);
        skip(); /* no setcap (libcap2-bin), or a file system without xattrs */
    }
    struct traced_run r;
    run_ok(&r, NULL, (const char *const[]){"env", "-i", prog, NULL});
    assert_int_equal(r.status, 0);
    const struct et_record *exec = find_record(&r, ET_REC_EXEC, -1, exec_of, prog);
    assert_non_null(exec);
    assert_int_equal(BODY(exec, et_exec)->flags & (ET_ENV_ADDED_PRELOAD | ET_ENV_ADDED_FILE | ET_ENV_NOT_ADDED_SETUID),
                     ET_ENV_NOT_ADDED_SETUID);
    traced_run_free(&r);
    unlink(prog);
    rmdir(dir);
}

static bool is_orphan(const struct et_record *rec, const void *arg)
{
    (void)arg;
    return BODY(rec, et_reaped)->role == ET_REAPED_ORPHAN;
}

static void orphans_are_waited_for_and_their_end_recorded(void **state)
{
    (void)state;
    struct traced_run r;
    /* sh exits at once; its background child is reparented to the launcher. */
    run_ok(&r, NULL, (const char *const[]){"sh", "-c", "sleep 0.3 & exit 5", NULL});
    assert_int_equal(r.status, 5);
    const struct et_record *orphan = find_record(&r, ET_REC_REAPED, -1, is_orphan, NULL);
    assert_non_null(orphan);
    const struct et_record *sleep_start = start_by_argv0(&r, "sleep");
    assert_non_null(sleep_start);
    assert_int_equal(BODY(orphan, et_reaped)->pid, (int)sleep_start->pid);
    assert_int_equal(BODY(orphan, et_reaped)->start_time, sleep_start->start_time);
    assert_true(WIFEXITED(BODY(orphan, et_reaped)->status));
    const struct et_record *end = find_record(&r, ET_REC_RUN_END, -1, NULL, NULL);
    assert_non_null(end);
    assert_int_equal(BODY(end, et_run_end)->orphans_reaped, 1);
    assert_int_equal(BODY(end, et_run_end)->left_running, 0);
    assert_true(r.trace.hdr->flags & ET_FILE_FINISHED);
    assert_int_equal(r.trace.hdr->records_written, r.events.n);
    traced_run_free(&r);
}

static void no_wait_orphans_stops_at_the_commands_exit(void **state)
{
    (void)state;
    struct traced_run r;
    run_ok(&r, (const char *const[]){"--no-wait-orphans", NULL},
           (const char *const[]){"sh", "-c", "sleep 5 & exit 0", NULL});
    assert_int_equal(r.status, 0);
    assert_null(find_record(&r, ET_REC_REAPED, -1, is_orphan, NULL));
    const struct et_record *end = find_record(&r, ET_REC_RUN_END, -1, NULL, NULL);
    assert_non_null(end);
    assert_int_equal(BODY(end, et_run_end)->left_running, 1);
    assert_non_null(strstr(r.err, "1 descendant still running"));
    traced_run_free(&r);
}

static void bad_options_fail_with_125(void **state)
{
    (void)state;
    struct traced_run r;
    assert_int_equal(traced_run(&r, (const char *const[]){"--size", "12", NULL}, NULL, (const char *const[]){"true", NULL}), 0);
    assert_int_equal(r.status, 125);
    assert_false(r.loaded); /* refused before creating a trace */
    assert_non_null(strstr(r.err, "--size"));
    traced_run_free(&r);
    /* A ring too small to be one, and two sizes at once. */
    assert_int_equal(traced_run(&r, (const char *const[]){"--ring", "40K", NULL}, NULL, (const char *const[]){"true", NULL}), 0);
    assert_int_equal(r.status, 125);
    assert_false(r.loaded);
    assert_non_null(strstr(r.err, "--ring takes a size from 56K"));
    traced_run_free(&r);
    assert_int_equal(traced_run(&r, (const char *const[]){"--size", "1M", "--ring", "1M", NULL}, NULL,
                                (const char *const[]){"true", NULL}),
                     0);
    assert_int_equal(r.status, 125);
    assert_non_null(strstr(r.err, "--size and --ring"));
    traced_run_free(&r);
}

static bool sleep_started(const struct et_record *rec, uint64_t offset, void *ctx)
{
    (void)offset;
    (void)ctx;
    if (rec->type != ET_REC_IMAGE_START || BODY(rec, et_image_start)->origin != ET_ORIGIN_EXEC)
        return false;
    struct et_tail t = et_tail_of(rec);
    const struct et_image_start *b = BODY(rec, et_image_start);
    et_tail_array(&t, b->pipe_count, sizeof(struct et_pipe_end));
    const char *s;
    uint16_t len;
    et_tail_str(&t, &s, &len); /* exe */
    return et_tail_str(&t, &s, &len) && len == 5 && memcmp(s, "sleep", 5) == 0;
}

static int stop_at_sleep(const struct et_record *rec, uint64_t offset, void *ctx)
{
    return sleep_started(rec, offset, ctx) ? 1 : 0;
}

/* --fail-on gates a run on its findings: the report comes on stderr, and a
 * command that succeeded exits 1 when a finding reached the level. */
static const char *parent_holds_write_end(void)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/examples/parent-holds-write-end/parent_holds_write_end", EXECTRACE_BUILD_DIR);
    return path;
}

static void fail_on_turns_a_finding_into_exit_1(void **state)
{
    (void)state;
    struct traced_run r;
    run_ok(&r, (const char *const[]){"-q", "--fail-on", "warning", NULL},
           (const char *const[]){parent_holds_write_end(), NULL});
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "\nerror parent-holds-write-end\n"));
    assert_non_null(strstr(r.err, "basis: harm observed"));
    traced_run_free(&r);
    /* A level above every finding, or never: the command's own 0. */
    run_ok(&r, (const char *const[]){"-q", "--fail-on", "never", NULL},
           (const char *const[]){parent_holds_write_end(), NULL});
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "error parent-holds-write-end"));
    traced_run_free(&r);
    run_ok(&r, (const char *const[]){"-q", "--fail-on", "error", NULL}, (const char *const[]){"true", NULL});
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "No findings"));
    traced_run_free(&r);
}

/* A command that failed keeps its status, whatever the findings. */
static void a_failed_command_keeps_its_status_under_fail_on(void **state)
{
    (void)state;
    struct traced_run r;
    char script[PATH_MAX + 32];
    snprintf(script, sizeof(script), "%s; exit 3", parent_holds_write_end());
    run_ok(&r, (const char *const[]){"-q", "--fail-on", "info", NULL},
           (const char *const[]){"sh", "-c", script, NULL});
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.err, "parent-holds-write-end"));
    traced_run_free(&r);
}

/* --report=json into a file: the same document `report --json` writes. */
static void report_json_goes_to_the_report_file(void **state)
{
    (void)state;
    struct traced_run r;
    char file[PATH_MAX];
    snprintf(file, sizeof(file), "/tmp/exectrace-report-%d.json", (int)getpid());
    run_ok(&r, (const char *const[]){"-q", "--report=json", "--report-file", file, NULL},
           (const char *const[]){parent_holds_write_end(), NULL});
    assert_int_equal(r.status, 0); /* no --fail-on: the report does not gate */
    assert_null(strstr(r.err, "parent-holds-write-end"));
    FILE *f = fopen(file, "r");
    assert_non_null(f);
    char doc[8192] = "";
    size_t n = fread(doc, 1, sizeof(doc) - 1, f);
    fclose(f);
    unlink(file);
    doc[n] = 0;
    static const char head[] = "{\"version\":1,\"trace\":";
    assert_true(strncmp(doc, head, strlen(head)) == 0);
    assert_non_null(strstr(doc, "\"kind\":\"parent-holds-write-end\""));
    traced_run_free(&r);
    /* A file that cannot be written is exectrace's failure. */
    run_ok(&r, (const char *const[]){"-q", "--report-file", "/nonexistent-dir/r.txt", NULL},
           (const char *const[]){"true", NULL});
    assert_int_equal(r.status, 125);
    assert_non_null(strstr(r.err, "--report-file /nonexistent-dir/r.txt"));
    traced_run_free(&r);
}

/* One version, in one place: --version prints it, a new trace carries it,
 * and the changelog's newest entry is it. */
static void version_is_printed_stamped_and_in_the_changelog(void **state)
{
    (void)state;
    struct captured c;
    assert_int_equal(run_captured((const char *const[]){exectrace_bin(), "--version", NULL}, NULL, &c), 0);
    char want[96];
    snprintf(want, sizeof(want), "exectrace %s (trace format %d.%d)\n", EXECTRACE_VERSION, ET_VERSION_MAJOR,
             ET_VERSION_MINOR);
    assert_string_equal(c.out, want);
    captured_free(&c);

    struct traced_run r;
    run_ok(&r, (const char *const[]){"-q", NULL}, (const char *const[]){"true", NULL});
    assert_string_equal(r.trace.hdr->writer_version, EXECTRACE_VERSION);
    traced_run_free(&r);

    FILE *f = fopen(EXECTRACE_SOURCE_DIR "/CHANGELOG.md", "r");
    assert_non_null(f);
    char line[256], newest[256] = "";
    while (!newest[0] && fgets(line, sizeof(line), f))
        if (strncmp(line, "## ", 3) == 0)
            snprintf(newest, sizeof(newest), "%s", line + 3);
    fclose(f);
    if (strncmp(newest, EXECTRACE_VERSION " ", strlen(EXECTRACE_VERSION) + 1) != 0)
        fail_msg("CHANGELOG.md's newest entry is \"%s\", not version %s", newest, EXECTRACE_VERSION);
}

static void trace_is_readable_while_the_program_runs(void **state)
{
    (void)state;
    char dir[] = "/tmp/exectrace-live-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char trace[PATH_MAX];
    snprintf(trace, sizeof(trace), "%s/live.trace", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(exectrace_bin(), "exectrace", "run", "-q", "-o", trace, "--", "sh", "-c", "true; sleep 3", (char *)NULL);
        _exit(121);
    }
    /* Poll the file while the run goes on: the sleep's start record must be
     * there long before the run ends. */
    bool seen = false;
    for (int i = 0; i < 2000 && !seen; i++) {
        struct et_trace t;
        if (et_trace_open(&t, trace) == 0) {
            seen = et_trace_scan(&t, stop_at_sleep, NULL) == 1;
            assert_int_equal(t.problems, 0);
            et_trace_close(&t);
        }
        if (!seen)
            usleep(5000);
    }
    assert_true(seen);
    int status;
    assert_int_equal(waitpid(pid, &status, WNOHANG), 0); /* still running */
    kill(pid, SIGTERM); /* forwarded to the command */
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 128 + SIGTERM);
    unlink(trace);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exits_with_the_commands_status),
        cmocka_unit_test(death_by_signal_exits_128_plus_signal),
        cmocka_unit_test(missing_command_exits_127_with_a_message),
        cmocka_unit_test(non_executable_command_exits_126),
        cmocka_unit_test(summary_line_counts_processes_and_events),
        cmocka_unit_test(environment_cleared_by_env_i_is_put_back),
        cmocka_unit_test(environment_is_not_put_back_for_a_program_with_capabilities),
        cmocka_unit_test(orphans_are_waited_for_and_their_end_recorded),
        cmocka_unit_test(no_wait_orphans_stops_at_the_commands_exit),
        cmocka_unit_test(bad_options_fail_with_125),
        cmocka_unit_test(trace_is_readable_while_the_program_runs),
        cmocka_unit_test(version_is_printed_stamped_and_in_the_changelog),
        cmocka_unit_test(fail_on_turns_a_finding_into_exit_1),
        cmocka_unit_test(a_failed_command_keeps_its_status_under_fail_on),
        cmocka_unit_test(report_json_goes_to_the_report_file),
    };
    return cmocka_run_group_tests_name("run", tests, NULL, NULL);
}
