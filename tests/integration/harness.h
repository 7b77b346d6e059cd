/*
 * Integration test harness: runs a command under `exectrace run`, captures
 * its output, and loads the trace through the same reader the analyzer uses,
 * so tests assert on the records themselves.
 */
#ifndef EXECTRACE_TEST_HARNESS_H
#define EXECTRACE_TEST_HARNESS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "files.h"
#include "reader.h"

struct traced_run {
    int status;   /* exit status of `exectrace run`, or 128+N if it was killed */
    char dir[PATH_MAX];
    char trace_path[PATH_MAX];
    char *out;    /* what the run wrote to stdout (the command's output) */
    char *err;    /* and to stderr (exectrace's summary and the command's) */
    bool loaded;  /* the trace could be read */
    struct et_trace trace;
    struct et_event_list events; /* time-ordered */
};

/* Runs `exectrace run -o TRACE [options...] -- argv...` in a fresh temporary
 * directory (also its working directory), with a 60 s limit after which the
 * whole group is killed.  options and extra_env (NAME=VALUE) are
 * NULL-terminated and may be NULL.  Returns 0 when it ran. */
int traced_run(struct traced_run *r, const char *const *options, const char *const *extra_env,
               const char *const argv[]);
void traced_run_free(struct traced_run *r);

/* Runs argv (PATH searched) with `input` on its stdin (NULL: /dev/null),
 * capturing what it writes; the same time limit.  0 when it ran. */
struct captured {
    int status; /* exit status, 128+N if killed by signal N */
    char *out;
    char *err;
};
int run_captured(const char *const argv[], const char *input, struct captured *c);
void captured_free(struct captured *c);

/* Checks JSON (one document, or one per line) against a JSON schema with
 * python3-jsonschema, then runs `checks` (Python, with `docs` the parsed
 * documents and `schema` the schema).  0 when it ran (v->status says how
 * the checks went), 1 when python3-jsonschema is not installed, -1 when
 * python3 could not be run. */
int validate_json(const char *schema, const char *text, bool lines, const char *checks, struct captured *v);

/* Compares text with a golden file (after rewriting the file from it when
 * EXECTRACE_UPDATE_GOLDEN=1): 0, or -1 with the first difference in why. */
int golden_compare(const char *golden, const char *text, char *why, size_t why_len);

/* Paths of what the build made. */
const char *exectrace_bin(void);
const char *shim_path(void);
const char *test_prog(const char *name); /* build/tests/progs/NAME; static buffer */

/* Queries over the events of a run; pid < 0 matches any process. */
typedef bool (*record_pred)(const struct et_record *rec, const void *arg);
const struct et_record *find_record(const struct traced_run *r, uint16_t type, int pid, record_pred pred,
                                    const void *arg);
size_t count_records(const struct traced_run *r, uint16_t type, int pid, record_pred pred, const void *arg);
/* Index of a record in r->events, for ordering checks; -1 if absent. */
long event_index(const struct traced_run *r, const struct et_record *rec);

/* The pid the launcher forked for the command. */
int command_pid(const struct traced_run *r);
/* The start record of pid with that origin (ET_ORIGIN_*), or any if 0. */
const struct et_record *start_of(const struct traced_run *r, int pid, uint16_t origin);
/* The start record of the process image whose argv[0] ends with name. */
const struct et_record *start_by_argv0(const struct traced_run *r, const char *name);

/* Decoding helpers.  Strings come back NUL-terminated in static buffers. */
const char *start_exe(const struct et_record *start);
const char *start_argv(const struct et_record *start, unsigned i);
/* The pipe end the image started with at fd; false if none. */
bool start_pipe_at(const struct et_record *start, int fd, struct et_pipe_end *out);
const char *exec_path(const struct et_record *exec);
const char *exec_argv(const struct et_record *exec, unsigned i);
const char *spawn_path(const struct et_record *spawn);

/* Typed access to a record's body. */
#define BODY(rec, type) ((const struct type *)et_body(rec))

#endif
