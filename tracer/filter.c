/*
 * The seccomp filter that picks which calls stop, and the self-test that
 * decides which filter this machine gets.
 *
 * The filter looks at the call's number first, so that every other call is
 * allowed at once (and cached by the kernel as always allowed), then at a
 * few arguments (a thread's clone, Go's SIGURG preemption, fcntl and prctl
 * operations we do not record), and last at the caller's address: calls
 * from a shared library (libc, where the shim sees them) run on.  Code lies
 * below 4 GiB in non-PIE images (Go's default, static C) and in a window
 * above ELF_ET_DYN_BASE in PIE images; libraries are mapped far above both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tracee.h"
#include "sys.h"

#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef PTRACE_EVENT_SECCOMP
#define PTRACE_EVENT_SECCOMP 7
#endif
#define X32_SYSCALL_BIT 0x40000000u

/* Where the kernel maps a PIE executable (x86_64 ELF_ET_DYN_BASE): two
 * thirds of the 47-bit address space, plus up to mmap_rnd_bits pages of
 * randomisation. */
#define PIE_BASE 0x555555554000ull
/* Room for the image itself above its randomised base. */
#define PIE_IMAGE_ROOM (16ull << 30)

/* The calls that stop.  Others are allowed before any other test. */
static const long traced_calls[] = {
    SYS_clone, SYS_fork, SYS_vfork, SYS_clone3, SYS_execve, SYS_execveat, SYS_kill, SYS_tgkill, SYS_tkill,
    SYS_rt_sigqueueinfo, SYS_pidfd_send_signal, SYS_pidfd_open, SYS_wait4, SYS_waitid, SYS_pipe, SYS_pipe2,
    SYS_close, SYS_close_range, SYS_dup, SYS_dup2, SYS_dup3, SYS_fcntl, SYS_setpgid, SYS_setsid, SYS_prctl,
    SYS_rt_sigaction, SYS_exit_group, SYS_ptrace,
};

#define NTRACED (sizeof(traced_calls) / sizeof(traced_calls[0]))

static uint32_t mmap_rnd_bits(void)
{
    FILE *f = fopen("/proc/sys/vm/mmap_rnd_bits", "re");
    unsigned bits = 32; /* the largest the kernel allows: the widest window */
    if (f) {
        if (fscanf(f, "%u", &bits) != 1 || bits > 32)
            bits = 32;
        fclose(f);
    }
    return bits;
}

static void compute_windows(struct et_tracer *t)
{
    uint64_t top = PIE_BASE + (1ull << (mmap_rnd_bits() + 12)) + PIE_IMAGE_ROOM;
    t->pie_hi_lo = (uint32_t)(PIE_BASE >> 32);
    t->pie_hi_hi = (uint32_t)(top >> 32);
}

bool et_filter_own_code(const struct et_tracer *t, uint64_t ip)
{
    uint32_t hi = (uint32_t)(ip >> 32);
    return hi == 0 || (hi >= t->pie_hi_lo && hi <= t->pie_hi_hi);
}

#define LD_ABS(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define IP_HI (offsetof(struct seccomp_data, instruction_pointer) + 4)

/*
 * Layout: arch check, the number's jump table, per-call argument checks,
 * then the shared tail: IP check, TRACE, ALLOW.  Jumps are relative and at
 * most 255 ahead, which this short program never exceeds.
 */
struct prog_builder {
    struct sock_filter insn[128];
    unsigned n;
};

static void emit(struct prog_builder *b, struct sock_filter f)
{
    if (b->n < sizeof(b->insn) / sizeof(b->insn[0]))
        b->insn[b->n++] = f;
}

/* Argument checks: value of a 32-bit argument that lets the call run on,
 * or that makes it stop. */
struct arg_rule {
    long nr;
    unsigned arg;
    bool stop_if_equal; /* stop only for the values listed; otherwise allow them */
    uint32_t values[4];
    unsigned nvalues;
    bool test_bits;     /* allow when any of values[0]'s bits is set */
};

static const struct arg_rule arg_rules[] = {
    /* A new thread is not a process. */
    {SYS_clone, 0, false, {CLONE_THREAD}, 1, true},
    /* Go preempts its own threads with SIGURG about 100 times a second. */
    {SYS_tgkill, 2, false, {SIGURG}, 1, false},
    {SYS_tkill, 1, false, {SIGURG}, 1, false},
    {SYS_fcntl, 1, true, {F_DUPFD, F_DUPFD_CLOEXEC, F_SETFD}, 3, false},
    {SYS_prctl, 0, true, {PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG}, 2, false},
    {SYS_rt_sigaction, 0, true, {SIGCHLD}, 1, false},
};
#define NRULES (sizeof(arg_rules) / sizeof(arg_rules[0]))

bool et_filter_traced_call(long nr, const uint64_t args[6])
{
    bool listed = false;
    for (unsigned i = 0; i < NTRACED && !listed; i++)
        listed = traced_calls[i] == nr;
    if (!listed)
        return false;
    for (unsigned r = 0; r < NRULES; r++) {
        const struct arg_rule *a = &arg_rules[r];
        if (a->nr != nr)
            continue;
        uint32_t v = (uint32_t)args[a->arg];
        if (a->test_bits)
            return !(v & a->values[0]);
        bool equal = false;
        for (unsigned k = 0; k < a->nvalues; k++)
            equal |= v == a->values[k];
        return equal == a->stop_if_equal;
    }
    return true;
}

static unsigned build_filter(const struct et_tracer *t, enum et_filter_mode mode, struct sock_filter *out,
                             unsigned max)
{
    struct prog_builder b = {.n = 0};
    /* Offsets are patched once the tail's position is known: build with
     * placeholders in two passes. */
    unsigned rule_len[NRULES];
    for (unsigned r = 0; r < NRULES; r++)
        rule_len[r] = 1 + (arg_rules[r].test_bits ? 1 : arg_rules[r].nvalues) + 1;
    unsigned head = 4;             /* arch load, arch test, nr load, x32 test */
    unsigned table = NTRACED + 1;  /* one jump per call, then ALLOW's jump */
    unsigned rules_total = 0;
    for (unsigned r = 0; r < NRULES; r++)
        rules_total += rule_len[r];
    unsigned tail = head + table + rules_total; /* index of the IP check */
    unsigned ip_len = mode == ET_FILTER_OWN_CODE ? 5 : 0;
    unsigned trace_at = tail + ip_len;
    unsigned allow_at = trace_at + 1;

    emit(&b, (struct sock_filter)LD_ABS(offsetof(struct seccomp_data, arch)));
    emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0,
                                          (uint8_t)(allow_at - (b.n + 1))));
    emit(&b, (struct sock_filter)LD_ABS(offsetof(struct seccomp_data, nr)));
    emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT,
                                          (uint8_t)(allow_at - (b.n + 1)), 0));
    /* The jump table: a call with argument rules goes to its rule. */
    for (unsigned i = 0; i < NTRACED; i++) {
        /* ptrace stops from any code: a program that traces (gdb, strace)
         * fails under the recorder, and the user must be told why. */
        unsigned target = traced_calls[i] == SYS_ptrace ? trace_at : tail;
        unsigned at = head + table;
        for (unsigned r = 0; r < NRULES; r++) {
            if (arg_rules[r].nr == traced_calls[i]) {
                target = at;
                break;
            }
            at += rule_len[r];
        }
        emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)traced_calls[i],
                                              (uint8_t)(target - (b.n + 1)), 0));
    }
    emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, allow_at - (b.n + 1), 0, 0));
    for (unsigned r = 0; r < NRULES; r++) {
        const struct arg_rule *a = &arg_rules[r];
        emit(&b, (struct sock_filter)LD_ABS((uint32_t)ARG_LO(a->arg)));
        if (a->test_bits) {
            emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, a->values[0],
                                                  (uint8_t)(allow_at - (b.n + 1)), 0));
        } else {
            for (unsigned v = 0; v < a->nvalues; v++) {
                unsigned match = a->stop_if_equal ? tail : allow_at;
                emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, a->values[v],
                                                      (uint8_t)(match - (b.n + 1)), 0));
            }
        }
        unsigned otherwise = a->stop_if_equal ? allow_at : tail;
        emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, otherwise - (b.n + 1), 0, 0));
    }
    if (mode == ET_FILTER_OWN_CODE) {
        emit(&b, (struct sock_filter)LD_ABS((uint32_t)IP_HI));
        emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(trace_at - (b.n + 1)), 0));
        emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, t->pie_hi_lo, 0,
                                              (uint8_t)(allow_at - (b.n + 1))));
        emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, t->pie_hi_hi,
                                              (uint8_t)(allow_at - (b.n + 1)), 0));
        emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0));
    }
    emit(&b, (struct sock_filter)RET(SECCOMP_RET_TRACE));
    emit(&b, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
    if (b.n != allow_at + 1 || b.n > max)
        return 0;
    memcpy(out, b.insn, b.n * sizeof(out[0]));
    return b.n;
}

static int install_mode(const struct et_tracer *t, enum et_filter_mode mode)
{
    struct sock_filter insn[128];
    unsigned n = build_filter(t, mode, insn, 128);
    if (!n)
        return -EINVAL;
    struct sock_fprog prog = {.len = (unsigned short)n, .filter = insn};
    /* SPEC_ALLOW: on some kernels a filter otherwise switches on the
     * speculative store bypass mitigation, slowing the program down. */
    long ret = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, &prog);
    if (ret < 0 && errno == EINVAL)
        ret = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
    if (ret < 0 && errno == EACCES) {
        /* Without CAP_SYS_ADMIN a filter needs no_new_privs: set-id
         * programs then run without their privileges, as they would under
         * any unprivileged tracer. */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            return -errno;
        ret = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW, &prog);
        if (ret < 0 && errno == EINVAL)
            ret = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
    }
    return ret < 0 ? -errno : 0;
}

unsigned et_tracer_filter_program(const struct et_tracer *t, struct sock_filter *out, unsigned max)
{
    return build_filter(t, t->mode, out, max);
}

int et_tracer_install_filter(const struct et_tracer *t)
{
    return install_mode(t, t->mode);
}

enum et_filter_mode et_tracer_filter_mode(const struct et_tracer *t)
{
    return t->mode;
}

/* The probe child's calls: one from our own code, one through libc.  The
 * marker signal 0 with an unlikely pid tells them apart from anything else. */
#define PROBE_PID 0x7ffffff0

static __attribute__((noreturn)) void probe_child(const struct et_tracer *t, enum et_filter_mode mode, int go_fd,
                                                  int err_fd)
{
    char c;
    int err = 0;
    if (read(go_fd, &c, 1) != 1)
        err = EPIPE;
    else
        err = -install_mode(t, mode);
    if (err) {
        ssize_t unused = write(err_fd, &err, sizeof(err));
        (void)unused;
        _exit(1);
    }
    et_sys2(SYS_kill, PROBE_PID, 0);  /* own code: must stop */
    kill(PROBE_PID, 0);               /* libc: must not, with the address windows */
    _exit(0);
}

/* Runs the probe with one mode; the number of marker calls that stopped, or
 * -errno (why holds the reason). */
static int probe(struct et_tracer *t, enum et_filter_mode mode, char *why, size_t why_len)
{
    /* go: a socket, so that telling a child that died meanwhile fails
     * with EPIPE instead of raising SIGPIPE in the launcher. */
    int go[2], errp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) < 0)
        return snprintf(why, why_len, "pipe: %s", strerror(errno)), -errno;
    if (pipe2(errp, O_CLOEXEC) < 0) {
        int e = errno;
        close(go[0]);
        close(go[1]);
        return snprintf(why, why_len, "pipe: %s", strerror(e)), -e;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(go[1]);
        close(errp[0]);
        probe_child(t, mode, go[0], errp[1]);
    }
    close(go[0]);
    close(errp[1]);
    if (pid < 0) {
        int e = errno;
        close(go[1]);
        close(errp[0]);
        return snprintf(why, why_len, "fork: %s", strerror(e)), -e;
    }
    int ret = 0;
    long opts = PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD;
    if (ptrace(PTRACE_SEIZE, pid, 0, opts) < 0) {
        ret = -errno;
        snprintf(why, why_len, "ptrace is not permitted here (PTRACE_SEIZE: %s%s)", strerror(errno),
                 errno == EPERM ? "; already traced, or forbidden by Yama or a container's profile" : "");
        kill(pid, SIGKILL);
    }
    ssize_t unused = send(go[1], "g", 1, MSG_NOSIGNAL);
    (void)unused;
    close(go[1]);
    int stops = 0;
    bool killed = false;
    for (;;) {
        int status;
        pid_t w = waitpid(pid, &status, __WALL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (WIFSIGNALED(status))
            killed = true;
        if (WIFEXITED(status) || WIFSIGNALED(status))
            break;
        if (!WIFSTOPPED(status))
            continue;
        int sig = WSTOPSIG(status);
        int event = status >> 16;
        if (event == PTRACE_EVENT_SECCOMP) {
            struct __ptrace_syscall_info info;
            long n = ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info);
            if (n > 0 && info.op == PTRACE_SYSCALL_INFO_SECCOMP && info.seccomp.nr == SYS_kill &&
                (int)info.seccomp.args[0] == PROBE_PID)
                stops++;
            ptrace(PTRACE_CONT, pid, 0, 0);
        } else if (event) {
            ptrace(PTRACE_CONT, pid, 0, 0);
        } else {
            ptrace(PTRACE_CONT, pid, 0, sig == SIGTRAP ? 0 : sig);
        }
    }
    int child_err = 0;
    if (ret == 0 && read(errp[0], &child_err, sizeof(child_err)) == sizeof(child_err) && child_err) {
        ret = -child_err;
        snprintf(why, why_len, "seccomp filters are not permitted here (%s)", strerror(child_err));
    }
    close(errp[0]);
    if (ret == 0 && killed) {
        /* Killed from outside (its whole group was, say): no verdict. */
        snprintf(why, why_len, "the recorder's self-test process was killed");
        return -EINTR;
    }
    return ret < 0 ? ret : stops;
}

struct et_tracer *et_tracer_new(const struct et_tracer_config *cfg, char *why, size_t why_len)
{
    struct et_tracer *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    t->cfg = *cfg;
    t->clock_ticks = sysconf(_SC_CLK_TCK);
    struct timespec boot, mono;
    clock_gettime(CLOCK_BOOTTIME, &boot);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    t->boot_offset_ns = (uint64_t)(boot.tv_sec - mono.tv_sec) * 1000000000ull + (uint64_t)boot.tv_nsec -
                        (uint64_t)mono.tv_nsec;
    compute_windows(t);
    /* Call sites: os/exec's calls are some ten frames below main, and a Go
     * frame costs a read, not an unwind: all 32 unless
     * EXECTRACE_STACK_DEPTH says otherwise. */
    const char *depth = getenv("EXECTRACE_STACK_DEPTH");
    t->stack_depth = ET_MAX_STACK_FRAMES;
    if (depth && *depth) {
        char *end;
        unsigned long d = strtoul(depth, &end, 10);
        if (!*end)
            t->stack_depth = d > ET_MAX_STACK_FRAMES ? ET_MAX_STACK_FRAMES : (unsigned)d;
    }
    /* With the windows, exactly the call from our own code stops.  A probe
     * killed from outside says nothing: try again. */
    int stops = -EINTR;
    for (int attempt = 0; attempt < 3 && stops == -EINTR; attempt++)
        stops = probe(t, ET_FILTER_OWN_CODE, why, why_len);
    if (stops == 1) {
        t->mode = ET_FILTER_OWN_CODE;
        return t;
    }
    if (stops >= 0) {
        /* The address layout is not what the windows assume (a kernel with
         * another ELF_ET_DYN_BASE): stop by number, and tell libc's calls
         * apart here. */
        int again = probe(t, ET_FILTER_NUMBERS, why, why_len);
        if (again == 2) {
            t->mode = ET_FILTER_NUMBERS;
            return t;
        }
        if (again >= 0)
            snprintf(why, why_len, "the seccomp self-test failed (%d of 2 marked calls stopped)", again);
        stops = again;
    }
    free(t);
    errno = stops < 0 ? -stops : 0;
    return NULL;
}
