/* Call sites: the stacks the shim takes and the analyzer resolves name the
 * file and line each hooked call is on.  tests/progs/stack_sites.c and
 * tests/progs/lib/libsites.c mark their calls with "SITE name" comments;
 * the expected lines are read from there, so the sources may change. */
#define _GNU_SOURCE
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "symbols.h"

#define PROG_SOURCE "tests/progs/stack_sites.c"
#define LIB_SOURCE "tests/progs/lib/libsites.c"

/* The line of `file` (relative to the source tree) that carries "SITE name". */
static int site_line(const char *file, const char *name)
{
    char path[PATH_MAX], marker[128], line[512];
    snprintf(path, sizeof(path), "%s/%s", EXECTRACE_SOURCE_DIR, file);
    snprintf(marker, sizeof(marker), "SITE %s */", name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot read %s", path);
    int n = 0, found = 0;
    while (fgets(line, sizeof(line), f)) {
        n++;
        if (strstr(line, marker)) {
            found = n;
            break;
        }
    }
    fclose(f);
    if (!found)
        fail_msg("%s has no \"SITE %s\" marker", path, name);
    return found;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = s ? strlen(s) : 0, b = strlen(suffix);
    return s && a >= b && strcmp(s + a - b, suffix) == 0;
}

struct sites_run {
    struct traced_run r;
    int pid;
    struct et_symbols *symbols;
};

/* stack_sites with `arg` (by default, the library it loads with dlopen). */
static void run_sites_with(struct sites_run *s, const char *prog_path, const char *const *env, const char *arg)
{
    char prog[PATH_MAX], dl[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", prog_path); /* test_prog's buffer is reused */
    snprintf(dl, sizeof(dl), "%s", arg ? arg : test_prog("libsites_dl.so"));
    assert_int_equal(traced_run(&s->r, (const char *const[]){"-q", NULL}, env, (const char *const[]){prog, dl, NULL}),
                     0);
    if (s->r.status != 0)
        fail_msg("stack_sites exited %d:\n%s%s", s->r.status, s->r.out, s->r.err);
    assert_true(s->r.loaded);
    assert_int_equal(s->r.trace.problems, 0);
    s->pid = command_pid(&s->r);
    s->symbols = et_symbols_load(&s->r.trace);
    assert_non_null(s->symbols);
}

static void run_sites(struct sites_run *s, const char *prog_path, const char *const *env)
{
    run_sites_with(s, prog_path, env, NULL);
}

static void free_sites(struct sites_run *s)
{
    et_symbols_free(s->symbols);
    traced_run_free(&s->r);
}

static bool signal_is(const struct et_record *rec, const void *arg)
{
    return BODY(rec, et_signal)->sig == *(const int *)arg;
}

static const struct et_record *kill_with(const struct sites_run *s, int pid, int sig)
{
    const struct et_record *rec = find_record(&s->r, ET_REC_SIGNAL, pid, signal_is, &sig);
    if (!rec)
        fail_msg("no kill(..., %d) recorded for pid %d", sig, pid);
    return rec;
}

/* Frame `index` of rec's stack, resolved; fails if the stack is shorter. */
static struct et_frame frame_of(const struct sites_run *s, const struct et_record *rec, unsigned index)
{
    const uint64_t *pc;
    struct et_stack_trailer trailer;
    if (!et_record_stack(rec, &pc, &trailer))
        fail_msg("record of type %u has no stack", rec->type);
    if (trailer.frames <= index)
        fail_msg("record of type %u has %u frames (flags 0x%x), wanted frame %u", rec->type, trailer.frames,
                 trailer.flags, index);
    struct et_frame f;
    et_symbols_resolve(s->symbols, rec, index, pc[index], &f);
    return f;
}

static void expect_site(const struct et_frame *f, const char *file, const char *site, const char *function)
{
    int want = site_line(file, site);
    if (!ends_with(f->file, strrchr(file, '/')) || f->line != want ||
        (function && (!f->function || strcmp(f->function, function) != 0)))
        fail_msg("expected %s:%d in %s(), got %s:%d in %s() (module %s+0x%llx)", file, want,
                 function ? function : "?", f->file ? f->file : "(no file)", f->line,
                 f->function ? f->function : "?", f->module ? f->module : "(none)", (unsigned long long)f->offset);
}

static void hooked_calls_name_the_file_and_line_they_are_on(void **state)
{
    (void)state;
    struct sites_run s;
    run_sites(&s, test_prog("stack_sites"), NULL);
    struct et_frame f = frame_of(&s, kill_with(&s, s.pid, 0), 0);
    expect_site(&f, PROG_SOURCE, "main_kill", "main");

    const struct et_record *fork_rec = find_record(&s.r, ET_REC_FORK, s.pid, NULL, NULL);
    assert_non_null(fork_rec);
    f = frame_of(&s, fork_rec, 0);
    expect_site(&f, PROG_SOURCE, "fork", "start_child");
    f = frame_of(&s, fork_rec, 1);
    expect_site(&f, PROG_SOURCE, "call_start_child", "main");

    const struct et_record *wait_rec = find_record(&s.r, ET_REC_WAIT_ENTER, s.pid, NULL, NULL);
    assert_non_null(wait_rec);
    f = frame_of(&s, wait_rec, 0);
    expect_site(&f, PROG_SOURCE, "waitpid", "main");
    free_sites(&s);
}

static void a_call_inside_a_shared_library_names_its_line_then_the_callers(void **state)
{
    (void)state;
    struct sites_run s;
    run_sites(&s, test_prog("stack_sites"), NULL);
    const struct et_record *rec = kill_with(&s, s.pid, SIGUSR2);
    struct et_frame f = frame_of(&s, rec, 0);
    expect_site(&f, LIB_SOURCE, "lib_kill", "sites_lib_signal");
    assert_true(ends_with(f.module, "/libsites.so"));
    f = frame_of(&s, rec, 1);
    expect_site(&f, PROG_SOURCE, "call_lib", "main");
    free_sites(&s);
}

static void a_call_from_a_signal_handler_unwinds_through_the_signal_frame(void **state)
{
    (void)state;
    struct sites_run s;
    run_sites(&s, test_prog("stack_sites"), NULL);
    const struct et_record *rec = kill_with(&s, s.pid, SIGWINCH);
    struct et_frame f = frame_of(&s, rec, 0);
    expect_site(&f, PROG_SOURCE, "handler_kill", "on_usr1");
    /* Past the kernel's signal frame and raise(), the line that raised it. */
    const uint64_t *pc;
    struct et_stack_trailer trailer;
    assert_true(et_record_stack(rec, &pc, &trailer));
    int raise_line = site_line(PROG_SOURCE, "raise");
    bool found = false;
    for (unsigned i = 1; i < trailer.frames && !found; i++) {
        f = frame_of(&s, rec, i);
        found = ends_with(f.file, "/stack_sites.c") && f.line == raise_line;
    }
    if (!found)
        fail_msg("no frame of the handler's stack (%u frames) is the raise() on line %d", trailer.frames, raise_line);
    free_sites(&s);
}

static void a_fork_child_resolves_through_its_parents_objects(void **state)
{
    (void)state;
    struct sites_run s;
    run_sites(&s, test_prog("stack_sites"), NULL);
    const struct et_record *fork_rec = find_record(&s.r, ET_REC_FORK, s.pid, NULL, NULL);
    assert_non_null(fork_rec);
    int child = BODY(fork_rec, et_fork)->result;
    assert_true(child > 0);
    /* The child loaded nothing of its own: its objects are its parent's. */
    assert_int_equal(count_records(&s.r, ET_REC_MODULE, child, NULL, NULL), 0);
    struct et_frame f = frame_of(&s, kill_with(&s, child, SIGURG), 0);
    expect_site(&f, PROG_SOURCE, "child_kill", "start_child");
    /* Its exec's call site, then the line that called the function. */
    const struct et_record *exec = find_record(&s.r, ET_REC_EXEC, child, NULL, NULL);
    assert_non_null(exec);
    f = frame_of(&s, exec, 0);
    expect_site(&f, PROG_SOURCE, "child_exec", "start_child");
    f = frame_of(&s, exec, 1);
    expect_site(&f, PROG_SOURCE, "call_start_child", "main");
    free_sites(&s);
}

/* The loaded objects are recorded with a process's first stack: in the
 * parent before a fork when that is the fork's (the child inherits them
 * and records none), and never by an image that takes no stack. */
static void objects_are_recorded_once_and_only_where_a_stack_is_taken(void **state)
{
    (void)state;
    struct sites_run s;
    run_sites_with(&s, test_prog("stack_sites"), NULL, "--fork-first");
    const struct et_record *fork_rec = find_record(&s.r, ET_REC_FORK, s.pid, NULL, NULL);
    assert_non_null(fork_rec);
    int child = BODY(fork_rec, et_fork)->result;
    assert_true(child > 0);
    assert_int_equal(count_records(&s.r, ET_REC_MODULE, child, NULL, NULL), 0);
    struct et_frame f = frame_of(&s, kill_with(&s, child, 0), 0);
    expect_site(&f, PROG_SOURCE, "fork_first_child_kill", "main");
    /* Its exec of /bin/true: the last (the launcher's child exec'd it). */
    long exec_at = -1;
    for (size_t i = 0; i < s.r.events.n; i++)
        if (s.r.events.v[i].r->pid == (uint32_t)s.pid && s.r.events.v[i].r->type == ET_REC_EXEC)
            exec_at = (long)i;
    assert_true(exec_at > event_index(&s.r, fork_rec));
    size_t modules = 0;
    for (size_t i = 0; i < s.r.events.n; i++) {
        const struct et_record *rec = s.r.events.v[i].r;
        if (rec->pid != (uint32_t)s.pid || rec->type != ET_REC_MODULE)
            continue;
        modules++;
        if ((long)i > exec_at)
            fail_msg("/bin/true, which takes no stack, recorded its objects");
    }
    assert_true(modules > 0);
    free_sites(&s);
}

/* A frame without unwind information stops the shim's walker.  libunwind
 * then takes the stack (by the frame pointer there), loaded for it; in a
 * program that has installed a signal handler it may not be loaded (the
 * hook could be running in the handler), and the stack keeps what was
 * walked, saying why it ends there. */
static void a_frame_without_unwind_tables_goes_to_libunwind_or_ends_the_stack(void **state)
{
    (void)state;
    struct sites_run s;
    run_sites_with(&s, test_prog("stack_sites"), NULL, "--nocfi");
    assert_string_equal(s.r.out, "libunwind loaded\n");
    const struct et_record *rec = kill_with(&s, s.pid, SIGURG);
    const uint64_t *pc;
    struct et_stack_trailer trailer;
    assert_true(et_record_stack(rec, &pc, &trailer));
    assert_int_equal(trailer.flags & ET_STACK_PARTIAL, 0);
    struct et_frame f = frame_of(&s, rec, 0);
    assert_non_null(f.function);
    assert_string_equal(f.function, "nocfi_kill");
    bool main_found = false;
    for (unsigned i = 1; i < trailer.frames && !main_found; i++) {
        f = frame_of(&s, rec, i);
        main_found = f.function && strcmp(f.function, "main") == 0;
    }
    if (!main_found)
        fail_msg("libunwind did not walk past the frame without unwind information (%u frames)", trailer.frames);
    free_sites(&s);

    run_sites_with(&s, test_prog("stack_sites"), NULL, "--nocfi-handler");
    assert_string_equal(s.r.out, "libunwind not loaded\n");
    rec = kill_with(&s, s.pid, SIGURG);
    assert_true(et_record_stack(rec, &pc, &trailer));
    assert_int_equal(trailer.frames, 1);
    assert_true(trailer.flags & ET_STACK_PARTIAL);
    f = frame_of(&s, rec, 0);
    assert_non_null(f.function);
    assert_string_equal(f.function, "nocfi_kill");
    free_sites(&s);
}

/* A vfork child runs on its parent's stack: its exec's call site is
 * walked there, without writing anything but the record (no objects
 * recorded, nothing loaded). */
static void a_vfork_child_names_its_exec_call_site(void **state)
{
    (void)state;
    struct sites_run s;
    run_sites(&s, test_prog("stack_sites"), NULL);
    const struct et_record *exec = NULL;
    for (size_t i = 0; i < s.r.events.n && !exec; i++) {
        const struct et_record *rec = s.r.events.v[i].r;
        if (rec->type == ET_REC_EXEC && (rec->flags & ET_RF_VFORK_CHILD))
            exec = rec;
    }
    assert_non_null(exec);
    struct et_frame f = frame_of(&s, exec, 0);
    expect_site(&f, PROG_SOURCE, "vfork_exec", "start_vfork_child");
    f = frame_of(&s, exec, 1);
    expect_site(&f, PROG_SOURCE, "call_start_vfork_child", "main");
    assert_int_equal(count_records(&s.r, ET_REC_MODULE, (int)exec->pid, NULL, NULL), 0);
    free_sites(&s);
}

static bool module_path_ends_with(const struct et_record *rec, const void *arg)
{
    const struct et_module *b = et_body(rec);
    struct et_tail tail = et_tail_of(rec);
    const char *path;
    uint16_t len;
    if (!et_tail_array(&tail, b->build_id_len, 1) || !et_tail_str(&tail, &path, &len))
        return false;
    size_t n = strlen(arg);
    return len >= n && memcmp(path + len - n, arg, n) == 0;
}

static void a_library_loaded_with_dlopen_is_recorded_and_resolved(void **state)
{
    (void)state;
    struct sites_run s;
    run_sites(&s, test_prog("stack_sites"), NULL);
    const struct et_record *rec = kill_with(&s, s.pid, SIGCONT);
    const struct et_record *mod = find_record(&s.r, ET_REC_MODULE, s.pid, module_path_ends_with, "/libsites_dl.so");
    assert_non_null(mod);
    assert_true(BODY(mod, et_module)->build_id_len > 0);
    const struct et_record *start = start_of(&s.r, s.pid, ET_ORIGIN_EXEC);
    assert_non_null(start);
    assert_true(mod->ts_ns > start->ts_ns);
    struct et_frame f = frame_of(&s, rec, 0);
    expect_site(&f, LIB_SOURCE, "lib_kill", "sites_lib_signal");
    assert_true(ends_with(f.module, "/libsites_dl.so"));
    f = frame_of(&s, rec, 1);
    expect_site(&f, PROG_SOURCE, "call_dl", "main");
    /* dlclose goes through the shim (which forgets the library's frames)
     * and the library loaded again is walked through as well. */
    rec = kill_with(&s, s.pid, SIGCHLD);
    f = frame_of(&s, rec, 0);
    expect_site(&f, LIB_SOURCE, "lib_kill", "sites_lib_signal");
    f = frame_of(&s, rec, 1);
    expect_site(&f, PROG_SOURCE, "call_dl_again", "main");
    free_sites(&s);
}

static void the_program_keeps_its_fd_numbers(void **state)
{
    (void)state;
    /* Taking a stack leaves no fd behind (libunwind's own pipe, when it
     * is used, exists only during its capture): the program holds exactly
     * the fds it holds with stacks off. */
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("stack_sites"));
    struct traced_run off, on;
    assert_int_equal(traced_run(&off, (const char *const[]){"-q", NULL},
                                (const char *const[]){"EXECTRACE_STACK_DEPTH=0", NULL},
                                (const char *const[]){prog, "--fds", NULL}),
                     0);
    assert_int_equal(off.status, 0);
    assert_int_equal(count_records(&off, ET_REC_MODULE, -1, NULL, NULL), 0);
    assert_int_equal(traced_run(&on, (const char *const[]){"-q", NULL}, NULL, (const char *const[]){prog, "--fds", NULL}),
                     0);
    assert_int_equal(on.status, 0);
    assert_true(count_records(&on, ET_REC_MODULE, -1, NULL, NULL) > 0); /* a stack was taken */
    assert_string_equal(on.out, off.out);
    traced_run_free(&off);
    traced_run_free(&on);
}

/* libunwind is loaded neither for an ordinary stack nor because the
 * program installs a signal handler. */
static void the_unwinder_is_loaded_only_when_needed(void **state)
{
    (void)state;
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("stack_sites"));
    struct traced_run r;
    assert_int_equal(traced_run(&r, (const char *const[]){"-q", NULL}, NULL,
                                (const char *const[]){prog, "--loaded", NULL}),
                     0);
    assert_int_equal(r.status, 0);
    /* The shim's own walker takes an ordinary stack, and a handler's
     * (a_call_from_a_signal_handler_unwinds_through_the_signal_frame):
     * libunwind is only for frames that walker cannot describe. */
    assert_string_equal(r.out, "at start: not loaded\nafter a stack: not loaded\nafter a handler: not loaded\n");
    traced_run_free(&r);
}

static bool has_stack(const struct et_record *rec, const void *arg)
{
    (void)arg;
    return (rec->flags & ET_RF_STACK) != 0;
}

static void stack_depth_bounds_the_frames_and_zero_turns_stacks_off(void **state)
{
    (void)state;
    struct sites_run s;
    run_sites(&s, test_prog("stack_sites"), (const char *const[]){"EXECTRACE_STACK_DEPTH=2", NULL});
    const uint64_t *pc;
    struct et_stack_trailer trailer;
    const struct et_record *rec = kill_with(&s, s.pid, SIGWINCH);
    assert_true(et_record_stack(rec, &pc, &trailer));
    assert_int_equal(trailer.frames, 2);
    assert_true(trailer.flags & ET_STACK_TRUNCATED);
    struct et_frame f = frame_of(&s, rec, 0);
    expect_site(&f, PROG_SOURCE, "handler_kill", "on_usr1");
    free_sites(&s);

    run_sites(&s, test_prog("stack_sites"), (const char *const[]){"EXECTRACE_STACK_DEPTH=0", NULL});
    assert_int_equal(count_records(&s.r, ET_REC_SIGNAL, s.pid, NULL, NULL), 5);
    assert_int_equal(count_records(&s.r, ET_REC_SIGNAL, -1, has_stack, NULL), 0);
    assert_int_equal(count_records(&s.r, ET_REC_FORK, -1, has_stack, NULL), 0);
    assert_int_equal(count_records(&s.r, ET_REC_MODULE, -1, NULL, NULL), 0);
    free_sites(&s);
}

static bool is_env_exec(const struct et_record *rec, const void *arg)
{
    (void)arg;
    return strcmp(exec_path(rec), "/usr/bin/env") != 0 && strstr(exec_path(rec), "stack_sites") != NULL;
}

static void the_depth_survives_an_environment_cleared_at_exec(void **state)
{
    (void)state;
    char prog[PATH_MAX], dl[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s", test_prog("stack_sites"));
    snprintf(dl, sizeof(dl), "%s", test_prog("libsites_dl.so"));
    struct traced_run r;
    assert_int_equal(traced_run(&r, (const char *const[]){"-q", NULL},
                                (const char *const[]){"EXECTRACE_STACK_DEPTH=2", NULL},
                                (const char *const[]){"/usr/bin/env", "-i", prog, dl, NULL}),
                     0);
    assert_int_equal(r.status, 0);
    const struct et_record *exec = find_record(&r, ET_REC_EXEC, -1, is_env_exec, NULL);
    assert_non_null(exec);
    unsigned flags = BODY(exec, et_exec)->flags;
    assert_true(flags & ET_ENV_ADDED_PRELOAD);
    assert_true(flags & ET_ENV_ADDED_STACK_DEPTH);
    int sig = SIGWINCH;
    const struct et_record *rec = find_record(&r, ET_REC_SIGNAL, -1, signal_is, &sig);
    assert_non_null(rec);
    const uint64_t *pc;
    struct et_stack_trailer trailer;
    assert_true(et_record_stack(rec, &pc, &trailer));
    assert_int_equal(trailer.frames, 2);
    traced_run_free(&r);
}

static void copy_file(const char *from, const char *to)
{
    char cmd[3 * PATH_MAX];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
    assert_int_equal(system(cmd), 0);
}

static void a_binary_changed_since_the_trace_is_named_by_module_and_offset(void **state)
{
    (void)state;
    char dir[] = "/tmp/exectrace-stacks-XXXXXX", prog[PATH_MAX], lib[PATH_MAX];
    assert_non_null(mkdtemp(dir));
    snprintf(prog, sizeof(prog), "%s/stack_sites", dir);
    snprintf(lib, sizeof(lib), "%s/libsites.so", dir);
    copy_file(test_prog("stack_sites"), prog);
    copy_file(test_prog("libsites.so"), lib);

    struct sites_run s;
    run_sites(&s, prog, NULL);
    const struct et_record *rec = kill_with(&s, s.pid, 0);
    struct et_frame f = frame_of(&s, rec, 0);
    expect_site(&f, PROG_SOURCE, "main_kill", "main");
    et_symbols_free(s.symbols);

    /* Rebuilt since: another binary at the same path. */
    assert_int_equal(unlink(prog), 0);
    copy_file(test_prog("hard_early"), prog);
    s.symbols = et_symbols_load(&s.r.trace);
    assert_non_null(s.symbols);
    f = frame_of(&s, rec, 0);
    assert_true(f.changed);
    assert_null(f.file);
    assert_null(f.function);
    assert_string_equal(f.module, prog);

    struct captured c;
    const char *argv[] = {exectrace_bin(), "events", "--stacks", s.r.trace_path, NULL};
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    assert_int_equal(c.status, 0);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof(want), "at %s+0x%llx (the file changed since the trace: build id differs)", prog,
             (unsigned long long)f.offset);
    if (!strstr(c.out, want))
        fail_msg("events --stacks does not say \"%s\":\n%s", want, c.out);
    captured_free(&c);
    free_sites(&s);
    unlink(prog);
    unlink(lib);
    rmdir(dir);
}

static void events_stacks_prints_each_call_site_and_the_loaded_objects(void **state)
{
    (void)state;
    struct sites_run s;
    run_sites(&s, test_prog("stack_sites"), NULL);
    struct captured c;
    const char *argv[] = {exectrace_bin(), "events", "--stacks", s.r.trace_path, NULL};
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    assert_int_equal(c.status, 0);
    char want[256];
    snprintf(want, sizeof(want), "stack_sites.c:%d in main()\n", site_line(PROG_SOURCE, "main_kill"));
    if (!strstr(c.out, want))
        fail_msg("events --stacks does not show \"%s\":\n%s", want, c.out);
    snprintf(want, sizeof(want), "called from tests/progs/stack_sites.c:%d in main()\n",
             site_line(PROG_SOURCE, "call_start_child"));
    if (!strstr(c.out, want))
        fail_msg("events --stacks does not show \"%s\":\n%s", want, c.out);
    assert_non_null(strstr(c.out, "/libsites_dl.so\" at 0x"));
    captured_free(&c);

    /* Without --stacks, neither frames nor the objects. */
    const char *plain[] = {exectrace_bin(), "events", s.r.trace_path, NULL};
    assert_int_equal(run_captured(plain, NULL, &c), 0);
    assert_null(strstr(c.out, "stack_sites.c:"));
    assert_null(strstr(c.out, " loaded "));
    captured_free(&c);

    const char *json[] = {exectrace_bin(), "events", "--stacks", "--json", s.r.trace_path, NULL};
    assert_int_equal(run_captured(json, NULL, &c), 0);
    snprintf(want, sizeof(want), "\"file\":\"tests/progs/stack_sites.c\",\"line\":%d,",
             site_line(PROG_SOURCE, "main_kill"));
    if (!strstr(c.out, want))
        fail_msg("events --stacks --json has no frame with %s", want);
    captured_free(&c);
    free_sites(&s);
}

/* The report's evidence names the line of the call it cites. */
static void the_report_names_the_line_of_each_call_it_cites(void **state)
{
    (void)state;
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s/examples/kill-after-reap/kill_after_reap", EXECTRACE_BUILD_DIR);
    struct traced_run r;
    assert_int_equal(traced_run(&r, (const char *const[]){"-q", NULL}, NULL, (const char *const[]){prog, NULL}), 0);
    struct captured c;
    const char *argv[] = {exectrace_bin(), "report", r.trace_path, NULL};
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    assert_int_equal(c.status, 1);
    /* "    +0.05 [pid] kill(pid, SIGTERM) = -1 ESRCH ...", then "      at FILE:LINE in main()". */
    const char *kill_line = strstr(c.out, "] kill(");
    assert_non_null(kill_line);
    const char *at = strstr(kill_line, "\n      at examples/kill-after-reap/kill_after_reap.c:");
    if (!at)
        fail_msg("the kill in the evidence has no call site in kill_after_reap.c:\n%s", c.out);
    int line = atoi(at + strlen("\n      at examples/kill-after-reap/kill_after_reap.c:"));
    char path[PATH_MAX], text[512] = "";
    snprintf(path, sizeof(path), "%s/examples/kill-after-reap/kill_after_reap.c", EXECTRACE_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    for (int i = 1; i <= line && fgets(text, sizeof(text), f); i++)
        ;
    fclose(f);
    if (!strstr(text, "kill(") || !strstr(text, "SIGTERM"))
        fail_msg("the report says the kill is on line %d, which reads: %s", line, text);
    captured_free(&c);
    traced_run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hooked_calls_name_the_file_and_line_they_are_on),
        cmocka_unit_test(a_call_inside_a_shared_library_names_its_line_then_the_callers),
        cmocka_unit_test(a_call_from_a_signal_handler_unwinds_through_the_signal_frame),
        cmocka_unit_test(a_fork_child_resolves_through_its_parents_objects),
        cmocka_unit_test(a_library_loaded_with_dlopen_is_recorded_and_resolved),
        cmocka_unit_test(objects_are_recorded_once_and_only_where_a_stack_is_taken),
        cmocka_unit_test(a_frame_without_unwind_tables_goes_to_libunwind_or_ends_the_stack),
        cmocka_unit_test(a_vfork_child_names_its_exec_call_site),
        cmocka_unit_test(the_program_keeps_its_fd_numbers),
        cmocka_unit_test(the_unwinder_is_loaded_only_when_needed),
        cmocka_unit_test(stack_depth_bounds_the_frames_and_zero_turns_stacks_off),
        cmocka_unit_test(the_depth_survives_an_environment_cleared_at_exec),
        cmocka_unit_test(a_binary_changed_since_the_trace_is_named_by_module_and_offset),
        cmocka_unit_test(events_stacks_prints_each_call_site_and_the_loaded_objects),
        cmocka_unit_test(the_report_names_the_line_of_each_call_it_cites),
    };
    return cmocka_run_group_tests_name("stacks", tests, NULL, NULL);
}
