/*
 * The exec family.  Each call is recorded before it is made (path, argv,
 * whether the environment had to be repaired), and again if it returns.
 * Success shows as the new image's start record; an exec of a program that
 * does not load the shim (static, setuid) shows as an exec with no outcome.
 *
 * Everything here may run in a vfork child: only the stack, raw system
 * calls and the trace mapping are used, and memory is released if the exec
 * returns.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exectrace/seize_request.h"
#include "image_kind.h"
#include "exec_target.h"
#include "life.h"
#include "real.h"
#include "stack.h"
#include "sys.h"

extern char **environ;

static const char *env_value(char *const envp[], const char *name, size_t name_len)
{
    if (!envp)
        return NULL;
    for (char *const *e = envp; *e; e++)
        if (strncmp(*e, name, name_len) == 0 && (*e)[name_len] == '=')
            return *e + name_len + 1;
    return NULL;
}

/* Does an LD_PRELOAD value (entries separated by ':' or ' ') name us? */
static bool preload_has_us(const char *value)
{
    const char *lib = et_proc.library_path;
    const char *base = strrchr(lib, '/');
    base = base ? base + 1 : lib;
    size_t lib_len = strlen(lib), base_len = strlen(base);
    while (*value) {
        size_t n = strcspn(value, ": ");
        if ((n == lib_len && memcmp(value, lib, n) == 0) ||
            (n >= base_len && memcmp(value + n - base_len, base, base_len) == 0 &&
             (n == base_len || value[n - base_len - 1] == '/')))
            return true;
        value += n;
        if (*value)
            value++;
    }
    return false;
}

/* Appends a decimal number; returns the new end. */
static char *put_decimal(char *p, unsigned v)
{
    char digits[12];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = digits[--n];
    return p;
}

/* Room is_setid() needs: a candidate path from PATH, and the name of a
 * file relative to an fd under /proc/self/fd.  It is taken from the
 * mapping the environment is built in, not from the stack: exec is called
 * on small stacks (a clone child's, a thread's of PTHREAD_STACK_MIN). */
#define ET_SETID_SCRATCH (2 * ET_MAX_PATH_BYTES + 64)

/* Does exec'ing this file run with AT_SECURE: set-user-ID or set-group-ID,
 * or file capabilities (security.capability)?  `name` has room for
 * ET_MAX_PATH_BYTES + 32 bytes. */
bool et_file_runs_secure(int dirfd, const char *path, int at_flags, char *name)
{
    struct stat st;
    if (et_fstatat(dirfd, path, &st, at_flags & (AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) != 0)
        return false;
    if (st.st_mode & (S_ISUID | S_ISGID))
        return true;
    /* The capability xattr is read by name: relative to an fd, through
     * /proc/self/fd. */
    const char *xpath = path;
    if (path[0] != '/' && dirfd != AT_FDCWD) {
        size_t len = strlen(path);
        if (len > ET_MAX_PATH_BYTES)
            return false;
        char *p = name;
        memcpy(p, "/proc/self/fd/", 14);
        p = put_decimal(p + 14, (unsigned)dirfd);
        if (len) {
            *p++ = '/';
            memcpy(p, path, len);
            p += len;
        }
        *p = 0;
        xpath = name;
    }
    char value[64];
    long n = et_sys4(SYS_getxattr, (long)xpath, (long)"security.capability", (long)value, sizeof(value));
    return n > 0 || n == -ERANGE;
}

const char *et_exec_target_file(const struct et_exec_target *t, char *candidate)
{
    if (!t->path)
        return NULL;
    if (!t->search_path)
        return t->path;
    return et_image_search_path(t->path, env_value(environ, "PATH", 4), candidate, ET_MAX_PATH_BYTES);
}

/* Programs that run with AT_SECURE: the shim is not to be put into their
 * environment (the loader would ignore it anyway).  `scratch` has
 * ET_SETID_SCRATCH bytes. */
static bool is_setid(const struct et_exec_target *t, char *scratch)
{
    const char *file = et_exec_target_file(t, scratch);
    if (!file)
        return false;
    char *name = scratch + ET_MAX_PATH_BYTES + 16;
    if (file == t->path)
        return et_file_runs_secure(t->dirfd, t->path, t->at_flags, name);
    return et_file_runs_secure(AT_FDCWD, file, 0, name);
}

void et_envfix_prepare(struct et_envfix *fix, char *const envp[], const struct et_exec_target *target)
{
    fix->envp = (char **)envp;
    fix->flags = 0;
    fix->mapping = NULL;
    fix->mapping_len = 0;

    const char *preload = env_value(envp, ET_ENV_PRELOAD, sizeof(ET_ENV_PRELOAD) - 1);
    bool need_preload = !preload || !preload_has_us(preload);
    bool need_file = !env_value(envp, ET_ENV_FILE, sizeof(ET_ENV_FILE) - 1);
    if (!need_preload && !need_file)
        return;
    /* An environment that lost the shim lost the depth asked for too. */
    bool need_depth = et_proc.env_depth_entry[0] &&
                      !env_value(envp, ET_ENV_STACK_DEPTH, sizeof(ET_ENV_STACK_DEPTH) - 1);

    /* "LD_PRELOAD=<us>" or "LD_PRELOAD=<us>:<what was there>". */
    size_t count = 0;
    while (envp && envp[count])
        count++;
    size_t lib_len = strlen(et_proc.library_path);
    size_t old_len = preload && *preload ? strlen(preload) : 0;
    size_t entry_len = sizeof(ET_ENV_PRELOAD) + lib_len + (old_len ? 1 + old_len : 0) + 1;
    size_t array_bytes = (count + 5) * sizeof(char *);
    size_t need = array_bytes + entry_len + ET_SETID_SCRATCH;

    /* mmap rather than malloc: this may be a vfork child, or a child of a
     * multithreaded fork where the allocator's lock is held forever. */
    void *m = et_mmap(NULL, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (et_mmap_failed(m))
        return; /* the exec goes ahead unrepaired */
    char **out = m;
    char *entry = (char *)m + array_bytes;
    if (is_setid(target, entry + entry_len)) {
        et_munmap(m, need);
        fix->flags = ET_ENV_NOT_ADDED_SETUID;
        return;
    }
    fix->mapping = m;
    fix->mapping_len = need;

    size_t j = 0;
    for (size_t i = 0; i < count; i++) {
        if (need_preload && strncmp(envp[i], ET_ENV_PRELOAD "=", sizeof(ET_ENV_PRELOAD)) == 0)
            continue; /* replaced below */
        out[j++] = envp[i];
    }
    if (need_preload) {
        char *p = entry;
        memcpy(p, ET_ENV_PRELOAD "=", sizeof(ET_ENV_PRELOAD));
        p += sizeof(ET_ENV_PRELOAD);
        memcpy(p, et_proc.library_path, lib_len);
        p += lib_len;
        if (old_len) {
            *p++ = ':';
            memcpy(p, preload, old_len);
            p += old_len;
        }
        *p = 0;
        out[j++] = entry;
        fix->flags |= ET_ENV_ADDED_PRELOAD;
    }
    if (need_file) {
        out[j++] = et_proc.env_file_entry;
        fix->flags |= ET_ENV_ADDED_FILE;
        if (et_proc.env_recorder_entry[0] &&
            !env_value(envp, ET_ENV_RECORDER, sizeof(ET_ENV_RECORDER) - 1))
            out[j++] = et_proc.env_recorder_entry;
    }
    if (need_depth) {
        out[j++] = et_proc.env_depth_entry;
        fix->flags |= ET_ENV_ADDED_STACK_DEPTH;
    }
    out[j] = NULL;
    fix->envp = out;
}

void et_envfix_release(struct et_envfix *fix)
{
    if (fix->mapping)
        et_munmap(fix->mapping, fix->mapping_len);
    fix->mapping = NULL;
}

/* All variants funnel here. */
struct exec_call {
    uint16_t kind;
    int fd;              /* fexecve, execveat */
    const char *path;
    char *const *argv;
    char *const *envp;
    int at_flags;
    bool search_path;    /* the p variants */
};

static int call_real(const struct exec_call *c, char *const envp[])
{
    switch (c->kind) {
    case ET_EXEC_FEXECVE:
        if (ET_REAL(fexecve))
            return et_real.fexecve(c->fd, c->argv, envp);
        break;
    case ET_EXEC_EXECVEAT:
        if (ET_REAL(execveat))
            return et_real.execveat(c->fd, c->path, c->argv, envp, c->at_flags);
        break;
    default:
        if (c->search_path ? ET_REAL(execvpe) != NULL : ET_REAL(execve) != NULL)
            return c->search_path ? et_real.execvpe(c->path, c->argv, envp) : et_real.execve(c->path, c->argv, envp);
        break;
    }
    errno = ENOSYS;
    return -1;
}

/* Inlined into each exec function, and its record's stack taken through
 * et_begin_stacked() as every other record's is: a fork child records its
 * exec with its stack, and each frame there whose return address its parent
 * never walked is a lookup in the object's unwind tables (unwind.c); these
 * are then only the exec function's and the program's. */
static inline __attribute__((always_inline)) int do_exec(const struct exec_call *c)
{
    if (!et_active())
        return call_real(c, c->envp);

    uint64_t ts = et_now_ns();
    struct et_envfix fix;
    struct et_exec_target target = {AT_FDCWD, c->path, 0, c->search_path};
    if (c->kind == ET_EXEC_FEXECVE)
        target = (struct et_exec_target){c->fd, "", AT_EMPTY_PATH, false};
    else if (c->kind == ET_EXEC_EXECVEAT)
        target = (struct et_exec_target){c->fd, c->path, c->at_flags, false};
    et_envfix_prepare(&fix, c->envp, &target);
    struct et_identity id;
    uint16_t rflags;
    et_self_checked(&id, &rflags);
    /* A clone(CLONE_VM) child runs on borrowed memory and another
     * thread's TLS: no unwinding there.  A vfork child, which says what it
     * is, walks its parent's stack. */
    unsigned skip = et_stack_skip_reason();
    if (skip == 0 && id.pid != et_proc.pid && et_thread.vfork_depth == 0)
        skip = ET_STACK_SKIP_CLONE;
    struct et_stack none = {0, (uint16_t)skip, NULL};
    struct et_exec_info info = {c->kind, fix.flags, c->fd, c->at_flags, c->path, c->argv,
                                skip == ET_STACK_OFF ? NULL : &none};
    if (skip == 0) {
        struct et_record *r = et_begin_stacked(ET_REC_EXEC, et_exec_body_size(&info), ts, 0);
        if (r) {
            r->flags |= rflags;
            et_exec_fill(r, &info);
            et_commit(&et_proc.writer, r);
        }
    } else {
        et_write_exec(&et_proc.writer, &id, ts, rflags, &info);
    }
    et_recorder_before_exec(&target);
    int ret = call_real(c, fix.envp);
    int saved = errno;
    et_envfix_release(&fix);
    et_write_exec_failed(&et_proc.writer, &id, rflags, c->kind, ret, saved);
    errno = saved;
    return ret;
}

ET_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    struct exec_call c = {ET_EXEC_EXECVE, -1, path, argv, envp, 0, false};
    return do_exec(&c);
}

ET_EXPORT int execv(const char *path, char *const argv[])
{
    struct exec_call c = {ET_EXEC_EXECV, -1, path, argv, environ, 0, false};
    return do_exec(&c);
}

ET_EXPORT int execvp(const char *file, char *const argv[])
{
    struct exec_call c = {ET_EXEC_EXECVP, -1, file, argv, environ, 0, true};
    return do_exec(&c);
}

ET_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    struct exec_call c = {ET_EXEC_EXECVPE, -1, file, argv, envp, 0, true};
    return do_exec(&c);
}

ET_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    struct exec_call c = {ET_EXEC_FEXECVE, fd, NULL, argv, envp, 0, false};
    return do_exec(&c);
}

ET_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
    struct exec_call c = {ET_EXEC_EXECVEAT, dirfd, path, argv, envp, flags, false};
    return do_exec(&c);
}

/*
 * The execl variants collect their arguments into an array, as libc does:
 * counted first, then on the stack, sized to fit as glibc's own is (a
 * fixed array would need kilobytes of stack that a small thread or clone
 * stack does not have); a very long list goes to a private mapping (not
 * malloc: this may be a vfork child).
 */
#define EXECL_STACK_ARGS 1024

/* glibc declares the first argument nonnull, yet execl(path, NULL) is used
 * (an empty argv) and must reach the kernel as such. */
#pragma GCC diagnostic ignored "-Wnonnull-compare"

static int execl_common(uint16_t kind, const char *path, const char *arg0, va_list ap, bool with_envp,
                        bool search_path)
{
    va_list count_ap;
    va_copy(count_ap, ap);
    size_t argc = 1;
    if (arg0)
        while (va_arg(count_ap, char *) != NULL)
            argc++;
    va_end(count_ap);

    char *stack_argv[argc <= EXECL_STACK_ARGS ? argc + 1 : 1];
    char **argv = stack_argv;
    size_t map_len = 0;
    if (argc > EXECL_STACK_ARGS) {
        map_len = (argc + 1) * sizeof(char *);
        argv = et_mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (et_mmap_failed(argv)) {
            errno = E2BIG;
            return -1;
        }
    }
    argv[0] = (char *)arg0;
    for (size_t i = 1; i < argc; i++)
        argv[i] = va_arg(ap, char *);
    argv[argc] = NULL;
    char *const *envp = environ;
    if (with_envp) {
        if (arg0)
            (void)va_arg(ap, char *); /* the NULL that ends the list */
        envp = va_arg(ap, char *const *);
    }

    struct exec_call c = {kind, -1, path, argv, envp, 0, search_path};
    int ret = do_exec(&c);
    int saved = errno;
    if (map_len)
        et_munmap(argv, map_len);
    errno = saved;
    return ret;
}

ET_EXPORT int execl(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int ret = execl_common(ET_EXEC_EXECL, path, arg, ap, false, false);
    va_end(ap);
    return ret;
}

ET_EXPORT int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int ret = execl_common(ET_EXEC_EXECLP, file, arg, ap, false, true);
    va_end(ap);
    return ret;
}

ET_EXPORT int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int ret = execl_common(ET_EXEC_EXECLE, path, arg, ap, true, false);
    va_end(ap);
    return ret;
}
