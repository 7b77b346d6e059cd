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
#include "scenarios.h"
#include "synth.h"

#define GOLDEN_DIR EXECTRACE_SOURCE_DIR "/tests/golden/export"
#define SUBSET_PROTO EXECTRACE_SOURCE_DIR "/tests/export/trace_subset.proto"

static struct synth *S;

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

static void scenario(const char *name)
{
    const struct picture_scenario *sc = picture_scenario_named(name);
    assert_non_null(sc);
    unsigned min_lanes = sc->lanes, min_flows = sc->min_flows;
    S = picture_scenario_make(sc);
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
    scenario("pipeline");
}

static void a_zombie(void **state)
{
    (void)state;
    scenario("zombie");
}

static void an_orphan_adopted_by_the_subreaper(void **state)
{
    (void)state;
    scenario("orphan");
}

static void a_kill_after_reap(void **state)
{
    (void)state;
    scenario("kill_after_reap");
}

static void a_reused_pid(void **state)
{
    (void)state;
    scenario("reused_pid");
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
    S = picture_scenario_launcher_only();
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
