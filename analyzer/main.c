/* exectrace: runs programs under the shim and reads the traces it writes. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "events.h"
#include "exectrace/trace_format.h"
#include "report.h"
#include "run.h"



static void usage(FILE *f)
{
    fputs("usage: exectrace COMMAND [OPTIONS]\n"
          "\n"
          "  run [-o FILE] [--] CMD [ARGS...]   run CMD with its whole process tree traced\n"
          "  events [--pid PID] [--json] FILE   print the events of a trace in time order\n"
          "  report [--json] FILE               what went wrong between the processes, and the fix\n"
          "  tree FILE                          who started whom, how each ended, who reaped it\n"
          "  snapshot FILE                      what a running traced tree is blocked on, now\n"
          "\n"
          "'exectrace COMMAND --help' describes each command.\n",
          f);
}

int main(int argc, char **argv)
{
    et_program_argv = argv;
    if (argc < 2) {
        usage(stderr);
        return ET_EXIT_USAGE;
    }
    const char *command = argv[1];
    if (strcmp(command, "run") == 0)
        return et_cmd_run(argc - 1, argv + 1);
    if (strcmp(command, "events") == 0)
        return et_cmd_events(argc - 1, argv + 1);
    if (strcmp(command, "report") == 0)
        return et_cmd_report(argc - 1, argv + 1);
    if (strcmp(command, "tree") == 0)
        return et_cmd_tree(argc - 1, argv + 1);
    if (strcmp(command, "snapshot") == 0)
        return et_cmd_snapshot(argc - 1, argv + 1);
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 || strcmp(command, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(command, "--version") == 0) {
        printf("exectrace (trace format %d.%d)\n", ET_VERSION_MAJOR, ET_VERSION_MINOR);
        return 0;
    }
    fprintf(stderr, "exectrace: unknown command '%s'\n", command);
    usage(stderr);
    return ET_EXIT_USAGE;
}
