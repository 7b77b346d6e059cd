/*
 * The wait family.  Each call is recorded on entry and on return, so a wait
 * that blocks (or never returns) is visible, and a reap can be ordered against
 * signals sent by other threads.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/wait.h>

#include "life.h"
#include "real.h"
#include "stack.h"

static void record_enter(uint16_t kind, int idtype, int64_t id, int options)
{
    struct et_record *r = et_begin_stacked(ET_REC_WAIT_ENTER, sizeof(struct et_wait_enter), et_now_ns(), 0);
    if (!r)
        return;
    struct et_wait_enter *b = et_record_body(r);
    b->kind = kind;
    b->reserved = 0;
    b->idtype = idtype;
    b->id = id;
    b->options = options;
    b->reserved2 = 0;
    et_commit(&et_proc.writer, r);
}

static void record_return(uint16_t kind, int result, int err, int status, const siginfo_t *info, int options)
{
    struct et_record *r = et_begin(ET_REC_WAIT_RETURN, sizeof(struct et_wait_return), et_now_ns(), result < 0 ? err : 0);
    if (!r)
        return;
    struct et_wait_return *b = et_record_body(r);
    memset(b, 0, sizeof(*b));
    b->kind = kind;
    b->result = result;
    b->status = status;
    if (info && result == 0) {
        b->info_pid = info->si_pid;
        b->info_code = info->si_code;
        b->info_status = info->si_status;
    }
    b->options = options;
    et_commit(&et_proc.writer, r);
}

static pid_t wait_common(uint16_t kind, pid_t pid, int *status, int options, struct rusage *usage)
{
    if (!et_active()) {
        switch (kind) {
        case ET_WAIT_WAIT:
            return ET_REAL(wait)(status);
        case ET_WAIT_WAITPID:
            return ET_REAL(waitpid)(pid, status, options);
        case ET_WAIT_WAIT3:
            return ET_REAL(wait3)(status, options, usage);
        default:
            return ET_REAL(wait4)(pid, status, options, usage);
        }
    }
    record_enter(kind, 0, pid, options);
    int local = 0;
    int *where = status ? status : &local;
    pid_t ret;
    switch (kind) {
    case ET_WAIT_WAIT:
        ret = et_real.wait(where);
        break;
    case ET_WAIT_WAITPID:
        ret = et_real.waitpid(pid, where, options);
        break;
    case ET_WAIT_WAIT3:
        ret = et_real.wait3(where, options, usage);
        break;
    default:
        ret = et_real.wait4(pid, where, options, usage);
        break;
    }
    int saved = errno;
    record_return(kind, ret, saved, ret > 0 ? *where : 0, NULL, options);
    errno = saved;
    return ret;
}

ET_EXPORT pid_t wait(int *status)
{
    return wait_common(ET_WAIT_WAIT, -1, status, 0, NULL);
}

ET_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
    return wait_common(ET_WAIT_WAITPID, pid, status, options, NULL);
}

ET_EXPORT pid_t wait3(int *status, int options, struct rusage *usage)
{
    return wait_common(ET_WAIT_WAIT3, -1, status, options, usage);
}

ET_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *usage)
{
    return wait_common(ET_WAIT_WAIT4, pid, status, options, usage);
}

ET_EXPORT int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
    if (!et_active())
        return ET_REAL(waitid)(idtype, id, info, options);
    record_enter(ET_WAIT_WAITID, (int)idtype, (int64_t)id, options);
    /* The kernel accepts a NULL siginfo; the record still needs to know
     * what was reaped. */
    siginfo_t local;
    if (!info) {
        memset(&local, 0, sizeof(local));
        info = &local;
    }
    int ret = et_real.waitid(idtype, id, info, options);
    int saved = errno;
    record_return(ET_WAIT_WAITID, ret, saved, 0, info, options);
    errno = saved;
    return ret;
}
