/* The teaching examples in examples/: each one, run under exectrace, must
 * produce the finding it is named after (with its severity, naming the
 * processes the program says it used), and its fixed twin must produce no
 * finding at all, at any severity.  The C examples are built by
 * examples/examples.mk into $(BUILD)/examples/<kind>/<name>; the Python and
 * shell ones are run from the source tree. */
#define _GNU_SOURCE
#include <ctype.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "findings.h"
#include "names.h"
#include "rules.h"
#include "harness.h"
#include "model.h"
#include "report.h"
#include "symbols.h"

/* Every example ends on its own within ~4 s; this leaves room for a loaded
 * machine while still catching one that hangs until the harness's limit. */
#define EXAMPLE_TIME_LIMIT_S 12.0

/* ---- where things are ------------------------------------------------------- */

static const char *source_dir(void)
{
#ifdef EXECTRACE_SOURCE_DIR
    return EXECTRACE_SOURCE_DIR;
#else
    /* __FILE__ is this file's path as the compiler was given it. */
    static char dir[PATH_MAX];
    if (!dir[0]) {
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof(tmp), "%s", __FILE__);
        char *cut = strstr(tmp, "tests/integration/test_examples.c");
        if (cut)
            *cut = 0;
        if (!realpath(tmp[0] ? tmp : ".", dir))
            snprintf(dir, sizeof(dir), "%s", tmp[0] ? tmp : ".");
    }
    return dir;
#endif
}

/* $(BUILD)/examples/KIND/NAME, built by examples/examples.mk. */
static const char *example_bin(const char *kind, const char *name)
{
    static char paths[4][PATH_MAX];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, PATH_MAX, "%s/examples/%s/%s", EXECTRACE_BUILD_DIR, kind, name);
    if (access(path, X_OK) != 0)
        fail_msg("%s is not built: the top-level Makefile must include examples/examples.mk", path);
    return path;
}

/* A script in the source tree: examples/KIND/NAME. */
static const char *example_script(const char *kind, const char *name)
{
    static char paths[4][PATH_MAX];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, PATH_MAX, "%s/examples/%s/%s", source_dir(), kind, name);
    if (access(path, R_OK) != 0)
        fail_msg("%s: not found", path);
    return path;
}

/* The interpreter itself: `python3` may be a wrapper script (pyenv) whose
 * own processes would crowd the trace. */
static const char *python(void)
{
    static char path[PATH_MAX];
    static int known = -1;
    if (known < 0) {
        known = 0;
        FILE *p = popen("python3 -c 'import sys; print(sys.executable)' 2>/dev/null", "r");
        if (p) {
            if (fgets(path, sizeof(path), p)) {
                path[strcspn(path, "\n")] = 0;
                known = path[0] == '/';
            }
            pclose(p);
        }
    }
    return known ? path : NULL;
}

/* ---- running an example and building its model ------------------------------ */

struct example {
    struct traced_run r;
    struct et_analysis a;
    char source[PATH_MAX]; /* a C example's source file, "" for the others */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "python3 script.py", for messages. */
static const char *describe(const char *const argv[])
{
    static char buf[2 * PATH_MAX + 2];
    snprintf(buf, sizeof(buf), "%s%s%s", argv[0], argv[1] ? " " : "", argv[1] ? argv[1] : "");
    return buf;
}

static void run_example_with(struct example *x, const char *const options[], const char *const argv[])
{
    double start = now_s();
    assert_int_equal(traced_run(&x->r, options, NULL, argv), 0);
    double took = now_s() - start;
    assert_true(x->r.loaded);
    if (x->r.status != 0)
        fail_msg("%s exited %d\nstdout:\n%s\nstderr:\n%s", describe(argv), x->r.status, x->r.out, x->r.err);
    if (took > EXAMPLE_TIME_LIMIT_S)
        fail_msg("%s took %.1f s: an example must end on its own within a few seconds", describe(argv), took);
    struct et_thresholds th;
    et_default_thresholds(&th);
    assert_int_equal(et_analyze(&x->a, &x->r.trace, &th), 0);
    /* $(BUILD)/examples/KIND/NAME comes from examples/KIND/NAME.c (or
     * .go: a Go example's call sites are not checked). */
    const char *built = EXECTRACE_BUILD_DIR "/examples/";
    x->source[0] = 0;
    if (strncmp(argv[0], built, strlen(built)) == 0) {
        snprintf(x->source, sizeof(x->source), "%s/examples/%s.c", source_dir(), argv[0] + strlen(built));
        if (access(x->source, R_OK) != 0)
            x->source[0] = 0;
    }
}

static void run_example(struct example *x, const char *const argv[])
{
    run_example_with(x, (const char *const[]){"-q", NULL}, argv);
}

/* The example's binary: the program the launcher ran. */
static const char *example_path_of(const struct example *x)
{
    const struct et_record *start = start_of(&x->r, command_pid(&x->r), ET_ORIGIN_EXEC);
    return start ? start_exe(start) : "";
}

/* The text of line `n` of a file, or "" when it has none. */
static const char *source_line(const char *path, int n)
{
    static char line[512];
    line[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot read %s", path);
    for (int i = 1; i <= n && fgets(line, sizeof(line), f); i++)
        if (i == n) {
            fclose(f);
            return line;
        }
    fclose(f);
    return "";
}

/* What the source calls to make a record of this type. */
static const char *call_name(const struct et_record *r)
{
    switch (r->type) {
    case ET_REC_SIGNAL:
        return BODY(r, et_signal)->kind == ET_SIGNAL_KILLPG ? "killpg" : "kill";
    case ET_REC_FORK:
        return "fork";
    case ET_REC_SPAWN:
        return "posix_spawn";
    case ET_REC_EXEC:
        return "exec";
    case ET_REC_WAIT_ENTER:
    case ET_REC_WAIT_RETURN:
        return "wait";
    case ET_REC_PIPE:
        return "pipe";
    case ET_REC_SETPGID:
        return "setpg";
    case ET_REC_SETSID:
        return "setsid";
    case ET_REC_SIGCHLD_ACTION:
        return "sig";
    default:
        return NULL;
    }
}

/* A C example's finding names, for the events it cites, the file and line of
 * the call in the example's source: the frame of the call that lies in the
 * example is its source file, on a line that makes that call.  At least one
 * cited event must have such a call site. */
static void expect_call_sites(struct example *x, const struct et_finding *f)
{
    if (!x->source[0])
        return;
    struct et_symbols *symbols = et_symbols_load(&x->r.trace);
    assert_non_null(symbols);
    const char *base = strrchr(x->source, '/') + 1;
    int named = 0;
    for (uint32_t k = 0; k < f->nevidence; k++) {
        const struct et_record *call = et_symbols_call_record(symbols, f->evidence[k]);
        const uint64_t *pc;
        struct et_stack_trailer trailer;
        const char *name = call_name(call);
        if (!name || !et_record_stack(call, &pc, &trailer))
            continue;
        for (unsigned i = 0; i < trailer.frames; i++) {
            struct et_frame fr;
            et_symbols_resolve(symbols, call, i, pc[i], &fr);
            if (!fr.module || strcmp(fr.module, example_path_of(x)) != 0)
                continue;
            size_t flen = fr.file ? strlen(fr.file) : 0, blen = strlen(base);
            if (flen < blen || strcmp(fr.file + flen - blen, base) != 0)
                fail_msg("the %s finding cites a %s at %s:%d, not in %s", et_finding_kind_name(f->kind), name,
                         fr.file ? fr.file : "(no file)", fr.line, base);
            const char *text = source_line(x->source, fr.line);
            if (!strstr(text, name))
                fail_msg("the %s finding cites a %s at %s:%d, a line without one: %s", et_finding_kind_name(f->kind),
                         name, base, fr.line, text);
            named++;
            break;
        }
    }
    if (!named)
        fail_msg("the %s finding names no line of %s", et_finding_kind_name(f->kind), base);
    et_symbols_free(symbols);
}

static void example_free(struct example *x)
{
    et_analysis_free(&x->a);
    traced_run_free(&x->r);
}

static void print_findings(const struct et_findings *F)
{
    for (size_t i = 0; i < F->n; i++)
        print_message("  %s %s: %s\n", et_severity_name(F->v[i].severity),
                      et_finding_kind_name(F->v[i].kind), F->v[i].message);
}

/* ---- what the program said ---------------------------------------------------- */

/* The number after "key=" in the program's output, where key starts a word. */
static int out_pid(const struct example *x, const char *key)
{
    size_t klen = strlen(key);
    for (const char *s = x->r.out; s && (s = strstr(s, key)) != NULL; s += klen) {
        bool word_start = s == x->r.out || !(isalnum((unsigned char)s[-1]) || s[-1] == '_');
        if (word_start && s[klen] == '=' && isdigit((unsigned char)s[klen + 1]))
            return atoi(s + klen + 1);
    }
    fail_msg("no %s=PID in the example's output:\n%s", key, x->r.out);
    return -1;
}

static void expect_output(const struct example *x, const char *text)
{
    if (!strstr(x->r.out, text))
        fail_msg("the example's output lacks \"%s\":\n%s", text, x->r.out);
}

/* ---- what the report says ------------------------------------------------------ */

/* The first finding of this kind, which must have this severity (and, for
 * a C example, name its call sites). */
static const struct et_finding *expect_finding(struct example *x, unsigned kind, unsigned severity)
{
    const struct et_finding *f = NULL;
    for (size_t i = 0; i < x->a.findings.n && !f; i++)
        if (x->a.findings.v[i].kind == kind)
            f = &x->a.findings.v[i];
    if (!f) {
        print_message("no %s finding; the report has:\n", et_finding_kind_name(kind));
        print_findings(&x->a.findings);
        fail_msg("%s was not reported\nstdout:\n%s", et_finding_kind_name(kind), x->r.out);
    }
    if (f->severity != severity)
        fail_msg("%s is reported as %s, not %s: %s", et_finding_kind_name(kind), et_severity_name(f->severity),
                 et_severity_name(severity), f->message);
    /* A static program loads no shim: its finding has no call of its own. */
    if (kind != ET_FK_UNTRACED)
        expect_call_sites(x, f);
    return f;
}

/* The finding lists the process with this pid among its processes. */
static void expect_names_pid(const struct example *x, const struct et_finding *f, int pid, const char *who)
{
    for (uint32_t i = 0; i < f->nprocs; i++)
        if (x->a.model.procs[f->procs[i]].pid == (uint32_t)pid)
            return;
    fail_msg("the %s finding does not name %s (pid %d): %s", et_finding_kind_name(f->kind), who, pid, f->message);
}

/* ...or the process whose command line starts with this. */
/* The finding's message says this, word for word. */
static void expect_says(const struct example *x, const struct et_finding *f, const char *text)
{
    (void)x;
    if (!strstr(f->message, text))
        fail_msg("%s does not say \"%s\": %s", et_finding_kind_name(f->kind), text, f->message);
}

static void expect_names_command(const struct example *x, const struct et_finding *f, const char *command)
{
    for (uint32_t i = 0; i < f->nprocs; i++)
        if (strncmp(et_proc_command(&x->a.model.procs[f->procs[i]]), command, strlen(command)) == 0)
            return;
    fail_msg("the %s finding does not name a process running \"%s\": %s", et_finding_kind_name(f->kind), command,
             f->message);
}

/* What a fixed twin must have recorded, from its own processes, for its
 * silence to mean something: the calls the bug was made of, done right. */
static const struct {
    const char *kind;
    uint16_t types[3];
} twin_calls[] = {
    {"kill-after-reap", {ET_REC_SIGNAL, ET_REC_WAIT_RETURN}},
    {"kill-wait-race", {ET_REC_SIGNAL, ET_REC_WAIT_RETURN}},
    {"orphaned-descendants", {ET_REC_SIGNAL, ET_REC_IMAGE_START}},
    {"held-pipe", {ET_REC_PIPE, ET_REC_WAIT_RETURN}},
    {"parent-holds-write-end", {ET_REC_PIPE, ET_REC_CLOSE, ET_REC_WAIT_RETURN}},
    {"zombie", {ET_REC_WAIT_RETURN, ET_REC_IMAGE_EXIT}},
    {"unreaped-at-exit", {ET_REC_WAIT_RETURN, ET_REC_IMAGE_EXIT}},
    {"echild", {ET_REC_WAIT_RETURN}},
    {"kill-broadcast", {ET_REC_SIGNAL}},
    {"fd-leak-exec", {ET_REC_PIPE, ET_REC_EXEC}},
    {"untraced", {ET_REC_EXEC, ET_REC_IMAGE_START}},
};

static bool recorded_by_the_program(const struct example *x, uint16_t type)
{
    const struct et_file_header *h = x->r.trace.hdr;
    for (size_t i = 0; i < x->r.events.n; i++) {
        const struct et_record *r = x->r.events.v[i].r;
        if (r->type == type && !(r->pid == h->launcher_pid && r->start_time == h->launcher_start_time))
            return true;
    }
    return false;
}

/* A fixed twin: nothing at all, not even info; and it did record the calls
 * that matter, so that it cannot pass by recording nothing. */
static void expect_no_findings(const struct example *x, const char *kind)
{
    if (x->a.findings.n) {
        print_message("the fixed twin has %zu finding(s):\n", x->a.findings.n);
        print_findings(&x->a.findings);
        fail_msg("a fixed example must report nothing\nstdout:\n%s", x->r.out);
    }
    size_t k = 0;
    while (k < sizeof(twin_calls) / sizeof(twin_calls[0]) && strcmp(twin_calls[k].kind, kind) != 0)
        k++;
    if (k == sizeof(twin_calls) / sizeof(twin_calls[0]))
        fail_msg("no list of the calls a fixed %s example must record", kind);
    for (unsigned t = 0; t < 3 && twin_calls[k].types[t]; t++)
        if (!recorded_by_the_program(x, twin_calls[k].types[t]))
            fail_msg("the fixed %s example recorded no %s record: its silence proves nothing", kind,
                     et_record_type_name(twin_calls[k].types[t]));
}

/* The twin of a C example: run it, expect silence. */
static void c_twin_is_quiet(const char *kind, const char *name)
{
    struct example x;
    run_example(&x, (const char *const[]){example_bin(kind, name), NULL});
    expect_no_findings(&x, kind);
    example_free(&x);
}

#define NEED_PYTHON()                                                                                            \
    do {                                                                                                         \
        if (!python()) {                                                                                         \
            print_message("no python3 here\n");                                                                  \
            skip();                                                                                              \
        }                                                                                                        \
    } while (0)

/* ---- kill-after-reap ------------------------------------------------------------ */

static void kill_after_reap(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){example_bin("kill-after-reap", "kill_after_reap"), NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_KILL_AFTER_REAP, ET_SEV_ERROR);
    expect_names_pid(&x, f, out_pid(&x, "main"), "the sender, main");
    expect_names_pid(&x, f, out_pid(&x, "a"), "the reaped worker a");
    example_free(&x);
}

static void kill_after_reap_fixed(void **state)
{
    (void)state;
    c_twin_is_quiet("kill-after-reap", "kill_after_reap_fixed");
}

/* ---- kill-wait-race -------------------------------------------------------------- */

static void kill_wait_race(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){example_bin("kill-wait-race", "kill_wait_race"), NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_KILL_WAIT_RACE, ET_SEV_WARNING);
    expect_names_pid(&x, f, out_pid(&x, "main"), "main");
    expect_names_pid(&x, f, out_pid(&x, "child"), "the child");
    example_free(&x);
}

static void kill_wait_race_fixed(void **state)
{
    (void)state;
    c_twin_is_quiet("kill-wait-race", "kill_wait_race_fixed");
}

/* ---- orphaned-descendants ------------------------------------------------------- */

static void orphaned_descendants(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){example_bin("orphaned-descendants", "orphaned_descendants"), NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_ORPHANED_DESCENDANTS, ET_SEV_WARNING);
    expect_names_pid(&x, f, out_pid(&x, "a"), "the killed job a");
    expect_names_pid(&x, f, out_pid(&x, "b"), "its helper b");
    example_free(&x);
}

static void orphaned_descendants_fixed(void **state)
{
    (void)state;
    c_twin_is_quiet("orphaned-descendants", "orphaned_descendants_fixed");
}

static void orphaned_descendants_shell_pipeline(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){"/bin/sh", example_script("orphaned-descendants", "pipeline_kill_middle.sh"),
                                          NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_ORPHANED_DESCENDANTS, ET_SEV_WARNING);
    expect_names_pid(&x, f, out_pid(&x, "middle"), "the killed middle stage");
    expect_names_command(&x, f, "sleep 1");
    example_free(&x);
}

static void orphaned_descendants_shell_pipeline_fixed(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){"/bin/sh",
                                          example_script("orphaned-descendants", "pipeline_kill_middle_fixed.sh"),
                                          NULL});
    expect_no_findings(&x, "orphaned-descendants");
    example_free(&x);
}

/* ---- held-pipe ------------------------------------------------------------------- */

static void held_pipe(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){example_bin("held-pipe", "held_pipe"), NULL});
    /* main's read was seen blocked past the starter's exit: harm, an error. */
    const struct et_finding *f = expect_finding(&x, ET_FK_HELD_PIPE, ET_SEV_ERROR);
    expect_says(&x, f, "waited for it: its read, blocked since");
    expect_names_pid(&x, f, out_pid(&x, "main"), "the reader, main");
    expect_names_pid(&x, f, out_pid(&x, "starter"), "the starter");
    expect_names_pid(&x, f, out_pid(&x, "daemon"), "the daemon holding the pipe");
    expect_output(&x, "end-of-file after 1.");
    example_free(&x);
}

static void held_pipe_fixed(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){example_bin("held-pipe", "held_pipe_fixed"), NULL});
    expect_no_findings(&x, "held-pipe");
    expect_output(&x, "end-of-file after 0.");
    example_free(&x);
}

static void held_pipe_python_timeout(void **state)
{
    (void)state;
    NEED_PYTHON();
    struct example x;
    run_example(&x, (const char *const[]){python(), example_script("held-pipe", "python_timeout_holds_pipe.py"),
                                          NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_HELD_PIPE, ET_SEV_ERROR);
    expect_says(&x, f, "waited for it: its ");
    expect_names_pid(&x, f, command_pid(&x.r), "python, the reader");
    expect_names_command(&x, f, "sleep 3");
    example_free(&x);
}

static void held_pipe_python_timeout_fixed(void **state)
{
    (void)state;
    NEED_PYTHON();
    struct example x;
    run_example(&x, (const char *const[]){python(),
                                          example_script("held-pipe", "python_timeout_holds_pipe_fixed.py"), NULL});
    expect_no_findings(&x, "held-pipe");
    example_free(&x);
}

/* ---- parent-holds-write-end ------------------------------------------------------ */

static void parent_holds_write_end(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){example_bin("parent-holds-write-end", "parent_holds_write_end"), NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_PARENT_HOLDS_WRITE_END, ET_SEV_ERROR);
    expect_says(&x, f, "waited for it: its poll, blocked since");
    expect_names_pid(&x, f, out_pid(&x, "main"), "main, holding its own write end");
    expect_names_pid(&x, f, out_pid(&x, "child"), "the child, the writer");
    example_free(&x);
}

static void parent_holds_write_end_fixed(void **state)
{
    (void)state;
    c_twin_is_quiet("parent-holds-write-end", "parent_holds_write_end_fixed");
}

/* ---- zombie ---------------------------------------------------------------------- */

static void zombie(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){example_bin("zombie", "zombie"), NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_ZOMBIE, ET_SEV_WARNING);
    expect_names_pid(&x, f, out_pid(&x, "job"), "the zombie job");
    expect_names_pid(&x, f, out_pid(&x, "main"), "its parent, main");
    example_free(&x);
}

static void zombie_fixed(void **state)
{
    (void)state;
    c_twin_is_quiet("zombie", "zombie_fixed");
}

static void zombie_python_popen(void **state)
{
    (void)state;
    NEED_PYTHON();
    struct example x;
    run_example(&x, (const char *const[]){python(), example_script("zombie", "python_popen_never_polled.py"), NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_ZOMBIE, ET_SEV_WARNING);
    expect_names_pid(&x, f, out_pid(&x, "job"), "the zombie job");
    expect_names_pid(&x, f, out_pid(&x, "main"), "its parent, python");
    example_free(&x);
}

static void zombie_python_popen_fixed(void **state)
{
    (void)state;
    NEED_PYTHON();
    struct example x;
    run_example(&x, (const char *const[]){python(), example_script("zombie", "python_popen_never_polled_fixed.py"),
                                          NULL});
    expect_no_findings(&x, "zombie");
    example_free(&x);
}

/* ---- unreaped-at-exit ------------------------------------------------------------ */

static void unreaped_at_exit(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){example_bin("unreaped-at-exit", "unreaped_at_exit"), NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_UNREAPED_AT_EXIT, ET_SEV_WARNING);
    expect_names_pid(&x, f, out_pid(&x, "main"), "main, which exited");
    expect_names_pid(&x, f, out_pid(&x, "worker"), "its unreaped worker");
    example_free(&x);
}

static void unreaped_at_exit_fixed(void **state)
{
    (void)state;
    c_twin_is_quiet("unreaped-at-exit", "unreaped_at_exit_fixed");
}

/* ---- echild ---------------------------------------------------------------------- */

static void echild(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){example_bin("echild", "echild"), NULL});
    /* The handler's wait took the status: lost to main, an error. */
    const struct et_finding *f = expect_finding(&x, ET_FK_ECHILD, ET_SEV_ERROR);
    expect_names_pid(&x, f, out_pid(&x, "main"), "main, whose waitpid failed");
    expect_names_pid(&x, f, out_pid(&x, "command"), "the child it waited for");
    expect_output(&x, "No child processes");
    example_free(&x);
}

static void echild_fixed(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){example_bin("echild", "echild_fixed"), NULL});
    expect_no_findings(&x, "echild");
    expect_output(&x, "exited with status 3");
    example_free(&x);
}

static void echild_python_sigchld_ignored(void **state)
{
    (void)state;
    NEED_PYTHON();
    struct example x;
    run_example(&x, (const char *const[]){python(), example_script("echild", "python_sigchld_ignored.py"), NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_ECHILD, ET_SEV_ERROR);
    expect_names_pid(&x, f, out_pid(&x, "main"), "python, whose waitpid failed");
    expect_names_command(&x, f, "sh -c 'exit 3'");
    expect_output(&x, "exited with status 0 (it was 3)");
    example_free(&x);
}

static void echild_python_sigchld_ignored_fixed(void **state)
{
    (void)state;
    NEED_PYTHON();
    struct example x;
    run_example(&x, (const char *const[]){python(), example_script("echild", "python_sigchld_ignored_fixed.py"),
                                          NULL});
    expect_no_findings(&x, "echild");
    expect_output(&x, "exited with status 3 (it was 3)");
    example_free(&x);
}

/* ---- kill-broadcast -------------------------------------------------------------- */

static void kill_broadcast(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){example_bin("kill-broadcast", "kill_broadcast"), NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_KILL_BROADCAST, ET_SEV_WARNING);
    expect_names_pid(&x, f, out_pid(&x, "a"), "the sender, service a");
    expect_names_pid(&x, f, out_pid(&x, "main"), "its parent, main, in the same group");
    expect_output(&x, "received SIGUSR1 too");
    example_free(&x);
}

static void kill_broadcast_fixed(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){example_bin("kill-broadcast", "kill_broadcast_fixed"), NULL});
    expect_no_findings(&x, "kill-broadcast");
    expect_output(&x, "did not receive SIGUSR1");
    expect_output(&x, "got SIGUSR1, reloading");
    example_free(&x);
}

/* ---- fd-leak-exec ---------------------------------------------------------------- */

static void fd_leak_exec(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){example_bin("fd-leak-exec", "fd_leak_exec"), NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_FD_LEAK_EXEC, ET_SEV_INFO);
    expect_names_pid(&x, f, out_pid(&x, "child"), "ls, which got the pipe ends");
    expect_names_pid(&x, f, out_pid(&x, "main"), "main, which made the pipe");
    example_free(&x);
}

static void fd_leak_exec_fixed(void **state)
{
    (void)state;
    c_twin_is_quiet("fd-leak-exec", "fd_leak_exec_fixed");
}

/* ---- untraced -------------------------------------------------------------------- */

/* Without the ptrace recorder, a static program's own calls are not seen:
 * the report says so, and why. */
static void untraced(void **state)
{
    (void)state;
    struct example x;
    run_example_with(&x, (const char *const[]){"-q", "--no-ptrace", NULL},
                     (const char *const[]){example_bin("untraced", "untraced"), NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_UNTRACED, ET_SEV_INFO);
    expect_names_pid(&x, f, out_pid(&x, "main"), "the static program");
    if (!strstr(f->message, "the ptrace recorder was off: turned off with --no-ptrace"))
        fail_msg("the untraced finding does not say the recorder was turned off: %s", f->message);
    /* Its child's echo loaded the shim: the trace saw it start. */
    assert_non_null(start_by_argv0(&x.r, "echo"));
    example_free(&x);
}

static bool by_recorder(const struct et_record *r, const void *arg)
{
    (void)arg;
    return (r->flags & ET_RF_RECORDER) != 0;
}

/* With it, the same program is recorded like any other, and the report has
 * nothing to say. */
static void untraced_recorded(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){example_bin("untraced", "untraced"), NULL});
    expect_no_findings(&x, "untraced");
    int main_pid = out_pid(&x, "main"), child = out_pid(&x, "child");
    const struct et_record *fork = find_record(&x.r, ET_REC_FORK, main_pid, by_recorder, NULL);
    assert_non_null(fork);
    assert_int_equal(BODY(fork, et_fork)->result, child);
    const struct et_record *reaped = find_record(&x.r, ET_REC_WAIT_RETURN, main_pid, by_recorder, NULL);
    assert_non_null(reaped);
    assert_int_equal(BODY(reaped, et_wait_return)->result, child);
    assert_non_null(find_record(&x.r, ET_REC_IMAGE_EXIT, main_pid, by_recorder, NULL));
    example_free(&x);
}

static void untraced_fixed(void **state)
{
    (void)state;
    c_twin_is_quiet("untraced", "untraced_fixed");
}

/* ---- every C example, static and static-pie ------------------------------------ */

/* The same bug in a program that never loads the shim: the ptrace recorder
 * must find it as the shim does, and keep its twin quiet. */
static const struct {
    const char *kind, *name;
    unsigned finding, severity;
} static_cases[] = {
    {"kill-after-reap", "kill_after_reap", ET_FK_KILL_AFTER_REAP, ET_SEV_ERROR},
    {"kill-wait-race", "kill_wait_race", ET_FK_KILL_WAIT_RACE, ET_SEV_WARNING},
    {"orphaned-descendants", "orphaned_descendants", ET_FK_ORPHANED_DESCENDANTS, ET_SEV_WARNING},
    {"held-pipe", "held_pipe", ET_FK_HELD_PIPE, ET_SEV_WARNING},
    /* The recorder does not see reads: that main waited is not known. */
    {"parent-holds-write-end", "parent_holds_write_end", ET_FK_PARENT_HOLDS_WRITE_END, ET_SEV_WARNING},
    {"zombie", "zombie", ET_FK_ZOMBIE, ET_SEV_WARNING},
    {"unreaped-at-exit", "unreaped_at_exit", ET_FK_UNREAPED_AT_EXIT, ET_SEV_WARNING},
    {"echild", "echild", ET_FK_ECHILD, ET_SEV_ERROR},
    {"kill-broadcast", "kill_broadcast", ET_FK_KILL_BROADCAST, ET_SEV_WARNING},
    {"fd-leak-exec", "fd_leak_exec", ET_FK_FD_LEAK_EXEC, ET_SEV_INFO},
};

static void check_static_builds(const char *dir)
{
    for (size_t i = 0; i < sizeof(static_cases) / sizeof(static_cases[0]); i++) {
        for (int twin = 0; twin < 2; twin++) {
            char path[PATH_MAX];
            snprintf(path, sizeof(path), "%s/%s/%s/%s%s", EXECTRACE_BUILD_DIR, dir, static_cases[i].kind,
                     static_cases[i].name, twin ? "_fixed" : "");
            if (access(path, X_OK) != 0)
                fail_msg("%s is not built (examples/examples.mk)", path);
            struct example x;
            run_example(&x, (const char *const[]){path, NULL});
            if (twin) {
                expect_no_findings(&x, static_cases[i].kind);
            } else {
                expect_finding(&x, static_cases[i].finding, static_cases[i].severity);
                /* main's own calls are the recorder's. */
                if (!find_record(&x.r, ET_REC_FORK, out_pid(&x, "main"), by_recorder, NULL))
                    fail_msg("%s: main's fork was not recorded by the recorder", path);
            }
            example_free(&x);
        }
    }
}

static void every_c_example_linked_static(void **state)
{
    (void)state;
    check_static_builds("examples-static");
}

static void every_c_example_linked_static_pie(void **state)
{
    (void)state;
    check_static_builds("examples-static-pie");
}

/* ---- Go ---------------------------------------------------------------------------- */

/* A Go example, built by examples/examples.mk when Go is installed; with
 * the state "go1.23", its build by Go 1.23 (from bookworm-backports), which
 * starts, waits for and kills children through pidfds. */
static const char *go_example(void **state, const char *kind, const char *name)
{
    char path[PATH_MAX];
    if (*state) {
        static char built[2][PATH_MAX];
        static int next;
        char *p = built[next++ % 2];
        snprintf(p, PATH_MAX, "%s/examples-%s/%s/%s", EXECTRACE_BUILD_DIR, (const char *)*state, kind, name);
        if (access(p, X_OK) != 0 && access("/usr/lib/go-1.23/bin/go", X_OK) != 0) {
            print_message("Go 1.23 is not installed (./make.sh installs golang-1.23-go from bookworm-backports): "
                          "%s is not built\n", p);
            skip();
        }
        if (access(p, X_OK) != 0)
            fail_msg("%s is not built", p);
        return p;
    }
    snprintf(path, sizeof(path), "%s/examples/%s/%s", EXECTRACE_BUILD_DIR, kind, name);
    if (access(path, X_OK) != 0 && system("command -v go >/dev/null 2>&1") != 0) {
        print_message("Go is not installed (./make.sh installs golang-go): %s is not built\n", path);
        skip();
    }
    return example_bin(kind, name);
}

static bool real_signal_by_recorder(const struct et_record *r, const void *arg)
{
    (void)arg;
    return (r->flags & ET_RF_RECORDER) && BODY(r, et_signal)->sig != 0;
}

static bool pidfd_signal_by_recorder(const struct et_record *r, const void *arg)
{
    (void)arg;
    /* Signal 0 is Go's probe of pidfd support, on itself. */
    return (r->flags & ET_RF_RECORDER) && BODY(r, et_signal)->kind == ET_SIGNAL_PIDFD_SEND_SIGNAL &&
           BODY(r, et_signal)->sig != 0;
}

/* Go 1.23 kills through a pidfd: the recorder must have named the process
 * the pidfd stands for. */
static void expect_pidfd_kill(void **state, const struct example *x, int main_pid, int target /* -1: any */)
{
    if (!*state)
        return;
    const struct et_record *kill = find_record(&x->r, ET_REC_SIGNAL, main_pid, pidfd_signal_by_recorder, NULL);
    if (!kill)
        fail_msg("Go 1.23 did not kill through a pidfd, or the recorder missed it");
    if (target >= 0)
        assert_int_equal(BODY(kill, et_signal)->pidfd_pid, target);
}

/* A Go program never calls libc for these: everything it did is the
 * recorder's. */
static void expect_recorded_go(const struct example *x, int pid)
{
    if (!find_record(&x->r, ET_REC_FORK, pid, by_recorder, NULL))
        fail_msg("no fork of the Go program %d was recorded\nstdout:\n%s", pid, x->r.out);
}

/* Some evidence of the finding has a frame on a line of the Go example's
 * source that makes this call (its frame pointers walked by the recorder,
 * resolved through the binary's DWARF). */
static void expect_go_call_site(struct example *x, const struct et_finding *f, const char *go_source,
                                const char *call)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/examples/%s", source_dir(), go_source);
    const char *base = strrchr(path, '/') + 1;
    struct et_symbols *symbols = et_symbols_load(&x->r.trace);
    assert_non_null(symbols);
    bool named = false;
    for (uint32_t k = 0; k < f->nevidence && !named; k++) {
        const struct et_record *rec = et_symbols_call_record(symbols, f->evidence[k]);
        const uint64_t *pc;
        struct et_stack_trailer trailer;
        if (!et_record_stack(rec, &pc, &trailer))
            continue;
        for (unsigned i = 0; i < trailer.frames && !named; i++) {
            struct et_frame fr;
            et_symbols_resolve(symbols, rec, i, pc[i], &fr);
            size_t flen = fr.file ? strlen(fr.file) : 0, blen = strlen(base);
            named = flen >= blen && !strcmp(fr.file + flen - blen, base) && strstr(source_line(path, fr.line), call);
        }
    }
    et_symbols_free(symbols);
    if (!named)
        fail_msg("no evidence of the %s finding has a call site on a line of %s with %s", et_finding_kind_name(f->kind),
                 base, call);
}

static void held_pipe_go(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){go_example(state, "held-pipe", "go_command_context"), NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_HELD_PIPE, ET_SEV_WARNING);
    expect_names_pid(&x, f, out_pid(&x, "main"), "the Go program");
    expect_names_command(&x, f, "sh -c");
    expect_names_command(&x, f, "sleep 3");
    expect_recorded_go(&x, out_pid(&x, "main"));
    expect_go_call_site(&x, f, "held-pipe/go_command_context.go", "CombinedOutput()");
    expect_pidfd_kill(state, &x, out_pid(&x, "main"), -1);
    /* The fix speaks Go. */
    if (!strstr(et_finding_fix(f->kind), "WaitDelay"))
        fail_msg("the held-pipe fix does not name Cmd.WaitDelay: %s", et_finding_fix(f->kind));
    example_free(&x);
}

/* The same program built with cgo loads the shim: the shim says it is a Go
 * program, and its own calls, with their call sites, are the recorder's. */
static void held_pipe_go_with_cgo(void **state)
{
    (void)state;
    go_example(state, "held-pipe", "go_command_context"); /* skips without Go */
    char prog[PATH_MAX];
    snprintf(prog, sizeof(prog), "%s/examples-cgo/held-pipe/go_command_context", EXECTRACE_BUILD_DIR);
    if (access(prog, X_OK) != 0)
        fail_msg("%s is not built", prog);
    struct example x;
    run_example(&x, (const char *const[]){prog, NULL});
    int main_pid = out_pid(&x, "main");
    const struct et_record *start = NULL;
    for (size_t i = 0; i < x.r.events.n; i++) {
        const struct et_record *rec = x.r.events.v[i].r;
        if (rec->type == ET_REC_IMAGE_START && rec->pid == (uint32_t)main_pid && !(rec->flags & ET_RF_RECORDER))
            start = rec;
    }
    if (!start || !(BODY(start, et_image_start)->flags & ET_START_GO))
        fail_msg("the shim did not mark %d as a Go program", main_pid);
    const struct et_finding *f = expect_finding(&x, ET_FK_HELD_PIPE, ET_SEV_WARNING);
    expect_names_pid(&x, f, main_pid, "the Go program");
    expect_recorded_go(&x, main_pid);
    expect_go_call_site(&x, f, "held-pipe/go_command_context.go", "CombinedOutput()");
    if (!strstr(et_finding_fix(f->kind), "WaitDelay"))
        fail_msg("the held-pipe fix does not name Cmd.WaitDelay: %s", et_finding_fix(f->kind));
    example_free(&x);
}

static void held_pipe_go_fixed(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){go_example(state, "held-pipe", "go_command_context_fixed"), NULL});
    expect_no_findings(&x, "held-pipe");
    expect_recorded_go(&x, out_pid(&x, "main"));
    example_free(&x);
}

static void zombie_go(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){go_example(state, "zombie", "go_start_without_wait"), NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_ZOMBIE, ET_SEV_WARNING);
    expect_names_pid(&x, f, out_pid(&x, "child"), "the child never waited for");
    expect_recorded_go(&x, out_pid(&x, "main"));
    example_free(&x);
}

static void zombie_go_fixed(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){go_example(state, "zombie", "go_start_without_wait_fixed"), NULL});
    expect_no_findings(&x, "zombie");
    example_free(&x);
}

static void orphaned_descendants_go(void **state)
{
    (void)state;
    struct example x;
    run_example(&x, (const char *const[]){go_example(state, "orphaned-descendants", "go_timeout_kills_leader"), NULL});
    const struct et_finding *f = expect_finding(&x, ET_FK_ORPHANED_DESCENDANTS, ET_SEV_WARNING);
    expect_names_pid(&x, f, out_pid(&x, "shell"), "the killed shell");
    expect_names_command(&x, f, "sleep 1");
    /* The kill is the Go program's, seen by the recorder (not Go 1.23's
     * signal 0 to itself, probing pidfd support). */
    const struct et_record *kill = find_record(&x.r, ET_REC_SIGNAL, out_pid(&x, "main"), real_signal_by_recorder, NULL);
    assert_non_null(kill);
    assert_int_equal(BODY(kill, et_signal)->target, out_pid(&x, "shell"));
    expect_go_call_site(&x, f, "orphaned-descendants/go_timeout_kills_leader.go", "Kill()");
    expect_pidfd_kill(state, &x, out_pid(&x, "main"), out_pid(&x, "shell"));
    example_free(&x);
}

static void orphaned_descendants_go_fixed(void **state)
{
    (void)state;
    struct example x;
    run_example(&x,
                (const char *const[]){go_example(state, "orphaned-descendants", "go_timeout_kills_leader_fixed"), NULL});
    expect_no_findings(&x, "orphaned-descendants");
    example_free(&x);
}

/* The Go 1.23 builds' directory suffix, as a test's initial state. */
static char go123[] = "go1.23";

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kill_after_reap),
        cmocka_unit_test(kill_after_reap_fixed),
        cmocka_unit_test(kill_wait_race),
        cmocka_unit_test(kill_wait_race_fixed),
        cmocka_unit_test(orphaned_descendants),
        cmocka_unit_test(orphaned_descendants_fixed),
        cmocka_unit_test(orphaned_descendants_shell_pipeline),
        cmocka_unit_test(orphaned_descendants_shell_pipeline_fixed),
        cmocka_unit_test(held_pipe),
        cmocka_unit_test(held_pipe_fixed),
        cmocka_unit_test(held_pipe_python_timeout),
        cmocka_unit_test(held_pipe_python_timeout_fixed),
        cmocka_unit_test(parent_holds_write_end),
        cmocka_unit_test(parent_holds_write_end_fixed),
        cmocka_unit_test(zombie),
        cmocka_unit_test(zombie_fixed),
        cmocka_unit_test(zombie_python_popen),
        cmocka_unit_test(zombie_python_popen_fixed),
        cmocka_unit_test(unreaped_at_exit),
        cmocka_unit_test(unreaped_at_exit_fixed),
        cmocka_unit_test(echild),
        cmocka_unit_test(echild_fixed),
        cmocka_unit_test(echild_python_sigchld_ignored),
        cmocka_unit_test(echild_python_sigchld_ignored_fixed),
        cmocka_unit_test(kill_broadcast),
        cmocka_unit_test(kill_broadcast_fixed),
        cmocka_unit_test(fd_leak_exec),
        cmocka_unit_test(fd_leak_exec_fixed),
        cmocka_unit_test(untraced),
        cmocka_unit_test(untraced_recorded),
        cmocka_unit_test(untraced_fixed),
        cmocka_unit_test(every_c_example_linked_static),
        cmocka_unit_test(every_c_example_linked_static_pie),
        cmocka_unit_test(held_pipe_go),
        cmocka_unit_test(held_pipe_go_fixed),
        cmocka_unit_test(held_pipe_go_with_cgo),
        cmocka_unit_test(zombie_go),
        cmocka_unit_test(zombie_go_fixed),
        cmocka_unit_test(orphaned_descendants_go),
        cmocka_unit_test(orphaned_descendants_go_fixed),
        /* The same built by Go 1.23: pidfds for every child. */
        {"held_pipe_go_1_23", held_pipe_go, NULL, NULL, go123},
        {"held_pipe_go_fixed_1_23", held_pipe_go_fixed, NULL, NULL, go123},
        {"zombie_go_1_23", zombie_go, NULL, NULL, go123},
        {"zombie_go_fixed_1_23", zombie_go_fixed, NULL, NULL, go123},
        {"orphaned_descendants_go_1_23", orphaned_descendants_go, NULL, NULL, go123},
        {"orphaned_descendants_go_fixed_1_23", orphaned_descendants_go_fixed, NULL, NULL, go123},
    };
    return cmocka_run_group_tests_name("examples", tests, NULL, NULL);
}
