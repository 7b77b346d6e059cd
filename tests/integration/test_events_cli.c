/* `exectrace events` as a user runs it: on a good trace, on damaged copies
 * of it (exit status 2, one line of diagnosis naming an offset, and every
 * record that survived still printed), in JSON, and filtered by pid. */
#define _GNU_SOURCE
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

#include "harness.h"


struct fixture {
    struct traced_run r;
    char dir[PATH_MAX]; /* our own files, named below */
    char damaged[PATH_MAX + 16], missing[PATH_MAX + 16];
    uint8_t *trace;     /* the good trace, as bytes */
    size_t trace_len;
    int sh_pid;
    size_t nrec;
    uint64_t *off; /* offset of each record, sorted */
    uint32_t *size;
};

static void name_in(const struct fixture *fx, char *buf, const char *name)
{
    snprintf(buf, PATH_MAX + 16, "%s/%s", fx->dir, name);
}

static void run_events(const struct fixture *fx, const char *const options[], const char *trace, struct captured *o)
{
    (void)fx;
    const char *argv[16];
    int n = 0;
    argv[n++] = exectrace_bin();
    argv[n++] = "events";
    for (int i = 0; options && options[i]; i++)
        argv[n++] = options[i];
    argv[n++] = trace;
    argv[n] = NULL;
    assert_int_equal(run_captured(argv, NULL, o), 0);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (*s == '\n')
            n++;
    return n;
}

static size_t lines_containing(const char *s, const char *needle)
{
    size_t n = 0;
    while (*s) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        char *line = strndup(s, len);
        if (strstr(line, needle))
            n++;
        free(line);
        s += len + (eol ? 1 : 0);
    }
    return n;
}

/* "+S.UUUUUU [PID] " or "+S.UUUUUU [PID/TID] " at the start of every line. */
static void assert_text_lines_well_formed(const char *s)
{
    while (*s) {
        const char *p = s;
        if (*p != '+' && *p != '-')
            fail_msg("line does not start with a time: %.80s", s);
        p++;
        if (!(*p >= '0' && *p <= '9'))
            fail_msg("bad seconds: %.80s", s);
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p++ != '.')
            fail_msg("no decimal point: %.80s", s);
        for (int i = 0; i < 6; i++, p++)
            if (!(*p >= '0' && *p <= '9'))
                fail_msg("not 6 decimals: %.80s", s);
        if (p[0] != ' ' || p[1] != '[')
            fail_msg("no pid after the time: %.80s", s);
        p += 2;
        if (!(*p >= '1' && *p <= '9'))
            fail_msg("bad pid: %.80s", s);
        while ((*p >= '0' && *p <= '9') || *p == '/')
            p++;
        if (p[0] != ']' || p[1] != ' ')
            fail_msg("bad pid field: %.80s", s);
        const char *eol = strchr(s, '\n');
        assert_non_null(eol);
        s = eol + 1;
    }
}

/* Every line parses as JSON, by a real JSON parser. */
static void assert_json_lines_parse(const struct fixture *fx, const char *json)
{
    (void)fx;
    const char *const argv[] = {"python3", "-c", "import json,sys\n[json.loads(l) for l in sys.stdin]", NULL};
    struct captured c;
    assert_int_equal(run_captured(argv, json, &c), 0);
    if (c.status == 127)
        skip(); /* no python3 here */
    if (c.status != 0)
        fail_msg("JSON output does not parse: %s", c.err);
    captured_free(&c);
}

static void write_copy(const struct fixture *fx, const char *path, const uint8_t *data, size_t len)
{
    (void)fx;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        assert_true(n > 0);
        done += (size_t)n;
    }
    close(fd);
}

static int by_offset(const void *a, const void *b)
{
    uint64_t x = ((const struct et_event *)a)->offset, y = ((const struct et_event *)b)->offset;
    return x < y ? -1 : x > y;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    /* No wait and no failed exec: then every record is one line in both
     * formats, and line counts can be predicted from the records alone. */
    /* No call sites: every record is then one line of `events` (the map
     * of loaded objects is shown only with --stacks, test_stacks.c). */
    setenv("EXECTRACE_STACK_DEPTH", "0", 1);
    assert_int_equal(traced_run(&fx->r, (const char *const[]){"--size", "1M", "-q", NULL}, NULL,
                                (const char *const[]){"/bin/sh", "-c", "kill -0 $$; exec /bin/true", NULL}),
                     0);
    unsetenv("EXECTRACE_STACK_DEPTH");
    assert_int_equal(fx->r.status, 0);
    assert_true(fx->r.loaded);
    assert_int_equal(fx->r.trace.problems, 0);
    assert_int_equal(count_records(&fx->r, ET_REC_WAIT_ENTER, -1, NULL, NULL), 0);
    assert_int_equal(count_records(&fx->r, ET_REC_WAIT_RETURN, -1, NULL, NULL), 0);
    assert_int_equal(count_records(&fx->r, ET_REC_EXEC_FAILED, -1, NULL, NULL), 0);
    fx->sh_pid = command_pid(&fx->r);
    assert_true(fx->sh_pid > 0);

    fx->nrec = fx->r.events.n;
    assert_true(fx->nrec >= 8);
    struct et_event *sorted = malloc(fx->nrec * sizeof(*sorted));
    assert_non_null(sorted);
    memcpy(sorted, fx->r.events.v, fx->nrec * sizeof(*sorted));
    qsort(sorted, fx->nrec, sizeof(*sorted), by_offset);
    fx->off = malloc(fx->nrec * sizeof(*fx->off));
    fx->size = malloc(fx->nrec * sizeof(*fx->size));
    for (size_t i = 0; i < fx->nrec; i++) {
        fx->off[i] = sorted[i].offset;
        fx->size[i] = sorted[i].r->size;
    }
    free(sorted);
    fx->trace = (uint8_t *)read_whole_file_len(fx->r.trace_path, &fx->trace_len);
    assert_non_null(fx->trace);

    snprintf(fx->dir, sizeof(fx->dir), "/tmp/exectrace-events-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    name_in(fx, fx->damaged, "damaged.trace");
    name_in(fx, fx->missing, "no-such.trace");
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    if (!fx)
        return 0; /* the setup failed before making anything */
    const char *const files[] = {fx->damaged};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        unlink(files[i]);
    rmdir(fx->dir);
    traced_run_free(&fx->r);
    free(fx->trace);
    free(fx->off);
    free(fx->size);
    free(fx);
    return 0;
}

/* ---- a good trace -------------------------------------------------------------- */

static void good_trace_prints_one_line_per_event_like_strace(void **state)
{
    struct fixture *fx = *state;
    struct captured o;
    run_events(fx, NULL, fx->r.trace_path, &o);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.err, "");
    assert_int_equal(count_lines(o.out), fx->nrec);
    assert_text_lines_well_formed(o.out);

    char expected[128];
    snprintf(expected, sizeof(expected), " [%d] execve(\"/bin/true\", [\"/bin/true\"]) = 0\n", fx->sh_pid);
    assert_non_null(strstr(o.out, expected));
    snprintf(expected, sizeof(expected), " [%d] kill(%d, 0) = 0\n", fx->sh_pid, fx->sh_pid);
    assert_non_null(strstr(o.out, expected));
    snprintf(expected, sizeof(expected), " [%d] start exec \"/usr/bin/true\"", fx->sh_pid);
    if (!strstr(o.out, expected)) {
        /* Where /bin is not a link to /usr/bin. */
        snprintf(expected, sizeof(expected), " [%d] start exec \"/bin/true\"", fx->sh_pid);
        assert_non_null(strstr(o.out, expected));
    }
    snprintf(expected, sizeof(expected), "] start launcher \"%s\"", exectrace_bin());
    assert_non_null(strstr(o.out, expected));
    assert_int_equal(lines_containing(o.out, "exectrace stopped: command"), 1);
    captured_free(&o);
}

static void json_output_is_one_valid_object_per_event(void **state)
{
    struct fixture *fx = *state;
    struct captured o;
    run_events(fx, (const char *const[]){"--json", NULL}, fx->r.trace_path, &o);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.err, "");
    assert_int_equal(count_lines(o.out), fx->nrec);
    assert_json_lines_parse(fx, o.out);
    char expected[128];
    snprintf(expected, sizeof(expected), "\"pid\":%d,", fx->sh_pid);
    assert_true(lines_containing(o.out, expected) >= 3);
    assert_int_equal(lines_containing(o.out, "\"event\":\"run_end\""), 1);
    captured_free(&o);
}

static void pid_option_keeps_only_that_process(void **state)
{
    struct fixture *fx = *state;
    size_t want = 0;
    for (size_t i = 0; i < fx->r.events.n; i++)
        if (fx->r.events.v[i].r->pid == (uint32_t)fx->sh_pid)
            want++;
    assert_true(want >= 3 && want < fx->nrec);

    char pid[16], tag[32];
    snprintf(pid, sizeof(pid), "%d", fx->sh_pid);
    struct captured o;
    run_events(fx, (const char *const[]){"--pid", pid, NULL}, fx->r.trace_path, &o);
    assert_int_equal(o.status, 0);
    assert_int_equal(count_lines(o.out), want);
    snprintf(tag, sizeof(tag), " [%d]", fx->sh_pid);
    size_t own = lines_containing(o.out, tag);
    snprintf(tag, sizeof(tag), " [%d/", fx->sh_pid);
    own += lines_containing(o.out, tag);
    assert_int_equal(own, want);
    captured_free(&o);

    run_events(fx, (const char *const[]){"--json", "--pid", pid, NULL}, fx->r.trace_path, &o);
    assert_int_equal(o.status, 0);
    snprintf(tag, sizeof(tag), ",\"pid\":%d,", fx->sh_pid);
    assert_int_equal(count_lines(o.out), want);
    assert_int_equal(lines_containing(o.out, tag), want);
    captured_free(&o);

    /* A pid that wrote nothing: nothing printed, and that is not an error. */
    run_events(fx, (const char *const[]){"--pid", "2147483647", NULL}, fx->r.trace_path, &o);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.out, "");
    captured_free(&o);
}

/* ---- damaged copies ---------------------------------------------------------------- */

/* Exit status 2, exactly one line on stderr, naming the offset; the records
 * that survived on stdout, in both formats. */
static void assert_damaged_output(const struct fixture *fx, const char *path, const char *offset_kind,
                                  size_t surviving)
{
    struct captured o;
    run_events(fx, NULL, path, &o);
    assert_int_equal(o.status, 2);
    if (count_lines(o.err) != 1 || !strstr(o.err, offset_kind))
        fail_msg("stderr should be one line with \"%s\", is:\n%s", offset_kind, o.err);
    assert_non_null(strstr(o.err, path));
    assert_int_equal(lines_containing(o.err, "offset "), 1);
    assert_int_equal(count_lines(o.out), surviving);
    assert_text_lines_well_formed(o.out);
    if (surviving) {
        char shown[64];
        snprintf(shown, sizeof(shown), "; %zu valid records shown\n", surviving);
        assert_non_null(strstr(o.err, shown));
    }
    captured_free(&o);

    run_events(fx, (const char *const[]){"--json", NULL}, path, &o);
    assert_int_equal(o.status, 2);
    assert_int_equal(count_lines(o.err), 1);
    assert_int_equal(count_lines(o.out), surviving);
    if (surviving)
        assert_json_lines_parse(fx, o.out);
    captured_free(&o);
}

static void truncated_trace_prints_the_records_before_the_cut(void **state)
{
    struct fixture *fx = *state;
    /* Inside the middle record of the claimed data. */
    size_t mid = fx->nrec / 2;
    size_t cut = fx->off[mid] + 20;
    size_t surviving = 0;
    for (size_t i = 0; i < fx->nrec; i++)
        if (fx->off[i] + fx->size[i] <= cut)
            surviving++;
    assert_true(surviving >= mid && surviving < fx->nrec);
    const char *path = fx->damaged;
    write_copy(fx, path, fx->trace, cut);
    char kind[64];
    snprintf(kind, sizeof(kind), "offset %zu: truncated", cut);
    assert_damaged_output(fx, path, kind, surviving);
}

static void garbled_commit_word_costs_exactly_one_record(void **state)
{
    struct fixture *fx = *state;
    size_t mid = fx->nrec / 2;
    uint8_t *copy = malloc(fx->trace_len);
    assert_non_null(copy);
    memcpy(copy, fx->trace, fx->trace_len);
    copy[fx->off[mid] + offsetof(struct et_record, commit) + 1] ^= 0x04;
    const char *path = fx->damaged;
    write_copy(fx, path, copy, fx->trace_len);
    free(copy);
    char kind[80];
    snprintf(kind, sizeof(kind), "offset %llu: record is corrupt", (unsigned long long)fx->off[mid]);
    assert_damaged_output(fx, path, kind, fx->nrec - 1);
}

static void unreadable_copy(void **state, size_t len, size_t at, const uint8_t *bytes, size_t nbytes,
                            const char *kind)
{
    struct fixture *fx = *state;
    uint8_t *copy = malloc(fx->trace_len);
    assert_non_null(copy);
    memcpy(copy, fx->trace, fx->trace_len);
    memcpy(copy + at, bytes, nbytes);
    const char *path = fx->damaged;
    write_copy(fx, path, copy, len);
    free(copy);
    assert_damaged_output(fx, path, kind, 0);
}

static void wrong_magic_is_refused_with_one_line(void **state)
{
    unreadable_copy(state, ((struct fixture *)*state)->trace_len, 0, (const uint8_t *)"\x89XTRACE\n", 8,
                    "offset 0: not an exectrace trace file");
}

static void newer_major_version_is_refused_with_one_line(void **state)
{
    uint16_t major = ET_VERSION_MAJOR_RING + 1;
    unreadable_copy(state, ((struct fixture *)*state)->trace_len, offsetof(struct et_file_header, version_major),
                    (const uint8_t *)&major, sizeof(major), "offset 8: trace format 3.");
    /* And it says what to do about it. */
    struct fixture *fx = *state;
    struct captured o;
    run_events(fx, NULL, fx->damaged, &o);
    assert_non_null(strstr(o.err, "newer"));
    captured_free(&o);
}

static void empty_file_is_refused_with_one_line(void **state)
{
    unreadable_copy(state, 0, 0, (const uint8_t *)"", 0, "offset 0:");
}

static void missing_file_exits_2_with_a_message(void **state)
{
    struct fixture *fx = *state;
    const char *path = fx->missing;
    struct captured o;
    run_events(fx, NULL, path, &o);
    assert_int_equal(o.status, 2);
    assert_string_equal(o.out, "");
    assert_int_equal(count_lines(o.err), 1);
    assert_non_null(strstr(o.err, path));
    assert_non_null(strstr(o.err, strerror(ENOENT)));
    captured_free(&o);
}

static void missing_argument_exits_2_with_usage(void **state)
{
    struct fixture *fx = *state;
    (void)fx;
    const char *argv[] = {exectrace_bin(), "events", NULL};
    struct captured c;
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "usage: exectrace events"));
    captured_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_trace_prints_one_line_per_event_like_strace),
        cmocka_unit_test(json_output_is_one_valid_object_per_event),
        cmocka_unit_test(pid_option_keeps_only_that_process),
        cmocka_unit_test(truncated_trace_prints_the_records_before_the_cut),
        cmocka_unit_test(garbled_commit_word_costs_exactly_one_record),
        cmocka_unit_test(wrong_magic_is_refused_with_one_line),
        cmocka_unit_test(newer_major_version_is_refused_with_one_line),
        cmocka_unit_test(empty_file_is_refused_with_one_line),
        cmocka_unit_test(missing_file_exits_2_with_a_message),
        cmocka_unit_test(missing_argument_exits_2_with_usage),
    };
    return cmocka_run_group_tests_name("events", tests, setup, teardown);
}
