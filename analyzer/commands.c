/*
 * The commands of exectrace, in one table: their names, their one-line
 * summaries for `exectrace --help`, their usage texts (kept in each
 * command's file, beside its options) and their functions.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "events.h"
#include "export.h"
#include "timeline_html.h"
#include "exectrace/trace_format.h"
#include "exectrace/version.h"
#include "report.h"
#include "run.h"

static const struct et_command {
    const char *name;
    const char *synopsis;
    const char *usage;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"run", "run [-o FILE] [--] CMD [ARGS...]   run CMD with its whole process tree traced", et_usage_run,
     et_cmd_run},
    {"events", "events [--pid PID] [--json] FILE   print the events of a trace in time order", et_usage_events,
     et_cmd_events},
    {"report", "report [--json | --sarif] FILE     what went wrong between the processes, and the fix",
     et_usage_report, et_cmd_report},
    {"tree", "tree FILE                          who started whom, how each ended, who reaped it", et_usage_tree,
     et_cmd_tree},
    {"snapshot", "snapshot FILE | --pid PID          what a running tree is blocked on, now",
     et_usage_snapshot, et_cmd_snapshot},
    {"export", "export --format perfetto|chrome-json [-o OUT] FILE   the timeline, for a trace viewer",
     et_usage_export, et_cmd_export},
    {"timeline", "timeline [-o FILE.html] FILE       the timeline as a self-contained HTML page", et_usage_timeline,
     et_cmd_timeline},
    {"findings", "findings                           every kind of finding: its meaning, severity, why, fix",
     et_usage_findings, et_cmd_findings},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct et_command *command_named(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void overview(FILE *f)
{
    fputs("usage: exectrace COMMAND [OPTIONS]\n\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %s\n", commands[i].synopsis);
    fputs("\n'exectrace COMMAND --help' describes each command.\n", f);
}

void et_show_usage(const char *command, FILE *f)
{
    const struct et_command *c = command_named(command);
    if (c)
        fputs(c->usage, f);
    else
        overview(f);
}

int et_help(const char *command)
{
    et_show_usage(command, stdout);
    return et_finish_output(stdout, command);
}

int et_bad_usage(const char *command)
{
    et_show_usage(command, stderr);
    return ET_EXIT_USAGE;
}

int et_main(int argc, char **argv)
{
    if (argc < 2)
        return et_bad_usage("");
    const char *name = argv[1];
    const struct et_command *c = command_named(name);
    if (c)
        return c->run(argc - 1, argv + 1);
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0)
        return et_help(argc > 2 && command_named(argv[2]) ? argv[2] : "");
    if (strcmp(name, "--version") == 0) {
        printf("exectrace %s (trace format %d.%d)\n", EXECTRACE_VERSION, ET_VERSION_MAJOR, ET_VERSION_MINOR);
        return et_finish_output(stdout, "--version");
    }
    fprintf(stderr, "exectrace: unknown command '%s'\n", name);
    return et_bad_usage("");
}
