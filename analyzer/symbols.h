/*
 * Call sites: the stack addresses of a trace resolved, after the traced
 * processes are gone, to function, source file and line.  The objects each
 * process image had loaded come from its module records (a fork child has its
 * parent's); symbols and lines come from the objects on disk and their debug
 * info, through elfutils' libdw, and only when the object's build id is still
 * the one that was traced.
 */
#ifndef EXECTRACE_SYMBOLS_H
#define EXECTRACE_SYMBOLS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "reader.h"

struct et_json;

struct et_symbols;

/* Reads the module map of a trace; NULL when memory ran out. */
struct et_symbols *et_symbols_load(struct et_trace *t);
void et_symbols_free(struct et_symbols *s);

struct et_frame {
    uint64_t pc;
    const char *module;   /* the object's path, NULL when no object covers pc */
    uint64_t offset;      /* pc as an address in the object's file */
    const char *function; /* NULL when unknown */
    uint64_t function_offset;
    const char *file;     /* source file, NULL when unknown */
    int line;
    bool changed; /* the object on disk is not the one traced (build id) */
    bool missing; /* the object is no longer on disk, or not readable */
};

/* Resolves one address of r's stack (index 0 is the innermost).  The strings
 * live as long as s. */
void et_symbols_resolve(struct et_symbols *s, const struct et_record *r, unsigned index, uint64_t pc,
                        struct et_frame *out);

/* "worker.c:88 in stop_worker()", "stop_worker+0x1c in /usr/bin/w",
 * "/usr/lib/libfoo.so+0x1234", or "0x7f12..." */
void et_frame_print(FILE *out, const struct et_frame *f);

/* Why a record has no frames, in a few words, or NULL when it has some. */
const char *et_stack_missing_reason(const struct et_record *r);

/* The record that holds r's call site: r, or for a wait's return, the
 * wait's entry. */
const struct et_record *et_symbols_call_record(const struct et_symbols *s, const struct et_record *r);

/* Prints a record's call site, a frame a line ("      at A", "        called
 * from B"), at most `frames` frames and none past main(); nothing when it
 * has none. */
void et_print_call_site(FILE *out, struct et_symbols *s, const struct et_record *r, unsigned frames);

/* The same as a JSON array of frame objects (no key), "[]" when none. */
void et_json_stack(struct et_json *j, struct et_symbols *s, const struct et_record *r);

#endif
