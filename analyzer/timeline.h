/*
 * A trace as a picture in time: one lane per process instance (pid and
 * start time: a reused pid is a new lane) in tree order, what each lane was
 * doing when, the arrows between lanes, the pipe ends each held, and the
 * findings with the interval they cover.  Built from the analysis (model and
 * findings) and one more pass over the records; the exports (export.c) and
 * the HTML timeline draw it.  Times are the trace's CLOCK_MONOTONIC ns.
 */
#ifndef EXECTRACE_TIMELINE_H
#define EXECTRACE_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

#define ET_TL_NO_LANE UINT32_MAX

struct et_tl_lane {
    int32_t proc;         /* in the model */
    uint32_t parent_lane; /* ET_TL_NO_LANE for a root */
    uint32_t rank;        /* among its siblings, by creation */
    uint16_t depth;
    uint64_t begin, end; /* created .. reaped (or the end of the trace) */
    char *label;         /* "1234 sleep 3" */
    char *ending;        /* "exited 0", "killed by SIGKILL", "running at the end" */
};

enum et_tl_slice_kind {
    ET_TL_PROGRAM, /* a program image: the first, and one per exec */
    ET_TL_WAIT,    /* blocked in a wait call */
    ET_TL_ZOMBIE,  /* exited, not yet reaped */
};

struct et_tl_slice {
    uint32_t lane;
    uint8_t kind;
    uint64_t from, to;
    char *label;
    const struct et_record *rec; /* what began it, when one did */
};

enum et_tl_flow_kind {
    ET_TL_CREATE, /* parent -> child */
    ET_TL_SIGNAL, /* sender -> target */
    ET_TL_REAP,   /* the zombie -> who reaped it */
    ET_TL_ADOPT,  /* the orphan -> the subreaper that took it */
};

/* An arrow; from_ts <= to_ts always (a child's first record can come
 * before its parent's fork returns: the arrow then ends where it began). */
struct et_tl_flow {
    uint8_t kind;
    bool failed; /* a signal that failed, or reached an already reaped pid */
    uint32_t from_lane, to_lane;
    uint64_t from_ts, to_ts;
    char *label;
    const struct et_record *rec;
};

enum et_tl_instant_kind {
    ET_TL_SIGNAL_SENT, /* one with no single target lane: a group, everyone, a pid not in the trace */
    ET_TL_GROUP,       /* setpgid, setsid */
    ET_TL_SUBREAPER,   /* prctl(PR_SET_CHILD_SUBREAPER) */
    ET_TL_EXEC_FAILED,
};

struct et_tl_instant {
    uint32_t lane;
    uint8_t kind;
    uint64_t ts;
    char *label;
    const struct et_record *rec;
};

/* A pipe end a lane held, from when to when. */
struct et_tl_hold {
    uint32_t lane;
    uint64_t inode;
    int32_t fd;
    bool read, write;
    uint64_t from, until;
};

/* A finding, placed: the interval its evidence covers, its lanes. */
struct et_tl_finding {
    const struct et_finding *f;
    uint64_t from, to;
    uint32_t subject_lane;
};

struct et_timeline {
    struct et_analysis a;
    uint64_t t0, t1; /* the trace's first and last record */
    struct et_tl_lane *lanes;
    size_t nlanes;
    uint32_t *lane_of; /* model process -> lane */
    struct et_tl_slice *slices;
    size_t nslices, slices_cap;
    struct et_tl_flow *flows;
    size_t nflows, flows_cap;
    struct et_tl_instant *instants;
    size_t ninstants, instants_cap;
    struct et_tl_hold *holds;
    size_t nholds, holds_cap;
    struct et_tl_finding *findings;
    size_t nfindings;
    bool out_of_memory;
};

/* 0, or -ENOMEM.  Free it either way.  Everything is sorted: slices,
 * flows, instants and holds by time (then lane), findings as the report
 * orders them. */
int et_timeline_build(struct et_timeline *tl, struct et_trace *t, const struct et_thresholds *th);
void et_timeline_free(struct et_timeline *tl);

/* For a command: opens the trace at path and builds its timeline with the
 * default thresholds.  0, or the exit status after saying why on stderr
 * (then nothing is left to free or close). */
int et_timeline_load(struct et_timeline *tl, struct et_trace *t, const char *path);

#endif
