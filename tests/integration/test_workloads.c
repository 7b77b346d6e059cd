/* Real programs doing things right must report no warning and no error:
 * false alarms cost a diagnosis tool its users' trust. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "model.h"
#include "rules.h"
#include "report.h"

/* Runs argv traced, builds the model, and fails with every finding's
 * message if one is a warning or an error. */
static void expect_no_warnings(const char *const argv[], int expected_status)
{
    struct traced_run r;
    assert_int_equal(traced_run(&r, (const char *const[]){"-q", NULL}, NULL, argv), 0);
    assert_true(r.loaded);
    if (r.status != expected_status)
        fail_msg("%s exited %d, not %d:\n%s", argv[0], r.status, expected_status, r.err);
    struct et_thresholds th;
    et_default_thresholds(&th);
    struct et_analysis a;
    assert_int_equal(et_analyze(&a, &r.trace, &th), 0);
    const struct et_model *m = &a.model;
    /* The workload really ran under the shim: several traced processes. */
    size_t traced = 0;
    for (size_t i = 0; i < m->nprocs; i++)
        if ((m->procs[i].flags & ET_PF_TRACED) && !(m->procs[i].flags & ET_PF_LAUNCHER))
            traced++;
    assert_true(traced >= 3);
    size_t bad = 0;
    for (size_t i = 0; i < a.findings.n; i++) {
        if (a.findings.v[i].severity >= ET_SEV_WARNING) {
            print_message("false alarm: %s\n", a.findings.v[i].message);
            bad++;
        }
    }
    et_analysis_free(&a);
    traced_run_free(&r);
    assert_int_equal(bad, 0);
}

static void make_j2_on_a_generated_project(void **state)
{
    (void)state;
    char dir[] = "/tmp/exectrace-make-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[PATH_MAX];
    for (int i = 0; i < 24; i++) {
        snprintf(path, sizeof(path), "%s/f%d.c", dir, i);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "int f%d(void) { return %d; }\n", i, i);
        fclose(f);
    }
    snprintf(path, sizeof(path), "%s/Makefile", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("SRCS := $(wildcard *.c)\n"
          "lib.a: $(SRCS:.c=.o)\n"
          "\tar rcs $@ $^\n"
          "%.o: %.c\n"
          "\tcc -O0 -c $< -o $@\n",
          f);
    fclose(f);
    expect_no_warnings((const char *const[]){"make", "-s", "-j2", "-C", dir, NULL}, 0);
    /* make's own files, then the directory. */
    const char *const clean[] = {"rm", "-rf", dir, NULL};
    struct captured c;
    assert_int_equal(run_captured(clean, NULL, &c), 0);
    captured_free(&c);
}

static void bash_loop_of_pipelines(void **state)
{
    (void)state;
    expect_no_warnings((const char *const[]){"bash", "-c",
                                             "for i in $(seq 1 30); do echo $i | tr 1 x | sort | head -n 1; "
                                             "done >/dev/null; x=$(echo sub | cat); test \"$x\" = sub",
                                             NULL},
                       0);
}

static void python_subprocess_run_with_captured_output(void **state)
{
    (void)state;
    expect_no_warnings((const char *const[]){"python3", "-c",
                                             "import subprocess\n"
                                             "for _ in range(5):\n"
                                             "    r = subprocess.run(['sh', '-c', 'echo out; echo err >&2; ls / | "
                                             "wc -l'], capture_output=True, timeout=30)\n"
                                             "    assert r.returncode == 0 and r.stdout.startswith(b'out')\n"
                                             "r = subprocess.run('seq 1000 | sort -r | head -3', shell=True, "
                                             "capture_output=True, text=True, timeout=30)\n"
                                             "assert r.stdout.split() == ['999', '998', '997'], r.stdout\n",
                                             NULL},
                       0);
}

static void timeout_kill_of_its_own_group_in_a_pipeline(void **state)
{
    (void)state;
    /* timeout puts itself and the command in a group of their own and
     * kills that group: the correct idiom, not a broadcast. */
    expect_no_warnings((const char *const[]){"sh", "-c", "timeout -s KILL 1 sh -c 'sleep 3' | cat; exit 0", NULL}, 0);
}

static void xargs_running_two_at_a_time(void **state)
{
    (void)state;
    expect_no_warnings((const char *const[]){"sh", "-c", "seq 1 12 | xargs -P 2 -n 1 sh -c 'echo $0 | cat' >/dev/null",
                                             NULL},
                       0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(make_j2_on_a_generated_project),
        cmocka_unit_test(bash_loop_of_pipelines),
        cmocka_unit_test(python_subprocess_run_with_captured_output),
        cmocka_unit_test(timeout_kill_of_its_own_group_in_a_pipeline),
        cmocka_unit_test(xargs_running_two_at_a_time),
    };
    return cmocka_run_group_tests_name("workloads", tests, NULL, NULL);
}
