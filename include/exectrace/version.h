/*
 * exectrace's version: the one place it is written.  Semantic versioning:
 * the command line, the outputs' documented fields and the trace format
 * (its own version, in trace_format.h) change compatibly within a major
 * version.  `exectrace --version` prints it, every trace file it creates
 * carries it (et_file_header.writer_version), and the Makefile reads it
 * from here for the Debian package.
 */
#ifndef EXECTRACE_VERSION_H
#define EXECTRACE_VERSION_H

#define EXECTRACE_VERSION "0.2.0"

#endif
