#define _GNU_SOURCE
#include "names.h"

#include <stdbool.h>

#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "exectrace/trace_format.h"

const char *et_signal_name(int sig, char *buf, size_t len)
{
    const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;
    if (abbrev)
        snprintf(buf, len, "SIG%s", abbrev);
    else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
        snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
    else
        snprintf(buf, len, "%d", sig);
    return buf;
}

const char *et_errno_name(int err, char *buf, size_t len)
{
    const char *name = strerrorname_np(err);
    if (name)
        return name;
    snprintf(buf, len, "errno %d", err);
    return buf;
}

const char *et_flags_string(uint64_t value, const struct et_flag_name *names, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    if (value == 0) {
        snprintf(buf, len, "0");
        return buf;
    }
    for (const struct et_flag_name *n = names; n->name; n++) {
        if ((value & n->value) == n->value && n->value) {
            used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s", used ? "|" : "", n->name);
            value &= ~n->value;
        }
    }
    if (value)
        used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s0x%llx", used ? "|" : "",
                                 (unsigned long long)value);
    return buf;
}

const char *et_wait_status_string(int status, char *buf, size_t len)
{
    char sig[32];
    if (WIFEXITED(status))
        snprintf(buf, len, "WIFEXITED %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "WIFSIGNALED %s%s", et_signal_name(WTERMSIG(status), sig, sizeof(sig)),
                 WCOREDUMP(status) ? " core dumped" : "");
    else if (WIFSTOPPED(status))
        snprintf(buf, len, "WIFSTOPPED %s", et_signal_name(WSTOPSIG(status), sig, sizeof(sig)));
    else if (WIFCONTINUED(status))
        snprintf(buf, len, "WIFCONTINUED");
    else
        snprintf(buf, len, "status 0x%x", (unsigned)status);
    return buf;
}

#define F(x) {(uint64_t)(x), #x}
const struct et_flag_name et_clone_flag_names[] = {
    F(CLONE_VM), F(CLONE_FS), F(CLONE_FILES), F(CLONE_SIGHAND), F(CLONE_PIDFD), F(CLONE_PTRACE),
    F(CLONE_VFORK), F(CLONE_PARENT), F(CLONE_THREAD), F(CLONE_NEWNS), F(CLONE_SYSVSEM), F(CLONE_SETTLS),
    F(CLONE_PARENT_SETTID), F(CLONE_CHILD_CLEARTID), F(CLONE_UNTRACED), F(CLONE_CHILD_SETTID),
    F(CLONE_NEWCGROUP), F(CLONE_NEWUTS), F(CLONE_NEWIPC), F(CLONE_NEWUSER), F(CLONE_NEWPID), F(CLONE_NEWNET),
    F(CLONE_IO), {0, NULL}};
const struct et_flag_name et_open_flag_names[] = {{ET_O_CLOEXEC, "O_CLOEXEC"}, {ET_O_NONBLOCK, "O_NONBLOCK"},
                                                  {ET_O_DIRECT, "O_DIRECT"}, {0, NULL}};
const struct et_flag_name et_wait_option_names[] = {
    F(WNOHANG), F(WUNTRACED), F(WEXITED), F(WCONTINUED), F(WNOWAIT), F(__WNOTHREAD), F(__WALL), F(__WCLONE),
    {0, NULL}};
const struct et_flag_name et_spawn_flag_names[] = {
    F(POSIX_SPAWN_RESETIDS), F(POSIX_SPAWN_SETPGROUP), F(POSIX_SPAWN_SETSIGDEF), F(POSIX_SPAWN_SETSIGMASK),
    F(POSIX_SPAWN_SETSCHEDPARAM), F(POSIX_SPAWN_SETSCHEDULER), F(POSIX_SPAWN_USEVFORK), F(POSIX_SPAWN_SETSID),
    {0, NULL}};
const struct et_flag_name et_sa_flag_names[] = {
    F(SA_NOCLDSTOP), F(SA_NOCLDWAIT), F(SA_SIGINFO), F(SA_ONSTACK), F(SA_RESTART), F(SA_NODEFER),
    F(SA_RESETHAND), {0, NULL}};
const struct et_flag_name et_close_range_flag_names[] = {{ET_CLOSE_RANGE_UNSHARE, "CLOSE_RANGE_UNSHARE"},
                                                         {ET_CLOSE_RANGE_CLOEXEC, "CLOSE_RANGE_CLOEXEC"},
                                                         {0, NULL}};
#undef F

#define NAME_OF(table, i) ((i) < sizeof(table) / sizeof(table[0]) && table[i] ? table[i] : "?")

const char *et_fork_kind_name(unsigned kind)
{
    static const char *const names[] = {[ET_FORK_FORK] = "fork", [ET_FORK_VFORK] = "vfork",
                                        [ET_FORK__FORK] = "_Fork", [ET_FORK_CLONE] = "clone"};
    return NAME_OF(names, kind);
}

const char *et_exec_kind_name(unsigned kind)
{
    static const char *const names[] = {
        [ET_EXEC_EXECVE] = "execve", [ET_EXEC_EXECV] = "execv",     [ET_EXEC_EXECVP] = "execvp",
        [ET_EXEC_EXECVPE] = "execvpe", [ET_EXEC_EXECL] = "execl",   [ET_EXEC_EXECLP] = "execlp",
        [ET_EXEC_EXECLE] = "execle", [ET_EXEC_FEXECVE] = "fexecve", [ET_EXEC_EXECVEAT] = "execveat"};
    return NAME_OF(names, kind);
}

const char *et_spawn_kind_name(unsigned kind)
{
    static const char *const names[] = {[ET_SPAWN_POSIX_SPAWN] = "posix_spawn",
                                        [ET_SPAWN_POSIX_SPAWNP] = "posix_spawnp"};
    return NAME_OF(names, kind);
}

const char *et_signal_kind_name(unsigned kind)
{
    static const char *const names[] = {[ET_SIGNAL_KILL] = "kill", [ET_SIGNAL_KILLPG] = "killpg",
                                        [ET_SIGNAL_SIGQUEUE] = "sigqueue", [ET_SIGNAL_TGKILL] = "tgkill",
                                        [ET_SIGNAL_PIDFD_SEND_SIGNAL] = "pidfd_send_signal"};
    return NAME_OF(names, kind);
}

const char *et_wait_kind_name(unsigned kind)
{
    static const char *const names[] = {[ET_WAIT_WAIT] = "wait", [ET_WAIT_WAITPID] = "waitpid",
                                        [ET_WAIT_WAIT3] = "wait3", [ET_WAIT_WAIT4] = "wait4",
                                        [ET_WAIT_WAITID] = "waitid"};
    return NAME_OF(names, kind);
}

const char *et_dup_kind_name(unsigned kind)
{
    static const char *const names[] = {[ET_DUP_DUP] = "dup", [ET_DUP_DUP2] = "dup2", [ET_DUP_DUP3] = "dup3",
                                        [ET_DUP_FCNTL_DUPFD] = "fcntl", [ET_DUP_FCNTL_DUPFD_CLOEXEC] = "fcntl"};
    return NAME_OF(names, kind);
}

const char *et_origin_name(unsigned origin)
{
    static const char *const names[] = {[ET_ORIGIN_EXEC] = "exec", [ET_ORIGIN_FORK] = "fork",
                                        [ET_ORIGIN_VFORK] = "vfork", [ET_ORIGIN_CLONE] = "clone",
                                        [ET_ORIGIN_LAUNCHER] = "launcher"};
    return NAME_OF(names, origin);
}

const char *et_exit_how_name(unsigned how)
{
    static const char *const names[] = {[ET_EXIT_EXIT] = "exit", [ET_EXIT__EXIT] = "_exit",
                                        [ET_EXIT__EXIT_C99] = "_Exit", [ET_EXIT_EXIT_GROUP] = "exit_group"};
    return NAME_OF(names, how);
}

const char *et_recorder_state_name(unsigned state)
{
    static const char *const names[] = {[ET_RECORDER_ON] = "on", [ET_RECORDER_DISABLED] = "disabled",
                                        [ET_RECORDER_UNAVAILABLE] = "unavailable"};
    return NAME_OF(names, state);
}

const char *et_recorder_filter_name(unsigned filter)
{
    static const char *const names[] = {[ET_RECORDER_FILTER_OWN_CODE] = "own-code",
                                        [ET_RECORDER_FILTER_NUMBERS] = "numbers"};
    return NAME_OF(names, filter);
}

const char *et_record_type_name(unsigned type)
{
#define TYPE_NAME(type, body, name) [type] = name,
    static const char *const names[] = {ET_RECORD_TYPES(TYPE_NAME)};
#undef TYPE_NAME
    return NAME_OF(names, type);
}

const char *et_idtype_name(int idtype)
{
    switch (idtype) {
    case ET_P_ALL:
        return "P_ALL";
    case ET_P_PID:
        return "P_PID";
    case ET_P_PGID:
        return "P_PGID";
    case ET_P_PIDFD:
        return "P_PIDFD";
    default:
        return "?";
    }
}

const char *et_cld_code_name(int code)
{
    switch (code) {
    case ET_CLD_EXITED:
        return "CLD_EXITED";
    case ET_CLD_KILLED:
        return "CLD_KILLED";
    case ET_CLD_DUMPED:
        return "CLD_DUMPED";
    case ET_CLD_TRAPPED:
        return "CLD_TRAPPED";
    case ET_CLD_STOPPED:
        return "CLD_STOPPED";
    case ET_CLD_CONTINUED:
        return "CLD_CONTINUED";
    default:
        return "?";
    }
}

const char *et_disposition_name(unsigned disposition)
{
    static const char *const names[] = {[ET_DISP_DEFAULT] = "SIG_DFL", [ET_DISP_IGNORE] = "SIG_IGN",
                                        [ET_DISP_HANDLER] = "handler", [ET_DISP_HOLD] = "SIG_HOLD"};
    return NAME_OF(names, disposition);
}

const char *et_sigchld_call_name(unsigned call)
{
    static const char *const names[] = {[ET_SIGCHLD_SIGNAL] = "signal", [ET_SIGCHLD_SIGACTION] = "sigaction",
                                        [ET_SIGCHLD_SIGSET] = "sigset"};
    return NAME_OF(names, call);
}

const char *et_prctl_option_name(int option)
{
    switch (option) {
    case ET_PR_SET_CHILD_SUBREAPER:
        return "PR_SET_CHILD_SUBREAPER";
    case ET_PR_SET_PDEATHSIG:
        return "PR_SET_PDEATHSIG";
    default:
        return "?";
    }
}

const char *et_syscall_name(int nr)
{
#define SYSCALL_NAME(name, number) \
    case number:                   \
        return #name;
    switch (nr) {
        ET_SNAPSHOT_SYSCALLS(SYSCALL_NAME)
    default:
        return NULL;
    }
#undef SYSCALL_NAME
}

bool et_syscall_first_arg_is_int(int nr)
{
    /* An fd, a pid or an id type: shown as a signed number, not an address. */
    return nr == ET_SYS_read || nr == ET_SYS_write || nr == ET_SYS_pread64 || nr == ET_SYS_pwrite64 || nr == ET_SYS_readv ||
           nr == ET_SYS_writev || nr == ET_SYS_wait4 || nr == ET_SYS_waitid || nr == ET_SYS_flock || nr == ET_SYS_epoll_wait ||
           nr == ET_SYS_epoll_pwait || nr == ET_SYS_accept || nr == ET_SYS_accept4 || nr == ET_SYS_connect ||
           nr == ET_SYS_recvfrom || nr == ET_SYS_recvmsg || nr == ET_SYS_select || nr == ET_SYS_pselect6;
}
