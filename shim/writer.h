/*
 * Appending records to a trace file, and creating one.  Shared by the shim
 * (every traced process) and the launcher, which records what only it sees.
 *
 * Appending takes no lock, allocates nothing and makes no system call: it is
 * safe from any thread, from signal handlers, after fork and in a vfork
 * child.
 */
#ifndef EXECTRACE_WRITER_H
#define EXECTRACE_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "exectrace/trace_format.h"

struct et_writer {
    struct et_file_header *hdr; /* NULL when not attached */
    uint64_t size;
    uint32_t chunk_count;
    uint32_t owner_pid;
    /* The run this process appends to; a fork child starts with none. */
    struct et_run_header *run;
    /* Chunks to claim next time: small for the many short-lived processes,
     * doubling for the busy ones so claims stay rare.  Slots in a ring. */
    uint32_t next_run_chunks;
    /* A ring trace (trace_format.h, "Ring traces"): its slot table and
     * data, and the run this process appends to, as generation << 24 |
     * first slot, one word so that threads and signal handlers read both
     * at once (ET_RING_NO_RUN: none). */
    bool ring;
    uint32_t ring_slots;
    struct et_ring_slot *ring_table;
    uint8_t *ring_data;
    uint64_t ring_run;
};
#define ET_RING_NO_RUN UINT64_MAX

#define ET_FIRST_RUN_CHUNKS 2u
#define ET_MAX_GROWN_RUN_CHUNKS 64u

/* Who a record is about. */
struct et_identity {
    uint32_t pid;
    uint32_t tid;
    uint64_t start_time;
};

/* Checks the header of a mapped file; 0 or -EINVAL (not ours, or another
 * version, byte order or geometry) / -EFBIG (mapping smaller than the file). */
int et_writer_attach(struct et_writer *w, void *base, uint64_t mapped_size, uint32_t owner_pid);

/* A fork child must not keep appending to its parent's run. */
void et_writer_forget_run(struct et_writer *w, uint32_t owner_pid);

/* Reserves a record of `body_size` bytes after the header (rounded up to 8)
 * and fills its header; NULL when the file is full (the drop is counted) or
 * the writer is not attached.  Complete the record with et_commit(). */
struct et_record *et_record_reserve(struct et_writer *w, uint16_t type, uint32_t body_size,
                                    const struct et_identity *id, uint64_t ts_ns, int err);

static inline void *et_record_body(struct et_record *r)
{
    return r + 1;
}

void et_ring_commit(struct et_writer *w, struct et_record *r);

static inline void et_commit(struct et_writer *w, struct et_record *r)
{
    if (__builtin_expect(w->ring, 0)) {
        et_ring_commit(w, r);
        return;
    }
    __atomic_store_n(&r->commit, et_commit_word(r->type, r->size), __ATOMIC_RELEASE);
}

static inline uint32_t et_align8(uint32_t n)
{
    return (n + 7u) & ~7u;
}

uint64_t et_now_ns(void);
/* The next timestamps of this process image come from the system call. */
void et_clock_new_image(void);

/* A size such as 4096, 64K, 64M, 1G (K, M, G: powers of 1024; "KiB" and
 * "KB" too): 0, or -1 when it is not one.  For `run --size`, `--ring` and
 * EXECTRACE_RING alike. */
int et_parse_size(const char *s, uint64_t *out);

/* The slots of a ring trace of `size` bytes, 0 when it is too small. */
uint32_t et_ring_slots_for(uint64_t size);

/*
 * Creates a trace file of `size` bytes (a ring trace when `ring` is set:
 * the newest records replace the oldest), its blocks reserved so the mapping
 * can never raise SIGBUS, mode 0600, without following a symlink.  When
 * `replace` is set, an existing regular file of the caller's is replaced;
 * otherwise an existing file is left alone and -EEXIST returned (another
 * process won the race to create it).  The file appears complete or not at
 * all.  With replaced_fd, the file replaced stays open there (-1 if none)
 * for the caller to close when freeing it costs least.  Returns 0 or
 * -errno; on failure `what` names the step that failed.
 */
int et_trace_create(const char *path, uint64_t size, bool ring, uint32_t launcher_pid, uint64_t launcher_start_time,
                    bool replace, int *replaced_fd, const char **what);

/* Encoding of the variable-length tails (see trace_format.h).  Each function
 * returns the number of bytes it writes; with dst == NULL it only measures, so
 * a caller sizes the record first and writes it after reserving. */
uint32_t et_put_str(uint8_t *dst, const char *s, uint32_t max_bytes, bool *truncated);

struct et_argv_summary {
    uint32_t argc;        /* all of them */
    uint16_t count;       /* stored */
    bool truncated;
};
uint32_t et_put_argv(uint8_t *dst, char *const argv[], struct et_argv_summary *sum);

/* A caller's stack, to end a record with (trace_format.h, "Call-site
 * stacks"). */
struct et_stack {
    uint16_t frames;
    uint16_t flags;    /* ET_STACK_* */
    const uint64_t *pc; /* frames addresses, innermost first */
};

/* The bytes a record's body grows by to carry `stack` after a body of
 * body_size bytes; 0 for no stack. */
static inline uint32_t et_stack_extra(uint32_t body_size, const struct et_stack *stack)
{
    return stack ? et_align8(body_size) - body_size + 8u * stack->frames + (uint32_t)sizeof(struct et_stack_trailer)
                 : 0;
}

/* Writes `stack` at the end of a record reserved with et_stack_extra()
 * more bytes, and flags the record. */
void et_stack_put(struct et_record *r, const struct et_stack *stack);

/* Records with variable-length tails that both the shim and the launcher
 * write. */
struct et_start_info {
    uint16_t origin; /* enum et_origin */
    uint16_t flags;  /* ET_START_* */
    uint32_t ppid, pgid, sid, uid, euid;
    const char *exe;             /* NULL for a fork child */
    char *const *argv;           /* NULL for a fork child */
    const struct et_pipe_end *pipes;
    uint16_t pipe_count;
};
void et_write_start(struct et_writer *w, const struct et_identity *id, uint64_t ts_ns, uint16_t record_flags,
                    const struct et_start_info *info);

struct et_exec_info {
    uint16_t kind;      /* enum et_exec_kind */
    uint16_t env_flags; /* ET_ENV_* */
    int fd;
    int at_flags;
    const char *path;
    char *const *argv;
    const struct et_stack *stack; /* NULL: none */
};
void et_write_exec(struct et_writer *w, const struct et_identity *id, uint64_t ts_ns, uint16_t record_flags,
                   const struct et_exec_info *info);
/* The same in two steps, for a record reserved elsewhere with room for a
 * stack after it: the body's size (its stack not counted), then the body. */
uint32_t et_exec_body_size(const struct et_exec_info *info);
void et_exec_fill(struct et_record *r, const struct et_exec_info *info);
void et_write_exec_failed(struct et_writer *w, const struct et_identity *id, uint16_t record_flags, uint16_t kind,
                          int result, int err);

#endif
