/*
 * `exectrace snapshot FILE`: from another terminal, snapshot the live tree
 * of a running `exectrace run`, append it to the trace, and print the hang
 * report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
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

const char et_usage_snapshot[] =
    "usage: exectrace snapshot [--fail-on LEVEL] FILE\n"
          "Snapshots the live process tree of a running `exectrace run` writing FILE: what each process\n"
          "is blocked in and the pipes it holds. Appends it to the trace and prints the report.\n"
          "Exit status as for `exectrace report`.\n";

int et_cmd_snapshot(int argc, char **argv)
{
    static const struct option options[] = {
        {"fail-on", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int fail_on = ET_SEV_WARNING;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            fail_on = strcmp(optarg, "never") == 0 ? 3 : et_severity_parse(optarg);
            if (fail_on < 0)
                return et_usage_error("snapshot", "--fail-on takes error, warning, info or never");
            break;
        case 'h':
            return et_help("snapshot");
        default:
            return et_bad_usage("snapshot");
        }
    }
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
