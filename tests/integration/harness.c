#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUN_LIMIT_SECONDS 60

const char *exectrace_bin(void)
{
    return EXECTRACE_BUILD_DIR "/exectrace";
}

const char *shim_path(void)
{
    return EXECTRACE_BUILD_DIR "/libexectrace.so";
}

const char *test_prog(const char *name)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/tests/progs/%s", EXECTRACE_BUILD_DIR, name);
    return path;
}

static void remove_run_files(const char *dir)
{
    static const char *const files[] = {"run.trace", "stdout", "stderr"};
    char path[PATH_MAX + 16];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* A failing test leaves its run behind (cmocka jumps out of it): every run
 * directory is noted, and whatever is left is removed at exit. */
static char run_dirs[512][PATH_MAX];
static size_t run_dir_count;

static void remove_leftover_runs(void)
{
    for (size_t i = 0; i < run_dir_count; i++)
        if (run_dirs[i][0])
            remove_run_files(run_dirs[i]);
}

static void note_run_dir(const char *dir)
{
    if (run_dir_count == 0)
        atexit(remove_leftover_runs);
    if (run_dir_count < sizeof(run_dirs) / sizeof(run_dirs[0]))
        snprintf(run_dirs[run_dir_count++], PATH_MAX, "%s", dir);
}

static void forget_run_dir(const char *dir)
{
    for (size_t i = 0; i < run_dir_count; i++)
        if (strcmp(run_dirs[i], dir) == 0)
            run_dirs[i][0] = 0;
}

static char *slurp(const char *path)
{
    char *buf = read_whole_file(path);
    return buf ? buf : strdup("");
}

int validate_json(const char *schema, const char *text, bool lines, const char *checks, struct captured *v)
{
    char program[4096];
    snprintf(program, sizeof(program),
             "import json, sys\n"
             "try:\n"
             "    import jsonschema\n"
             "except ImportError:\n"
             "    sys.exit(77)\n"
             "schema = json.load(open(sys.argv[1]))\n"
             "docs = [json.loads(l) for l in sys.stdin] if %s else [json.load(sys.stdin)]\n"
             "for doc in docs:\n"
             "    jsonschema.validate(doc, schema)\n"
             "%s",
             lines ? "True" : "False", checks ? checks : "");
    const char *const argv[] = {"python3", "-c", program, schema, NULL};
    if (run_captured(argv, text, v) != 0)
        return -1;
    return v->status == 77 ? 1 : 0;
}

/* Runs argv (PATH searched) in its own process group, stdin from in_path
 * (NULL: /dev/null), stdout and stderr to files, in cwd if given, with a
 * limit after which the whole group is killed.  Returns its exit status,
 * 128+N if it was killed by signal N, or -1 if it could not start. */
static int run_to_files(const char *const argv[], const char *in_path, const char *out_path, const char *err_path,
                        const char *cwd, const char *const *extra_env)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setpgid(0, 0);
        int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0 || (cwd && chdir(cwd) < 0))
            _exit(120);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        /* Run by `make check`: the outer make's flags and jobserver must
         * not reach the programs under test. */
        unsetenv("MAKEFLAGS");
        unsetenv("MFLAGS");
        unsetenv("MAKELEVEL");
        for (int i = 0; extra_env && extra_env[i]; i++)
            putenv((char *)extra_env[i]);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    setpgid(pid, pid);

    /* Wait with a limit: a hang must fail the test, not stall CI. */
    int status = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            break;
        if (got < 0 && errno != EINTR)
            return -1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > RUN_LIMIT_SECONDS) {
            fprintf(stderr, "harness: %s ran over %d s, killing it\n", argv[0], RUN_LIMIT_SECONDS);
            kill(-pid, SIGKILL);
        }
        usleep(2000);
    }
    /* Anything it left behind in its group goes now. */
    kill(-pid, SIGKILL);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int traced_run(struct traced_run *r, const char *const *options, const char *const *extra_env,
               const char *const argv[])
{
    memset(r, 0, sizeof(*r));
    snprintf(r->dir, sizeof(r->dir), "/tmp/exectrace-test-XXXXXX");
    if (!mkdtemp(r->dir))
        return -1;
    note_run_dir(r->dir);
    if (snprintf(r->trace_path, sizeof(r->trace_path), "%s/run.trace", r->dir) >= (int)sizeof(r->trace_path))
        return -1;

    const char *args[256];
    int n = 0;
    args[n++] = exectrace_bin();
    args[n++] = "run";
    args[n++] = "-o";
    args[n++] = r->trace_path;
    for (int i = 0; options && options[i] && n < 200; i++)
        args[n++] = options[i];
    args[n++] = "--";
    for (int i = 0; argv[i] && n < 254; i++)
        args[n++] = argv[i];
    args[n] = NULL;

    char out_path[PATH_MAX + 16], err_path[PATH_MAX + 16];
    snprintf(out_path, sizeof(out_path), "%s/stdout", r->dir);
    snprintf(err_path, sizeof(err_path), "%s/stderr", r->dir);
    r->status = run_to_files(args, NULL, out_path, err_path, r->dir, extra_env);
    if (r->status < 0)
        return -1;
    r->out = slurp(out_path);
    r->err = slurp(err_path);
    if (et_trace_open(&r->trace, r->trace_path) == 0 && et_events_load(&r->trace, &r->events) == 0)
        r->loaded = true;
    return 0;
}

int run_captured(const char *const argv[], const char *input, struct captured *c)
{
    memset(c, 0, sizeof(*c));
    char in[] = "/tmp/exectrace-in-XXXXXX", out[] = "/tmp/exectrace-out-XXXXXX", err[] = "/tmp/exectrace-err-XXXXXX";
    int fds[3] = {mkstemp(in), mkstemp(out), mkstemp(err)};
    int ret = -1;
    if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0)
        goto out;
    if (input && write(fds[0], input, strlen(input)) != (ssize_t)strlen(input))
        goto out;
    c->status = run_to_files(argv, input ? in : NULL, out, err, NULL, NULL);
    if (c->status < 0)
        goto out;
    c->out = slurp(out);
    c->err = slurp(err);
    ret = 0;
out:
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    unlink(in);
    unlink(out);
    unlink(err);
    return ret;
}

void captured_free(struct captured *c)
{
    free(c->out);
    free(c->err);
    memset(c, 0, sizeof(*c));
}

void traced_run_free(struct traced_run *r)
{
    if (r->loaded)
        et_events_free(&r->events);
    et_trace_close(&r->trace);
    free(r->out);
    free(r->err);
    remove_run_files(r->dir);
    forget_run_dir(r->dir);
    memset(r, 0, sizeof(*r));
}

const struct et_record *find_record(const struct traced_run *r, uint16_t type, int pid, record_pred pred,
                                    const void *arg)
{
    for (size_t i = 0; i < r->events.n; i++) {
        const struct et_record *rec = r->events.v[i].r;
        if (rec->type == type && (pid < 0 || rec->pid == (uint32_t)pid) && (!pred || pred(rec, arg)))
            return rec;
    }
    return NULL;
}

size_t count_records(const struct traced_run *r, uint16_t type, int pid, record_pred pred, const void *arg)
{
    size_t n = 0;
    for (size_t i = 0; i < r->events.n; i++) {
        const struct et_record *rec = r->events.v[i].r;
        if (rec->type == type && (pid < 0 || rec->pid == (uint32_t)pid) && (!pred || pred(rec, arg)))
            n++;
    }
    return n;
}

long event_index(const struct traced_run *r, const struct et_record *rec)
{
    for (size_t i = 0; i < r->events.n; i++)
        if (r->events.v[i].r == rec)
            return (long)i;
    return -1;
}

int command_pid(const struct traced_run *r)
{
    for (size_t i = 0; i < r->events.n; i++) {
        const struct et_record *rec = r->events.v[i].r;
        if (rec->type == ET_REC_FORK && rec->pid == r->trace.hdr->launcher_pid)
            return BODY(rec, et_fork)->result;
    }
    return -1;
}

static bool origin_is(const struct et_record *rec, const void *arg)
{
    uint16_t origin = *(const uint16_t *)arg;
    return origin == 0 || BODY(rec, et_image_start)->origin == origin;
}

const struct et_record *start_of(const struct traced_run *r, int pid, uint16_t origin)
{
    return find_record(r, ET_REC_IMAGE_START, pid, origin_is, &origin);
}

/* Copies a tail string into a rotating static buffer. */
static const char *tail_string(struct et_tail *t)
{
    static char bufs[4][4096];
    static int next;
    char *buf = bufs[next++ % 4];
    const char *s;
    uint16_t len;
    if (!et_tail_str(t, &s, &len))
        return NULL;
    if (len >= sizeof(bufs[0]))
        len = sizeof(bufs[0]) - 1;
    memcpy(buf, s, len);
    buf[len] = 0;
    return buf;
}

static struct et_tail start_strings(const struct et_record *start)
{
    const struct et_image_start *b = BODY(start, et_image_start);
    struct et_tail t = et_tail_of(start);
    et_tail_array(&t, b->pipe_count, sizeof(struct et_pipe_end));
    return t;
}

const char *start_exe(const struct et_record *start)
{
    struct et_tail t = start_strings(start);
    return tail_string(&t);
}

const char *start_argv(const struct et_record *start, unsigned i)
{
    const struct et_image_start *b = BODY(start, et_image_start);
    if (i >= b->argv_count)
        return NULL;
    struct et_tail t = start_strings(start);
    tail_string(&t); /* exe */
    const char *s = NULL;
    for (unsigned k = 0; k <= i; k++)
        s = tail_string(&t);
    return s;
}

static bool argv0_matches(const struct et_record *rec, const void *arg)
{
    const char *name = arg;
    const char *a0 = start_argv(rec, 0);
    if (!a0 || BODY(rec, et_image_start)->origin != ET_ORIGIN_EXEC)
        return false;
    size_t la = strlen(a0), ln = strlen(name);
    return la >= ln && strcmp(a0 + la - ln, name) == 0 && (la == ln || a0[la - ln - 1] == '/');
}

const struct et_record *start_by_argv0(const struct traced_run *r, const char *name)
{
    return find_record(r, ET_REC_IMAGE_START, -1, argv0_matches, name);
}

bool start_pipe_at(const struct et_record *start, int fd, struct et_pipe_end *out)
{
    const struct et_image_start *b = BODY(start, et_image_start);
    struct et_tail t = et_tail_of(start);
    const struct et_pipe_end *ends = et_tail_array(&t, b->pipe_count, sizeof(*ends));
    for (unsigned i = 0; ends && i < b->pipe_count; i++) {
        if (ends[i].fd == fd) {
            *out = ends[i];
            return true;
        }
    }
    return false;
}

const char *exec_path(const struct et_record *exec)
{
    struct et_tail t = et_tail_of(exec);
    return tail_string(&t);
}

const char *exec_argv(const struct et_record *exec, unsigned i)
{
    if (i >= BODY(exec, et_exec)->argv_count)
        return NULL;
    struct et_tail t = et_tail_of(exec);
    tail_string(&t);
    const char *s = NULL;
    for (unsigned k = 0; k <= i; k++)
        s = tail_string(&t);
    return s;
}

const char *spawn_path(const struct et_record *spawn)
{
    struct et_tail t = et_tail_of(spawn);
    return tail_string(&t);
}

int golden_compare(const char *golden, const char *text, char *why, size_t why_len)
{
    const char *update = getenv("EXECTRACE_UPDATE_GOLDEN");
    if (update && strcmp(update, "1") == 0) {
        FILE *f = fopen(golden, "w");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
            snprintf(why, why_len, "%s: cannot write it", golden);
            return -1;
        }
    }
    char *want = read_whole_file(golden);
    if (!want) {
        snprintf(why, why_len, "%s is missing (EXECTRACE_UPDATE_GOLDEN=1 makes it)", golden);
        return -1;
    }
    int ret = 0;
    if (strcmp(want, text) != 0) {
        /* The first line where they differ. */
        unsigned line = 1;
        const char *w = want, *g = text, *wl = want, *gl = text;
        while (*w && *w == *g) {
            if (*w == '\n') {
                line++;
                wl = w + 1;
                gl = g + 1;
            }
            w++;
            g++;
        }
        snprintf(why, why_len, "%s differs at line %u:\n  want: %.*s\n  got:  %.*s\n(EXECTRACE_UPDATE_GOLDEN=1 rewrites it)",
                 golden, line, (int)strcspn(wl, "\n"), wl, (int)strcspn(gl, "\n"), gl);
        ret = -1;
    }
    free(want);
    return ret;
}
