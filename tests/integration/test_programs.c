/* Real programs under the shim: the whole process tree of a shell pipeline
 * (bash, dash, and /bin/sh started by CPython's subprocess through vfork),
 * and GNU make, which starts its recipes with posix_spawn. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PIPELINE "sleep 0.1 | cat"


static void run_ok(struct traced_run *r, const char *const argv[])
{
    assert_int_equal(traced_run(r, (const char *const[]){"-q", NULL}, NULL, argv), 0);
    assert_true(r->loaded);
    if (r->status != 0)
        print_message("exit status %d, stderr:\n%s\n", r->status, r->err);
    assert_int_equal(r->status, 0);
}

static bool fork_of(const struct et_record *rec, const void *arg)
{
    return BODY(rec, et_fork)->result == *(const int *)arg;
}

static bool reaped(const struct et_record *rec, const void *arg)
{
    return BODY(rec, et_wait_return)->result == *(const int *)arg;
}

static bool closes_inode(const struct et_record *rec, const void *arg)
{
    return BODY(rec, et_close)->pipe.inode == *(const uint64_t *)arg;
}

/* A child of shell that was forked, reaped with exit status 0. */
static void expect_forked_and_reaped(const struct traced_run *r, int shell, int child)
{
    assert_int_equal(count_records(r, ET_REC_FORK, shell, fork_of, &child), 1);
    const struct et_record *ret = find_record(r, ET_REC_WAIT_RETURN, shell, reaped, &child);
    assert_non_null(ret);
    assert_true(WIFEXITED(BODY(ret, et_wait_return)->status));
    assert_int_equal(WEXITSTATUS(BODY(ret, et_wait_return)->status), 0);
}

/* `sleep 0.1 | cat` run by the shell process `shell`: one pipe, whose write
 * end is sleep's stdout and whose read end is cat's stdin, both children of
 * the shell, which closed its own copies of both ends. */
static void expect_pipeline(const struct traced_run *r, int shell)
{
    assert_int_equal(count_records(r, ET_REC_PIPE, shell, NULL, NULL), 1);
    const struct et_record *pipe_rec = find_record(r, ET_REC_PIPE, shell, NULL, NULL);
    assert_int_equal(BODY(pipe_rec, et_pipe)->result, 0);
    uint64_t inode = BODY(pipe_rec, et_pipe)->inode;
    assert_int_not_equal(inode, 0);

    const struct et_record *sleep_start = start_by_argv0(r, "sleep");
    const struct et_record *cat_start = start_by_argv0(r, "cat");
    assert_non_null(sleep_start);
    assert_non_null(cat_start);
    assert_int_equal(BODY(sleep_start, et_image_start)->ppid, shell);
    assert_int_equal(BODY(cat_start, et_image_start)->ppid, shell);

    struct et_pipe_end end;
    assert_true(start_pipe_at(sleep_start, 1, &end));
    assert_int_equal(end.inode, inode);
    assert_int_equal(end.flags & (ET_PIPE_READ | ET_PIPE_WRITE), ET_PIPE_WRITE);
    assert_true(start_pipe_at(cat_start, 0, &end));
    assert_int_equal(end.inode, inode);
    assert_int_equal(end.flags & (ET_PIPE_READ | ET_PIPE_WRITE), ET_PIPE_READ);
    /* Each holds only its own end of that pipe. */
    assert_false(start_pipe_at(sleep_start, 0, &end) && end.inode == inode);
    assert_false(start_pipe_at(cat_start, 1, &end) && end.inode == inode);

    expect_forked_and_reaped(r, shell, (int)sleep_start->pid);
    expect_forked_and_reaped(r, shell, (int)cat_start->pid);
    assert_int_equal(count_records(r, ET_REC_CLOSE, shell, closes_inode, &inode), 2);
    assert_true(event_index(r, pipe_rec) < event_index(r, sleep_start));
    assert_true(event_index(r, pipe_rec) < event_index(r, cat_start));
    /* Both ran to the end of their program. */
    assert_int_equal(count_records(r, ET_REC_IMAGE_EXIT, (int)sleep_start->pid, NULL, NULL), 1);
    assert_int_equal(count_records(r, ET_REC_IMAGE_EXIT, (int)cat_start->pid, NULL, NULL), 1);
}

static void bash_pipeline_links_sleep_and_cat_through_bashs_pipe(void **state)
{
    (void)state;
    struct traced_run r;
    run_ok(&r, (const char *const[]){"bash", "-c", PIPELINE, NULL});
    const struct et_record *bash = start_by_argv0(&r, "bash");
    assert_non_null(bash);
    assert_int_equal((int)bash->pid, command_pid(&r));
    expect_pipeline(&r, (int)bash->pid);
    traced_run_free(&r);
}

static void dash_pipeline_links_sleep_and_cat_through_dashs_pipe(void **state)
{
    (void)state;
    struct traced_run r;
    run_ok(&r, (const char *const[]){"dash", "-c", PIPELINE, NULL});
    const struct et_record *dash = start_by_argv0(&r, "dash");
    assert_non_null(dash);
    assert_int_equal((int)dash->pid, command_pid(&r));
    expect_pipeline(&r, (int)dash->pid);
    traced_run_free(&r);
}

/* The interpreter itself: `python3` may be a wrapper script (pyenv). */
static bool python_path(char *buf, size_t len)
{
    FILE *p = popen("python3 -c 'import sys; print(sys.executable)' 2>/dev/null", "r");
    if (!p)
        return false;
    bool ok = fgets(buf, (int)len, p) != NULL;
    if (pclose(p) != 0)
        ok = false;
    if (ok)
        buf[strcspn(buf, "\n")] = 0;
    return ok && buf[0] == '/';
}

static bool is_vfork(const struct et_record *rec, const void *arg)
{
    (void)arg;
    return BODY(rec, et_fork)->kind == ET_FORK_VFORK;
}

static void python_subprocess_vforks_sh_which_runs_the_pipeline(void **state)
{
    (void)state;
    char python[PATH_MAX];
    if (!python_path(python, sizeof(python)))
        skip();
    struct traced_run r;
    run_ok(&r, (const char *const[]){python, "-c", "import subprocess; subprocess.run('" PIPELINE "', shell=True)",
                                     NULL});
    int py = command_pid(&r);
    assert_non_null(start_of(&r, py, ET_ORIGIN_EXEC));

    const struct et_record *vfork_rec = find_record(&r, ET_REC_FORK, py, is_vfork, NULL);
    assert_non_null(vfork_rec);
    /* The interpreter's vfork carries its call site; the child's exec,
     * made on borrowed memory, says why it has none. */
    const uint64_t *pc;
    struct et_stack_trailer trailer;
    assert_int_equal(vfork_rec->flags, ET_RF_STACK);
    assert_true(et_record_stack(vfork_rec, &pc, &trailer));
    assert_true(trailer.frames > 0);
    int sh = BODY(vfork_rec, et_fork)->result;
    assert_true(sh > 0);

    const struct et_record *child = start_of(&r, sh, ET_ORIGIN_VFORK);
    assert_non_null(child);
    assert_int_equal(child->flags, ET_RF_VFORK_CHILD);
    assert_int_equal(BODY(child, et_image_start)->ppid, py);
    const struct et_record *exec = find_record(&r, ET_REC_EXEC, sh, NULL, NULL);
    assert_non_null(exec);
    assert_int_equal(exec->flags, ET_RF_VFORK_CHILD | ET_RF_STACK);
    /* The exec's call site in _posixsubprocess, walked on the parent's
     * stack from the vfork child. */
    assert_true(et_record_stack(exec, &pc, &trailer));
    assert_true(trailer.frames > 0);
    assert_int_equal(trailer.flags & ~ET_STACK_TRUNCATED, 0);
    assert_string_equal(exec_path(exec), "/bin/sh");
    assert_string_equal(exec_argv(exec, 0), "/bin/sh");
    assert_string_equal(exec_argv(exec, 1), "-c");
    assert_string_equal(exec_argv(exec, 2), PIPELINE);

    const struct et_record *sh_start = start_of(&r, sh, ET_ORIGIN_EXEC);
    assert_non_null(sh_start);
    assert_int_equal(sh_start->flags, 0);
    assert_string_equal(start_argv(sh_start, 0), "/bin/sh");
    assert_int_equal(r.events.v[event_index(&r, exec)].outcome, event_index(&r, sh_start));
    /* The interpreter reaped its shell. */
    const struct et_record *ret = find_record(&r, ET_REC_WAIT_RETURN, py, reaped, &sh);
    assert_non_null(ret);
    assert_int_equal(BODY(ret, et_wait_return)->status, 0);
    /* No record of the interpreter's pid came from its vfork child. */
    for (size_t i = 0; i < r.events.n; i++) {
        const struct et_record *rec = r.events.v[i].r;
        if (rec->pid == (uint32_t)py)
            assert_int_equal(rec->flags & ET_RF_VFORK_CHILD, 0);
    }
    expect_pipeline(&r, sh);
    traced_run_free(&r);
}

static bool spawned(const struct et_record *rec, const void *arg)
{
    (void)arg;
    return BODY(rec, et_spawn)->result == 0;
}

static void make_spawns_recipe_lines_whose_children_start_with_those_pids(void **state)
{
    (void)state;
    struct traced_run r;
    /* The makefile comes on the command line: nothing to clean up.  A plain
     * command (run directly) and one that needs the shell. */
    run_ok(&r, (const char *const[]){"make", "-f", "/dev/null", "--eval=all:\n\t@echo one\n\t@echo two > /dev/null\n",
                                     "all", NULL});
    assert_string_equal(r.out, "one\n");
    int make = command_pid(&r);
    assert_non_null(start_of(&r, make, ET_ORIGIN_EXEC));

    assert_int_equal(count_records(&r, ET_REC_SPAWN, make, NULL, NULL), 2);
    assert_int_equal(count_records(&r, ET_REC_SPAWN, make, spawned, NULL), 2);
    static const char *const argv0[] = {"echo", "/bin/sh"};
    static const char *const last_arg[] = {"one", "echo two > /dev/null"};
    for (unsigned k = 0; k < 2; k++) {
        const struct et_record *spawn = NULL;
        for (size_t i = 0, seen = 0; i < r.events.n && !spawn; i++)
            if (r.events.v[i].r->type == ET_REC_SPAWN && r.events.v[i].r->pid == (uint32_t)make && seen++ == k)
                spawn = r.events.v[i].r;
        assert_non_null(spawn);
        const struct et_spawn *b = BODY(spawn, et_spawn);
        assert_int_equal(spawn->err, 0);
        int child = b->child_pid;
        assert_true(child > 0);

        const struct et_record *cstart = start_of(&r, child, ET_ORIGIN_EXEC);
        assert_non_null(cstart);
        assert_int_equal(BODY(cstart, et_image_start)->ppid, make);
        assert_true(event_index(&r, spawn) < event_index(&r, cstart));
        assert_int_equal(BODY(cstart, et_image_start)->argc, b->argc);
        assert_string_equal(start_argv(cstart, 0), argv0[k]);
        assert_string_equal(start_argv(cstart, b->argc - 1), last_arg[k]);
        /* Exactly one image in that process: posix_spawn's own exec is
         * libc-internal and left no record. */
        assert_int_equal(count_records(&r, ET_REC_IMAGE_START, child, NULL, NULL), 1);
        assert_int_equal(count_records(&r, ET_REC_EXEC, child, NULL, NULL), 0);
        const struct et_record *ret = find_record(&r, ET_REC_WAIT_RETURN, make, reaped, &child);
        assert_non_null(ret);
        assert_int_equal(BODY(ret, et_wait_return)->status, 0);
    }
    traced_run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bash_pipeline_links_sleep_and_cat_through_bashs_pipe),
        cmocka_unit_test(dash_pipeline_links_sleep_and_cat_through_dashs_pipe),
        cmocka_unit_test(python_subprocess_vforks_sh_which_runs_the_pipeline),
        cmocka_unit_test(make_spawns_recipe_lines_whose_children_start_with_those_pids),
    };
    return cmocka_run_group_tests_name("programs", tests, NULL, NULL);
}
