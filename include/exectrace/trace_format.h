/*
 * The exectrace trace file format: the one definition shared by the shim
 * (writer) and the analyzer (reader).  It is an ABI: change it only by adding
 * record types or appending to the reserved space, bump the minor version for
 * that, and the major version for anything a reader of the old major would
 * misread.
 *
 * File layout
 *
 *   [0, ET_HEADER_SIZE)            struct et_file_header
 *   [ET_HEADER_SIZE, file_size)    chunk_count chunks of ET_CHUNK_SIZE bytes
 *
 * A writer claims a *run* of consecutive chunks with one atomic add on
 * next_chunk, writes a struct et_run_header at its start, and then appends
 * records inside the run by atomically adding to the run's `used` counter.
 * Each process image claims its own runs, so processes never contend on a
 * cache line except for the (rare) claim of a new run.  A chunk whose first
 * word is not a valid run tag is unused (or was claimed by a writer that died
 * before tagging it) and is skipped one chunk at a time.
 *
 * Records are 8-byte aligned and never cross the end of their run.  Each one
 * starts with struct et_record.  The writer stores `size` right after
 * reserving, fills the record, and stores `commit` last with release
 * semantics.  A reader accepts a record only when commit equals
 * et_commit_word(type, size); a record whose commit is still zero is in
 * flight (or its writer was killed) and is skipped by its size.
 *
 * All integers are in the writer's native byte order; endian_marker tells a
 * reader on another machine that it cannot read the file.
 */
#ifndef EXECTRACE_TRACE_FORMAT_H
#define EXECTRACE_TRACE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define ET_MAGIC "\x89" "ETRACE\n"
#define ET_MAGIC_LEN 8
#define ET_VERSION_MAJOR 1
#define ET_VERSION_MINOR 7 /* 1.1: snapshot records; 1.2: call-site stacks, module records;
                              1.3: the ptrace recorder (ET_RF_RECORDER, recorder records);
                              1.4: each run counts its records (et_run_header.records);
                              1.5: the exec hooks' shared cache (dynamic_images),
                                   partial stacks (ET_STACK_PARTIAL);
                              1.6: readers of pipes (pipe_eof, pipe_wait records),
                                   the writer's version in the header, run_end flags;
                              1.7: checkpoint snapshots (ET_SNAP_CHECKPOINT, command lines) */
/* A ring trace (see "Ring traces" below) is major version 2, with the
 * minor version of its records: a reader of 1.x would take the runs of
 * earlier laps for current ones. */
#define ET_VERSION_MAJOR_RING 2
#define ET_ENDIAN_MARKER 0x01020304u

#define ET_HEADER_SIZE 4096u
#define ET_CHUNK_SIZE 1024u
/* A run never spans more chunks than fit in the 16-bit count of its tag. */
#define ET_RUN_MAX_CHUNKS 0xffffu
#define ET_RUN_TAG_MAGIC 0x5e7au
#define ET_RUN_TAG(nchunks) (((uint32_t)ET_RUN_TAG_MAGIC << 16) | (uint32_t)(nchunks))
#define ET_RUN_TAG_CHUNKS(tag) ((uint32_t)(tag) & 0xffffu)
#define ET_RUN_TAG_VALID(tag) (((uint32_t)(tag) >> 16) == ET_RUN_TAG_MAGIC && ET_RUN_TAG_CHUNKS(tag) != 0)

#define ET_DEFAULT_FILE_SIZE (64u << 20)
#define ET_MIN_FILE_SIZE (ET_HEADER_SIZE + 64u * ET_CHUNK_SIZE)
#define ET_MAX_FILE_SIZE (16ull << 30)

/* Bounds on variable-length data, so one record always fits in a run. */
#define ET_MAX_PATH_BYTES 1024u
#define ET_MAX_ARGV_BYTES 4096u
#define ET_MAX_ARGV_STRINGS 256u
#define ET_MAX_PIPE_ENDS 64u
#define ET_MAX_RECORD_SIZE 16384u

/* Header flags. */
#define ET_FILE_FINISHED 0x1u /* the launcher wrote records_written at the end */
#define ET_FILE_RING 0x2u     /* a ring trace (major version 2) */

#define ET_DYNAMIC_IMAGE_SLOTS 16u

struct et_file_header {
    uint8_t magic[ET_MAGIC_LEN];
    uint16_t version_major;
    uint16_t version_minor;
    uint32_t endian_marker;
    uint32_t header_size;
    uint32_t chunk_size;
    uint64_t file_size;
    uint32_t chunk_count;
    uint32_t launcher_pid;
    uint64_t launcher_start_time;
    /* CLOCK_MONOTONIC and CLOCK_REALTIME read back to back when the file was
     * created: wall-clock time of an event = anchor_realtime_ns +
     * (ts_ns - anchor_monotonic_ns). */
    uint64_t anchor_monotonic_ns;
    uint64_t anchor_realtime_ns;
    uint32_t flags;
    uint32_t reserved0;
    /* Valid when ET_FILE_FINISHED is set; a reader counts records itself. */
    uint64_t records_written;
    /* 1.6: the exectrace version that created the file (EXECTRACE_VERSION),
     * NUL-padded; empty before. */
    char writer_version[16];
    uint8_t reserved1[128 - 96];
    /* Index of the next unclaimed chunk; may run past chunk_count once the
     * file is full.  Alone on its cache line: claimed by every process. */
    uint64_t next_chunk;
    uint8_t reserved2[64 - 8];
    /* Records that found no room, counted exactly. */
    uint64_t records_dropped;
    uint64_t bytes_dropped;
    /* Snapshots taken so far (1.1): each takes the next number. */
    uint32_t snapshots;
    uint32_t reserved4;
    /* Ring traces: what the claims of later laps took from earlier ones
     * (runs, their complete records and the bytes they used), and the
     * slots a claim found still being written or claimed (a writer
     * stopped, or killed, inside a record): those are left alone. */
    uint64_t ring_runs_overwritten;
    uint64_t ring_records_overwritten;
    uint64_t ring_bytes_overwritten;
    uint64_t ring_busy_skips;
    /* Ring traces: slots in the ring, and where their data begins (the
     * slot table lies between the header and it). */
    uint32_t ring_slot_count;
    uint32_t ring_data_offset;
    /* 1.5: program files found to load the shim, each by the identity the
     * exec hooks give a file (device, inode, change time and size hashed
     * into one word; 0 is an empty slot).  Shared by every process that
     * writes the trace: a fork child about to exec a program that others
     * have exec'd already need not read the file to learn that the ptrace
     * recorder has nothing to follow there.  A cache for the shim; readers
     * ignore it. */
    uint64_t dynamic_images[ET_DYNAMIC_IMAGE_SLOTS];
    uint8_t reserved3[ET_HEADER_SIZE - 256 - 8 * ET_DYNAMIC_IMAGE_SLOTS];
};

_Static_assert(sizeof(struct et_file_header) == ET_HEADER_SIZE, "header size");
_Static_assert(offsetof(struct et_file_header, version_major) == 8, "layout");
_Static_assert(offsetof(struct et_file_header, endian_marker) == 12, "layout");
_Static_assert(offsetof(struct et_file_header, file_size) == 24, "layout");
_Static_assert(offsetof(struct et_file_header, chunk_count) == 32, "layout");
_Static_assert(offsetof(struct et_file_header, anchor_monotonic_ns) == 48, "layout");
_Static_assert(offsetof(struct et_file_header, flags) == 64, "layout");
_Static_assert(offsetof(struct et_file_header, records_written) == 72, "layout");
_Static_assert(offsetof(struct et_file_header, writer_version) == 80, "layout");
_Static_assert(offsetof(struct et_file_header, next_chunk) == 128, "layout");
_Static_assert(offsetof(struct et_file_header, records_dropped) == 192, "layout");
_Static_assert(offsetof(struct et_file_header, bytes_dropped) == 200, "layout");
_Static_assert(offsetof(struct et_file_header, snapshots) == 208, "layout");
_Static_assert(offsetof(struct et_file_header, ring_runs_overwritten) == 216, "layout");
_Static_assert(offsetof(struct et_file_header, ring_slot_count) == 248, "layout");
_Static_assert(offsetof(struct et_file_header, dynamic_images) == 256, "layout");

struct et_run_header {
    uint32_t tag;       /* ET_RUN_TAG(number of chunks) */
    uint32_t used;      /* bytes reserved after this header; may exceed the run */
    uint32_t owner_pid; /* the process that claimed it */
    /* 1.4: the records reserved in this run (ET_RUN_RECORDS), counted when
     * the space is taken, so one whose writer was killed before committing
     * it counts too; and ET_RUN_FOREIGN once a record about a process other
     * than owner_pid went in (a vfork child borrowing its parent's run, the
     * recorder writing for its tracees).  A run without that bit holds the
     * records of the one process its first record names: what a tally of
     * the trace needs, without reading every record.  0 before 1.4. */
    uint32_t records;
};
#define ET_RUN_FOREIGN 0x80000000u
#define ET_RUN_RECORDS(word) ((word) & ~ET_RUN_FOREIGN)
_Static_assert(sizeof(struct et_run_header) == 16, "run header size");

/* Record types.  Numbers are stable. */
enum et_record_type {
    ET_REC_IMAGE_START = 1,  /* a process image begins: exec, fork child, launcher */
    ET_REC_IMAGE_EXIT = 2,   /* exit(), return from main, _exit, _Exit */
    ET_REC_FORK = 3,         /* fork, vfork, _Fork, clone: the parent's view */
    ET_REC_SPAWN = 4,        /* posix_spawn, posix_spawnp */
    ET_REC_SPAWN_ACTION = 5, /* a file action that touches a pipe end */
    ET_REC_EXEC = 6,         /* an exec call, recorded before it is made */
    ET_REC_EXEC_FAILED = 7,  /* the exec call returned */
    ET_REC_SIGNAL = 8,       /* kill, killpg, sigqueue, tgkill, pidfd_send_signal */
    ET_REC_PIDFD_OPEN = 9,
    ET_REC_WAIT_ENTER = 10,
    ET_REC_WAIT_RETURN = 11,
    ET_REC_PIPE = 12,
    ET_REC_CLOSE = 13,
    ET_REC_CLOSE_RANGE = 14, /* close_range, closefrom */
    ET_REC_DUP = 15,         /* dup, dup2, dup3, fcntl(F_DUPFD[_CLOEXEC]) */
    ET_REC_SET_CLOEXEC = 16, /* fcntl(F_SETFD) on a pipe end */
    ET_REC_SETPGID = 17,     /* setpgid, setpgrp */
    ET_REC_SETSID = 18,
    ET_REC_PRCTL = 19,       /* PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG */
    ET_REC_SIGCHLD_ACTION = 20, /* signal/sigaction/sigset changing SIGCHLD */
    ET_REC_REAPED = 21,      /* the launcher reaped a process */
    ET_REC_RUN_END = 22,     /* the launcher stopped */
    ET_REC_SNAPSHOT = 23,    /* a live process's state, read from /proc (1.1) */
    ET_REC_MODULE = 24,      /* an object loaded in a process image (1.2) */
    ET_REC_RECORDER = 25,    /* whether the ptrace recorder ran, and why not (1.3) */
    ET_REC_PIPE_EOF = 26,    /* a read of a pipe end returned end-of-file (1.6) */
    ET_REC_PIPE_WAIT = 27,   /* a read of, or a wait for, pipe ends took long (1.6) */
    ET_REC_TYPE_COUNT
};

/* Header flags of a record. */
#define ET_RF_VFORK_CHILD 0x1u /* written by a vfork child, before its exec */
#define ET_RF_STACK 0x2u       /* ends with the caller's stack (1.2), see below */
/* Written by the ptrace recorder in the launcher, from a call it stopped, not
 * by the process itself (1.3): a Go program, a static binary. */
#define ET_RF_RECORDER 0x4u

struct et_record {
    uint32_t size;       /* whole record in bytes, multiple of 8 */
    uint32_t commit;     /* et_commit_word(type, size) once complete */
    uint16_t type;
    uint16_t flags;
    uint32_t tid;
    uint64_t ts_ns;      /* CLOCK_MONOTONIC when the call was made */
    uint32_t pid;
    int32_t err;         /* errno left by the call, 0 when it succeeded */
    uint64_t start_time; /* process start, clock ticks after boot (/proc/PID/stat field 22) */
};
_Static_assert(sizeof(struct et_record) == 40, "record header size");
_Static_assert(offsetof(struct et_record, commit) == 4, "layout");
_Static_assert(offsetof(struct et_record, type) == 8, "layout");
_Static_assert(offsetof(struct et_record, ts_ns) == 16, "layout");
_Static_assert(offsetof(struct et_record, pid) == 24, "layout");
_Static_assert(offsetof(struct et_record, start_time) == 32, "layout");

/* When a record does not fit in the rest of its run, the writer whose
 * reservation crossed the end marks the unused tail as padding.  Only its
 * size and commit words are written (the tail may be shorter than a record
 * header), with this type in the commit word. */
#define ET_PADDING_TYPE 0xffffu

/* Never zero: the low three bits of a valid size are zero, those of the
 * constant are not. */
static inline uint32_t et_commit_word(uint16_t type, uint32_t size)
{
    return 0xc3a5c85cu ^ size ^ ((uint32_t)type << 16);
}

/*
 * Ring traces (major version 2, ET_FILE_RING): the newest history kept.
 *
 *   [0, ET_HEADER_SIZE)                   struct et_file_header
 *   [ET_HEADER_SIZE, ring_data_offset)    ring_slot_count struct et_ring_slot
 *   [ring_data_offset, file_size)         ring_slot_count slots of ET_RING_SLOT_BYTES
 *
 * A run is one or more consecutive slots, claimed by adding its length to
 * next_chunk, which counts slots in a ring trace and only grows: a run's
 * *sequence* is the count it got, its slots are sequence modulo the slot
 * count, so a claim of a later lap lands on the slots of an earlier one.
 * The data of a run is records only: what a run header holds in a trace of
 * major version 1 is in the slot table, one cache line per slot, so that a
 * later claim can tell who holds a slot, and whether anyone is still
 * writing there, before it takes it.
 *
 * Each slot's `state` word packs the generation of the run that holds it
 * (the low ET_RING_GEN_BITS of the run's sequence), what the slot is
 * (ET_RING_*), and for a run's first slot the bytes reserved in the run.
 * Writers reserve with a compare-and-swap on the first slot's word, which
 * fails once the generation or the kind changed: a writer that was
 * descheduled while the ring went round cannot reserve in a later lap's
 * run.  A claim takes a slot with a compare-and-swap too, and only once
 * every record reserved in the run there is complete: a writer between
 * reserving and committing keeps its run from being reused (the claim
 * skips it and counts ring_busy_skips), so no writer ever writes over a
 * later lap's data.  The claim of a slot that is not a run's first closes
 * the run first (ET_RING_CLOSED), so that it takes no more records.
 *
 * A record of a ring trace commits with et_ring_commit_word(), which mixes
 * in the generation: the bytes a killed writer left of an earlier lap's
 * record never read as a record of the run that holds them now.
 *
 * A run that stays open half a lap (ring_slot_count / 2 slots claimed
 * since) takes no more records: so every record reserved while next_chunk
 * was at least N - ring_slot_count / 2, N its value now, is still in the
 * ring, and a reader can say from when the history is complete (the time
 * the slot of that sequence was claimed).
 */
#define ET_RING_SLOT_CHUNKS 2u
#define ET_RING_SLOT_BYTES (ET_RING_SLOT_CHUNKS * ET_CHUNK_SIZE)
#define ET_RING_MAX_RUN_SLOTS 32u
#define ET_RING_MIN_SLOTS 24u
/* The smallest ring trace: header, slot table (one page), 24 slots. */
#define ET_RING_MIN_FILE_SIZE (ET_HEADER_SIZE + 4096ull + ET_RING_MIN_SLOTS * ET_RING_SLOT_BYTES)
#define ET_RING_GEN_BITS 40u
#define ET_RING_GEN_MASK ((1ull << ET_RING_GEN_BITS) - 1)

enum et_ring_kind {
    ET_RING_EMPTY = 0,  /* never claimed, or a claim gave it up */
    ET_RING_TAKING = 1, /* being claimed: its other fields are being written */
    ET_RING_OPEN = 2,   /* a run's first slot, taking records */
    ET_RING_CLOSED = 3, /* a run's first slot, its records final */
    ET_RING_CONT = 4,   /* a later slot of the run that begins at seq */
};

/* state: generation in the high 40 bits, kind in the next 3, bytes
 * reserved in the low 21 (a run's first slot). */
#define ET_RING_STATE(gen, kind, used) \
    ((((uint64_t)(gen) & ET_RING_GEN_MASK) << 24) | ((uint64_t)(kind) << 21) | ((uint64_t)(used) & 0x1fffffu))
#define ET_RING_STATE_GEN(s) ((uint64_t)(s) >> 24)
#define ET_RING_STATE_KIND(s) ((uint32_t)((s) >> 21) & 7u)
#define ET_RING_STATE_USED(s) ((uint32_t)(s) & 0x1fffffu)

struct et_ring_slot {
    uint64_t state;
    uint64_t seq;        /* the sequence of the run's first slot */
    uint64_t claimed_ns; /* CLOCK_MONOTONIC when the run was claimed (after its sequence was taken) */
    uint32_t owner_pid;  /* the process that claimed it */
    uint16_t slots;      /* first slot: the run's length in slots */
    uint16_t reserved;
    uint8_t reserved2[32];
};
_Static_assert(sizeof(struct et_ring_slot) == 64, "ring slot size");
_Static_assert(ET_RING_MAX_RUN_SLOTS * ET_RING_SLOT_BYTES < (1u << 21), "a run's bytes fit the state word");
_Static_assert(ET_MAX_RECORD_SIZE <= ET_RING_MAX_RUN_SLOTS * ET_RING_SLOT_BYTES, "a record fits a run");

/* Where a ring of `slots` slots keeps its data (the table rounded up to a
 * page), and whether a header describes a ring consistently. */
static inline uint64_t et_ring_data_offset(uint32_t slots)
{
    return ET_HEADER_SIZE + (((uint64_t)slots * sizeof(struct et_ring_slot) + 4095u) & ~4095ull);
}

static inline int et_ring_geometry_ok(const struct et_file_header *h)
{
    uint32_t slots = h->ring_slot_count;
    return (h->flags & ET_FILE_RING) && slots >= ET_RING_MIN_SLOTS && slots < (1u << 24) &&
           h->ring_data_offset == et_ring_data_offset(slots) && h->chunk_count == slots * ET_RING_SLOT_CHUNKS &&
           h->file_size == h->ring_data_offset + (uint64_t)h->chunk_count * ET_CHUNK_SIZE;
}

static inline uint32_t et_ring_commit_word(uint16_t type, uint32_t size, uint64_t gen)
{
    /* The low three bits stay those of et_commit_word: never zero. */
    uint32_t mix = (uint32_t)((gen & ET_RING_GEN_MASK) * 0x9e3779b97f4a7c15ull >> 32) & ~7u;
    return et_commit_word(type, size) ^ mix;
}

/*
 * Call-site stacks (1.2).  A record with ET_RF_STACK ends with `frames`
 * return addresses, innermost first (the caller of the hooked function),
 * followed by struct et_stack_trailer as the record's last 8 bytes.  The
 * record's variable-length tail ends where the addresses begin.  frames may
 * be 0: the trailer then says why no stack was taken.  Addresses are
 * resolved offline through the ET_REC_MODULE records of the image.
 */
#define ET_MAX_STACK_FRAMES 32u
#define ET_DEFAULT_STACK_DEPTH 8u

#define ET_STACK_TRUNCATED 0x1u     /* the stack was deeper than the depth asked for */
#define ET_STACK_SKIP_VFORK 0x2u    /* a vfork child: it runs on its parent's stack (before 1.5; since, with
                                       ET_STACK_PARTIAL: the walk stopped where it would need libunwind) */
#define ET_STACK_SKIP_EARLY 0x4u    /* before the shim's constructor set up the unwinder */
#define ET_STACK_SKIP_CLONE 0x8u    /* a clone() child, on a stack of unknown size */
#define ET_STACK_SKIP_NESTED 0x10u  /* a signal handler interrupted a capture in this thread */
#define ET_STACK_NO_UNWINDER 0x20u  /* libunwind could not be loaded */
/* 1.5: the frames kept end where the shim's walker stopped: the next needs
 * libunwind, not loaded in a program with signal handlers (or absent) */
#define ET_STACK_PARTIAL 0x40u

struct et_stack_trailer {
    uint16_t frames;
    uint16_t flags; /* ET_STACK_* */
    uint32_t reserved;
};
_Static_assert(sizeof(struct et_stack_trailer) == 8, "stack trailer size");

/*
 * Variable-length tails.  Strings are stored as a uint16_t length followed by
 * that many bytes (no terminator); arrays of fixed structs come first so they
 * stay aligned.  The record's size is rounded up to 8 after the tail.
 */

/* A pipe end held by a process. */
#define ET_PIPE_READ 0x1u
#define ET_PIPE_WRITE 0x2u
#define ET_PIPE_CLOEXEC 0x4u
#define ET_PIPE_FIFO 0x8u /* a named FIFO rather than an anonymous pipe */

struct et_pipe_end {
    int32_t fd;
    uint32_t flags; /* ET_PIPE_* */
    uint64_t inode; /* pipe:[inode] */
};
_Static_assert(sizeof(struct et_pipe_end) == 16, "pipe end size");

/* ET_REC_IMAGE_START.  Tail: pipe_count struct et_pipe_end (the pipe ends the
 * image started with), then exe path, then argv_count strings. */
enum et_origin {
    ET_ORIGIN_EXEC = 1,     /* a new program image (after execve, or the first one) */
    ET_ORIGIN_FORK = 2,     /* a fork or _Fork child, same image as the parent */
    ET_ORIGIN_VFORK = 3,    /* a vfork child, running on the parent's memory */
    ET_ORIGIN_CLONE = 4,    /* a clone() child that is a new process */
    ET_ORIGIN_LAUNCHER = 5, /* the exectrace launcher itself */
};
#define ET_START_ARGV_TRUNCATED 0x1u
#define ET_START_PIPES_TRUNCATED 0x2u
#define ET_START_SECURE 0x4u   /* AT_SECURE: setuid/setgid, not followed further */
#define ET_START_NO_FD_SCAN 0x8u /* /proc/self/fd could not be read */
#define ET_START_EXE_TRUNCATED 0x10u
#define ET_START_GO 0x20u /* a Go program (1.3): its ELF has Go's build-id note or .go.buildinfo;
                             * from the recorder, or from the shim in a Go program built with cgo */

struct et_image_start {
    uint32_t ppid;
    uint32_t pgid;
    uint32_t sid;
    uint16_t origin;    /* enum et_origin */
    uint16_t flags;     /* ET_START_* */
    uint32_t uid;
    uint32_t euid;
    uint32_t argc;      /* the program's argc, even when fewer strings are stored */
    uint16_t argv_count;
    uint16_t pipe_count;
};
_Static_assert(sizeof(struct et_image_start) == 32, "image start size");

/* ET_REC_IMAGE_EXIT. */
enum et_exit_how {
    ET_EXIT_EXIT = 1,   /* exit() or return from main (seen through on_exit) */
    ET_EXIT__EXIT = 2,  /* _exit() */
    ET_EXIT__EXIT_C99 = 3, /* _Exit() */
    ET_EXIT_EXIT_GROUP = 4, /* the exit_group system call, seen by the recorder (1.3) */
};
struct et_image_exit {
    uint16_t how;
    uint16_t reserved;
    int32_t status;
};
_Static_assert(sizeof(struct et_image_exit) == 8, "image exit size");

/* ET_REC_FORK. */
enum et_fork_kind {
    ET_FORK_FORK = 1,
    ET_FORK_VFORK = 2,
    ET_FORK__FORK = 3,
    ET_FORK_CLONE = 4,
};
struct et_fork {
    uint16_t kind;
    uint16_t reserved;
    int32_t result;       /* the child's pid, or -1 */
    uint64_t clone_flags; /* clone() only */
};
_Static_assert(sizeof(struct et_fork) == 16, "fork size");

/* ET_REC_SPAWN.  Tail: path, then argv_count strings. */
enum et_spawn_kind { ET_SPAWN_POSIX_SPAWN = 1, ET_SPAWN_POSIX_SPAWNP = 2 };
#define ET_SPAWN_ARGV_TRUNCATED 0x1u
#define ET_SPAWN_PATH_TRUNCATED 0x2u
#define ET_SPAWN_HAS_ATTR 0x4u
/* Environment re-injection, shared by spawn and exec records. */
#define ET_ENV_ADDED_PRELOAD 0x100u
#define ET_ENV_ADDED_FILE 0x200u
#define ET_ENV_NOT_ADDED_SETUID 0x400u
#define ET_ENV_ADDED_STACK_DEPTH 0x800u /* 1.2: EXECTRACE_STACK_DEPTH, when it was set */

struct et_spawn {
    uint16_t kind;
    uint16_t flags;        /* ET_SPAWN_*, ET_ENV_* */
    int32_t result;        /* posix_spawn's return value: 0 or an errno */
    int32_t child_pid;     /* -1 when none was created */
    int32_t pgroup;        /* POSIX_SPAWN_SETPGROUP's group */
    uint32_t spawn_flags;  /* POSIX_SPAWN_* from the attributes */
    uint32_t argc;
    uint16_t argv_count;
    uint16_t reserved;
    uint32_t reserved2;
    uint64_t file_actions; /* address of the file actions object, 0 for none */
};
_Static_assert(sizeof(struct et_spawn) == 40, "spawn size");

/* ET_REC_SPAWN_ACTION: posix_spawn_file_actions_add*() on a pipe end. */
enum et_spawn_action_op {
    ET_SPAWN_ACTION_CLOSE = 1,
    ET_SPAWN_ACTION_DUP2 = 2,
    ET_SPAWN_ACTION_CLOSEFROM = 3,
};
struct et_spawn_action {
    uint16_t op;
    uint16_t reserved;
    int32_t fd;
    int32_t newfd;
    int32_t result;
    uint64_t file_actions;
    struct et_pipe_end pipe; /* what fd is in the caller, fd < 0 if unknown */
};
_Static_assert(sizeof(struct et_spawn_action) == 40, "spawn action size");

/* ET_REC_EXEC.  Tail: path, then argv_count strings. */
enum et_exec_kind {
    ET_EXEC_EXECVE = 1,
    ET_EXEC_EXECV = 2,
    ET_EXEC_EXECVP = 3,
    ET_EXEC_EXECVPE = 4,
    ET_EXEC_EXECL = 5,
    ET_EXEC_EXECLP = 6,
    ET_EXEC_EXECLE = 7,
    ET_EXEC_FEXECVE = 8,
    ET_EXEC_EXECVEAT = 9,
};
#define ET_EXEC_ARGV_TRUNCATED 0x1u
#define ET_EXEC_PATH_TRUNCATED 0x2u

struct et_exec {
    uint16_t kind;
    uint16_t flags;   /* ET_EXEC_*, ET_ENV_* */
    int32_t fd;       /* fexecve's fd, execveat's dirfd; -1 otherwise */
    uint32_t at_flags;
    uint32_t argc;
    uint16_t argv_count;
    uint16_t reserved;
    uint32_t reserved2;
};
_Static_assert(sizeof(struct et_exec) == 24, "exec size");

/* ET_REC_EXEC_FAILED: the errno is in the record header. */
struct et_exec_failed {
    uint16_t kind;
    uint16_t reserved;
    int32_t result;
};
_Static_assert(sizeof(struct et_exec_failed) == 8, "exec failed size");

/* ET_REC_SIGNAL. */
enum et_signal_kind {
    ET_SIGNAL_KILL = 1,
    ET_SIGNAL_KILLPG = 2,
    ET_SIGNAL_SIGQUEUE = 3,
    ET_SIGNAL_TGKILL = 4,
    ET_SIGNAL_PIDFD_SEND_SIGNAL = 5,
};
struct et_signal {
    uint16_t kind;
    uint16_t reserved;
    int32_t target;     /* pid, -pgid, process group, or tgid as passed */
    int32_t target_tid; /* tgkill's tid */
    int32_t sig;
    int32_t result;
    int32_t pidfd;      /* pidfd_send_signal's fd */
    int32_t pidfd_pid;  /* the pid that fd was opened for, -1 if unknown */
    uint32_t reserved2;
};
_Static_assert(sizeof(struct et_signal) == 32, "signal size");

/* ET_REC_PIDFD_OPEN. */
struct et_pidfd_open {
    int32_t pid;
    uint32_t flags;
    int32_t result;
    uint32_t reserved;
};
_Static_assert(sizeof(struct et_pidfd_open) == 16, "pidfd open size");

/* ET_REC_WAIT_ENTER and ET_REC_WAIT_RETURN. */
enum et_wait_kind {
    ET_WAIT_WAIT = 1,
    ET_WAIT_WAITPID = 2,
    ET_WAIT_WAIT3 = 3,
    ET_WAIT_WAIT4 = 4,
    ET_WAIT_WAITID = 5,
};
struct et_wait_enter {
    uint16_t kind;
    uint16_t reserved;
    int32_t idtype;  /* waitid only */
    int64_t id;      /* pid argument (waitpid/wait4) or waitid's id */
    int32_t options;
    uint32_t reserved2;
};
_Static_assert(sizeof(struct et_wait_enter) == 24, "wait enter size");

struct et_wait_return {
    uint16_t kind;
    uint16_t reserved;
    int32_t result;    /* reaped pid, 0 (nothing yet, or waitid success), -1 */
    int32_t status;    /* wait status as the wait family reports it */
    int32_t info_pid;    /* waitid: the child, 0 when none */
    int32_t info_code;   /* waitid: CLD_EXITED, CLD_KILLED, ... */
    int32_t info_status; /* waitid: exit code or signal */
    int32_t options;
    uint32_t reserved2;
};
_Static_assert(sizeof(struct et_wait_return) == 32, "wait return size");

/* ET_REC_PIPE. */
enum et_pipe_kind { ET_PIPE_PIPE = 1, ET_PIPE_PIPE2 = 2 };
struct et_pipe {
    uint16_t kind;
    uint16_t reserved;
    int32_t read_fd;
    int32_t write_fd;
    int32_t flags;   /* pipe2 flags */
    int32_t result;
    uint32_t reserved2;
    uint64_t inode;
};
_Static_assert(sizeof(struct et_pipe) == 32, "pipe size");

/* ET_REC_CLOSE: a close of a pipe end. */
struct et_close {
    int32_t fd;
    int32_t result;
    struct et_pipe_end pipe;
};
_Static_assert(sizeof(struct et_close) == 24, "close size");

/* ET_REC_CLOSE_RANGE.  Tail: pipe_count struct et_pipe_end, the pipe ends it
 * closed or, with CLOSE_RANGE_CLOEXEC, marked close-on-exec. */
enum et_close_range_kind { ET_CLOSE_RANGE = 1, ET_CLOSEFROM = 2 };
struct et_close_range {
    uint16_t kind;
    uint16_t pipe_count;
    uint32_t first;
    uint32_t last;
    uint32_t flags;
    int32_t result;
    uint32_t reserved;
};
_Static_assert(sizeof(struct et_close_range) == 24, "close range size");

/* ET_REC_DUP: recorded when the source or the replaced fd is a pipe end. */
enum et_dup_kind {
    ET_DUP_DUP = 1,
    ET_DUP_DUP2 = 2,
    ET_DUP_DUP3 = 3,
    ET_DUP_FCNTL_DUPFD = 4,
    ET_DUP_FCNTL_DUPFD_CLOEXEC = 5,
};
struct et_dup {
    uint16_t kind;
    uint16_t reserved;
    int32_t oldfd;
    int32_t newfd;   /* requested fd (dup2/dup3) or lowest fd (F_DUPFD) */
    int32_t flags;   /* dup3 flags */
    int32_t result;
    uint32_t reserved2;
    struct et_pipe_end source;   /* fd < 0 when oldfd is not a pipe end */
    struct et_pipe_end replaced; /* the pipe end newfd held before, fd < 0 if none */
};
_Static_assert(sizeof(struct et_dup) == 56, "dup size");

/* ET_REC_SET_CLOEXEC: fcntl(F_SETFD) on a pipe end. */
struct et_set_cloexec {
    int32_t fd;
    int32_t fd_flags;
    int32_t result;
    uint32_t reserved;
    struct et_pipe_end pipe;
};
_Static_assert(sizeof(struct et_set_cloexec) == 32, "set cloexec size");

/* ET_REC_SETPGID. */
enum et_setpgid_kind { ET_SETPGID_SETPGID = 1, ET_SETPGID_SETPGRP = 2 };
struct et_setpgid {
    uint16_t kind;
    uint16_t reserved;
    int32_t pid;
    int32_t pgid;
    int32_t result;
};
_Static_assert(sizeof(struct et_setpgid) == 16, "setpgid size");

/* ET_REC_SETSID. */
struct et_setsid {
    int32_t result;
    uint32_t reserved;
};
_Static_assert(sizeof(struct et_setsid) == 8, "setsid size");

/* ET_REC_PRCTL. */
struct et_prctl {
    int32_t option;
    int32_t result;
    uint64_t arg2;
};
_Static_assert(sizeof(struct et_prctl) == 16, "prctl size");

/* ET_REC_SIGCHLD_ACTION. */
enum et_sigchld_call { ET_SIGCHLD_SIGNAL = 1, ET_SIGCHLD_SIGACTION = 2, ET_SIGCHLD_SIGSET = 3 };
enum et_disposition { ET_DISP_DEFAULT = 1, ET_DISP_IGNORE = 2, ET_DISP_HANDLER = 3, ET_DISP_HOLD = 4 };
struct et_sigchld_action {
    uint16_t call;
    uint16_t disposition;
    uint32_t sa_flags;
    int32_t result;
    uint32_t reserved;
};
_Static_assert(sizeof(struct et_sigchld_action) == 16, "sigchld action size");

/* ET_REC_REAPED: written by the launcher, which is the subreaper of the run. */
enum et_reaped_role { ET_REAPED_COMMAND = 1, ET_REAPED_ORPHAN = 2 };
struct et_reaped {
    int32_t pid;
    int32_t status;      /* wait status */
    uint64_t start_time; /* of the reaped process, 0 if unknown */
    uint16_t role;
    uint16_t reserved;
    uint32_t reserved2;
};
_Static_assert(sizeof(struct et_reaped) == 24, "reaped size");

/* ET_REC_RUN_END.  Tail: left_running int32 pids of descendants still alive
 * when the launcher stopped waiting. */
struct et_run_end {
    int32_t command_pid;
    int32_t command_status; /* wait status of the command */
    uint32_t orphans_reaped;
    uint16_t left_running;
    uint16_t flags; /* 1.6: ET_RUN_END_*; 0 before */
};
/* More were left running than the tail lists (it holds at most
 * ET_RUN_END_MAX_LEFT; before 1.6, a full list may have been cut). */
#define ET_RUN_END_LEFT_TRUNCATED 0x1u
#define ET_RUN_END_MAX_LEFT 256u
_Static_assert(sizeof(struct et_run_end) == 16, "run end size");

/* ET_REC_SNAPSHOT: the state of one live process of the traced tree, read
 * from /proc by the launcher (on a hang, on Ctrl-C) or by `exectrace
 * snapshot`.  The record's pid and start_time are the process's; all the
 * processes of one snapshot share `snapshot` and the record timestamp.
 * Tail: thread_count struct et_snapshot_thread, pipe_count struct
 * et_pipe_end (every pipe end it holds), then its command name (comm), then
 * one wchan string per thread, then (ET_SNAP_HAS_COMMAND) its program's
 * path and argv_count strings of its command line. */
enum et_snapshot_reason {
    ET_SNAP_HANG = 1,      /* run --hang-after: the command had not finished */
    ET_SNAP_REQUESTED = 2, /* exectrace snapshot, from another terminal */
    ET_SNAP_INTERRUPT = 3, /* Ctrl-C on exectrace run */
    /* 1.7: a ring trace's launcher restating the live tree as the ring goes
     * round, so that who each process is, its parent and the pipe ends it
     * holds outlive its start record.  Snapshot number 0: not a look at a
     * hang, and no snapshot number is taken. */
    ET_SNAP_CHECKPOINT = 4,
};
#define ET_SNAP_THREADS_TRUNCATED 0x1u
#define ET_SNAP_PIPES_TRUNCATED 0x2u
#define ET_SNAP_NO_SYSCALL 0x4u  /* /proc/PID/syscall could not be read */
#define ET_SNAP_NO_FDS 0x8u      /* /proc/PID/fd could not be read */
/* 1.7: the tail goes on with the program's path and argv_count strings of
 * its command line (/proc/PID/exe and cmdline, bounded as a start record's) */
#define ET_SNAP_HAS_COMMAND 0x10u
#define ET_SNAP_COMMAND_PROC 0x20u /* the command `exectrace run` ran */
#define ET_SNAP_ARGV_TRUNCATED 0x40u
#define ET_SNAP_MAX_THREADS 64u

#define ET_SYSCALL_RUNNING (-1) /* not in a system call: running, or stopped */
#define ET_SYSCALL_UNKNOWN (-2)

struct et_snapshot {
    uint32_t snapshot;
    uint16_t reason;
    uint16_t flags;
    uint32_t ppid;
    uint32_t pgid;
    uint32_t sid;
    uint16_t thread_count;
    uint16_t pipe_count;
    uint8_t state; /* R, S, D, Z, T, t, X, I ... as /proc shows it */
    uint8_t reserved;
    uint16_t argv_count; /* 1.7, with ET_SNAP_HAS_COMMAND */
    uint32_t reserved2;
};
_Static_assert(sizeof(struct et_snapshot) == 32, "snapshot size");
_Static_assert(offsetof(struct et_snapshot, argv_count) == 26, "layout");

struct et_snapshot_thread {
    int32_t tid;
    int32_t syscall;  /* the call it is blocked in, or ET_SYSCALL_* */
    uint64_t args[3]; /* its first three arguments */
    uint8_t state;
    uint8_t reserved[7];
};
_Static_assert(sizeof(struct et_snapshot_thread) == 40, "snapshot thread size");

/* ET_REC_MODULE (1.2): an object mapped in a process image, so that stack
 * addresses can be resolved after the process is gone.  Written when the
 * image starts (every object loaded then) and when a stack first shows an
 * address outside every object recorded so far (dlopen).  A fork child has
 * its parent's objects.  Tail: build_id_len bytes of GNU build id, then the
 * object's path (the program's own path for the main object). */
#define ET_MODULE_MAIN 0x1u /* the program itself */
#define ET_MODULE_VDSO 0x2u /* the kernel's vDSO: no file */
#define ET_MAX_BUILD_ID 64u

struct et_module {
    uint64_t load_bias; /* address in memory = address in the file + load_bias */
    uint64_t start;     /* lowest address of its loadable segments, in memory */
    uint64_t end;       /* end of the highest one */
    uint16_t build_id_len;
    uint16_t flags;       /* ET_MODULE_* */
    uint16_t stack_depth; /* frames the image's stacks keep (EXECTRACE_STACK_DEPTH) */
    uint16_t reserved;
};
_Static_assert(sizeof(struct et_module) == 32, "module size");

/* ET_REC_RECORDER (1.3): written by the launcher when the recorder starts
 * (the first program that needs it), or when it is turned off, or at the end
 * of the run, state ON with no filter, when nothing needed it.  Tail: a
 * one-line reason when the recorder is off.  Also written, under the
 * identity of a process that asked to be followed, when it could not be:
 * state ON, err and the reason set. */
enum et_recorder_state {
    ET_RECORDER_ON = 1,
    ET_RECORDER_DISABLED = 2,    /* --no-ptrace */
    ET_RECORDER_UNAVAILABLE = 3, /* ptrace or seccomp refused: the reason says which */
};
enum et_recorder_filter {
    ET_RECORDER_FILTER_OWN_CODE = 1, /* only calls from a program's own code stop */
    ET_RECORDER_FILTER_NUMBERS = 2,  /* every listed call stops */
};
struct et_recorder {
    uint16_t state;  /* enum et_recorder_state */
    uint16_t filter; /* enum et_recorder_filter, 0 when off */
    int32_t err;     /* the errno that turned it off, 0 if none */
};
_Static_assert(sizeof(struct et_recorder) == 8, "recorder size");

/*
 * Linux values that records carry as the program passed or got them (flags,
 * options, siginfo codes, the system calls a snapshot shows).  A reader
 * interprets them by these, never by its own headers; the writers check at
 * build time that their host agrees (shim/writer.c).  Traces are written on
 * x86_64 Linux, so the system call numbers are x86_64's.
 */
#define ET_O_NONBLOCK 04000
#define ET_O_DIRECT 040000
#define ET_O_CLOEXEC 02000000
#define ET_FD_CLOEXEC 1
#define ET_CLOSE_RANGE_UNSHARE 0x2u
#define ET_CLOSE_RANGE_CLOEXEC 0x4u
#define ET_PR_SET_PDEATHSIG 1
#define ET_PR_SET_CHILD_SUBREAPER 36
#define ET_SA_RESTORER 0x04000000u
#define ET_POSIX_SPAWN_SETPGROUP 0x2u
#define ET_WNOHANG 1
#define ET_WNOWAIT 0x01000000
#define ET_P_ALL 0
#define ET_P_PID 1
#define ET_P_PGID 2
#define ET_P_PIDFD 3
#define ET_CLD_EXITED 1
#define ET_CLD_KILLED 2
#define ET_CLD_DUMPED 3
#define ET_CLD_TRAPPED 4
#define ET_CLD_STOPPED 5
#define ET_CLD_CONTINUED 6

/* X(name, x86_64 number): the calls a snapshot names. */
#define ET_SNAPSHOT_SYSCALLS(X) \
    X(read, 0)                  \
    X(write, 1)                 \
    X(poll, 7)                  \
    X(pread64, 17)              \
    X(pwrite64, 18)             \
    X(readv, 19)                \
    X(writev, 20)               \
    X(select, 23)               \
    X(pause, 34)                \
    X(nanosleep, 35)            \
    X(connect, 42)              \
    X(accept, 43)               \
    X(recvfrom, 45)             \
    X(recvmsg, 47)              \
    X(wait4, 61)                \
    X(flock, 73)                \
    X(rt_sigtimedwait, 128)     \
    X(rt_sigsuspend, 130)       \
    X(futex, 202)               \
    X(restart_syscall, 219)     \
    X(clock_nanosleep, 230)     \
    X(epoll_wait, 232)          \
    X(waitid, 247)              \
    X(pselect6, 270)            \
    X(ppoll, 271)               \
    X(epoll_pwait, 281)         \
    X(accept4, 288)             \
    X(epoll_pwait2, 441)

#define ET_SYSCALL_ENUM_(name, nr) ET_SYS_##name = nr,
enum et_snapshot_syscall { ET_SNAPSHOT_SYSCALLS(ET_SYSCALL_ENUM_) };
#undef ET_SYSCALL_ENUM_

/*
 * Readers of pipes (1.6): what says that someone was waiting for a pipe,
 * not only holding it.  Recorded for the pipe ends the process knows
 * (et_pipe_end), by the call's x86-64 number (ET_SYS_read, ET_SYS_readv,
 * ET_SYS_poll, ET_SYS_ppoll, ET_SYS_select, ET_SYS_pselect6).
 */

/* ET_REC_PIPE_EOF: a read of the read end `pipe` returned 0 with room to
 * read into: every write end was closed.  Once for each fd that holds the
 * end (a program that reads end-of-file again is not recorded again). */
struct et_pipe_eof {
    uint16_t call;
    uint16_t reserved;
    uint32_t reserved2;
    struct et_pipe_end pipe;
};
_Static_assert(sizeof(struct et_pipe_eof) == 24, "pipe eof size");

/* ET_REC_PIPE_WAIT: a call that could block on pipe ends (a read of one, or
 * a poll or select that includes some) and returned ET_PIPE_WAIT_MIN_NS or
 * more after it was made (its return is timed on CLOCK_MONOTONIC_COARSE,
 * which lags by up to a kernel tick, 4 ms at 250 Hz: waits a tick longer
 * are always recorded).  The record's ts_ns is when it returned, began_ns
 * when it was called; err is its errno.  Tail: count struct et_pipe_end, the
 * pipe ends it waited for (the first ET_PIPE_WAIT_MAX_ENDS), each with
 * ET_PIPE_WAIT_READY when the call returned it ready (read: it read some or
 * saw end-of-file). */
#define ET_PIPE_WAIT_MIN_NS 10000000ull
#define ET_PIPE_WAIT_MAX_ENDS 8u
#define ET_PIPE_WAIT_READY 0x100u
#define ET_PIPE_WAIT_HANGUP 0x200u /* poll: POLLHUP, every write end closed */
#define ET_PIPE_WAIT_TRUNCATED 0x1u
struct et_pipe_wait {
    uint64_t began_ns;
    int64_t result; /* bytes read, or the number of ready fds; -1 on error */
    uint16_t call;
    uint16_t count;
    uint16_t flags; /* ET_PIPE_WAIT_TRUNCATED: more ends than the tail holds */
    uint16_t reserved;
};
_Static_assert(sizeof(struct et_pipe_wait) == 24, "pipe wait size");

/*
 * Every record type once: its number, its fixed body, and the name the
 * analyzer prints and writes in JSON.  The reader's body sizes and the
 * names are made from this list; a record type missing here would read as
 * reserved, and the build says so (the count below).  X(type, body, name)
 */
#define ET_RECORD_TYPES(X)                                        \
    X(ET_REC_IMAGE_START, struct et_image_start, "start")         \
    X(ET_REC_IMAGE_EXIT, struct et_image_exit, "exit")            \
    X(ET_REC_FORK, struct et_fork, "fork")                        \
    X(ET_REC_SPAWN, struct et_spawn, "spawn")                     \
    X(ET_REC_SPAWN_ACTION, struct et_spawn_action, "spawn_action") \
    X(ET_REC_EXEC, struct et_exec, "exec")                        \
    X(ET_REC_EXEC_FAILED, struct et_exec_failed, "exec_failed")   \
    X(ET_REC_SIGNAL, struct et_signal, "signal")                  \
    X(ET_REC_PIDFD_OPEN, struct et_pidfd_open, "pidfd_open")      \
    X(ET_REC_WAIT_ENTER, struct et_wait_enter, "wait_enter")      \
    X(ET_REC_WAIT_RETURN, struct et_wait_return, "wait_return")   \
    X(ET_REC_PIPE, struct et_pipe, "pipe")                        \
    X(ET_REC_CLOSE, struct et_close, "close")                     \
    X(ET_REC_CLOSE_RANGE, struct et_close_range, "close_range")   \
    X(ET_REC_DUP, struct et_dup, "dup")                           \
    X(ET_REC_SET_CLOEXEC, struct et_set_cloexec, "set_cloexec")   \
    X(ET_REC_SETPGID, struct et_setpgid, "setpgid")               \
    X(ET_REC_SETSID, struct et_setsid, "setsid")                  \
    X(ET_REC_PRCTL, struct et_prctl, "prctl")                     \
    X(ET_REC_SIGCHLD_ACTION, struct et_sigchld_action, "sigchld_action") \
    X(ET_REC_REAPED, struct et_reaped, "reaped")                  \
    X(ET_REC_RUN_END, struct et_run_end, "run_end")               \
    X(ET_REC_SNAPSHOT, struct et_snapshot, "snapshot")            \
    X(ET_REC_MODULE, struct et_module, "module")                  \
    X(ET_REC_RECORDER, struct et_recorder, "recorder")           \
    X(ET_REC_PIPE_EOF, struct et_pipe_eof, "pipe_eof")            \
    X(ET_REC_PIPE_WAIT, struct et_pipe_wait, "pipe_wait")

#define ET_RECORD_TYPE_ONE_(type, body, name) +1
_Static_assert(0 ET_RECORD_TYPES(ET_RECORD_TYPE_ONE_) == ET_REC_TYPE_COUNT - 1,
               "every record type has a line in ET_RECORD_TYPES");
#undef ET_RECORD_TYPE_ONE_

#endif
