/*
 * Call sites: the caller's stack on the records that start, replace, signal
 * and wait for processes, create pipes and change groups or SIGCHLD, and the
 * map of loaded objects that lets the analyzer resolve those addresses after
 * the process is gone.
 *
 * Stacks are walked by the shim's own unwinder (unwind.c) from the objects'
 * .eh_frame; libunwind takes over a stack that walker cannot describe (a
 * CFA expression, code without unwind tables).  libunwind is loaded with
 * dlopen(RTLD_LOCAL) rather than linked: linked, its exported backtrace()
 * and _Unwind_Backtrace would take
 * the place of glibc's and libgcc's in every traced program, and a program
 * that brings LLVM's libunwind (same unw_* names, another ABI) would call
 * ours.  Local, nobody but the shim sees it, and EXECTRACE_STACK_DEPTH=0
 * does not load it at all.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <ucontext.h>
#include <stdlib.h>
#include <string.h>

#include "real.h"
#include "record.h"
#include "stack.h"
#include "sys.h"
#include "unwind.h"

/* libunwind's local-only API, by its exported names (libunwind.h maps
 * unw_set_caching_policy and unw_local_addr_space to these on x86_64). */
#define ET_UNW_CACHE_PER_THREAD 2
typedef int (*unw_backtrace_fn)(void **buffer, int size);
typedef int (*unw_set_caching_policy_fn)(void *as, int policy);
typedef int (*unw_getcontext_fn)(ucontext_t *context);
typedef int (*unw_init_local_fn)(void *cursor, ucontext_t *context);
#define ET_UNW_CURSOR_WORDS 127 /* UNW_TDEP_CURSOR_LEN */

static unw_backtrace_fn unwind_backtrace;
static unsigned stack_depth = ET_DEFAULT_STACK_DEPTH;

/* Frames of the shim and of libunwind itself, dropped from the top. */
struct text_range {
    uintptr_t start, end;
};
static struct text_range own_text[2];

/* The objects already recorded, so that an address outside all of them
 * (something dlopen'ed since) triggers a new look at the loaded objects. */
#define KNOWN_MODULES_MAX 512
static struct text_range known_modules[KNOWN_MODULES_MAX];
static uint32_t known_module_count;
static int module_scan_busy;

unsigned et_stack_depth(void)
{
    return stack_depth;
}

static bool in_range(const struct text_range *r, uintptr_t pc)
{
    return pc >= r->start && pc < r->end;
}

/* The extent of the loaded object that contains `address`. */
struct find_object {
    uintptr_t address;
    struct text_range found;
};

static int find_object_cb(struct dl_phdr_info *info, size_t size, void *p)
{
    (void)size;
    struct find_object *f = p;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (f->address >= start && f->address < start + ph->p_memsz) {
            f->found.start = start;
            f->found.end = start + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

static struct text_range text_of(const void *address)
{
    struct find_object f = {(uintptr_t)address, {0, 0}};
    dl_iterate_phdr(find_object_cb, &f);
    return f.found;
}

/* The GNU build id from the object's notes, as mapped. */
static uint16_t build_id_of(const struct dl_phdr_info *info, const uint8_t **id)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
            const ElfW(Nhdr) *n = (const void *)p;
            size_t name = (n->n_namesz + 3u) & ~3u, desc = (n->n_descsz + 3u) & ~3u;
            const uint8_t *data = p + sizeof(*n);
            if ((size_t)(end - data) < name + desc)
                break;
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(data, "GNU", 4) == 0 &&
                n->n_descsz <= ET_MAX_BUILD_ID) {
                *id = data + name;
                return (uint16_t)n->n_descsz;
            }
            p = data + name + desc;
        }
    }
    return 0;
}

static void record_module(const struct dl_phdr_info *info, uintptr_t start, uintptr_t end, bool main_object,
                          uint64_t ts)
{
    const uint8_t *build_id = NULL;
    uint16_t build_id_len = build_id_of(info, &build_id);
    uint16_t flags = 0;
    char exe[ET_MAX_PATH_BYTES];
    const char *path = info->dlpi_name;
    if (main_object) {
        flags |= ET_MODULE_MAIN;
        long n = et_readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        exe[n > 0 ? n : 0] = 0;
        path = exe;
    } else if (strncmp(path, "linux-vdso.so", 13) == 0 || strncmp(path, "linux-gate.so", 13) == 0) {
        flags |= ET_MODULE_VDSO;
    }
    bool truncated;
    uint32_t path_bytes = et_put_str(NULL, path, ET_MAX_PATH_BYTES, &truncated);
    struct et_record *r =
        et_begin(ET_REC_MODULE, (uint32_t)sizeof(struct et_module) + build_id_len + path_bytes, ts, 0);
    if (!r)
        return;
    struct et_module *b = et_record_body(r);
    b->load_bias = info->dlpi_addr;
    b->start = start;
    b->end = end;
    b->build_id_len = build_id_len;
    b->flags = flags;
    b->stack_depth = (uint16_t)stack_depth;
    b->reserved = 0;
    uint8_t *tail = (uint8_t *)(b + 1);
    memcpy(tail, build_id, build_id_len);
    et_put_str(tail + build_id_len, path, ET_MAX_PATH_BYTES, &truncated);
    et_commit(&et_proc.writer, r);
}

static bool module_known(uintptr_t pc)
{
    uint32_t n = __atomic_load_n(&known_module_count, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++)
        if (in_range(&known_modules[i], pc))
            return true;
    return false;
}

/* One scan of the loaded objects: its records carry the time of the record
 * whose stack found them unknown, and come just before it. */
struct module_scan {
    bool first; /* dl_iterate_phdr reports the program first */
    uint64_t ts;
};

static int record_new_modules_cb(struct dl_phdr_info *info, size_t size, void *p)
{
    (void)size;
    struct module_scan *scan = p;
    bool main_object = scan->first;
    scan->first = false;
    uintptr_t start = UINTPTR_MAX, end = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr, e = s + ph->p_memsz;
        if (s < start)
            start = s;
        if (e > end)
            end = e;
    }
    if (end == 0 || module_known(start))
        return 0;
    record_module(info, start, end, main_object, scan->ts);
    uint32_t n = known_module_count;
    if (n < KNOWN_MODULES_MAX) {
        known_modules[n].start = start;
        known_modules[n].end = end;
        __atomic_store_n(&known_module_count, n + 1, __ATOMIC_RELEASE);
    }
    return 0;
}

/* Records every loaded object not recorded yet.  One thread at a time; a
 * thread that finds another at it goes on without waiting (that one is
 * recording the same objects). */
static void record_new_modules(uint64_t ts)
{
    if (__atomic_exchange_n(&module_scan_busy, 1, __ATOMIC_ACQUIRE))
        return;
    struct module_scan scan = {true, ts};
    dl_iterate_phdr(record_new_modules_cb, &scan);
    __atomic_store_n(&module_scan_busy, 0, __ATOMIC_RELEASE);
}

/* The unwind table of the object an address lies in, by glibc's lookup
 * for unwinders (lock-free, and it knows what dlclose unloaded).  An
 * object not recorded yet is recorded then, at the time `ts_ns` points to. */
static const uint8_t *unwind_table_of(uintptr_t pc, void *ts_ns)
{
    struct dl_find_object found;
    if (_dl_find_object((void *)pc, &found) != 0)
        return NULL;
    /* Not from a vfork child: its parent recorded them before the vfork. */
    if (!module_known(pc) && et_thread.vfork_depth == 0)
        record_new_modules(*(const uint64_t *)ts_ns);
    return found.dlfo_eh_frame;
}

/* An object unloaded: the walker's rules for its addresses would be wrong
 * for whatever is loaded there next. */
ET_EXPORT int dlclose(void *handle)
{
    int (*real)(void *) = ET_REAL(dlclose);
    if (ET_UNLIKELY(!real)) {
        errno = ENOSYS;
        return -1;
    }
    int ret = real(handle);
    int saved = errno;
    et_unwind_forget();
    errno = saved;
    return ret;
}

static int *unwinder_pipe_slot;
static int capture_lock;

static void close_unwinder_pipe(void)
{
    int *slot = unwinder_pipe_slot;
    if (!slot || slot[0] < 0)
        return;
    int a = slot[0], b = slot[1];
    slot[0] = slot[1] = -1;
    et_close(a);
    et_close(b);
}

/* One capture at a time in the process: they share libunwind's pipe. */
static void lock_capture(void)
{
    while (__atomic_exchange_n(&capture_lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&capture_lock, __ATOMIC_RELAXED))
            __builtin_ia32_pause();
}

static void unlock_capture(void)
{
    __atomic_store_n(&capture_lock, 0, __ATOMIC_RELEASE);
}

void et_stack_before_fork(void)
{
    /* The fork's own stack, often a process's first, is taken after the
     * child exists: the objects are recorded here, once, so that children
     * inherit them known rather than each recording them again. */
    if (stack_depth != 0 && __atomic_load_n(&known_module_count, __ATOMIC_ACQUIRE) == 0 &&
        et_stack_skip_reason() == 0) {
        int saved = errno;
        record_new_modules(et_now_ns());
        errno = saved;
    }
}

void et_stack_after_fork(void)
{
    /* Another thread of the parent may have been capturing: it is not in
     * this process.  Written only then: a store would copy the page.  Not
     * even read without stacks: the page may be one the parent never
     * touched, and reading it would cost the child a fault. */
    if (stack_depth != 0 && __atomic_load_n(&capture_lock, __ATOMIC_RELAXED))
        __atomic_store_n(&capture_lock, 0, __ATOMIC_RELAXED);
}

/* libunwind, for the stacks the shim's walker cannot describe.  Loading it
 * takes dlopen, which is not for a signal handler (it locks and
 * allocates): it is loaded when such a stack first comes, if the program
 * has never installed a signal handler (no hook can then be running in
 * one).  In a program that has, such a stack keeps the frames walked so
 * far (ET_STACK_PARTIAL).  Loading it with every program that installs a
 * handler (compilers, shells) cost each ~0.3 ms for stacks that almost
 * never need it. */
enum { UNWINDER_NOT_LOADED, UNWINDER_LOADING, UNWINDER_READY, UNWINDER_FAILED };
static int unwinder_state;
static bool stack_initialized;
static bool handler_installed;

static void load_unwinder(void)
{
    int expected = UNWINDER_NOT_LOADED;
    if (!__atomic_compare_exchange_n(&unwinder_state, &expected, UNWINDER_LOADING, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return;
    int saved = errno;
    uint32_t was_capturing = et_thread.in_stack_capture;
    /* libunwind sets itself up in its constructor or at its first
     * backtrace, and opens a pipe to check addresses with then: the pipe
     * hook hands it a socket pair out of the program's way. */
    et_thread.in_stack_capture = ET_LOADING_UNWINDER;
    void *lib = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    unw_backtrace_fn backtrace_fn = lib ? (unw_backtrace_fn)dlsym(lib, "unw_backtrace") : NULL;
    unw_set_caching_policy_fn set_policy =
        lib ? (unw_set_caching_policy_fn)dlsym(lib, "_ULx86_64_set_caching_policy") : NULL;
    void **local_space = lib ? dlsym(lib, "_ULx86_64_local_addr_space") : NULL;
    unw_getcontext_fn getcontext_fn = lib ? (unw_getcontext_fn)dlsym(lib, "_Ux86_64_getcontext") : NULL;
    unw_init_local_fn init_local = lib ? (unw_init_local_fn)dlsym(lib, "_ULx86_64_init_local") : NULL;
    if (!backtrace_fn || !set_policy || !local_space || !getcontext_fn || !init_local) {
        et_thread.in_stack_capture = was_capturing;
        errno = saved;
        __atomic_store_n(&unwinder_state, UNWINDER_FAILED, __ATOMIC_RELEASE);
        return;
    }
    /* Per-thread caches: the global one is guarded by a mutex, which a fork
     * taken while another thread held it would leave locked forever in the
     * child. */
    set_policy(*local_space, ET_UNW_CACHE_PER_THREAD);
    own_text[1] = text_of((const void *)backtrace_fn);
    /* libunwind's one-time setup (and its address-checking pipe) happens
     * here.  Not a whole backtrace: its first one in a thread fills a
     * 256 KiB frame cache, which only a thread that records a stack should
     * pay for. */
    ucontext_t context;
    uint64_t cursor[ET_UNW_CURSOR_WORDS];
    if (getcontext_fn(&context) == 0)
        init_local(cursor, &context);
    close_unwinder_pipe();
    et_thread.in_stack_capture = was_capturing;
    errno = saved;
    __atomic_store_n(&unwind_backtrace, backtrace_fn, __ATOMIC_RELEASE);
    __atomic_store_n(&unwinder_state, UNWINDER_READY, __ATOMIC_RELEASE);
}

void et_stack_note_handler(void)
{
    /* A vfork child's handlers go with its exec, and its memory is its
     * parent's: nothing of this is its business. */
    if (et_thread.vfork_depth != 0)
        return;
    __atomic_store_n(&handler_installed, true, __ATOMIC_RELEASE);
}

void et_stack_init(void)
{
    const char *depth = getenv(ET_ENV_STACK_DEPTH);
    if (depth && *depth) {
        /* Parsed here rather than with strtoul: a new image would fault in
         * a page of libc's text for it. */
        unsigned long v = 0;
        const char *end = depth;
        for (; *end >= '0' && *end <= '9'; end++)
            v = v > ET_MAX_STACK_FRAMES ? v : v * 10 + (unsigned long)(*end - '0');
        if (*end == 0) {
            stack_depth = v > ET_MAX_STACK_FRAMES ? ET_MAX_STACK_FRAMES : (unsigned)v;
            /* For the exec hooks, to put back into an environment that
             * lost it. */
            char *p = stpcpy(et_proc.env_depth_entry, ET_ENV_STACK_DEPTH "=");
            if (stack_depth >= 10)
                *p++ = (char)('0' + stack_depth / 10);
            *p++ = (char)('0' + stack_depth % 10);
            *p = 0;
        }
    }
    if (stack_depth == 0)
        return;
    own_text[0] = text_of((const void *)&et_stack_init);
    /* The loaded objects are recorded at the first stack taken (the walker
     * finds none known): most images a build or a shell starts take none,
     * and a scan of the objects costs about 5 us. */
    __atomic_store_n(&stack_initialized, true, __ATOMIC_RELEASE);
}

bool et_stack_is_unwinder(const void *code)
{
    return et_thread.in_stack_capture == ET_LOADING_UNWINDER || in_range(&own_text[1], (uintptr_t)code);
}

/* libunwind only writes a byte from the address it checks and reads it
 * back: a socket pair does that as well as a pipe (the kernel copies from
 * the address, or fails with EFAULT), and is not a pipe end that a snapshot
 * of the process would list.  It goes high in the fd table, where the
 * program does not expect its next fds: the lowest free numbers stay what
 * they would have been.  Below 1024 (select's limit, and the kernel's table
 * need not grow), or just under a lower fd limit.  If the program closes it
 * (close_range), libunwind opens another at its next check. */
int et_stack_unwinder_pipe(int fds[2], int flags)
{
    (void)flags;
    /* libunwind passes its own static pair: after setup and after each
     * capture the shim closes it and stores -1 there, so that the program
     * never sees these fds outside a capture; libunwind opens another when
     * it next checks an address. */
    unwinder_pipe_slot = fds;
    long ret = et_sys4(SYS_socketpair, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, (long)fds);
    if (ret < 0) {
        errno = (int)-ret;
        return -1;
    }
    struct rlimit rl;
    long floor = 3;
    if (et_sys4(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, (long)&rl) == 0) {
        uint64_t top = rl.rlim_cur < 1024 ? rl.rlim_cur : 1024;
        if (top > 3 + 32)
            floor = (long)top - 32;
    }
    for (int i = 0; i < 2; i++) {
        int high = et_fcntl(fds[i], F_DUPFD_CLOEXEC, floor);
        if (high >= 0) {
            et_close(fds[i]);
            fds[i] = high;
        }
    }
    return 0;
}

void et_stack_on_clone_child(void)
{
    et_proc.on_foreign_stack = true;
}

unsigned et_stack_skip_reason(void)
{
    if (stack_depth == 0)
        return ET_STACK_OFF;
    if (et_proc.on_foreign_stack)
        return ET_STACK_SKIP_CLONE;
    /* A clone(CLONE_VM) child shares this thread's TLS with its parent:
     * only the thread's own tid tells them apart.  A vfork child does too,
     * and says so (vfork_depth): it runs on its parent's stack, which the
     * walk only reads. */
    if (ET_UNLIKELY(et_proc.made_clone_vm_child) && et_thread.vfork_depth == 0 &&
        (uint32_t)et_gettid() != et_thread.tid)
        return ET_STACK_SKIP_CLONE;
    if (et_thread.in_stack_capture)
        return ET_STACK_SKIP_NESTED;
    if (!__atomic_load_n(&stack_initialized, __ATOMIC_ACQUIRE))
        return ET_STACK_SKIP_EARLY;
    return 0;
}

/* The stack by libunwind, for one the shim's walker gave up on after
 * `s->frames` frames; those are kept when libunwind cannot be had here. */
static void unwind_with_libunwind(struct et_stack *s, uint64_t *pc, uint64_t ts_ns)
{
    /* Nothing is loaded in a vfork child: its memory is its parent's. */
    if (et_thread.vfork_depth != 0) {
        s->flags = ET_STACK_PARTIAL | ET_STACK_SKIP_VFORK;
        return;
    }
    int state = __atomic_load_n(&unwinder_state, __ATOMIC_ACQUIRE);
    if (state == UNWINDER_NOT_LOADED && !__atomic_load_n(&handler_installed, __ATOMIC_ACQUIRE)) {
        load_unwinder();
        state = __atomic_load_n(&unwinder_state, __ATOMIC_ACQUIRE);
    }
    if (state != UNWINDER_READY) {
        s->flags = ET_STACK_PARTIAL | (state == UNWINDER_FAILED ? ET_STACK_NO_UNWINDER : 0);
        return;
    }
    s->frames = 0;
    s->flags = 0;
    unw_backtrace_fn backtrace_fn = __atomic_load_n(&unwind_backtrace, __ATOMIC_ACQUIRE);
    /* Room for the shim's and libunwind's own frames above the caller. */
    enum { OWN_FRAMES_MAX = 8 };
    void *frames[ET_MAX_STACK_FRAMES + OWN_FRAMES_MAX];
    int want = (int)stack_depth + OWN_FRAMES_MAX;
    et_thread.in_stack_capture = 1;
    lock_capture();
    int n = backtrace_fn(frames, want);
    close_unwinder_pipe();
    unlock_capture();
    et_thread.in_stack_capture = 0;
    int first = 0;
    while (first < n && (in_range(&own_text[0], (uintptr_t)frames[first]) ||
                         in_range(&own_text[1], (uintptr_t)frames[first])))
        first++;
    bool unknown = false;
    for (int i = first; i < n && s->frames < stack_depth; i++) {
        pc[s->frames++] = (uintptr_t)frames[i];
        if (!module_known((uintptr_t)frames[i]))
            unknown = true;
    }
    if (n == want)
        s->flags |= ET_STACK_TRUNCATED;
    if (unknown)
        record_new_modules(ts_ns);
}

/* Keeps a frame pointer: the walk starts from this function's own frame. */
__attribute__((noinline)) void et_stack_unwind(struct et_stack *s, uint64_t *pc, uint64_t ts_ns)
{
    s->frames = 0;
    s->flags = 0;
    s->pc = pc;
    /* libunwind's address checks leave errno behind (EAGAIN from its
     * socket), and recording a newly loaded object makes system calls: the
     * caller's errno is the program's. */
    int saved = errno;
    struct et_unwind_regs regs = ET_UNWIND_REGS_HERE();
    unsigned stored;
    int step = et_unwind_walk(&regs, own_text[0].start, own_text[0].end, pc, stack_depth, &stored, unwind_table_of,
                              &ts_ns);
    s->frames = (uint16_t)stored;
    /* With the frames asked for taken, a frame above them that the walker
     * cannot step past still exists: the stack is deeper. */
    if (s->frames == stack_depth && step != ET_UNWIND_END)
        s->flags |= ET_STACK_TRUNCATED;
    else if (step == ET_UNWIND_GIVE_UP)
        unwind_with_libunwind(s, pc, ts_ns);
    errno = saved;
}

static struct et_record *begin_with_stack(uint16_t type, uint32_t body_size, uint64_t ts_ns, int err,
                                          const struct et_stack *stack)
{
    struct et_record *r = et_begin(type, body_size + et_stack_extra(body_size, stack), ts_ns, err);
    if (r)
        et_stack_put(r, stack);
    return r;
}

static __attribute__((noinline)) struct et_record *begin_unwound(uint16_t type, uint32_t body_size, uint64_t ts_ns,
                                                                 int err)
{
    uint64_t pc[ET_MAX_STACK_FRAMES];
    struct et_stack stack;
    /* Through the one function every stack is taken in (the exec hook's
     * too), not an inlined copy: the address libunwind returns to in it is
     * then one a fork child finds in the cache it inherited when it records
     * its exec, rather than one more lookup (and page fault) there. */
    et_stack_unwind(&stack, pc, ts_ns);
    return begin_with_stack(type, body_size, ts_ns, err, &stack);
}

struct et_record *et_begin_stacked(uint16_t type, uint32_t body_size, uint64_t ts_ns, int err)
{
    unsigned skip = et_stack_skip_reason();
    if (skip == ET_STACK_OFF)
        return et_begin(type, body_size, ts_ns, err);
    if (skip) {
        struct et_stack none = {0, (uint16_t)skip, NULL};
        return begin_with_stack(type, body_size, ts_ns, err, &none);
    }
    return begin_unwound(type, body_size, ts_ns, err);
}
