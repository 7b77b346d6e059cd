/* `exectrace report --sarif`: findings as SARIF 2.1.0 (sarif.c). */
#ifndef EXECTRACE_SARIF_H
#define EXECTRACE_SARIF_H

#include <stdio.h>

#include "findings.h"
#include "model.h"
#include "symbols.h"

/* One SARIF log for the findings of the trace at `path`; symbols may be
 * NULL (then results have no locations). */
void et_print_sarif(FILE *out, const char *path, const struct et_model *m, const struct et_findings *F,
                    struct et_symbols *symbols);

#endif
