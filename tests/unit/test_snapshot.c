/* The live snapshot: the /proc reader of snapshot.c on recorded /proc
 * contents (fake trees built in a temporary directory: NNN/stat,
 * NNN/task/TID/{stat,syscall,wchan}, NNN/fd/N links, NNN/fdinfo/N), and the
 * rules of hang.c on hand-built traces whose snapshot records are written
 * with et_live_write, as the launcher writes them.  Every rule has cases
 * that must produce it and near misses that must not.
 *
 * Times are milliseconds from the trace's anchor (set to 0), so that
 * "+1.000000" in a message is MS(1000). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "findings.h"
#include "model.h"
#include "rules.h"
#include "reader.h"
#include "report.h"
#include "snapshot.h"
#include "writer.h"

#define MS(x) ((uint64_t)(x) * 1000000ull)

/* ==== a fake /proc ===================================================================== */

static char proc_root[64];

static void make_dirs(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void make_dirs(const char *fmt, ...)
{
    char path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    for (char *s = path + 1; *s; s++) {
        if (*s == '/') {
            *s = 0;
            mkdir(path, 0755);
            *s = '/';
        }
    }
    mkdir(path, 0755);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A stat line as the kernel writes it: fields 3 (state) to 22 (start time)
 * and a few after. */
static void stat_text(char *buf, size_t len, int pid, const char *comm, char state, int ppid, int pgid, int sid,
                      unsigned long long start)
{
    snprintf(buf, len,
             "%d (%s) %c %d %d %d 34816 %d 4194560 120 0 0 0 0 0 0 0 20 0 1 0 %llu 2486272 214 "
             "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n",
             pid, comm, state, ppid, pgid, sid, pgid, start);
}

static void fake_proc(int pid, const char *comm, char state, int ppid)
{
    make_dirs("%s/%d/task", proc_root, pid);
    make_dirs("%s/%d/fd", proc_root, pid);
    make_dirs("%s/%d/fdinfo", proc_root, pid);
    char path[512], text[512];
    stat_text(text, sizeof(text), pid, comm, state, ppid, ppid > 1 ? ppid : pid, 7, (unsigned long long)pid * 100 + 1);
    snprintf(path, sizeof(path), "%s/%d/stat", proc_root, pid);
    write_file(path, text);
}

/* syscall and wchan NULL: the file is left out.  (The kernel writes wchan
 * without a newline, and "0" for none.) */
static void fake_thread(int pid, int tid, char state, const char *syscall_text, const char *wchan)
{
    make_dirs("%s/%d/task/%d", proc_root, pid, tid);
    char path[512], text[512];
    stat_text(text, sizeof(text), tid, "thread", state, 1, 1, 1, 1);
    snprintf(path, sizeof(path), "%s/%d/task/%d/stat", proc_root, pid, tid);
    write_file(path, text);
    if (syscall_text) {
        snprintf(path, sizeof(path), "%s/%d/task/%d/syscall", proc_root, pid, tid);
        write_file(path, syscall_text);
    }
    if (wchan) {
        snprintf(path, sizeof(path), "%s/%d/task/%d/wchan", proc_root, pid, tid);
        write_file(path, wchan);
    }
}

/* fd N of pid links to target (dangling is fine: "pipe:[X]" is read from
 * the link itself); flags is fdinfo's octal "flags:" field, NULL for no
 * fdinfo file. */
static void fake_fd(int pid, int fd, const char *target, const char *flags)
{
    char path[512], text[256];
    snprintf(path, sizeof(path), "%s/%d/fd/%d", proc_root, pid, fd);
    assert_int_equal(symlink(target, path), 0);
    if (flags) {
        snprintf(path, sizeof(path), "%s/%d/fdinfo/%d", proc_root, pid, fd);
        snprintf(text, sizeof(text), "pos:\t0\nflags:\t%s\nmnt_id:\t15\nino:\t4711\n", flags);
        write_file(path, text);
    }
}

static void rm_tree(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

static int proc_setup(void **state)
{
    (void)state;
    snprintf(proc_root, sizeof(proc_root), "/tmp/exectrace-proc-XXXXXX");
    assert_non_null(mkdtemp(proc_root));
    return 0;
}

static int proc_teardown(void **state)
{
    (void)state;
    rm_tree(proc_root);
    return 0;
}

static const struct et_live_thread *thread_of(const struct et_live_proc *p, int tid)
{
    for (uint32_t i = 0; i < p->nthreads; i++)
        if (p->threads[i].tid == tid)
            return &p->threads[i];
    fail_msg("no thread %d in process %d", tid, p->pid);
    return NULL;
}

static const struct et_pipe_end *pipe_of(const struct et_live_proc *p, int fd)
{
    for (uint32_t i = 0; i < p->npipes; i++)
        if (p->pipes[i].fd == fd)
            return &p->pipes[i];
    return NULL;
}

/* ---- et_live_parse_syscall ------------------------------------------------------------ */

static void parse_syscall_running(void **state)
{
    (void)state;
    struct et_live_thread t = {.syscall = 1234, .args = {1, 2, 3}};
    assert_true(et_live_parse_syscall("running\n", &t));
    assert_int_equal(t.syscall, ET_SYSCALL_RUNNING);
    assert_int_equal(t.args[0], 0);
    assert_int_equal(t.args[2], 0);
}

/* Blocked, but not in a system call (a page fault): "-1 sp pc". */
static void parse_syscall_blocked_outside_a_call(void **state)
{
    (void)state;
    struct et_live_thread t;
    assert_true(et_live_parse_syscall("-1 0x7ffd4f1e2a58 0x7f3a1c2b4e1d\n", &t));
    assert_int_equal(t.syscall, ET_SYSCALL_RUNNING);
}

/* "nr arg1 ... arg6 sp pc": the number and the first three arguments. */
static void parse_syscall_in_a_call(void **state)
{
    (void)state;
    struct et_live_thread t;
    assert_true(et_live_parse_syscall("0 0x3 0x7ff 0x1000 0x8 0x0 0x7ffd4f1e2a58 0x7ffd4f1e2a00 0x7f3a1c2b4e1d\n", &t));
    assert_int_equal(t.syscall, SYS_read);
    assert_int_equal(t.args[0], 3);
    assert_int_equal(t.args[1], 0x7ff);
    assert_int_equal(t.args[2], 0x1000);

    /* wait4(-1, ...): the kernel shows the int register zero-extended. */
    assert_true(et_live_parse_syscall("61 0xffffffff 0x7ffc0333c62c 0x0 0x0 0x0 0x0 0x7ffc 0x7f3a\n", &t));
    assert_int_equal(t.syscall, SYS_wait4);
    assert_int_equal((int32_t)t.args[0], -1);
}

static void parse_syscall_garbage(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "\n", "garbage", "0x3 0x4", "0 0x3 0x7ff\n", "0 zz 0x1 0x2",
                                      "99999999999999999999 0x1 0x2 0x3", " "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct et_live_thread t = {.syscall = 5};
        if (et_live_parse_syscall(bad[i], &t))
            fail_msg("\"%s\" parsed as a syscall line (nr %d)", bad[i], t.syscall);
        /* What is known about the thread afterwards is "unknown" or a
         * number it really showed, never a leftover. */
        assert_true(t.syscall == ET_SYSCALL_UNKNOWN || t.syscall == 0);
    }
}

/* ---- et_live_read_proc ------------------------------------------------------------------ */

static void read_proc_threads_and_pipes(void **state)
{
    (void)state;
    /* A command name with spaces and parentheses: the fields start after
     * the last ')'. */
    fake_proc(100, "my (odd) prog", 'S', 42);
    fake_thread(100, 100, 'S', "0 0x3 0x7ffd 0x1000 0x0 0x0 0x0 0x7ffd 0x7f3a\n", "anon_pipe_read");
    fake_thread(100, 101, 'R', "running\n", "0");
    char fifo[256];
    snprintf(fifo, sizeof(fifo), "%s/fifo", proc_root);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    struct stat fst;
    assert_int_equal(stat(fifo, &fst), 0);
    fake_fd(100, 0, "/dev/null", "0100000");        /* a file: not listed */
    fake_fd(100, 1, "pipe:[4711]", "0100001");      /* write end */
    fake_fd(100, 3, "pipe:[4712]", "02000000");     /* read end, close-on-exec */
    fake_fd(100, 4, "pipe:[4712]", "02");           /* O_RDWR: both */
    fake_fd(100, 5, "socket:[99]", "02");           /* dangling, not a pipe */
    fake_fd(100, 6, fifo, "02000001");              /* a named FIFO, write end */

    struct et_live_proc p;
    assert_int_equal(et_live_read_proc(proc_root, 100, &p), 0);
    assert_int_equal(p.pid, 100);
    assert_string_equal(p.comm, "my (odd) prog");
    assert_int_equal(p.state, 'S');
    assert_int_equal(p.ppid, 42);
    assert_int_equal(p.pgid, 42);
    assert_int_equal(p.sid, 7);
    assert_int_equal(p.start_time, 10001);
    assert_int_equal(p.flags, 0);

    assert_int_equal(p.nthreads, 2);
    const struct et_live_thread *t = thread_of(&p, 100);
    assert_int_equal(t->state, 'S');
    assert_int_equal(t->syscall, SYS_read);
    assert_int_equal(t->args[0], 3);
    assert_int_equal(t->args[2], 0x1000);
    assert_string_equal(t->wchan, "anon_pipe_read");
    t = thread_of(&p, 101);
    assert_int_equal(t->state, 'R');
    assert_int_equal(t->syscall, ET_SYSCALL_RUNNING);
    assert_string_equal(t->wchan, ""); /* "0": none */

    assert_int_equal(p.npipes, 4);
    assert_null(pipe_of(&p, 0));
    assert_null(pipe_of(&p, 5));
    const struct et_pipe_end *e = pipe_of(&p, 1);
    assert_non_null(e);
    assert_int_equal(e->inode, 4711);
    assert_int_equal(e->flags, ET_PIPE_WRITE);
    e = pipe_of(&p, 3);
    assert_non_null(e);
    assert_int_equal(e->inode, 4712);
    assert_int_equal(e->flags, ET_PIPE_READ | ET_PIPE_CLOEXEC);
    e = pipe_of(&p, 4);
    assert_non_null(e);
    assert_int_equal(e->flags, ET_PIPE_READ | ET_PIPE_WRITE);
    e = pipe_of(&p, 6);
    assert_non_null(e);
    assert_int_equal(e->inode, (uint64_t)fst.st_ino);
    assert_int_equal(e->flags, ET_PIPE_FIFO | ET_PIPE_WRITE | ET_PIPE_CLOEXEC);
    et_live_proc_free(&p);
}

/* A zombie: no fds to read, and that is not "could not read its fds". */
static void read_proc_zombie(void **state)
{
    (void)state;
    fake_proc(200, "sleep", 'Z', 100);
    fake_thread(200, 200, 'Z', NULL, NULL);
    fake_fd(200, 1, "pipe:[4711]", "01"); /* a copy of /proc could say so; a zombie holds nothing */
    struct et_live_proc p;
    assert_int_equal(et_live_read_proc(proc_root, 200, &p), 0);
    assert_int_equal(p.state, 'Z');
    assert_int_equal(p.npipes, 0);
    assert_false(p.flags & ET_SNAP_NO_FDS);
    et_live_proc_free(&p);
}

/* What could not be read is said, not guessed. */
static void read_proc_missing_parts(void **state)
{
    (void)state;
    fake_proc(300, "secret", 'S', 1);
    fake_thread(300, 300, 'S', NULL, NULL); /* no syscall file: another user's process */
    fake_thread(300, 301, 'S', "what is this\n", "do_wait");
    char path[512];
    snprintf(path, sizeof(path), "%s/300/fd", proc_root);
    assert_int_equal(rmdir(path), 0);
    struct et_live_proc p;
    assert_int_equal(et_live_read_proc(proc_root, 300, &p), 0);
    assert_true(p.flags & ET_SNAP_NO_SYSCALL);
    assert_true(p.flags & ET_SNAP_NO_FDS);
    assert_int_equal(thread_of(&p, 300)->syscall, ET_SYSCALL_UNKNOWN);
    assert_int_equal(thread_of(&p, 301)->syscall, ET_SYSCALL_UNKNOWN);
    assert_string_equal(thread_of(&p, 301)->wchan, "do_wait");
    assert_int_equal(p.npipes, 0);
    et_live_proc_free(&p);

    /* An fd whose fdinfo is gone: its access mode is unknown. */
    fake_proc(310, "x", 'S', 1);
    fake_thread(310, 310, 'S', "running\n", NULL);
    fake_fd(310, 7, "pipe:[5000]", NULL);
    assert_int_equal(et_live_read_proc(proc_root, 310, &p), 0);
    assert_int_equal(p.npipes, 1);
    et_live_proc_free(&p);
}

static void read_proc_gone_or_damaged(void **state)
{
    (void)state;
    struct et_live_proc p;
    assert_int_equal(et_live_read_proc(proc_root, 999, &p), -ENOENT);
    make_dirs("%s/998", proc_root);
    char path[512];
    snprintf(path, sizeof(path), "%s/998/stat", proc_root);
    write_file(path, "998 (x) S not numbers\n");
    assert_int_equal(et_live_read_proc(proc_root, 998, &p), -EINVAL);
    write_file(path, "");
    assert_int_equal(et_live_read_proc(proc_root, 998, &p), -EINVAL);
}

/* More threads or pipe ends than a record holds: the first ones, and a
 * flag that says so. */
static void read_proc_truncates_and_says_so(void **state)
{
    (void)state;
    fake_proc(400, "busy", 'S', 1);
    for (int k = 0; k < (int)ET_SNAP_MAX_THREADS + 1; k++)
        fake_thread(400, 400 + k, 'S', "202 0x0 0x80 0x0 0x0 0x0 0x0 0x1 0x2\n", "futex_wait_queue");
    for (int fd = 3; fd < 3 + (int)ET_MAX_PIPE_ENDS + 1; fd++) {
        char target[32];
        snprintf(target, sizeof(target), "pipe:[%d]", 6000 + fd);
        fake_fd(400, fd, target, "00");
    }
    struct et_live_proc p;
    assert_int_equal(et_live_read_proc(proc_root, 400, &p), 0);
    assert_int_equal(p.nthreads, ET_SNAP_MAX_THREADS);
    assert_int_equal(p.npipes, ET_MAX_PIPE_ENDS);
    assert_true(p.flags & ET_SNAP_THREADS_TRUNCATED);
    assert_true(p.flags & ET_SNAP_PIPES_TRUNCATED);
    et_live_proc_free(&p);
}

/* ---- et_live_read_tree ---------------------------------------------------------------------- */

static void simple_proc(int pid, int ppid)
{
    fake_proc(pid, "p", 'S', ppid);
    fake_thread(pid, pid, 'S', "running\n", NULL);
}

static bool tree_has(const struct et_live_tree *t, int pid, size_t *at)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->procs[i].pid == pid) {
            if (at)
                *at = i;
            return true;
        }
    return false;
}

/* Every process's parent is the root or comes before it. */
static void assert_parents_first(const struct et_live_tree *t, int root)
{
    for (size_t i = 0; i < t->n; i++) {
        if ((int)t->procs[i].ppid == root)
            continue;
        size_t at;
        if (!tree_has(t, (int)t->procs[i].ppid, &at) || at >= i)
            fail_msg("process %d comes before its parent %u", t->procs[i].pid, t->procs[i].ppid);
    }
}

static void read_tree_descendants_parents_first(void **state)
{
    (void)state;
    simple_proc(10, 1); /* the root: exectrace */
    simple_proc(11, 10);
    simple_proc(12, 11);
    simple_proc(13, 11);
    simple_proc(14, 12);
    /* pids wrap: a child may have a smaller pid than its parent */
    simple_proc(9000, 13);
    simple_proc(5, 9000);
    simple_proc(20, 1);  /* not ours */
    simple_proc(21, 20); /* nor this */
    make_dirs("%s/self", proc_root); /* not a pid */

    struct et_live_tree t;
    assert_int_equal(et_live_read_tree(proc_root, 10, &t), 0);
    assert_int_equal(t.n, 6);
    assert_false(tree_has(&t, 10, NULL)); /* not the root itself */
    assert_false(tree_has(&t, 20, NULL));
    assert_false(tree_has(&t, 21, NULL));
    static const int want[] = {11, 12, 13, 14, 9000, 5};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_true(tree_has(&t, want[i], NULL));
    assert_parents_first(&t, 10);
    et_live_tree_free(&t);

    /* A subtree. */
    assert_int_equal(et_live_read_tree(proc_root, 13, &t), 0);
    assert_int_equal(t.n, 2);
    assert_parents_first(&t, 13);
    et_live_tree_free(&t);

    /* A root that is not (or no longer) there: its children still are. */
    assert_int_equal(et_live_read_tree(proc_root, 77, &t), 0);
    assert_int_equal(t.n, 0);
    et_live_tree_free(&t);
}

/* A damaged copy of /proc (or pids reused while it was read) can make the
 * ppid data circular: the reading ends, each process once. */
static void read_tree_ppid_loops_end(void **state)
{
    (void)state;
    simple_proc(10, 12); /* the root's own parent is its grandchild */
    simple_proc(11, 10);
    simple_proc(12, 11);
    simple_proc(30, 31); /* a cycle outside the tree */
    simple_proc(31, 30);
    simple_proc(40, 40); /* its own parent */
    simple_proc(41, 40);

    struct et_live_tree t;
    assert_int_equal(et_live_read_tree(proc_root, 10, &t), 0);
    assert_int_equal(t.n, 2);
    assert_true(tree_has(&t, 11, NULL));
    assert_true(tree_has(&t, 12, NULL));
    et_live_tree_free(&t);

    assert_int_equal(et_live_read_tree(proc_root, 40, &t), 0);
    assert_int_equal(t.n, 1); /* 41; 40 is the root, never its own child */
    assert_true(tree_has(&t, 41, NULL));
    et_live_tree_free(&t);

    assert_int_equal(et_live_read_tree(proc_root, 30, &t), 0);
    assert_int_equal(t.n, 1);
    assert_true(tree_has(&t, 31, NULL));
    et_live_tree_free(&t);
}

/* A process that ends between the scan of /proc and the reading of its
 * state: its stat is a FIFO that serves one read (the scan), then is
 * unlinked before the scan's read can end. */
struct vanisher {
    char path[512];
    char text[512];
};

static void *vanish(void *arg)
{
    struct vanisher *v = arg;
    int fd = open(v->path, O_WRONLY); /* waits for the scan to open it */
    if (fd >= 0) {
        ssize_t unused = write(fd, v->text, strlen(v->text));
        (void)unused;
        unlink(v->path); /* gone before the scan has seen end-of-file */
        close(fd);
    }
    return NULL;
}

static void read_tree_skips_a_process_that_vanishes(void **state)
{
    (void)state;
    simple_proc(10, 1);
    simple_proc(11, 10);
    simple_proc(12, 11);
    simple_proc(13, 10);
    struct vanisher v;
    snprintf(v.path, sizeof(v.path), "%s/12/stat", proc_root);
    stat_text(v.text, sizeof(v.text), 12, "p", 'S', 11, 11, 7, 1201);
    assert_int_equal(unlink(v.path), 0);
    assert_int_equal(mkfifo(v.path, 0600), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, vanish, &v), 0);

    struct et_live_tree t;
    int ret = et_live_read_tree(proc_root, 10, &t);
    pthread_join(th, NULL);
    assert_int_equal(ret, 0);
    assert_int_equal(t.n, 2);
    assert_true(tree_has(&t, 11, NULL));
    assert_true(tree_has(&t, 13, NULL));
    assert_false(tree_has(&t, 12, NULL));
    et_live_tree_free(&t);
}

static void read_tree_without_proc(void **state)
{
    (void)state;
    struct et_live_tree t;
    char missing[128];
    snprintf(missing, sizeof(missing), "%s/nowhere", proc_root);
    assert_int_equal(et_live_read_tree(missing, 1, &t), -ENOENT);
    assert_int_equal(t.n, 0);
}

/* The real /proc: this process's own child, blocked reading a pipe whose
 * write end this process holds. */
static void read_tree_on_the_real_proc(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        char c;
        close(p[1]);
        ssize_t unused = read(p[0], &c, 1);
        (void)unused;
        _exit(0);
    }
    /* Wait until it is blocked in read(). */
    struct et_live_proc lp = {0};
    bool blocked = false;
    for (int i = 0; i < 1000 && !blocked; i++) {
        usleep(2000);
        if (et_live_read_proc("/proc", child, &lp) == 0) {
            blocked = lp.nthreads && lp.threads[0].syscall == SYS_read && lp.state == 'S';
            if (!blocked)
                et_live_proc_free(&lp);
        }
    }
    if (!blocked) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        fail_msg("the child was not seen blocked in read() within 2 s");
    }
    assert_int_equal(lp.pid, child);
    assert_int_equal(lp.threads[0].args[0], (uint64_t)p[0]);
    assert_int_equal(lp.ppid, getpid());
    assert_string_equal(lp.threads[0].wchan, "anon_pipe_read");
    /* Its read end, and not the write end it closed.  (Whatever else it
     * inherited from the test's own environment may be there too.) */
    const struct et_pipe_end *e = pipe_of(&lp, p[0]);
    assert_non_null(e);
    assert_int_equal(e->flags, ET_PIPE_READ);
    assert_null(pipe_of(&lp, p[1]));
    struct stat pst;
    assert_int_equal(fstat(p[0], &pst), 0);
    assert_int_equal(e->inode, (uint64_t)pst.st_ino);
    et_live_proc_free(&lp);

    struct et_live_tree t;
    assert_int_equal(et_live_read_tree("/proc", getpid(), &t), 0);
    assert_true(tree_has(&t, child, NULL));
    et_live_tree_free(&t);
    close(p[1]);
    close(p[0]);
    waitpid(child, NULL, 0);
}

/* ==== the hang rules on hand-built traces ===================================================== */

struct pr {
    uint32_t pid;
    uint64_t st;
};
#define PR(pid) ((struct pr){(pid), (uint64_t)(pid) * 100 + 1})

#define MAX_WRITERS 32

static struct sim {
    char dir[64];
    char path[128];
    uint8_t *map;
    uint64_t size;
    struct {
        struct pr p;
        struct et_writer w;
    } writers[MAX_WRITERS];
    unsigned nwriters;
    struct et_writer snap_writer;
    struct et_thresholds th;
    struct et_trace t;
    struct et_analysis a;
    bool built;
} S;

static int sim_setup(void **state)
{
    (void)state;
    memset(&S, 0, sizeof(S));
    snprintf(S.dir, sizeof(S.dir), "/tmp/exectrace-hangrules-XXXXXX");
    assert_non_null(mkdtemp(S.dir));
    snprintf(S.path, sizeof(S.path), "%s/t.trace", S.dir);
    const char *what = NULL;
    assert_int_equal(et_trace_create(S.path, 1u << 20, false, 1, 0, false, NULL, &what), 0);
    int fd = open(S.path, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    S.size = (uint64_t)st.st_size;
    S.map = mmap(NULL, (size_t)S.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    assert_true(S.map != MAP_FAILED);
    ((struct et_file_header *)S.map)->anchor_monotonic_ns = 0;
    assert_int_equal(et_writer_attach(&S.snap_writer, S.map, S.size, 1), 0);
    et_default_thresholds(&S.th);
    return 0;
}

static int sim_teardown(void **state)
{
    (void)state;
    if (S.built)
        et_analysis_free(&S.a);
    munmap(S.map, (size_t)S.size);
    unlink(S.path);
    rmdir(S.dir);
    return 0;
}

static struct et_writer *writer_of(struct pr p)
{
    for (unsigned i = 0; i < S.nwriters; i++)
        if (S.writers[i].p.pid == p.pid && S.writers[i].p.st == p.st)
            return &S.writers[i].w;
    assert_true(S.nwriters < MAX_WRITERS);
    unsigned i = S.nwriters++;
    S.writers[i].p = p;
    assert_int_equal(et_writer_attach(&S.writers[i].w, S.map, S.size, p.pid), 0);
    return &S.writers[i].w;
}

static void emit(struct pr p, uint32_t tid, uint16_t type, uint64_t ts, int err, const void *body, size_t len)
{
    struct et_identity id = {p.pid, tid ? tid : p.pid, p.st};
    struct et_record *r = et_record_reserve(writer_of(p), type, (uint32_t)len, &id, ts, err);
    assert_non_null(r);
    memcpy(et_record_body(r), body, len);
    et_commit(writer_of(p), r);
}

struct ends {
    uint16_t n;
    struct et_pipe_end e[8];
};
#define ENDS(...)                                                                                                      \
    ((struct ends){(uint16_t)(sizeof((struct et_pipe_end[]){__VA_ARGS__}) / sizeof(struct et_pipe_end)),            \
                   {__VA_ARGS__}})
#define NO_ENDS ((struct ends){0})
#define RD(fd, inode) ((struct et_pipe_end){(fd), ET_PIPE_READ, (inode)})
#define WR(fd, inode) ((struct et_pipe_end){(fd), ET_PIPE_WRITE, (inode)})

static void ev_start(struct pr p, uint32_t ppid, uint64_t ts, const char *cmd, uint16_t origin, struct ends ends)
{
    char buf[256];
    char *argv[16];
    unsigned argc = 0;
    if (cmd) {
        snprintf(buf, sizeof(buf), "%s", cmd);
        for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok && argc < 15; tok = strtok_r(NULL, " ", &save))
            argv[argc++] = tok;
    }
    argv[argc] = NULL;
    struct et_start_info info = {
        .origin = origin ? origin : (cmd ? ET_ORIGIN_EXEC : ET_ORIGIN_FORK),
        .ppid = ppid,
        .pgid = 7,
        .sid = 7,
        .uid = 1000,
        .euid = 1000,
        .exe = cmd ? argv[0] : NULL,
        .argv = cmd ? argv : NULL,
        .pipes = ends.e,
        .pipe_count = ends.n,
    };
    struct et_identity id = {p.pid, p.pid, p.st};
    et_write_start(writer_of(p), &id, ts, 0, &info);
}

static void ev_fork(struct pr p, uint64_t ts, uint32_t child)
{
    struct et_fork b = {.kind = ET_FORK_FORK, .result = (int32_t)child};
    emit(p, 0, ET_REC_FORK, ts, 0, &b, sizeof(b));
}

/* A fork and the child's exec'd image, 1 ms apart. */
static void ev_child(struct pr parent, struct pr child, uint64_t ts, const char *cmd, struct ends ends)
{
    ev_fork(parent, ts, child.pid);
    ev_start(child, parent.pid, ts + MS(1), cmd, 0, ends);
}

static void ev_exit(struct pr p, uint64_t ts, int code)
{
    struct et_image_exit b = {.how = ET_EXIT_EXIT, .status = code};
    emit(p, 0, ET_REC_IMAGE_EXIT, ts, 0, &b, sizeof(b));
}

static void ev_pipe(struct pr p, uint64_t ts, int rfd, int wfd, uint64_t inode)
{
    struct et_pipe b = {.kind = ET_PIPE_PIPE, .read_fd = rfd, .write_fd = wfd, .inode = inode};
    emit(p, 0, ET_REC_PIPE, ts, 0, &b, sizeof(b));
}

static void ev_close(struct pr p, uint64_t ts, struct et_pipe_end end)
{
    struct et_close b = {.fd = end.fd, .pipe = end};
    emit(p, 0, ET_REC_CLOSE, ts, 0, &b, sizeof(b));
}

static void ev_wait_enter(struct pr p, uint32_t tid, uint64_t ts, int64_t id)
{
    struct et_wait_enter b = {.kind = ET_WAIT_WAITPID, .id = id};
    emit(p, tid, ET_REC_WAIT_ENTER, ts, 0, &b, sizeof(b));
}

static void ev_reaped(struct pr launcher, uint64_t ts, struct pr child, int status, uint16_t role)
{
    struct et_reaped b = {.pid = (int32_t)child.pid, .status = status, .start_time = child.st, .role = role};
    emit(launcher, 0, ET_REC_REAPED, ts, 0, &b, sizeof(b));
}

/* ---- snapshots ------------------------------------------------------------------------------ */

#define SNAP_MAX 16

struct sthread {
    int32_t tid; /* 0: the process's pid */
    int32_t nr;  /* ET_SYSCALL_* or a number */
    uint64_t a0, a1, a2;
    char state; /* 0: 'S' */
};

struct sproc {
    struct pr p;
    uint32_t ppid;
    char state; /* 0: 'S' */
    const char *comm;
    struct sthread th[4];
    unsigned nth;
    struct ends ends;
};

static struct et_live_proc snap_procs[SNAP_MAX];
static struct et_live_thread snap_threads[SNAP_MAX][4];
static size_t nsnap;

static void snap_add(struct sproc s)
{
    assert_true(nsnap < SNAP_MAX);
    struct et_live_proc *p = &snap_procs[nsnap];
    memset(p, 0, sizeof(*p));
    p->pid = (int32_t)s.p.pid;
    p->start_time = s.p.st;
    p->ppid = s.ppid;
    p->pgid = 7;
    p->sid = 7;
    p->state = s.state ? s.state : 'S';
    snprintf(p->comm, sizeof(p->comm), "%s", s.comm ? s.comm : "proc");
    for (unsigned k = 0; k < s.nth; k++) {
        struct et_live_thread *t = &snap_threads[nsnap][k];
        memset(t, 0, sizeof(*t));
        t->tid = s.th[k].tid ? s.th[k].tid : (int32_t)s.p.pid;
        t->syscall = s.th[k].nr;
        t->args[0] = s.th[k].a0;
        t->args[1] = s.th[k].a1;
        t->args[2] = s.th[k].a2;
        t->state = s.th[k].state ? s.th[k].state : p->state;
    }
    p->threads = snap_threads[nsnap];
    p->nthreads = s.nth;
    p->pipes = malloc(sizeof(struct et_pipe_end) * (s.ends.n ? s.ends.n : 1));
    assert_non_null(p->pipes);
    memcpy(p->pipes, s.ends.e, sizeof(struct et_pipe_end) * s.ends.n);
    p->npipes = s.ends.n;
    nsnap++;
}
#define SNAP(...) snap_add((struct sproc){__VA_ARGS__})
#define TH(...) (struct sthread){__VA_ARGS__}

/* Writes the processes added since the last one as the next snapshot. */
static uint32_t snap_write(uint64_t ts, uint16_t reason)
{
    struct et_live_tree tree = {snap_procs, nsnap};
    uint32_t id = et_live_next_snapshot_id(&S.snap_writer);
    assert_int_equal(et_live_write(&S.snap_writer, id, reason, ts, &tree), nsnap);
    for (size_t i = 0; i < nsnap; i++)
        free(snap_procs[i].pipes);
    nsnap = 0;
    return id;
}

/* ---- reading the findings ------------------------------------------------------------------- */

static void build(void)
{
    assert_int_equal(((struct et_file_header *)S.map)->records_dropped, 0);
    assert_int_equal(et_trace_from_buffer(&S.t, S.map, (size_t)S.size), 0);
    assert_int_equal(et_analyze(&S.a, &S.t, &S.th), 0);
    S.built = true;
    assert_int_equal(S.t.problems, 0);
    /* Every finding says what put it at its severity. */
    for (size_t i = 0; i < S.a.findings.n; i++)
        if (!S.a.findings.v[i].basis || !S.a.findings.v[i].basis[0])
            fail_msg("%s has no basis for its severity", et_finding_kind_name(S.a.findings.v[i].kind));
}

static void dump_findings(void)
{
    for (size_t i = 0; i < S.a.findings.n; i++) {
        const struct et_finding *f = &S.a.findings.v[i];
        print_message("  finding %zu: %s %s: %s\n", i, et_finding_kind_name(f->kind), et_severity_name(f->severity),
                      f->message);
    }
}

static unsigned count_kind(unsigned kind)
{
    unsigned n = 0;
    for (size_t i = 0; i < S.a.findings.n; i++)
        n += S.a.findings.v[i].kind == kind;
    return n;
}

static const struct et_finding *the(unsigned kind)
{
    if (count_kind(kind) != 1) {
        dump_findings();
        fail_msg("expected exactly one %s finding, got %u", et_finding_kind_name(kind), count_kind(kind));
    }
    for (size_t i = 0; i < S.a.findings.n; i++)
        if (S.a.findings.v[i].kind == kind)
            return &S.a.findings.v[i];
    return NULL;
}

static void assert_none(unsigned kind)
{
    if (count_kind(kind) != 0) {
        dump_findings();
        fail_msg("expected no %s finding, got %u", et_finding_kind_name(kind), count_kind(kind));
    }
}

static void assert_no_findings(void)
{
    if (S.a.findings.n) {
        dump_findings();
        fail_msg("expected no findings, got %zu", S.a.findings.n);
    }
}

static void assert_says(const struct et_finding *f, const char *text)
{
    if (!strstr(f->message, text))
        fail_msg("message of %s does not say \"%s\":\n  %s", et_finding_kind_name(f->kind), text, f->message);
}

static void assert_does_not_say(const struct et_finding *f, const char *text)
{
    if (strstr(f->message, text))
        fail_msg("message of %s says \"%s\":\n  %s", et_finding_kind_name(f->kind), text, f->message);
}

static void assert_procs_(const struct et_finding *f, const struct pr *want, unsigned n)
{
    bool ok = f->nprocs == n;
    for (unsigned i = 0; ok && i < n; i++) {
        const struct et_proc *p = &S.a.model.procs[f->procs[i]];
        ok = p->pid == want[i].pid && p->start_time == want[i].st;
    }
    if (!ok) {
        for (unsigned i = 0; i < f->nprocs; i++)
            print_message("  procs[%u] = %u/%llu\n", i, S.a.model.procs[f->procs[i]].pid,
                          (unsigned long long)S.a.model.procs[f->procs[i]].start_time);
        fail_msg("%s names the wrong processes: %s", et_finding_kind_name(f->kind), f->message);
    }
}
#define assert_procs(f, ...)                                                                                           \
    assert_procs_((f), (struct pr[]){__VA_ARGS__}, sizeof((struct pr[]){__VA_ARGS__}) / sizeof(struct pr))

static bool has_evidence(const struct et_finding *f, uint16_t type)
{
    for (uint32_t i = 0; i < f->nevidence; i++)
        if (f->evidence[i]->type == type)
            return true;
    return false;
}

/* ---- the cast --------------------------------------------------------------------------------- */

static const struct pr LAUNCHER = {1, 101};
static const struct pr P = {100, 10001};   /* the program that hangs */
static const struct pr C = {200, 20001};   /* its child */
static const struct pr G = {300, 30001};   /* its grandchild */
static const struct pr H = {400, 40001};   /* another child of P */
#define PIPE 4711u
#define OTHER_PIPE 4800u

/* P makes a pipe, starts C with the write end on its stdout, and closes its
 * own write end. */
static void p_runs_c_into_a_pipe(const char *ccmd)
{
    ev_start(LAUNCHER, 0, MS(100), "exectrace run", ET_ORIGIN_LAUNCHER, NO_ENDS);
    ev_fork(LAUNCHER, MS(150), P.pid);
    ev_start(P, LAUNCHER.pid, MS(200), "python3 app.py", 0, NO_ENDS);
    ev_pipe(P, MS(1000), 3, 4, PIPE);
    ev_child(P, C, MS(1001), ccmd, ENDS(WR(1, PIPE)));
    ev_close(P, MS(1003), WR(4, PIPE));
}

/* ---- pipe-deadlock ------------------------------------------------------------------------- */

/* P waits for C before reading; C is blocked writing the full pipe. */
static void deadlock_case(int32_t wait_nr, uint64_t a0, uint64_t a1)
{
    p_runs_c_into_a_pipe("seq 1 200000");
    ev_wait_enter(P, 0, MS(1010), C.pid);
    SNAP(.p = P, .ppid = LAUNCHER.pid, .comm = "python3", .th = {TH(.nr = wait_nr, .a0 = a0, .a1 = a1)}, .nth = 1,
         .ends = ENDS(RD(3, PIPE)));
    SNAP(.p = C, .ppid = P.pid, .comm = "seq", .th = {TH(.nr = SYS_write, .a0 = 1, .a2 = 4096)}, .nth = 1,
         .ends = ENDS(WR(1, PIPE)));
    snap_write(MS(3000), ET_SNAP_HANG);
}

static void pipe_deadlock_found(void **state)
{
    (void)state;
    deadlock_case(SYS_wait4, C.pid, 0);
    build();
    const struct et_finding *f = the(ET_FK_PIPE_DEADLOCK);
    assert_int_equal(f->severity, ET_SEV_ERROR);
    assert_procs(f, P, C);
    assert_says(f, "100 (python3 app.py) is blocked in wait4(200), waiting for 200 (seq 1 200000) to exit; 200 (seq "
                   "1 200000) is blocked in write(fd 1, pipe:[4711] write end): pipe:[4711] is full");
    assert_true(has_evidence(f, ET_REC_PIPE));
    assert_true(has_evidence(f, ET_REC_WAIT_ENTER));
    assert_true(has_evidence(f, ET_REC_SNAPSHOT));
    /* The deadlock explains the wait: no stuck-wait on top. */
    assert_none(ET_FK_STUCK_WAIT);
    assert_none(ET_FK_BLOCKED_ON_HELD_PIPE);
}

static void pipe_deadlock_wait_for_any_child(void **state)
{
    (void)state;
    deadlock_case(SYS_wait4, (uint32_t)-1, 0); /* the kernel shows -1 as 0xffffffff */
    build();
    assert_procs(the(ET_FK_PIPE_DEADLOCK), P, C);
}

static void pipe_deadlock_waitid(void **state)
{
    (void)state;
    deadlock_case(SYS_waitid, P_PID, C.pid);
    build();
    assert_says(the(ET_FK_PIPE_DEADLOCK), "is blocked in waitid(P_PID, 200)");
}

/* Near miss: P waits for another child; C's pipe will not drain, but not
 * because of P's wait. */
static void pipe_deadlock_not_when_waiting_for_another_child(void **state)
{
    (void)state;
    deadlock_case(SYS_wait4, 999, 0);
    build();
    assert_none(ET_FK_PIPE_DEADLOCK);
}

/* Near miss: another thread of P is reading the pipe: it will drain. */
static void pipe_deadlock_not_when_a_thread_reads(void **state)
{
    (void)state;
    p_runs_c_into_a_pipe("seq 1 200000");
    ev_wait_enter(P, 0, MS(1010), C.pid);
    SNAP(.p = P, .ppid = LAUNCHER.pid,
         .th = {TH(.nr = SYS_wait4, .a0 = C.pid), TH(.tid = 101, .nr = SYS_read, .a0 = 3, .state = 'R')}, .nth = 2,
         .ends = ENDS(RD(3, PIPE)));
    SNAP(.p = C, .ppid = P.pid, .th = {TH(.nr = SYS_write, .a0 = 1)}, .nth = 1, .ends = ENDS(WR(1, PIPE)));
    snap_write(MS(3000), ET_SNAP_HANG);
    build();
    assert_none(ET_FK_PIPE_DEADLOCK);
}

/* Near miss: P sits in poll, holding the read end: it may read. */
static void near_miss_pipe_deadlock_the_reader_polls(void **state)
{
    (void)state;
    p_runs_c_into_a_pipe("seq 1 200000");
    SNAP(.p = P, .ppid = LAUNCHER.pid, .th = {TH(.nr = SYS_poll, .a1 = 1, .a2 = (uint32_t)-1)}, .nth = 1,
         .ends = ENDS(RD(3, PIPE)));
    SNAP(.p = C, .ppid = P.pid, .th = {TH(.nr = SYS_write, .a0 = 1)}, .nth = 1, .ends = ENDS(WR(1, PIPE)));
    snap_write(MS(3000), ET_SNAP_HANG);
    build();
    /* Nor is it blocked on a held pipe: its child, the writer, holds it. */
    assert_no_findings();
}

/* Near miss: C blocks writing something that is not a pipe (a terminal). */
static void pipe_deadlock_not_for_a_write_to_a_non_pipe(void **state)
{
    (void)state;
    p_runs_c_into_a_pipe("seq 1 200000");
    ev_wait_enter(P, 0, MS(2500), C.pid);
    SNAP(.p = P, .ppid = LAUNCHER.pid, .th = {TH(.nr = SYS_wait4, .a0 = C.pid)}, .nth = 1, .ends = ENDS(RD(3, PIPE)));
    SNAP(.p = C, .ppid = P.pid, .th = {TH(.nr = SYS_write, .a0 = 2)}, .nth = 1, .ends = ENDS(WR(1, PIPE)));
    snap_write(MS(3000), ET_SNAP_HANG);
    build();
    assert_none(ET_FK_PIPE_DEADLOCK);
}

/* Only the latest snapshot counts: the first one caught a moment that
 * passed. */
static void only_the_latest_snapshot_counts(void **state)
{
    (void)state;
    deadlock_case(SYS_wait4, C.pid, 0);
    SNAP(.p = P, .ppid = LAUNCHER.pid, .th = {TH(.nr = SYS_read, .a0 = 3)}, .nth = 1, .ends = ENDS(RD(3, PIPE)));
    SNAP(.p = C, .ppid = P.pid, .th = {TH(.nr = ET_SYSCALL_RUNNING, .state = 'R')}, .nth = 1, .state = 'R',
         .ends = ENDS(WR(1, PIPE)));
    snap_write(MS(4000), ET_SNAP_REQUESTED);
    build();
    assert_int_equal(S.a.model.snapshot, 2);
    assert_no_findings();
}

/* ---- blocked-on-held-pipe ------------------------------------------------------------------------ */

/* C, a shell, started G in the background and exited; G holds C's stdout. */
static void c_leaves_g_holding(void)
{
    p_runs_c_into_a_pipe("sh -c sleep_30_&");
    ev_child(C, G, MS(1050), "sleep 30", ENDS(WR(1, PIPE)));
    ev_exit(C, MS(1100), 0);
}

static void blocked_on_held_pipe_found(void **state)
{
    (void)state;
    c_leaves_g_holding();
    SNAP(.p = P, .ppid = LAUNCHER.pid, .th = {TH(.nr = SYS_read, .a0 = 3, .a2 = 4096)}, .nth = 1,
         .ends = ENDS(RD(3, PIPE)));
    SNAP(.p = C, .ppid = P.pid, .state = 'Z', .comm = "sh", .th = {TH(.nr = ET_SYSCALL_RUNNING)}, .nth = 1);
    SNAP(.p = G, .ppid = LAUNCHER.pid, .comm = "sleep", .th = {TH(.nr = SYS_clock_nanosleep)}, .nth = 1,
         .ends = ENDS(WR(1, PIPE)));
    snap_write(MS(3000), ET_SNAP_HANG);
    build();
    const struct et_finding *f = the(ET_FK_BLOCKED_ON_HELD_PIPE);
    assert_int_equal(f->severity, ET_SEV_ERROR);
    assert_procs(f, P, G);
    assert_says(f, "100 (python3 app.py) is blocked in read(fd 3, pipe:[4711] read end) waiting for end-of-file on "
                   "pipe:[4711]");
    assert_says(f, "300 (sleep 30), which inherited it (fd 1) from 200 (sh -c sleep_30_&), which ended at +1.100000, "
                   "and is in clock_nanosleep");
    assert_true(has_evidence(f, ET_REC_PIPE));
    /* C is a zombie P cannot reap while it reads: the same hang. */
    assert_none(ET_FK_ZOMBIE);
    assert_none(ET_FK_SELF_HELD_PIPE);
}

/* Near miss: the child the pipe was given to still holds it at fd 1: the
 * pipe is in use, whoever else holds it. */
static void near_miss_blocked_on_held_pipe_while_the_child_holds_it(void **state)
{
    (void)state;
    p_runs_c_into_a_pipe("sh -c sleep_30_&");
    ev_child(C, G, MS(1050), "sleep 30", ENDS(WR(1, PIPE)));
    ev_wait_enter(C, 0, MS(2900), G.pid);
    SNAP(.p = P, .ppid = LAUNCHER.pid, .th = {TH(.nr = SYS_read, .a0 = 3)}, .nth = 1, .ends = ENDS(RD(3, PIPE)));
    SNAP(.p = C, .ppid = P.pid, .th = {TH(.nr = SYS_wait4, .a0 = G.pid)}, .nth = 1, .ends = ENDS(WR(1, PIPE)));
    SNAP(.p = G, .ppid = C.pid, .th = {TH(.nr = SYS_clock_nanosleep)}, .nth = 1, .ends = ENDS(WR(1, PIPE)));
    snap_write(MS(3000), ET_SNAP_HANG);
    build();
    assert_none(ET_FK_BLOCKED_ON_HELD_PIPE);
}

/* A copy leaked to another child of the reader, at fd 4. */
static void blocked_on_held_pipe_leaked_copy(void **state)
{
    (void)state;
    p_runs_c_into_a_pipe("echo done");
    ev_child(P, H, MS(1002), "sleep 30", ENDS(RD(3, PIPE), WR(4, PIPE)));
    ev_exit(C, MS(1100), 0);
    SNAP(.p = P, .ppid = LAUNCHER.pid, .th = {TH(.nr = SYS_read, .a0 = 3)}, .nth = 1, .ends = ENDS(RD(3, PIPE)));
    SNAP(.p = H, .ppid = P.pid, .th = {TH(.nr = SYS_clock_nanosleep)}, .nth = 1,
         .ends = ENDS(RD(3, PIPE), WR(4, PIPE)));
    snap_write(MS(3000), ET_SNAP_HANG);
    build();
    const struct et_finding *f = the(ET_FK_BLOCKED_ON_HELD_PIPE);
    assert_procs(f, P, H);
    assert_says(f, "400 (sleep 30), which holds a copy at fd 4 it was not meant to have");
}

/* Two holders: both named. */
static void blocked_on_held_pipe_two_holders(void **state)
{
    (void)state;
    c_leaves_g_holding();
    ev_child(P, H, MS(1002), "sleep 30", ENDS(WR(4, PIPE)));
    SNAP(.p = P, .ppid = LAUNCHER.pid, .th = {TH(.nr = SYS_read, .a0 = 3)}, .nth = 1, .ends = ENDS(RD(3, PIPE)));
    SNAP(.p = G, .ppid = LAUNCHER.pid, .th = {TH(.nr = SYS_clock_nanosleep)}, .nth = 1, .ends = ENDS(WR(1, PIPE)));
    SNAP(.p = H, .ppid = P.pid, .th = {TH(.nr = SYS_pause)}, .nth = 1, .ends = ENDS(WR(4, PIPE)));
    snap_write(MS(3000), ET_SNAP_HANG);
    build();
    const struct et_finding *f = the(ET_FK_BLOCKED_ON_HELD_PIPE);
    /* The reader first, then the holders (in the model's order). */
    assert_int_equal(f->nprocs, 3);
    assert_int_equal(S.a.model.procs[f->procs[0]].pid, P.pid);
    assert_true((S.a.model.procs[f->procs[1]].pid == G.pid && S.a.model.procs[f->procs[2]].pid == H.pid) ||
                (S.a.model.procs[f->procs[1]].pid == H.pid && S.a.model.procs[f->procs[2]].pid == G.pid));
    assert_says(f, "held only by processes it did not give it to: ");
    assert_says(f, "300 (sleep 30), which inherited it (fd 1) from 200 (sh -c sleep_30_&)");
    assert_says(f, "400 (sleep 30), which holds a copy at fd 4 it was not meant to have, and is in pause");
    assert_says(f, "; ");
}

/* The message for one holder reads as English: "held only by a process". */
static void blocked_on_held_pipe_one_holder_wording(void **state)
{
    (void)state;
    c_leaves_g_holding();
    SNAP(.p = P, .ppid = LAUNCHER.pid, .th = {TH(.nr = SYS_read, .a0 = 3)}, .nth = 1, .ends = ENDS(RD(3, PIPE)));
    SNAP(.p = G, .ppid = LAUNCHER.pid, .th = {TH(.nr = SYS_clock_nanosleep)}, .nth = 1, .ends = ENDS(WR(1, PIPE)));
    snap_write(MS(3000), ET_SNAP_HANG);
    build();
    assert_does_not_say(the(ET_FK_BLOCKED_ON_HELD_PIPE), "held only by process it");
}

/* Go and Node wait for a pipe in an event loop: every thread idle in
 * epoll/futex, holding the read end. */
static void blocked_on_held_pipe_idle_event_loop(void **state)
{
    (void)state;
    c_leaves_g_holding();
    SNAP(.p = P, .ppid = LAUNCHER.pid, .comm = "node",
         .th = {TH(.nr = SYS_epoll_wait, .a0 = 5, .a2 = 1024), TH(.tid = 101, .nr = SYS_futex, .a1 = 0x80)}, .nth = 2,
         .ends = ENDS(RD(3, PIPE)));
    SNAP(.p = G, .ppid = LAUNCHER.pid, .th = {TH(.nr = SYS_clock_nanosleep)}, .nth = 1, .ends = ENDS(WR(1, PIPE)));
    snap_write(MS(3000), ET_SNAP_HANG);
    build();
    const struct et_finding *f = the(ET_FK_BLOCKED_ON_HELD_PIPE);
    assert_procs(f, P, G);
    assert_says(f, "is idle in epoll_wait, holding the read end and likely waiting for end-of-file on pipe:[4711]");
    assert_says(f, "(likely, not certain");
}

/* Near misses of the idle reader: an event loop's own self-pipe; a loop
 * that is not idle; the child still holding its stdout. */
static void blocked_on_held_pipe_idle_near_misses(void **state)
{
    (void)state;
    p_runs_c_into_a_pipe("sh -c sleep_30_&");
    ev_pipe(P, MS(1004), 5, 6, OTHER_PIPE);
    ev_child(C, G, MS(1050), "sleep 30", ENDS(WR(1, PIPE)));
    /* 1: C alive, holding its stdout; P idle, also holding its self-pipe. */
    SNAP(.p = P, .ppid = LAUNCHER.pid, .th = {TH(.nr = SYS_epoll_wait, .a0 = 7)}, .nth = 1,
         .ends = ENDS(RD(3, PIPE), RD(5, OTHER_PIPE), WR(6, OTHER_PIPE)));
    SNAP(.p = C, .ppid = P.pid, .th = {TH(.nr = SYS_wait4, .a0 = G.pid)}, .nth = 1, .ends = ENDS(WR(1, PIPE)));
    SNAP(.p = G, .ppid = C.pid, .th = {TH(.nr = SYS_clock_nanosleep)}, .nth = 1, .ends = ENDS(WR(1, PIPE)));
    snap_write(MS(1500), ET_SNAP_HANG);
    build();
    assert_none(ET_FK_BLOCKED_ON_HELD_PIPE);
    assert_none(ET_FK_SELF_HELD_PIPE);
}

static void blocked_on_held_pipe_not_when_a_thread_works(void **state)
{
    (void)state;
    c_leaves_g_holding();
    SNAP(.p = P, .ppid = LAUNCHER.pid,
         .th = {TH(.nr = SYS_epoll_wait, .a0 = 5), TH(.tid = 101, .nr = ET_SYSCALL_RUNNING, .state = 'R')}, .nth = 2,
         .ends = ENDS(RD(3, PIPE)));
    SNAP(.p = G, .ppid = LAUNCHER.pid, .th = {TH(.nr = SYS_clock_nanosleep)}, .nth = 1, .ends = ENDS(WR(1, PIPE)));
    snap_write(MS(3000), ET_SNAP_HANG);
    build();
    assert_none(ET_FK_BLOCKED_ON_HELD_PIPE);
}

/* A parent that made a pipe for its child's stdin, holds the write end and
 * waits for the child, which reads its stdin to end-of-file: a cycle.  The
 * parent is the one writer the pipe was made for: it is no stranger that
 * "was not meant to have" it. */
static void child_reading_stdin_from_a_waiting_parent(void **state)
{
    (void)state;
    ev_start(LAUNCHER, 0, MS(100), "exectrace run", ET_ORIGIN_LAUNCHER, NO_ENDS);
    ev_fork(LAUNCHER, MS(150), P.pid);
    ev_start(P, LAUNCHER.pid, MS(200), "python3 app.py", 0, NO_ENDS);
    ev_pipe(P, MS(1000), 3, 4, PIPE);
    ev_child(P, C, MS(1001), "sort", ENDS(RD(0, PIPE)));
    ev_close(P, MS(1003), RD(3, PIPE));
    ev_wait_enter(P, 0, MS(1010), C.pid);
    SNAP(.p = P, .ppid = LAUNCHER.pid, .th = {TH(.nr = SYS_wait4, .a0 = C.pid)}, .nth = 1, .ends = ENDS(WR(4, PIPE)));
    SNAP(.p = C, .ppid = P.pid, .comm = "sort", .th = {TH(.nr = SYS_read, .a0 = 0)}, .nth = 1,
         .ends = ENDS(RD(0, PIPE)));
    snap_write(MS(5000), ET_SNAP_HANG);
    build();
    dump_findings();
    for (size_t i = 0; i < S.a.findings.n; i++) {
        const struct et_finding *f = &S.a.findings.v[i];
        assert_does_not_say(f, "it was not meant to have");
        assert_does_not_say(f, "it did not give it to");
    }
    /* The wait chain names each process once, not round the cycle. */
    if (count_kind(ET_FK_STUCK_WAIT)) {
        const struct et_finding *f = the(ET_FK_STUCK_WAIT);
        const char *first = strstr(f->message, "200 (sort)");
        assert_non_null(first);
        if (strstr(first + 1, "200 (sort)"))
            fail_msg("the stuck-wait chain goes round the cycle: %s", f->message);
    }
}

/* ---- self-held-pipe --------------------------------------------------------------------------------- */

static void self_held_pipe_found(void **state)
{
    (void)state;
    ev_start(P, 1, MS(200), "capture", 0, NO_ENDS);
    ev_pipe(P, MS(1000), 3, 4, PIPE);
    ev_child(P, C, MS(1001), "echo hello", ENDS(WR(1, PIPE)));
    ev_exit(C, MS(1010), 0);
    SNAP(.p = P, .ppid = 1, .th = {TH(.nr = SYS_read, .a0 = 3)}, .nth = 1, .ends = ENDS(RD(3, PIPE), WR(4, PIPE)));
    SNAP(.p = C, .ppid = P.pid, .state = 'Z', .th = {TH(.nr = ET_SYSCALL_RUNNING)}, .nth = 1);
    snap_write(MS(3000), ET_SNAP_HANG);
    build();
    const struct et_finding *f = the(ET_FK_SELF_HELD_PIPE);
    assert_int_equal(f->severity, ET_SEV_ERROR);
    assert_procs(f, P);
    assert_says(f, "100 (capture) is blocked reading pipe:[4711] (fd 3) whose write end it holds itself (fd 4): the "
                   "read can never see end-of-file");
    assert_true(has_evidence(f, ET_REC_PIPE));
    assert_none(ET_FK_BLOCKED_ON_HELD_PIPE);
    assert_none(ET_FK_ZOMBIE); /* C: P cannot reap while it reads */
}

/* Near misses: an idle event loop with its own self-pipe; a reader of a
 * pipe whose write end only another process holds. */
static void near_miss_self_held_pipe_cases(void **state)
{
    (void)state;
    ev_start(P, 1, MS(200), "loop", 0, NO_ENDS);
    ev_pipe(P, MS(1000), 3, 4, PIPE);
    SNAP(.p = P, .ppid = 1, .th = {TH(.nr = SYS_epoll_pwait, .a0 = 5)}, .nth = 1,
         .ends = ENDS(RD(3, PIPE), WR(4, PIPE)));
    snap_write(MS(3000), ET_SNAP_HANG);
    build();
    assert_no_findings();
}

/* ---- stuck-wait ----------------------------------------------------------------------------------------- */

/* P waits for C, C waits for G, G is in flock(). */
static void wait_chain(uint64_t p_wait_since, bool g_blocked)
{
    ev_start(P, 1, MS(200), "make all", 0, NO_ENDS);
    ev_child(P, C, MS(900), "sh -c step", NO_ENDS);
    ev_child(C, G, MS(950), "flock . true", NO_ENDS);
    ev_wait_enter(P, 0, p_wait_since, C.pid);
    ev_wait_enter(C, 0, MS(1500), G.pid);
    SNAP(.p = P, .ppid = 1, .th = {TH(.nr = SYS_wait4, .a0 = C.pid)}, .nth = 1);
    SNAP(.p = C, .ppid = P.pid, .th = {TH(.nr = SYS_wait4, .a0 = (uint32_t)-1)}, .nth = 1);
    if (g_blocked)
        SNAP(.p = G, .ppid = C.pid, .th = {TH(.nr = SYS_flock, .a0 = 3, .a1 = 2)}, .nth = 1);
    else
        SNAP(.p = G, .ppid = C.pid, .state = 'R', .th = {TH(.nr = ET_SYSCALL_RUNNING)}, .nth = 1);
    snap_write(MS(5000), ET_SNAP_HANG);
}

static const struct et_finding *stuck_wait_of(struct pr waiter)
{
    for (size_t i = 0; i < S.a.findings.n; i++) {
        const struct et_finding *f = &S.a.findings.v[i];
        if (f->kind == ET_FK_STUCK_WAIT && f->nprocs && S.a.model.procs[f->procs[0]].pid == waiter.pid)
            return f;
    }
    dump_findings();
    fail_msg("no stuck-wait finding for %u", waiter.pid);
    return NULL;
}

static void stuck_wait_found_with_its_chain(void **state)
{
    (void)state;
    wait_chain(MS(1000), true);
    build();
    /* One finding per chain, for its outermost waiter: the inner wait is
     * part of the chain it shows. */
    assert_int_equal(count_kind(ET_FK_STUCK_WAIT), 1);
    const struct et_finding *f = stuck_wait_of(P);
    assert_int_equal(f->severity, ET_SEV_WARNING);
    assert_procs(f, P, C);
    assert_says(f, "100 (make all) has been in wait4(200) for 4.0 s, since +1.000000, on a child that is itself "
                   "stuck: 200 (sh -c step) (state S, in wait4(-1)) -> 300 (flock . true) (state S, in flock)");
    assert_true(has_evidence(f, ET_REC_WAIT_ENTER));
}

/* Near miss: P's wait began 0.5 s before the snapshot (under
 * --stuck-ms 1000); C's is reported alone. */
/* The snapshot was taken because the run was declared hung: a wait on a
 * stuck child is reported however recently it began. */
static void stuck_wait_has_no_duration_threshold_at_a_hang(void **state)
{
    (void)state;
    wait_chain(MS(4500), true);
    build();
    assert_int_equal(count_kind(ET_FK_STUCK_WAIT), 1);
    const struct et_finding *f = stuck_wait_of(P);
    assert_procs(f, P, C);
    assert_says(f, "for 500 ms, since +4.500000");
}

/* Near miss: the chain ends at a process that is running: it is working,
 * not stuck. */
static void near_miss_stuck_wait_the_child_runs(void **state)
{
    (void)state;
    wait_chain(MS(1000), false);
    build();
    /* C's child runs: C is not stuck; so neither is P. */
    assert_none(ET_FK_STUCK_WAIT);
}

/* A waiter the trace knows nothing of (a static program): how long is
 * unknown, and it says so. */
static void stuck_wait_untraced_waiter(void **state)
{
    (void)state;
    ev_start(C, P.pid, MS(950), "sh -c step", ET_ORIGIN_EXEC, NO_ENDS);
    SNAP(.p = P, .ppid = 1, .comm = "gobuild", .th = {TH(.nr = SYS_waitid, .a0 = P_PID, .a1 = C.pid)}, .nth = 1);
    SNAP(.p = C, .ppid = P.pid, .th = {TH(.nr = SYS_flock, .a0 = 3)}, .nth = 1);
    snap_write(MS(5000), ET_SNAP_HANG);
    build();
    const struct et_finding *f = the(ET_FK_STUCK_WAIT);
    assert_procs(f, P, C);
    assert_says(f, "100 (gobuild) has been in waitid(P_PID, 200) since before the snapshot (it is not traced: how "
                   "long is unknown)");
}

/* `exectrace report` after `run --kill-after-report`: the tree was killed
 * and reaped after the snapshot.  The rules must judge the snapshot with
 * what was known at its time: the wait P was in, the pipe it made. */
static void hang_rules_judge_the_snapshot_at_its_time(void **state)
{
    (void)state;
    wait_chain(MS(1000), true);
    ev_reaped(LAUNCHER, MS(5010), P, SIGKILL, ET_REAPED_COMMAND);
    ev_reaped(LAUNCHER, MS(5011), C, SIGKILL, ET_REAPED_ORPHAN);
    ev_reaped(LAUNCHER, MS(5012), G, SIGKILL, ET_REAPED_ORPHAN);
    build();
    const struct et_finding *f = stuck_wait_of(P);
    assert_says(f, "for 4.0 s, since +1.000000");
    assert_does_not_say(f, "it is not traced");
}

static void pipe_deadlock_judged_at_the_snapshot_time(void **state)
{
    (void)state;
    deadlock_case(SYS_wait4, C.pid, 0);
    ev_reaped(LAUNCHER, MS(3010), P, SIGKILL, ET_REAPED_COMMAND);
    ev_reaped(LAUNCHER, MS(3011), C, SIGKILL, ET_REAPED_ORPHAN);
    build();
    const struct et_finding *f = the(ET_FK_PIPE_DEADLOCK);
    if (!has_evidence(f, ET_REC_PIPE) || !has_evidence(f, ET_REC_WAIT_ENTER))
        fail_msg("once the processes were reaped after the snapshot, pipe-deadlock lost its evidence (pipe: %d, "
                 "wait: %d)",
                 has_evidence(f, ET_REC_PIPE), has_evidence(f, ET_REC_WAIT_ENTER));
}

/* ---- a zombie at the snapshot ----------------------------------------------------------------------------- */

static void live_zombie_found(void **state)
{
    (void)state;
    ev_start(P, 1, MS(200), "server", 0, NO_ENDS);
    ev_child(P, C, MS(500), "job", NO_ENDS);
    ev_exit(C, MS(1000), 0);
    SNAP(.p = P, .ppid = 1, .th = {TH(.nr = SYS_accept4, .a0 = 3)}, .nth = 1);
    SNAP(.p = C, .ppid = P.pid, .state = 'Z', .th = {TH(.nr = ET_SYSCALL_RUNNING)}, .nth = 1);
    snap_write(MS(5000), ET_SNAP_REQUESTED);
    build();
    /* Once: the trace's own rule already tells it (a zombie for 4.0 s, to
     * the end of the trace), so the snapshot's does not repeat it. */
    const struct et_finding *f = the(ET_FK_ZOMBIE);
    assert_int_equal(f->severity, ET_SEV_WARNING);
    assert_procs(f, C, P);
    assert_says(f, "200 (job) exited at +1.000000");
    assert_says(f, "4.0 s");
}

/* Known only from the snapshot: since when is not known. */
static void live_zombie_untraced(void **state)
{
    (void)state;
    ev_start(P, 1, MS(200), "server", 0, NO_ENDS);
    SNAP(.p = P, .ppid = 1, .th = {TH(.nr = SYS_accept4, .a0 = 3)}, .nth = 1);
    SNAP(.p = C, .ppid = P.pid, .state = 'Z', .comm = "job", .th = {TH(.nr = ET_SYSCALL_RUNNING)}, .nth = 1);
    snap_write(MS(5000), ET_SNAP_REQUESTED);
    build();
    const struct et_finding *f = the(ET_FK_ZOMBIE);
    assert_procs(f, C, P);
    assert_says(f, "(since when is not recorded)");
}

/* Near miss: the child exited 10 ms before the snapshot, its parent about
 * to reap it: a reap can take that long on a busy machine. */
static void live_zombie_not_for_a_fresh_exit(void **state)
{
    (void)state;
    ev_start(P, 1, MS(200), "server", 0, NO_ENDS);
    ev_child(P, C, MS(500), "job", NO_ENDS);
    ev_exit(C, MS(4990), 0);
    SNAP(.p = P, .ppid = 1, .state = 'R', .th = {TH(.nr = ET_SYSCALL_RUNNING)}, .nth = 1);
    SNAP(.p = C, .ppid = P.pid, .state = 'Z', .th = {TH(.nr = ET_SYSCALL_RUNNING)}, .nth = 1);
    snap_write(MS(5000), ET_SNAP_HANG);
    build();
    assert_none(ET_FK_ZOMBIE);
}

/* Near miss: on Ctrl-C the snapshot sees processes the same SIGINT just
 * killed, not yet reaped by exectrace (their parent), their children
 * orphaned to it.  No zombie to report, and no absurd durations. */
static void live_zombie_not_for_what_the_interrupt_killed(void **state)
{
    (void)state;
    ev_start(LAUNCHER, 0, MS(100), "exectrace run", ET_ORIGIN_LAUNCHER, NO_ENDS);
    ev_fork(LAUNCHER, MS(150), P.pid);
    ev_start(P, LAUNCHER.pid, MS(200), "capture", 0, NO_ENDS);
    ev_pipe(P, MS(1000), 3, 4, PIPE);
    ev_child(P, C, MS(1001), "echo hello", ENDS(WR(1, PIPE)));
    ev_exit(C, MS(1010), 0);
    /* SIGINT at 4000: P is dead before the snapshot; C was its zombie. */
    SNAP(.p = P, .ppid = LAUNCHER.pid, .state = 'Z', .th = {TH(.nr = ET_SYSCALL_RUNNING)}, .nth = 1);
    SNAP(.p = C, .ppid = LAUNCHER.pid, .state = 'Z', .th = {TH(.nr = ET_SYSCALL_RUNNING)}, .nth = 1);
    snap_write(MS(4000), ET_SNAP_INTERRUPT);
    ev_reaped(LAUNCHER, MS(4001), P, SIGINT, ET_REAPED_COMMAND);
    ev_reaped(LAUNCHER, MS(4002), C, 0, ET_REAPED_ORPHAN);
    build();
    for (size_t i = 0; i < S.a.findings.n; i++)
        assert_does_not_say(&S.a.findings.v[i], "18446744073");
    if (count_kind(ET_FK_ZOMBIE)) {
        dump_findings();
        fail_msg("processes killed by the interrupt, or orphaned to exectrace, are reported as zombies");
    }
}

/* A parent idle in pause() for 300 ms since its child exited is not going
 * to reap it: reported from the snapshot, though the trace's own rule
 * (--zombie-ms, 1 s) has not spoken yet. */
static void live_zombie_whose_parent_is_not_reaping(void **state)
{
    (void)state;
    ev_start(P, 1, MS(200), "server", 0, NO_ENDS);
    ev_child(P, C, MS(500), "job", NO_ENDS);
    ev_exit(C, MS(4700), 0);
    SNAP(.p = P, .ppid = 1, .th = {TH(.nr = SYS_pause)}, .nth = 1);
    SNAP(.p = C, .ppid = P.pid, .state = 'Z', .th = {TH(.nr = ET_SYSCALL_RUNNING)}, .nth = 1);
    snap_write(MS(5000), ET_SNAP_HANG);
    build();
    const struct et_finding *f = the(ET_FK_ZOMBIE);
    assert_procs(f, C, P);
    assert_says(f, "is a zombie at the snapshot for 300 ms");
}

/* Near miss: its parent is blocked in a wait that takes it: reaped next. */
static void near_miss_zombie_live_its_parent_waits_for_it(void **state)
{
    (void)state;
    ev_start(P, 1, MS(200), "server", 0, NO_ENDS);
    ev_child(P, C, MS(500), "job", NO_ENDS);
    ev_exit(C, MS(4700), 0);
    SNAP(.p = P, .ppid = 1, .th = {TH(.nr = SYS_wait4, .a0 = (uint32_t)-1)}, .nth = 1);
    SNAP(.p = C, .ppid = P.pid, .state = 'Z', .th = {TH(.nr = ET_SYSCALL_RUNNING)}, .nth = 1);
    snap_write(MS(5000), ET_SNAP_HANG);
    build();
    assert_none(ET_FK_ZOMBIE);
}

/* Near miss: already reported from the trace: once only. */
static void live_zombie_not_twice(void **state)
{
    (void)state;
    ev_start(P, 1, MS(200), "server", 0, NO_ENDS);
    ev_child(P, C, MS(500), "job", NO_ENDS);
    ev_exit(C, MS(1000), 0);
    SNAP(.p = P, .ppid = 1, .th = {TH(.nr = SYS_accept4, .a0 = 3)}, .nth = 1);
    SNAP(.p = C, .ppid = P.pid, .state = 'Z', .th = {TH(.nr = ET_SYSCALL_RUNNING)}, .nth = 1);
    snap_write(MS(5000), ET_SNAP_REQUESTED);
    /* The parent reaps it at last, 5 s after its exit. */
    struct et_wait_return b = {.kind = ET_WAIT_WAITPID, .result = (int32_t)C.pid, .status = 0};
    ev_wait_enter(P, 0, MS(6000), C.pid);
    emit(P, 0, ET_REC_WAIT_RETURN, MS(6000), 0, &b, sizeof(b));
    build();
    assert_int_equal(count_kind(ET_FK_ZOMBIE), 1);
}

/* ---- the records themselves ------------------------------------------------------------------------------ */

/* et_live_write then the reader: what was read from /proc comes back. */
static void snapshot_record_round_trip(void **state)
{
    (void)state;
    fake_proc(100, "reader", 'S', 1);
    fake_thread(100, 100, 'S', "0 0x3 0x7ffd 0x1000 0x0 0x0 0x0 0x7ffd 0x7f3a\n", "anon_pipe_read");
    fake_thread(100, 105, 'S', "202 0x7f 0x80 0x0 0x0 0x0 0x0 0x1 0x2\n", "futex_wait_queue");
    fake_fd(100, 3, "pipe:[4711]", "00");
    fake_fd(100, 4, "pipe:[4711]", "02000001");
    struct et_live_tree tree = {calloc(1, sizeof(struct et_live_proc)), 1};
    assert_non_null(tree.procs);
    assert_int_equal(et_live_read_proc(proc_root, 100, &tree.procs[0]), 0);
    uint32_t id = et_live_next_snapshot_id(&S.snap_writer);
    assert_int_equal(id, 1);
    assert_int_equal(et_live_write(&S.snap_writer, id, ET_SNAP_REQUESTED, MS(2000), &tree), 1);
    assert_int_equal(et_live_next_snapshot_id(&S.snap_writer), 2);
    et_live_tree_free(&tree);

    build();
    const struct et_proc *p = NULL;
    for (size_t i = 0; i < S.a.model.nprocs; i++)
        if (S.a.model.procs[i].pid == 100)
            p = &S.a.model.procs[i];
    assert_non_null(p);
    assert_int_equal(p->start_time, 10001);
    assert_non_null(p->snap);
    assert_string_equal(et_proc_command(p), "reader");
    const struct et_snapshot *b = et_body(p->snap);
    assert_int_equal(b->snapshot, 1);
    assert_int_equal(b->reason, ET_SNAP_REQUESTED);
    assert_int_equal(b->state, 'S');
    assert_int_equal(b->thread_count, 2);
    assert_int_equal(b->pipe_count, 2);
    struct et_tail tail = et_tail_of(p->snap);
    const struct et_snapshot_thread *th = et_tail_array(&tail, b->thread_count, sizeof(*th));
    const struct et_pipe_end *pipes = et_tail_array(&tail, b->pipe_count, sizeof(*pipes));
    assert_non_null(th);
    assert_non_null(pipes);
    bool saw_read = false, saw_futex = false;
    for (unsigned k = 0; k < 2; k++) {
        saw_read = saw_read || (th[k].tid == 100 && th[k].syscall == SYS_read && th[k].args[0] == 3);
        saw_futex = saw_futex || (th[k].tid == 105 && th[k].syscall == SYS_futex && th[k].args[1] == 0x80);
    }
    assert_true(saw_read && saw_futex);
    const char *comm;
    uint16_t len;
    assert_true(et_tail_str(&tail, &comm, &len));
    assert_int_equal(len, 6);
    assert_memory_equal(comm, "reader", 6);
    for (unsigned k = 0; k < 2; k++) {
        const char *w;
        uint16_t wl;
        assert_true(et_tail_str(&tail, &w, &wl));
        assert_true((wl == 14 && memcmp(w, "anon_pipe_read", 14) == 0) ||
                    (wl == 16 && memcmp(w, "futex_wait_queue", 16) == 0));
    }
}

#define PROC_TEST(name) cmocka_unit_test_setup_teardown(name, proc_setup, proc_teardown)
#define SIM_TEST(name) cmocka_unit_test_setup_teardown(name, sim_setup, sim_teardown)

static int both_setup(void **state)
{
    proc_setup(state);
    return sim_setup(state);
}

static int both_teardown(void **state)
{
    sim_teardown(state);
    return proc_teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_syscall_running),
        cmocka_unit_test(parse_syscall_blocked_outside_a_call),
        cmocka_unit_test(parse_syscall_in_a_call),
        cmocka_unit_test(parse_syscall_garbage),
        PROC_TEST(read_proc_threads_and_pipes),
        PROC_TEST(read_proc_zombie),
        PROC_TEST(read_proc_missing_parts),
        PROC_TEST(read_proc_gone_or_damaged),
        PROC_TEST(read_proc_truncates_and_says_so),
        PROC_TEST(read_tree_descendants_parents_first),
        PROC_TEST(read_tree_ppid_loops_end),
        PROC_TEST(read_tree_skips_a_process_that_vanishes),
        PROC_TEST(read_tree_without_proc),
        cmocka_unit_test(read_tree_on_the_real_proc),
        SIM_TEST(pipe_deadlock_found),
        SIM_TEST(pipe_deadlock_wait_for_any_child),
        SIM_TEST(pipe_deadlock_waitid),
        SIM_TEST(pipe_deadlock_not_when_waiting_for_another_child),
        SIM_TEST(pipe_deadlock_not_when_a_thread_reads),
        SIM_TEST(near_miss_pipe_deadlock_the_reader_polls),
        SIM_TEST(pipe_deadlock_not_for_a_write_to_a_non_pipe),
        SIM_TEST(only_the_latest_snapshot_counts),
        SIM_TEST(blocked_on_held_pipe_found),
        SIM_TEST(near_miss_blocked_on_held_pipe_while_the_child_holds_it),
        SIM_TEST(blocked_on_held_pipe_leaked_copy),
        SIM_TEST(blocked_on_held_pipe_two_holders),
        SIM_TEST(blocked_on_held_pipe_one_holder_wording),
        SIM_TEST(blocked_on_held_pipe_idle_event_loop),
        SIM_TEST(blocked_on_held_pipe_idle_near_misses),
        SIM_TEST(blocked_on_held_pipe_not_when_a_thread_works),
        SIM_TEST(child_reading_stdin_from_a_waiting_parent),
        SIM_TEST(self_held_pipe_found),
        SIM_TEST(near_miss_self_held_pipe_cases),
        SIM_TEST(stuck_wait_found_with_its_chain),
        SIM_TEST(stuck_wait_has_no_duration_threshold_at_a_hang),
        SIM_TEST(near_miss_stuck_wait_the_child_runs),
        SIM_TEST(stuck_wait_untraced_waiter),
        SIM_TEST(hang_rules_judge_the_snapshot_at_its_time),
        SIM_TEST(pipe_deadlock_judged_at_the_snapshot_time),
        SIM_TEST(live_zombie_found),
        SIM_TEST(live_zombie_untraced),
        SIM_TEST(live_zombie_not_for_a_fresh_exit),
        SIM_TEST(live_zombie_not_for_what_the_interrupt_killed),
        SIM_TEST(live_zombie_not_twice),
        SIM_TEST(live_zombie_whose_parent_is_not_reaping),
        SIM_TEST(near_miss_zombie_live_its_parent_waits_for_it),
        cmocka_unit_test_setup_teardown(snapshot_record_round_trip, both_setup, both_teardown),
    };
    return cmocka_run_group_tests_name("snapshot", tests, NULL, NULL);
}
