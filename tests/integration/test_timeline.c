/*
 * `exectrace timeline`: the HTML page for the small hand-made scenarios (a
 * pipeline, a zombie, an orphan adopted by the subreaper, a kill after reap,
 * a reused pid) compared with golden files, checked for its structure, and
 * opened in headless Chromium, where a person's clicks and keys must do what
 * the page promises (tests/browser/timeline_check.py).  A real run of the
 * demo is drawn too, and its screenshot left in the build directory.
 *
 * EXECTRACE_UPDATE_GOLDEN=1 rewrites the golden files from this build.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "scenarios.h"
#include "synth.h"

#define GOLDEN_DIR EXECTRACE_SOURCE_DIR "/tests/golden/timeline"
#define BROWSER_CHECK EXECTRACE_SOURCE_DIR "/tests/browser/timeline_check.py"
#define BROWSER_MISSING 77

static void timeline_to(const char *trace, const char *out)
{
    const char *const argv[] = {exectrace_bin(), "timeline", "-o", out, trace, NULL};
    struct captured c;
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    if (c.status != 0)
        fail_msg("timeline exited %d: %s", c.status, c.err);
    captured_free(&c);
}

static size_t count(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

/* The findings `report --json` gives for the trace. */
static unsigned findings_of(const char *trace)
{
    const char *const argv[] = {exectrace_bin(), "report", "--json", "--fail-on", "never", trace, NULL};
    struct captured c;
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    assert_int_equal(c.status, 0);
    unsigned n = (unsigned)count(c.out, "\"severity\":\"");
    captured_free(&c);
    return n;
}

/* The page without the built-in style and script (the same in every page)
 * and with the trace's path as TRACE: what the golden file holds. */
static char *stable_page(const char *html, const char *trace)
{
    char *s = strdup(html);
    assert_non_null(s);
    static const char *const cut[][2] = {{"<style>\n", "</style>"}, {"<script>\n", "</script>"}};
    for (size_t i = 0; i < 2; i++) {
        char *from = strstr(s, cut[i][0]);
        assert_non_null(from);
        from += strlen(cut[i][0]);
        char *to = strstr(from, cut[i][1]);
        assert_non_null(to);
        memmove(from, to, strlen(to) + 1);
    }
    for (char *at; (at = strstr(s, trace)) != NULL;) {
        char *next = NULL;
        assert_true(asprintf(&next, "%.*sTRACE%s", (int)(at - s), s, at + strlen(trace)) > 0);
        free(s);
        s = next;
    }
    return s;
}

/* What can be checked without a browser: lanes, arrows that never point
 * back in time, nothing to load from anywhere. */
static void check_structure(const char *html, unsigned lanes)
{
    char want[64];
    snprintf(want, sizeof(want), "data-lanes=\"%u\"", lanes);
    assert_non_null(strstr(html, want));
    assert_int_equal(count(html, "<g class=\"lane\""), lanes);
    assert_int_equal(count(html, "<text class=\"label\""), lanes);
    assert_non_null(strstr(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"));
    /* The only URL is the SVG namespace's name (in the markup and the
     * script), which is never fetched. */
    assert_int_equal(count(html, "http://") + count(html, "https://"), count(html, "http://www.w3.org/2000/svg"));
    assert_null(strstr(html, " src="));
    assert_null(strstr(html, " href="));
    for (const char *p = html; (p = strstr(p, "<path class=\"flow ")) != NULL; p++) {
        const char *d = strstr(p, " d=\"M");
        assert_non_null(d);
        double x0 = strtod(d + 5, NULL), x1 = x0;
        const char *end = strchr(d + 5, '"');
        for (const char *q = d + 5; q < end; q++)
            if (*q == 'L' || *q == 'M')
                x1 = strtod(q + 1, NULL);
        if (x1 < x0)
            fail_msg("an arrow points back in time: %.*s", (int)(end - p), p);
    }
}

/* tests/browser/timeline_check.py on the page: 0 when it passed, 77 when
 * there is no browser to run. */
static int in_a_browser(const char *page, unsigned lanes, unsigned findings, const char *screenshot)
{
    char lanes_arg[32], findings_arg[32];
    snprintf(lanes_arg, sizeof(lanes_arg), "%u", lanes);
    snprintf(findings_arg, sizeof(findings_arg), "%u", findings);
    const char *argv[16] = {"/usr/bin/python3", BROWSER_CHECK, page, "--findings", findings_arg};
    size_t n = 5;
    if (lanes) {
        argv[n++] = "--lanes";
        argv[n++] = lanes_arg;
    }
    if (screenshot) {
        argv[n++] = "--screenshot";
        argv[n++] = screenshot;
    }
    argv[n] = NULL;
    if (access("/usr/bin/python3", X_OK) != 0)
        return BROWSER_MISSING;
    struct captured c;
    assert_int_equal(run_captured(argv, NULL, &c), 0);
    int status = c.status;
    if (status != 0 && status != BROWSER_MISSING)
        fail_msg("the page failed in the browser:\n%s", c.err);
    if (status == BROWSER_MISSING)
        fprintf(stderr, "%s", c.err);
    captured_free(&c);
    return status;
}

static void scenario(const char *name)
{
    const struct picture_scenario *sc = picture_scenario_named(name);
    assert_non_null(sc);
    struct synth *S = picture_scenario_make(sc);
    const char *trace = synth_path(S);
    char page[1024], again[1024];
    snprintf(page, sizeof(page), "%s.html", trace);
    snprintf(again, sizeof(again), "%s.again.html", trace);
    timeline_to(trace, page);
    timeline_to(trace, again);
    size_t len = 0, len_again = 0;
    char *html = read_whole_file_len(page, &len), *html_again = read_whole_file_len(again, &len_again);
    assert_non_null(html);
    assert_non_null(html_again);
    /* Identical input, identical page. */
    assert_true(len == len_again && memcmp(html, html_again, len) == 0);
    check_structure(html, sc->lanes);
    if (count(html, "<path class=\"flow ") < sc->min_flows)
        fail_msg("%s: fewer than %u arrows", name, sc->min_flows);

    char *stable = stable_page(html, trace);
    char golden[512], why[1024];
    snprintf(golden, sizeof(golden), "%s/%s.html", GOLDEN_DIR, name);
    if (golden_compare(golden, stable, why, sizeof(why)) != 0)
        fail_msg("%s", why);

    int browser = in_a_browser(page, sc->lanes, findings_of(trace), NULL);
    free(stable);
    free(html);
    free(html_again);
    unlink(page);
    unlink(again);
    synth_free(S);
    if (browser == BROWSER_MISSING)
        skip(); /* no chromium or python3-websocket: ./make.sh installs them */
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

/* The demo's bug, run for real: python3 waits on a pipe that a killed
 * shell's child still holds.  Its screenshot is left for a person. */
static void the_demo_in_a_browser(void **state)
{
    (void)state;
    struct traced_run r;
    assert_int_equal(traced_run(&r, NULL, NULL,
                                (const char *const[]){"python3", EXECTRACE_SOURCE_DIR
                                                      "/examples/held-pipe/python_timeout_holds_pipe.py",
                                                      NULL}),
                     0);
    char page[PATH_MAX + 16];
    snprintf(page, sizeof(page), "%s.html", r.trace_path);
    timeline_to(r.trace_path, page);
    char *html = read_whole_file(page);
    assert_non_null(html);
    /* python3, sh -c and sleep are there, whatever else python3 starts. */
    assert_non_null(strstr(html, "(sleep 3)"));
    assert_non_null(strstr(html, "held-pipe"));
    unsigned findings = findings_of(r.trace_path);
    assert_true(findings >= 1);
    int browser = in_a_browser(page, 0, findings, EXECTRACE_BUILD_DIR "/timeline-demo.png");
    if (browser == 0) {
        assert_int_equal(access(EXECTRACE_BUILD_DIR "/timeline-demo.png", R_OK), 0);
        fprintf(stderr, "the demo's timeline, as a browser shows it: %s\n", EXECTRACE_BUILD_DIR "/timeline-demo.png");
    }
    free(html);
    traced_run_free(&r);
    if (browser == BROWSER_MISSING)
        skip(); /* no chromium or python3-websocket: ./make.sh installs them */
}

/* A hang (the pipe-deadlock example: a parent in wait4 on a child blocked
 * writing to a full pipe): the wait never returns before exectrace kills
 * the tree, and the page must show it blocked to its end. */
static void a_wait_that_never_returned(void **state)
{
    (void)state;
    static const char *const options[] = {"--hang-after", "1", "--kill-after-report", NULL};
    struct traced_run r;
    assert_int_equal(traced_run(&r, options, NULL, (const char *const[]){EXECTRACE_BUILD_DIR "/examples/pipe-deadlock/pipe_deadlock", NULL}), 0);
    char page[PATH_MAX + 16];
    snprintf(page, sizeof(page), "%s.html", r.trace_path);
    timeline_to(r.trace_path, page);
    char *html = read_whole_file(page);
    assert_non_null(html);
    /* A wait band reaching the last tenth of the plot (1000 units wide). */
    bool found = false;
    for (const char *p = html; (p = strstr(p, "<rect class=\"wait\" x=\"")) != NULL; p++) {
        double x = strtod(p + strlen("<rect class=\"wait\" x=\""), NULL);
        const char *w = strstr(p, "width=\"");
        if (w && x + strtod(w + 7, NULL) > 900)
            found = true;
    }
    assert_true(found);
    assert_non_null(strstr(html, "still blocked when the process ended"));
    free(html);
    traced_run_free(&r);
}

/* A damaged trace still gives its page, and says so; output that cannot be
 * written and a missing trace are errors, not crashes. */
static void bad_input_and_output(void **state)
{
    (void)state;
    struct synth *S = picture_scenario_make(&picture_scenarios[0]);
    const char *trace = synth_path(S);
    char cut[1024], page[1024];
    snprintf(cut, sizeof(cut), "%s.cut", trace);
    snprintf(page, sizeof(page), "%s.cut.html", trace);
    /* The whole header and part of the records. */
    size_t len = 0;
    char *bytes = read_whole_file_len(trace, &len);
    assert_non_null(bytes);
    size_t keep = 0;
    for (size_t i = 0; i < len; i++)
        if (bytes[i])
            keep = i + 1; /* the records end where the zeros begin */
    FILE *f = fopen(cut, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, keep - 9, f), keep - 9);
    assert_int_equal(fclose(f), 0);
    free(bytes);

    const char *const damaged[] = {exectrace_bin(), "timeline", "-o", page, cut, NULL};
    struct captured c;
    assert_int_equal(run_captured(damaged, NULL, &c), 0);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, cut));
    captured_free(&c);
    char *html = read_whole_file(page);
    assert_non_null(html);
    assert_non_null(strstr(html, "</html>"));
    assert_true(count(html, "<g class=\"lane\"") >= 3);
    free(html);

    const char *const full[] = {"sh", "-c", "exec \"$0\" timeline -o - \"$1\" >/dev/full", exectrace_bin(), trace,
                                NULL};
    assert_int_equal(run_captured(full, NULL, &c), 0);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "could not write the output"));
    captured_free(&c);

    const char *const no_trace[] = {exectrace_bin(), "timeline", NULL};
    assert_int_equal(run_captured(no_trace, NULL, &c), 0);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "usage: exectrace timeline"));
    captured_free(&c);
    const char *const help[] = {exectrace_bin(), "timeline", "--help", NULL};
    assert_int_equal(run_captured(help, NULL, &c), 0);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "self-contained HTML page"));
    captured_free(&c);

    const char *const missing[] = {exectrace_bin(), "timeline", "/nonexistent/trace", NULL};
    assert_int_equal(run_captured(missing, NULL, &c), 0);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "/nonexistent/trace"));
    captured_free(&c);
    unlink(cut);
    unlink(page);
    synth_free(S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_pipeline),
        cmocka_unit_test(a_zombie),
        cmocka_unit_test(an_orphan_adopted_by_the_subreaper),
        cmocka_unit_test(a_kill_after_reap),
        cmocka_unit_test(a_reused_pid),
        cmocka_unit_test(the_demo_in_a_browser),
        cmocka_unit_test(a_wait_that_never_returned),
        cmocka_unit_test(bad_input_and_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
