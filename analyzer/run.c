/*
 * `exectrace run`: runs a command with the shim preloaded, as the child
 * subreaper of everything it starts, and records what only the launcher can
 * see: how each orphaned descendant ended.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "exectrace/seize_request.h"
#include "image_kind.h"
#include "procmap.h"
#include "procstat.h"
#include "reader.h"
#include "report.h"
#include "run.h"
#include "snapshot.h"
#include "tracer.h"
#include "writer.h"

#define SHIM_NAME "libexectrace.so"
#define DEFAULT_TRACE "exectrace.trace"
#define MAX_LEFT_RUNNING ET_RUN_END_MAX_LEFT

/* Signals passed on to the command.  Terminal-generated ones already reach
 * it when it shares our process group. */
static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM};

/* Exit status after --kill-after-report, as timeout(1) has it. */
#define ET_EXIT_HUNG 124

struct run_options {
    const char *trace_path;
    uint64_t size;
    bool ring; /* --ring: the newest `size` bytes are kept */
    bool wait_orphans;
    bool quiet;
    uint64_t hang_after_ns; /* 0: never */
    bool kill_after_report;
    bool no_ptrace;
    /* --report, --report-file, --fail-on: the report when the command ends */
    bool report;
    enum et_report_format report_format;
    const char *report_file; /* NULL: stderr */
    int fail_on;             /* ET_SEV_*, or 3: never */
    char **command;
};

struct launcher {
    struct run_options opt;
    char trace_path[PATH_MAX];
    char shim_path[PATH_MAX];
    struct et_writer writer;
    void *map;
    struct et_identity self;
    pid_t command_pid;
    int command_status;
    bool command_done;
    uint32_t orphans_reaped;
    bool reap_retry; /* a child peeked at could not be taken yet: look again soon */
    sigset_t old_mask;
    struct et_tracer *tracer; /* NULL: the shim alone records, or nothing needed the recorder yet */
    bool recorder_wanted;     /* not turned off, and not found unavailable */
    /* Where processes ask the recorder to follow them (seize_request.h):
     * an abstract datagram socket, -1 without the recorder. */
    int seize_fd;
    char seize_name[64];
    /* The previous trace at our path, held open so that it is freed once
     * the command runs, on another CPU than the command's start; -1 for
     * none. */
    int replaced_fd;
    /* A ring trace: where the ring was (next_chunk) at the last checkpoint. */
    uint64_t checkpoint_at;
};

/* A ring trace is restated (a checkpoint) each time a quarter of the ring
 * was claimed since the last: the newest checkpoint is then always within
 * the half of the ring whose history is complete, however fast the ring
 * goes round, as long as this loop wakes that often. */
#define CHECKPOINT_POLL_MS 25

static void maybe_checkpoint(struct launcher *l)
{
    if (!l->writer.ring)
        return;
    uint64_t next = __atomic_load_n(&l->writer.hdr->next_chunk, __ATOMIC_ACQUIRE);
    if (next - l->checkpoint_at < l->writer.ring_slots / 4)
        return;
    et_take_checkpoint(&l->writer, "/proc", (int32_t)l->self.pid, l->command_done ? -1 : (int32_t)l->command_pid);
    l->checkpoint_at = __atomic_load_n(&l->writer.hdr->next_chunk, __ATOMIC_ACQUIRE);
}

const char et_usage_run[] =
    "usage: exectrace run [-o FILE] [--size BYTES | --ring BYTES] [--no-wait-orphans] [--no-ptrace] [-q]\n"
    "                     [--report[=text|json|sarif]] [--report-file FILE] [--fail-on LEVEL] [--] COMMAND [ARGS...]\n"
          "Runs COMMAND with every process of its tree traced into FILE.\n"
          "  -o, --output FILE    trace file (default ./" DEFAULT_TRACE "; an existing file of yours is replaced)\n"
          "  -s, --size BYTES     trace file size, e.g. 64M (default 64M); when full, events are dropped and counted\n"
          "      --ring BYTES     a ring of that size instead: when full, the newest events replace the oldest\n"
          "                       (a flight recorder for programs that run for days)\n"
          "      --no-wait-orphans  stop when COMMAND exits; by default exectrace also waits for descendants\n"
          "                       COMMAND left behind, and records how they end\n"
          "  -q, --quiet          no summary line\n"
          "      --hang-after SECONDS  if COMMAND has not finished by then, snapshot the live tree (what each\n"
          "                       process is blocked in, the pipes it holds), print the hang report, keep waiting\n"
          "      --kill-after-report  after that report, kill the whole traced tree and exit 124\n"
          "      --no-ptrace      record with the preloaded shim alone: programs that never call libc for\n"
          "                       these calls (Go, static binaries) are then not recorded\n"
          "      --report[=FORMAT]  when everything has ended, print the report (text, json or sarif) on stderr\n"
          "      --report-file FILE  write that report to FILE instead (implies --report)\n"
          "      --fail-on LEVEL  exit 1 when COMMAND succeeded but a finding reached LEVEL: error, warning,\n"
          "                       info or never (the default; implies --report)\n"
          "Ctrl-C snapshots the tree before it goes down, and prints the report at the end.\n"
          "Exit status: COMMAND's (128+N if it was killed by signal N), 127 if COMMAND was not found,\n"
          "126 if it could not be run, 125 if exectrace itself failed, 124 after --kill-after-report;\n"
          "when COMMAND exited 0: 1 if a finding reached --fail-on's level, 2 if the trace could not be\n"
          "read whole for the report (which says why), else 0.\n";

static bool readable(const char *path)
{
    return access(path, R_OK) == 0;
}

/* The shim beside this executable (a build tree), in ../lib/exectrace (an
 * installed tree moved elsewhere), or where `make install` put it. */
static int find_shim(struct launcher *l)
{
    const char *env = getauxval(AT_SECURE) ? NULL : getenv("EXECTRACE_SHIM");
    if (env && *env) {
        if (!realpath(env, l->shim_path)) {
            fprintf(stderr, "exectrace: EXECTRACE_SHIM=%s: %s\n", env, strerror(errno));
            return -1;
        }
        return 0;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char candidates[3][PATH_MAX];
    int count = 0;
    if (n > 0) {
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = 0;
            /* A path too long to build is simply not a candidate. */
            if (snprintf(candidates[count], PATH_MAX, "%s/%s", self, SHIM_NAME) < PATH_MAX)
                count++;
            if (snprintf(candidates[count], PATH_MAX, "%s/../lib/exectrace/%s", self, SHIM_NAME) < PATH_MAX)
                count++;
        }
    }
    if (snprintf(candidates[count], PATH_MAX, "%s/%s", EXECTRACE_LIBDIR, SHIM_NAME) < PATH_MAX)
        count++;
    for (int i = 0; i < count; i++) {
        if (readable(candidates[i]) && realpath(candidates[i], l->shim_path))
            return 0;
    }
    fprintf(stderr, "exectrace: cannot find %s (looked beside the exectrace binary and in %s)\n", SHIM_NAME,
            EXECTRACE_LIBDIR);
    return -1;
}

static int absolute_path(const char *path, char *out)
{
    if (path[0] == '/') {
        if (strlen(path) >= PATH_MAX)
            return -1;
        strcpy(out, path);
        return 0;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd)) || (size_t)snprintf(out, PATH_MAX, "%s/%s", cwd, path) >= PATH_MAX)
        return -1;
    return 0;
}

/* The header and the first 252 chunks: a short run's records fit. */
#define FIRST_PAGES_BYTES (256u << 10)

static int create_trace(struct launcher *l)
{
    if (absolute_path(l->opt.trace_path, l->trace_path) < 0 || strlen(l->trace_path) >= ET_MAX_PATH_BYTES) {
        fprintf(stderr, "exectrace: %s: path too long\n", l->opt.trace_path);
        return -1;
    }
    struct et_proc_stat st;
    if (et_proc_stat_read(0, &st) < 0)
        st.start_time = 0;
    l->self.pid = (uint32_t)getpid();
    l->self.tid = l->self.pid;
    l->self.start_time = st.start_time;

    const char *what = "create";
    int ret = et_trace_create(l->trace_path, l->opt.size, l->opt.ring, l->self.pid, l->self.start_time, true, &l->replaced_fd,
                              &what);
    if (ret < 0) {
        fprintf(stderr, "exectrace: cannot create trace file %s: %s: %s\n", l->opt.trace_path, what, strerror(-ret));
        return -1;
    }
    int fd = open(l->trace_path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    struct stat fst;
    if (fd < 0 || fstat(fd, &fst) < 0) {
        fprintf(stderr, "exectrace: cannot open trace file %s: %s\n", l->opt.trace_path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    /* The first write fault on a page the page cache lacks reads around it
     * as far as the disk's read_ahead_kb (8 MiB on some virtual disks): a
     * millisecond of allocating and zeroing pages that a short run never
     * uses, and that replacing its trace then frees.  Bringing in the first
     * pages ourselves means that fault never happens; a busy run still
     * reads ahead, in steps, where it writes. */
    posix_fadvise(fd, 0, FIRST_PAGES_BYTES, POSIX_FADV_WILLNEED);
    if (l->opt.ring) {
        /* A ring's first slots lie after its slot table. */
        uint32_t data = 0;
        if (pread(fd, &data, sizeof(data), offsetof(struct et_file_header, ring_data_offset)) == sizeof(data))
            posix_fadvise(fd, data, FIRST_PAGES_BYTES, POSIX_FADV_WILLNEED);
    }
    l->map = mmap(NULL, (size_t)fst.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (l->map == MAP_FAILED || et_writer_attach(&l->writer, l->map, (uint64_t)fst.st_size, l->self.pid) < 0) {
        fprintf(stderr, "exectrace: cannot map trace file %s\n", l->opt.trace_path);
        return -1;
    }
    return 0;
}

static void record_launcher_start(struct launcher *l, char **argv)
{
    struct et_proc_stat st = {0};
    et_proc_stat_read(0, &st);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = 0;
    struct et_start_info info = {.origin = ET_ORIGIN_LAUNCHER,
                                 .ppid = st.ppid,
                                 .pgid = st.pgid,
                                 .sid = st.sid,
                                 .uid = getuid(),
                                 .euid = geteuid(),
                                 .exe = exe,
                                 .argv = argv};
    et_write_start(&l->writer, &l->self, et_now_ns(), 0, &info);
}

static void record_fork(struct launcher *l, uint64_t ts, pid_t pid, int err)
{
    struct et_record *r = et_record_reserve(&l->writer, ET_REC_FORK, sizeof(struct et_fork), &l->self, ts, err);
    if (!r)
        return;
    struct et_fork *b = et_record_body(r);
    b->kind = ET_FORK_FORK;
    b->reserved = 0;
    b->result = pid;
    b->clone_flags = 0;
    et_commit(&l->writer, r);
}

static void record_reaped(struct launcher *l, pid_t pid, int status, uint64_t start_time, uint16_t role)
{
    struct et_record *r = et_record_reserve(&l->writer, ET_REC_REAPED, sizeof(struct et_reaped), &l->self,
                                            et_now_ns(), 0);
    if (!r)
        return;
    struct et_reaped *b = et_record_body(r);
    memset(b, 0, sizeof(*b));
    b->pid = pid;
    b->status = status;
    b->start_time = start_time;
    b->role = role;
    et_commit(&l->writer, r);
}

static void record_run_end(struct launcher *l, const int32_t *left, uint16_t nleft)
{
    struct et_record *r = et_record_reserve(&l->writer, ET_REC_RUN_END,
                                            (uint32_t)(sizeof(struct et_run_end) + nleft * sizeof(int32_t)), &l->self,
                                            et_now_ns(), 0);
    if (!r)
        return;
    struct et_run_end *b = et_record_body(r);
    b->command_pid = l->command_pid;
    b->command_status = l->command_status;
    b->orphans_reaped = l->orphans_reaped;
    b->left_running = nleft;
    b->flags = nleft >= MAX_LEFT_RUNNING ? ET_RUN_END_LEFT_TRUNCATED : 0;
    memcpy(b + 1, left, nleft * sizeof(int32_t));
    et_commit(&l->writer, r);
}

/* "LD_PRELOAD=<shim>[:<what was there>]", unless the shim is there already. */
static int set_child_environment(struct launcher *l)
{
    const char *old = getenv("LD_PRELOAD");
    if (old && strstr(old, l->shim_path)) {
        /* nested: already preloaded */
    } else {
        size_t len = strlen(l->shim_path) + (old ? strlen(old) + 1 : 0) + 1;
        char *value = malloc(len);
        if (!value)
            return -1;
        snprintf(value, len, "%s%s%s", l->shim_path, old && *old ? ":" : "", old ? old : "");
        if (setenv("LD_PRELOAD", value, 1) < 0) {
            free(value);
            return -1;
        }
        free(value);
    }
    if (l->seize_fd >= 0 && setenv(ET_ENV_RECORDER, l->seize_name, 1) < 0)
        return -1;
    return setenv("EXECTRACE_FILE", l->trace_path, 1);
}

/* The child, before it becomes the command: it records its own start and the
 * exec, as the shim would, so that even a command that never loads the shim
 * (a static binary) shows in the trace. */
static void exec_command(struct launcher *l, int report_fd, int seized_fd)
{
    sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
    /* The launcher says whether it is our tracer now. */
    char seized = 0;
    if (seized_fd >= 0) {
        while (read(seized_fd, &seized, 1) < 0 && errno == EINTR)
            ;
        close(seized_fd);
    }
    struct et_proc_stat st = {0};
    et_proc_stat_read(0, &st);
    struct et_identity id = {(uint32_t)getpid(), (uint32_t)getpid(), st.start_time};
    et_writer_forget_run(&l->writer, id.pid);
    struct et_start_info info = {.origin = ET_ORIGIN_FORK,
                                 .ppid = st.ppid,
                                 .pgid = st.pgid,
                                 .sid = st.sid,
                                 .uid = getuid(),
                                 .euid = geteuid()};
    et_write_start(&l->writer, &id, et_now_ns(), 0, &info);

    int err = 0;
    if (set_child_environment(l) < 0) {
        err = errno ? errno : ENOMEM;
    } else {
        struct et_exec_info exec = {.kind = ET_EXEC_EXECVP, .fd = -1, .path = l->opt.command[0], .argv = l->opt.command};
        et_write_exec(&l->writer, &id, et_now_ns(), 0, &exec);
        /* Last, so that none of our own calls above stops: from here on,
         * this process and all it starts are recorded for life. */
        if (seized == 'y') {
            int ret = et_tracer_install_filter(l->tracer);
            if (ret < 0)
                fprintf(stderr, "exectrace: the ptrace recorder could not filter %s: %s\n", l->opt.command[0],
                        strerror(-ret));
        }
        execvp(l->opt.command[0], l->opt.command);
        err = errno;
        et_write_exec_failed(&l->writer, &id, 0, ET_EXEC_EXECVP, -1, err);
    }
    ssize_t unused = write(report_fd, &err, sizeof(err));
    (void)unused;
    _exit(err == ENOENT ? ET_EXIT_NOT_FOUND : ET_EXIT_CANNOT_EXECUTE);
}

/* Whether pid is alive (not a zombie) and still our child. */
static bool live_child(pid_t self, long pid)
{
    struct et_proc_stat st;
    return et_proc_stat_read((int)pid, &st) == 0 && st.ppid == (uint32_t)self && st.state != 'Z';
}

/* Our children that are still alive: after the command's exit, these are
 * the descendants it left behind (reparented to us, the subreaper).  The
 * kernel lists each thread's children in /proc/self/task/TID/children,
 * which costs what we have, not what the machine runs; without that file
 * (CONFIG_PROC_CHILDREN off), every process in /proc is looked at. */
static int list_children(pid_t self, int32_t *out, int max)
{
    int n = 0;
    DIR *tasks = opendir("/proc/self/task");
    bool listed = false;
    struct dirent *e;
    while (tasks && (e = readdir(tasks)) != NULL && n < max) {
        long tid;
        if (et_parse_long(e->d_name, 1, INT32_MAX, &tid) < 0)
            continue;
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/task/%ld/children", tid);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        listed = true;
        long pid;
        while (n < max && fscanf(f, "%ld", &pid) == 1)
            if (pid > 0 && pid <= INT32_MAX && live_child(self, pid))
                out[n++] = (int32_t)pid;
        fclose(f);
    }
    if (tasks)
        closedir(tasks);
    if (listed)
        return n;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL && n < max) {
        long pid;
        if (et_parse_long(e->d_name, 1, INT32_MAX, &pid) == 0 && live_child(self, pid))
            out[n++] = (int32_t)pid;
    }
    closedir(d);
    return n;
}

static void on_reaped(void *ctx, pid_t pid, int status, uint64_t start_time)
{
    struct launcher *l = ctx;
    bool is_command = pid == l->command_pid;
    record_reaped(l, pid, status, start_time, is_command ? ET_REAPED_COMMAND : ET_REAPED_ORPHAN);
    if (is_command) {
        l->command_status = status;
        l->command_done = true;
    } else {
        l->orphans_reaped++;
    }
}

/* Reaps every child that has ended; false when no children are left. */
static bool reap_ready(struct launcher *l)
{
    l->reap_retry = false;
    if (l->tracer)
        return et_tracer_drain(l->tracer, on_reaped, l);
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        /* Peek first: while the child is a zombie, /proc still has its start
         * time, which ties the reap to the process that ran. */
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
            return errno != ECHILD;
        if (si.si_pid == 0)
            return true;
        struct et_proc_stat st;
        uint64_t start_time = et_proc_stat_read(si.si_pid, &st) == 0 ? st.start_time : 0;
        /* Taken with the same call that peeked, so that what the peek saw
         * is what is reaped.  If it still cannot be taken, wait for the next
         * SIGCHLD rather than peek again at once: looping here spun the
         * launcher at full CPU after a group kill. */
        siginfo_t taken;
        memset(&taken, 0, sizeof(taken));
        if (waitid(P_PID, (id_t)si.si_pid, &taken, WEXITED | WNOHANG) < 0 || taken.si_pid != si.si_pid) {
            l->reap_retry = true;
            return true;
        }
        int status = taken.si_code == CLD_EXITED ? (taken.si_status & 0xff) << 8
                                                 : (taken.si_status & 0x7f) | (taken.si_code == CLD_DUMPED ? 0x80 : 0);
        on_reaped(l, si.si_pid, status, start_time);
    }
}

/* Is pid one of the processes this run started (its parent chain leads to
 * us)?  Bounded, in case /proc changes under the walk. */
static bool started_by_us(pid_t self, pid_t pid)
{
    for (int steps = 0; pid > 1 && steps < 4096; steps++) {
        struct et_proc_stat st;
        if (et_proc_stat_read(pid, &st) < 0)
            return false;
        if ((pid_t)st.ppid == self)
            return true;
        pid = (pid_t)st.ppid;
    }
    return false;
}

static void forward_signal(struct launcher *l, const struct signalfd_siginfo *si)
{
    if (l->command_done)
        return;
    /* Sent by the traced tree itself (a kill(0, sig) that reached us as a
     * member of the group): passing it back would deliver it twice. */
    if ((si->ssi_code == SI_USER || si->ssi_code == SI_QUEUE) && started_by_us((pid_t)l->self.pid, (pid_t)si->ssi_pid))
        return;
    /* The terminal already delivered it to the command if the command is in
     * our foreground process group. */
    if (si->ssi_code == SI_KERNEL && getpgid(l->command_pid) == getpgrp())
        return;
    kill(l->command_pid, (int)si->ssi_signo);
}

static int exit_status_of(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return ET_EXIT_RUN_FAILED;
}

/* What the trace holds: the records, and the processes that wrote them.
 * The runs counted their records as they were written, so this reads one
 * page per run (of up to 64 KiB), not every record: 0.7 ms for 600,000
 * records where reading them took 10 (bench/summary_cost). */
struct trace_counts {
    struct et_trace t;
    uint64_t records;
    struct et_procmap processes;
    uint32_t last_pid; /* a process's records come in runs: skip the lookup */
    uint64_t last_start;
    uint32_t launcher_pid;
    uint64_t launcher_start;
};

static int count_process(const struct et_record *r, uint64_t offset, void *ctx)
{
    (void)offset;
    struct trace_counts *c = ctx;
    if (r->pid == c->last_pid && r->start_time == c->last_start)
        return 0;
    c->last_pid = r->pid;
    c->last_start = r->start_time;
    if (r->pid == c->launcher_pid && r->start_time == c->launcher_start)
        return 0;
    int inserted;
    et_procmap_get_or_put(&c->processes, r->pid, r->start_time, 0, &inserted);
    return 0;
}

static void count_trace(struct launcher *l, struct trace_counts *c)
{
    memset(c, 0, sizeof(*c));
    et_procmap_init(&c->processes);
    c->launcher_pid = l->self.pid;
    c->launcher_start = l->self.start_time;
    if (et_trace_from_buffer(&c->t, l->map, l->writer.size) < 0)
        return;
    /* A ring's runs keep no counts: its summary says what the header
     * knows, not what reading every record would (milliseconds a lap). */
    if (c->t.ring)
        return;
    if (et_trace_tally(&c->t, count_process, c, &c->records) < 0) {
        et_trace_scan(&c->t, count_process, c); /* not a trace of this version */
        c->records = c->t.records;
    }
}

static void print_summary(struct launcher *l, const struct trace_counts *c)
{
    if (!c->t.hdr) {
        fprintf(stderr, "exectrace: %s: %s\n", l->opt.trace_path, c->t.diag);
        return;
    }
    size_t processes = c->processes.count;
    uint64_t dropped = c->t.hdr->records_dropped;
    const struct et_file_header *h = c->t.hdr;
    if (!l->opt.quiet && c->t.ring && c->t.ring_wrapped)
        fprintf(stderr,
                "exectrace: trace %s: a ring of %" PRIu64 " KiB, gone round %" PRIu64 " times, %" PRIu64
                " events overwritten%s; `exectrace report` says from when its history is complete\n",
                l->opt.trace_path, (uint64_t)h->ring_slot_count * ET_RING_SLOT_BYTES >> 10,
                c->t.ring_claimed_slots / h->ring_slot_count, (uint64_t)h->ring_records_overwritten,
                dropped ? " (some dropped: a record found no run it could take)" : "");
    else if (!l->opt.quiet && c->t.ring)
        fprintf(stderr, "exectrace: trace %s: a ring of %" PRIu64 " KiB, %" PRIu64 "%% of it claimed: the whole history is in it\n",
                l->opt.trace_path, (uint64_t)h->ring_slot_count * ET_RING_SLOT_BYTES >> 10,
                c->t.ring_claimed_slots * 100 / h->ring_slot_count);
    else if (!l->opt.quiet)
        fprintf(stderr, "exectrace: trace %s: %zu process%s, %" PRIu64 " events, %" PRIu64 " dropped%s\n",
                l->opt.trace_path, processes, processes == 1 ? "" : "es", c->records, dropped,
                dropped ? " (the trace file was full: use a larger --size)" : "");
    struct et_tracer_stats rec = {0};
    if (l->tracer)
        et_tracer_stats(l->tracer, &rec);
    if (!l->opt.quiet && rec.records && rec.images)
        fprintf(stderr,
                "exectrace: the ptrace recorder wrote %" PRIu64 " of them, from %" PRIu64
                " program image%s that %s not load the shim (%" PRIu64 " stops)\n",
                rec.records, rec.images, rec.images == 1 ? "" : "s", rec.images == 1 ? "does" : "do", rec.stops);
    else if (!l->opt.quiet && rec.records) /* a Go program with cgo: the shim is in it */
        fprintf(stderr, "exectrace: the ptrace recorder wrote %" PRIu64 " of them (%" PRIu64 " stops)\n",
                rec.records, rec.stops);
    if (c->t.problems)
        et_report_trace_problem(l->opt.trace_path, &c->t);
}

/* With every process gone, the header can say how many records there are. */
static void finish_header(struct launcher *l, const struct trace_counts *c)
{
    if (!c->t.hdr || c->t.ring) /* a ring's count is of what it kept: not counted */
        return;
    l->writer.hdr->records_written = c->records;
    __atomic_or_fetch(&l->writer.hdr->flags, ET_FILE_FINISHED, __ATOMIC_RELEASE);
}

/* --report: the report of the whole run, on stderr or into --report-file.
 * What `exectrace report --fail-on` would exit with (0, 1 for a finding at
 * the level, 2 for a trace not read whole), or 125 if the file cannot be
 * written. */
static int final_report(struct launcher *l)
{
    FILE *out = stderr;
    if (l->opt.report_file && !(out = fopen(l->opt.report_file, "we"))) {
        fprintf(stderr, "exectrace: --report-file %s: %s\n", l->opt.report_file, strerror(errno));
        return ET_EXIT_RUN_FAILED;
    }
    int status = et_report_to(out, l->trace_path, l->opt.fail_on, l->opt.report_format);
    if (out != stderr && fclose(out) != 0 && status == 0) {
        fprintf(stderr, "exectrace: --report-file %s: %s\n", l->opt.report_file, strerror(errno));
        return ET_EXIT_RUN_FAILED;
    }
    return status;
}

/* 0, 1 when --help was asked for, -1 after a mistake it reported. */
static int parse_run_options(int argc, char **argv, struct run_options *opt)
{
    static const struct option options[] = {{"output", required_argument, NULL, 'o'},
                                            {"size", required_argument, NULL, 's'},
                                            {"ring", required_argument, NULL, 'r'},
                                            {"no-wait-orphans", no_argument, NULL, 'W'},
                                            {"quiet", no_argument, NULL, 'q'},
                                            {"hang-after", required_argument, NULL, 'H'},
                                            {"kill-after-report", no_argument, NULL, 'K'},
                                            {"no-ptrace", no_argument, NULL, 'P'},
                                            {"report", optional_argument, NULL, 'R'},
                                            {"report-file", required_argument, NULL, 'F'},
                                            {"fail-on", required_argument, NULL, 'L'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    opt->trace_path = DEFAULT_TRACE;
    opt->size = ET_DEFAULT_FILE_SIZE;
    opt->wait_orphans = true;
    opt->quiet = false;
    opt->report = false;
    opt->report_format = ET_REPORT_TEXT;
    opt->fail_on = 3;
    bool fail_on_given = false, size_given = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+o:s:qh", options, NULL)) != -1) {
        switch (c) {
        case 'o':
            opt->trace_path = optarg;
            break;
        case 's':
            if (et_parse_size(optarg, &opt->size) < 0 || opt->size < ET_MIN_FILE_SIZE || opt->size > ET_MAX_FILE_SIZE) {
                fprintf(stderr, "exectrace run: --size takes a size from %uK to %lluG, such as 64M\n",
                        ET_MIN_FILE_SIZE >> 10, ET_MAX_FILE_SIZE >> 30);
                return -1;
            }
            size_given = true;
            break;
        case 'r':
            if (et_parse_size(optarg, &opt->size) < 0 || !et_ring_slots_for(opt->size) ||
                opt->size > ET_MAX_FILE_SIZE) {
                fprintf(stderr, "exectrace run: --ring takes a size from %lluK to %lluG, such as 64M\n",
                        (unsigned long long)ET_RING_MIN_FILE_SIZE >> 10, ET_MAX_FILE_SIZE >> 30);
                return -1;
            }
            opt->ring = true;
            break;
        case 'W':
            opt->wait_orphans = false;
            break;
        case 'q':
            opt->quiet = true;
            break;
        case 'H': {
            char *end;
            errno = 0;
            double seconds = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(seconds > 0) || seconds > 86400.0 * 365) {
                fprintf(stderr, "exectrace run: --hang-after takes a number of seconds, such as 10 or 0.5\n");
                return -1;
            }
            opt->hang_after_ns = (uint64_t)(seconds * 1e9);
            break;
        }
        case 'K':
            opt->kill_after_report = true;
            break;
        case 'P':
            opt->no_ptrace = true;
            break;
        case 'R':
            opt->report = true;
            if (!optarg || strcmp(optarg, "text") == 0) {
                opt->report_format = ET_REPORT_TEXT;
            } else if (strcmp(optarg, "json") == 0) {
                opt->report_format = ET_REPORT_JSON;
            } else if (strcmp(optarg, "sarif") == 0) {
                opt->report_format = ET_REPORT_SARIF;
            } else {
                fprintf(stderr, "exectrace run: --report takes text, json or sarif, as in --report=json\n");
                return -1;
            }
            break;
        case 'F':
            opt->report_file = optarg;
            break;
        case 'L':
            fail_on_given = true;
            opt->fail_on = strcmp(optarg, "never") == 0 ? 3 : et_severity_parse(optarg);
            if (opt->fail_on < 0) {
                fprintf(stderr, "exectrace run: --fail-on takes error, warning, info or never\n");
                return -1;
            }
            break;
        case 'h':
            return 1;
        default:
            et_show_usage("run", stderr);
            return -1;
        }
    }
    if (opt->report_file || fail_on_given)
        opt->report = true;
    if (opt->ring && size_given) {
        fprintf(stderr, "exectrace run: --size and --ring both set the trace's size: give one\n");
        return -1;
    }
    if (opt->kill_after_report && !opt->hang_after_ns) {
        fprintf(stderr, "exectrace run: --kill-after-report goes with --hang-after\n");
        return -1;
    }
    if (optind >= argc) {
        fprintf(stderr, "exectrace run: no command given\n");
        et_show_usage("run", stderr);
        return -1;
    }
    opt->command = argv + optind;
    return 0;
}

/* Every process this run started, and what they started, however they
 * were reparented since: a whole-tree kill must not miss one. */
static int kill_tree(pid_t self)
{
    /* Count each process once, however many rounds it takes to die. */
    pid_t counted[1024];
    int ncounted = 0;
    for (int round = 0; round < 20; round++) {
        struct et_live_tree tree;
        if (et_live_read_tree("/proc", self, &tree) < 0)
            break;
        int killed = 0;
        for (size_t i = 0; i < tree.n; i++) {
            if (tree.procs[i].state == 'Z' || kill(tree.procs[i].pid, SIGKILL) != 0)
                continue;
            killed++;
            bool seen = false;
            for (int k = 0; k < ncounted && !seen; k++)
                seen = counted[k] == tree.procs[i].pid;
            if (!seen && ncounted < (int)(sizeof(counted) / sizeof(counted[0])))
                counted[ncounted++] = tree.procs[i].pid;
        }
        et_live_tree_free(&tree);
        if (!killed)
            break;
        /* Something may have forked between the scan and the kill. */
        usleep(10000);
    }
    return ncounted;
}

static void take_snapshot(struct launcher *l, uint16_t reason)
{
    size_t n;
    uint32_t id = et_take_snapshot(&l->writer, "/proc", (int32_t)l->self.pid, reason, &n);
    if (!l->opt.quiet && id)
        fprintf(stderr, "exectrace: snapshot #%u of the live tree: %zu process%s\n", id, n, n == 1 ? "" : "es");
}

/* The command has not finished in time: show what everything is blocked on. */
static void report_hang(struct launcher *l)
{
    fprintf(stderr, "exectrace: %s has not finished after %.1f s\n", l->opt.command[0],
            (double)l->opt.hang_after_ns / 1e9);
    take_snapshot(l, ET_SNAP_HANG);
    et_report_to(stderr, l->trace_path, 3, ET_REPORT_TEXT);
    if (l->opt.kill_after_report) {
        int n = kill_tree((pid_t)l->self.pid);
        fprintf(stderr, "exectrace: killed the traced tree (%d process%s)\n", n, n == 1 ? "" : "es");
    }
}

/* The recorder's state, under the launcher's identity, or under that of a
 * process it could not follow. */
static void record_recorder_as(struct launcher *l, const struct et_identity *id, uint16_t state, int err,
                               const char *why)
{
    bool truncated = false;
    uint32_t len = why ? et_put_str(NULL, why, ET_MAX_PATH_BYTES, &truncated) : 0;
    struct et_record *r =
        et_record_reserve(&l->writer, ET_REC_RECORDER, (uint32_t)sizeof(struct et_recorder) + len, id, et_now_ns(), 0);
    if (!r)
        return;
    struct et_recorder *b = et_record_body(r);
    b->state = state;
    b->filter = !l->tracer                                                ? 0
                : et_tracer_filter_mode(l->tracer) == ET_FILTER_OWN_CODE ? ET_RECORDER_FILTER_OWN_CODE
                                                                          : ET_RECORDER_FILTER_NUMBERS;
    b->err = err;
    if (why)
        et_put_str((uint8_t *)(b + 1), why, ET_MAX_PATH_BYTES, &truncated);
    et_commit(&l->writer, r);
}

static void record_recorder(struct launcher *l, uint16_t state, int err, const char *why)
{
    record_recorder_as(l, &l->self, state, err, why);
}

/* The socket the shim asks on before it execs a program that makes its own
 * calls.  Without it the recorder follows only the command. */
static void open_seize_socket(struct launcher *l)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int on = 1;
    uint64_t nonce = 0;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0 ||
        getrandom(&nonce, sizeof(nonce), GRND_NONBLOCK) != (ssize_t)sizeof(nonce))
        goto fail;
    snprintf(l->seize_name, sizeof(l->seize_name), "exectrace-recorder-%d-%016" PRIx64, (int)l->self.pid, nonce);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t len = strlen(l->seize_name);
    memcpy(addr.sun_path + 1, l->seize_name, len);
    if (bind(fd, (struct sockaddr *)&addr, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) < 0)
        goto fail;
    l->seize_fd = fd;
    return;
fail:
    fprintf(stderr, "exectrace: the ptrace recorder cannot take requests (%s): it follows only the command\n",
            strerror(errno));
    if (fd >= 0)
        close(fd);
    l->seize_fd = -1;
}

/* The ptrace recorder is wanted unless it was turned off; it starts (and
 * tests what this system allows) when a program first needs it, so that a
 * tree of dynamic programs pays nothing for it. */
static void start_recorder(struct launcher *l)
{
    l->seize_fd = -1;
    if (l->opt.no_ptrace) {
        record_recorder(l, ET_RECORDER_DISABLED, 0, "turned off with --no-ptrace");
        return;
    }
    l->recorder_wanted = true;
    open_seize_socket(l);
}

/* The tracer, started on first need; false when this system forbids it:
 * then one line says so and the shim records alone. */
static bool need_tracer(struct launcher *l)
{
    if (l->tracer || !l->recorder_wanted)
        return l->tracer != NULL;
    char why[256] = "";
    struct et_tracer_config cfg = {.writer = &l->writer, .shim_path = l->shim_path, .launcher_pid = (pid_t)l->self.pid};
    l->tracer = et_tracer_new(&cfg, why, sizeof(why));
    if (l->tracer) {
        record_recorder(l, ET_RECORDER_ON, 0, NULL);
        return true;
    }
    int err = errno;
    l->recorder_wanted = false;
    record_recorder(l, ET_RECORDER_UNAVAILABLE, err, why);
    fprintf(stderr, "exectrace: %s: recording with the shim alone (Go and static programs are not seen)\n", why);
    return false;
}

/* A recorder that nothing needed says so at the end: on, with no filter. */
static void record_recorder_unneeded(struct launcher *l)
{
    if (l->recorder_wanted && !l->tracer)
        record_recorder(l, ET_RECORDER_ON, 0, "no program needed it");
}

/* A process asked and could not be followed: the record is its own, so
 * that the report says why this one went unrecorded. */
static void record_refusal(struct launcher *l, pid_t pid, pid_t tid, int err)
{
    char why[160];
    snprintf(why, sizeof(why), "ptrace could not attach to it (%s%s)", strerror(err),
             err == EPERM ? ": another tracer, such as a debugger, had it" : "");
    struct et_proc_stat st = {0};
    et_proc_stat_read(pid, &st);
    struct et_identity id = {(uint32_t)pid, (uint32_t)tid, st.start_time};
    record_recorder_as(l, &id, ET_RECORDER_ON, err, why);
}

/* Answers every request waiting: the kernel says which process sent it,
 * and the thread it names must be one of that process's. */
static void serve_seize_requests(struct launcher *l)
{
    for (;;) {
        struct et_seize_request req;
        struct sockaddr_un from;
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(struct ucred))];
        } control;
        struct iovec iov = {&req, sizeof(req)};
        struct msghdr msg = {.msg_name = &from,
                             .msg_namelen = sizeof(from),
                             .msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf)};
        ssize_t n = recvmsg(l->seize_fd, &msg, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (n != (ssize_t)sizeof(req) || req.magic != ET_SEIZE_MAGIC || !c || c->cmsg_level != SOL_SOCKET ||
            c->cmsg_type != SCM_CREDENTIALS || msg.msg_namelen <= offsetof(struct sockaddr_un, sun_path))
            continue;
        struct ucred cred;
        memcpy(&cred, CMSG_DATA(c), sizeof(cred));
        static struct et_seize_reply reply;
        memset(&reply, 0, sizeof(reply));
        reply.magic = ET_SEIZE_MAGIC;
        char task[64];
        snprintf(task, sizeof(task), "/proc/%d/task/%u", (int)cred.pid, req.tid);
        if (cred.pid <= 0 || access(task, F_OK) < 0)
            reply.result = -ESRCH;
        else if (!need_tracer(l))
            reply.result = -ENOSYS;
        else
            reply.result = et_tracer_seize_thread(l->tracer, cred.pid, (pid_t)req.tid);
        if (reply.result == ET_SEIZE_INSTALL) {
            reply.insn_count = et_tracer_filter_program(l->tracer, reply.insns, ET_SEIZE_MAX_INSNS);
            if (!reply.insn_count)
                reply.result = -EINVAL;
        }
        if (reply.result < 0 && reply.result != -ESRCH && l->tracer)
            record_refusal(l, cred.pid, (pid_t)req.tid, -reply.result);
        size_t len = offsetof(struct et_seize_reply, insns) + reply.insn_count * sizeof(reply.insns[0]);
        /* Seized, it stays traced until it ends, whether or not this answer
         * arrives (without it, it runs unfiltered: event stops only). */
        ssize_t sent = sendto(l->seize_fd, &reply, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&from,
                              msg.msg_namelen);
        (void)sent;
    }
}

/* Does the command make its own calls (static, Go), so that the recorder
 * must follow it from its exec?  A dynamic command has the shim, which asks
 * for the recorder where its own children need it. */
static bool command_needs_recorder(const struct launcher *l)
{
    static char path[PATH_MAX], scratch[ET_IMAGE_KIND_SCRATCH];
    const char *file = et_image_search_path(l->opt.command[0], getenv("PATH"), path, sizeof(path));
    if (!file)
        return false; /* not found: nothing runs */
    enum et_image_kind kind = et_image_kind_at(AT_FDCWD, file, 0, scratch);
    return kind == ET_IMAGE_OWN_CALLS || kind == ET_IMAGE_UNREADABLE;
}

static int run_launcher(struct launcher *lp, int argc, char **argv);

/* Once the command has exec'd (its copy of the fd closed with the exec),
 * ours is the last: closing it frees the replaced trace here, in the
 * launcher, while the command runs. */
static void release_replaced_trace(struct launcher *l)
{
    if (l->replaced_fd >= 0)
        close(l->replaced_fd);
    l->replaced_fd = -1;
}

int et_cmd_run(int argc, char **argv)
{
    struct launcher l;
    memset(&l, 0, sizeof(l));
    l.replaced_fd = -1;
    int status = run_launcher(&l, argc, argv);
    et_tracer_free(l.tracer);
    return status;
}

static int run_launcher(struct launcher *lp, int argc, char **argv)
{
    int parsed = parse_run_options(argc, argv, &lp->opt);
    if (parsed == 1)
        return et_help("run");
    if (parsed < 0)
        return ET_EXIT_RUN_FAILED;
    if (find_shim(lp) < 0 || create_trace(lp) < 0)
        return ET_EXIT_RUN_FAILED;
    record_launcher_start(lp, et_program_argv);
    start_recorder(lp);
    bool seize_command = lp->recorder_wanted && command_needs_recorder(lp) && need_tracer(lp);

    /* Signals arrive through a signalfd, so that none is lost between
     * checking for work and going to sleep. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
        sigaddset(&mask, forwarded_signals[i]);
    sigprocmask(SIG_BLOCK, &mask, &lp->old_mask);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    if (sfd < 0 || prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        fprintf(stderr, "exectrace: cannot set up: %s\n", strerror(errno));
        return ET_EXIT_RUN_FAILED;
    }

    int report[2], seized[2] = {-1, -1};
    /* seized: a socket, so that telling a command that died meanwhile
     * fails with EPIPE rather than raising SIGPIPE here. */
    if (pipe2(report, O_CLOEXEC) < 0 || (seize_command && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, seized) < 0)) {
        fprintf(stderr, "exectrace: cannot set up: %s\n", strerror(errno));
        return ET_EXIT_RUN_FAILED;
    }
    fflush(NULL);
    uint64_t ts = et_now_ns();
    lp->command_pid = fork();
    if (lp->command_pid < 0) {
        record_fork(lp, ts, -1, errno);
        fprintf(stderr, "exectrace: cannot start %s: %s\n", lp->opt.command[0], strerror(errno));
        return ET_EXIT_RUN_FAILED;
    }
    if (lp->command_pid == 0) {
        close(report[0]);
        close(sfd);
        if (seized[1] >= 0)
            close(seized[1]);
        exec_command(lp, report[1], seized[0]);
    }
    record_fork(lp, ts, lp->command_pid, 0);
    close(report[1]);
    if (seize_command) {
        close(seized[0]);
        int ret = et_tracer_seize(lp->tracer, lp->command_pid);
        if (ret < 0) {
            fprintf(stderr, "exectrace: the ptrace recorder could not attach to %s: %s; the shim alone records\n",
                    lp->opt.command[0], strerror(-ret));
            et_tracer_free(lp->tracer);
            lp->tracer = NULL;
            lp->recorder_wanted = false;
            if (lp->seize_fd >= 0)
                close(lp->seize_fd); /* requests fail at once */
            lp->seize_fd = -1;
        }
        ssize_t unused = send(seized[1], lp->tracer ? "y" : "n", 1, MSG_NOSIGNAL);
        (void)unused;
        close(seized[1]);
    }

    /* The report pipe closes on a successful exec, or carries the errno.
     * It is read in the loop: the tracer must answer the command's stops
     * meanwhile. */
    int exec_err = 0;
    int report_fd = report[0];
    bool announced = false;
    bool stop_waiting = false;
    bool hang_reported = false;
    bool interrupted = false;
    uint64_t deadline = lp->opt.hang_after_ns ? et_now_ns() + lp->opt.hang_after_ns : 0;
    for (;;) {
        maybe_checkpoint(lp);
        bool children_left = reap_ready(lp);
        if (lp->command_done && (!children_left || !lp->opt.wait_orphans || stop_waiting))
            break;
        if (lp->command_done && !announced && !lp->opt.quiet && !hang_reported) {
            int32_t left[MAX_LEFT_RUNNING];
            int n = list_children(lp->self.pid, left, MAX_LEFT_RUNNING);
            if (n > 0) {
                fprintf(stderr, "exectrace: %s exited; waiting for %d descendant%s it left running (", lp->opt.command[0],
                        n, n == 1 ? "" : "s");
                for (int i = 0; i < n && i < 8; i++)
                    fprintf(stderr, "%s%d", i ? " " : "", left[i]);
                fprintf(stderr, "%s); --no-wait-orphans stops at the command's exit\n", n > 8 ? " ..." : "");
            }
            announced = true;
        }
        /* Sleep until a signal comes, or until the hang deadline. */
        int timeout_ms = -1;
        if (deadline && !hang_reported && !lp->command_done) {
            uint64_t now = et_now_ns();
            timeout_ms = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
        }
        if (lp->reap_retry && (timeout_ms < 0 || timeout_ms > 10))
            timeout_ms = 10;
        if (lp->writer.ring && (timeout_ms < 0 || timeout_ms > CHECKPOINT_POLL_MS))
            timeout_ms = CHECKPOINT_POLL_MS;
        /* poll skips a negative fd: the report pipe once read, the seize
         * socket without the recorder. */
        struct pollfd pfd[3] = {{sfd, POLLIN, 0}, {report_fd, POLLIN, 0}, {lp->seize_fd, POLLIN, 0}};
        int ready = poll(pfd, 3, timeout_ms);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready > 0 && pfd[2].revents) {
            serve_seize_requests(lp);
            if (!pfd[0].revents && !pfd[1].revents)
                continue;
        }
        if (ready > 0 && report_fd >= 0 && pfd[1].revents) {
            ssize_t got = read(report_fd, &exec_err, sizeof(exec_err));
            if (got < 0 && errno == EINTR)
                continue;
            if (got != sizeof(exec_err))
                exec_err = 0;
            close(report_fd);
            report_fd = -1;
            release_replaced_trace(lp);
            if (!pfd[0].revents)
                continue;
        }
        if (ready == 0 && (!deadline || hang_reported || lp->command_done || et_now_ns() < deadline))
            continue; /* only to look at the children again */
        if (ready == 0) {
            hang_reported = true;
            report_hang(lp);
            continue;
        }
        struct signalfd_siginfo si;
        ssize_t n = read(sfd, &si, sizeof(si));
        if (n < 0 && errno == EINTR)
            continue;
        if (n != sizeof(si))
            break;
        if (si.ssi_signo == SIGCHLD)
            continue;
        if (si.ssi_signo == SIGINT && !lp->command_done && !interrupted) {
            /* Ctrl-C: look at the tree before it goes down, as far as the
             * kernel lets us (the terminal signalled it at the same time). */
            interrupted = true;
            take_snapshot(lp, ET_SNAP_INTERRUPT);
        }
        if (lp->command_done && (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP))
            stop_waiting = true; /* the user gave up on the orphans */
        else
            forward_signal(lp, &si);
    }

    if (report_fd >= 0) {
        /* The command is gone: its errno, if it wrote one, is there. */
        if (read(report_fd, &exec_err, sizeof(exec_err)) != sizeof(exec_err))
            exec_err = 0;
        close(report_fd);
    }
    release_replaced_trace(lp);
    int32_t left[MAX_LEFT_RUNNING];
    int nleft = list_children(lp->self.pid, left, MAX_LEFT_RUNNING);
    record_recorder_unneeded(lp);
    record_run_end(lp, left, (uint16_t)nleft);
    struct trace_counts counts;
    count_trace(lp, &counts);
    if (nleft == 0)
        finish_header(lp, &counts);
    if (exec_err) {
        if (exec_err == ENOENT)
            fprintf(stderr, "exectrace: %s: command not found\n", lp->opt.command[0]);
        else
            fprintf(stderr, "exectrace: %s: %s\n", lp->opt.command[0], strerror(exec_err));
    }
    print_summary(lp, &counts);
    et_procmap_free(&counts.processes);
    et_trace_close(&counts.t); /* a ring's list of runs */
    int report_status = 0;
    if (lp->opt.report && !exec_err)
        report_status = final_report(lp);
    else if (interrupted && !lp->opt.quiet)
        et_report_to(stderr, lp->trace_path, 3, ET_REPORT_TEXT);
    if (nleft && !lp->opt.quiet)
        fprintf(stderr,
                "exectrace: %d descendant%s still running: %s events still go to the trace, but how %s will not\n",
                nleft, nleft == 1 ? "" : "s", nleft == 1 ? "its" : "their", nleft == 1 ? "it ends" : "they end");
    if (exec_err)
        return exec_err == ENOENT ? ET_EXIT_NOT_FOUND : ET_EXIT_CANNOT_EXECUTE;
    if (hang_reported && lp->opt.kill_after_report)
        return ET_EXIT_HUNG;
    /* The command's failure comes first; a success is judged by the report. */
    int status = exit_status_of(lp->command_status);
    return status != 0 ? status : report_status;
}
