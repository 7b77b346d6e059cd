/*
 * What one recorded call costs the shim, taken apart: reading the clock,
 * writing a record into pages that are already mapped, and mapping a trace
 * file's fresh pages.  The records are the size of a kill() record, written
 * through the shim's own writer.
 *
 *   record_cost DIR RECORDS
 *
 * Prints one `name value` line per figure, in nanoseconds:
 *   clock_ns        et_now_ns(), the vDSO's CLOCK_MONOTONIC
 *   warm_write_ns   reserve, fill and commit a record, pages already mapped,
 *                   timestamp given (no clock read)
 *   warm_record_ns  the same with the clock read: a record once its page is in
 *   cold_record_ns  a record as the shim writes it into a new trace: clock,
 *                   record, and its share of claiming runs and mapping their
 *                   fresh pages (MADV_POPULATE_WRITE)
 *   record_bytes    the size of one record
 *   pipe_fstat_ns   fstat() of a pipe end: how the shim learns a new pipe's
 *                   inode, the name that ties its ends together
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "writer.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct trace {
    char path[4096];
    void *base;
    uint64_t size;
    struct et_writer w;
};

static int open_trace(struct trace *t, const char *dir, const char *name, uint64_t records)
{
    snprintf(t->path, sizeof(t->path), "%s/%s", dir, name);
    /* Runs grow to 64 chunks; leave room for every run's unused tail. */
    t->size = ET_HEADER_SIZE + (records * 80 / ET_CHUNK_SIZE + 256) * ET_CHUNK_SIZE;
    const char *what;
    int ret = et_trace_create(t->path, t->size, (uint32_t)getpid(), 1, true, NULL, &what);
    if (ret < 0) {
        fprintf(stderr, "record_cost: %s: %s: %s\n", t->path, what, strerror(-ret));
        return -1;
    }
    int fd = open(t->path, O_RDWR | O_CLOEXEC);
    t->base = fd < 0 ? MAP_FAILED : mmap(NULL, t->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (fd >= 0)
        close(fd);
    if (t->base == MAP_FAILED) {
        perror(t->path);
        return -1;
    }
    if (et_writer_attach(&t->w, t->base, t->size, (uint32_t)getpid()) < 0) {
        fprintf(stderr, "record_cost: %s: the writer refuses the file it made\n", t->path);
        return -1;
    }
    return 0;
}

static void close_trace(struct trace *t)
{
    munmap(t->base, t->size);
    unlink(t->path);
}

/* Writes `n` kill-sized records; with `clock`, each reads the clock as the
 * shim's hooks do.  Returns the seconds it took, or -1 when a record found
 * no room. */
static double write_records(struct trace *t, uint64_t n, bool clock)
{
    struct et_identity id = {(uint32_t)getpid(), (uint32_t)getpid(), 1};
    double start = now_s();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t ts = clock ? et_now_ns() : i;
        struct et_record *r = et_record_reserve(&t->w, ET_REC_SIGNAL, sizeof(struct et_signal), &id, ts, 0);
        if (!r)
            return -1;
        struct et_signal *b = et_record_body(r);
        *b = (struct et_signal){.kind = ET_SIGNAL_KILL, .target = (int32_t)id.pid, .pidfd = -1, .pidfd_pid = -1};
        et_commit(r);
    }
    return now_s() - start;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: record_cost DIR RECORDS\n");
        return 2;
    }
    uint64_t n = strtoull(argv[2], NULL, 10);
    if (n < 1000) {
        fprintf(stderr, "record_cost: at least 1000 records\n");
        return 2;
    }

    /* The clock alone. */
    volatile uint64_t sink = 0;
    double start = now_s();
    for (uint64_t i = 0; i < n; i++)
        sink += et_now_ns();
    double clock_s = now_s() - start;

    /* Every page of the file mapped first, then records with and without
     * the clock: the record's own cost. */
    struct trace warm;
    if (open_trace(&warm, argv[1], "record-cost-warm.trace", 2 * n) < 0)
        return 1;
    if (madvise(warm.base, warm.size, MADV_POPULATE_WRITE) != 0) {
        fprintf(stderr, "record_cost: MADV_POPULATE_WRITE: %s\n", strerror(errno));
        return 1;
    }
    double warm_write_s = write_records(&warm, n, false);
    double warm_record_s = write_records(&warm, n, true);
    close_trace(&warm);

    /* A new file: the records as the shim writes them. */
    struct trace cold;
    if (open_trace(&cold, argv[1], "record-cost-cold.trace", n) < 0)
        return 1;
    double cold_s = write_records(&cold, n, true);
    close_trace(&cold);

    /* What the pipe hook adds to every pipe, as its own system call. */
    int fds[2];
    if (pipe(fds) != 0) {
        fprintf(stderr, "record_cost: pipe: %s\n", strerror(errno));
        return 1;
    }
    uint64_t fstats = n / 4;
    start = now_s();
    for (uint64_t i = 0; i < fstats; i++) {
        struct stat st;
        if (fstat(fds[0], &st) == 0)
            sink += st.st_ino;
    }
    double fstat_s = now_s() - start;
    close(fds[0]);
    close(fds[1]);

    if (warm_write_s < 0 || warm_record_s < 0 || cold_s < 0) {
        fprintf(stderr, "record_cost: a trace file was too small\n");
        return 1;
    }
    printf("clock_ns %.1f\n", clock_s / (double)n * 1e9);
    printf("warm_write_ns %.1f\n", warm_write_s / (double)n * 1e9);
    printf("warm_record_ns %.1f\n", warm_record_s / (double)n * 1e9);
    printf("cold_record_ns %.1f\n", cold_s / (double)n * 1e9);
    printf("record_bytes %u\n", et_align8((uint32_t)(sizeof(struct et_record) + sizeof(struct et_signal))));
    printf("pipe_fstat_ns %.1f\n", fstat_s / (double)fstats * 1e9);
    (void)sink;
    return 0;
}
