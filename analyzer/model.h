/*
 * The process model: who started whom, what each process ran, how it ended,
 * who reaped it, and which pipe ends it held, rebuilt from a trace read in
 * time order.  A process is identified by (pid, start time): pids are reused.
 *
 * The model is a state machine fed one record at a time (et_model_feed): it
 * knows nothing of findings.  It tells an observer (the rules, rules.h) of
 * its transitions, so memory grows with the processes and pipes alive, not
 * with the number of records.  Records are referred to by pointer into the
 * trace, which must outlive the model.
 */
#ifndef EXECTRACE_MODEL_H
#define EXECTRACE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procmap.h"
#include "reader.h"

#define ET_NO_PROC (-1)

enum et_proc_flag {
    ET_PF_TRACED = 1u << 0,      /* wrote records of its own */
    ET_PF_LAUNCHER = 1u << 1,    /* exectrace itself */
    ET_PF_COMMAND = 1u << 2,     /* the command exectrace ran */
    ET_PF_PLACEHOLDER = 1u << 3, /* known only from what others recorded */
    ET_PF_UNTRACED_EXEC = 1u << 4, /* exec'd a program that did not load the shim */
    ET_PF_SETID_EXEC = 1u << 5,  /* exec'd a set-id program: not followed */
    ET_PF_DETACHED = 1u << 6,    /* called setsid(): a session of its own */
    ET_PF_SIGCHLD_IGNORED = 1u << 7, /* its children are reaped by the kernel */
    ET_PF_ENDED = 1u << 8,       /* no longer running (exited, or killed) */
    ET_PF_REAPED = 1u << 9,
    ET_PF_ORPHANED = 1u << 10,   /* its parent ended first */
    ET_PF_LEFT_RUNNING = 1u << 11, /* the launcher stopped while it still ran */
    ET_PF_GO = 1u << 12,         /* its latest image is a Go program */
    /* Its latest image records its reads of pipes (the shim, format 1.6):
     * that no pipe_wait came from it says it did not wait long. */
    ET_PF_READS_RECORDED = 1u << 13,
    /* It ended before the launcher stopped (no process of its line was left
     * running then), but no record says when or how: its reaper was not
     * traced.  Not ET_PF_ENDED: no time is invented for it. */
    ET_PF_END_UNSEEN = 1u << 14,
    /* A wrapped ring trace: it was running when the complete history
     * begins, its start long overwritten.  Who it is comes from what is
     * left of earlier records, or a checkpoint (ET_SNAP_CHECKPOINT). */
    ET_PF_BEFORE_HISTORY = 1u << 15,
    /* The pipe ends it holds came from a checkpoint, its start not being
     * in the trace. */
    ET_PF_HOLDS_FROM_CHECKPOINT = 1u << 16,
};

enum et_end_how {
    ET_END_RUNNING = 0, /* not ended in the trace */
    ET_END_EXITED = 1,
    ET_END_KILLED = 2,
    ET_END_UNKNOWN = 3, /* it ended, but how is not recorded */
};

/* A program image run by a process: its first, and one per successful exec. */
struct et_image {
    uint64_t ts;
    char *command; /* argv joined for display, bounded */
    char *exe;
    struct et_image *next;
};

/* A pipe end held by a process. */
struct et_hold {
    int32_t fd;
    uint32_t pipe; /* index into model->pipes */
    uint32_t log;  /* its entry in the pipe's log */
    bool write;
    bool read;
    bool cloexec;
};

/* Who held an end of a pipe, from when to when.  A process's death may be
 * learnt only when it is reaped, long after: rules look back at who held
 * the pipe at the moment it died. */
struct et_holding {
    int32_t proc;
    int32_t fd;
    bool read, write;
    uint64_t from;
    uint64_t until; /* 0 while held */
};

/* Who a process was, from a record before a wrapped ring's complete
 * history. */
struct et_identity_note {
    uint32_t pid;
    uint64_t start_time;
    uint32_t ppid, pgid, sid;
    char *command;
    char *exe;
    bool go;
    bool command_proc; /* the command exectrace ran */
};

/* A wait call in progress, for races with signals from other threads. */
struct et_wait_call {
    uint32_t tid;
    const struct et_record *enter;
};

struct et_proc {
    uint32_t pid;
    uint64_t start_time;
    uint32_t flags;
    int32_t parent;  /* the process that created it (or its parent when it started) */
    int32_t first_child, last_child, next_sibling;
    uint32_t ppid;   /* as the kernel said at its start */
    uint32_t pgid, sid;
    uint16_t origin; /* ET_ORIGIN_* of its first start record, 0 if none */
    uint64_t begin_ts; /* creation call, or first record */
    uint64_t last_ts;  /* its last record */
    const struct et_record *created_by; /* the parent's fork/spawn record */
    /* The ptrace recorder could not follow it when it asked (a recorder
     * record of its own, with the reason). */
    const struct et_record *recorder_refusal;
    struct et_image *images, *last_image;

    /* How it ended. */
    uint8_t end_how;
    int32_t exit_code;
    int32_t term_signal;
    uint64_t end_ts;          /* when it stopped running */
    bool end_ts_exact;        /* from its own exit record */
    const struct et_record *exit_rec;
    const struct et_record *killed_by; /* the signal that most likely ended it */
    int32_t reaper;
    uint64_t reap_ts;
    const struct et_record *reap_rec;
    const struct et_record *reap_enter; /* the reaping wait's wait_enter, when recorded */
    bool reaped_by_kernel;    /* its parent ignored SIGCHLD */
    int32_t adopter;          /* who reaped it after its parent ended */
    uint64_t orphaned_ts;

    /* Live state. */
    struct et_hold *holds;
    uint32_t nholds, holds_cap;
    struct et_wait_call *waits;
    uint32_t nwaits, waits_cap;
    const struct et_record *pending_exec; /* an exec whose outcome is not yet known */
    const struct et_record *sigchld_rec;  /* its last change to SIGCHLD's disposition */
    const struct et_record *snap;         /* its state in the latest snapshot it was in */
};

struct et_model_pipe {
    uint64_t inode;
    int32_t creator; /* ET_NO_PROC when made outside the trace */
    const struct et_record *created;
    uint32_t writers, readers; /* ends open, in all known processes */
    uint64_t last_writer_gone_ts; /* when writers dropped to 0 */
    struct et_holding *log;
    uint32_t nlog, log_cap;
    bool free;       /* slot unused: the pipe is gone */
};

/* Told of the model's transitions, in the order they happen.  Any hook may
 * be NULL. */
struct et_model_observer {
    void (*on_start)(void *ctx, int32_t proc, const struct et_record *r);
    void (*on_signal)(void *ctx, int32_t proc, const struct et_record *r);
    void (*on_wait_return)(void *ctx, int32_t proc, const struct et_record *r, const struct et_record *enter);
    /* Before the pipe ends it held are released. */
    void (*on_process_end)(void *ctx, int32_t proc);
    /* proc no longer holds any write end of the pipe (a pipe is forgotten
     * only once nobody holds it). */
    void (*on_write_end_released)(void *ctx, int32_t proc, uint32_t pipe, uint64_t ts);
    /* A holding of a pipe end ended (h->until set); the pipe's inode, since
     * the pipe itself may be forgotten next. */
    void (*on_holding_end)(void *ctx, const struct et_holding *h, uint64_t inode);
    /* A read of pipe ends that saw end-of-file, or a long wait for them
     * (pipe_eof, pipe_wait records). */
    void (*on_pipe_read)(void *ctx, int32_t proc, const struct et_record *r);
    /* The latest snapshot of the live tree is complete: every process of it
     * has its state (proc->snap), and a record after it has come.  One that
     * ends the trace is not told: at on_end, m->snapshot is set and
     * m->snapshot_told is not. */
    void (*on_snapshot)(void *ctx);
    void (*on_end)(void *ctx);
};

struct et_model {
    const struct et_trace *trace;
    const struct et_model_observer *observer;
    void *observer_ctx;

    struct et_proc *procs;
    size_t nprocs, procs_cap;
    struct et_procmap by_identity; /* (pid, start time) -> index */
    /* Its latest answers by the pid's low bits: the table has a slot for
     * every process of the trace, these the few alive at a time, and every
     * record asks.  by_identity never changes an answer once given. */
    struct {
        uint32_t pid;
        int32_t index; /* ET_NO_PROC: empty */
        uint64_t start_time;
    } identity_cache[256];
    struct et_procmap by_pid;      /* (pid, 0) -> newest process with that pid */
    struct et_procmap reaped_by_pid; /* (pid, 0) -> the last process with that pid reaped */
    const struct et_record *current; /* the record being fed, for evidence */
    int32_t launcher;
    int32_t command;
    const struct et_record *recorder; /* whether the ptrace recorder ran, NULL: not said */

    struct et_model_pipe *pipes;
    size_t npipes, pipes_cap;
    struct et_procmap pipe_by_inode; /* (0, inode) -> index, pipes someone holds */
    uint32_t *free_pipes;            /* slots of pipes nobody holds any more */
    size_t nfree_pipes, free_pipes_cap;
    /* The pipes forgotten last, by inode: a child's start record may list
     * a pipe after its parent closed every copy the trace knew of (the
     * child inherited it at fork, and wrote its record later). */
    struct et_forgotten_pipe {
        uint64_t inode;
        int32_t creator;
        const struct et_record *created;
    } *forgotten;
    size_t nforgotten, next_forgotten;

    uint64_t first_ts, last_ts;
    uint64_t records;
    /* A wrapped ring trace: records before this time (where the reader says
     * the history stops being complete) only say who processes were (their
     * command lines, parents): the state they would set up (pipe ends held,
     * children started, waits) may have lost its later records, so nothing
     * is judged from it.  0: everything counts. */
    uint64_t history_from_ns;
    uint64_t records_before_history;
    uint64_t first_ts_before_history; /* the oldest record left, 0 if none */
    struct et_identity_note *notes;
    size_t nnotes, notes_cap;
    struct et_procmap note_by_identity; /* (pid, start time) -> note */
    struct et_procmap note_by_pid;      /* (pid, 0) -> its newest note */
    uint32_t snapshot;    /* the latest snapshot in the trace, 0 if none */
    uint64_t snapshot_ts;
    bool snapshot_told;   /* the observer knows the latest snapshot is complete */
    bool out_of_memory;
};

/* observer may be NULL. */
void et_model_init(struct et_model *m, const struct et_trace *t, const struct et_model_observer *observer,
                   void *observer_ctx);
void et_model_feed(struct et_model *m, const struct et_record *r);
/* Of a wrapped ring, before the records are fed: the checkpoints of the
 * complete history name, from the start, the processes that began before
 * it and never exec'd in it (the first record of one can come long before
 * the next checkpoint).  Reads every record once; counts nothing. */
void et_model_prime(struct et_model *m, struct et_trace *t);
/* After the last record: settles what only the end says, then tells the
 * observer the trace has ended. */
void et_model_finish(struct et_model *m);
void et_model_free(struct et_model *m);

/* A ring trace's history in a sentence ("ring trace: ..."), or NULL for a
 * trace of fixed size. */
const char *et_model_history(const struct et_model *m, char *buf, size_t len);

/* Display helpers. */
const char *et_proc_command(const struct et_proc *p); /* latest image, or "?" */
/* "1234 (sleep 3)" into buf. */
const char *et_proc_label(const struct et_model *m, int32_t index, char *buf, size_t len);
bool et_proc_is_descendant(const struct et_model *m, int32_t index, int32_t ancestor);
/* For a process whose end was not seen (ET_PF_END_UNSEEN): its parent when
 * that is not traced, the one who reaped it; else ET_NO_PROC. */
int32_t et_proc_unseen_reaper(const struct et_model *m, int32_t index);

#endif
