/*
 * `exectrace export`, on small traces made by hand (a pipeline, a zombie, an
 * orphan adopted by the subreaper, a kill after reap, a reused pid) and on
 * a real run: each export compared with its golden file (the Perfetto trace
 * as `protoc --decode` shows it), and checked as a viewer would read it:
 * every arrow leaves no later than it lands, slices nest, every track and
 * process an event names is described, and the JSON parses.
 *
 * EXECTRACE_UPDATE_GOLDEN=1 rewrites the golden files from this build.
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
#include <unistd.h>

#include <cmocka.h>

#include "exectrace/trace_format.h"
#include "harness.h"
#include "synth.h"

#define GOLDEN_DIR EXECTRACE_SOURCE_DIR "/tests/golden/export"
#define SUBSET_PROTO EXECTRACE_SOURCE_DIR "/tests/export/trace_subset.proto"
#define MS(n) ((uint64_t)(n) * 1000000u)

/* ---- a process's records ------------------------------------------------------- */

struct pr {
    uint32_t pid;
    uint64_t st;
};

static struct synth *S;

static void put(struct pr p, uint64_t ts, uint16_t type, int err, const void *body, size_t len,
                const struct synth_tail *tail)
{
    synth_put(S, p.pid, p.st, 0, ts, type, err, 0, body, len, tail);
}

static void start(struct pr p, uint64_t ts, uint16_t origin, uint32_t ppid, const char *argv0,
                  const struct et_pipe_end *ends, uint16_t nends)
{
    struct synth_tail t = {0};
    for (unsigned i = 0; i < nends; i++)
        synth_tail_bytes(&t, &ends[i], sizeof(ends[i]));
    synth_tail_str(&t, argv0 ? argv0 : "");
    if (argv0)
        synth_tail_str(&t, argv0);
    struct et_image_start b = {.ppid = ppid, .pgid = 100, .sid = 100, .origin = origin, .uid = 1000,
                               .euid = 1000, .argc = argv0 ? 1 : 0, .argv_count = argv0 ? 1 : 0,
                               .pipe_count = nends};
    put(p, ts, ET_REC_IMAGE_START, 0, &b, sizeof(b), &t);
}

static void forked(struct pr parent, struct pr child, uint64_t ts, uint64_t child_ts)
{
    struct et_fork b = {ET_FORK_FORK, 0, (int32_t)child.pid, 0};
    put(parent, ts, ET_REC_FORK, 0, &b, sizeof(b), NULL);
    start(child, child_ts, ET_ORIGIN_FORK, parent.pid, NULL, NULL, 0);
}

static void execs(struct pr p, uint64_t ts, const char *program, const struct et_pipe_end *ends, uint16_t nends,
                  uint32_t ppid)
{
    struct synth_tail t = {0};
    synth_tail_str(&t, program);
    synth_tail_str(&t, program);
    struct et_exec b = {.kind = ET_EXEC_EXECVE, .fd = -1, .argc = 1, .argv_count = 1};
    put(p, ts, ET_REC_EXEC, 0, &b, sizeof(b), &t);
    start(p, ts + 1000, ET_ORIGIN_EXEC, ppid, program, ends, nends);
}

static void exits(struct pr p, uint64_t ts, int code)
{
    struct et_image_exit b = {ET_EXIT_EXIT, 0, code};
    put(p, ts, ET_REC_IMAGE_EXIT, 0, &b, sizeof(b), NULL);
}

static void waits(struct pr p, uint64_t from, uint64_t to, int32_t child, int status)
{
    struct et_wait_enter in = {ET_WAIT_WAIT4, 0, 0, child, 0, 0};
    put(p, from, ET_REC_WAIT_ENTER, 0, &in, sizeof(in), NULL);
    struct et_wait_return out = {ET_WAIT_WAIT4, 0, child, status, 0, 0, 0, 0, 0};
    put(p, to, ET_REC_WAIT_RETURN, 0, &out, sizeof(out), NULL);
}

static void reaped(struct pr launcher, uint64_t ts, struct pr who, uint16_t role, int status)
{
    struct et_reaped b = {(int32_t)who.pid, status, who.st, role, 0, 0};
    put(launcher, ts, ET_REC_REAPED, 0, &b, sizeof(b), NULL);
}

static void kills(struct pr p, uint64_t ts, int32_t target, int sig, int err)
{
    struct et_signal b = {ET_SIGNAL_KILL, 0, target, 0, sig, err ? -1 : 0, -1, -1, 0};
    put(p, ts, ET_REC_SIGNAL, err, &b, sizeof(b), NULL);
}

static void run_end(struct pr launcher, uint64_t ts, struct pr command, uint32_t orphans)
{
    struct et_run_end b = {(int32_t)command.pid, 0, orphans, 0, 0};
    put(launcher, ts, ET_REC_RUN_END, 0, &b, sizeof(b), NULL);
}

static const struct pr LAUNCHER = {100, 1000}, SH = {200, 2000}, A = {300, 3000}, B = {400, 4000};

/* The launcher starts the command; what the scenario does comes between. */
static void begin(void)
{
    S = synth_new(LAUNCHER.pid, LAUNCHER.st);
    start(LAUNCHER, MS(1), ET_ORIGIN_LAUNCHER, 1, "exectrace", NULL, 0);
    forked(LAUNCHER, SH, MS(2), MS(2) + 100000);
    execs(SH, MS(3), "sh", NULL, 0, LAUNCHER.pid);
}

static void end(uint64_t ts, uint32_t orphans)
{
    exits(SH, ts, 0);
    reaped(LAUNCHER, ts + MS(1), SH, ET_REAPED_COMMAND, 0);
    run_end(LAUNCHER, ts + MS(2), SH, orphans);
}

/* ---- the scenarios -------------------------------------------------------------- */

/* sh: a | b, through one pipe. */
static void pipeline(void)
{
    begin();
    struct et_pipe p = {ET_PIPE_PIPE, 0, 3, 4, 0, 0, 0, 777};
    put(SH, MS(4), ET_REC_PIPE, 0, &p, sizeof(p), NULL);
    /* A pipe made and closed in the same instant: held for no time at all. */
    struct et_pipe brief = {ET_PIPE_PIPE, 0, 5, 6, 0, 0, 0, 778};
    put(SH, MS(4) + 500, ET_REC_PIPE, 0, &brief, sizeof(brief), NULL);
    struct et_close c5 = {5, 0, {5, ET_PIPE_READ, 778}}, c6 = {6, 0, {6, ET_PIPE_WRITE, 778}};
    put(SH, MS(4) + 500, ET_REC_CLOSE, 0, &c5, sizeof(c5), NULL);
    put(SH, MS(4) + 500, ET_REC_CLOSE, 0, &c6, sizeof(c6), NULL);
    forked(SH, A, MS(5), MS(5) + 50000);
    forked(SH, B, MS(6), MS(6) + 50000);
    struct et_close c = {4, 0, {4, ET_PIPE_WRITE, 777}};
    put(SH, MS(7), ET_REC_CLOSE, 0, &c, sizeof(c), NULL);
    struct et_close c3 = {3, 0, {3, ET_PIPE_READ, 777}};
    put(SH, MS(7) + 1000, ET_REC_CLOSE, 0, &c3, sizeof(c3), NULL);
    struct et_pipe_end a_end[] = {{1, ET_PIPE_WRITE, 777}};
    struct et_pipe_end b_end[] = {{0, ET_PIPE_READ, 777}};
    execs(A, MS(8), "a", a_end, 1, SH.pid);
    execs(B, MS(9), "b", b_end, 1, SH.pid);
    exits(A, MS(20), 0);
    waits(SH, MS(10), MS(21), (int32_t)A.pid, 0);
    exits(B, MS(22), 0);
    waits(SH, MS(21) + 1000, MS(23), (int32_t)B.pid, 0);
    end(MS(24), 0);
}

/* A child exits at once and stays a zombie until its parent waits, 2 s later. */
static void zombie(void)
{
    begin();
    forked(SH, A, MS(4), MS(4) + 50000);
    exits(A, MS(10), 3);
    waits(SH, MS(2010), MS(2011), (int32_t)A.pid, 3 << 8);
    end(MS(2020), 0);
}

/* sh's child starts a grandchild and exits; the grandchild outlives both and
 * is reaped by exectrace, the subreaper that adopted it. */
static void orphan(void)
{
    begin();
    forked(SH, A, MS(4), MS(4) + 50000);
    forked(A, B, MS(5), MS(5) + 50000);
    exits(A, MS(6), 0);
    waits(SH, MS(5), MS(7), (int32_t)A.pid, 0);
    exits(SH, MS(8), 0);
    reaped(LAUNCHER, MS(9), SH, ET_REAPED_COMMAND, 0);
    exits(B, MS(300), 0);
    reaped(LAUNCHER, MS(301), B, ET_REAPED_ORPHAN, 0);
    run_end(LAUNCHER, MS(302), SH, 1);
}

/* A child reaped, then signalled: the signal finds no one. */
static void kill_after_reap(void)
{
    begin();
    forked(SH, A, MS(4), MS(4) + 50000);
    exits(A, MS(10), 0);
    waits(SH, MS(5), MS(11), (int32_t)A.pid, 0);
    kills(SH, MS(12), (int32_t)A.pid, 15, ESRCH);
    end(MS(13), 0);
}

/* Two children with the same pid, one after the other: two lanes. */
static void reused_pid(void)
{
    begin();
    struct pr again = {A.pid, 3500};
    forked(SH, A, MS(4), MS(4) + 50000);
    exits(A, MS(10), 0);
    waits(SH, MS(5), MS(11), (int32_t)A.pid, 0);
    forked(SH, again, MS(12), MS(12) + 50000);
    kills(SH, MS(13), (int32_t)A.pid, 15, 0);
    waits(SH, MS(14), MS(15), (int32_t)A.pid, 15);
    end(MS(16), 0);
}

/* ---- running export --------------------------------------------------------------- */

static void export_to(const char *format, const char *trace, const char *out)
{
    const char *const argv[] = {exectrace_bin(), "export", "--format", format, "-o", out, trace, NULL};
    struct captured c;
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    if (c.status != 0)
        fail_msg("export --format %s exited %d: %s", format, c.status, c.err);
    captured_free(&c);
}

static void compare_golden(const char *text, const char *name)
{
    char golden[512], why[1024];
    snprintf(golden, sizeof(golden), "%s/%s", GOLDEN_DIR, name);
    if (golden_compare(golden, text, why, sizeof(why)) != 0)
        fail_msg("%s", why);
}

/* The structure of a Chrome JSON export, as a viewer reads it. */
static const char chrome_checks[] =
    "ns = lambda us: round(float(us) * 1000)\n"
    "doc = docs[0]\n"
    "ev = doc['traceEvents']\n"
    "named = {e['pid'] for e in ev if e['ph'] == 'M' and e['name'] == 'process_name'}\n"
    "used = {e['pid'] for e in ev if e['ph'] != 'M'}\n"
    "assert used <= named, ('events of processes with no name', used - named)\n"
    "starts = {e['id']: e for e in ev if e['ph'] == 's'}\n"
    "ends = {e['id']: e for e in ev if e['ph'] == 'f'}\n"
    "assert starts.keys() == ends.keys(), 'every arrow has both ends'\n"
    "for i, s in starts.items():\n"
    "    assert ns(s['ts']) <= ns(ends[i]['ts']), ('an arrow goes back in time', s, ends[i])\n"
    "    assert ends[i].get('bp') == 'e'\n"
    "spans = {}\n"
    "for e in ev:\n"
    "    if e['ph'] == 'X':\n"
    "        assert ns(e['dur']) >= 0\n"
    "        spans.setdefault(e['pid'], []).append((ns(e['ts']), -ns(e['dur']), ns(e['ts']) + ns(e['dur'])))\n"
    "for pid, s in spans.items():\n"
    "    stack = []\n"
    "    for b, negdur, end in sorted(s):\n"
    "        while stack and stack[-1] <= b:\n"
    "            stack.pop()\n"
    "        assert not stack or end <= stack[-1], ('slices overlap without nesting', pid, b, end, stack)\n"
    "        stack.append(end)\n"
    "opened = {}\n"
    "for e in ev:\n"
    "    if e['ph'] in 'be':\n"
    "        opened.setdefault((e['id'], e['name']), []).append(e['ph'])\n"
    "for k, v in opened.items():\n"
    "    assert sorted(v) == ['b', 'e'], ('an async slice without its pair', k, v)\n";

static void check_chrome_json(const char *json)
{
    struct captured v;
    int ran = validate_json(EXECTRACE_SOURCE_DIR "/docs/chrome-trace.schema.json", json, false, chrome_checks, &v);
    assert_true(ran >= 0);
    if (ran == 1)
        skip(); /* python3-jsonschema is not installed: ./make.sh installs it */
    if (v.status != 0)
        fail_msg("the Chrome JSON export is not what a viewer expects:\n%s", v.err);
    captured_free(&v);
}

/* ---- reading the protobuf back, for its structure -------------------------------- */

struct reader {
    const uint8_t *p, *end;
};

static bool varint(struct reader *r, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0; shift < 64 && r->p < r->end; shift += 7) {
        uint8_t b = *r->p++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/* The next field: its number, wire type and value or bytes. */
static bool field(struct reader *r, unsigned *num, unsigned *wire, uint64_t *v, struct reader *bytes)
{
    uint64_t tag;
    if (r->p >= r->end || !varint(r, &tag))
        return false;
    *num = (unsigned)(tag >> 3);
    *wire = (unsigned)(tag & 7);
    if (*wire == 0)
        return varint(r, v);
    if (*wire == 1) {
        if (r->end - r->p < 8)
            return false;
        *v = 0;
        for (int i = 0; i < 8; i++)
            *v |= (uint64_t)r->p[i] << (8 * i);
        r->p += 8;
        return true;
    }
    if (*wire == 2) {
        uint64_t len;
        if (!varint(r, &len) || len > (uint64_t)(r->end - r->p))
            return false;
        *bytes = (struct reader){r->p, r->p + len};
        r->p += len;
        return true;
    }
    return false;
}

#define MAX_TRACKS 256
#define MAX_FLOWS 256

/* Every packet decodes; events name described tracks; begins and ends
 * balance per track and come in time order; each arrow leaves once and
 * lands once, no earlier than it left. */
static void check_perfetto(const uint8_t *data, size_t len, unsigned *tracks_out, unsigned *flows_out)
{
    struct reader trace = {data, data + len};
    uint64_t tracks[MAX_TRACKS];
    int depth[MAX_TRACKS] = {0};
    unsigned ntracks = 0, nflows = 0;
    struct {
        uint64_t id, from, to;
        bool left, landed;
    } flows[MAX_FLOWS];
    uint64_t last_ts = 0;
    unsigned num, wire;
    uint64_t v;
    struct reader packet;
    while (field(&trace, &num, &wire, &v, &packet)) {
        assert_int_equal(num, 1);
        uint64_t ts = 0, seq = 0;
        bool is_event = false;
        struct reader body, inner;
        while (field(&packet, &num, &wire, &v, &body)) {
            if (num == 8)
                ts = v;
            else if (num == 10)
                seq = v;
            else if (num == 60) {
                while (field(&body, &num, &wire, &v, &inner))
                    if (num == 1) {
                        assert_true(ntracks < MAX_TRACKS);
                        tracks[ntracks++] = v;
                    }
            } else if (num == 11) {
                is_event = true;
                uint64_t type = 0, track = 0;
                uint64_t out[4], in[4];
                unsigned nout = 0, nin = 0;
                while (field(&body, &num, &wire, &v, &inner)) {
                    if (num == 9)
                        type = v;
                    else if (num == 11)
                        track = v;
                    else if (num == 47 && nout < 4)
                        out[nout++] = v;
                    else if (num == 48 && nin < 4)
                        in[nin++] = v;
                }
                unsigned k = 0;
                while (k < ntracks && tracks[k] != track)
                    k++;
                if (k == ntracks)
                    fail_msg("an event on track %llu, which no descriptor describes", (unsigned long long)track);
                if (type == 1)
                    depth[k]++;
                else if (type == 2 && --depth[k] < 0)
                    fail_msg("a slice ends on track %llu that never began", (unsigned long long)track);
                for (unsigned i = 0; i < nout + nin; i++) {
                    uint64_t id = i < nout ? out[i] : in[i - nout];
                    unsigned f = 0;
                    while (f < nflows && flows[f].id != id)
                        f++;
                    if (f == nflows) {
                        assert_true(nflows < MAX_FLOWS);
                        flows[nflows++] = (typeof(flows[0])){id, 0, 0, false, false};
                    }
                    if (i < nout) {
                        assert_false(flows[f].left);
                        flows[f].left = true;
                        flows[f].from = ts;
                    } else {
                        assert_false(flows[f].landed);
                        flows[f].landed = true;
                        flows[f].to = ts;
                    }
                }
            }
        }
        assert_true(packet.p == packet.end);
        if (is_event) {
            assert_int_not_equal(seq, 0); /* Perfetto drops events without a sequence */
            if (ts < last_ts)
                fail_msg("events out of time order: %llu after %llu", (unsigned long long)ts,
                         (unsigned long long)last_ts);
            last_ts = ts;
        }
    }
    assert_true(trace.p == trace.end);
    for (unsigned k = 0; k < ntracks; k++)
        if (depth[k])
            fail_msg("track %llu has %d slice(s) never ended", (unsigned long long)tracks[k], depth[k]);
    for (unsigned f = 0; f < nflows; f++) {
        if (!flows[f].left || !flows[f].landed)
            fail_msg("arrow %llu has one end only", (unsigned long long)flows[f].id);
        if (flows[f].to < flows[f].from)
            fail_msg("arrow %llu lands before it leaves", (unsigned long long)flows[f].id);
    }
    *tracks_out = ntracks;
    *flows_out = nflows;
}

/* `protoc --decode` of the export against the test's description of the
 * fields, or NULL when protoc is not installed. */
static char *decoded(const char *pftrace)
{
    char *text = NULL;
    const char *const argv[] = {"sh", "-c", "command -v protoc >/dev/null || exit 77; exec protoc -I\"$1\" "
                                            "--decode=exectrace_test.Trace \"$2\" < \"$3\"",
                                "sh", EXECTRACE_SOURCE_DIR "/tests/export", "trace_subset.proto", pftrace, NULL};
    struct captured c;
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    if (c.status == 77) {
        captured_free(&c);
        return NULL;
    }
    if (c.status != 0)
        fail_msg("protoc cannot decode the export: %s", c.err);
    text = strdup(c.out);
    captured_free(&c);
    return text;
}

/* ---- the tests ------------------------------------------------------------------------- */

static void scenario(void (*make)(void), const char *name, unsigned min_lanes, unsigned min_flows)
{
    make();
    char out[1024];
    snprintf(out, sizeof(out), "%s.json", synth_path(S));
    export_to("chrome-json", synth_path(S), out);
    char *json = read_whole_file(out);
    assert_non_null(json);
    /* The file's own path is in it: name it the same every time. */
    char *at = strstr(json, synth_path(S));
    assert_non_null(at);
    char golden_name[128];
    snprintf(golden_name, sizeof(golden_name), "%s.json", name);
    char *stable = NULL;
    assert_true(asprintf(&stable, "%.*s%s%s", (int)(at - json), json, "TRACE", at + strlen(synth_path(S))) > 0);
    compare_golden(stable, golden_name);
    check_chrome_json(json);

    snprintf(out, sizeof(out), "%s.pftrace", synth_path(S));
    export_to("perfetto", synth_path(S), out);
    size_t len = 0;
    char *pb = read_whole_file_len(out, &len);
    assert_non_null(pb);
    unsigned tracks, flows;
    check_perfetto((const uint8_t *)pb, len, &tracks, &flows);
    if (tracks < 3 + min_lanes || flows < min_flows)
        fail_msg("%s: %u tracks and %u arrows, expected at least %u and %u", name, tracks, flows, 3 + min_lanes,
                 min_flows);
    char *text = decoded(out);
    if (text) {
        snprintf(golden_name, sizeof(golden_name), "%s.pftrace.txt", name);
        compare_golden(text, golden_name);
        free(text);
    }
    unlink(out);
    snprintf(out, sizeof(out), "%s.json", synth_path(S));
    unlink(out);
    free(stable);
    free(json);
    free(pb);
    synth_free(S);
    S = NULL;
    if (!text)
        skip(); /* protoc is not installed: ./make.sh installs protobuf-compiler */
}

static void a_pipeline(void **state)
{
    (void)state;
    scenario(pipeline, "pipeline", 4, 4);
}

static void a_zombie(void **state)
{
    (void)state;
    scenario(zombie, "zombie", 3, 3);
}

static void an_orphan_adopted_by_the_subreaper(void **state)
{
    (void)state;
    scenario(orphan, "orphan", 4, 5);
}

static void a_kill_after_reap(void **state)
{
    (void)state;
    scenario(kill_after_reap, "kill_after_reap", 3, 4);
}

static void a_reused_pid(void **state)
{
    (void)state;
    scenario(reused_pid, "reused_pid", 4, 5);
}

/* A real run: a shell pipeline and a killed child, exported both ways. */
static void a_real_run(void **state)
{
    (void)state;
    struct traced_run r;
    assert_int_equal(traced_run(&r, NULL, NULL,
                                (const char *const[]){"sh", "-c", "echo x | cat >/dev/null; sleep 5 & kill $!; wait",
                                                      NULL}),
                     0);
    char out[PATH_MAX + 16];
    snprintf(out, sizeof(out), "%s.json", r.trace_path);
    export_to("chrome-json", r.trace_path, out);
    char *json = read_whole_file(out);
    assert_non_null(json);
    check_chrome_json(json);
    free(json);
    snprintf(out, sizeof(out), "%s.pftrace", r.trace_path);
    export_to("perfetto", r.trace_path, out);
    size_t len = 0;
    char *pb = read_whole_file_len(out, &len);
    assert_non_null(pb);
    unsigned tracks, flows;
    check_perfetto((const uint8_t *)pb, len, &tracks, &flows);
    /* exectrace, sh, echo, cat, sleep; created, reaped, the kill. */
    assert_true(tracks >= 3 + 5);
    assert_true(flows >= 8);
    free(pb);
    traced_run_free(&r);
}

static void a_terminal_is_not_written_to_and_bad_formats_are_refused(void **state)
{
    (void)state;
    S = synth_new(LAUNCHER.pid, LAUNCHER.st);
    start(LAUNCHER, MS(1), ET_ORIGIN_LAUNCHER, 1, "exectrace", NULL, 0);
    const char *const bad[] = {exectrace_bin(), "export", "--format", "svg", synth_path(S), NULL};
    struct captured c;
    assert_int_equal(run_captured(bad, NULL, &c), 0);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "--format takes perfetto or chrome-json"));
    captured_free(&c);
    const char *const full[] = {"sh", "-c", "exec \"$0\" export --format chrome-json \"$1\" >/dev/full",
                                exectrace_bin(), synth_path(S), NULL};
    assert_int_equal(run_captured(full, NULL, &c), 0);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "could not write the output"));
    captured_free(&c);
    synth_free(S);
    S = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_pipeline),
        cmocka_unit_test(a_zombie),
        cmocka_unit_test(an_orphan_adopted_by_the_subreaper),
        cmocka_unit_test(a_kill_after_reap),
        cmocka_unit_test(a_reused_pid),
        cmocka_unit_test(a_real_run),
        cmocka_unit_test(a_terminal_is_not_written_to_and_bad_formats_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
