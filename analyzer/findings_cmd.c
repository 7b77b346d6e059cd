/*
 * `exectrace findings`: the catalogue of finding kinds, what each means,
 * the rule that sets its severity, why it happens and how to fix it, as
 * text, or (--man) as the source of the exectrace-findings(7) manual page,
 * so that the page and the analyzer cannot disagree.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "exectrace/version.h"
#include "findings.h"

const char et_usage_findings[] =
    "usage: exectrace findings [--man]\n"
          "Lists every kind of finding: what it means, what sets its severity, why it happens, the fix.\n"
          "  --man   the same as the source of the exectrace-findings(7) manual page\n";

/* Text for roff: a leading dot or quote would be a request, a backslash an
 * escape, a hyphen a hyphen (not a minus) is fine as it is. */
static void roff_text(FILE *out, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", out);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", out);
        else if (*s == '-')
            fputs("\\-", out);
        else if (*s == '`')
            continue; /* the catalogue's code quotes; roff has none */
        else
            fputc(*s, out);
    }
    fputc('\n', out);
}

static void print_man(FILE *out)
{
    fprintf(out, ".TH EXECTRACE-FINDINGS 7 \"\" \"exectrace %s\" \"exectrace\"\n", EXECTRACE_VERSION);
    fputs(".SH NAME\n", out);
    fputs("exectrace\\-findings \\- the bugs between processes that exectrace reports, and their fixes\n", out);
    fputs(".SH DESCRIPTION\n", out);
    fputs("Each finding of \\fBexectrace report\\fR has a kind, a severity, the processes involved, the events "
          "that prove it with their call sites, and a basis: what was observed that put it at its severity.\n",
          out);
    fputs(".PP\nSeverities are evidence.\n.TP\n.B error\nharm observed in this run: a reader seen blocked on a "
          "pipe past its writer's end, a status lost to ECHILD, a signal that reached a reaped pid, a "
          "deadlock.\n.TP\n.B warning\nthe bug's preconditions observed, and harm likely under other timing; or "
          "harm the trace cannot confirm.\n.TP\n.B info\na latent pattern worth knowing.\n",
          out);
    fputs(".SH KINDS\n", out);
    for (unsigned k = 0; k < ET_FK_COUNT; k++) {
        fprintf(out, ".SS %s\n", et_finding_kind_name(k));
        roff_text(out, et_finding_summary(k));
        fputs(".TP\n.B Severity\n", out);
        roff_text(out, et_finding_levels(k));
        fputs(".TP\n.B Why\n", out);
        roff_text(out, et_finding_explanation(k));
        fputs(".TP\n.B Fix\n", out);
        roff_text(out, et_finding_fix(k));
    }
    fputs(".SH SEE ALSO\n.BR exectrace (1)\n", out);
}

static void print_text(FILE *out)
{
    for (unsigned k = 0; k < ET_FK_COUNT; k++) {
        fprintf(out, "%s%s\n  %s\n  severity: %s\n  why: %s\n  fix: %s\n", k ? "\n" : "", et_finding_kind_name(k),
                et_finding_summary(k), et_finding_levels(k), et_finding_explanation(k), et_finding_fix(k));
    }
}

int et_cmd_findings(int argc, char **argv)
{
    static const struct option options[] = {
        {"man", no_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool man = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
        switch (c) {
        case 'm':
            man = true;
            break;
        case 'h':
            return et_help("findings");
        default:
            return et_bad_usage("findings");
        }
    }
    if (optind != argc)
        return et_bad_usage("findings");
    if (man)
        print_man(stdout);
    else
        print_text(stdout);
    return et_finish_output(stdout, "findings");
}
