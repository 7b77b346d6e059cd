/*
 * Small traces made by hand for the pictures (export and timeline): a
 * pipeline, a zombie, an orphan adopted by the subreaper, a kill after reap,
 * a reused pid.  Each is a complete run of the launcher, with times in ms.
 */
#define _GNU_SOURCE
#include "scenarios.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "exectrace/trace_format.h"
#include "synth.h"

#define MS(n) ((uint64_t)(n) * 1000000u)

/* ---- a process's records ------------------------------------------------------- */

struct pr {
    uint32_t pid;
    uint64_t st;
};

static struct synth *S;

static void put(struct pr p, uint64_t ts, uint16_t type, int err, const void *body, size_t len,
                const struct synth_tail *tail)
{
    synth_put(S, p.pid, p.st, 0, ts, type, err, 0, body, len, tail);
}

static void start(struct pr p, uint64_t ts, uint16_t origin, uint32_t ppid, const char *argv0,
                  const struct et_pipe_end *ends, uint16_t nends)
{
    struct synth_tail t = {0};
    for (unsigned i = 0; i < nends; i++)
        synth_tail_bytes(&t, &ends[i], sizeof(ends[i]));
    synth_tail_str(&t, argv0 ? argv0 : "");
    if (argv0)
        synth_tail_str(&t, argv0);
    struct et_image_start b = {.ppid = ppid, .pgid = 100, .sid = 100, .origin = origin, .uid = 1000,
                               .euid = 1000, .argc = argv0 ? 1 : 0, .argv_count = argv0 ? 1 : 0,
                               .pipe_count = nends};
    put(p, ts, ET_REC_IMAGE_START, 0, &b, sizeof(b), &t);
}

static void forked(struct pr parent, struct pr child, uint64_t ts, uint64_t child_ts)
{
    struct et_fork b = {ET_FORK_FORK, 0, (int32_t)child.pid, 0};
    put(parent, ts, ET_REC_FORK, 0, &b, sizeof(b), NULL);
    start(child, child_ts, ET_ORIGIN_FORK, parent.pid, NULL, NULL, 0);
}

static void execs(struct pr p, uint64_t ts, const char *program, const struct et_pipe_end *ends, uint16_t nends,
                  uint32_t ppid)
{
    struct synth_tail t = {0};
    synth_tail_str(&t, program);
    synth_tail_str(&t, program);
    struct et_exec b = {.kind = ET_EXEC_EXECVE, .fd = -1, .argc = 1, .argv_count = 1};
    put(p, ts, ET_REC_EXEC, 0, &b, sizeof(b), &t);
    start(p, ts + 1000, ET_ORIGIN_EXEC, ppid, program, ends, nends);
}

static void exits(struct pr p, uint64_t ts, int code)
{
    struct et_image_exit b = {ET_EXIT_EXIT, 0, code};
    put(p, ts, ET_REC_IMAGE_EXIT, 0, &b, sizeof(b), NULL);
}

static void waits(struct pr p, uint64_t from, uint64_t to, int32_t child, int status)
{
    struct et_wait_enter in = {ET_WAIT_WAIT4, 0, 0, child, 0, 0};
    put(p, from, ET_REC_WAIT_ENTER, 0, &in, sizeof(in), NULL);
    struct et_wait_return out = {ET_WAIT_WAIT4, 0, child, status, 0, 0, 0, 0, 0};
    put(p, to, ET_REC_WAIT_RETURN, 0, &out, sizeof(out), NULL);
}

static void reaped(struct pr launcher, uint64_t ts, struct pr who, uint16_t role, int status)
{
    struct et_reaped b = {(int32_t)who.pid, status, who.st, role, 0, 0};
    put(launcher, ts, ET_REC_REAPED, 0, &b, sizeof(b), NULL);
}

static void kills(struct pr p, uint64_t ts, int32_t target, int sig, int err)
{
    struct et_signal b = {ET_SIGNAL_KILL, 0, target, 0, sig, err ? -1 : 0, -1, -1, 0};
    put(p, ts, ET_REC_SIGNAL, err, &b, sizeof(b), NULL);
}

static void run_end(struct pr launcher, uint64_t ts, struct pr command, uint32_t orphans)
{
    struct et_run_end b = {(int32_t)command.pid, 0, orphans, 0, 0};
    put(launcher, ts, ET_REC_RUN_END, 0, &b, sizeof(b), NULL);
}

static const struct pr LAUNCHER = {100, 1000}, SH = {200, 2000}, A = {300, 3000}, B = {400, 4000};

/* The launcher starts the command; what the scenario does comes between. */
static void begin(void)
{
    S = synth_new(LAUNCHER.pid, LAUNCHER.st);
    start(LAUNCHER, MS(1), ET_ORIGIN_LAUNCHER, 1, "exectrace", NULL, 0);
    forked(LAUNCHER, SH, MS(2), MS(2) + 100000);
    execs(SH, MS(3), "sh", NULL, 0, LAUNCHER.pid);
}

static void end(uint64_t ts, uint32_t orphans)
{
    exits(SH, ts, 0);
    reaped(LAUNCHER, ts + MS(1), SH, ET_REAPED_COMMAND, 0);
    run_end(LAUNCHER, ts + MS(2), SH, orphans);
}

/* ---- the scenarios -------------------------------------------------------------- */

/* sh: a | b, through one pipe. */
static void pipeline(void)
{
    begin();
    struct et_pipe p = {ET_PIPE_PIPE, 0, 3, 4, 0, 0, 0, 777};
    put(SH, MS(4), ET_REC_PIPE, 0, &p, sizeof(p), NULL);
    /* A pipe made and closed in the same instant: held for no time at all. */
    struct et_pipe brief = {ET_PIPE_PIPE, 0, 5, 6, 0, 0, 0, 778};
    put(SH, MS(4) + 500, ET_REC_PIPE, 0, &brief, sizeof(brief), NULL);
    struct et_close c5 = {5, 0, {5, ET_PIPE_READ, 778}}, c6 = {6, 0, {6, ET_PIPE_WRITE, 778}};
    put(SH, MS(4) + 500, ET_REC_CLOSE, 0, &c5, sizeof(c5), NULL);
    put(SH, MS(4) + 500, ET_REC_CLOSE, 0, &c6, sizeof(c6), NULL);
    forked(SH, A, MS(5), MS(5) + 50000);
    forked(SH, B, MS(6), MS(6) + 50000);
    struct et_close c = {4, 0, {4, ET_PIPE_WRITE, 777}};
    put(SH, MS(7), ET_REC_CLOSE, 0, &c, sizeof(c), NULL);
    struct et_close c3 = {3, 0, {3, ET_PIPE_READ, 777}};
    put(SH, MS(7) + 1000, ET_REC_CLOSE, 0, &c3, sizeof(c3), NULL);
    struct et_pipe_end a_end[] = {{1, ET_PIPE_WRITE, 777}};
    struct et_pipe_end b_end[] = {{0, ET_PIPE_READ, 777}};
    execs(A, MS(8), "a", a_end, 1, SH.pid);
    execs(B, MS(9), "b", b_end, 1, SH.pid);
    exits(A, MS(20), 0);
    waits(SH, MS(10), MS(21), (int32_t)A.pid, 0);
    exits(B, MS(22), 0);
    waits(SH, MS(21) + 1000, MS(23), (int32_t)B.pid, 0);
    end(MS(24), 0);
}

/* A child exits at once and stays a zombie until its parent waits, 2 s later. */
static void zombie(void)
{
    begin();
    forked(SH, A, MS(4), MS(4) + 50000);
    exits(A, MS(10), 3);
    waits(SH, MS(2010), MS(2011), (int32_t)A.pid, 3 << 8);
    end(MS(2020), 0);
}

/* sh's child starts a grandchild and exits; the grandchild outlives both and
 * is reaped by exectrace, the subreaper that adopted it. */
static void orphan(void)
{
    begin();
    forked(SH, A, MS(4), MS(4) + 50000);
    forked(A, B, MS(5), MS(5) + 50000);
    exits(A, MS(6), 0);
    waits(SH, MS(5), MS(7), (int32_t)A.pid, 0);
    exits(SH, MS(8), 0);
    reaped(LAUNCHER, MS(9), SH, ET_REAPED_COMMAND, 0);
    exits(B, MS(300), 0);
    reaped(LAUNCHER, MS(301), B, ET_REAPED_ORPHAN, 0);
    run_end(LAUNCHER, MS(302), SH, 1);
}

/* A child reaped, then signalled: the signal finds no one. */
static void kill_after_reap(void)
{
    begin();
    forked(SH, A, MS(4), MS(4) + 50000);
    exits(A, MS(10), 0);
    waits(SH, MS(5), MS(11), (int32_t)A.pid, 0);
    kills(SH, MS(12), (int32_t)A.pid, 15, ESRCH);
    end(MS(13), 0);
}

/* Two children with the same pid, one after the other: two lanes. */
static void reused_pid(void)
{
    begin();
    struct pr again = {A.pid, 3500};
    forked(SH, A, MS(4), MS(4) + 50000);
    exits(A, MS(10), 0);
    waits(SH, MS(5), MS(11), (int32_t)A.pid, 0);
    forked(SH, again, MS(12), MS(12) + 50000);
    kills(SH, MS(13), (int32_t)A.pid, 15, 0);
    waits(SH, MS(14), MS(15), (int32_t)A.pid, 15);
    end(MS(16), 0);
}


const struct picture_scenario picture_scenarios[] = {
    {"pipeline", pipeline, 4, 4},
    {"zombie", zombie, 3, 3},
    {"orphan", orphan, 4, 5},
    {"kill_after_reap", kill_after_reap, 3, 4},
    {"reused_pid", reused_pid, 4, 5},
};
const size_t npicture_scenarios = sizeof(picture_scenarios) / sizeof(picture_scenarios[0]);

const struct picture_scenario *picture_scenario_named(const char *name)
{
    for (size_t i = 0; i < npicture_scenarios; i++)
        if (strcmp(picture_scenarios[i].name, name) == 0)
            return &picture_scenarios[i];
    return NULL;
}

struct synth *picture_scenario_make(const struct picture_scenario *sc)
{
    sc->make();
    struct synth *made = S;
    S = NULL;
    return made;
}

struct synth *picture_scenario_launcher_only(void)
{
    S = synth_new(LAUNCHER.pid, LAUNCHER.st);
    start(LAUNCHER, MS(1), ET_ORIGIN_LAUNCHER, 1, "exectrace", NULL, 0);
    struct synth *made = S;
    S = NULL;
    return made;
}
