/*
 * `exectrace report`: the findings of a trace, most severe first, each with
 * its processes, the events that prove it, why it happens and how to fix it;
 * as text for people or as one JSON document (schema: docs/report.schema.json).
 */
#define _GNU_SOURCE
#include "report.h"
#include "sarif.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "decode.h"
#include "emit.h"
#include "findings.h"
#include "rules.h"
#include "names.h"
#include "output.h"
#include "symbols.h"

#define WRAP_WIDTH 78

struct report_options {
    bool json;
    bool sarif;
    int fail_on; /* lowest severity that makes the exit status 1; 3 = never */
    struct et_thresholds thresholds;
    int color;   /* -1 auto, 0 never, 1 always */
    int help_status; /* --help was printed: this is the exit status */
};

const char et_usage_report[] =
    "usage: exectrace report [--json | --sarif] [--fail-on LEVEL] [--zombie-ms N] [--held-pipe-ms N]\n"
          "                        [--orphan-ms N] [--color WHEN] FILE\n"
          "Explains what went wrong between the processes of a trace, and how to fix it.\n"
          "  --json            one JSON document (see docs/report.schema.json)\n"
          "  --sarif           SARIF 2.1.0, for code-scanning tools: a rule per kind, a result per finding\n"
          "  --fail-on LEVEL   exit 1 when a finding is at least this severe: error, warning (default),\n"
          "                    info, or never\n"
          "  --zombie-ms N     report children left unreaped this long (default 1000)\n"
          "  --held-pipe-ms N  report end-of-file delayed this long by a held pipe (default 100)\n"
          "  --orphan-ms N     report descendants outliving a killed process by this long (default 100)\n"
          "  --color WHEN      auto (default: when stdout is a terminal and NO_COLOR is unset), always, never\n"
          "Exit status: 0 nothing at or above --fail-on, 1 something was found, 2 usage or trace error.\n";

/* ---- text ------------------------------------------------------------------------ */

static void wrap(FILE *out, const char *label, const char *text, unsigned indent)
{
    unsigned col = indent + (unsigned)strlen(label);
    fprintf(out, "%*s%s", (int)indent, "", label);
    const char *p = text;
    bool first = true;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t word = strcspn(p, " ");
        if (!word)
            break;
        if (!first && col + 1 + word > WRAP_WIDTH) {
            fprintf(out, "\n%*s", (int)(indent + strlen(label)), "");
            col = indent + (unsigned)strlen(label);
        } else if (!first) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, word, out);
        col += (unsigned)word;
        p += word;
        first = false;
    }
    fputc('\n', out);
}

static const char *severity_color(unsigned severity)
{
    return severity == ET_SEV_ERROR ? "\033[1;31m" : severity == ET_SEV_WARNING ? "\033[1;33m" : "\033[1;36m";
}

/* Call sites, loaded only when a finding's evidence has one to show. */
static struct et_symbols *symbols_for_evidence(const struct et_findings *F, struct et_trace *t)
{
    for (size_t i = 0; i < F->n; i++)
        for (uint32_t k = 0; k < F->v[i].nevidence; k++) {
            const uint64_t *pc;
            struct et_stack_trailer trailer;
            const struct et_record *r = F->v[i].evidence[k];
            if ((et_record_stack(r, &pc, &trailer) && trailer.frames) || r->type == ET_REC_WAIT_RETURN)
                return et_symbols_load(t);
        }
    return NULL;
}

/* How many frames of a call site the text report shows. */
#define CALL_SITE_FRAMES 3

static void print_text(FILE *out, const char *path, const struct et_model *m, const struct et_findings *F,
                       const struct et_trace *t, bool color, struct et_symbols *symbols)
{
    size_t counts[3] = {0};
    for (size_t i = 0; i < F->n; i++)
        counts[F->v[i].severity]++;
    size_t processes = 0;
    for (size_t i = 0; i < m->nprocs; i++)
        if (!(m->procs[i].flags & ET_PF_LAUNCHER))
            processes++;
    fprintf(out, "exectrace report: %s: %zu process%s, %" PRIu64 " events", path, processes,
            processes == 1 ? "" : "es", m->records);
    if (t->hdr->records_dropped)
        fprintf(out, ", %" PRIu64 " dropped (the trace file was full)", (uint64_t)t->hdr->records_dropped);
    fputc('\n', out);
    char history[512];
    if (et_model_history(m, history, sizeof(history)))
        fprintf(out, "%s\n", history);
    if (!F->n && m->snapshot) {
        fputs("No findings: nothing in the snapshot is blocked on something exectrace recognises. What each process "
              "was doing is in the snapshot records: exectrace events FILE | grep snapshot\n",
              out);
        return;
    }
    if (!F->n) {
        fputs("No findings: nothing went wrong between the processes of this trace.\n", out);
        return;
    }
    fprintf(out, "%zu finding%s: %zu error%s, %zu warning%s, %zu info\n", F->n,
            F->n == 1 ? "" : "s", counts[2], counts[2] == 1 ? "" : "s", counts[1], counts[1] == 1 ? "" : "s",
            counts[0]);

    int section = -1;
    for (size_t i = 0; i < F->n; i++) {
        const struct et_finding *f = &F->v[i];
        if (f->severity != section) {
            section = f->severity;
            static const char *const titles[] = {"Info", "Warnings", "Errors"};
            fprintf(out, "\n== %s\n", titles[section]);
        }
        fputc('\n', out);
        if (color)
            fprintf(out, "%s%s\033[0m %s\n", severity_color(f->severity), et_severity_name(f->severity),
                    et_finding_kind_name(f->kind));
        else
            fprintf(out, "%s %s\n", et_severity_name(f->severity), et_finding_kind_name(f->kind));
        wrap(out, "", f->message, 2);
        if (f->basis)
            wrap(out, "basis: ", f->basis, 2);
        if (f->nprocs) {
            fputs("  processes:\n", out);
            for (uint32_t k = 0; k < f->nprocs; k++) {
                char label[256];
                fprintf(out, "    %s\n", et_proc_label(m, f->procs[k], label, sizeof(label)));
            }
        }
        if (f->nevidence) {
            fputs("  evidence:\n", out);
            for (uint32_t k = 0; k < f->nevidence; k++) {
                struct et_decoded d;
                et_decode(f->evidence[k], NULL, &d);
                fputs("    ", out);
                et_emit_text_line(out, t->hdr->anchor_monotonic_ns, &d, NULL);
                if (symbols)
                    et_print_call_site(out, symbols, f->evidence[k], CALL_SITE_FRAMES);
            }
        }
        wrap(out, "why: ", et_finding_explanation(f->kind), 2);
        char fix[2048];
        wrap(out, "fix: ", et_finding_fix_for(m, f, fix, sizeof(fix)), 2);
    }
}

/* ---- JSON ------------------------------------------------------------------------ */

/* Seconds since the trace began, to the microsecond. */
static void json_when(struct et_json *j, const struct et_trace *t, uint64_t ts)
{
    et_json_seconds(j, (int64_t)(ts - t->hdr->anchor_monotonic_ns), 6);
}

static void json_pid_of(struct et_json *j, const struct et_model *m, int32_t proc)
{
    if (proc != ET_NO_PROC)
        et_json_uint(j, m->procs[proc].pid);
    else
        et_json_null(j);
}

static void print_json_process(struct et_json *j, const struct et_model *m, const struct et_trace *t, size_t i)
{
    const struct et_proc *p = &m->procs[i];
    et_json_object(j);
    et_json_key(j, "pid");
    et_json_uint(j, p->pid);
    et_json_key(j, "start_time");
    et_json_uint(j, p->start_time);
    et_json_key(j, "parent_pid");
    json_pid_of(j, m, p->parent);
    et_json_key(j, "command");
    et_json_cstr(j, et_proc_command(p));
    et_json_key(j, "images");
    et_json_array(j);
    for (const struct et_image *img = p->images; img; img = img->next) {
        et_json_object(j);
        et_json_key(j, "t");
        json_when(j, t, img->ts);
        et_json_key(j, "command");
        et_json_cstr(j, img->command ? img->command : "?");
        et_json_key(j, "exe");
        et_json_cstr(j, img->exe);
        et_json_end(j);
    }
    et_json_end(j);
    et_json_key(j, "traced");
    et_json_bool(j, p->flags & ET_PF_TRACED);
    et_json_key(j, "launcher");
    et_json_bool(j, p->flags & ET_PF_LAUNCHER);
    et_json_key(j, "start");
    json_when(j, t, p->begin_ts);
    static const char *const ends[] = {"running", "exited", "killed", "unknown"};
    et_json_key(j, "ended");
    et_json_cstr(j, (p->flags & ET_PF_END_UNSEEN) ? "unknown" : ends[p->end_how < 4 ? p->end_how : 3]);
    et_json_key(j, "end");
    if (p->flags & ET_PF_ENDED)
        json_when(j, t, p->end_ts);
    else
        et_json_null(j);
    et_json_key(j, "end_exact");
    et_json_bool(j, p->end_ts_exact);
    et_json_key(j, "exit_code");
    if (p->end_how == ET_END_EXITED)
        et_json_int(j, p->exit_code);
    else
        et_json_null(j);
    et_json_key(j, "signal");
    char sig[32];
    et_json_cstr(j, p->end_how == ET_END_KILLED ? et_signal_name(p->term_signal, sig, sizeof(sig)) : NULL);
    et_json_key(j, "reaped_by");
    int32_t unseen = et_proc_unseen_reaper(m, (int32_t)(p - m->procs));
    json_pid_of(j, m, unseen != ET_NO_PROC ? unseen : p->reaper);
    et_json_key(j, "reaped_at");
    if (p->flags & ET_PF_REAPED)
        json_when(j, t, p->reap_ts);
    else
        et_json_null(j);
    et_json_key(j, "reaped_by_kernel");
    et_json_bool(j, p->reaped_by_kernel);
    et_json_key(j, "orphaned");
    et_json_bool(j, p->flags & ET_PF_ORPHANED);
    et_json_key(j, "adopted_by");
    json_pid_of(j, m, p->adopter);
    et_json_end(j);
}

/* One record under a finding: the line `events` prints for it (without its
 * time and pid), its fields as `events --json` writes them, its stack. */
static void print_json_evidence(struct et_json *j, const struct et_trace *t, const struct et_record *r,
                                struct et_symbols *symbols)
{
    struct et_decoded d;
    et_decode(r, NULL, &d);
    et_json_object(j);
    et_json_key(j, "t");
    json_when(j, t, r->ts_ns);
    et_json_key(j, "pid");
    et_json_uint(j, r->pid);
    et_json_key(j, "tid");
    et_json_uint(j, r->tid);
    et_json_key(j, "event");
    et_json_cstr(j, d.event);
    et_json_key(j, "text");
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        et_emit_text_body(mem, &d);
        fclose(mem);
    }
    et_json_str(j, text ? text : "", text ? len : 0);
    free(text);
    et_json_key(j, "fields");
    et_json_object(j);
    et_emit_json_fields(j, &d);
    et_json_end(j);
    et_json_key(j, "stack");
    if (symbols) {
        et_json_stack(j, symbols, r);
    } else {
        et_json_array(j);
        et_json_end(j);
    }
    et_json_end(j);
}

static void print_json(FILE *out, const char *path, const struct et_model *m, const struct et_findings *F,
                       const struct et_trace *t, struct et_symbols *symbols)
{
    const struct et_file_header *h = t->hdr;
    struct et_json j;
    et_json_init(&j, out);
    et_json_object(&j);
    et_json_key(&j, "version");
    et_json_int(&j, 1);
    et_json_key(&j, "trace");
    et_json_object(&j);
    et_json_key(&j, "path");
    et_json_cstr(&j, path);
    char format[32];
    snprintf(format, sizeof(format), "%u.%u", h->version_major, h->version_minor);
    et_json_key(&j, "format");
    et_json_cstr(&j, format);
    char writer[sizeof(h->writer_version) + 1] = "";
    if (h->version_minor >= 6 || h->version_major > 1)
        memcpy(writer, h->writer_version, sizeof(h->writer_version));
    et_json_key(&j, "writer_version");
    et_json_cstr(&j, writer[0] ? writer : NULL);
    time_t secs = (time_t)(h->anchor_realtime_ns / 1000000000u);
    struct tm tm;
    char started[64] = "";
    if (gmtime_r(&secs, &tm))
        strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
    et_json_key(&j, "started_at");
    et_json_cstr(&j, started);
    et_json_key(&j, "launcher_pid");
    et_json_uint(&j, h->launcher_pid);
    et_json_key(&j, "records");
    et_json_uint(&j, m->records);
    et_json_key(&j, "dropped");
    et_json_uint(&j, h->records_dropped);
    et_json_key(&j, "incomplete");
    et_json_uint(&j, t->incomplete);
    et_json_key(&j, "duration_s");
    et_json_seconds(&j, m->last_ts > m->first_ts ? (int64_t)(m->last_ts - m->first_ts) : 0, 6);
    et_json_key(&j, "damage");
    et_json_cstr(&j, t->problems ? t->diag : NULL);
    et_json_key(&j, "ring");
    if (t->ring) {
        et_json_object(&j);
        et_json_key(&j, "bytes");
        et_json_uint(&j, (uint64_t)h->ring_slot_count * ET_RING_SLOT_BYTES);
        et_json_key(&j, "laps");
        et_json_uint(&j, t->ring_claimed_slots / h->ring_slot_count);
        et_json_key(&j, "complete_from");
        if (m->history_from_ns && m->history_from_ns != UINT64_MAX)
            et_json_seconds(&j, (int64_t)(m->history_from_ns - h->anchor_monotonic_ns), 6);
        else if (m->history_from_ns)
            et_json_null(&j);
        else
            et_json_int(&j, 0);
        et_json_key(&j, "records_before_complete");
        et_json_uint(&j, m->records_before_history);
        et_json_key(&j, "records_overwritten");
        et_json_uint(&j, h->ring_records_overwritten);
        et_json_key(&j, "bytes_overwritten");
        et_json_uint(&j, h->ring_bytes_overwritten);
        et_json_key(&j, "busy_skips");
        et_json_uint(&j, h->ring_busy_skips);
        et_json_end(&j);
    } else {
        et_json_null(&j);
    }
    et_json_end(&j);

    et_json_key(&j, "processes");
    et_json_array(&j);
    for (size_t i = 0; i < m->nprocs; i++)
        print_json_process(&j, m, t, i);
    et_json_end(&j);

    et_json_key(&j, "findings");
    et_json_array(&j);
    for (size_t i = 0; i < F->n; i++) {
        const struct et_finding *f = &F->v[i];
        et_json_object(&j);
        et_json_key(&j, "kind");
        et_json_cstr(&j, et_finding_kind_name(f->kind));
        et_json_key(&j, "severity");
        et_json_cstr(&j, et_severity_name(f->severity));
        et_json_key(&j, "t");
        json_when(&j, t, f->ts);
        et_json_key(&j, "pids");
        et_json_array(&j);
        for (uint32_t k = 0; k < f->nprocs; k++)
            et_json_uint(&j, m->procs[f->procs[k]].pid);
        et_json_end(&j);
        et_json_key(&j, "message");
        et_json_cstr(&j, f->message);
        et_json_key(&j, "basis");
        et_json_cstr(&j, f->basis ? f->basis : "");
        et_json_key(&j, "explanation");
        et_json_cstr(&j, et_finding_explanation(f->kind));
        char fix[2048];
        et_json_key(&j, "fix");
        et_json_cstr(&j, et_finding_fix_for(m, f, fix, sizeof(fix)));
        et_json_key(&j, "evidence");
        et_json_array(&j);
        for (uint32_t k = 0; k < f->nevidence; k++)
            print_json_evidence(&j, t, f->evidence[k], symbols);
        et_json_end(&j);
        et_json_end(&j);
    }
    et_json_end(&j);
    et_json_end(&j);
    fputc('\n', out);
}

/* ---- the command ------------------------------------------------------------------ */

static int parse_ms(const char *arg, const char *name, uint64_t *ns)
{
    long v;
    if (et_parse_long(arg, 0, 86400000L, &v) < 0)
        return et_usage_error("report", name);
    *ns = (uint64_t)v * 1000000u;
    return 0;
}

static int parse_report_options(int argc, char **argv, struct report_options *o)
{
    static const struct option options[] = {{"json", no_argument, NULL, 'j'},
                                            {"sarif", no_argument, NULL, 'S'},
                                            {"fail-on", required_argument, NULL, 'f'},
                                            {"zombie-ms", required_argument, NULL, 'z'},
                                            {"held-pipe-ms", required_argument, NULL, 'p'},
                                            {"orphan-ms", required_argument, NULL, 'o'},
                                            {"color", required_argument, NULL, 'c'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+jh", options, NULL)) != -1) {
        switch (c) {
        case 'j':
            o->json = true;
            break;
        case 'S':
            o->sarif = true;
            break;
        case 'f':
            o->fail_on = strcmp(optarg, "never") == 0 ? 3 : et_severity_parse(optarg);
            if (o->fail_on < 0)
                return et_usage_error("report", "--fail-on takes error, warning, info or never");
            break;
        case 'z':
            if (parse_ms(optarg, "--zombie-ms takes milliseconds", &o->thresholds.zombie_ns))
                return ET_EXIT_USAGE;
            break;
        case 'p':
            if (parse_ms(optarg, "--held-pipe-ms takes milliseconds", &o->thresholds.held_pipe_ns))
                return ET_EXIT_USAGE;
            break;
        case 'o':
            if (parse_ms(optarg, "--orphan-ms takes milliseconds", &o->thresholds.orphan_ns))
                return ET_EXIT_USAGE;
            break;
        case 'c':
            if (strcmp(optarg, "auto") == 0)
                o->color = -1;
            else if (strcmp(optarg, "always") == 0)
                o->color = 1;
            else if (strcmp(optarg, "never") == 0)
                o->color = 0;
            else
                return et_usage_error("report", "--color takes auto, always or never");
            break;
        case 'h':
            o->help_status = et_help("report");
            return ET_HELP_SHOWN;
        default:
            return et_bad_usage("report");
        }
    }
    if (o->json && o->sarif)
        return et_usage_error("report", "--json and --sarif are two outputs: choose one");
    if (optind != argc - 1) {
        return et_bad_usage("report");
    }
    return 0;
}

int et_load_analysis(const char *path, struct et_trace *t, struct et_analysis *a, const struct et_thresholds *th)
{
    if (et_trace_open(t, path) < 0) {
        et_report_trace_problem(path, t);
        return -EINVAL;
    }
    if (et_analyze(a, t, th) < 0) {
        fprintf(stderr, "exectrace: %s: out of memory\n", path);
        et_analysis_free(a);
        et_trace_close(t);
        return -ENOMEM;
    }
    return 0;
}

int et_cmd_report(int argc, char **argv)
{
    struct report_options o = {.fail_on = ET_SEV_WARNING, .color = -1};
    et_default_thresholds(&o.thresholds);
    int ret = parse_report_options(argc, argv, &o);
    if (ret)
        return ret == ET_HELP_SHOWN ? o.help_status : ret;
    const char *path = argv[optind];

    struct et_trace t;
    struct et_analysis a;
    if (et_load_analysis(path, &t, &a, &o.thresholds) < 0)
        return ET_EXIT_BAD_TRACE;
    et_findings_sort(&a.findings);
    bool color = o.color == 1 || (o.color == -1 && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
    struct et_symbols *symbols = symbols_for_evidence(&a.findings, &t);
    if (o.json)
        print_json(stdout, path, &a.model, &a.findings, &t, symbols);
    else if (o.sarif)
        et_print_sarif(stdout, path, &a.model, &a.findings, symbols);
    else
        print_text(stdout, path, &a.model, &a.findings, &t, color, symbols);
    int status = et_finish_output(stdout, "report");
    et_symbols_free(symbols);

    for (size_t i = 0; !status && i < a.findings.n; i++)
        if (o.fail_on <= 2 && a.findings.v[i].severity >= o.fail_on)
            status = 1;
    et_analysis_free(&a);
    return et_finish_trace_command(path, &t, status);
}

int et_report_to(FILE *out, const char *path, int fail_on, enum et_report_format format)
{
    struct et_thresholds th;
    et_default_thresholds(&th);
    struct et_trace t;
    struct et_analysis a;
    if (et_load_analysis(path, &t, &a, &th) < 0)
        return ET_EXIT_BAD_TRACE;
    et_findings_sort(&a.findings);
    struct et_symbols *symbols = symbols_for_evidence(&a.findings, &t);
    if (format == ET_REPORT_JSON)
        print_json(out, path, &a.model, &a.findings, &t, symbols);
    else if (format == ET_REPORT_SARIF)
        et_print_sarif(out, path, &a.model, &a.findings, symbols);
    else
        print_text(out, path, &a.model, &a.findings, &t, isatty(fileno(out)) && !getenv("NO_COLOR"), symbols);
    int status = et_finish_output(out, "report");
    et_symbols_free(symbols);
    for (size_t i = 0; !status && i < a.findings.n; i++)
        if (fail_on <= 2 && a.findings.v[i].severity >= fail_on)
            status = 1;
    et_analysis_free(&a);
    return et_finish_trace_command(path, &t, status);
}
