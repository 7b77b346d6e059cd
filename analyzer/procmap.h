/*
 * A map from process identity (pid, start time) to a small integer, for
 * counting and indexing the processes of a trace.  Open addressing; grows.
 */
#ifndef EXECTRACE_PROCMAP_H
#define EXECTRACE_PROCMAP_H

#include <stddef.h>
#include <stdint.h>

struct et_procmap_slot {
    uint32_t pid;
    uint32_t value; /* 0 = empty slot; stored values are value + 1 */
    uint64_t start_time;
};

struct et_procmap {
    struct et_procmap_slot *slots;
    size_t cap; /* power of two */
    size_t count;
};

void et_procmap_init(struct et_procmap *m);
void et_procmap_free(struct et_procmap *m);
/* The value for (pid, start_time), inserting `value` if absent; -1 when
 * memory runs out.  *inserted says which happened. */
long et_procmap_get_or_put(struct et_procmap *m, uint32_t pid, uint64_t start_time, uint32_t value, int *inserted);
/* Replaces the value of a key that is present. */
void et_procmap_set(struct et_procmap *m, uint32_t pid, uint64_t start_time, uint32_t value);
void et_procmap_remove(struct et_procmap *m, uint32_t pid, uint64_t start_time);
/* The value, or -1 when absent. */
long et_procmap_get(const struct et_procmap *m, uint32_t pid, uint64_t start_time);

#endif
