/*
 * The life of a process image (life.c): the shim's start (attaching to the
 * trace file, lazily when a hook comes first), the start record, a fork
 * child's first steps, the exit record.
 */
#ifndef EXECTRACE_SHIM_LIFE_H
#define EXECTRACE_SHIM_LIFE_H

#include <stdbool.h>
#include <stdint.h>

#include "record.h"

bool et_init_lazily(void);

/* True when this process records events. */
static inline bool et_active(void)
{
    int s = __atomic_load_n(&et_proc.state, __ATOMIC_ACQUIRE);
    if (ET_LIKELY(s == ET_STATE_ACTIVE))
        return true;
    return s == ET_STATE_UNINIT && et_init_lazily();
}

/* Process images. */
void et_record_image_start(uint16_t origin, const struct et_identity *id, const struct et_proc_stat *st,
                           char **argv, const char *exe, bool scan_fds, uint16_t flags);
/* A fork or clone child's first steps.  ts_before: the parent's timestamp
 * (et_now_ns) from before the fork, or 0 to learn the start time from /proc. */
void et_fork_child_begin(uint16_t origin, uint64_t ts_before);
void et_record_exit(uint16_t how, int status);

#endif
