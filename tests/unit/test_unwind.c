/*
 * The shim's stack walker (shim/unwind.c) against glibc's backtrace()
 * (libgcc's unwinder, which describes every frame): the same return
 * addresses, frame for frame, through frames of every shape this file's
 * compiler makes, through libc, in a thread, through a signal frame; it
 * gives up rather than guess at a frame it has no table for; and a fork child steps
 * through what its parent learnt without looking anything up again.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <elf.h>
#include <execinfo.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unwind.h"

struct find {
    uintptr_t pc;
    const uint8_t *hdr;
};

static int find_cb(struct dl_phdr_info *info, size_t size, void *p)
{
    (void)size;
    struct find *f = p;
    bool inside = false;
    const uint8_t *hdr = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && f->pc >= start && f->pc < start + ph->p_memsz)
            inside = true;
        if (ph->p_type == PT_GNU_EH_FRAME)
            hdr = (const uint8_t *)start;
    }
    if (!inside)
        return 0;
    f->hdr = hdr;
    return 1;
}

static unsigned table_lookups;

static const uint8_t *table_of(uintptr_t pc, void *ctx)
{
    (void)ctx;
    table_lookups++;
    struct find f = {pc, NULL};
    dl_iterate_phdr(find_cb, &f);
    return f.hdr;
}

#define MAX_WALK 64

struct walk {
    uintptr_t pc[MAX_WALK];
    struct et_unwind_regs regs[MAX_WALK]; /* the registers of frame i */
    int frames;
    int last_step;
    void *ref[MAX_WALK + 1];
    int ref_frames;
    /* The same walk by et_unwind_walk, whole and past its first frame. */
    uint64_t walked[MAX_WALK], skipped[MAX_WALK];
    unsigned walked_n, skipped_n;
    int walked_result, skipped_result;
};

/* Walks from its caller's frame, then asks backtrace(), whose first frame
 * is this function's own. */
__attribute__((noinline)) static void capture(struct walk *w)
{
    struct et_unwind_regs regs = ET_UNWIND_REGS_HERE();
    int step = ET_UNWIND_STEPPED;
    w->frames = 0;
    while (step == ET_UNWIND_STEPPED && w->frames < MAX_WALK) {
        w->regs[w->frames] = regs;
        w->pc[w->frames++] = regs.pc;
        step = et_unwind_step(&regs, table_of, NULL);
    }
    w->last_step = step;
    struct et_unwind_regs again = w->regs[0];
    w->walked_result = et_unwind_walk(&again, 0, 0, w->walked, MAX_WALK, &w->walked_n, table_of, NULL);
    again = w->regs[0];
    w->skipped_result =
        et_unwind_walk(&again, w->pc[0], w->pc[0] + 1, w->skipped, MAX_WALK, &w->skipped_n, table_of, NULL);
    w->ref_frames = backtrace(w->ref, MAX_WALK + 1);
    __asm__ volatile("" ::: "memory");
}

/* Every frame the walker gave matches backtrace()'s; with `whole`, it
 * walked to the outermost frame as backtrace() did. */
static void expect_reference(const struct walk *w, bool whole)
{
    assert_true(w->frames > 0);
    assert_true(w->ref_frames > w->frames);
    for (int i = 0; i < w->frames; i++)
        if (w->pc[i] != (uintptr_t)w->ref[i + 1])
            fail_msg("frame %d: walker %#lx, backtrace %p", i, (unsigned long)w->pc[i], w->ref[i + 1]);
    if (whole) {
        assert_int_equal(w->last_step, ET_UNWIND_END);
        assert_int_equal(w->frames, w->ref_frames - 1);
    }
    /* et_unwind_walk takes the same frames, and skips what it is told to. */
    assert_int_equal(w->walked_result, w->last_step);
    assert_int_equal(w->walked_n, (unsigned)w->frames);
    assert_int_equal(w->skipped_result, w->last_step);
    assert_int_equal(w->skipped_n, (unsigned)w->frames - 1);
    for (int i = 0; i < w->frames; i++) {
        assert_int_equal(w->walked[i], w->pc[i]);
        if (i > 0)
            assert_int_equal(w->skipped[i - 1], w->pc[i]);
    }
}

/* Frames of three shapes: no frame of its own, a fixed array (the CFA at
 * %rsp plus an offset), a variable-length array (the CFA at %rbp). */
static struct walk deep;

__attribute__((noinline)) static int descend(int depth, int shape);

__attribute__((noinline)) static int shape_plain(int depth)
{
    return descend(depth - 1, 1) + 1;
}

__attribute__((noinline)) static int shape_array(int depth)
{
    volatile char buffer[300];
    buffer[depth % 300] = (char)depth;
    return descend(depth - 1, 2) + buffer[depth % 300];
}

__attribute__((noinline)) static int shape_vla(int depth)
{
    volatile char buffer[(depth & 63) * 8 + 1];
    buffer[depth] = (char)depth;
    return descend(depth - 1, 0) + buffer[depth];
}

__attribute__((noinline)) static int descend(int depth, int shape)
{
    if (depth == 0) {
        capture(&deep);
        return 0;
    }
    int r;
    if (shape == 0)
        r = shape_plain(depth);
    else if (shape == 1)
        r = shape_array(depth);
    else
        r = shape_vla(depth);
    __asm__ volatile("" ::: "memory");
    return r;
}

/* Steps from its own frame (the CFA at %rbp) while the frame is live,
 * with %rbp as it is and made wild. */
struct wild_steps {
    int far_above, below_sp, true_rbp;
    uintptr_t stepped_to;
};

__attribute__((noinline)) static void steps_from_a_vla_frame(int n, struct wild_steps *out)
{
    volatile char buffer[(n & 63) * 8 + 1];
    buffer[n & 63] = 1;
    capture(&deep);
    struct et_unwind_regs frame = deep.regs[0];
    frame.rbp = frame.sp + (64u << 20);
    out->far_above = et_unwind_step(&frame, table_of, NULL);
    frame = deep.regs[0];
    frame.rbp = frame.sp - 4096;
    out->below_sp = et_unwind_step(&frame, table_of, NULL);
    frame = deep.regs[0];
    out->true_rbp = et_unwind_step(&frame, table_of, NULL);
    out->stepped_to = frame.pc;
    __asm__ volatile("" ::"r"(buffer) : "memory");
}

static void frames_of_every_shape_match_the_reference(void **state)
{
    (void)state;
    int sum = descend(20, 0);
    __asm__ volatile("" ::"r"(sum));
    expect_reference(&deep, true);
    assert_true(deep.frames > 40);
}

static struct walk in_callback;
static int compare_and_capture(const void *a, const void *b)
{
    if (in_callback.frames == 0)
        capture(&in_callback);
    return *(const int *)a - *(const int *)b;
}

static void frames_through_libc_match_the_reference(void **state)
{
    (void)state;
    int numbers[64];
    for (int i = 0; i < 64; i++)
        numbers[i] = (i * 37) % 64;
    in_callback.frames = 0;
    qsort(numbers, 64, sizeof(int), compare_and_capture);
    expect_reference(&in_callback, true);
}

static void *thread_body(void *arg)
{
    struct walk *w = arg;
    capture(w);
    return NULL;
}

static void a_thread_walks_to_its_first_frame(void **state)
{
    (void)state;
    static struct walk w;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, thread_body, &w), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    expect_reference(&w, true);
}

static struct walk in_handler;
static void on_signal(int sig)
{
    (void)sig;
    capture(&in_handler);
}

/* Through the handler, its return into the kernel's signal frame, then the
 * code the signal interrupted, on the thread's stack or on an alternate
 * one. */
static void a_signal_frame_is_walked_through(void **state)
{
    (void)state;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
    in_handler.frames = 0;
    raise(SIGUSR1);
    expect_reference(&in_handler, true);

    static char alternate[64 * 1024];
    stack_t ss = {.ss_sp = alternate, .ss_size = sizeof(alternate), .ss_flags = 0};
    assert_int_equal(sigaltstack(&ss, NULL), 0);
    sa.sa_flags = SA_ONSTACK;
    assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
    in_handler.frames = 0;
    raise(SIGUSR1);
    expect_reference(&in_handler, true);
    assert_true(in_handler.regs[0].sp >= (uintptr_t)alternate &&
                in_handler.regs[0].sp < (uintptr_t)alternate + sizeof(alternate));
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    signal(SIGUSR1, SIG_DFL);
}

/* The frames of a walk that share their slot of the table with another
 * frame of it: each is looked up again at each of capture()'s three walks,
 * however well the table knows the rest. */
static unsigned colliding(const struct walk *w)
{
    unsigned n = 0;
    for (int i = 0; i < w->frames; i++)
        for (int j = 0; j < w->frames; j++)
            if (i != j && w->pc[i] != w->pc[j] && et_unwind_slot(w->pc[i]) == et_unwind_slot(w->pc[j])) {
                n++;
                break;
            }
    return n;
}

/* With `fork_first`, forks, and only the child goes on. */
__attribute__((noinline)) static unsigned lookups_for(struct walk *w, bool fork_first, pid_t *pid)
{
    if (fork_first && (*pid = fork()) != 0)
        return 0;
    table_lookups = 0;
    capture(w);
    __asm__ volatile("" ::: "memory");
    return table_lookups;
}

static void a_fork_child_steps_through_what_its_parent_learnt(void **state)
{
    (void)state;
    static struct walk w;
    int report[2];
    assert_int_equal(pipe(report), 0);
    unsigned same_site = 0;
    pid_t pid = -1;
    /* The child takes the stack from the call site its parent took it from
     * (one call in a loop the compiler may not unroll), and the parent's
     * table is what it inherited. */
    for (volatile int round = 0; round < 2; round++) {
        same_site = lookups_for(&w, round == 1, &pid);
        if (pid > 0)
            break;
    }
    assert_true(pid >= 0);
    if (pid == 0) {
        /* One call site the parent never returned to: looked up alone
         * (with what shares a slot, looked up at every walk). */
        unsigned counts[2] = {same_site - 3 * colliding(&w), 0};
        uintptr_t before[MAX_WALK];
        int nbefore = w.frames;
        memcpy(before, w.pc, sizeof(before));
        table_lookups = 0;
        capture(&w);
        counts[1] = table_lookups - 3 * colliding(&w);
        /* Less the frames new to the table that share no slot: none but one. */
        unsigned fresh = 0;
        for (int i = 0; i < w.frames; i++) {
            bool seen = false, shared = false;
            for (int j = 0; j < nbefore; j++)
                seen = seen || before[j] == w.pc[i];
            for (int j = 0; j < w.frames; j++)
                shared = shared || (j != i && w.pc[j] != w.pc[i] && et_unwind_slot(w.pc[j]) == et_unwind_slot(w.pc[i]));
            fresh += !seen && !shared;
        }
        counts[1] -= fresh;
        if (write(report[1], counts, sizeof(counts)) != (ssize_t)sizeof(counts))
            _exit(1);
        _exit(0);
    }
    expect_reference(&w, true);
    close(report[1]);
    unsigned counts[2];
    assert_int_equal(read(report[0], counts, sizeof(counts)), (ssize_t)sizeof(counts));
    close(report[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status, 0);
    assert_int_equal(counts[0], 0);
    assert_int_equal(counts[1], 0); /* each new frame looked up once, and nothing else */
}

static void forgetting_looks_every_address_up_again(void **state)
{
    (void)state;
    static struct walk w;
    unsigned lookups[3];
    pid_t unused = 0;
    /* One call site (a loop the compiler may not unroll), three walks:
     * learning, known, forgotten (what dlclose does). */
    for (volatile int round = 0; round < 3; round++) {
        if (round == 2)
            et_unwind_forget();
        lookups[round] = lookups_for(&w, false, &unused);
    }
    expect_reference(&w, true);
    unsigned shared = colliding(&w);
    assert_int_equal(lookups[1], 3 * shared);
    assert_int_equal(lookups[2], (unsigned)w.frames + 2 * shared);
}

/* A hand-made .eh_frame_hdr, CIE and FDE, for code at fake_code that is
 * never run: the walker reads only the tables, and the stack. */
static uint8_t fake_code[64];
static _Alignas(8) uint8_t fake_tables[256];
static const uint8_t *fake_hdr;

static const uint8_t *fake_table_of(uintptr_t pc, void *ctx)
{
    (void)pc;
    (void)ctx;
    return fake_hdr;
}

static void put32(uint8_t *at, int32_t v)
{
    memcpy(at, &v, 4);
}

/* Builds the tables: a CIE with `augmentation`, an FDE covering
 * fake_code[0, 32) whose rows are CFA = %rsp + 8, then %rsp + 16 from
 * fake_code + 4; the header's form of table is `table_encoding`. */
static void make_tables(const char *augmentation, uint8_t hdr_version, uint8_t table_encoding)
{
    memset(fake_tables, 0, sizeof(fake_tables));
    uint8_t *cie = fake_tables;
    uint8_t *p = cie + 8; /* length, id 0 */
    *p++ = 1;             /* version */
    size_t alen = strlen(augmentation) + 1;
    memcpy(p, augmentation, alen);
    p += alen;
    *p++ = 1;    /* code alignment */
    *p++ = 0x78; /* data alignment -8 */
    *p++ = 16;   /* return address register */
    *p++ = 1;    /* augmentation data: one byte */
    *p++ = 0x1b; /* FDE pointers pc-relative, sdata4 */
    *p++ = 0x0c; /* def_cfa r7 (rsp), 8 */
    *p++ = 7;
    *p++ = 8;
    *p++ = 0x90; /* offset r16 (return address), 1 * -8 */
    *p++ = 1;
    while ((p - cie) % 8)
        *p++ = 0; /* nop */
    put32(cie, (int32_t)(p - cie - 4));
    uint8_t *fde = p;
    p = fde + 4;
    put32(p, (int32_t)(p - cie)); /* back to the CIE */
    p += 4;
    put32(p, (int32_t)((intptr_t)fake_code - (intptr_t)p)); /* pc_begin, pc-relative */
    p += 4;
    put32(p, 32); /* pc_range */
    p += 4;
    *p++ = 0;    /* augmentation data: none */
    *p++ = 0x44; /* advance_loc 4 */
    *p++ = 0x0e; /* def_cfa_offset 16 */
    *p++ = 16;
    while ((p - fde) % 8)
        *p++ = 0;
    put32(fde, (int32_t)(p - fde - 4));
    uint8_t *hdr = p + 8;
    hdr[0] = hdr_version;
    hdr[1] = 0x1b;
    hdr[2] = 0x03;
    hdr[3] = table_encoding;
    put32(hdr + 4, (int32_t)(cie - (hdr + 4)));
    put32(hdr + 8, 1);
    put32(hdr + 12, (int32_t)(fake_code - hdr));
    put32(hdr + 16, (int32_t)(fde - hdr));
    fake_hdr = hdr;
}

static void hand_made_tables_are_read_and_odd_forms_refused(void **state)
{
    (void)state;
    _Alignas(16) uintptr_t stack[8] = {0x1111, 0x2222, 0x3333, 0x4444};
    /* After the advance: CFA = %rsp + 16, the return address below it. */
    make_tables("zR", 1, 0x3b);
    struct et_unwind_regs regs = {(uintptr_t)fake_code + 9, (uintptr_t)stack, 0, 0};
    assert_int_equal(et_unwind_step(&regs, fake_table_of, NULL), ET_UNWIND_STEPPED);
    assert_int_equal(regs.pc, 0x2222);
    assert_int_equal(regs.sp, (uintptr_t)&stack[2]);
    /* Before it: CFA = %rsp + 8. */
    regs = (struct et_unwind_regs){(uintptr_t)fake_code + 2, (uintptr_t)stack, 0, 0};
    assert_int_equal(et_unwind_step(&regs, fake_table_of, NULL), ET_UNWIND_STEPPED);
    assert_int_equal(regs.pc, 0x1111);
    /* Outside the FDE's range. */
    regs = (struct et_unwind_regs){(uintptr_t)fake_code + 40, (uintptr_t)stack, 0, 0};
    assert_int_equal(et_unwind_step(&regs, fake_table_of, NULL), ET_UNWIND_GIVE_UP);
    /* Forms it does not read: another header version, another form of the
     * header's table, an augmentation it does not know.  Each at its own
     * address, since what a return address gave is remembered. */
    make_tables("zR", 2, 0x3b);
    regs = (struct et_unwind_regs){(uintptr_t)fake_code + 11, (uintptr_t)stack, 0, 0};
    assert_int_equal(et_unwind_step(&regs, fake_table_of, NULL), ET_UNWIND_GIVE_UP);
    make_tables("zR", 1, 0x03);
    regs = (struct et_unwind_regs){(uintptr_t)fake_code + 12, (uintptr_t)stack, 0, 0};
    assert_int_equal(et_unwind_step(&regs, fake_table_of, NULL), ET_UNWIND_GIVE_UP);
    make_tables("zRQ", 1, 0x3b);
    regs = (struct et_unwind_regs){(uintptr_t)fake_code + 13, (uintptr_t)stack, 0, 0};
    assert_int_equal(et_unwind_step(&regs, fake_table_of, NULL), ET_UNWIND_GIVE_UP);
    et_unwind_forget();
}

static void code_without_tables_or_a_wild_frame_gives_up(void **state)
{
    (void)state;
    /* An address in no loaded object. */
    void *page = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(page != MAP_FAILED);
    struct et_unwind_regs regs = {(uintptr_t)page + 16, (uintptr_t)&regs, 0, 0};
    assert_int_equal(et_unwind_step(&regs, table_of, NULL), ET_UNWIND_GIVE_UP);
    munmap(page, 4096);

    /* A frame whose CFA is %rbp + 16, with %rbp far above the stack or
     * below the stack pointer: refused before anything is read there. */
    struct wild_steps w;
    steps_from_a_vla_frame(40, &w);
    assert_int_equal(w.far_above, ET_UNWIND_GIVE_UP);
    assert_int_equal(w.below_sp, ET_UNWIND_GIVE_UP);
    assert_int_equal(w.true_rbp, ET_UNWIND_STEPPED);
    assert_int_equal(w.stepped_to, deep.pc[1]);
    expect_reference(&deep, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frames_of_every_shape_match_the_reference),
        cmocka_unit_test(frames_through_libc_match_the_reference),
        cmocka_unit_test(a_thread_walks_to_its_first_frame),
        cmocka_unit_test(a_signal_frame_is_walked_through),
        cmocka_unit_test(a_fork_child_steps_through_what_its_parent_learnt),
        cmocka_unit_test(forgetting_looks_every_address_up_again),
        cmocka_unit_test(hand_made_tables_are_read_and_odd_forms_refused),
        cmocka_unit_test(code_without_tables_or_a_wild_frame_gives_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
