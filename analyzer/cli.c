#include "cli.h"
#include "run.h"

char **et_program_argv;

#include <errno.h>
#include <string.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int et_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int et_usage_error(const char *command, const char *message)
{
    fprintf(stderr, "exectrace %s: %s (see 'exectrace %s --help')\n", command, message, command);
    return ET_EXIT_USAGE;
}

void et_report_trace_problem(const char *path, const struct et_trace *t)
{
    if (t->unreadable)
        fprintf(stderr, "exectrace: %s: %s\n", path, t->diag);
    else if (t->problems > 1)
        fprintf(stderr, "exectrace: %s: damaged trace: %s (and %" PRIu64 " more problems); %" PRIu64
                        " valid records shown\n",
                path, t->diag, t->problems - 1, t->records);
    else
        fprintf(stderr, "exectrace: %s: damaged trace: %s; %" PRIu64 " valid records shown\n", path, t->diag,
                t->records);
}

void et_report_trace_notes(const char *path, const struct et_trace *t)
{
    if (t->incomplete)
        fprintf(stderr,
                "exectrace: %s: note: %" PRIu64 " incomplete record%s skipped (%s)\n", path, t->incomplete,
                t->incomplete == 1 ? "" : "s",
                t->incomplete == 1 ? "its writer was killed while writing it, or is still writing it"
                                   : "their writers were killed while writing them, or are still writing them");
    if (t->hdr && t->hdr->records_dropped)
        fprintf(stderr, "exectrace: %s: note: %" PRIu64 " records were dropped because the trace file was full "
                        "(run with a larger --size)\n",
                path, (uint64_t)t->hdr->records_dropped);
}

int et_finish_trace_command(const char *path, struct et_trace *t, int status)
{
    if (t->problems) {
        et_report_trace_problem(path, t);
        status = ET_EXIT_BAD_TRACE;
    }
    et_report_trace_notes(path, t);
    et_trace_close(t);
    return status;
}

int et_finish_output(FILE *out, const char *command)
{
    if (fflush(out) == 0 && !ferror(out))
        return 0;
    fprintf(stderr, "exectrace %s: could not write the output: %s\n", command, strerror(errno ? errno : EIO));
    return ET_EXIT_OUTPUT_FAILED;
}
