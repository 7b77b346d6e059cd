/* `exectrace report` and `exectrace tree`. */
#ifndef EXECTRACE_REPORT_H
#define EXECTRACE_REPORT_H

#include "model.h"

void et_default_thresholds(struct et_thresholds *th);
int et_cmd_report(int argc, char **argv);
int et_cmd_tree(int argc, char **argv);

#endif
