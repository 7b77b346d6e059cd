/* `exectrace export`: a trace's timeline as Perfetto's protobuf trace or as
 * Trace Event JSON. */
#ifndef EXECTRACE_EXPORT_H
#define EXECTRACE_EXPORT_H

int et_cmd_export(int argc, char **argv);

#endif
