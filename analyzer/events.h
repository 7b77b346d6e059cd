/* `exectrace events`, the links between records it shows, and the records
 * of a trace as one list for those who want them all at once. */
#ifndef EXECTRACE_EVENTS_H
#define EXECTRACE_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "reader.h"

struct et_event {
    const struct et_record *r;
    uint64_t offset;
    /* For an exec: the record that tells how it ended (the failure, or the
     * new image's start), -1 when the trace does not say. */
    int64_t outcome;
    /* An exec failure already shown with its exec. */
    bool merged;
};

struct et_event_list {
    struct et_event *v;
    size_t n;
};

/* All complete records in the order `events` shows them (the stream's),
 * with exec outcomes linked: for tests and tools that want to look around.
 * `events` itself streams.  0, or -ENOMEM. */
int et_events_load(struct et_trace *t, struct et_event_list *list);
void et_events_free(struct et_event_list *list);

/* The processes (pid, start time) that wrote records, the launcher aside. */
size_t et_events_count_processes(const struct et_trace *t, const struct et_event_list *list);

/* How each exec of a trace ended: its failure record, or the start of the
 * image it made; found in one pass over the trace. */
struct et_exec_outcomes;
int et_exec_outcomes_build(struct et_trace *t, struct et_exec_outcomes **out);
void et_exec_outcomes_free(struct et_exec_outcomes *o);
/* The record that tells how `exec` ended, NULL when the trace does not say. */
const struct et_record *et_exec_outcome(const struct et_exec_outcomes *o, const struct et_record *exec);
/* Is this exec failure shown on its exec's line? */
bool et_exec_failure_is_linked(const struct et_exec_outcomes *o, const struct et_record *failure);

int et_cmd_events(int argc, char **argv);

#endif
