/*
 * What `exectrace run`'s summary line costs for a given trace, the way it
 * reads it now and the way it did before: the count each run of the trace
 * keeps (et_trace_tally, one page per run) against reading every record
 * back (et_trace_scan).  Each in a fresh mapping of the file, as the
 * launcher's are: the pages are in the page cache, not in its page tables.
 *
 *   summary_cost TRACE
 *
 * Prints `name value` lines: records, processes, runs, tally_ms, scan_ms.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "procmap.h"
#include "reader.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int note_process(const struct et_record *r, uint64_t offset, void *ctx)
{
    (void)offset;
    int inserted;
    et_procmap_get_or_put(ctx, r->pid, r->start_time, 0, &inserted);
    return 0;
}

static int count_run(struct et_run_cursor run, void *ctx)
{
    (void)run;
    ++*(uint64_t *)ctx;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: summary_cost TRACE\n");
        return 2;
    }
    struct et_trace t;
    struct et_procmap tallied, scanned;
    uint64_t records = 0, runs = 0;

    if (et_trace_open(&t, argv[1]) < 0) {
        fprintf(stderr, "summary_cost: %s: %s\n", argv[1], t.diag);
        return 2;
    }
    et_procmap_init(&tallied);
    double start = now_ms();
    if (et_trace_tally(&t, note_process, &tallied, &records) < 0) {
        fprintf(stderr, "summary_cost: %s: written before the runs counted their records\n", argv[1]);
        return 2;
    }
    double tally_ms = now_ms() - start;
    et_trace_runs(&t, count_run, &runs);
    et_trace_close(&t);

    et_trace_open(&t, argv[1]);
    et_procmap_init(&scanned);
    start = now_ms();
    et_trace_scan(&t, note_process, &scanned);
    double scan_ms = now_ms() - start;
    if (t.records != records || scanned.count != tallied.count) {
        fprintf(stderr, "summary_cost: the tally (%llu records, %zu processes) and the scan (%llu, %zu) disagree\n",
                (unsigned long long)records, tallied.count, (unsigned long long)t.records, scanned.count);
        return 1;
    }
    et_trace_close(&t);
    printf("records %llu\nprocesses %zu\nruns %llu\ntally_ms %.3f\nscan_ms %.3f\n", (unsigned long long)records,
           tallied.count, (unsigned long long)runs, tally_ms, scan_ms);
    et_procmap_free(&tallied);
    et_procmap_free(&scanned);
    return 0;
}
