/*
 * Asking `exectrace run`'s ptrace recorder to follow a thread, just before
 * it execs or spawns a program the shim will not be in (static, Go).
 *
 * The recorder traces nothing else: a tree of dynamic programs runs with no
 * ptrace stop at all.  The thread sends one datagram to the launcher, which
 * seizes it and answers with the seccomp filter; installed here, the filter
 * is inherited by the new image and everything it starts, all of which the
 * launcher follows (a filtered process can never be let go).  If the
 * launcher is gone or cannot seize, the exec goes ahead unrecorded, as it
 * would without the recorder.
 *
 * Raw system calls on a private mapping only: this may run in a vfork
 * child, after fork in a threaded program, or in a signal handler.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "exectrace/seize_request.h"
#include "image_kind.h"
#include "exec_target.h"
#include "record.h"
#include "sys.h"

#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif

/* Long enough for a launcher busy with a burst of stops; a launcher that
 * never answers costs this once, and the exec goes on unrecorded. */
#define ANSWER_TIMEOUT_S 10

struct scratch {
    char candidate[ET_MAX_PATH_BYTES];
    char name[ET_MAX_PATH_BYTES + 32];
    char kind[ET_IMAGE_KIND_SCRATCH];
    struct et_seize_reply reply;
};

static long install_filter(const struct et_seize_reply *r)
{
    struct sock_fprog prog = {.len = (unsigned short)r->insn_count, .filter = (struct sock_filter *)r->insns};
    long ret = et_sys3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, (long)&prog);
    if (ret == -EINVAL)
        ret = et_sys3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&prog);
    if (ret == -EACCES) {
        /* Unprivileged, a filter needs no_new_privs, as for the command
         * the launcher starts itself. */
        if (et_sys6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0) < 0)
            return ret;
        ret = et_sys3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, (long)&prog);
        if (ret == -EINVAL)
            ret = et_sys3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&prog);
    }
    return ret;
}

static void ask_launcher(struct et_seize_reply *reply)
{
    const char *name = et_proc.env_recorder_entry + sizeof(ET_ENV_RECORDER);
    size_t name_len = strlen(name);
    struct sockaddr_un launcher = {.sun_family = AF_UNIX};
    if (name_len + 1 > sizeof(launcher.sun_path))
        return;
    memcpy(launcher.sun_path + 1, name, name_len); /* abstract: no file to clean up */
    socklen_t launcher_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + name_len);

    int s = (int)et_sys3(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return;
    /* An address of our own (autobind), for the answer. */
    struct sockaddr_un self = {.sun_family = AF_UNIX};
    struct timeval timeout = {ANSWER_TIMEOUT_S, 0};
    struct et_seize_request req = {ET_SEIZE_MAGIC, (uint32_t)et_gettid()};
    if (et_sys3(SYS_bind, s, (long)&self, sizeof(sa_family_t)) < 0 ||
        et_sys6(SYS_setsockopt, s, SOL_SOCKET, SO_RCVTIMEO, (long)&timeout, sizeof(timeout), 0) < 0 ||
        et_sys6(SYS_sendto, s, (long)&req, sizeof(req), 0, (long)&launcher, launcher_len) != (long)sizeof(req))
        goto done;
    for (;;) {
        struct sockaddr_un from;
        socklen_t from_len = sizeof(from);
        long n = et_sys6(SYS_recvfrom, s, (long)reply, sizeof(*reply), 0, (long)&from, (long)&from_len);
        if (n == -EINTR)
            continue;
        if (n < 0)
            break;
        if (from_len != launcher_len || memcmp(&from, &launcher, launcher_len) != 0)
            continue; /* not the launcher's */
        if ((size_t)n >= offsetof(struct et_seize_reply, insns) && reply->magic == ET_SEIZE_MAGIC &&
            reply->result == ET_SEIZE_INSTALL && reply->insn_count > 0 && reply->insn_count <= ET_SEIZE_MAX_INSNS &&
            (size_t)n >= offsetof(struct et_seize_reply, insns) + reply->insn_count * sizeof(reply->insns[0]))
            install_filter(reply);
        break;
    }
done:
    et_close(s);
}

/* Programs found to load the shim, by identity (device, inode, change
 * time and size folded into one word, read and written whole): a loop that
 * runs the same program pays one stat for it.  A chmod or a new file
 * changes the identity.  Only "it loads the shim" is remembered: here for
 * this image, and in the trace's header for every process of the trace,
 * since the exec is mostly a fork child's, whose memory goes with it. */
static uint64_t last_dynamic;

static uint64_t *shared_dynamic_slot(uint64_t identity)
{
    struct et_file_header *h = et_proc.writer.hdr;
    return h ? &h->dynamic_images[identity % ET_DYNAMIC_IMAGE_SLOTS] : NULL;
}

static bool known_dynamic(uint64_t identity)
{
    if (identity == __atomic_load_n(&last_dynamic, __ATOMIC_RELAXED))
        return true;
    uint64_t *slot = shared_dynamic_slot(identity);
    return slot && __atomic_load_n(slot, __ATOMIC_RELAXED) == identity;
}

static void remember_dynamic(uint64_t identity)
{
    __atomic_store_n(&last_dynamic, identity, __ATOMIC_RELAXED);
    uint64_t *slot = shared_dynamic_slot(identity);
    if (slot)
        __atomic_store_n(slot, identity, __ATOMIC_RELAXED);
}

static uint64_t file_identity(const struct stat *st)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    const uint64_t parts[] = {(uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_ctim.tv_sec,
                              (uint64_t)st->st_ctim.tv_nsec, (uint64_t)st->st_size};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        h ^= parts[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
    }
    return h | 1; /* never 0, the empty cache */
}

void et_recorder_before_exec(const struct et_exec_target *target)
{
    if (!et_proc.env_recorder_entry[0] || !target->path)
        return;
    uint64_t identity = 0;
    if (!target->search_path || strchr(target->path, '/')) {
        struct stat st;
        int flags = target->at_flags & (AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
        if (et_fstatat(target->dirfd, target->path, &st, flags) == 0 && S_ISREG(st.st_mode)) {
            identity = file_identity(&st);
            if (known_dynamic(identity))
                return;
        }
    }
    struct scratch *m =
        et_mmap(NULL, sizeof(struct scratch), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (et_mmap_failed(m))
        return;
    const char *file = et_exec_target_file(target, m->candidate);
    int dirfd = file == target->path ? target->dirfd : AT_FDCWD;
    int at_flags = file == target->path ? target->at_flags : 0;
    enum et_image_kind kind = file ? et_image_kind_at(dirfd, file, at_flags, m->kind) : ET_IMAGE_NONE;
    if (kind == ET_IMAGE_DYNAMIC && identity)
        remember_dynamic(identity);
    /* Set-id programs are followed by neither recorder. */
    if ((kind == ET_IMAGE_OWN_CALLS || kind == ET_IMAGE_UNREADABLE) &&
        !et_file_runs_secure(dirfd, file, at_flags, m->name))
        ask_launcher(&m->reply);
    et_munmap(m, sizeof(struct scratch));
}
