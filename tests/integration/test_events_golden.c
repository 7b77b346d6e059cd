/*
 * `exectrace events` on a trace made by hand: every record type, and the
 * variants each prints differently (a failed call, a merged wait, an exec
 * with and without its outcome, a record the recorder wrote), compared byte
 * for byte with tests/golden/events.txt and events.jsonl, and each JSON line
 * checked against docs/events.schema.json.
 *
 * EXECTRACE_UPDATE_GOLDEN=1 rewrites the golden files from this build; read
 * the diff before committing it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "decode.h"
#include "exectrace/trace_format.h"
#include "harness.h"
#include "synth.h"

#define GOLDEN_DIR EXECTRACE_SOURCE_DIR "/tests/golden"

static struct synth *G;
static uint64_t now_ns;

/* ---- making records ---------------------------------------------------------- */

#define tail synth_tail
#define t_bytes synth_tail_bytes
#define t_cstr synth_tail_str

/* A record of process pid (start time pid * 10), thread tid (0: the main
 * one), 1 ms after the one before. */
static void put(uint32_t pid, uint32_t tid, uint16_t type, int err, uint16_t flags, const void *body, size_t blen,
                const struct synth_tail *t)
{
    now_ns += 1000000;
    synth_put(G, pid, (uint64_t)pid * 10, tid, now_ns, type, err, flags, body, blen, t);
}

#define PUT(pid, type, body) put((pid), 0, (type), 0, 0, &(body), sizeof(body), NULL)

static struct et_pipe_end end(int fd, uint32_t flags, uint64_t inode)
{
    return (struct et_pipe_end){fd, flags, inode};
}

static void start(uint32_t pid, uint16_t origin, uint16_t flags, const char *exe, const char *const argv[],
                  const struct et_pipe_end *pipes, uint16_t npipes)
{
    struct tail t = {0};
    for (unsigned i = 0; i < npipes; i++)
        t_bytes(&t, &pipes[i], sizeof(pipes[i]));
    t_cstr(&t, exe);
    uint16_t argc = 0;
    for (; argv && argv[argc]; argc++)
        t_cstr(&t, argv[argc]);
    uint32_t ppid = pid == 100 ? 1 : pid == 200 ? 100 : 200;
    struct et_image_start b = {.ppid = ppid, .pgid = 100, .sid = 100, .origin = origin,
                               .flags = flags, .uid = 1000, .euid = 1000, .argc = argc, .argv_count = argc,
                               .pipe_count = npipes};
    put(pid, 0, ET_REC_IMAGE_START, 0, 0, &b, sizeof(b), &t);
}

static void exec_call(uint32_t pid, uint16_t kind, uint16_t flags, const char *path, const char *const argv[])
{
    struct tail t = {0};
    t_cstr(&t, path);
    uint16_t argc = 0;
    for (; argv[argc]; argc++)
        t_cstr(&t, argv[argc]);
    struct et_exec b = {.kind = kind, .flags = flags, .fd = -1, .argc = argc, .argv_count = argc};
    put(pid, 0, ET_REC_EXEC, 0, 0, &b, sizeof(b), &t);
}

/* Every record type, in the order a run could write them. */
static void write_trace(void)
{
    static const char *const launcher_argv[] = {"exectrace", "run", "--", "sh", "-c", "job", NULL};
    start(100, ET_ORIGIN_LAUNCHER, 0, "/usr/bin/exectrace", launcher_argv, NULL, 0);
    struct et_recorder rec_on = {ET_RECORDER_ON, ET_RECORDER_FILTER_OWN_CODE, 0};
    PUT(100, ET_REC_RECORDER, rec_on);
    struct et_fork fork_b = {ET_FORK_FORK, 0, 200, 0};
    PUT(100, ET_REC_FORK, fork_b);

    start(200, ET_ORIGIN_FORK, 0, "", NULL, NULL, 0);
    static const char *const sh_argv[] = {"sh", "-c", "job", NULL};
    exec_call(200, ET_EXEC_EXECVP, ET_ENV_ADDED_PRELOAD | ET_ENV_ADDED_FILE, "sh", sh_argv);
    struct et_pipe_end inherited = end(255, ET_PIPE_WRITE | ET_PIPE_CLOEXEC, 9001);
    /* A string with a tab, a quote and a byte that is not UTF-8. */
    static const char *const odd_argv[] = {"sh", "-c", "printf '\t\"\xff'", NULL};
    start(200, ET_ORIGIN_EXEC, 0, "/bin/sh", odd_argv, &inherited, 1);
    struct et_sigchld_action handler = {ET_SIGCHLD_SIGACTION, ET_DISP_HANDLER,
                                        0x10000000u | ET_SA_RESTORER /* SA_RESTART */, 0, 0};
    PUT(200, ET_REC_SIGCHLD_ACTION, handler);
    struct et_sigchld_action ignore = {ET_SIGCHLD_SIGNAL, ET_DISP_IGNORE, 0, 0, 0};
    PUT(200, ET_REC_SIGCHLD_ACTION, ignore);
    struct et_pipe pipe_b = {ET_PIPE_PIPE, 0, 3, 4, 0, 0, 0, 9002};
    PUT(200, ET_REC_PIPE, pipe_b);
    struct et_pipe pipe2_b = {ET_PIPE_PIPE2, 0, 5, 6, ET_O_CLOEXEC, 0, 0, 9003};
    PUT(200, ET_REC_PIPE, pipe2_b);
    struct et_pipe pipe_failed = {ET_PIPE_PIPE2, 0, -1, -1, ET_O_CLOEXEC | ET_O_NONBLOCK, -1, 0, 0};
    put(200, 0, ET_REC_PIPE, EMFILE, 0, &pipe_failed, sizeof(pipe_failed), NULL);
    struct et_set_cloexec cloexec = {3, ET_FD_CLOEXEC, 0, 0, end(3, ET_PIPE_READ, 9002)};
    PUT(200, ET_REC_SET_CLOEXEC, cloexec);
    struct et_dup dup2_b = {ET_DUP_DUP2, 0, 4, 1, 0, 1, 0, end(4, ET_PIPE_WRITE, 9002), end(1, ET_PIPE_WRITE, 9001)};
    PUT(200, ET_REC_DUP, dup2_b);
    struct et_dup dupfd = {ET_DUP_FCNTL_DUPFD_CLOEXEC, 0, 5, 10, 0, 10, 0, end(5, ET_PIPE_READ, 9003), end(-1, 0, 0)};
    PUT(200, ET_REC_DUP, dupfd);
    struct et_dup dup3_b = {ET_DUP_DUP3, 0, 7, 8, ET_O_CLOEXEC, -1, 0, end(-1, 0, 0), end(-1, 0, 0)};
    put(200, 0, ET_REC_DUP, EBADF, 0, &dup3_b, sizeof(dup3_b), NULL);
    struct et_close close_b = {6, 0, end(6, ET_PIPE_WRITE | ET_PIPE_CLOEXEC, 9003)};
    PUT(200, ET_REC_CLOSE, close_b);
    struct et_prctl subreaper = {ET_PR_SET_CHILD_SUBREAPER, 0, 1};
    PUT(200, ET_REC_PRCTL, subreaper);

    /* A child by posix_spawn, and one that could not be. */
    struct et_spawn_action addclose = {ET_SPAWN_ACTION_CLOSE, 0, 3, -1, 0, 0x5000, end(3, ET_PIPE_READ, 9002)};
    PUT(200, ET_REC_SPAWN_ACTION, addclose);
    struct et_spawn_action adddup2 = {ET_SPAWN_ACTION_DUP2, 0, 4, 1, 0, 0x5000, end(4, ET_PIPE_WRITE, 9002)};
    PUT(200, ET_REC_SPAWN_ACTION, adddup2);
    struct et_spawn_action bad = {ET_SPAWN_ACTION_DUP2, 0, -1, 1, EBADF, 0x5000, end(-1, 0, 0)};
    PUT(200, ET_REC_SPAWN_ACTION, bad);
    struct tail st = {0};
    t_cstr(&st, "/usr/bin/sleep");
    t_cstr(&st, "sleep");
    t_cstr(&st, "9");
    struct et_spawn spawn_b = {.kind = ET_SPAWN_POSIX_SPAWNP, .flags = ET_SPAWN_HAS_ATTR | ET_ENV_ADDED_FILE,
                               .result = 0, .child_pid = 300, .pgroup = 0,
                               .spawn_flags = ET_POSIX_SPAWN_SETPGROUP, .argc = 3, .argv_count = 2,
                               .file_actions = 0x5000};
    put(200, 0, ET_REC_SPAWN, 0, 0, &spawn_b, sizeof(spawn_b), &st);
    struct tail nt = {0};
    t_cstr(&nt, "/nonexistent");
    struct et_spawn spawn_failed = {.kind = ET_SPAWN_POSIX_SPAWN, .result = ENOENT, .child_pid = -1};
    put(200, 0, ET_REC_SPAWN, 0, 0, &spawn_failed, sizeof(spawn_failed), &nt);

    struct et_pipe_end spawned_pipes[] = {end(1, ET_PIPE_WRITE, 9002), end(255, ET_PIPE_WRITE, 9001)};
    static const char *const sleep_argv[] = {"sleep", "9", NULL};
    start(300, ET_ORIGIN_EXEC, ET_START_GO, "/usr/bin/sleep", sleep_argv, spawned_pipes, 2);
    /* A failure whose exec the trace lost: shown on its own. */
    struct et_exec_failed lone = {ET_EXEC_EXECVE, 0, -1};
    put(300, 0, ET_REC_EXEC_FAILED, EACCES, 0, &lone, sizeof(lone), NULL);
    struct et_setpgid setpgid_b = {ET_SETPGID_SETPGID, 0, 0, 0, 0};
    put(300, 0, ET_REC_SETPGID, 0, ET_RF_RECORDER, &setpgid_b, sizeof(setpgid_b), NULL);

    /* A fork child: a process group, a session, a failed exec, an exec
     * whose outcome the trace does not hold. */
    struct et_fork vfork_b = {ET_FORK_VFORK, 0, 400, 0};
    PUT(200, ET_REC_FORK, vfork_b);
    start(400, ET_ORIGIN_VFORK, 0, "", NULL, NULL, 0);
    static const char *const missing_argv[] = {"missing", NULL};
    exec_call(400, ET_EXEC_EXECVE, 0, "/bin/missing", missing_argv);
    struct et_exec_failed failed = {ET_EXEC_EXECVE, 0, -1};
    put(400, 0, ET_REC_EXEC_FAILED, ENOENT, ET_RF_VFORK_CHILD, &failed, sizeof(failed), NULL);
    struct et_setpgid setpgrp_b = {ET_SETPGID_SETPGRP, 0, 0, 0, 0};
    PUT(400, ET_REC_SETPGID, setpgrp_b);
    struct et_setsid setsid_b = {400, 0};
    PUT(400, ET_REC_SETSID, setsid_b);
    struct et_prctl pdeathsig = {ET_PR_SET_PDEATHSIG, 0, 15};
    PUT(400, ET_REC_PRCTL, pdeathsig);
    struct tail cr = {0};
    struct et_pipe_end closed[] = {end(3, ET_PIPE_READ, 9002), end(4, ET_PIPE_WRITE, 9002)};
    t_bytes(&cr, closed, sizeof(closed));
    struct et_close_range range = {ET_CLOSE_RANGE, 2, 3, 4294967295u, 0, 0, 0};
    put(400, 0, ET_REC_CLOSE_RANGE, 0, 0, &range, sizeof(range), &cr);
    struct et_close_range range_cloexec = {ET_CLOSE_RANGE, 2, 3, 4294967295u, ET_CLOSE_RANGE_CLOEXEC, 0, 0};
    put(400, 0, ET_REC_CLOSE_RANGE, 0, 0, &range_cloexec, sizeof(range_cloexec), &cr);
    struct et_close_range from = {ET_CLOSEFROM, 0, 5, 4294967295u, 0, 0, 0};
    PUT(400, ET_REC_CLOSE_RANGE, from);
    static const char *const static_argv[] = {"./static-tool", NULL};
    exec_call(400, ET_EXEC_EXECV, 0, "./static-tool", static_argv);

    /* Signals: to a pid, to a thread, through a pidfd, and one that found
     * nobody; from a thread that is not the main one. */
    struct et_pidfd_open pidfd_b = {300, 0, 7, 0};
    PUT(200, ET_REC_PIDFD_OPEN, pidfd_b);
    struct et_signal kill_b = {ET_SIGNAL_KILL, 0, 300, 0, 15, 0, -1, -1, 0};
    put(200, 201, ET_REC_SIGNAL, 0, 0, &kill_b, sizeof(kill_b), NULL);
    struct et_signal tgkill_b = {ET_SIGNAL_TGKILL, 0, 300, 301, 10, 0, -1, -1, 0};
    PUT(200, ET_REC_SIGNAL, tgkill_b);
    struct et_signal pidfd_kill = {ET_SIGNAL_PIDFD_SEND_SIGNAL, 0, -1, 0, 9, 0, 7, 300, 0};
    PUT(200, ET_REC_SIGNAL, pidfd_kill);
    struct et_signal probe = {ET_SIGNAL_KILL, 0, 999, 0, 0, -1, -1, -1, 0};
    put(200, 0, ET_REC_SIGNAL, ESRCH, 0, &probe, sizeof(probe), NULL);

    /* Waits: one whose return follows at once (one line), one that others
     * interrupt, a waitid with its siginfo, a waitid with none ready. */
    struct et_wait_enter wait4_in = {ET_WAIT_WAIT4, 0, 0, 300, 0, 0};
    PUT(200, ET_REC_WAIT_ENTER, wait4_in);
    struct et_wait_return wait4_out = {ET_WAIT_WAIT4, 0, 300, 9, 0, 0, 0, 0, 0};
    PUT(200, ET_REC_WAIT_RETURN, wait4_out);
    struct et_wait_enter waitid_in = {ET_WAIT_WAITID, 0, ET_P_PIDFD, 7, 4 /* WEXITED */, 0};
    PUT(200, ET_REC_WAIT_ENTER, waitid_in);
    struct et_image_exit exit_400 = {ET_EXIT__EXIT, 0, 3};
    PUT(400, ET_REC_IMAGE_EXIT, exit_400);
    struct et_wait_return waitid_out = {ET_WAIT_WAITID, 0, 0, 0, 400, ET_CLD_EXITED, 3, 4, 0};
    PUT(200, ET_REC_WAIT_RETURN, waitid_out);
    struct et_wait_enter nohang_in = {ET_WAIT_WAITID, 0, ET_P_ALL, 0, 4 | 1 /* WEXITED|WNOHANG */, 0};
    PUT(200, ET_REC_WAIT_ENTER, nohang_in);
    struct et_wait_return nohang_out = {ET_WAIT_WAITID, 0, 0, 0, 0, 0, 0, 5, 0};
    PUT(200, ET_REC_WAIT_RETURN, nohang_out);
    struct et_wait_enter wait_in = {ET_WAIT_WAIT, 0, 0, -1, 0, 0};
    PUT(200, ET_REC_WAIT_ENTER, wait_in);
    struct et_wait_return echild = {ET_WAIT_WAIT, 0, -1, 0, 0, 0, 0, 0, 0};
    put(200, 0, ET_REC_WAIT_RETURN, ECHILD, 0, &echild, sizeof(echild), NULL);

    /* What exectrace itself saw: a snapshot, a module, the end. */
    struct tail sn = {0};
    struct et_snapshot_thread threads[2] = {{300, 0 /* read */, {0, 0x7ffc0000, 4096}, 'S', {0}},
                                            {301, ET_SYSCALL_RUNNING, {0, 0, 0}, 'R', {0}}};
    t_bytes(&sn, threads, sizeof(threads));
    t_bytes(&sn, spawned_pipes, sizeof(spawned_pipes));
    t_cstr(&sn, "sleep");
    t_cstr(&sn, "anon_pipe_read");
    t_cstr(&sn, "");
    struct et_snapshot snap = {.snapshot = 1, .reason = ET_SNAP_HANG, .ppid = 200, .pgid = 300, .sid = 100,
                               .thread_count = 2, .pipe_count = 2, .state = 'S'};
    put(300, 0, ET_REC_SNAPSHOT, 0, 0, &snap, sizeof(snap), &sn);
    struct tail mod = {0};
    static const uint8_t build_id[] = {0xde, 0xad, 0xbe, 0xef};
    t_bytes(&mod, build_id, sizeof(build_id));
    t_cstr(&mod, "/usr/bin/sleep");
    struct et_module module = {.load_bias = 0x555500000000, .start = 0x555500001000, .end = 0x555500009000,
                               .build_id_len = sizeof(build_id), .flags = ET_MODULE_MAIN, .stack_depth = 8};
    put(300, 0, ET_REC_MODULE, 0, 0, &module, sizeof(module), &mod);
    /* A poll of two pipe ends that blocked 15 ms (one came back hung up), a
     * read interrupted after 12 ms, and the end-of-file read. */
    struct et_pipe_end polled[2] = {end(3, ET_PIPE_READ | ET_PIPE_WAIT_READY | ET_PIPE_WAIT_HANGUP, 9002),
                                    end(5, ET_PIPE_READ | ET_PIPE_CLOEXEC, 9003)};
    struct tail waited = {0};
    t_bytes(&waited, polled, sizeof(polled));
    struct et_pipe_wait poll_b = {now_ns + 1000000 - 15000000, 1, ET_SYS_poll, 2, 0, 0};
    put(200, 0, ET_REC_PIPE_WAIT, 0, 0, &poll_b, sizeof(poll_b), &waited);
    struct tail interrupted = {0};
    t_bytes(&interrupted, &polled[1], sizeof(polled[1]));
    struct et_pipe_wait read_b = {now_ns + 1000000 - 12000000, -1, ET_SYS_read, 1, 0, 0};
    put(200, 0, ET_REC_PIPE_WAIT, EINTR, 0, &read_b, sizeof(read_b), &interrupted);
    struct et_pipe_eof eof_b = {ET_SYS_read, 0, 0, end(3, ET_PIPE_READ, 9002)};
    PUT(200, ET_REC_PIPE_EOF, eof_b);
    struct et_image_exit exit_200 = {ET_EXIT_EXIT, 0, 0};
    PUT(200, ET_REC_IMAGE_EXIT, exit_200);
    struct et_reaped reaped = {200, 0, 2000, ET_REAPED_COMMAND, 0, 0};
    PUT(100, ET_REC_REAPED, reaped);
    struct tail off = {0};
    t_cstr(&off, "ptrace: Operation not permitted");
    struct et_recorder rec_refused = {ET_RECORDER_UNAVAILABLE, 0, EPERM};
    put(100, 0, ET_REC_RECORDER, 0, 0, &rec_refused, sizeof(rec_refused), &off);
    struct tail left = {0};
    int32_t left_pids[] = {300};
    t_bytes(&left, left_pids, sizeof(left_pids));
    struct et_run_end run_end = {200, 0, 1, 1, 0};
    put(100, 0, ET_REC_RUN_END, 0, 0, &run_end, sizeof(run_end), &left);
}

static int setup(void **state)
{
    (void)state;
    G = synth_new(100, 1000);
    now_ns = 0;
    write_trace();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    synth_free(G);
    return 0;
}

/* ---- comparing ------------------------------------------------------------------ */

static void compare_with_golden(const char *const options[], const char *name)
{
    const char *argv[8];
    int n = 0;
    argv[n++] = exectrace_bin();
    argv[n++] = "events";
    for (int i = 0; options[i]; i++)
        argv[n++] = options[i];
    argv[n++] = synth_path(G);
    argv[n] = NULL;
    struct captured c;
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    if (c.status != 0)
        fail_msg("events exited %d: %s", c.status, c.err);
    char golden[512], why[1024];
    snprintf(golden, sizeof(golden), "%s/%s", GOLDEN_DIR, name);
    if (golden_compare(golden, c.out, why, sizeof(why)) != 0)
        fail_msg("%s", why);
    captured_free(&c);
}

static void text_matches_the_golden_file(void **state)
{
    (void)state;
    compare_with_golden((const char *const[]){"--stacks", NULL}, "events.txt");
}

static void json_matches_the_golden_file(void **state)
{
    (void)state;
    compare_with_golden((const char *const[]){"--json", "--stacks", NULL}, "events.jsonl");
}

/* A record type added to the format without a decoder, or left out of the
 * trace above, fails here. */
static void every_record_type_is_decoded_and_in_the_golden_trace(void **state)
{
    (void)state;
#define CHECK_TYPE(type, body, name)                                                               \
    if (!et_decoder_exists(type))                                                                   \
        fail_msg("record type %s (%d) has no decoder in analyzer/decode.c", name, (int)(type));     \
    if (!synth_has(G, type))                                                                              \
        fail_msg("record type %s (%d) is not in the golden trace: add one to write_trace()", name, \
                 (int)(type));
    ET_RECORD_TYPES(CHECK_TYPE)
#undef CHECK_TYPE
}

static void json_lines_validate_against_the_events_schema(void **state)
{
    (void)state;
    const char *const argv[] = {exectrace_bin(), "events", "--json", "--stacks", synth_path(G), NULL};
    struct captured c;
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    assert_int_equal(c.status, 0);
    struct captured v;
    int ran = validate_json(EXECTRACE_SOURCE_DIR "/docs/events.schema.json", c.out, true,
                            "events = set(doc['event'] for doc in docs)\n"
                            "known = set(schema['properties']['event']['enum'])\n"
                            "assert events == known, ('in the schema but not the output', known - events,\n"
                            "                         'in the output but not the schema', events - known)\n",
                            &v);
    assert_true(ran >= 0);
    if (ran == 1)
        skip(); /* python3-jsonschema is not installed: ./make.sh installs it */
    if (v.status != 0)
        fail_msg("events --json does not match docs/events.schema.json:\n%s", v.err);
    captured_free(&v);
    captured_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_record_type_is_decoded_and_in_the_golden_trace),
        cmocka_unit_test(text_matches_the_golden_file),
        cmocka_unit_test(json_matches_the_golden_file),
        cmocka_unit_test(json_lines_validate_against_the_events_schema),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
