/*
 * The record layer: this image's and each thread's state, who is calling,
 * and records reserved in their name (record.h).
 */
#define _GNU_SOURCE
#include "record.h"

#include <sys/resource.h>

#include "sys.h"

struct et_process et_proc;
ET_TLS struct et_thread et_thread;

void et_self(struct et_identity *id, uint16_t *record_flags)
{
    uint32_t depth = et_thread.vfork_depth;
    if (ET_UNLIKELY(depth != 0)) {
        *id = et_thread.vfork_child[depth - 1].id;
        *record_flags = ET_RF_VFORK_CHILD;
        return;
    }
    if (ET_UNLIKELY(et_thread.tid == 0))
        et_thread.tid = (uint32_t)et_gettid();
    id->pid = et_proc.pid;
    id->tid = et_thread.tid;
    id->start_time = et_proc.start_time;
    *record_flags = 0;
}

int et_identity_from_kernel(struct et_identity *id, struct et_proc_stat *st)
{
    id->pid = (uint32_t)et_getpid();
    id->tid = (uint32_t)et_gettid();
    int ret = et_proc_stat_read(0, st);
    if (ret == -EMFILE) {
        /* Every fd is taken: borrow one above the soft limit for the time
         * of the read, and give it back. */
        struct rlimit rl;
        if (et_sys4(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl) == 0 && rl.rlim_cur < rl.rlim_max) {
            struct rlimit more = rl;
            more.rlim_cur++;
            if (et_sys4(SYS_prlimit64, 0, RLIMIT_NOFILE, (long)&more, 0) == 0) {
                ret = et_proc_stat_read(0, st);
                et_sys4(SYS_prlimit64, 0, RLIMIT_NOFILE, (long)&rl, 0);
            }
        }
    }
    if (ret != 0) {
        /* No /proc: what system calls can say.  The start time stays 0
         * (unknown); the analyzer then goes by the pid. */
        st->ppid = (uint32_t)et_sys0(SYS_getppid);
        st->pgid = (uint32_t)et_sys1(SYS_getpgid, 0);
        st->sid = (uint32_t)et_sys1(SYS_getsid, 0);
        st->state = 'R';
    }
    id->start_time = ret == 0 ? st->start_time : 0;
    return ret;
}

/*
 * A fork child's identity without reading /proc.  The kernel stamps a new
 * process with CLOCK_BOOTTIME while the fork runs, after the parent took
 * `ts_before` and before the child can read the clock, and its start time is
 * that stamp in whole clock ticks: when both readings fall in one tick, so
 * does the stamp.  The parent's CLOCK_MONOTONIC reading plus an offset that
 * is never too large is a boot time no later than the true one, so the
 * bracket holds.  Otherwise (about 1% of forks), or when the child is in a
 * new pid namespace (its parent, group or session are 0 to it, where /proc
 * shows them), /proc says.  It assumes parent and child read one time
 * namespace, or two whose offsets differ by a tick or more.
 */
int et_identity_after_fork(struct et_identity *id, struct et_proc_stat *st, uint64_t ts_before)
{
    uint64_t tick = et_proc.clock_tick_ns;
    uint64_t boot_before = ts_before + et_proc.boot_offset_ns;
    if (ts_before != 0 && tick != 0) {
        uint64_t boot_after = et_boottime_ns();
        if (boot_after >= boot_before && boot_after / tick == boot_before / tick) {
            st->ppid = (uint32_t)et_sys0(SYS_getppid);
            st->pgid = (uint32_t)et_sys1(SYS_getpgid, 0);
            st->sid = (uint32_t)et_sys1(SYS_getsid, 0);
            if (st->ppid != 0 && st->pgid != 0 && st->sid != 0) {
                st->state = 'R';
                st->start_time = boot_before / tick;
                id->pid = (uint32_t)et_getpid();
                id->tid = (uint32_t)et_gettid();
                id->start_time = st->start_time;
                return 0;
            }
        }
    }
    return et_identity_from_kernel(id, st);
}

void et_self_checked(struct et_identity *id, uint16_t *record_flags)
{
    et_self(id, record_flags);
    if ((uint32_t)et_getpid() != id->pid) {
        struct et_proc_stat st;
        et_identity_from_kernel(id, &st);
    }
}

struct et_record *et_begin(uint16_t type, uint32_t body_size, uint64_t ts_ns, int err)
{
    struct et_identity id;
    uint16_t flags;
    et_self(&id, &flags);
    struct et_record *r = et_record_reserve(&et_proc.writer, type, body_size, &id, ts_ns, err);
    if (r)
        r->flags = flags;
    return r;
}

