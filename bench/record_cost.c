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
 *   walk_ns         the shim's stack walker (unwind.c, its table of rules
 *                   already filled) over a stack shaped like a hooked call's
 *                   in bench/progs: three frames of its own skipped, then the
 *                   program's main and the three frames that start it
 *   walk_frames     the frames that walk stores
 *   cold_stacked_record_ns  cold_record_ns for a record that also carries
 *                   those frames, as a hooked call's record with a stack does
 *   stacked_record_bytes    its size
 *   ring_warm_record_ns     warm_record_ns in a ring trace (run --ring) that
 *                   has not gone round yet
 *   ring_record_ns  a record as the shim writes it into a 16 MiB ring that
 *                   has gone round: its share of claiming slots a lap old
 *                   (walking the records there) included
 *   image_record_ns the first record of a process image (the size of a
 *                   start record), as each new image writes it: a run of its
 *                   own claimed, in a new trace
 *   ring_image_record_ns    the same in a ring that has gone round
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

#include <link.h>

#include "unwind.h"
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

/* ring_bytes: a ring trace of that size rather than one with room for
 * `records`. */
static int open_trace_as(struct trace *t, const char *dir, const char *name, uint64_t records, uint64_t ring_bytes)
{
    snprintf(t->path, sizeof(t->path), "%s/%s", dir, name);
    /* Runs grow to 64 chunks; leave room for every run's unused tail. */
    t->size = ET_HEADER_SIZE + (records * 80 / ET_CHUNK_SIZE + 256) * ET_CHUNK_SIZE;
    if (ring_bytes)
        t->size = ring_bytes;
    const char *what;
    int ret = et_trace_create(t->path, t->size, ring_bytes != 0, (uint32_t)getpid(), 1, true, NULL, &what);
    if (ret < 0) {
        fprintf(stderr, "record_cost: %s: %s: %s\n", t->path, what, strerror(-ret));
        return -1;
    }
    int fd = open(t->path, O_RDWR | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0)
        t->size = (uint64_t)st.st_size;
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

static int open_trace(struct trace *t, const char *dir, const char *name, uint64_t records)
{
    return open_trace_as(t, dir, name, records, 0);
}

static void close_trace(struct trace *t)
{
    munmap(t->base, t->size);
    unlink(t->path);
}

/* Writes `n` kill-sized records, each with the `frames` return addresses
 * in `pcs` as its stack when there are any; with `clock`, each reads the
 * clock as the shim's hooks do.  Returns the seconds it took, or -1 when a
 * record found no room. */
static double write_records(struct trace *t, uint64_t n, bool clock, const uint64_t *pcs, unsigned frames)
{
    struct et_identity id = {(uint32_t)getpid(), (uint32_t)getpid(), 1};
    uint32_t stack_bytes = frames ? frames * 8 + (uint32_t)sizeof(struct et_stack_trailer) : 0;
    double start = now_s();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t ts = clock ? et_now_ns() : i;
        struct et_record *r =
            et_record_reserve(&t->w, ET_REC_SIGNAL, (uint32_t)sizeof(struct et_signal) + stack_bytes, &id, ts, 0);
        if (!r)
            return -1;
        struct et_signal *b = et_record_body(r);
        *b = (struct et_signal){.kind = ET_SIGNAL_KILL, .target = (int32_t)id.pid, .pidfd = -1, .pidfd_pid = -1};
        if (frames) {
            r->flags |= ET_RF_STACK;
            uint8_t *tail = (uint8_t *)(b + 1);
            memcpy(tail, pcs, frames * 8);
            struct et_stack_trailer trailer = {(uint16_t)frames, 0, 0};
            memcpy(tail + frames * 8, &trailer, sizeof(trailer));
        }
        et_commit(&t->w, r);
    }
    return now_s() - start;
}

/* `n` process images' first records, each the size of a start record, in
 * a run of its own as a new image claims one.  Seconds, or -1. */
static double write_image_records(struct trace *t, uint64_t n)
{
    struct et_identity id = {(uint32_t)getpid(), (uint32_t)getpid(), 1};
    double start = now_s();
    for (uint64_t i = 0; i < n; i++) {
        et_writer_forget_run(&t->w, id.pid);
        struct et_record *r = et_record_reserve(&t->w, ET_REC_IMAGE_START, 360, &id, et_now_ns(), 0);
        if (!r)
            return -1;
        memset(et_record_body(r), 0, 360);
        et_commit(&t->w, r);
    }
    return now_s() - start;
}

/* The walker over a stack like the one a hook walks: its three frames of
 * the shim's own (here these three functions, in their own section so that
 * the walk skips them as the shim skips its text), then whatever called
 * them.  The first keeps a frame pointer: the walk starts from its frame. */
static const uint8_t *table_of(uintptr_t pc, void *ctx)
{
    (void)ctx;
    struct dl_find_object found;
    return _dl_find_object((void *)pc, &found) == 0 ? found.dlfo_eh_frame : NULL;
}

extern const char __start_record_cost_own[], __stop_record_cost_own[];
#define OWN_FRAME __attribute__((noinline, section("record_cost_own")))

OWN_FRAME __attribute__((optimize("no-omit-frame-pointer"))) static unsigned walk_here(uint64_t *pcs)
{
    struct et_unwind_regs regs = ET_UNWIND_REGS_HERE();
    unsigned stored = 0;
    et_unwind_walk(&regs, (uintptr_t)__start_record_cost_own, (uintptr_t)__stop_record_cost_own, pcs,
                   ET_DEFAULT_STACK_DEPTH, &stored, table_of, NULL);
    return stored;
}

OWN_FRAME static unsigned walk_below_one(uint64_t *pcs)
{
    unsigned n = walk_here(pcs);
    __asm__ volatile("" ::: "memory"); /* not a tail call: the frame stays */
    return n;
}

OWN_FRAME static unsigned walk_below_two(uint64_t *pcs)
{
    unsigned n = walk_below_one(pcs);
    __asm__ volatile("" ::: "memory");
    return n;
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
    double warm_write_s = write_records(&warm, n, false, NULL, 0);
    double warm_record_s = write_records(&warm, n, true, NULL, 0);
    close_trace(&warm);

    /* A new file: the records as the shim writes them. */
    struct trace cold;
    if (open_trace(&cold, argv[1], "record-cost-cold.trace", n) < 0)
        return 1;
    double cold_s = write_records(&cold, n, true, NULL, 0);
    close_trace(&cold);

    /* The walk, from main as a hook's is from the program's call, its
     * rules learnt in the first one. */
    uint64_t pcs[ET_DEFAULT_STACK_DEPTH];
    unsigned frames = walk_below_two(pcs);
    start = now_s();
    for (uint64_t i = 0; i < n; i++)
        sink += walk_below_two(pcs);
    double walk_s = now_s() - start;

    /* Records carrying those frames, into a new file. */
    struct trace stacked;
    if (open_trace(&stacked, argv[1], "record-cost-stacked.trace", 2 * n) < 0)
        return 1;
    double stacked_s = write_records(&stacked, n, true, pcs, frames);
    close_trace(&stacked);

    /* A ring: warm, and gone round (written through once, untimed). */
    struct trace ring;
    if (open_trace_as(&ring, argv[1], "record-cost-ring.trace", 0, ET_HEADER_SIZE + 4096 + 2 * n * 80) < 0)
        return 1;
    madvise(ring.base, ring.size, MADV_POPULATE_WRITE);
    double ring_warm_s = write_records(&ring, n, true, NULL, 0);
    close_trace(&ring);
    struct trace lapped;
    if (open_trace_as(&lapped, argv[1], "record-cost-lapped.trace", 0, 16u << 20) < 0)
        return 1;
    if (write_records(&lapped, (16u << 20) / 40, true, NULL, 0) < 0)
        return 1;
    double ring_s = write_records(&lapped, n, true, NULL, 0);

    /* Process images' first records: in a new trace, and in the ring. */
    uint64_t images = n / 20;
    struct trace fresh;
    if (open_trace(&fresh, argv[1], "record-cost-images.trace", images * 26) < 0)
        return 1;
    double image_s = write_image_records(&fresh, images);
    close_trace(&fresh);
    double ring_image_s = write_image_records(&lapped, images);
    close_trace(&lapped);

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

    if (warm_write_s < 0 || warm_record_s < 0 || cold_s < 0 || stacked_s < 0 || ring_warm_s < 0 || ring_s < 0 ||
        image_s < 0 || ring_image_s < 0) {
        fprintf(stderr, "record_cost: a trace file was too small\n");
        return 1;
    }
    printf("clock_ns %.1f\n", clock_s / (double)n * 1e9);
    printf("warm_write_ns %.1f\n", warm_write_s / (double)n * 1e9);
    printf("warm_record_ns %.1f\n", warm_record_s / (double)n * 1e9);
    printf("cold_record_ns %.1f\n", cold_s / (double)n * 1e9);
    printf("record_bytes %u\n", et_align8((uint32_t)(sizeof(struct et_record) + sizeof(struct et_signal))));
    printf("pipe_fstat_ns %.1f\n", fstat_s / (double)fstats * 1e9);
    printf("walk_ns %.1f\n", walk_s / (double)n * 1e9);
    printf("walk_frames %u\n", frames);
    printf("cold_stacked_record_ns %.1f\n", stacked_s / (double)n * 1e9);
    printf("stacked_record_bytes %u\n",
           et_align8((uint32_t)(sizeof(struct et_record) + sizeof(struct et_signal) + frames * 8 +
                                sizeof(struct et_stack_trailer))));
    printf("ring_warm_record_ns %.1f\n", ring_warm_s / (double)n * 1e9);
    printf("ring_record_ns %.1f\n", ring_s / (double)n * 1e9);
    printf("image_record_ns %.1f\n", image_s / (double)images * 1e9);
    printf("ring_image_record_ns %.1f\n", ring_image_s / (double)images * 1e9);
    (void)sink;
    return 0;
}
