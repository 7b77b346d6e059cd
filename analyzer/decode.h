/*
 * A record as named fields, decoded once.  Everything that shows a record
 * reads it through here: `events` as text and as JSON, the evidence under a
 * finding, and the formats to come.  Only decode.c knows a record's layout;
 * the emitters (emit.h) know only fields.
 *
 * A field has its JSON key and a place in the text line, which reads like
 * strace:  HEAD(ARG, ARG) = RESULT RESULT AFTER KEY=V NOTE
 * (or HEAD ARG ARG ... for a line that is not a call).
 */
#ifndef EXECTRACE_DECODE_H
#define EXECTRACE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader.h"

struct et_flag_name;

enum et_value_type {
    ET_V_INT,      /* i */
    ET_V_UINT,     /* u */
    ET_V_HEX,      /* u: 0x1f in text, "0x1f" in JSON */
    ET_V_NAME,     /* s: a name exectrace gives (SIGTERM, O_CLOEXEC|O_NONBLOCK): bare in text */
    ET_V_STR,      /* s: bytes from the trace (a path, an argument): quoted in text */
    ET_V_BOOL,     /* i */
    ET_V_ERRNO,    /* i: "ENOENT (No such file or directory)" in text, "ENOENT" in JSON */
    ET_V_STATUS,   /* i: a wait status, "WIFSIGNALED SIGKILL" */
    ET_V_FD,       /* i, and pipe when the fd is a known pipe end: the pipe end in text */
    ET_V_PIPE,     /* pipe: a pipe end, NULL for none (JSON null) */
    ET_V_PIPES,    /* list: struct et_pipe_end[n] */
    ET_V_PIDS,     /* list: int32_t[n] */
    ET_V_HEXBYTES, /* list: uint8_t[n], as one hex string */
    ET_V_ARGV,     /* argv: strings from the record's tail; in JSON also "argc" and "argv_truncated" */
    ET_V_THREADS,  /* threads: a snapshot's threads and their wchan strings */
    ET_V_NAMES,    /* u: a set of bits, each named by `names`: "A, B" in text, ["A","B"] in JSON */
};

/* Where a field goes in the text line. */
enum et_text_place {
    ET_TEXT_NONE,   /* JSON only */
    ET_TEXT_ARG,    /* among the arguments, after its label */
    ET_TEXT_RESULT, /* " = value" for the first, " value" for the next */
    ET_TEXT_AFTER,  /* label (or a space), value, suffix: after the result */
    ET_TEXT_KEY,    /* " key=value" */
    ET_TEXT_NOTE,   /* " value" at the end */
};

struct et_field {
    const char *key; /* the JSON key; NULL for a field only the text shows */
    uint8_t type;    /* enum et_value_type */
    uint8_t text;    /* enum et_text_place */
    const char *label;  /* text before the value */
    const char *suffix; /* text after the value */
    union {
        int64_t i;
        uint64_t u;
        struct {
            const char *s;
            size_t len;
        } s;
        const struct et_pipe_end *pipe;
        struct {
            const void *v;
            unsigned n;
        } list;
        struct {
            struct et_tail tail; /* at the first string */
            unsigned count;      /* strings stored */
            uint32_t argc;       /* the program's argc */
            bool truncated;
        } argv;
        struct {
            const struct et_snapshot_thread *v;
            unsigned n;
            struct et_tail wchans; /* one string per thread */
        } threads;
    } v;
    const struct et_pipe_end *fd_pipe;  /* ET_V_FD: the pipe end, NULL when not one */
    const struct et_flag_name *names;   /* ET_V_NAMES */
};

#define ET_MAX_FIELDS 32

struct et_decoded {
    const struct et_record *r;
    const char *event; /* the record type's name, "signal" */
    const char *head;  /* the call, or the line's first words */
    bool call;         /* HEAD(ARGS) rather than HEAD ARGS */
    unsigned n;
    struct et_field f[ET_MAX_FIELDS];
    char arena[1536]; /* text made for this record: names, flag sets */
    size_t used;
};

/* What a record means with the records around it. */
struct et_decode_links {
    /* An exec: whether the trace was searched for how it ended, and the
     * record that tells (its failure, or the new image's start); NULL when
     * the trace does not say. */
    bool exec_outcome_known;
    const struct et_record *exec_outcome;
    /* A wait entry shown on one line with its return (text only). */
    const struct et_record *wait_return;
};

/* Fills *d from r (a record the reader accepted); links may be NULL.  The
 * fields point into the record and into *d. */
void et_decode(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d);

/* Whether record type `type` has a decoder (the rest show as unknown). */
bool et_decoder_exists(unsigned type);

/* What a wait return says it reaped: true with the child's pid and its
 * status as wait(2) reports it (a waitid's siginfo rebuilt so), false when
 * it reaped nothing (no child ready, WNOWAIT, an error, a stop). */
bool et_wait_return_reaped(const struct et_record *r, int32_t *pid, int *status);

#endif
