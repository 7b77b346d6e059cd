#ifndef EXECTRACE_RUN_H
#define EXECTRACE_RUN_H

/* exectrace's own command line, for the launcher's start record. */
extern char **et_program_argv;

int et_cmd_run(int argc, char **argv);

#endif
