/* `exectrace timeline`: a trace's timeline as one self-contained HTML page. */
#ifndef EXECTRACE_TIMELINE_HTML_H
#define EXECTRACE_TIMELINE_HTML_H

#include <stdio.h>

#include "timeline.h"

/* 0, or -ENOMEM; write errors are the stream's. */
int et_timeline_write_html(FILE *out, const struct et_timeline *tl, const char *trace_path);
int et_cmd_timeline(int argc, char **argv);

#endif
