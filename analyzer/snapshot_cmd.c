/*
 * `exectrace snapshot FILE`: from another terminal, snapshot the live tree
 * of a running `exectrace run`, append it to the trace, and print the hang
 * report.  `exectrace snapshot --pid PID`: the same for any process tree
 * running now, started without exectrace, into a new trace file.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "findings.h"
#include "procstat.h"
#include "report.h"
#include "snapshot.h"
#include "writer.h"

#define LIVE_TRACE "exectrace-snapshot.trace"
#define LIVE_TRACE_SIZE (4u << 20)
#define MAX_ROOTS 64

const char et_usage_snapshot[] =
    "usage: exectrace snapshot [--fail-on LEVEL] FILE\n"
    "       exectrace snapshot [--fail-on LEVEL] [-o FILE] --pid PID... | --pgid PGID | --sid SID\n"
          "Snapshots a live process tree: what each process is blocked in and the pipes it holds, then\n"
          "prints the report (hangs, deadlocks, held pipes, stuck waits, zombies).\n"
          "With FILE alone: the tree of the running `exectrace run` writing FILE, appended to it.\n"
          "  --pid PID         the tree of PID, which need not have been started by exectrace (repeat it\n"
          "                    for several trees); processes of your user, or any as root\n"
          "  --pgid PGID       every process of that process group, and its descendants\n"
          "  --sid SID         every process of that session, and its descendants\n"
          "  -o, --output FILE  the new trace file for those (default ./" LIVE_TRACE "; an existing file of\n"
          "                    yours is replaced); `exectrace report`, `tree` and `timeline` read it later\n"
          "  --fail-on LEVEL   exit 1 when a finding is at least this severe (default warning)\n"
          "Exit status as for `exectrace report`; 2 also when a process cannot be found or read.\n";

/* Can PID be snapshot by us?  0, or says why not on stderr and -1. */
static int check_pid(int32_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d", pid);
    struct stat st;
    if (pid <= 0 || stat(path, &st) < 0) {
        fprintf(stderr, "exectrace snapshot: pid %d: no such process\n", pid);
        return -1;
    }
    uid_t me = geteuid();
    if (me != 0 && st.st_uid != me) {
        fprintf(stderr,
                "exectrace snapshot: pid %d belongs to uid %u: only your own processes can be read (or any, as "
                "root)\n",
                pid, (unsigned)st.st_uid);
        return -1;
    }
    snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
    char buf[256];
    ssize_t n = et_read_file(path, buf, sizeof(buf));
    if (n == -EACCES || n == -EPERM) {
        fprintf(stderr, "exectrace snapshot: pid %d: reading %s is not permitted (ptrace access mode: a "
                        "Yama ptrace_scope above 1, or a process that is not dumpable)\n", pid, path);
        return -1;
    }
    return 0;
}

/* The processes of a group (by_sid false) or a session, by /proc. */
static int members_of(int32_t id, bool by_sid, int32_t *out, int max)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        struct et_proc_stat ps;
        if (et_proc_stat_read((int)pid, &ps) == 0 && (int32_t)(by_sid ? ps.sid : ps.pgid) == id)
            out[n++] = (int32_t)pid;
    }
    closedir(d);
    return n;
}

static bool in_tree(const struct et_live_tree *t, int32_t pid)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->procs[i].pid == pid)
            return true;
    return false;
}

/* Adds root and its descendants (those not in the tree already). */
static int add_tree(struct et_live_tree *tree, int32_t root)
{
    struct et_live_tree sub;
    if (et_live_read_tree("/proc", root, &sub) < 0)
        return -ENOMEM;
    struct et_live_proc *v = realloc(tree->procs, (tree->n + sub.n + 1) * sizeof(*v));
    if (!v) {
        et_live_tree_free(&sub);
        return -ENOMEM;
    }
    tree->procs = v;
    if (!in_tree(tree, root)) {
        int r = et_live_read_proc("/proc", root, &tree->procs[tree->n]);
        if (r == 0)
            tree->n++;
        else if (r == -ENOMEM) {
            et_live_tree_free(&sub);
            return r;
        }
    }
    for (size_t i = 0; i < sub.n; i++) {
        if (in_tree(tree, sub.procs[i].pid)) {
            et_live_proc_free(&sub.procs[i]);
            continue;
        }
        tree->procs[tree->n++] = sub.procs[i];
    }
    free(sub.procs);
    return 0;
}

/* `snapshot --pid/--pgid/--sid`: a new trace of a tree exectrace did not start. */
static int snapshot_live(const int32_t *pids, int npids, int32_t pgid, int32_t sid, const char *path, int fail_on)
{
    /* The kernel tells what a thread is blocked in only with this file. */
    if (access("/proc/self/syscall", R_OK) < 0) {
        fprintf(stderr, "exectrace snapshot: this kernel has no /proc/PID/syscall (CONFIG_HAVE_ARCH_TRACEHOOK): "
                        "what processes are blocked in cannot be read\n");
        return ET_EXIT_BAD_TRACE;
    }
    int32_t roots[MAX_ROOTS];
    int nroots = 0;
    for (int i = 0; i < npids; i++)
        roots[nroots++] = pids[i];
    for (int pass = 0; pass < 2; pass++) {
        int32_t id = pass == 0 ? pgid : sid;
        if (!id)
            continue;
        int n = members_of(id, pass == 1, roots + nroots, MAX_ROOTS - nroots);
        if (n <= 0) {
            fprintf(stderr, "exectrace snapshot: %s %d: no such %s\n", pass ? "session" : "process group", id,
                    pass ? "session" : "process group");
            return ET_EXIT_BAD_TRACE;
        }
        nroots += n;
    }
    for (int i = 0; i < nroots; i++)
        if (check_pid(roots[i]) < 0)
            return ET_EXIT_BAD_TRACE;

    struct et_live_tree tree = {0};
    for (int i = 0; i < nroots; i++)
        if (add_tree(&tree, roots[i]) < 0) {
            fprintf(stderr, "exectrace snapshot: out of memory\n");
            et_live_tree_free(&tree);
            return ET_EXIT_BAD_TRACE;
        }
    if (!tree.n) {
        fprintf(stderr, "exectrace snapshot: every process named has ended: nothing to snapshot\n");
        return ET_EXIT_BAD_TRACE;
    }

    const char *what = NULL;
    int ret = et_trace_create(path, LIVE_TRACE_SIZE, false, 0, 0, true, NULL, &what);
    int fd = ret < 0 ? -1 : open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    void *map = fd < 0 ? MAP_FAILED : mmap(NULL, LIVE_TRACE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (fd >= 0)
        close(fd);
    struct et_writer w;
    if (map == MAP_FAILED || et_writer_attach(&w, map, LIVE_TRACE_SIZE, (uint32_t)getpid()) < 0) {
        fprintf(stderr, "exectrace snapshot: %s: %s%s%s\n", path, what ? what : "", what ? ": " : "",
                strerror(ret < 0 ? -ret : errno));
        if (map != MAP_FAILED)
            munmap(map, LIVE_TRACE_SIZE);
        et_live_tree_free(&tree);
        return ET_EXIT_BAD_TRACE;
    }
    uint32_t id = et_live_next_snapshot_id(&w);
    size_t n = et_live_write(&w, id, ET_SNAP_REQUESTED, et_now_ns(), &tree);
    munmap(map, LIVE_TRACE_SIZE);
    et_live_tree_free(&tree);
    fprintf(stderr, "exectrace: snapshot of %zu live process%s in %s\n", n, n == 1 ? "" : "es", path);
    return et_report_to(stdout, path, fail_on, ET_REPORT_TEXT);
}

int et_cmd_snapshot(int argc, char **argv)
{
    static const struct option options[] = {{"fail-on", required_argument, NULL, 'f'},
                                            {"pid", required_argument, NULL, 'p'},
                                            {"pgid", required_argument, NULL, 'g'},
                                            {"sid", required_argument, NULL, 's'},
                                            {"output", required_argument, NULL, 'o'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    int fail_on = ET_SEV_WARNING;
    int32_t pids[MAX_ROOTS];
    int npids = 0;
    int32_t pgid = 0, sid = 0;
    const char *output = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+ho:", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            fail_on = strcmp(optarg, "never") == 0 ? 3 : et_severity_parse(optarg);
            if (fail_on < 0)
                return et_usage_error("snapshot", "--fail-on takes error, warning, info or never");
            break;
        case 'p':
        case 'g':
        case 's': {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v <= 0 || v > INT32_MAX)
                return et_usage_error("snapshot", "--pid, --pgid and --sid take a process id");
            if (c == 'p') {
                if (npids == MAX_ROOTS / 2)
                    return et_usage_error("snapshot", "at most 32 --pid");
                pids[npids++] = (int32_t)v;
            } else if (c == 'g') {
                pgid = (int32_t)v;
            } else {
                sid = (int32_t)v;
            }
            break;
        }
        case 'o':
            output = optarg;
            break;
        case 'h':
            return et_help("snapshot");
        default:
            return et_bad_usage("snapshot");
        }
    }
    if (npids || pgid || sid) {
        if (optind != argc)
            return et_usage_error("snapshot", "--pid, --pgid and --sid write a new trace: give it with -o, not "
                                              "as an argument");
        return snapshot_live(pids, npids, pgid, sid, output ? output : LIVE_TRACE, fail_on);
    }
    if (output)
        return et_usage_error("snapshot", "-o goes with --pid, --pgid or --sid");
    if (optind != argc - 1) {
        return et_bad_usage("snapshot");
    }
    const char *path = argv[optind];

    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "exectrace: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return ET_EXIT_BAD_TRACE;
    }
    void *map = st.st_size >= (off_t)ET_HEADER_SIZE
                    ? mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                    : MAP_FAILED;
    close(fd);
    struct et_writer w;
    if (map == MAP_FAILED || et_writer_attach(&w, map, (uint64_t)st.st_size, (uint32_t)getpid()) < 0) {
        fprintf(stderr, "exectrace: %s: not a trace this exectrace can write to\n", path);
        if (map != MAP_FAILED)
            munmap(map, (size_t)st.st_size);
        return ET_EXIT_BAD_TRACE;
    }

    /* The launcher must be the one that made the file, still running: its
     * pid alone could by now belong to anyone. */
    uint32_t launcher = w.hdr->launcher_pid;
    struct et_proc_stat ps;
    int status = ET_EXIT_BAD_TRACE;
    if (!launcher) {
        fprintf(stderr, "exectrace: %s was not recorded by `exectrace run`: nothing to snapshot from\n", path);
    } else if (et_proc_stat_read((int)launcher, &ps) < 0 || ps.start_time != w.hdr->launcher_start_time) {
        fprintf(stderr, "exectrace: %s: its `exectrace run` (pid %u) is no longer running\n", path, launcher);
    } else {
        size_t n;
        uint32_t id = et_take_snapshot(&w, "/proc", (int32_t)launcher, ET_SNAP_REQUESTED, &n);
        if (!id) {
            fprintf(stderr, "exectrace: cannot read /proc: %s\n", strerror(errno));
        } else if (!n) {
            fprintf(stderr, "exectrace: nothing of the traced tree is running any more: no snapshot to take\n");
            status = 0;
            munmap(map, (size_t)st.st_size);
            return status;
        } else {
            fprintf(stderr, "exectrace: snapshot #%u of the live tree: %zu process%s\n", id, n, n == 1 ? "" : "es");
            status = 0;
        }
    }
    munmap(map, (size_t)st.st_size);
    if (status)
        return status;
    return et_report_to(stdout, path, fail_on, ET_REPORT_TEXT);
}
