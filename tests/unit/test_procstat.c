/* Parsing /proc/PID/stat, which fork and vfork children read with raw system
 * calls: the command name may hold anything, and input that is not a stat
 * line must be refused rather than half-parsed. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "procstat.h"

static int parse(const char *text, struct et_proc_stat *st)
{
    memset(st, 0x5a, sizeof(*st));
    return et_proc_stat_parse(text, strlen(text), st);
}

/* A line as Linux 6.x writes it: 52 fields. */
static const char real_line[] =
    "31415 (bash) S 2718 31415 31415 34816 31500 4194560 6073 57344 0 12 9 3 41 22 20 0 1 0 8675309 "
    "9248768 1325 18446744073709551615 94000000000000 94000000900000 140720000000000 0 0 65536 3686404 "
    "1266761467 1 0 0 17 1 0 0 0 0 0 94000001000000 94000001050000 94000002000000 140720000001000 "
    "140720000001010 140720000001010 140720000002000 0\n";

static void real_stat_line_gives_state_parentage_and_start_time(void **state)
{
    (void)state;
    struct et_proc_stat st;
    assert_int_equal(parse(real_line, &st), 0);
    assert_int_equal(st.state, 'S');
    assert_int_equal(st.ppid, 2718);
    assert_int_equal(st.pgid, 31415);
    assert_int_equal(st.sid, 31415);
    assert_int_equal(st.start_time, 8675309);
}

static void command_name_with_spaces_and_parentheses_is_skipped_whole(void **state)
{
    (void)state;
    struct et_proc_stat st;
    assert_int_equal(parse("1234 (a) b) c) S 1 1234 1234 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 5555 0 0\n", &st), 0);
    assert_int_equal(st.state, 'S');
    assert_int_equal(st.ppid, 1);
    assert_int_equal(st.pgid, 1234);
    assert_int_equal(st.sid, 1234);
    assert_int_equal(st.start_time, 5555);

    /* A name crafted to look like the fields that follow it. */
    assert_int_equal(parse("77 (x) R 9 9 9) T 3 4 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0\n", &st), 0);
    assert_int_equal(st.state, 'T');
    assert_int_equal(st.ppid, 3);
    assert_int_equal(st.pgid, 4);
    assert_int_equal(st.sid, 5);
    assert_int_equal(st.start_time, 99);

    /* Empty name, and one that is only parentheses and spaces. */
    assert_int_equal(parse("5 () Z 1 5 5 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0", &st), 0);
    assert_int_equal(st.state, 'Z');
    assert_int_equal(st.start_time, 7);
    assert_int_equal(parse("6 ( ) ( )) D 2 6 6 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 8 0", &st), 0);
    assert_int_equal(st.state, 'D');
    assert_int_equal(st.ppid, 2);
    assert_int_equal(st.start_time, 8);
}

static void negative_fields_elsewhere_do_not_disturb_the_parse(void **state)
{
    (void)state;
    struct et_proc_stat st;
    /* tty_nr and tpgid -1, a real-time priority and a negative nice value. */
    assert_int_equal(parse("42 (rt) R 1 42 42 -1 -1 0 0 0 0 0 0 0 0 0 -51 -20 1 0 123456789012 0\n", &st), 0);
    assert_int_equal(st.state, 'R');
    assert_int_equal(st.ppid, 1);
    assert_int_equal(st.pgid, 42);
    assert_int_equal(st.sid, 42);
    assert_int_equal(st.start_time, 123456789012ull);
}

static void line_of_exactly_22_fields_parses_with_or_without_newline(void **state)
{
    (void)state;
    struct et_proc_stat st;
    assert_int_equal(parse("9 (p) S 8 7 6 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 54321", &st), 0);
    assert_int_equal(st.start_time, 54321);
    assert_int_equal(parse("9 (p) S 8 7 6 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 54321\n", &st), 0);
    assert_int_equal(st.start_time, 54321);
}

static void length_bounds_the_parse_not_the_terminator(void **state)
{
    (void)state;
    struct et_proc_stat st;
    /* Read into a buffer with no terminator: whatever lies beyond len is
     * not part of the line, even a ')' and more numbers. */
    const char text[] = "9 (p) S 8 7 6 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 54321 0) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19";
    size_t len = strlen("9 (p) S 8 7 6 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 54321 0");
    assert_int_equal(et_proc_stat_parse(text, len, &st), 0);
    assert_int_equal(st.ppid, 8);
    assert_int_equal(st.start_time, 54321);
    /* Cut before the start time: refused, not read past len. */
    len = strlen("9 (p) S 8 7 6 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 ");
    assert_int_equal(et_proc_stat_parse(text, len, &st), -EINVAL);
}

/* The shim reads only the first ET_PROC_STAT_READ_BYTES of the line: fields 1 to 22 fit
 * in them however wide each can be (a 64-byte kernel thread name full of
 * ') ', every number at its widest). */
static void widest_fields_up_to_the_start_time_fit_in_the_bytes_read(void **state)
{
    (void)state;
    char line[2048];
    int n = snprintf(line, sizeof(line), "4194304 (");
    for (int i = 0; i < 32; i++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, ") ");
    n += snprintf(line + n, sizeof(line) - (size_t)n, ") S 4194303 4194302 4194301 -2147483648 -2147483648 4294967295");
    for (int field = 10; field <= 17; field++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " 18446744073709551615");
    n += snprintf(line + n, sizeof(line) - (size_t)n, " -2147483648 -2147483648 -2147483648 18446744073709551615");
    n += snprintf(line + n, sizeof(line) - (size_t)n, " 18446744073709551614");
    for (int field = 23; field <= 52; field++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " 18446744073709551615");
    assert_true(n > ET_PROC_STAT_READ_BYTES);
    struct et_proc_stat st;
    assert_int_equal(et_proc_stat_parse_prefix(line, ET_PROC_STAT_READ_BYTES, &st), 0);
    assert_int_equal(st.state, 'S');
    assert_int_equal(st.ppid, 4194303);
    assert_int_equal(st.pgid, 4194302);
    assert_int_equal(st.sid, 4194301);
    assert_true(st.start_time == 18446744073709551614ull);

    /* Cut inside the start time: refused, not read as 1844. */
    const char *at = strstr(line, " 18446744073709551614");
    assert_non_null(at);
    assert_int_equal(et_proc_stat_parse_prefix(line, (size_t)(at - line) + 5, &st), -EINVAL);
}

static void garbage_and_short_input_is_refused(void **state)
{
    (void)state;
    struct et_proc_stat st;
    static const char *const bad[] = {
        "",
        "\n",
        "hello world",
        "1234 (no closing parenthesis S 1 2 3",
        "1234 (x)",
        "1234 (x) ",
        "1234 (x) S",
        "1234 (x) S 1 2 3 0 -1",
        "1234 (x) S 1 1234 1234 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0", /* 21 fields */
        "1234 (x) SS 1 1234 1234 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
        "1234 (x) S abc 1234 1234 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
        "1234 (x) S -1 1234 1234 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
        "1234 (x) S 1 12x4 1234 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
        "1234 (x) S 1 1234 +1234 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5",
        "1234 (x) S 1 1234 1234 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5",
        "1234 (x) S 1 1234 1234 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5e3",
        "1234 (x) S 1 1234 1234 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 123456789012345678901",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parse(bad[i], &st) != -EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
    /* Zero length with text behind it. */
    assert_int_equal(et_proc_stat_parse(real_line, 0, &st), -EINVAL);
}

static void numbers_too_large_for_their_field_are_refused(void **state)
{
    (void)state;
    struct et_proc_stat st;
    /* 20 digits, but above UINT64_MAX: it must not wrap to a small start
     * time that could match another process. */
    if (parse("1234 (x) S 1 1234 1234 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99999999999999999999", &st) != -EINVAL)
        fail_msg("start time 99999999999999999999 accepted as %llu", (unsigned long long)st.start_time);
    if (parse("1234 (x) S 1 1234 1234 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 18446744073709551616", &st) != -EINVAL)
        fail_msg("start time 2^64 accepted as %llu", (unsigned long long)st.start_time);
    /* The largest value does fit. */
    assert_int_equal(parse("1234 (x) S 1 1234 1234 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 18446744073709551615", &st), 0);
    assert_int_equal(st.start_time, UINT64_MAX);
    /* A parent pid past 32 bits must not become pid 1. */
    if (parse("1234 (x) S 4294967297 1234 1234 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5", &st) != -EINVAL)
        fail_msg("ppid 4294967297 accepted as %u", st.ppid);
}

/* ---- reading the live file ---------------------------------------------------- */

/* The start time as an independent parse of /proc/PID/stat finds it. */
static unsigned long long start_time_of(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[2048];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    assert_non_null(p);
    unsigned long long v = 0;
    /* Fields 3 to 21 skipped, field 22 read. */
    int field = 2;
    for (char *tok = strtok(p + 1, " \n"); tok; tok = strtok(NULL, " \n"))
        if (++field == 22) {
            v = strtoull(tok, NULL, 10);
            break;
        }
    assert_int_equal(field, 22);
    return v;
}

static void reading_self_agrees_with_the_system_calls(void **state)
{
    (void)state;
    struct et_proc_stat st;
    assert_int_equal(et_proc_stat_read(0, &st), 0);
    assert_int_equal(st.state, 'R');
    assert_int_equal(st.ppid, (uint32_t)getppid());
    assert_int_equal(st.pgid, (uint32_t)getpgrp());
    assert_int_equal(st.sid, (uint32_t)getsid(0));
    assert_int_equal(st.start_time, start_time_of("/proc/self/stat"));

    struct et_proc_stat by_pid;
    assert_int_equal(et_proc_stat_read(getpid(), &by_pid), 0);
    assert_int_equal(by_pid.ppid, st.ppid);
    assert_int_equal(by_pid.start_time, st.start_time);
}

static void reading_another_process_sees_its_parent_and_group(void **state)
{
    (void)state;
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        close(ready[0]);
        char c = 1;
        if (write(ready[1], &c, 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    close(ready[1]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);

    struct et_proc_stat st;
    int ret = et_proc_stat_read(pid, &st);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    assert_int_equal(ret, 0);
    assert_int_equal(st.ppid, (uint32_t)getpid());
    assert_int_equal(st.pgid, (uint32_t)pid);
    assert_int_equal(st.sid, (uint32_t)getsid(0));
}

static void reading_a_pid_that_does_not_exist_fails_with_enoent(void **state)
{
    (void)state;
    struct et_proc_stat st;
    /* Above any pid_max (at most 2^22). */
    assert_int_equal(et_proc_stat_read(0x7ffffff0, &st), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_stat_line_gives_state_parentage_and_start_time),
        cmocka_unit_test(command_name_with_spaces_and_parentheses_is_skipped_whole),
        cmocka_unit_test(negative_fields_elsewhere_do_not_disturb_the_parse),
        cmocka_unit_test(line_of_exactly_22_fields_parses_with_or_without_newline),
        cmocka_unit_test(length_bounds_the_parse_not_the_terminator),
        cmocka_unit_test(garbage_and_short_input_is_refused),
        cmocka_unit_test(numbers_too_large_for_their_field_are_refused),
        cmocka_unit_test(widest_fields_up_to_the_start_time_fit_in_the_bytes_read),
        cmocka_unit_test(reading_self_agrees_with_the_system_calls),
        cmocka_unit_test(reading_another_process_sees_its_parent_and_group),
        cmocka_unit_test(reading_a_pid_that_does_not_exist_fails_with_enoent),
    };
    return cmocka_run_group_tests_name("procstat", tests, NULL, NULL);
}
