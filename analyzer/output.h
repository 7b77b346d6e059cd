/* Writing strings from a trace safely: quoted for people, or as JSON. */
#ifndef EXECTRACE_OUTPUT_H
#define EXECTRACE_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

/* "..." with C escapes for control bytes and invalid UTF-8. */
void et_print_quoted(FILE *f, const char *s, size_t len);
/* A JSON string; invalid UTF-8 becomes U+FFFD. */
void et_print_json_string(FILE *f, const char *s, size_t len);

#endif
