/* The records of a trace as one time-ordered list of events, and
 * `exectrace events`, which prints them. */
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

/* All complete records, ordered by time (file order among equal times),
 * with exec outcomes linked.  0, or -ENOMEM. */
int et_events_load(struct et_trace *t, struct et_event_list *list);
void et_events_free(struct et_event_list *list);

/* The processes (pid, start time) that wrote records, the launcher aside. */
size_t et_events_count_processes(const struct et_trace *t, const struct et_event_list *list);

/* The line `exectrace events` prints for a record, newline included.  An
 * exec is shown with its outcome (NULL when not known); a wait entry with its
 * return when one is given. */
void et_print_event_line(FILE *out, const struct et_trace *t, const struct et_record *r,
                         const struct et_record *outcome, const struct et_record *wait_return);

int et_cmd_events(int argc, char **argv);

#endif
