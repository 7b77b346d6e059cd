/*
 * The fds the tracer follows in a process it records: pipe ends (for the
 * close, dup and exec records the analyzer's pipe model needs) and pidfds
 * (which process a pidfd_send_signal or waitid(P_PIDFD) is about).  Other
 * fds cost a lookup and nothing else, as in the shim.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot.h"
#include "tracee.h"

struct et_fd_entry *et_tp_fd(struct et_tproc *p, int fd)
{
    for (uint32_t i = 0; i < p->nfds; i++)
        if (p->fds[i].fd == fd)
            return &p->fds[i];
    return NULL;
}

int et_tp_fd_set(struct et_tproc *p, const struct et_fd_entry *e)
{
    struct et_fd_entry *have = et_tp_fd(p, e->fd);
    if (have) {
        *have = *e;
        return 0;
    }
    if (p->nfds == p->fds_cap) {
        uint32_t cap = p->fds_cap ? p->fds_cap * 2 : 8;
        struct et_fd_entry *v = realloc(p->fds, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        p->fds = v;
        p->fds_cap = cap;
    }
    p->fds[p->nfds++] = *e;
    return 0;
}

void et_tp_fd_drop(struct et_tproc *p, int fd)
{
    struct et_fd_entry *e = et_tp_fd(p, fd);
    if (e)
        *e = p->fds[--p->nfds];
}

int et_tp_fds_copy(struct et_tproc *to, const struct et_tproc *from)
{
    for (uint32_t i = 0; i < from->nfds; i++)
        if (et_tp_fd_set(to, &from->fds[i]) < 0)
            return -ENOMEM;
    return 0;
}

/* What survives an exec: the ends without close-on-exec.  (A pidfd is
 * close-on-exec always.) */
void et_tp_fds_exec(struct et_tproc *p)
{
    for (uint32_t i = 0; i < p->nfds;) {
        if (p->fds[i].pidfd || (p->fds[i].flags & ET_PIPE_CLOEXEC))
            p->fds[i] = p->fds[--p->nfds];
        else
            i++;
    }
}

int et_proc_pipe_ends(pid_t pid, struct et_pipe_end *out, int max, bool *truncated)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", pid);
    DIR *d = opendir(path);
    *truncated = false;
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end || e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        struct et_pipe_end end_;
        if (fd > INT32_MAX || !et_live_fd_pipe_end("/proc", pid, (int32_t)fd, &end_))
            continue;
        if (n == max) {
            *truncated = true;
            break;
        }
        out[n++] = end_;
    }
    closedir(d);
    return n;
}
