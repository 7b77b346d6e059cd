#define _GNU_SOURCE
#include "snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procstat.h"

/* Reads a small file whole; -errno on failure. */
ssize_t et_read_file(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t got = 0;
    while (got + 1 < len) {
        ssize_t n = read(fd, buf + got, len - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = 0;
    return (ssize_t)got;
}

/* "state" and the numbers of a stat file; comm as well when asked for. */
static int read_stat(const char *path, struct et_proc_stat *st, char *comm, size_t comm_len)
{
    char buf[1024];
    ssize_t n = et_read_file(path, buf, sizeof(buf));
    if (n < 0)
        return (int)n;
    if (et_proc_stat_parse(buf, (size_t)n, st) < 0)
        return -EINVAL;
    if (comm) {
        const char *open_paren = strchr(buf, '(');
        const char *close_paren = strrchr(buf, ')');
        comm[0] = 0;
        if (open_paren && close_paren && close_paren > open_paren)
            snprintf(comm, comm_len, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
    }
    return 0;
}

/* A blocking call with a timeout that a signal interrupted goes on as
 * restart_syscall.  Under the ptrace recorder every signal interrupts (even
 * one the program ignores, such as SIGCHLD: the tracer sees it first), so
 * a traced process blocked in poll shows as restart_syscall.  Where it
 * sleeps says which call it was; its arguments are gone. */
static int32_t restarted_call(const char *wchan)
{
    static const struct {
        const char *prefix;
        int32_t nr;
    } by_wchan[] = {{"poll_schedule_timeout", SYS_poll}, {"do_select", SYS_select}, {"core_sys_select", SYS_select},
                    {"do_epoll_wait", SYS_epoll_wait}, {"ep_poll", SYS_epoll_wait}, {"futex", SYS_futex},
                    {"hrtimer_nanosleep", SYS_clock_nanosleep}, {"do_nanosleep", SYS_clock_nanosleep}};
    for (size_t i = 0; i < sizeof(by_wchan) / sizeof(by_wchan[0]); i++)
        if (!strncmp(wchan, by_wchan[i].prefix, strlen(by_wchan[i].prefix)))
            return by_wchan[i].nr;
    return SYS_restart_syscall;
}

bool et_live_parse_syscall(const char *text, struct et_live_thread *t)
{
    t->syscall = ET_SYSCALL_UNKNOWN;
    memset(t->args, 0, sizeof(t->args));
    if (strncmp(text, "running", 7) == 0) {
        t->syscall = ET_SYSCALL_RUNNING;
        return true;
    }
    char *end;
    errno = 0;
    long nr = strtol(text, &end, 10);
    if (errno || end == text)
        return false;
    if (nr < 0) {
        /* Blocked, but not in a system call (a page fault, say). */
        t->syscall = ET_SYSCALL_RUNNING;
        return true;
    }
    t->syscall = (int32_t)nr;
    const char *p = end;
    for (int i = 0; i < 3; i++) {
        errno = 0;
        unsigned long long v = strtoull(p, &end, 16);
        if (errno || end == p)
            return false;
        t->args[i] = v;
        p = end;
    }
    return true;
}

static int read_threads(const char *proc_root, struct et_live_proc *p)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%d/task", proc_root, p->pid);
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long tid = strtol(e->d_name, &end, 10);
        if (*end || tid <= 0)
            continue;
        if (p->nthreads == ET_SNAP_MAX_THREADS) {
            p->flags |= ET_SNAP_THREADS_TRUNCATED;
            break;
        }
        struct et_live_thread *v = realloc(p->threads, (p->nthreads + 1) * sizeof(*v));
        if (!v) {
            closedir(d);
            return -ENOMEM;
        }
        p->threads = v;
        struct et_live_thread *t = &p->threads[p->nthreads++];
        memset(t, 0, sizeof(*t));
        t->tid = (int32_t)tid;
        t->syscall = ET_SYSCALL_UNKNOWN;
        struct et_proc_stat st;
        snprintf(path, sizeof(path), "%s/%d/task/%ld/stat", proc_root, p->pid, tid);
        t->state = read_stat(path, &st, NULL, 0) == 0 ? st.state : '?';
        char buf[512];
        snprintf(path, sizeof(path), "%s/%d/task/%ld/syscall", proc_root, p->pid, tid);
        if (et_read_file(path, buf, sizeof(buf)) < 0 || !et_live_parse_syscall(buf, t))
            p->flags |= ET_SNAP_NO_SYSCALL;
        snprintf(path, sizeof(path), "%s/%d/task/%ld/wchan", proc_root, p->pid, tid);
        if (et_read_file(path, t->wchan, sizeof(t->wchan)) < 0 || strcmp(t->wchan, "0") == 0)
            t->wchan[0] = 0;
        t->wchan[strcspn(t->wchan, "\n")] = 0;
        if (t->syscall == SYS_restart_syscall)
            t->syscall = restarted_call(t->wchan);
    }
    closedir(d);
    return 0;
}

bool et_live_fd_pipe_end(const char *proc_root, int32_t pid, int32_t fd, struct et_pipe_end *out)
{
    char path[512];
    char link[256];
    snprintf(path, sizeof(path), "%s/%d/fd/%d", proc_root, pid, fd);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    if (n <= 0)
        return false;
    link[n] = 0;
    uint64_t inode = 0;
    uint32_t kind = 0;
    if (sscanf(link, "pipe:[%" SCNu64 "]", &inode) != 1) {
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISFIFO(st.st_mode))
            return false;
        inode = (uint64_t)st.st_ino;
        kind = ET_PIPE_FIFO;
    }
    /* fdinfo "flags:" is octal: the access mode and O_CLOEXEC. */
    char info[512];
    snprintf(path, sizeof(path), "%s/%d/fdinfo/%d", proc_root, pid, fd);
    const char *f = et_read_file(path, info, sizeof(info)) > 0 ? strstr(info, "flags:") : NULL;
    if (f) {
        /* No fdinfo, no mode: neither end is claimed rather than a
         * guess that could make a false finding. */
        unsigned long flags = strtoul(f + 6, NULL, 8);
        int mode = (int)(flags & O_ACCMODE);
        kind |= (mode == O_RDONLY || mode == O_RDWR) ? ET_PIPE_READ : 0;
        kind |= (mode == O_WRONLY || mode == O_RDWR) ? ET_PIPE_WRITE : 0;
        kind |= (flags & O_CLOEXEC) ? ET_PIPE_CLOEXEC : 0;
    }
    *out = (struct et_pipe_end){fd, kind, inode};
    return true;
}

/* The pipe ends among a process's fds. */
static int read_pipes(const char *proc_root, struct et_live_proc *p)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%d/fd", proc_root, p->pid);
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end || fd < 0 || fd > INT32_MAX || e->d_name[0] == 0)
            continue;
        struct et_pipe_end pe;
        if (!et_live_fd_pipe_end(proc_root, p->pid, (int32_t)fd, &pe))
            continue;
        if (p->npipes == ET_MAX_PIPE_ENDS) {
            p->flags |= ET_SNAP_PIPES_TRUNCATED;
            break;
        }
        struct et_pipe_end *v = realloc(p->pipes, (p->npipes + 1) * sizeof(*v));
        if (!v) {
            closedir(d);
            return -ENOMEM;
        }
        p->pipes = v;
        p->pipes[p->npipes++] = pe;
    }
    closedir(d);
    return 0;
}

int et_live_read_proc(const char *proc_root, int32_t pid, struct et_live_proc *out)
{
    memset(out, 0, sizeof(*out));
    out->pid = pid;
    char path[512];
    snprintf(path, sizeof(path), "%s/%d/stat", proc_root, pid);
    struct et_proc_stat st;
    int ret = read_stat(path, &st, out->comm, sizeof(out->comm));
    if (ret < 0)
        return ret;
    out->start_time = st.start_time;
    out->ppid = st.ppid;
    out->pgid = st.pgid;
    out->sid = st.sid;
    out->state = st.state;
    if (read_threads(proc_root, out) == -ENOMEM || (out->state != 'Z' && read_pipes(proc_root, out) == -ENOMEM)) {
        et_live_proc_free(out);
        return -ENOMEM;
    }
    /* A zombie has no fds and no threads to speak of. */
    if (out->state != 'Z' && !out->npipes) {
        snprintf(path, sizeof(path), "%s/%d/fd", proc_root, pid);
        if (access(path, R_OK) < 0)
            out->flags |= ET_SNAP_NO_FDS;
    }
    return 0;
}

void et_live_proc_free(struct et_live_proc *p)
{
    free(p->threads);
    free(p->pipes);
    free(p->exe);
    free(p->cmdline);
    p->threads = NULL;
    p->pipes = NULL;
    p->exe = NULL;
    p->cmdline = NULL;
}

int et_live_read_command(const char *proc_root, struct et_live_proc *p)
{
    char path[512];
    char buf[ET_MAX_ARGV_BYTES + 1];
    snprintf(path, sizeof(path), "%s/%d/cmdline", proc_root, p->pid);
    ssize_t n = et_read_file(path, buf, sizeof(buf));
    if (n < 0)
        return (int)n;
    p->cmdline = malloc((size_t)n + 1);
    if (!p->cmdline)
        return -ENOMEM;
    memcpy(p->cmdline, buf, (size_t)n + 1);
    p->cmdline_len = (size_t)n;
    snprintf(path, sizeof(path), "%s/%d/exe", proc_root, p->pid);
    n = readlink(path, buf, ET_MAX_PATH_BYTES);
    p->exe = strndup(n > 0 ? buf : "", n > 0 ? (size_t)n : 0);
    return p->exe ? 0 : -ENOMEM;
}

/* The strings of a NUL-separated command line, as an argv; their count. */
static size_t split_cmdline(const struct et_live_proc *p, char **argv, size_t max)
{
    size_t n = 0;
    for (size_t at = 0; p->cmdline && at < p->cmdline_len && n < max; at += strlen(p->cmdline + at) + 1)
        argv[n++] = p->cmdline + at;
    argv[n] = NULL;
    return n;
}

struct pid_ppid {
    int32_t pid;
    int32_t ppid;
};

int et_live_read_tree(const char *proc_root, int32_t root, struct et_live_tree *out)
{
    out->procs = NULL;
    out->n = 0;
    DIR *d = opendir(proc_root);
    if (!d)
        return -errno;
    struct pid_ppid *all = NULL;
    size_t nall = 0, cap = 0;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        struct et_proc_stat st;
        snprintf(path, sizeof(path), "%s/%ld/stat", proc_root, pid);
        if (read_stat(path, &st, NULL, 0) < 0)
            continue;
        if (nall == cap) {
            cap = cap ? cap * 2 : 256;
            struct pid_ppid *v = realloc(all, cap * sizeof(*v));
            if (!v) {
                free(all);
                closedir(d);
                return -ENOMEM;
            }
            all = v;
        }
        all[nall++] = (struct pid_ppid){(int32_t)pid, (int32_t)st.ppid};
    }
    closedir(d);

    /* Breadth first from root: parents come before their children. */
    int32_t *queue = malloc((nall + 1) * sizeof(*queue));
    if (!queue) {
        free(all);
        return -ENOMEM;
    }
    size_t head = 0, tail = 0;
    queue[tail++] = root;
    int ret = 0;
    while (head < tail) {
        int32_t parent = queue[head++];
        for (size_t i = 0; i < nall; i++) {
            if (all[i].ppid != parent || all[i].pid == root)
                continue;
            queue[tail++] = all[i].pid;
            all[i].ppid = -1; /* taken: a damaged /proc copy cannot loop */
            struct et_live_proc *v = realloc(out->procs, (out->n + 1) * sizeof(*v));
            if (!v) {
                ret = -ENOMEM;
                goto done;
            }
            out->procs = v;
            int r = et_live_read_proc(proc_root, all[i].pid, &out->procs[out->n]);
            if (r == 0)
                out->n++;
            else if (r == -ENOMEM) {
                ret = r;
                goto done;
            }
            /* Anything else: it ended while we looked. */
        }
    }
done:
    free(queue);
    free(all);
    if (ret < 0)
        et_live_tree_free(out);
    return ret;
}

void et_live_tree_free(struct et_live_tree *t)
{
    for (size_t i = 0; i < t->n; i++)
        et_live_proc_free(&t->procs[i]);
    free(t->procs);
    t->procs = NULL;
    t->n = 0;
}

uint32_t et_live_next_snapshot_id(struct et_writer *w)
{
    return __atomic_add_fetch(&w->hdr->snapshots, 1, __ATOMIC_RELAXED);
}

size_t et_live_write(struct et_writer *w, uint32_t snapshot, uint16_t reason, uint64_t ts,
                     const struct et_live_tree *tree)
{
    size_t written = 0;
    char *argv[ET_MAX_ARGV_STRINGS + 2];
    for (size_t i = 0; i < tree->n; i++) {
        const struct et_live_proc *p = &tree->procs[i];
        bool truncated = false, exe_truncated = false;
        uint32_t comm_bytes = et_put_str(NULL, p->comm, sizeof(p->comm), &truncated);
        uint32_t wchan_bytes = 0;
        for (uint32_t k = 0; k < p->nthreads; k++)
            wchan_bytes += et_put_str(NULL, p->threads[k].wchan, sizeof(p->threads[k].wchan), &truncated);
        /* A checkpoint's command line: its exe, then argv. */
        bool with_command = p->cmdline != NULL;
        struct et_argv_summary args = {0, 0, false};
        uint32_t command_bytes = 0;
        if (with_command) {
            split_cmdline(p, argv, ET_MAX_ARGV_STRINGS + 1);
            command_bytes = et_put_str(NULL, p->exe, ET_MAX_PATH_BYTES, &exe_truncated) + et_put_argv(NULL, argv, &args);
        }
        uint32_t size = (uint32_t)(sizeof(struct et_snapshot) + p->nthreads * sizeof(struct et_snapshot_thread) +
                                   p->npipes * sizeof(struct et_pipe_end)) +
                        comm_bytes + wchan_bytes + command_bytes;
        struct et_identity id = {(uint32_t)p->pid, 0, p->start_time};
        struct et_record *r = et_record_reserve(w, ET_REC_SNAPSHOT, size, &id, ts, 0);
        if (!r)
            continue;
        struct et_snapshot *b = et_record_body(r);
        memset(b, 0, sizeof(*b));
        b->snapshot = snapshot;
        b->reason = reason;
        b->flags = p->flags | (with_command ? ET_SNAP_HAS_COMMAND : 0) | (args.truncated ? ET_SNAP_ARGV_TRUNCATED : 0);
        b->ppid = p->ppid;
        b->pgid = p->pgid;
        b->sid = p->sid;
        b->thread_count = (uint16_t)p->nthreads;
        b->pipe_count = (uint16_t)p->npipes;
        b->state = (uint8_t)p->state;
        b->argv_count = args.count;
        uint8_t *tail = (uint8_t *)(b + 1);
        for (uint32_t k = 0; k < p->nthreads; k++) {
            struct et_snapshot_thread t = {.tid = p->threads[k].tid,
                                           .syscall = p->threads[k].syscall,
                                           .state = (uint8_t)p->threads[k].state};
            memcpy(t.args, p->threads[k].args, sizeof(t.args));
            memcpy(tail, &t, sizeof(t));
            tail += sizeof(t);
        }
        if (p->npipes)
            memcpy(tail, p->pipes, p->npipes * sizeof(struct et_pipe_end));
        tail += p->npipes * sizeof(struct et_pipe_end);
        tail += et_put_str(tail, p->comm, sizeof(p->comm), &truncated);
        for (uint32_t k = 0; k < p->nthreads; k++)
            tail += et_put_str(tail, p->threads[k].wchan, sizeof(p->threads[k].wchan), &truncated);
        if (with_command) {
            tail += et_put_str(tail, p->exe, ET_MAX_PATH_BYTES, &exe_truncated);
            et_put_argv(tail, argv, &args);
        }
        et_commit(w, r);
        written++;
    }
    return written;
}

uint32_t et_take_snapshot(struct et_writer *w, const char *proc_root, int32_t root, uint16_t reason,
                          size_t *nprocs)
{
    *nprocs = 0;
    struct et_live_tree tree;
    if (et_live_read_tree(proc_root, root, &tree) < 0)
        return 0;
    uint64_t ts = et_now_ns();
    uint32_t id = et_live_next_snapshot_id(w);
    *nprocs = et_live_write(w, id, reason, ts, &tree);
    et_live_tree_free(&tree);
    return id;
}

int et_take_checkpoint(struct et_writer *w, const char *proc_root, int32_t root, int32_t command_pid)
{
    struct et_live_tree tree;
    int ret = et_live_read_tree(proc_root, root, &tree);
    if (ret < 0)
        return ret;
    for (size_t i = 0; i < tree.n; i++) {
        /* One that ended meanwhile is restated without its command line. */
        if (et_live_read_command(proc_root, &tree.procs[i]) == -ENOMEM) {
            et_live_tree_free(&tree);
            return -ENOMEM;
        }
        if (tree.procs[i].pid == command_pid)
            tree.procs[i].flags |= ET_SNAP_COMMAND_PROC;
    }
    size_t n = et_live_write(w, 0, ET_SNAP_CHECKPOINT, et_now_ns(), &tree);
    et_live_tree_free(&tree);
    return (int)n;
}
