/* The flight recorder, end to end: `exectrace run --ring`, and the shim
 * preloaded by hand with EXECTRACE_RING.  Programs go round a small ring
 * many times; what is left is the newest history, the processes that
 * started before it are still named (the launcher's checkpoints), their
 * pipes still known, and a hang is diagnosed from the last of it. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Each /bin/true takes a run of its own (a 2 KiB slot): 2000 of them go
 * round a 1 MiB ring four times, a 256 KiB one sixteen times, in a few
 * seconds.  A lap of the larger one lasts long enough for the launcher's
 * checkpoints to keep up on a loaded machine. */
#define LOOP_THEN(after) "for i in $(seq 2000); do /bin/true; done; " after

static void run_analysis(const char *cmd, const char *trace, const char *opt, struct captured *c)
{
    const char *const argv[] = {exectrace_bin(), cmd, opt, trace, NULL};
    assert_int_equal(run_captured(opt ? argv : (const char *const[]){exectrace_bin(), cmd, trace, NULL}, NULL, c), 0);
}

/* A long run keeps its last minutes: the command that started long before
 * them is named with its command line, the history says from when it is
 * complete and how much went, and the report reads it whole. */
static void a_ring_keeps_the_end_of_a_long_run(void **state)
{
    (void)state;
    struct traced_run r;
    const char *const options[] = {"--ring", "1M", NULL};
    assert_int_equal(traced_run(&r, options, NULL, (const char *const[]){"sh", "-c", LOOP_THEN("/bin/echo last"), NULL}),
                     0);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "last\n");
    assert_true(r.loaded);
    assert_true(r.trace.ring && r.trace.ring_wrapped);
    assert_int_equal(r.trace.problems, 0);
    assert_non_null(strstr(r.err, "a ring of"));
    assert_non_null(strstr(r.err, "events overwritten"));
    /* The end is there: echo's start. */
    assert_non_null(start_by_argv0(&r, "echo"));

    struct captured tree;
    run_analysis("tree", r.trace_path, NULL, &tree);
    assert_int_equal(tree.status, 0);
    assert_non_null(strstr(tree.out, "history complete from +"));
    /* The command, its start long overwritten, named by a checkpoint. */
    assert_non_null(strstr(tree.out, "sh -c 'for i in"));
    assert_non_null(strstr(tree.out, "started before the recorded history"));
    captured_free(&tree);

    /* The timeline says it too, and marks the lanes. */
    char html[PATH_MAX + 16];
    snprintf(html, sizeof(html), "%s/run.html", r.dir);
    struct captured timeline;
    assert_int_equal(run_captured((const char *const[]){exectrace_bin(), "timeline", "-o", html, r.trace_path, NULL},
                                  NULL, &timeline),
                     0);
    assert_int_equal(timeline.status, 0);
    captured_free(&timeline);
    char *page = read_whole_file(html);
    assert_non_null(page);
    assert_non_null(strstr(page, "history complete from +"));
    assert_non_null(strstr(page, "started before the recorded history"));
    free(page);
    unlink(html);

    struct captured report;
    run_analysis("report", r.trace_path, "--json", &report);
    assert_int_equal(report.status, 0);
    assert_non_null(strstr(report.out, "\"ring\":{\"bytes\":"));
    assert_non_null(strstr(report.out, "\"complete_from\":"));
    assert_null(strstr(report.out, "\"complete_from\":null"));
    assert_null(strstr(report.out, "\"records_overwritten\":0,"));
    captured_free(&report);
    traced_run_free(&r);
}

/* A pipe held since before the history, by a process whose start was
 * overwritten long ago: the hang report still names the holder and the
 * reader, from the snapshot at the hang and the history before it. */
static void a_hang_after_the_ring_went_round_is_diagnosed(void **state)
{
    (void)state;
    struct traced_run r;
    const char *const options[] = {"--ring", "1M", "--hang-after", "3", "--kill-after-report", NULL};
    assert_int_equal(traced_run(&r, options, NULL,
                                (const char *const[]){"sh", "-c",
                                                      "sleep 60 | cat & " LOOP_THEN("out=$(sleep 60 & echo hi); wait"),
                                                      NULL}),
                     0);
    assert_int_equal(r.status, 124);
    assert_true(r.loaded && r.trace.ring_wrapped);
    assert_non_null(strstr(r.err, "blocked-on-held-pipe"));
    assert_non_null(strstr(r.err, "history complete from +"));

    /* The pipe from `sleep 60 | cat`, made before the history: the
     * checkpoints say who holds it, so the model knows cat's reader. */
    struct captured tree;
    run_analysis("tree", r.trace_path, NULL, &tree);
    assert_int_equal(tree.status, 0);
    assert_non_null(strstr(tree.out, "sleep 60"));
    assert_non_null(strstr(tree.out, "cat"));
    captured_free(&tree);
    traced_run_free(&r);
}

/* Preloaded by hand: the first process makes the trace a ring of the size
 * EXECTRACE_RING says, and the ring is read back like the launcher's. */
static void the_shim_alone_makes_a_ring_when_asked(void **state)
{
    (void)state;
    char dir[] = "/tmp/exectrace-flight-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char trace[PATH_MAX], file_env[PATH_MAX + 32], preload[PATH_MAX + 32];
    snprintf(trace, sizeof(trace), "%s/ring.trace", dir);
    snprintf(file_env, sizeof(file_env), "EXECTRACE_FILE=%s", trace);
    snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", shim_path());
    const char *const argv[] = {"env", preload, file_env, "EXECTRACE_RING=256K", "sh", "-c", LOOP_THEN("echo done"),
                                NULL};
    struct captured c;
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    assert_int_equal(c.status, 0);
    assert_string_equal(c.out, "done\n");
    captured_free(&c);

    struct et_trace t;
    assert_int_equal(et_trace_open(&t, trace), 0);
    assert_true(t.ring && t.ring_wrapped);
    assert_int_equal(t.hdr->version_major, ET_VERSION_MAJOR_RING);
    assert_int_equal(t.problems, 0);
    assert_true(t.hdr->ring_slot_count * (uint64_t)ET_RING_SLOT_BYTES <= 256u << 10);
    et_trace_close(&t);

    struct captured report;
    run_analysis("report", trace, NULL, &report);
    assert_int_equal(report.status, 0);
    assert_non_null(strstr(report.out, "ring trace of"));
    assert_non_null(strstr(report.out, "history complete from +"));
    captured_free(&report);

    /* A size it cannot read leaves the program untraced, not broken. */
    unlink(trace);
    const char *const bad[] = {"env", preload, file_env, "EXECTRACE_RING=lots", "sh", "-c", "echo fine", NULL};
    assert_int_equal(run_captured(bad, NULL, &c), 0);
    assert_int_equal(c.status, 0);
    assert_string_equal(c.out, "fine\n");
    assert_int_not_equal(access(trace, F_OK), 0);
    captured_free(&c);
    rmdir(dir);
}

/* `exectrace snapshot FILE` appends to a ring trace like to any other:
 * here from inside the traced tree, once the ring went round. */
static void a_snapshot_goes_into_the_ring(void **state)
{
    (void)state;
    struct traced_run r;
    const char *const options[] = {"--ring", "256K", NULL};
    char script[PATH_MAX + 128];
    /* (A sanitizer build of exectrace, preloaded with the shim here, would
     * refuse to start: the shim comes first in the list of libraries.) */
    snprintf(script, sizeof(script),
             LOOP_THEN("ASAN_OPTIONS=verify_asan_link_order=0 '%s' snapshot run.trace >snapshot.out 2>&1; echo $?"),
             exectrace_bin());
    assert_int_equal(traced_run(&r, options, NULL, (const char *const[]){"sh", "-c", script, NULL}), 0);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "0\n");
    assert_true(r.loaded && r.trace.ring_wrapped);
    assert_int_equal(r.trace.hdr->snapshots, 1);
    /* The shell, waiting for the snapshot to finish, is in it. */
    const struct et_record *snap = NULL;
    for (size_t i = 0; i < r.events.n && !snap; i++) {
        const struct et_record *e = r.events.v[i].r;
        if (e->type == ET_REC_SNAPSHOT && BODY(e, et_snapshot)->reason == ET_SNAP_REQUESTED)
            snap = e;
    }
    assert_non_null(snap);
    traced_run_free(&r);
}

/* vfork children write into their parent's run: round a small ring many
 * times with them, and what is left reads whole. */
static bool from_vfork_child(const struct et_record *rec, const void *arg)
{
    (void)arg;
    return rec->flags & ET_RF_VFORK_CHILD;
}

static void vfork_children_go_round_the_ring(void **state)
{
    (void)state;
    struct traced_run r;
    const char *const options[] = {"--ring", "56K", NULL};
    char script[PATH_MAX + 128];
    snprintf(script, sizeof(script), "for i in $(seq 150); do '%s' vfork_exec; '%s' vfork_fds; done",
             test_prog("hooks_create"), test_prog("hooks_create"));
    assert_int_equal(traced_run(&r, options, NULL, (const char *const[]){"sh", "-c", script, NULL}), 0);
    assert_int_equal(r.status, 0);
    assert_true(r.loaded && r.trace.ring_wrapped);
    assert_int_equal(r.trace.problems, 0);
    assert_int_equal(r.trace.hdr->records_dropped, 0);
    assert_true(count_records(&r, ET_REC_EXEC, -1, from_vfork_child, NULL) > 0);
    traced_run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_ring_keeps_the_end_of_a_long_run),
        cmocka_unit_test(a_hang_after_the_ring_went_round_is_diagnosed),
        cmocka_unit_test(the_shim_alone_makes_a_ring_when_asked),
        cmocka_unit_test(a_snapshot_goes_into_the_ring),
        cmocka_unit_test(vfork_children_go_round_the_ring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
