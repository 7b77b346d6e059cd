/* `exectrace report` and `exectrace tree` as a user runs them: text, JSON
 * against the documented schema, exit statuses, damaged traces, 80 columns. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "findings.h"
#include "harness.h"

/* The timeout idiom from Python's documentation: kill() reaches the shell
 * only, its sleep keeps the stdout pipe open for two more seconds. */
static const char held_pipe_program[] =
    "import subprocess\n"
    "p = subprocess.Popen(['sh', '-c', 'sleep 2; echo late'], stdout=subprocess.PIPE)\n"
    "try:\n"
    "    p.communicate(timeout=0.5)\n"
    "except subprocess.TimeoutExpired:\n"
    "    p.kill()\n"
    "    p.communicate()\n";

static struct traced_run held_pipe_run;

static int record_held_pipe(void **state)
{
    (void)state;
    const char *const argv[] = {"python3", "-c", held_pipe_program, NULL};
    if (traced_run(&held_pipe_run, (const char *const[]){"-q", NULL}, NULL, argv) != 0 || !held_pipe_run.loaded ||
        held_pipe_run.status != 0)
        return -1;
    return 0;
}

static int forget_held_pipe(void **state)
{
    (void)state;
    traced_run_free(&held_pipe_run);
    return 0;
}

static void report(const char *const options[], const char *trace, struct captured *c)
{
    const char *argv[16];
    int n = 0;
    argv[n++] = exectrace_bin();
    argv[n++] = "report";
    for (int i = 0; options && options[i]; i++)
        argv[n++] = options[i];
    argv[n++] = trace;
    argv[n] = NULL;
    assert_int_equal(run_captured(argv, NULL, c), 0);
}

/* The text report wraps its paragraphs: compare with white space folded. */
static char *folded(const char *s)
{
    char *out = strdup(s), *o = out;
    for (; *s; s++) {
        if (*s == '\n' || *s == ' ') {
            if (o > out && o[-1] == ' ')
                continue;
            *o++ = ' ';
        } else {
            *o++ = *s;
        }
    }
    *o = 0;
    return out;
}

static void text_report_names_the_held_pipe_with_evidence_and_fix(void **state)
{
    (void)state;
    struct captured c;
    report(NULL, held_pipe_run.trace_path, &c);
    char *text = folded(c.out);
    assert_int_equal(c.status, 1); /* an error, and --fail-on defaults to warning */
    /* An error because python was seen blocked on the pipe past the kill. */
    assert_non_null(strstr(c.out, "\nerror held-pipe\n"));
    assert_non_null(strstr(text, "(sleep 2) still held the write end (fd 1), inherited from it"));
    assert_non_null(strstr(text, "it waited for it: its "));
    assert_non_null(strstr(c.out, "end-of-file"));
    free(text);
    assert_non_null(strstr(c.out, "  evidence:\n"));
    assert_non_null(strstr(c.out, "kill("));
    assert_non_null(strstr(c.out, "  why: "));
    assert_non_null(strstr(c.out, "  fix: "));
    /* Nothing but the findings: the pipe made the parent wait, so its slow
     * reap of the shell is not a separate zombie finding. */
    assert_null(strstr(c.out, "zombie"));
    /* No colour when stdout is not a terminal. */
    assert_null(strchr(c.out, '\033'));
    captured_free(&c);
}

static void json_report_validates_against_the_documented_schema(void **state)
{
    (void)state;
    struct captured c;
    report((const char *const[]){"--json", NULL}, held_pipe_run.trace_path, &c);
    assert_int_equal(c.status, 1);
    struct captured v;
    int ran = validate_json(EXECTRACE_SOURCE_DIR "/docs/report.schema.json", c.out, false,
                            "doc = docs[0]\n"
                            "kinds = [f['kind'] for f in doc['findings']]\n"
                            "assert 'held-pipe' in kinds, kinds\n"
                            "assert any(p['ended'] == 'killed' and p['signal'] == 'SIGKILL' for p in doc['processes'])\n",
                            &v);
    assert_true(ran >= 0);
    if (ran == 1)
        skip(); /* python3-jsonschema is not installed: ./make.sh installs it */
    if (v.status != 0)
        fail_msg("report --json does not match docs/report.schema.json:\n%s", v.err);
    captured_free(&v);
    captured_free(&c);
}

/* SARIF 2.1.0 for code-scanning tools: the structure the specification
 * requires (tests/sarif/sarif-subset.schema.json), a rule per kind that the
 * results point at, levels from severities, and a finding located at the
 * source line of its call site, its other evidence as related locations. */
static void sarif_report_validates_and_locates_the_finding(void **state)
{
    (void)state;
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s/examples/parent-holds-write-end/parent_holds_write_end", EXECTRACE_BUILD_DIR);
    struct traced_run r;
    assert_int_equal(traced_run(&r, (const char *const[]){"-q", NULL}, NULL, (const char *const[]){prog, NULL}), 0);
    struct captured c;
    report((const char *const[]){"--sarif", NULL}, r.trace_path, &c);
    assert_int_equal(c.status, 1); /* --fail-on applies as to any report */
    struct captured v;
    char checks[2048];
    snprintf(checks, sizeof(checks),
                            "run = docs[0]['runs'][0]\n"
                            "rules = run['tool']['driver']['rules']\n"
                            "ids = [x['id'] for x in rules]\n"
                            "assert len(set(ids)) == len(ids) == %d, ids\n"
                            "res = run['results']\n"
                            "assert len(res) == 1, res\n"
                            "levels = {'error': 'error', 'warning': 'warning', 'info': 'note'}\n"
                            "for x in res:\n"
                            "    assert rules[x['ruleIndex']]['id'] == x['ruleId'], x\n"
                            "    assert x['level'] == levels[x['properties']['severity']], x\n"
                            "x = res[0]\n"
                            "assert x['ruleId'] == 'parent-holds-write-end' and x['level'] == 'error', x\n"
                            "loc = x['locations'][0]['physicalLocation']\n"
                            "uri = loc['artifactLocation']['uri']\n"
                            "assert uri.endswith('parent_holds_write_end.c'), uri\n"
                            "assert loc['region']['startLine'] > 1, loc\n"
                            "assert x['locations'][0]['logicalLocations'][0]['fullyQualifiedName'] == 'main', x\n"
                            "assert any('poll(' in y['message']['text'] for y in x['relatedLocations']), x\n",
                            (int)ET_FK_COUNT);
    int ran = validate_json(EXECTRACE_SOURCE_DIR "/tests/sarif/sarif-subset.schema.json", c.out, false, checks, &v);
    assert_true(ran >= 0);
    if (ran == 1)
        skip(); /* python3-jsonschema is not installed: ./make.sh installs it */
    if (v.status != 0)
        fail_msg("report --sarif:\n%s\n%s", v.err, c.out);
    captured_free(&v);
    captured_free(&c);
    /* One output at a time. */
    report((const char *const[]){"--sarif", "--json", NULL}, r.trace_path, &c);
    assert_int_equal(c.status, 2);
    captured_free(&c);
    traced_run_free(&r);
}

/* A full disk or a closed pipe is not success: exit 2 and say so. */
static void output_that_cannot_be_written_fails_the_command(void **state)
{
    (void)state;
    static const char *const commands[][3] = {{"report", NULL}, {"report", "--json"}, {"events", NULL},
                                              {"events", "--json"}, {"tree", NULL}};
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        const char *const argv[] = {"sh", "-c", "exec \"$0\" \"$@\" >/dev/full", exectrace_bin(), commands[i][0],
                                    commands[i][1] ? commands[i][1] : held_pipe_run.trace_path,
                                    commands[i][1] ? held_pipe_run.trace_path : NULL, NULL};
        struct captured c;
        assert_int_equal(run_captured(argv, NULL, &c), 0);
        if (c.status != 2 || !strstr(c.err, "could not write the output"))
            fail_msg("exectrace %s %s >/dev/full: status %d, stderr: %s", commands[i][0],
                     commands[i][1] ? commands[i][1] : "", c.status, c.err);
        captured_free(&c);
    }
}

static void fail_on_sets_the_exit_status(void **state)
{
    (void)state;
    static const struct {
        const char *level;
        int status;
    } cases[] = {{"error", 1}, {"warning", 1}, {"info", 1}, {"never", 0}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct captured c;
        report((const char *const[]){"--fail-on", cases[i].level, NULL}, held_pipe_run.trace_path, &c);
        if (c.status != cases[i].status)
            fail_msg("--fail-on %s: exit %d, wanted %d", cases[i].level, c.status, cases[i].status);
        captured_free(&c);
    }
}

static void colour_is_used_only_when_asked_for(void **state)
{
    (void)state;
    struct captured c;
    report((const char *const[]){"--color", "always", NULL}, held_pipe_run.trace_path, &c);
    assert_non_null(strstr(c.out, "\033[1;31merror\033[0m held-pipe"));
    assert_non_null(strstr(c.out, "\033[1;33mwarning\033[0m orphaned-descendants"));
    captured_free(&c);
    report((const char *const[]){"--color", "never", NULL}, held_pipe_run.trace_path, &c);
    assert_null(strchr(c.out, '\033'));
    captured_free(&c);
}

/* On a terminal (a pty here) the report is coloured, unless NO_COLOR says
 * otherwise. */
static const char *on_a_terminal(const char *no_color, struct captured *c)
{
    const char *const argv[] = {"python3", "-c",
                                "import os, pty, sys\n"
                                "pid, fd = pty.fork()\n"
                                "if pid == 0:\n"
                                "    os.environ.pop('NO_COLOR', None)\n"
                                "    if sys.argv[1]:\n"
                                "        os.environ['NO_COLOR'] = sys.argv[1]\n"
                                "    os.execv(sys.argv[2], sys.argv[2:])\n"
                                "out = b''\n"
                                "while True:\n"
                                "    try:\n"
                                "        chunk = os.read(fd, 65536)\n"
                                "    except OSError:\n"
                                "        break\n"
                                "    if not chunk:\n"
                                "        break\n"
                                "    out += chunk\n"
                                "os.waitpid(pid, 0)\n"
                                "print('COLOUR' if b'\\x1b[' in out else 'PLAIN')\n",
                                no_color, exectrace_bin(), "report", held_pipe_run.trace_path, NULL};
    assert_int_equal(run_captured(argv, NULL, c), 0);
    assert_int_equal(c->status, 0);
    return c->out;
}

static void colour_on_a_terminal_unless_no_color_is_set(void **state)
{
    (void)state;
    struct captured c;
    assert_string_equal(on_a_terminal("", &c), "COLOUR\n");
    captured_free(&c);
    assert_string_equal(on_a_terminal("1", &c), "PLAIN\n");
    captured_free(&c);
}

static void thresholds_are_options(void **state)
{
    (void)state;
    struct captured c;
    /* The pipe stayed open about 1.5 s: a 5 s threshold forgives it. */
    report((const char *const[]){"--held-pipe-ms", "5000", "--orphan-ms", "5000", NULL}, held_pipe_run.trace_path, &c);
    assert_int_equal(c.status, 0);
    assert_null(strstr(c.out, "held-pipe"));
    captured_free(&c);
}

static void clean_run_reports_nothing_and_exits_0(void **state)
{
    (void)state;
    struct traced_run r;
    assert_int_equal(traced_run(&r, (const char *const[]){"-q", NULL}, NULL,
                                (const char *const[]){"sh", "-c", "echo a | cat >/dev/null; true", NULL}),
                     0);
    struct captured c;
    report(NULL, r.trace_path, &c);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "No findings"));
    captured_free(&c);
    traced_run_free(&r);
}

static void damaged_trace_still_reports_and_exits_2(void **state)
{
    (void)state;
    /* Cut the trace in the middle of its records. */
    char cut[PATH_MAX + 16];
    snprintf(cut, sizeof(cut), "%s/cut.trace", held_pipe_run.dir);
    size_t len = held_pipe_run.trace.len;
    uint64_t claimed = held_pipe_run.trace.hdr->next_chunk * 1024 + 4096;
    size_t keep = (size_t)(claimed < len ? claimed : len) / 2 + 3;
    FILE *f = fopen(cut, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(held_pipe_run.trace.data, 1, keep, f), keep);
    fclose(f);
    struct captured c;
    report(NULL, cut, &c);
    unlink(cut);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.out, "exectrace report: "));
    /* One line of diagnosis, naming the offset. */
    assert_non_null(strstr(c.err, "offset "));
    assert_int_equal(strchr(c.err, '\n') - c.err + 1, (long)strlen(c.err));
    captured_free(&c);
}

static void usage_errors_exit_2(void **state)
{
    (void)state;
    struct captured c;
    report((const char *const[]){"--fail-on", "sometimes", NULL}, held_pipe_run.trace_path, &c);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "--fail-on"));
    captured_free(&c);
    report(NULL, "/nonexistent/trace", &c);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "No such file"));
    captured_free(&c);
}

static size_t display_columns(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            n++;
    return n;
}

static void tree_shows_who_started_whom_within_80_columns(void **state)
{
    (void)state;
    struct captured c;
    const char *const argv[] = {exectrace_bin(), "tree", held_pipe_run.trace_path, NULL};
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    assert_int_equal(c.status, 0);
    for (const char *line = c.out; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (display_columns(line, len) > 80)
            fail_msg("line wider than 80 columns: %.*s", (int)len, line);
        line += len + (end ? 1 : 0);
    }
    /* The shell, killed; its sleep below it, orphaned and reaped by
     * exectrace. */
    const char *sh = strstr(c.out, "sh -c 'sleep 2; echo late'\n");
    assert_non_null(sh);
    assert_non_null(strstr(sh, "killed by SIGKILL, reaped by"));
    const char *sleep_line = strstr(sh, "└─ ");
    assert_non_null(sleep_line);
    assert_non_null(strstr(sleep_line, "sleep 2\n"));
    /* Its details wrap under it, indented with spaces only. */
    char *details = folded(sleep_line);
    assert_non_null(strstr(details, "orphaned at"));
    assert_non_null(strstr(details, "reaped by exectrace after"));
    free(details);
    captured_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_report_names_the_held_pipe_with_evidence_and_fix),
        cmocka_unit_test(json_report_validates_against_the_documented_schema),
        cmocka_unit_test(sarif_report_validates_and_locates_the_finding),
        cmocka_unit_test(output_that_cannot_be_written_fails_the_command),
        cmocka_unit_test(fail_on_sets_the_exit_status),
        cmocka_unit_test(colour_is_used_only_when_asked_for),
        cmocka_unit_test(colour_on_a_terminal_unless_no_color_is_set),
        cmocka_unit_test(thresholds_are_options),
        cmocka_unit_test(clean_run_reports_nothing_and_exits_0),
        cmocka_unit_test(damaged_trace_still_reports_and_exits_2),
        cmocka_unit_test(usage_errors_exit_2),
        cmocka_unit_test(tree_shows_who_started_whom_within_80_columns),
    };
    return cmocka_run_group_tests_name("report", tests, record_held_pipe, forget_held_pipe);
}
