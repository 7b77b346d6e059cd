/* Each hook family, through the programs in tests/progs/hooks_*.c: the exact
 * records a call produces (type, count, arguments, result, errno, process,
 * order).  The programs check for themselves that the shim is transparent
 * (results and errno as libc gives them) and exit non-zero when it is not. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <limits.h>
#include <linux/close_range.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* ---- running a program ---------------------------------------------------- */

static void run_prog(struct traced_run *r, const char *prog, const char *mode)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s", test_prog(prog));
    const char *const argv[] = {path, mode, NULL};
    assert_int_equal(traced_run(r, (const char *const[]){"-q", NULL}, NULL, argv), 0);
    assert_true(r->loaded);
}

/* The program's own verdict: its message explains a transparency failure. */
static void expect_status(const struct traced_run *r, int status)
{
    if (r->status != status)
        print_message("exit status %d, stderr:\n%s\n", r->status, r->err);
    assert_int_equal(r->status, status);
}

/* A "key=value" line the program printed. */
static unsigned long long out_value(const struct traced_run *r, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = r->out; line && *line;) {
        if (strncmp(line, key, klen) == 0 && line[klen] == '=')
            return strtoull(line + klen + 1, NULL, 0);
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    print_message("no %s= in the program's output:\n%s\n", key, r->out);
    fail();
    return 0;
}

static int out_int(const struct traced_run *r, const char *key)
{
    return (int)out_value(r, key);
}

/* ---- looking at records ------------------------------------------------- */

/* The start record of the program the launcher ran. */
static const struct et_record *prog_start(const struct traced_run *r)
{
    const struct et_record *start = start_of(r, command_pid(r), ET_ORIGIN_EXEC);
    assert_non_null(start);
    return start;
}

#define MAX_IMAGE_EVENTS 512

/* A record made where unwinding is unsafe carries no frames, and says why
 * (the vfork child and the clone(CLONE_VM) child run on borrowed memory). */
static void expect_stack_skipped(const struct et_record *r, unsigned why)
{
    const uint64_t *pc;
    struct et_stack_trailer trailer;
    assert_true(et_record_stack(r, &pc, &trailer));
    assert_int_equal(trailer.frames, 0);
    assert_int_equal(trailer.flags, why);
}

/* The records one process image wrote, in order: its start record up to (not
 * including) the next start record of the same pid.  Its map of loaded
 * objects (module records) is left out: test_stacks.c looks at those. */
static size_t image_events(const struct traced_run *r, const struct et_record *start, const struct et_record **out)
{
    long from = event_index(r, start);
    assert_true(from >= 0);
    size_t n = 0;
    out[n++] = start;
    for (size_t i = (size_t)from + 1; i < r->events.n; i++) {
        const struct et_record *rec = r->events.v[i].r;
        if (rec->pid != start->pid)
            continue;
        if (rec->type == ET_REC_IMAGE_START)
            break;
        if (rec->type == ET_REC_MODULE)
            continue;
        assert_true(n < MAX_IMAGE_EVENTS);
        out[n++] = rec;
    }
    return n;
}

/* The image's records are exactly these types, in this order (0-terminated;
 * the start record included). */
static void expect_types(const struct traced_run *r, const struct et_record *start, const uint16_t *types)
{
    const struct et_record *ev[MAX_IMAGE_EVENTS];
    size_t n = image_events(r, start, ev);
    size_t want = 0;
    while (types[want])
        want++;
    bool same = n == want;
    for (size_t i = 0; same && i < n; i++)
        same = ev[i]->type == types[i];
    if (!same) {
        print_message("pid %u wrote types:", start->pid);
        for (size_t i = 0; i < n; i++)
            print_message(" %u", ev[i]->type);
        print_message("\nexpected:");
        for (size_t i = 0; i < want; i++)
            print_message(" %u", types[i]);
        print_message("\n");
    }
    assert_true(same);
}

#define TYPES(...) ((const uint16_t[]){__VA_ARGS__, 0})

/* The k-th (from 0) record of a type in an image. */
static const struct et_record *nth_of(const struct traced_run *r, const struct et_record *start, uint16_t type,
                                      unsigned k)
{
    const struct et_record *ev[MAX_IMAGE_EVENTS];
    size_t n = image_events(r, start, ev);
    for (size_t i = 0; i < n; i++)
        if (ev[i]->type == type && k-- == 0)
            return ev[i];
    fail_msg("pid %u has no record of type %u number %u", start->pid, type, k);
    return NULL;
}

static const struct et_record *first_of(const struct traced_run *r, const struct et_record *start, uint16_t type)
{
    return nth_of(r, start, type, 0);
}

/* Every record of the image carries its pid, its tid (single-threaded
 * programs) and start time, and no vfork-child flag. */
static void expect_own_identity(const struct traced_run *r, const struct et_record *start)
{
    const struct et_record *ev[MAX_IMAGE_EVENTS];
    size_t n = image_events(r, start, ev);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ev[i]->tid, start->pid);
        assert_int_equal(ev[i]->start_time, start->start_time);
        assert_int_equal(ev[i]->flags & ET_RF_VFORK_CHILD, 0);
    }
}

static void expect_pipe_end(const struct et_pipe_end *e, int fd, unsigned flags, unsigned long long inode)
{
    assert_int_equal(e->fd, fd);
    assert_int_equal(e->flags, flags);
    assert_int_equal(e->inode, inode);
}

static void expect_no_pipe_end(const struct et_pipe_end *e)
{
    assert_int_equal(e->fd, -1);
    assert_int_equal(e->flags, 0);
    assert_int_equal(e->inode, 0);
}

static void expect_close(const struct et_record *rec, int fd, unsigned flags, unsigned long long inode)
{
    assert_int_equal(rec->type, ET_REC_CLOSE);
    assert_int_equal(rec->err, 0);
    assert_int_equal(BODY(rec, et_close)->fd, fd);
    assert_int_equal(BODY(rec, et_close)->result, 0);
    expect_pipe_end(&BODY(rec, et_close)->pipe, fd, flags, inode);
}

static void expect_exit_record(const struct et_record *rec, int pid, uint16_t how, int status)
{
    assert_int_equal(rec->type, ET_REC_IMAGE_EXIT);
    assert_int_equal(rec->pid, pid);
    assert_int_equal(BODY(rec, et_image_exit)->how, how);
    assert_int_equal(BODY(rec, et_image_exit)->status, status);
    assert_int_equal(rec->err, 0);
}

static bool start_argv_is(const struct et_record *start, const char *const *argv)
{
    unsigned n = 0;
    while (argv[n])
        n++;
    const struct et_image_start *b = BODY(start, et_image_start);
    if (b->argc != n || b->argv_count != n)
        return false;
    for (unsigned i = 0; i < n; i++)
        if (strcmp(start_argv(start, i), argv[i]) != 0)
            return false;
    return true;
}

static void expect_exec_argv(const struct et_record *exec, const char *const *argv)
{
    unsigned n = 0;
    while (argv[n])
        n++;
    assert_int_equal(BODY(exec, et_exec)->argc, n);
    assert_int_equal(BODY(exec, et_exec)->argv_count, n);
    for (unsigned i = 0; i < n; i++)
        assert_string_equal(exec_argv(exec, i), argv[i]);
}

/* ---- creation ----------------------------------------------------------- */

/* fork and _Fork: the parent's record names the child, whose own start
 * record says it is a fork of the parent. */
static void check_fork_kind(const char *mode, uint16_t kind, uint16_t child_exit_how)
{
    struct traced_run r;
    run_prog(&r, "hooks_create", mode);
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    int parent = (int)start->pid;
    int child = out_int(&r, "child");
    assert_int_equal(out_int(&r, "parent"), parent);

    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_FORK, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN, ET_REC_SIGNAL,
                       ET_REC_IMAGE_EXIT));
    expect_own_identity(&r, start);
    const struct et_record *fork_rec = first_of(&r, start, ET_REC_FORK);
    assert_int_equal(BODY(fork_rec, et_fork)->kind, kind);
    assert_int_equal(BODY(fork_rec, et_fork)->result, child);
    assert_int_equal(BODY(fork_rec, et_fork)->clone_flags, 0);
    assert_int_equal(fork_rec->err, 0);

    const struct et_record *cstart = start_of(&r, child, 0);
    assert_non_null(cstart);
    assert_int_equal(BODY(cstart, et_image_start)->origin, ET_ORIGIN_FORK);
    assert_int_equal(BODY(cstart, et_image_start)->ppid, parent);
    assert_int_equal(cstart->flags, 0);
    assert_int_equal(cstart->tid, child);
    assert_true(event_index(&r, fork_rec) < event_index(&r, cstart));
    /* The child's exit, and nothing else. */
    expect_types(&r, cstart, TYPES(ET_REC_IMAGE_START, ET_REC_IMAGE_EXIT));
    expect_exit_record(first_of(&r, cstart, ET_REC_IMAGE_EXIT), child, child_exit_how, 0);
    assert_int_equal(count_records(&r, ET_REC_IMAGE_START, child, NULL, NULL), 1);
    traced_run_free(&r);
}

static void fork_records_the_child_and_the_child_starts_as_a_fork(void **state)
{
    (void)state;
    /* The child calls exit(): the on_exit handler it inherited speaks for it. */
    check_fork_kind("fork", ET_FORK_FORK, ET_EXIT_EXIT);
}

static void _Fork_records_the_child_and_the_child_starts_as_a_fork(void **state)
{
    (void)state;
    check_fork_kind("_Fork", ET_FORK__FORK, ET_EXIT__EXIT);
}

static void clone_without_vm_records_a_clone_child(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_create", "clone");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    int parent = (int)start->pid;
    int child = out_int(&r, "child");
    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_FORK, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN, ET_REC_SIGNAL,
                       ET_REC_IMAGE_EXIT));
    const struct et_record *fork_rec = first_of(&r, start, ET_REC_FORK);
    assert_int_equal(BODY(fork_rec, et_fork)->kind, ET_FORK_CLONE);
    assert_int_equal(BODY(fork_rec, et_fork)->result, child);
    assert_int_equal(BODY(fork_rec, et_fork)->clone_flags, SIGCHLD);

    const struct et_record *cstart = start_of(&r, child, 0);
    assert_non_null(cstart);
    assert_int_equal(BODY(cstart, et_image_start)->origin, ET_ORIGIN_CLONE);
    assert_int_equal(BODY(cstart, et_image_start)->ppid, parent);
    expect_types(&r, cstart, TYPES(ET_REC_IMAGE_START, ET_REC_IMAGE_EXIT));
    expect_exit_record(first_of(&r, cstart, ET_REC_IMAGE_EXIT), child, ET_EXIT__EXIT, 5);
    assert_int_equal(BODY(first_of(&r, start, ET_REC_WAIT_RETURN), et_wait_return)->result, child);
    traced_run_free(&r);
}

/* A fork, vfork or clone child learns its start time from the clock around
 * the fork, not from /proc: every child's start record must still say what
 * /proc says of it. */
static void forked_children_start_with_the_identity_proc_gives_them(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_create", "fork_identity");
    expect_status(&r, 0);
    int parent = (int)prog_start(&r)->pid;
    int children = 0;
    for (const char *line = strstr(r.out, "identity "); line; line = strstr(line + 1, "identity ")) {
        int pid;
        unsigned long long start_time, ppid, pgid, sid;
        assert_int_equal(sscanf(line, "identity %d %llu %llu %llu %llu", &pid, &start_time, &ppid, &pgid, &sid), 5);
        const struct et_record *cstart = start_of(&r, pid, 0);
        assert_non_null(cstart);
        uint16_t origin = BODY(cstart, et_image_start)->origin;
        assert_true(origin == ET_ORIGIN_FORK || origin == ET_ORIGIN_VFORK || origin == ET_ORIGIN_CLONE);
        if (cstart->start_time != start_time)
            fail_msg("child %d: start record says start time %" PRIu64 ", /proc says %llu", pid,
                     cstart->start_time, start_time);
        assert_int_equal(ppid, parent);
        assert_int_equal(BODY(cstart, et_image_start)->ppid, ppid);
        assert_int_equal(BODY(cstart, et_image_start)->pgid, pgid);
        assert_int_equal(BODY(cstart, et_image_start)->sid, sid);
        /* Its exit record carries the same identity. */
        const struct et_record *cexit = first_of(&r, cstart, ET_REC_IMAGE_EXIT);
        assert_non_null(cexit);
        assert_int_equal(cexit->start_time, cstart->start_time);
        children++;
    }
    assert_int_equal(children, 300);
    traced_run_free(&r);
}

static void vfork_child_that_exits_writes_its_own_records(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_create", "vfork_exit");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    int parent = (int)start->pid;
    int child = out_int(&r, "child");

    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_FORK, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN, ET_REC_SIGNAL,
                       ET_REC_IMAGE_EXIT));
    expect_own_identity(&r, start);
    const struct et_record *fork_rec = first_of(&r, start, ET_REC_FORK);
    assert_int_equal(BODY(fork_rec, et_fork)->kind, ET_FORK_VFORK);
    assert_int_equal(BODY(fork_rec, et_fork)->result, child);
    assert_int_equal(fork_rec->err, 0);

    const struct et_record *cstart = start_of(&r, child, 0);
    assert_non_null(cstart);
    assert_int_equal(BODY(cstart, et_image_start)->origin, ET_ORIGIN_VFORK);
    assert_int_equal(BODY(cstart, et_image_start)->ppid, parent);
    assert_int_equal(cstart->flags, ET_RF_VFORK_CHILD);
    assert_int_equal(cstart->tid, child);
    expect_types(&r, cstart, TYPES(ET_REC_IMAGE_START, ET_REC_IMAGE_EXIT));
    const struct et_record *cexit = first_of(&r, cstart, ET_REC_IMAGE_EXIT);
    expect_exit_record(cexit, child, ET_EXIT__EXIT, 3);
    assert_int_equal(cexit->flags, ET_RF_VFORK_CHILD);
    assert_int_equal(cexit->tid, child);
    assert_int_equal(cexit->start_time, cstart->start_time);

    /* The parent resumes as itself once the child is gone. */
    const struct et_record *ret = first_of(&r, start, ET_REC_WAIT_RETURN);
    assert_int_equal(BODY(ret, et_wait_return)->result, child);
    assert_true(event_index(&r, fork_rec) < event_index(&r, cstart));
    assert_true(event_index(&r, cstart) < event_index(&r, cexit));
    assert_true(event_index(&r, cexit) < event_index(&r, ret));
    const struct et_record *marker = first_of(&r, start, ET_REC_SIGNAL);
    assert_int_equal(BODY(marker, et_signal)->target, parent);
    expect_exit_record(first_of(&r, start, ET_REC_IMAGE_EXIT), parent, ET_EXIT_EXIT, 0);
    traced_run_free(&r);
}

static void vfork_child_that_execs_is_linked_to_the_new_image(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_create", "vfork_exec");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    int parent = (int)start->pid;
    int child = out_int(&r, "child");
    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_FORK, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN, ET_REC_SIGNAL,
                       ET_REC_IMAGE_EXIT));
    expect_own_identity(&r, start);
    assert_int_equal(BODY(first_of(&r, start, ET_REC_FORK), et_fork)->kind, ET_FORK_VFORK);
    assert_int_equal(BODY(first_of(&r, start, ET_REC_FORK), et_fork)->result, child);

    const struct et_record *cstart = start_of(&r, child, ET_ORIGIN_VFORK);
    assert_non_null(cstart);
    assert_int_equal(cstart->flags, ET_RF_VFORK_CHILD);
    assert_int_equal(BODY(cstart, et_image_start)->ppid, parent);
    expect_types(&r, cstart, TYPES(ET_REC_IMAGE_START, ET_REC_EXEC));
    const struct et_record *exec = first_of(&r, cstart, ET_REC_EXEC);
    assert_int_equal(exec->flags, ET_RF_VFORK_CHILD | ET_RF_STACK);
    /* Its call site, walked on its parent's stack (test_stacks.c checks
     * the frames). */
    const uint64_t *pc;
    struct et_stack_trailer trailer;
    assert_true(et_record_stack(exec, &pc, &trailer));
    assert_true(trailer.frames > 0);
    assert_int_equal(trailer.flags & ~ET_STACK_TRUNCATED, 0);
    assert_int_equal(exec->tid, child);
    assert_int_equal(BODY(exec, et_exec)->kind, ET_EXEC_EXECL);
    assert_string_equal(exec_path(exec), "/bin/true");
    expect_exec_argv(exec, (const char *const[]){"true", NULL});

    /* The new image: no longer a vfork child, same process. */
    const struct et_record *tstart = start_of(&r, child, ET_ORIGIN_EXEC);
    assert_non_null(tstart);
    assert_int_equal(tstart->flags, 0);
    assert_int_equal(tstart->start_time, cstart->start_time);
    assert_true(start_argv_is(tstart, (const char *const[]){"true", NULL}));
    assert_int_equal(r.events.v[event_index(&r, exec)].outcome, event_index(&r, tstart));
    expect_types(&r, tstart, TYPES(ET_REC_IMAGE_START, ET_REC_IMAGE_EXIT));
    expect_exit_record(first_of(&r, tstart, ET_REC_IMAGE_EXIT), child, ET_EXIT_EXIT, 0);
    assert_int_equal(count_records(&r, ET_REC_EXEC_FAILED, -1, NULL, NULL), 0);
    traced_run_free(&r);
}

static void vfork_child_whose_exec_fails_records_the_failure_as_itself(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_create", "vfork_exec_fail");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    int child = out_int(&r, "child");
    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_FORK, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN, ET_REC_SIGNAL,
                       ET_REC_IMAGE_EXIT));
    expect_own_identity(&r, start);
    const struct et_record *cstart = start_of(&r, child, ET_ORIGIN_VFORK);
    assert_non_null(cstart);
    expect_types(&r, cstart, TYPES(ET_REC_IMAGE_START, ET_REC_EXEC, ET_REC_EXEC_FAILED, ET_REC_IMAGE_EXIT));
    const struct et_record *ev[MAX_IMAGE_EVENTS];
    size_t n = image_events(&r, cstart, ev);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ev[i]->flags & ~ET_RF_STACK, ET_RF_VFORK_CHILD);
        assert_int_equal(ev[i]->tid, child);
        assert_int_equal(ev[i]->start_time, cstart->start_time);
    }
    const struct et_record *failed = first_of(&r, cstart, ET_REC_EXEC_FAILED);
    assert_int_equal(failed->err, ENOENT);
    assert_int_equal(BODY(failed, et_exec_failed)->kind, ET_EXEC_EXECL);
    assert_int_equal(r.events.v[event_index(&r, first_of(&r, cstart, ET_REC_EXEC))].outcome,
                     event_index(&r, failed));
    expect_exit_record(first_of(&r, cstart, ET_REC_IMAGE_EXIT), child, ET_EXIT__EXIT, 127);
    assert_int_equal(WEXITSTATUS(BODY(first_of(&r, start, ET_REC_WAIT_RETURN), et_wait_return)->status), 127);
    traced_run_free(&r);
}

static void fd_changes_of_a_vfork_child_stay_out_of_the_parents_table(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_create", "vfork_fds");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    int child = out_int(&r, "child"), later = out_int(&r, "later");
    int rd = out_int(&r, "read"), wr = out_int(&r, "write");
    unsigned long long inode = BODY(first_of(&r, start, ET_REC_PIPE), et_pipe)->inode;

    /* The child's dup2 and closes are its own... */
    const struct et_record *cstart = start_of(&r, child, ET_ORIGIN_VFORK);
    assert_non_null(cstart);
    expect_types(&r, cstart, TYPES(ET_REC_IMAGE_START, ET_REC_DUP, ET_REC_CLOSE, ET_REC_CLOSE, ET_REC_EXEC));
    const struct et_dup *dup = BODY(first_of(&r, cstart, ET_REC_DUP), et_dup);
    assert_int_equal(dup->newfd, 1);
    expect_pipe_end(&dup->source, wr, ET_PIPE_WRITE, inode);
    expect_close(nth_of(&r, cstart, ET_REC_CLOSE, 0), rd, ET_PIPE_READ, inode);
    expect_close(nth_of(&r, cstart, ET_REC_CLOSE, 1), wr, ET_PIPE_WRITE, inode);
    const struct et_record *echo = start_of(&r, child, ET_ORIGIN_EXEC);
    assert_non_null(echo);
    struct et_pipe_end end;
    assert_true(start_pipe_at(echo, 1, &end));
    expect_pipe_end(&end, 1, ET_PIPE_WRITE, inode);
    assert_false(start_pipe_at(echo, rd, &end));
    assert_false(start_pipe_at(echo, wr, &end));

    /* ...the parent still knows both ends (it reads its end to end-of-file),
     * and fd 1 is no pipe end to it. */
    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_PIPE, ET_REC_FORK, ET_REC_CLOSE, ET_REC_PIPE_EOF, ET_REC_WAIT_ENTER,
                       ET_REC_WAIT_RETURN, ET_REC_CLOSE, ET_REC_FORK, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN,
                       ET_REC_SIGNAL, ET_REC_IMAGE_EXIT));
    expect_own_identity(&r, start);
    expect_close(nth_of(&r, start, ET_REC_CLOSE, 0), wr, ET_PIPE_WRITE, inode);
    expect_close(nth_of(&r, start, ET_REC_CLOSE, 1), rd, ET_PIPE_READ, inode);
    const struct et_record *lstart = start_of(&r, later, ET_ORIGIN_FORK);
    assert_non_null(lstart);
    assert_false(start_pipe_at(lstart, 1, &end));
    assert_false(start_pipe_at(lstart, rd, &end));
    assert_false(start_pipe_at(lstart, wr, &end));
    traced_run_free(&r);
}

static void exec_in_a_clone_vm_child_is_recorded_as_the_child(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_create", "clone_vm_exec");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    int child = out_int(&r, "child");
    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_FORK, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN, ET_REC_SIGNAL,
                       ET_REC_IMAGE_EXIT));
    expect_own_identity(&r, start);
    const struct et_record *fork_rec = first_of(&r, start, ET_REC_FORK);
    assert_int_equal(BODY(fork_rec, et_fork)->kind, ET_FORK_CLONE);
    assert_int_equal(BODY(fork_rec, et_fork)->result, child);
    assert_int_equal(BODY(fork_rec, et_fork)->clone_flags, CLONE_VM | CLONE_VFORK | SIGCHLD);
    /* The child shares the parent's memory, so it has no start record of its
     * own; its exec is still its own. */
    const struct et_record *exec = find_record(&r, ET_REC_EXEC, child, NULL, NULL);
    assert_non_null(exec);
    assert_int_equal(exec->tid, child);
    assert_int_equal(exec->flags & ~ET_RF_STACK, 0);
    expect_stack_skipped(exec, ET_STACK_SKIP_CLONE);
    assert_string_equal(exec_path(exec), "/bin/true");
    const struct et_record *tstart = start_of(&r, child, ET_ORIGIN_EXEC);
    assert_non_null(tstart);
    assert_int_equal(tstart->start_time, exec->start_time);
    assert_int_equal(BODY(tstart, et_image_start)->ppid, start->pid);
    assert_int_equal(r.events.v[event_index(&r, exec)].outcome, event_index(&r, tstart));
    traced_run_free(&r);
}

static bool is_vfork_of(const struct et_record *rec, const void *arg)
{
    return BODY(rec, et_fork)->kind == ET_FORK_VFORK && BODY(rec, et_fork)->result == *(const int *)arg;
}

static void vfork_in_a_loop_never_leaks_the_child_into_the_parent(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_create", "vfork_loop");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    int parent = (int)start->pid;

    const struct et_record *ev[MAX_IMAGE_EVENTS];
    size_t n = image_events(&r, start, ev);
    /* start, 100 x (vfork, wait enter, wait return), the marker, exit. */
    assert_int_equal(n, 1 + 100 * 3 + 2);
    expect_own_identity(&r, start);
    for (size_t i = 0; i < 100; i++) {
        assert_int_equal(ev[1 + 3 * i]->type, ET_REC_FORK);
        assert_int_equal(BODY(ev[1 + 3 * i], et_fork)->kind, ET_FORK_VFORK);
        assert_int_equal(ev[2 + 3 * i]->type, ET_REC_WAIT_ENTER);
        assert_int_equal(ev[3 + 3 * i]->type, ET_REC_WAIT_RETURN);
        assert_int_equal(BODY(ev[3 + 3 * i], et_wait_return)->result, BODY(ev[1 + 3 * i], et_fork)->result);
    }
    /* Still traced, as itself, after the last child. */
    const struct et_record *marker = ev[n - 2];
    assert_int_equal(marker->type, ET_REC_SIGNAL);
    assert_int_equal(marker->pid, parent);
    assert_int_equal(BODY(marker, et_signal)->kind, ET_SIGNAL_KILL);
    assert_int_equal(BODY(marker, et_signal)->target, parent);
    assert_int_equal(BODY(marker, et_signal)->sig, 0);
    expect_exit_record(ev[n - 1], parent, ET_EXIT_EXIT, 0);

    /* Every record a vfork child wrote is its own: a vforked pid, not the
     * parent's, and it ends in _exit(3) or an exec of /bin/true. */
    size_t flagged = 0, exits = 0, execs = 0;
    for (size_t i = 0; i < r.events.n; i++) {
        const struct et_record *rec = r.events.v[i].r;
        if (rec->pid == (uint32_t)parent || rec->tid == (uint32_t)parent) {
            assert_int_equal(rec->flags & ET_RF_VFORK_CHILD, 0);
            assert_int_equal(rec->pid, parent);
            assert_int_equal(rec->tid, parent);
        }
        if (!(rec->flags & ET_RF_VFORK_CHILD))
            continue;
        flagged++;
        int pid = (int)rec->pid;
        assert_int_equal(rec->tid, pid);
        assert_int_equal(count_records(&r, ET_REC_FORK, parent, is_vfork_of, &pid), 1);
        if (rec->type == ET_REC_IMAGE_EXIT) {
            exits++;
            assert_int_equal(BODY(rec, et_image_exit)->how, ET_EXIT__EXIT);
            assert_int_equal(BODY(rec, et_image_exit)->status, 3);
        } else if (rec->type == ET_REC_EXEC) {
            execs++;
            assert_int_equal(r.events.v[i].outcome, event_index(&r, start_of(&r, pid, ET_ORIGIN_EXEC)));
        } else {
            assert_int_equal(rec->type, ET_REC_IMAGE_START);
        }
    }
    assert_int_equal(exits, 50);
    assert_int_equal(execs, 50);
    assert_int_equal(flagged, 100 + 50 + 50);
    traced_run_free(&r);
}

/* ---- exec --------------------------------------------------------------- */

static void check_exec_failure(const char *mode, uint16_t kind, const char *path, const char *const *argv, int err)
{
    struct traced_run r;
    run_prog(&r, "hooks_exec", mode);
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    expect_types(&r, start, TYPES(ET_REC_IMAGE_START, ET_REC_EXEC, ET_REC_EXEC_FAILED, ET_REC_IMAGE_EXIT));
    expect_own_identity(&r, start);
    const struct et_record *exec = first_of(&r, start, ET_REC_EXEC);
    assert_int_equal(BODY(exec, et_exec)->kind, kind);
    assert_int_equal(BODY(exec, et_exec)->fd, -1);
    assert_string_equal(exec_path(exec), path);
    expect_exec_argv(exec, argv);
    const struct et_record *failed = first_of(&r, start, ET_REC_EXEC_FAILED);
    assert_int_equal(BODY(failed, et_exec_failed)->kind, kind);
    assert_int_equal(BODY(failed, et_exec_failed)->result, -1);
    assert_int_equal(failed->err, err);
    assert_int_equal(r.events.v[event_index(&r, exec)].outcome, event_index(&r, failed));
    traced_run_free(&r);
}

static void execve_of_a_missing_file_records_ENOENT(void **state)
{
    (void)state;
    check_exec_failure("execve_enoent", ET_EXEC_EXECVE, "/nonexistent/hooks-missing",
                       (const char *const[]){"missing", "arg one", NULL}, ENOENT);
}

static void execve_of_a_non_executable_file_records_EACCES(void **state)
{
    (void)state;
    check_exec_failure("execve_eacces", ET_EXEC_EXECVE, "/etc/passwd", (const char *const[]){"not-executable", NULL},
                       EACCES);
}

static void execvp_of_a_name_not_on_PATH_records_ENOENT(void **state)
{
    (void)state;
    check_exec_failure("execvp_missing", ET_EXEC_EXECVP, "hooks-no-such-program",
                       (const char *const[]){"hooks-no-such-program", NULL}, ENOENT);
}

#define TARGET_ARGV ((const char *const[]){"hooks_exec", "target", "two words", "", NULL})

enum exec_path_expect { PATH_SELF, PATH_NAME, PATH_NONE };

/* A successful exec: the call's record, then the new image's start with the
 * same pid and start time, linked as the exec's outcome. */
static void check_exec_success(const char *mode, uint16_t kind, enum exec_path_expect path, bool uses_fd,
                               bool bare_env)
{
    struct traced_run r;
    run_prog(&r, "hooks_exec", mode);
    expect_status(&r, 0);
    char expected_out[128];
    snprintf(expected_out, sizeof(expected_out), "target argc=4 [hooks_exec] [target] [two words] [] mark=%s\n",
             bare_env ? "bare" : "-");
    assert_non_null(strstr(r.out, expected_out));

    const struct et_record *start = prog_start(&r);
    int pid = (int)start->pid;
    expect_types(&r, start, TYPES(ET_REC_IMAGE_START, ET_REC_EXEC));
    expect_own_identity(&r, start);
    const struct et_record *exec = first_of(&r, start, ET_REC_EXEC);
    const struct et_exec *b = BODY(exec, et_exec);
    assert_int_equal(b->kind, kind);
    assert_int_equal(b->at_flags, 0);
    assert_int_equal(b->fd, uses_fd ? out_int(&r, "fd") : -1);
    char self[PATH_MAX];
    snprintf(self, sizeof(self), "%s", test_prog("hooks_exec"));
    assert_string_equal(exec_path(exec), path == PATH_SELF ? self : path == PATH_NAME ? "hooks_exec" : "");
    expect_exec_argv(exec, TARGET_ARGV);
    /* An environment without the shim's variables gets them back. */
    assert_int_equal(b->flags & (ET_ENV_ADDED_PRELOAD | ET_ENV_ADDED_FILE),
                     bare_env ? ET_ENV_ADDED_PRELOAD | ET_ENV_ADDED_FILE : 0);
    assert_int_equal(count_records(&r, ET_REC_EXEC_FAILED, -1, NULL, NULL), 0);

    long exec_index = event_index(&r, exec);
    const struct et_record *next = NULL;
    for (size_t i = (size_t)exec_index + 1; i < r.events.n && !next; i++)
        if (r.events.v[i].r->pid == (uint32_t)pid)
            next = r.events.v[i].r;
    assert_non_null(next);
    assert_int_equal(next->type, ET_REC_IMAGE_START);
    assert_int_equal(BODY(next, et_image_start)->origin, ET_ORIGIN_EXEC);
    assert_int_equal(next->start_time, start->start_time);
    assert_int_equal(next->flags, 0);
    assert_true(start_argv_is(next, TARGET_ARGV));
    assert_string_equal(start_exe(next), self);
    assert_int_equal(r.events.v[exec_index].outcome, event_index(&r, next));
    expect_types(&r, next, TYPES(ET_REC_IMAGE_START, ET_REC_IMAGE_EXIT));
    expect_exit_record(first_of(&r, next, ET_REC_IMAGE_EXIT), pid, ET_EXIT_EXIT, 0);
    traced_run_free(&r);
}

static void execve_success_is_followed_by_the_new_image(void **state)
{
    (void)state;
    check_exec_success("execve", ET_EXEC_EXECVE, PATH_SELF, false, false);
}

static void execv_success_is_followed_by_the_new_image(void **state)
{
    (void)state;
    check_exec_success("execv", ET_EXEC_EXECV, PATH_SELF, false, false);
}

static void execl_success_is_followed_by_the_new_image(void **state)
{
    (void)state;
    check_exec_success("execl", ET_EXEC_EXECL, PATH_SELF, false, false);
}

static void execle_with_a_bare_environment_puts_the_shim_back(void **state)
{
    (void)state;
    check_exec_success("execle", ET_EXEC_EXECLE, PATH_SELF, false, true);
}

static void execlp_success_records_the_name_searched_for(void **state)
{
    (void)state;
    check_exec_success("execlp", ET_EXEC_EXECLP, PATH_NAME, false, false);
}

static void execvp_success_records_the_name_searched_for(void **state)
{
    (void)state;
    check_exec_success("execvp", ET_EXEC_EXECVP, PATH_NAME, false, false);
}

static void execvpe_with_a_bare_environment_puts_the_shim_back(void **state)
{
    (void)state;
    check_exec_success("execvpe", ET_EXEC_EXECVPE, PATH_NAME, false, true);
}

static void fexecve_success_records_the_fd(void **state)
{
    (void)state;
    check_exec_success("fexecve", ET_EXEC_FEXECVE, PATH_NONE, true, false);
}

static void execveat_success_records_the_dirfd_and_path(void **state)
{
    (void)state;
    check_exec_success("execveat", ET_EXEC_EXECVEAT, PATH_NAME, true, false);
}

/* ---- posix_spawn ------------------------------------------------------ */

static void check_spawn_into_pipe(const char *mode, uint16_t kind, const char *path)
{
    struct traced_run r;
    run_prog(&r, "hooks_spawn", mode);
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    int pid = (int)start->pid;
    int rd = out_int(&r, "read"), wr = out_int(&r, "write"), child = out_int(&r, "child");
    unsigned long long inode = out_value(&r, "inode"), actions = out_value(&r, "actions");

    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_PIPE, ET_REC_SPAWN_ACTION, ET_REC_SPAWN_ACTION, ET_REC_SPAWN,
                       ET_REC_CLOSE, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN, ET_REC_IMAGE_EXIT));
    expect_own_identity(&r, start);
    const struct et_record *pipe_rec = first_of(&r, start, ET_REC_PIPE);
    assert_int_equal(BODY(pipe_rec, et_pipe)->inode, inode);

    const struct et_spawn_action *dup2 = BODY(nth_of(&r, start, ET_REC_SPAWN_ACTION, 0), et_spawn_action);
    assert_int_equal(dup2->op, ET_SPAWN_ACTION_DUP2);
    assert_int_equal(dup2->fd, wr);
    assert_int_equal(dup2->newfd, 1);
    assert_int_equal(dup2->result, 0);
    assert_int_equal(dup2->file_actions, actions);
    expect_pipe_end(&dup2->pipe, wr, ET_PIPE_WRITE, inode);
    const struct et_spawn_action *close_action = BODY(nth_of(&r, start, ET_REC_SPAWN_ACTION, 1), et_spawn_action);
    assert_int_equal(close_action->op, ET_SPAWN_ACTION_CLOSE);
    assert_int_equal(close_action->fd, rd);
    assert_int_equal(close_action->newfd, -1);
    assert_int_equal(close_action->result, 0);
    assert_int_equal(close_action->file_actions, actions);
    expect_pipe_end(&close_action->pipe, rd, ET_PIPE_READ, inode);

    const struct et_record *spawn = first_of(&r, start, ET_REC_SPAWN);
    const struct et_spawn *s = BODY(spawn, et_spawn);
    assert_int_equal(spawn->err, 0);
    assert_int_equal(s->kind, kind);
    assert_int_equal(s->result, 0);
    assert_int_equal(s->child_pid, child);
    assert_int_equal(s->flags & ET_SPAWN_HAS_ATTR, ET_SPAWN_HAS_ATTR);
    assert_int_equal(s->spawn_flags, POSIX_SPAWN_SETPGROUP);
    assert_int_equal(s->pgroup, 0);
    assert_int_equal(s->file_actions, actions);
    assert_int_equal(s->argc, 2);
    assert_int_equal(s->argv_count, 2);
    assert_string_equal(spawn_path(spawn), path);

    /* What the child really got. */
    const struct et_record *cstart = start_of(&r, child, 0);
    assert_non_null(cstart);
    const struct et_image_start *cb = BODY(cstart, et_image_start);
    assert_int_equal(cb->origin, ET_ORIGIN_EXEC);
    assert_int_equal(cb->ppid, pid);
    assert_int_equal(cb->pgid, child);
    assert_true(start_argv_is(cstart, (const char *const[]){"echo", "spawned", NULL}));
    struct et_pipe_end end;
    assert_true(start_pipe_at(cstart, 1, &end));
    expect_pipe_end(&end, 1, ET_PIPE_WRITE, inode);
    assert_false(start_pipe_at(cstart, rd, &end));
    assert_true(event_index(&r, spawn) < event_index(&r, cstart));
    assert_int_equal(BODY(first_of(&r, start, ET_REC_WAIT_RETURN), et_wait_return)->result, child);
    traced_run_free(&r);
}

static void posix_spawn_records_child_file_actions_and_pipe(void **state)
{
    (void)state;
    check_spawn_into_pipe("spawn", ET_SPAWN_POSIX_SPAWN, "/bin/echo");
}

static void posix_spawnp_records_child_file_actions_and_pipe(void **state)
{
    (void)state;
    check_spawn_into_pipe("spawnp", ET_SPAWN_POSIX_SPAWNP, "echo");
}

static void posix_spawnp_of_a_missing_program_records_ENOENT_and_no_child(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_spawn", "spawnp_missing");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    expect_types(&r, start, TYPES(ET_REC_IMAGE_START, ET_REC_SPAWN, ET_REC_IMAGE_EXIT));
    const struct et_record *spawn = first_of(&r, start, ET_REC_SPAWN);
    const struct et_spawn *s = BODY(spawn, et_spawn);
    assert_int_equal(s->kind, ET_SPAWN_POSIX_SPAWNP);
    assert_int_equal(s->result, ENOENT);
    assert_int_equal(spawn->err, ENOENT);
    assert_int_equal(s->child_pid, -1);
    assert_int_equal(s->file_actions, 0);
    assert_int_equal(s->flags & ET_SPAWN_HAS_ATTR, 0);
    assert_string_equal(spawn_path(spawn), "hooks-no-such-program");
    /* Nobody but the program and the launcher's fork child wrote anything. */
    for (size_t i = 0; i < r.events.n; i++) {
        const struct et_record *rec = r.events.v[i].r;
        assert_true(rec->pid == start->pid || rec->pid == r.trace.hdr->launcher_pid);
    }
    traced_run_free(&r);
}

/* ---- signals ------------------------------------------------------------ */

/* A mode that forks a paused child and signals it: fork, the signal,
 * the wait, exit.  Returns the signal record. */
static const struct et_record *signalled_child(struct traced_run *r, const char *mode, const uint16_t *types,
                                               int *child)
{
    run_prog(r, "hooks_signal", mode);
    expect_status(r, 0);
    const struct et_record *start = prog_start(r);
    *child = out_int(r, "child");
    expect_types(r, start, types);
    expect_own_identity(r, start);
    assert_int_equal(BODY(first_of(r, start, ET_REC_FORK), et_fork)->result, *child);
    const struct et_record *sig = first_of(r, start, ET_REC_SIGNAL);
    assert_int_equal(sig->err, 0);
    assert_int_equal(BODY(sig, et_signal)->result, 0);
    const struct et_record *ret = first_of(r, start, ET_REC_WAIT_RETURN);
    assert_int_equal(BODY(ret, et_wait_return)->result, *child);
    assert_true(WIFSIGNALED(BODY(ret, et_wait_return)->status));
    assert_int_equal(WTERMSIG(BODY(ret, et_wait_return)->status), BODY(sig, et_signal)->sig);
    /* Killed, so no exit record (it may die before writing its start). */
    assert_int_equal(count_records(r, ET_REC_IMAGE_EXIT, *child, NULL, NULL), 0);
    return sig;
}

#define SIGNAL_TYPES                                                                                             \
    TYPES(ET_REC_IMAGE_START, ET_REC_FORK, ET_REC_SIGNAL, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN,              \
          ET_REC_IMAGE_EXIT)

static void kill_records_target_signal_and_result(void **state)
{
    (void)state;
    struct traced_run r;
    int child;
    const struct et_signal *b = BODY(signalled_child(&r, "kill", SIGNAL_TYPES, &child), et_signal);
    assert_int_equal(b->kind, ET_SIGNAL_KILL);
    assert_int_equal(b->target, child);
    assert_int_equal(b->target_tid, 0);
    assert_int_equal(b->sig, SIGTERM);
    assert_int_equal(b->pidfd, -1);
    assert_int_equal(b->pidfd_pid, -1);
    traced_run_free(&r);
}

static void killpg_records_the_group(void **state)
{
    (void)state;
    struct traced_run r;
    int child;
    const struct et_signal *b = BODY(
        signalled_child(&r, "killpg",
                        TYPES(ET_REC_IMAGE_START, ET_REC_FORK, ET_REC_SETPGID, ET_REC_SIGNAL, ET_REC_WAIT_ENTER,
                              ET_REC_WAIT_RETURN, ET_REC_IMAGE_EXIT),
                        &child),
        et_signal);
    assert_int_equal(b->kind, ET_SIGNAL_KILLPG);
    assert_int_equal(b->target, child);
    assert_int_equal(b->sig, SIGKILL);
    traced_run_free(&r);
}

static void sigqueue_records_target_and_signal(void **state)
{
    (void)state;
    struct traced_run r;
    int child;
    const struct et_signal *b = BODY(signalled_child(&r, "sigqueue", SIGNAL_TYPES, &child), et_signal);
    assert_int_equal(b->kind, ET_SIGNAL_SIGQUEUE);
    assert_int_equal(b->target, child);
    assert_int_equal(b->sig, SIGUSR1);
    traced_run_free(&r);
}

static void tgkill_records_process_and_thread(void **state)
{
    (void)state;
    struct traced_run r;
    int child;
    const struct et_signal *b = BODY(signalled_child(&r, "tgkill", SIGNAL_TYPES, &child), et_signal);
    assert_int_equal(b->kind, ET_SIGNAL_TGKILL);
    assert_int_equal(b->target, child);
    assert_int_equal(b->target_tid, child);
    assert_int_equal(b->sig, SIGUSR2);
    traced_run_free(&r);
}

static void pidfd_send_signal_resolves_the_pid_behind_the_pidfd(void **state)
{
    (void)state;
    struct traced_run r;
    int child;
    /* The pidfd's close is no event: a pidfd is not a pipe end. */
    const struct et_record *sig = signalled_child(
        &r, "pidfd",
        TYPES(ET_REC_IMAGE_START, ET_REC_FORK, ET_REC_PIDFD_OPEN, ET_REC_SIGNAL, ET_REC_WAIT_ENTER,
              ET_REC_WAIT_RETURN, ET_REC_IMAGE_EXIT),
        &child);
    int pidfd = out_int(&r, "pidfd");
    const struct et_pidfd_open *open_rec = BODY(first_of(&r, prog_start(&r), ET_REC_PIDFD_OPEN), et_pidfd_open);
    assert_int_equal(open_rec->pid, child);
    assert_int_equal(open_rec->flags, 0);
    assert_int_equal(open_rec->result, pidfd);
    const struct et_signal *b = BODY(sig, et_signal);
    assert_int_equal(b->kind, ET_SIGNAL_PIDFD_SEND_SIGNAL);
    assert_int_equal(b->pidfd, pidfd);
    assert_int_equal(b->pidfd_pid, child);
    assert_int_equal(b->target, -1);
    assert_int_equal(b->sig, SIGTERM);
    traced_run_free(&r);
}

static void pidfd_moved_to_another_fd_still_resolves_its_pid(void **state)
{
    (void)state;
    struct traced_run r;
    int child;
    const struct et_record *sig = signalled_child(
        &r, "pidfd_dup",
        TYPES(ET_REC_IMAGE_START, ET_REC_FORK, ET_REC_PIDFD_OPEN, ET_REC_SIGNAL, ET_REC_WAIT_ENTER,
              ET_REC_WAIT_RETURN, ET_REC_IMAGE_EXIT),
        &child);
    const struct et_signal *b = BODY(sig, et_signal);
    assert_int_equal(b->kind, ET_SIGNAL_PIDFD_SEND_SIGNAL);
    assert_int_equal(b->pidfd, out_int(&r, "pidfd"));
    assert_int_equal(b->pidfd_pid, child);
    traced_run_free(&r);
}

static void signal_0_is_recorded(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_signal", "signal0");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    expect_types(&r, start, TYPES(ET_REC_IMAGE_START, ET_REC_SIGNAL, ET_REC_IMAGE_EXIT));
    const struct et_record *sig = first_of(&r, start, ET_REC_SIGNAL);
    assert_int_equal(BODY(sig, et_signal)->kind, ET_SIGNAL_KILL);
    assert_int_equal(BODY(sig, et_signal)->target, start->pid);
    assert_int_equal(BODY(sig, et_signal)->sig, 0);
    assert_int_equal(BODY(sig, et_signal)->result, 0);
    assert_int_equal(sig->err, 0);
    traced_run_free(&r);
}

#define NO_SUCH_PID (1 << 30)

static void signals_to_a_missing_pid_record_ESRCH(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_signal", "esrch");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    int pid = (int)start->pid;
    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_SIGNAL, ET_REC_SIGNAL, ET_REC_SIGNAL, ET_REC_SIGNAL, ET_REC_SIGNAL,
                       ET_REC_PIDFD_OPEN, ET_REC_IMAGE_EXIT));
    static const struct {
        uint16_t kind;
        int target, tid, sig;
    } want[] = {
        {ET_SIGNAL_KILL, NO_SUCH_PID, 0, 0},
        {ET_SIGNAL_KILL, NO_SUCH_PID, 0, SIGTERM},
        {ET_SIGNAL_KILLPG, NO_SUCH_PID, 0, SIGTERM},
        {ET_SIGNAL_SIGQUEUE, NO_SUCH_PID, 0, SIGTERM},
        {ET_SIGNAL_TGKILL, -1, NO_SUCH_PID, SIGTERM},
    };
    for (unsigned i = 0; i < 5; i++) {
        const struct et_record *rec = nth_of(&r, start, ET_REC_SIGNAL, i);
        const struct et_signal *b = BODY(rec, et_signal);
        assert_int_equal(b->kind, want[i].kind);
        assert_int_equal(b->target, want[i].target == -1 ? pid : want[i].target);
        assert_int_equal(b->target_tid, want[i].tid);
        assert_int_equal(b->sig, want[i].sig);
        assert_int_equal(b->result, -1);
        assert_int_equal(rec->err, ESRCH);
    }
    const struct et_record *open_rec = first_of(&r, start, ET_REC_PIDFD_OPEN);
    assert_int_equal(BODY(open_rec, et_pidfd_open)->pid, NO_SUCH_PID);
    assert_int_equal(BODY(open_rec, et_pidfd_open)->result, -1);
    assert_int_equal(open_rec->err, ESRCH);
    traced_run_free(&r);
}

static void invalid_signal_calls_record_their_errno(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_signal", "einval");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    expect_types(&r, start, TYPES(ET_REC_IMAGE_START, ET_REC_SIGNAL, ET_REC_SIGNAL, ET_REC_IMAGE_EXIT));
    const struct et_record *bad_sig = nth_of(&r, start, ET_REC_SIGNAL, 0);
    assert_int_equal(BODY(bad_sig, et_signal)->sig, 1000);
    assert_int_equal(BODY(bad_sig, et_signal)->result, -1);
    assert_int_equal(bad_sig->err, EINVAL);
    const struct et_record *bad_fd = nth_of(&r, start, ET_REC_SIGNAL, 1);
    assert_int_equal(BODY(bad_fd, et_signal)->kind, ET_SIGNAL_PIDFD_SEND_SIGNAL);
    assert_int_equal(BODY(bad_fd, et_signal)->pidfd, 0);
    assert_int_equal(BODY(bad_fd, et_signal)->pidfd_pid, -1);
    assert_int_equal(bad_fd->err, EBADF);
    traced_run_free(&r);
}

/* ---- waits -------------------------------------------------------------- */

enum child_end { EXITED_7, KILLED_BY_SIGTERM };

/* One wait on one child: enter then return, in the waiting process, with
 * the arguments and what the wait reported. */
static void check_wait(const char *mode, uint16_t kind, bool by_pid, int idtype, int options, enum child_end end)
{
    struct traced_run r;
    run_prog(&r, "hooks_wait", mode);
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    int child = out_int(&r, "child");
    if (end == KILLED_BY_SIGTERM)
        expect_types(&r, start,
                     TYPES(ET_REC_IMAGE_START, ET_REC_FORK, ET_REC_SIGNAL, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN,
                           ET_REC_IMAGE_EXIT));
    else
        expect_types(&r, start,
                     TYPES(ET_REC_IMAGE_START, ET_REC_FORK, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN, ET_REC_IMAGE_EXIT));
    expect_own_identity(&r, start);

    const struct et_record *enter = first_of(&r, start, ET_REC_WAIT_ENTER);
    const struct et_wait_enter *eb = BODY(enter, et_wait_enter);
    assert_int_equal(eb->kind, kind);
    assert_int_equal(eb->idtype, idtype);
    assert_int_equal(eb->id, by_pid ? child : kind == ET_WAIT_WAITID ? 0 : -1);
    assert_int_equal(eb->options, options);

    const struct et_record *ret = first_of(&r, start, ET_REC_WAIT_RETURN);
    const struct et_wait_return *rb = BODY(ret, et_wait_return);
    assert_true(event_index(&r, enter) < event_index(&r, ret));
    assert_int_equal(ret->err, 0);
    assert_int_equal(rb->kind, kind);
    assert_int_equal(rb->options, options);
    if (kind == ET_WAIT_WAITID) {
        assert_int_equal(rb->result, 0);
        assert_int_equal(rb->status, 0);
        assert_int_equal(rb->info_pid, child);
        assert_int_equal(rb->info_code, end == EXITED_7 ? CLD_EXITED : CLD_KILLED);
        assert_int_equal(rb->info_status, end == EXITED_7 ? 7 : SIGTERM);
    } else {
        assert_int_equal(rb->result, child);
        if (end == EXITED_7) {
            assert_true(WIFEXITED(rb->status));
            assert_int_equal(WEXITSTATUS(rb->status), 7);
        } else {
            assert_true(WIFSIGNALED(rb->status));
            assert_int_equal(WTERMSIG(rb->status), SIGTERM);
        }
        assert_int_equal(rb->info_pid, 0);
    }
    /* The child really ended before the wait returned. */
    if (end == EXITED_7) {
        const struct et_record *cexit = find_record(&r, ET_REC_IMAGE_EXIT, child, NULL, NULL);
        assert_non_null(cexit);
        assert_int_equal(BODY(cexit, et_image_exit)->status, 7);
        assert_true(event_index(&r, cexit) < event_index(&r, ret));
    }
    traced_run_free(&r);
}

static void wait_reports_an_exit_with_7(void **state)
{
    (void)state;
    check_wait("wait", ET_WAIT_WAIT, false, 0, 0, EXITED_7);
}

static void waitpid_reports_a_death_by_SIGTERM(void **state)
{
    (void)state;
    check_wait("waitpid", ET_WAIT_WAITPID, true, 0, 0, KILLED_BY_SIGTERM);
}

static void wait3_reports_an_exit_with_7(void **state)
{
    (void)state;
    check_wait("wait3", ET_WAIT_WAIT3, false, 0, 0, EXITED_7);
}

static void wait4_reports_a_death_by_SIGTERM(void **state)
{
    (void)state;
    check_wait("wait4", ET_WAIT_WAIT4, true, 0, 0, KILLED_BY_SIGTERM);
}

static void waitid_P_PID_reports_the_childs_siginfo(void **state)
{
    (void)state;
    check_wait("waitid_pid", ET_WAIT_WAITID, true, P_PID, WEXITED, EXITED_7);
}

static void waitid_P_ALL_reports_a_kill(void **state)
{
    (void)state;
    check_wait("waitid_all", ET_WAIT_WAITID, false, P_ALL, WEXITED, KILLED_BY_SIGTERM);
}

static void waitid_WNOHANG_with_nothing_ready_reports_no_child(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_wait", "wnohang");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    int child = out_int(&r, "child");
    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_FORK, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN, ET_REC_WAIT_ENTER,
                       ET_REC_WAIT_RETURN, ET_REC_SIGNAL, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN, ET_REC_IMAGE_EXIT));
    const struct et_wait_enter *e = BODY(nth_of(&r, start, ET_REC_WAIT_ENTER, 0), et_wait_enter);
    assert_int_equal(e->kind, ET_WAIT_WAITID);
    assert_int_equal(e->idtype, P_PID);
    assert_int_equal(e->id, child);
    assert_int_equal(e->options, WEXITED | WNOHANG);
    const struct et_record *ret = nth_of(&r, start, ET_REC_WAIT_RETURN, 0);
    assert_int_equal(ret->err, 0);
    assert_int_equal(BODY(ret, et_wait_return)->result, 0);
    assert_int_equal(BODY(ret, et_wait_return)->info_pid, 0);
    assert_int_equal(BODY(ret, et_wait_return)->info_code, 0);
    const struct et_record *ret2 = nth_of(&r, start, ET_REC_WAIT_RETURN, 1);
    assert_int_equal(BODY(ret2, et_wait_return)->kind, ET_WAIT_WAITPID);
    assert_int_equal(BODY(ret2, et_wait_return)->result, 0);
    assert_int_equal(BODY(ret2, et_wait_return)->options, WNOHANG);
    assert_int_equal(ret2->err, 0);
    const struct et_record *ret3 = nth_of(&r, start, ET_REC_WAIT_RETURN, 2);
    assert_int_equal(BODY(ret3, et_wait_return)->result, child);
    assert_int_equal(WTERMSIG(BODY(ret3, et_wait_return)->status), SIGKILL);
    traced_run_free(&r);
}

static void waitid_WNOWAIT_leaves_the_child_to_be_reaped(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_wait", "wnowait");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    int child = out_int(&r, "child");
    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_FORK, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN, ET_REC_WAIT_ENTER,
                       ET_REC_WAIT_RETURN, ET_REC_IMAGE_EXIT));
    const struct et_wait_return *peek = BODY(nth_of(&r, start, ET_REC_WAIT_RETURN, 0), et_wait_return);
    assert_int_equal(peek->kind, ET_WAIT_WAITID);
    assert_int_equal(peek->options, WEXITED | WNOWAIT);
    assert_int_equal(peek->result, 0);
    assert_int_equal(peek->info_pid, child);
    assert_int_equal(peek->info_code, CLD_EXITED);
    assert_int_equal(peek->info_status, 7);
    const struct et_wait_return *reap = BODY(nth_of(&r, start, ET_REC_WAIT_RETURN, 1), et_wait_return);
    assert_int_equal(reap->kind, ET_WAIT_WAITPID);
    assert_int_equal(reap->result, child);
    assert_true(WIFEXITED(reap->status));
    assert_int_equal(WEXITSTATUS(reap->status), 7);
    traced_run_free(&r);
}

static void waits_without_children_record_ECHILD(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_wait", "echild");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN, ET_REC_WAIT_ENTER,
                       ET_REC_WAIT_RETURN, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN, ET_REC_WAIT_ENTER,
                       ET_REC_WAIT_RETURN, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN, ET_REC_IMAGE_EXIT));
    static const uint16_t kinds[] = {ET_WAIT_WAIT, ET_WAIT_WAITPID, ET_WAIT_WAIT3, ET_WAIT_WAIT4, ET_WAIT_WAITID};
    static const int options[] = {0, 0, WNOHANG, 0, WEXITED};
    for (unsigned i = 0; i < 5; i++) {
        const struct et_record *enter = nth_of(&r, start, ET_REC_WAIT_ENTER, i);
        const struct et_record *ret = nth_of(&r, start, ET_REC_WAIT_RETURN, i);
        assert_int_equal(BODY(enter, et_wait_enter)->kind, kinds[i]);
        assert_int_equal(BODY(enter, et_wait_enter)->options, options[i]);
        assert_int_equal(BODY(ret, et_wait_return)->kind, kinds[i]);
        assert_int_equal(BODY(ret, et_wait_return)->result, -1);
        assert_int_equal(BODY(ret, et_wait_return)->status, 0);
        assert_int_equal(ret->err, ECHILD);
        assert_int_equal(event_index(&r, enter) + 1, event_index(&r, ret));
    }
    traced_run_free(&r);
}

/* ---- pipes and fds ------------------------------------------------------ */

struct fd_run {
    struct traced_run r;
    const struct et_record *start;
    int rd, wr;
    unsigned long long inode;
};

static void run_fd_mode(struct fd_run *f, const char *mode, const uint16_t *types)
{
    run_prog(&f->r, "hooks_fd", mode);
    expect_status(&f->r, 0);
    f->start = prog_start(&f->r);
    f->rd = out_int(&f->r, "p_read");
    f->wr = out_int(&f->r, "p_write");
    f->inode = out_value(&f->r, "p_inode");
    expect_types(&f->r, f->start, types);
    expect_own_identity(&f->r, f->start);
    const struct et_pipe *p = BODY(first_of(&f->r, f->start, ET_REC_PIPE), et_pipe);
    assert_int_equal(p->read_fd, f->rd);
    assert_int_equal(p->write_fd, f->wr);
    assert_int_equal(p->inode, f->inode);
    assert_int_equal(p->result, 0);
}

/* Only what says a reader waited: one wait (the 100 ms read), one
 * end-of-file; nothing for quick reads, calls that cannot block, a second
 * end-of-file on the same fd, nor a regular file. */
static void reads_of_a_pipe_record_the_long_wait_and_end_of_file(void **state)
{
    (void)state;
    struct fd_run f;
    run_fd_mode(&f, "reads",
                TYPES(ET_REC_IMAGE_START, ET_REC_PIPE, ET_REC_FORK, ET_REC_CLOSE, ET_REC_PIPE_WAIT, ET_REC_PIPE_EOF,
                      ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN, ET_REC_CLOSE, ET_REC_IMAGE_EXIT));
    const struct et_record *w = first_of(&f.r, f.start, ET_REC_PIPE_WAIT);
    const struct et_pipe_wait *wb = BODY(w, et_pipe_wait);
    assert_int_equal(wb->call, ET_SYS_read);
    assert_int_equal(wb->result, 4);
    assert_int_equal(wb->count, 1);
    assert_true(w->ts_ns - wb->began_ns >= 90 * 1000 * 1000ull);
    const struct et_pipe_end *end = (const struct et_pipe_end *)(wb + 1);
    expect_pipe_end(end, f.rd, ET_PIPE_READ | ET_PIPE_WAIT_READY, f.inode);
    assert_true(w->flags & ET_RF_STACK);
    const struct et_pipe_eof *eof = BODY(first_of(&f.r, f.start, ET_REC_PIPE_EOF), et_pipe_eof);
    assert_int_equal(eof->call, ET_SYS_read);
    expect_pipe_end(&eof->pipe, f.rd, ET_PIPE_READ, f.inode);
    traced_run_free(&f.r);
}

static void pipe_records_both_ends_and_the_inode(void **state)
{
    (void)state;
    struct fd_run f;
    run_fd_mode(&f, "pipe", TYPES(ET_REC_IMAGE_START, ET_REC_PIPE, ET_REC_IMAGE_EXIT));
    const struct et_record *rec = first_of(&f.r, f.start, ET_REC_PIPE);
    assert_int_equal(BODY(rec, et_pipe)->kind, ET_PIPE_PIPE);
    assert_int_equal(BODY(rec, et_pipe)->flags, 0);
    assert_int_equal(rec->err, 0);
    traced_run_free(&f.r);
}

static void pipe2_records_its_flags_and_cloexec_ends(void **state)
{
    (void)state;
    struct fd_run f;
    run_fd_mode(&f, "pipe2", TYPES(ET_REC_IMAGE_START, ET_REC_PIPE, ET_REC_CLOSE, ET_REC_IMAGE_EXIT));
    const struct et_record *rec = first_of(&f.r, f.start, ET_REC_PIPE);
    assert_int_equal(BODY(rec, et_pipe)->kind, ET_PIPE_PIPE2);
    assert_int_equal(BODY(rec, et_pipe)->flags, O_CLOEXEC);
    expect_close(first_of(&f.r, f.start, ET_REC_CLOSE), f.wr, ET_PIPE_WRITE | ET_PIPE_CLOEXEC, f.inode);
    traced_run_free(&f.r);
}

static void close_of_a_pipe_end_is_recorded_and_of_other_fds_is_not(void **state)
{
    (void)state;
    struct fd_run f;
    /* close(pipe end) only: not the file, not close(-1), not the second
     * close of the same fd. */
    run_fd_mode(&f, "close", TYPES(ET_REC_IMAGE_START, ET_REC_PIPE, ET_REC_CLOSE, ET_REC_IMAGE_EXIT));
    expect_close(first_of(&f.r, f.start, ET_REC_CLOSE), f.rd, ET_PIPE_READ, f.inode);
    traced_run_free(&f.r);
}

/* A dup of one end of the pipe, recorded with that end as its source and
 * nothing replaced; the copy's close then shows what the table learnt. */
static const struct et_dup *check_dup(struct fd_run *f, const char *mode, uint16_t kind, bool write_end, int newfd,
                                      int result)
{
    run_fd_mode(f, mode, TYPES(ET_REC_IMAGE_START, ET_REC_PIPE, ET_REC_DUP, ET_REC_CLOSE, ET_REC_IMAGE_EXIT));
    int oldfd = write_end ? f->wr : f->rd;
    const struct et_record *rec = first_of(&f->r, f->start, ET_REC_DUP);
    const struct et_dup *b = BODY(rec, et_dup);
    assert_int_equal(rec->err, 0);
    assert_int_equal(b->kind, kind);
    assert_int_equal(b->oldfd, oldfd);
    assert_int_equal(b->newfd, newfd);
    assert_int_equal(b->result, result);
    expect_pipe_end(&b->source, oldfd, write_end ? ET_PIPE_WRITE : ET_PIPE_READ, f->inode);
    expect_no_pipe_end(&b->replaced);
    return b;
}

static void dup_of_a_pipe_end_is_recorded_with_its_source(void **state)
{
    (void)state;
    struct fd_run f;
    run_prog(&f.r, "hooks_fd", "dup");
    int d = out_int(&f.r, "dup");
    traced_run_free(&f.r);
    /* The program is deterministic: the copy gets the same fd again. */
    check_dup(&f, "dup", ET_DUP_DUP, true, -1, d);
    assert_int_equal(out_int(&f.r, "dup"), d);
    expect_close(first_of(&f.r, f.start, ET_REC_CLOSE), d, ET_PIPE_WRITE, f.inode);
    traced_run_free(&f.r);
}

static void dup2_of_a_pipe_end_is_recorded_with_its_source(void **state)
{
    (void)state;
    struct fd_run f;
    const struct et_dup *b = check_dup(&f, "dup2", ET_DUP_DUP2, false, 10, 10);
    assert_int_equal(b->flags, 0);
    expect_close(first_of(&f.r, f.start, ET_REC_CLOSE), 10, ET_PIPE_READ, f.inode);
    traced_run_free(&f.r);
}

static void dup3_with_O_CLOEXEC_makes_a_cloexec_copy(void **state)
{
    (void)state;
    struct fd_run f;
    const struct et_dup *b = check_dup(&f, "dup3", ET_DUP_DUP3, true, 11, 11);
    assert_int_equal(b->flags, O_CLOEXEC);
    expect_close(first_of(&f.r, f.start, ET_REC_CLOSE), 11, ET_PIPE_WRITE | ET_PIPE_CLOEXEC, f.inode);
    traced_run_free(&f.r);
}

static void fcntl_F_DUPFD_of_a_pipe_end_is_recorded(void **state)
{
    (void)state;
    struct fd_run f;
    check_dup(&f, "dupfd", ET_DUP_FCNTL_DUPFD, false, 20, 20);
    expect_close(first_of(&f.r, f.start, ET_REC_CLOSE), 20, ET_PIPE_READ, f.inode);
    traced_run_free(&f.r);
}

static void fcntl_F_DUPFD_CLOEXEC_of_a_pipe_end_makes_a_cloexec_copy(void **state)
{
    (void)state;
    struct fd_run f;
    check_dup(&f, "dupfd_cloexec", ET_DUP_FCNTL_DUPFD_CLOEXEC, false, 30, 30);
    expect_close(first_of(&f.r, f.start, ET_REC_CLOSE), 30, ET_PIPE_READ | ET_PIPE_CLOEXEC, f.inode);
    traced_run_free(&f.r);
}

static void failed_dup2_of_a_pipe_end_records_EBADF(void **state)
{
    (void)state;
    struct fd_run f;
    run_fd_mode(&f, "dup_error", TYPES(ET_REC_IMAGE_START, ET_REC_PIPE, ET_REC_DUP, ET_REC_IMAGE_EXIT));
    const struct et_record *rec = first_of(&f.r, f.start, ET_REC_DUP);
    assert_int_equal(rec->err, EBADF);
    assert_int_equal(BODY(rec, et_dup)->result, -1);
    assert_int_equal(BODY(rec, et_dup)->newfd, -1);
    expect_pipe_end(&BODY(rec, et_dup)->source, f.rd, ET_PIPE_READ, f.inode);
    expect_no_pipe_end(&BODY(rec, et_dup)->replaced);
    traced_run_free(&f.r);
}

static void dup2_of_a_file_over_a_pipe_end_records_what_it_replaced(void **state)
{
    (void)state;
    struct fd_run f;
    /* The later close of that fd (now the file) is no event. */
    run_fd_mode(&f, "dup2_file_over_pipe", TYPES(ET_REC_IMAGE_START, ET_REC_PIPE, ET_REC_DUP, ET_REC_IMAGE_EXIT));
    int file = out_int(&f.r, "file");
    const struct et_record *rec = first_of(&f.r, f.start, ET_REC_DUP);
    const struct et_dup *b = BODY(rec, et_dup);
    assert_int_equal(b->kind, ET_DUP_DUP2);
    assert_int_equal(b->oldfd, file);
    assert_int_equal(b->newfd, f.rd);
    assert_int_equal(b->result, f.rd);
    expect_no_pipe_end(&b->source);
    expect_pipe_end(&b->replaced, f.rd, ET_PIPE_READ, f.inode);
    traced_run_free(&f.r);
}

static void F_SETFD_on_a_pipe_end_is_recorded_and_on_a_file_is_not(void **state)
{
    (void)state;
    struct fd_run f;
    run_fd_mode(&f, "setfd",
                TYPES(ET_REC_IMAGE_START, ET_REC_PIPE, ET_REC_SET_CLOEXEC, ET_REC_CLOSE, ET_REC_IMAGE_EXIT));
    const struct et_record *rec = first_of(&f.r, f.start, ET_REC_SET_CLOEXEC);
    const struct et_set_cloexec *b = BODY(rec, et_set_cloexec);
    assert_int_equal(rec->err, 0);
    assert_int_equal(b->fd, f.rd);
    assert_int_equal(b->fd_flags, FD_CLOEXEC);
    assert_int_equal(b->result, 0);
    expect_pipe_end(&b->pipe, f.rd, ET_PIPE_READ, f.inode);
    /* The table followed the change. */
    expect_close(first_of(&f.r, f.start, ET_REC_CLOSE), f.rd, ET_PIPE_READ | ET_PIPE_CLOEXEC, f.inode);
    traced_run_free(&f.r);
}

/* The pipe ends a close_range/closefrom from fd 3 up must list: the
 * program's two pipes, and whatever pipe ends above 2 it inherited. */
static void check_range_from_3(const char *mode, uint16_t kind)
{
    struct fd_run f;
    run_fd_mode(&f, mode, TYPES(ET_REC_IMAGE_START, ET_REC_PIPE, ET_REC_PIPE, ET_REC_CLOSE_RANGE, ET_REC_IMAGE_EXIT));
    int q_rd = out_int(&f.r, "q_read"), q_wr = out_int(&f.r, "q_write");
    unsigned long long q_inode = out_value(&f.r, "q_inode");
    const struct et_record *rec = first_of(&f.r, f.start, ET_REC_CLOSE_RANGE);
    const struct et_close_range *b = BODY(rec, et_close_range);
    assert_int_equal(rec->err, 0);
    assert_int_equal(b->kind, kind);
    assert_int_equal(b->first, 3);
    assert_int_equal(b->last, ~0U);
    assert_int_equal(b->flags, 0);
    assert_int_equal(b->result, 0);

    struct et_pipe_end want[ET_MAX_PIPE_ENDS];
    unsigned n = 0;
    const struct et_image_start *sb = BODY(f.start, et_image_start);
    struct et_tail t = et_tail_of(f.start);
    const struct et_pipe_end *inherited = et_tail_array(&t, sb->pipe_count, sizeof(*inherited));
    want[n++] = (struct et_pipe_end){f.rd, ET_PIPE_READ, f.inode};
    want[n++] = (struct et_pipe_end){f.wr, ET_PIPE_WRITE, f.inode};
    want[n++] = (struct et_pipe_end){q_rd, ET_PIPE_READ | ET_PIPE_CLOEXEC, q_inode};
    want[n++] = (struct et_pipe_end){q_wr, ET_PIPE_WRITE | ET_PIPE_CLOEXEC, q_inode};
    for (unsigned i = 0; i < sb->pipe_count; i++)
        if (inherited[i].fd >= 3)
            want[n++] = inherited[i];

    assert_int_equal(b->pipe_count, n);
    t = et_tail_of(rec);
    const struct et_pipe_end *got = et_tail_array(&t, b->pipe_count, sizeof(*got));
    assert_non_null(got);
    /* The format does not promise an order: compare as sets (the counts
     * are equal, and every expected end is there). */
    for (unsigned i = 0; i < n; i++) {
        bool found = false;
        for (unsigned k = 0; k < n && !found; k++)
            found = got[k].fd == want[i].fd && got[k].flags == want[i].flags && got[k].inode == want[i].inode;
        if (!found)
            fail_msg("pipe end fd %d (inode %llu) missing from the closed list", want[i].fd,
                     (unsigned long long)want[i].inode);
    }
    traced_run_free(&f.r);
}

static void close_range_lists_every_pipe_end_it_closed(void **state)
{
    (void)state;
    check_range_from_3("close_range", ET_CLOSE_RANGE);
}

static void closefrom_lists_every_pipe_end_it_closed(void **state)
{
    (void)state;
    check_range_from_3("closefrom", ET_CLOSEFROM);
}

static void close_range_CLOEXEC_marks_the_ends_close_on_exec(void **state)
{
    (void)state;
    struct fd_run f;
    run_fd_mode(&f, "close_range_cloexec",
                TYPES(ET_REC_IMAGE_START, ET_REC_PIPE, ET_REC_CLOSE_RANGE, ET_REC_CLOSE, ET_REC_IMAGE_EXIT));
    const struct et_record *rec = first_of(&f.r, f.start, ET_REC_CLOSE_RANGE);
    const struct et_close_range *b = BODY(rec, et_close_range);
    assert_int_equal(b->kind, ET_CLOSE_RANGE);
    assert_int_equal(b->first, f.rd);
    assert_int_equal(b->last, f.wr);
    assert_int_equal(b->flags, CLOSE_RANGE_CLOEXEC);
    assert_int_equal(b->result, 0);
    assert_int_equal(b->pipe_count, 2);
    struct et_tail t = et_tail_of(rec);
    const struct et_pipe_end *ends = et_tail_array(&t, 2, sizeof(*ends));
    assert_non_null(ends);
    expect_pipe_end(&ends[0], f.rd, ET_PIPE_READ, f.inode);
    expect_pipe_end(&ends[1], f.wr, ET_PIPE_WRITE, f.inode);
    /* Still open, now close-on-exec. */
    expect_close(first_of(&f.r, f.start, ET_REC_CLOSE), f.rd, ET_PIPE_READ | ET_PIPE_CLOEXEC, f.inode);
    traced_run_free(&f.r);
}

static void close_range_above_INT_MAX_closes_and_forgets_nothing(void **state)
{
    (void)state;
    struct fd_run f;
    /* close_range(~0U, ~0U, 0) succeeds and closes nothing; the pipe's read
     * end is still open and its later close is an event. */
    run_fd_mode(&f, "close_range_above_int_max",
                TYPES(ET_REC_IMAGE_START, ET_REC_PIPE, ET_REC_CLOSE_RANGE, ET_REC_CLOSE, ET_REC_IMAGE_EXIT));
    const struct et_record *rec = first_of(&f.r, f.start, ET_REC_CLOSE_RANGE);
    assert_int_equal(BODY(rec, et_close_range)->first, ~0U);
    assert_int_equal(BODY(rec, et_close_range)->last, ~0U);
    assert_int_equal(BODY(rec, et_close_range)->result, 0);
    assert_int_equal(BODY(rec, et_close_range)->pipe_count, 0);
    expect_close(first_of(&f.r, f.start, ET_REC_CLOSE), f.rd, ET_PIPE_READ, f.inode);
    traced_run_free(&f.r);
}

static void failed_close_range_records_EINVAL(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_fd", "close_range_error");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    expect_types(&r, start, TYPES(ET_REC_IMAGE_START, ET_REC_CLOSE_RANGE, ET_REC_IMAGE_EXIT));
    const struct et_record *rec = first_of(&r, start, ET_REC_CLOSE_RANGE);
    assert_int_equal(rec->err, EINVAL);
    assert_int_equal(BODY(rec, et_close_range)->result, -1);
    assert_int_equal(BODY(rec, et_close_range)->first, 5);
    assert_int_equal(BODY(rec, et_close_range)->last, 4);
    assert_int_equal(BODY(rec, et_close_range)->pipe_count, 0);
    traced_run_free(&r);
}

static void a_reused_fd_number_is_forgotten_as_a_pipe_end(void **state)
{
    (void)state;
    struct fd_run f;
    run_fd_mode(&f, "reuse", TYPES(ET_REC_IMAGE_START, ET_REC_PIPE, ET_REC_CLOSE, ET_REC_IMAGE_EXIT));
    assert_int_equal(out_int(&f.r, "file"), f.rd);
    expect_close(first_of(&f.r, f.start, ET_REC_CLOSE), f.rd, ET_PIPE_READ, f.inode);
    traced_run_free(&f.r);
}

/* ---- groups, sessions, reaping ------------------------------------------ */

static void setpgid_records_its_arguments_and_errno(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_group", "setpgid");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    expect_types(&r, start, TYPES(ET_REC_IMAGE_START, ET_REC_SETPGID, ET_REC_SETPGID, ET_REC_IMAGE_EXIT));
    const struct et_record *ok = nth_of(&r, start, ET_REC_SETPGID, 0);
    assert_int_equal(BODY(ok, et_setpgid)->kind, ET_SETPGID_SETPGID);
    assert_int_equal(BODY(ok, et_setpgid)->pid, 0);
    assert_int_equal(BODY(ok, et_setpgid)->pgid, 0);
    assert_int_equal(BODY(ok, et_setpgid)->result, 0);
    assert_int_equal(ok->err, 0);
    const struct et_record *bad = nth_of(&r, start, ET_REC_SETPGID, 1);
    assert_int_equal(BODY(bad, et_setpgid)->pid, NO_SUCH_PID);
    assert_int_equal(BODY(bad, et_setpgid)->result, -1);
    assert_int_equal(bad->err, ESRCH);
    traced_run_free(&r);
}

static void setpgrp_is_recorded_as_its_own_kind(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_group", "setpgrp");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    expect_types(&r, start, TYPES(ET_REC_IMAGE_START, ET_REC_SETPGID, ET_REC_IMAGE_EXIT));
    const struct et_record *rec = first_of(&r, start, ET_REC_SETPGID);
    assert_int_equal(BODY(rec, et_setpgid)->kind, ET_SETPGID_SETPGRP);
    assert_int_equal(BODY(rec, et_setpgid)->result, 0);
    assert_int_equal(rec->err, 0);
    traced_run_free(&r);
}

static void setsid_in_a_child_records_the_new_session(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_group", "setsid");
    expect_status(&r, 0);
    int child = out_int(&r, "child");
    const struct et_record *cstart = start_of(&r, child, ET_ORIGIN_FORK);
    assert_non_null(cstart);
    expect_types(&r, cstart, TYPES(ET_REC_IMAGE_START, ET_REC_SETSID, ET_REC_SETSID, ET_REC_IMAGE_EXIT));
    const struct et_record *ok = nth_of(&r, cstart, ET_REC_SETSID, 0);
    assert_int_equal(BODY(ok, et_setsid)->result, child);
    assert_int_equal(ok->err, 0);
    const struct et_record *again = nth_of(&r, cstart, ET_REC_SETSID, 1);
    assert_int_equal(BODY(again, et_setsid)->result, -1);
    assert_int_equal(again->err, EPERM);
    /* Only the child changed session. */
    assert_int_equal(count_records(&r, ET_REC_SETSID, (int)prog_start(&r)->pid, NULL, NULL), 0);
    traced_run_free(&r);
}

static void prctl_records_subreaper_and_pdeathsig_only(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_group", "prctl");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    expect_types(&r, start, TYPES(ET_REC_IMAGE_START, ET_REC_PRCTL, ET_REC_PRCTL, ET_REC_PRCTL, ET_REC_IMAGE_EXIT));
    const struct et_record *sub = nth_of(&r, start, ET_REC_PRCTL, 0);
    assert_int_equal(BODY(sub, et_prctl)->option, PR_SET_CHILD_SUBREAPER);
    assert_int_equal(BODY(sub, et_prctl)->arg2, 1);
    assert_int_equal(BODY(sub, et_prctl)->result, 0);
    const struct et_record *death = nth_of(&r, start, ET_REC_PRCTL, 1);
    assert_int_equal(BODY(death, et_prctl)->option, PR_SET_PDEATHSIG);
    assert_int_equal(BODY(death, et_prctl)->arg2, SIGTERM);
    assert_int_equal(BODY(death, et_prctl)->result, 0);
    assert_int_equal(death->err, 0);
    const struct et_record *bad = nth_of(&r, start, ET_REC_PRCTL, 2);
    assert_int_equal(BODY(bad, et_prctl)->option, PR_SET_PDEATHSIG);
    assert_int_equal(BODY(bad, et_prctl)->arg2, 1000);
    assert_int_equal(BODY(bad, et_prctl)->result, -1);
    assert_int_equal(bad->err, EINVAL);
    traced_run_free(&r);
}

static void expect_sigchld(const struct et_record *rec, uint16_t call, uint16_t disposition, uint32_t sa_flags)
{
    const struct et_sigchld_action *b = BODY(rec, et_sigchld_action);
    assert_int_equal(b->call, call);
    assert_int_equal(b->disposition, disposition);
    assert_int_equal(b->sa_flags, sa_flags);
    assert_int_equal(b->result, 0);
    assert_int_equal(rec->err, 0);
}

static void signal_SIGCHLD_SIG_IGN_is_recorded(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_group", "signal_ign");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    /* The wait in between fails with ECHILD: the kernel reaped the child. */
    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_SIGCHLD_ACTION, ET_REC_FORK, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN,
                       ET_REC_SIGCHLD_ACTION, ET_REC_IMAGE_EXIT));
    expect_sigchld(nth_of(&r, start, ET_REC_SIGCHLD_ACTION, 0), ET_SIGCHLD_SIGNAL, ET_DISP_IGNORE, 0);
    expect_sigchld(nth_of(&r, start, ET_REC_SIGCHLD_ACTION, 1), ET_SIGCHLD_SIGNAL, ET_DISP_DEFAULT, 0);
    assert_int_equal(first_of(&r, start, ET_REC_WAIT_RETURN)->err, ECHILD);
    traced_run_free(&r);
}

static void signal_SIGCHLD_in_a_strict_POSIX_program_is_recorded(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_group_posix", "");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    const struct et_record *rec = find_record(&r, ET_REC_SIGCHLD_ACTION, (int)start->pid, NULL, NULL);
    if (!rec)
        print_message("signal() reached libc as __sysv_signal, which the shim does not hook\n");
    assert_non_null(rec);
    expect_sigchld(rec, ET_SIGCHLD_SIGNAL, ET_DISP_IGNORE, 0);
    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_SIGCHLD_ACTION, ET_REC_FORK, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN,
                       ET_REC_IMAGE_EXIT));
    traced_run_free(&r);
}

static void sigaction_SIGCHLD_records_SA_NOCLDWAIT(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_group", "sigaction_nocldwait");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    /* One record: the query that follows changes nothing. */
    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_SIGCHLD_ACTION, ET_REC_FORK, ET_REC_WAIT_ENTER, ET_REC_WAIT_RETURN,
                       ET_REC_IMAGE_EXIT));
    expect_sigchld(first_of(&r, start, ET_REC_SIGCHLD_ACTION), ET_SIGCHLD_SIGACTION, ET_DISP_HANDLER,
                   SA_NOCLDWAIT | SA_RESTART);
    assert_int_equal(first_of(&r, start, ET_REC_WAIT_RETURN)->err, ECHILD);
    traced_run_free(&r);
}

static void sigset_SIGCHLD_records_hold_and_default(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_group", "sigset");
    expect_status(&r, 0);
    const struct et_record *start = prog_start(&r);
    expect_types(&r, start,
                 TYPES(ET_REC_IMAGE_START, ET_REC_SIGCHLD_ACTION, ET_REC_SIGCHLD_ACTION, ET_REC_IMAGE_EXIT));
    expect_sigchld(nth_of(&r, start, ET_REC_SIGCHLD_ACTION, 0), ET_SIGCHLD_SIGSET, ET_DISP_HOLD, 0);
    expect_sigchld(nth_of(&r, start, ET_REC_SIGCHLD_ACTION, 1), ET_SIGCHLD_SIGSET, ET_DISP_DEFAULT, 0);
    traced_run_free(&r);
}

static void dispositions_of_other_signals_are_not_recorded(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_group", "other_signals");
    expect_status(&r, 0);
    expect_types(&r, prog_start(&r), TYPES(ET_REC_IMAGE_START, ET_REC_IMAGE_EXIT));
    traced_run_free(&r);
}

/* ---- exits -------------------------------------------------------------- */

static void check_exit(const char *mode, uint16_t how, int status)
{
    struct traced_run r;
    run_prog(&r, "hooks_exit", mode);
    expect_status(&r, status);
    const struct et_record *start = prog_start(&r);
    assert_int_equal(out_int(&r, "pid"), (int)start->pid);
    expect_types(&r, start, TYPES(ET_REC_IMAGE_START, ET_REC_IMAGE_EXIT));
    expect_own_identity(&r, start);
    expect_exit_record(first_of(&r, start, ET_REC_IMAGE_EXIT), (int)start->pid, how, status);
    traced_run_free(&r);
}

static void exit_is_recorded_through_on_exit(void **state)
{
    (void)state;
    check_exit("exit", ET_EXIT_EXIT, 4);
}

static void return_from_main_is_recorded_as_exit(void **state)
{
    (void)state;
    check_exit("return", ET_EXIT_EXIT, 9);
}

static void _exit_is_recorded_once(void **state)
{
    (void)state;
    check_exit("_exit", ET_EXIT__EXIT, 5);
}

static void _Exit_is_recorded_as_its_own_kind(void **state)
{
    (void)state;
    check_exit("_Exit", ET_EXIT__EXIT_C99, 6);
}

static void exit_from_another_thread_is_recorded_with_that_thread(void **state)
{
    (void)state;
    struct traced_run r;
    run_prog(&r, "hooks_exit", "thread");
    expect_status(&r, 8);
    const struct et_record *start = prog_start(&r);
    int tid = out_int(&r, "tid");
    assert_int_not_equal(tid, (int)start->pid);
    expect_types(&r, start, TYPES(ET_REC_IMAGE_START, ET_REC_IMAGE_EXIT));
    const struct et_record *rec = first_of(&r, start, ET_REC_IMAGE_EXIT);
    expect_exit_record(rec, (int)start->pid, ET_EXIT_EXIT, 8);
    assert_int_equal(rec->tid, tid);
    assert_int_equal(rec->start_time, start->start_time);
    traced_run_free(&r);
}

/* ---- the programs themselves -------------------------------------------- */

/* Every mode passes its own transparency checks on plain libc: a failure
 * under the shim is then the shim's doing. */
static void programs_pass_their_own_checks_without_the_shim(void **state)
{
    (void)state;
    static const struct {
        const char *prog, *mode;
        int status;
    } runs[] = {
        {"hooks_create", "fork", 0},
        {"hooks_create", "_Fork", 0},
        {"hooks_create", "clone", 0},
        {"hooks_create", "vfork_exit", 0},
        {"hooks_create", "vfork_exec", 0},
        {"hooks_create", "vfork_loop", 0},
        {"hooks_create", "vfork_exec_fail", 0},
        {"hooks_create", "vfork_fds", 0},
        {"hooks_create", "clone_vm_exec", 0},
        {"hooks_exec", "execve_enoent", 0},
        {"hooks_exec", "execve_eacces", 0},
        {"hooks_exec", "execvp_missing", 0},
        {"hooks_exec", "execve", 0},
        {"hooks_exec", "execv", 0},
        {"hooks_exec", "execl", 0},
        {"hooks_exec", "execle", 0},
        {"hooks_exec", "execlp", 0},
        {"hooks_exec", "execvp", 0},
        {"hooks_exec", "execvpe", 0},
        {"hooks_exec", "fexecve", 0},
        {"hooks_exec", "execveat", 0},
        {"hooks_spawn", "spawn", 0},
        {"hooks_spawn", "spawnp", 0},
        {"hooks_spawn", "spawnp_missing", 0},
        {"hooks_signal", "kill", 0},
        {"hooks_signal", "killpg", 0},
        {"hooks_signal", "sigqueue", 0},
        {"hooks_signal", "tgkill", 0},
        {"hooks_signal", "pidfd", 0},
        {"hooks_signal", "pidfd_dup", 0},
        {"hooks_signal", "signal0", 0},
        {"hooks_signal", "esrch", 0},
        {"hooks_signal", "einval", 0},
        {"hooks_wait", "wait", 0},
        {"hooks_wait", "waitpid", 0},
        {"hooks_wait", "wait3", 0},
        {"hooks_wait", "wait4", 0},
        {"hooks_wait", "waitid_pid", 0},
        {"hooks_wait", "waitid_all", 0},
        {"hooks_wait", "wnohang", 0},
        {"hooks_wait", "wnowait", 0},
        {"hooks_wait", "echild", 0},
        {"hooks_fd", "pipe", 0},
        {"hooks_fd", "pipe2", 0},
        {"hooks_fd", "close", 0},
        {"hooks_fd", "dup", 0},
        {"hooks_fd", "dup2", 0},
        {"hooks_fd", "dup3", 0},
        {"hooks_fd", "dupfd", 0},
        {"hooks_fd", "dupfd_cloexec", 0},
        {"hooks_fd", "dup_error", 0},
        {"hooks_fd", "dup2_file_over_pipe", 0},
        {"hooks_fd", "setfd", 0},
        {"hooks_fd", "close_range", 0},
        {"hooks_fd", "closefrom", 0},
        {"hooks_fd", "close_range_cloexec", 0},
        {"hooks_fd", "close_range_above_int_max", 0},
        {"hooks_fd", "close_range_error", 0},
        {"hooks_fd", "reuse", 0},
        {"hooks_group", "setpgid", 0},
        {"hooks_group", "setpgrp", 0},
        {"hooks_group", "setsid", 0},
        {"hooks_group", "prctl", 0},
        {"hooks_group", "signal_ign", 0},
        {"hooks_group", "sigaction_nocldwait", 0},
        {"hooks_group", "sigset", 0},
        {"hooks_group", "other_signals", 0},
        {"hooks_group_posix", "", 0},
        {"hooks_exit", "exit", 4},
        {"hooks_exit", "return", 9},
        {"hooks_exit", "_exit", 5},
        {"hooks_exit", "_Exit", 6},
        {"hooks_exit", "thread", 8},
    };
    struct traced_run plain = {0};
    snprintf(plain.dir, sizeof(plain.dir), "/tmp/exectrace-test-plain-XXXXXX");
    assert_non_null(mkdtemp(plain.dir));
    const char *dir = plain.dir;
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s", test_prog(runs[i].prog));
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            unsetenv("LD_PRELOAD");
            unsetenv("EXECTRACE_FILE");
            int null = open("/dev/null", O_RDWR);
            if (null < 0 || chdir(dir) != 0)
                _exit(120);
            dup2(null, 0);
            dup2(null, 1);
            execl(path, path, runs[i].mode, (char *)NULL);
            _exit(121);
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != runs[i].status)
            fail_msg("%s %s: status %#x without the shim", runs[i].prog, runs[i].mode, st);
    }
    /* The programs leave nothing in their working directory. */
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(programs_pass_their_own_checks_without_the_shim),
        cmocka_unit_test(fork_records_the_child_and_the_child_starts_as_a_fork),
        cmocka_unit_test(_Fork_records_the_child_and_the_child_starts_as_a_fork),
        cmocka_unit_test(clone_without_vm_records_a_clone_child),
        cmocka_unit_test(forked_children_start_with_the_identity_proc_gives_them),
        cmocka_unit_test(vfork_child_that_exits_writes_its_own_records),
        cmocka_unit_test(vfork_child_that_execs_is_linked_to_the_new_image),
        cmocka_unit_test(vfork_child_whose_exec_fails_records_the_failure_as_itself),
        cmocka_unit_test(fd_changes_of_a_vfork_child_stay_out_of_the_parents_table),
        cmocka_unit_test(exec_in_a_clone_vm_child_is_recorded_as_the_child),
        cmocka_unit_test(vfork_in_a_loop_never_leaks_the_child_into_the_parent),
        cmocka_unit_test(execve_of_a_missing_file_records_ENOENT),
        cmocka_unit_test(execve_of_a_non_executable_file_records_EACCES),
        cmocka_unit_test(execvp_of_a_name_not_on_PATH_records_ENOENT),
        cmocka_unit_test(execve_success_is_followed_by_the_new_image),
        cmocka_unit_test(execv_success_is_followed_by_the_new_image),
        cmocka_unit_test(execl_success_is_followed_by_the_new_image),
        cmocka_unit_test(execle_with_a_bare_environment_puts_the_shim_back),
        cmocka_unit_test(execlp_success_records_the_name_searched_for),
        cmocka_unit_test(execvp_success_records_the_name_searched_for),
        cmocka_unit_test(execvpe_with_a_bare_environment_puts_the_shim_back),
        cmocka_unit_test(fexecve_success_records_the_fd),
        cmocka_unit_test(execveat_success_records_the_dirfd_and_path),
        cmocka_unit_test(posix_spawn_records_child_file_actions_and_pipe),
        cmocka_unit_test(posix_spawnp_records_child_file_actions_and_pipe),
        cmocka_unit_test(posix_spawnp_of_a_missing_program_records_ENOENT_and_no_child),
        cmocka_unit_test(kill_records_target_signal_and_result),
        cmocka_unit_test(killpg_records_the_group),
        cmocka_unit_test(sigqueue_records_target_and_signal),
        cmocka_unit_test(tgkill_records_process_and_thread),
        cmocka_unit_test(pidfd_send_signal_resolves_the_pid_behind_the_pidfd),
        cmocka_unit_test(pidfd_moved_to_another_fd_still_resolves_its_pid),
        cmocka_unit_test(signal_0_is_recorded),
        cmocka_unit_test(signals_to_a_missing_pid_record_ESRCH),
        cmocka_unit_test(invalid_signal_calls_record_their_errno),
        cmocka_unit_test(wait_reports_an_exit_with_7),
        cmocka_unit_test(waitpid_reports_a_death_by_SIGTERM),
        cmocka_unit_test(wait3_reports_an_exit_with_7),
        cmocka_unit_test(wait4_reports_a_death_by_SIGTERM),
        cmocka_unit_test(waitid_P_PID_reports_the_childs_siginfo),
        cmocka_unit_test(waitid_P_ALL_reports_a_kill),
        cmocka_unit_test(waitid_WNOHANG_with_nothing_ready_reports_no_child),
        cmocka_unit_test(waitid_WNOWAIT_leaves_the_child_to_be_reaped),
        cmocka_unit_test(waits_without_children_record_ECHILD),
        cmocka_unit_test(reads_of_a_pipe_record_the_long_wait_and_end_of_file),
        cmocka_unit_test(pipe_records_both_ends_and_the_inode),
        cmocka_unit_test(pipe2_records_its_flags_and_cloexec_ends),
        cmocka_unit_test(close_of_a_pipe_end_is_recorded_and_of_other_fds_is_not),
        cmocka_unit_test(dup_of_a_pipe_end_is_recorded_with_its_source),
        cmocka_unit_test(dup2_of_a_pipe_end_is_recorded_with_its_source),
        cmocka_unit_test(dup3_with_O_CLOEXEC_makes_a_cloexec_copy),
        cmocka_unit_test(fcntl_F_DUPFD_of_a_pipe_end_is_recorded),
        cmocka_unit_test(fcntl_F_DUPFD_CLOEXEC_of_a_pipe_end_makes_a_cloexec_copy),
        cmocka_unit_test(failed_dup2_of_a_pipe_end_records_EBADF),
        cmocka_unit_test(dup2_of_a_file_over_a_pipe_end_records_what_it_replaced),
        cmocka_unit_test(F_SETFD_on_a_pipe_end_is_recorded_and_on_a_file_is_not),
        cmocka_unit_test(close_range_lists_every_pipe_end_it_closed),
        cmocka_unit_test(closefrom_lists_every_pipe_end_it_closed),
        cmocka_unit_test(close_range_CLOEXEC_marks_the_ends_close_on_exec),
        cmocka_unit_test(close_range_above_INT_MAX_closes_and_forgets_nothing),
        cmocka_unit_test(failed_close_range_records_EINVAL),
        cmocka_unit_test(a_reused_fd_number_is_forgotten_as_a_pipe_end),
        cmocka_unit_test(setpgid_records_its_arguments_and_errno),
        cmocka_unit_test(setpgrp_is_recorded_as_its_own_kind),
        cmocka_unit_test(setsid_in_a_child_records_the_new_session),
        cmocka_unit_test(prctl_records_subreaper_and_pdeathsig_only),
        cmocka_unit_test(signal_SIGCHLD_SIG_IGN_is_recorded),
        cmocka_unit_test(signal_SIGCHLD_in_a_strict_POSIX_program_is_recorded),
        cmocka_unit_test(sigaction_SIGCHLD_records_SA_NOCLDWAIT),
        cmocka_unit_test(sigset_SIGCHLD_records_hold_and_default),
        cmocka_unit_test(dispositions_of_other_signals_are_not_recorded),
        cmocka_unit_test(exit_is_recorded_through_on_exit),
        cmocka_unit_test(return_from_main_is_recorded_as_exit),
        cmocka_unit_test(_exit_is_recorded_once),
        cmocka_unit_test(_Exit_is_recorded_as_its_own_kind),
        cmocka_unit_test(exit_from_another_thread_is_recorded_with_that_thread),
    };
    return cmocka_run_group_tests_name("hooks", tests, NULL, NULL);
}
