/*
 * `exectrace report --sarif`: the findings as SARIF 2.1.0, the format
 * code-scanning tools read, so that they show beside a compiler's and a
 * static analyzer's.  One rule per finding kind (its why and fix as help),
 * one result per finding at its severity, located at the call site of its
 * first piece of evidence that resolves to a source line, with the other
 * pieces' call sites as related locations.
 */
#define _GNU_SOURCE
#include "sarif.h"

#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "emit.h"
#include "exectrace/version.h"
#include "output.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

static const char *sarif_level(unsigned severity)
{
    return severity == ET_SEV_ERROR ? "error" : severity == ET_SEV_WARNING ? "warning" : "note";
}

/* A source path as a URI reference: absolute paths as file: URIs, others
 * relative (without a leading "./"); bytes outside the unreserved set and
 * '/' percent-encoded. */
static void json_uri(struct et_json *j, const char *path)
{
    size_t n = strlen(path);
    char *uri = malloc(n * 3 + 8);
    if (!uri) {
        et_json_cstr(j, path);
        return;
    }
    size_t o = 0;
    if (path[0] == '/') {
        memcpy(uri, "file://", 7);
        o = 7;
    } else {
        while (path[0] == '.' && path[1] == '/')
            path += 2;
    }
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p)) {
            uri[o++] = (char)*p;
        } else {
            static const char hex[] = "0123456789ABCDEF";
            uri[o++] = '%';
            uri[o++] = hex[*p >> 4];
            uri[o++] = hex[*p & 15];
        }
    }
    uri[o] = 0;
    et_json_cstr(j, uri);
    free(uri);
}

/* "key": {"text": text}, SARIF's message and description objects. */
static void json_text_object(struct et_json *j, const char *key, const char *text, size_t len)
{
    et_json_key(j, key);
    et_json_object(j);
    et_json_key(j, "text");
    et_json_str(j, text, len);
    et_json_end(j);
}

/* The innermost frame of r's call site that names a source file. */
static bool source_frame(struct et_symbols *s, const struct et_record *r, struct et_frame *out)
{
    if (!s)
        return false;
    r = et_symbols_call_record(s, r);
    const uint64_t *pc;
    struct et_stack_trailer trailer;
    for (unsigned i = 0; et_record_stack(r, &pc, &trailer) && i < trailer.frames; i++) {
        et_symbols_resolve(s, r, i, pc[i], out);
        if (out->file && out->line > 0)
            return true;
    }
    return false;
}

/* The evidence line as `events` prints it, without its time and pid. */
static char *evidence_text(const struct et_record *r)
{
    struct et_decoded d;
    et_decode(r, NULL, &d);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return NULL;
    et_emit_text_body(mem, &d);
    fclose(mem);
    return text;
}

/* A location object: the source line, and the function as a logical
 * location; `message`, when given, says what happened there. */
static void json_location(struct et_json *j, const struct et_frame *f, const char *message, int id)
{
    et_json_object(j);
    if (id >= 0) {
        et_json_key(j, "id");
        et_json_int(j, id);
    }
    et_json_key(j, "physicalLocation");
    et_json_object(j);
    et_json_key(j, "artifactLocation");
    et_json_object(j);
    et_json_key(j, "uri");
    json_uri(j, f->file);
    et_json_end(j);
    et_json_key(j, "region");
    et_json_object(j);
    et_json_key(j, "startLine");
    et_json_int(j, f->line);
    et_json_end(j);
    et_json_end(j);
    if (f->function) {
        et_json_key(j, "logicalLocations");
        et_json_array(j);
        et_json_object(j);
        et_json_key(j, "fullyQualifiedName");
        et_json_cstr(j, f->function);
        et_json_key(j, "kind");
        et_json_cstr(j, "function");
        et_json_end(j);
        et_json_end(j);
    }
    if (message) {
        json_text_object(j, "message", message, strlen(message));
    }
    et_json_end(j);
}

static void json_rule(struct et_json *j, unsigned kind)
{
    const char *name = et_finding_kind_name(kind);
    const char *why = et_finding_explanation(kind);
    const char *fix = et_finding_fix(kind);
    et_json_object(j);
    et_json_key(j, "id");
    et_json_cstr(j, name);
    const char *summary = et_finding_summary(kind);
    const char *levels = et_finding_levels(kind);
    json_text_object(j, "shortDescription", summary, strlen(summary));
    json_text_object(j, "fullDescription", why, strlen(why));
    char *help = NULL, *markdown = NULL;
    if (asprintf(&help, "Severity: %s.\nWhy: %s\nFix: %s", levels, why, fix) < 0)
        help = NULL;
    if (asprintf(&markdown, "**Severity.** %s.\n\n**Why.** %s\n\n**Fix.** %s", levels, why, fix) < 0)
        markdown = NULL;
    et_json_key(j, "help");
    et_json_object(j);
    et_json_key(j, "text");
    et_json_cstr(j, help ? help : fix);
    if (markdown) {
        et_json_key(j, "markdown");
        et_json_cstr(j, markdown);
    }
    et_json_end(j);
    free(help);
    free(markdown);
    et_json_key(j, "defaultConfiguration");
    et_json_object(j);
    et_json_key(j, "level");
    et_json_cstr(j, "warning");
    et_json_end(j);
    et_json_end(j);
}

static void json_result(struct et_json *j, const struct et_model *m, const struct et_finding *f,
                        struct et_symbols *symbols)
{
    et_json_object(j);
    et_json_key(j, "ruleId");
    et_json_cstr(j, et_finding_kind_name(f->kind));
    et_json_key(j, "ruleIndex");
    et_json_uint(j, f->kind);
    et_json_key(j, "level");
    et_json_cstr(j, sarif_level(f->severity));
    json_text_object(j, "message", f->message, strlen(f->message));

    /* Where: the first piece of evidence with a source line; the others
     * that have one are related. */
    int primary = -1;
    struct et_frame frame;
    for (uint32_t k = 0; k < f->nevidence && primary < 0; k++)
        if (source_frame(symbols, f->evidence[k], &frame))
            primary = (int)k;
    et_json_key(j, "locations");
    et_json_array(j);
    if (primary >= 0)
        json_location(j, &frame, NULL, -1);
    et_json_end(j);
    et_json_key(j, "relatedLocations");
    et_json_array(j);
    int id = 0;
    for (uint32_t k = 0; k < f->nevidence; k++) {
        if ((int)k == primary || !source_frame(symbols, f->evidence[k], &frame))
            continue;
        char *text = evidence_text(f->evidence[k]);
        json_location(j, &frame, text ? text : "", id++);
        free(text);
    }
    et_json_end(j);

    et_json_key(j, "properties");
    et_json_object(j);
    et_json_key(j, "severity");
    et_json_cstr(j, et_severity_name(f->severity));
    et_json_key(j, "basis");
    et_json_cstr(j, f->basis);
    et_json_key(j, "pids");
    et_json_array(j);
    for (uint32_t k = 0; k < f->nprocs; k++)
        et_json_uint(j, m->procs[f->procs[k]].pid);
    et_json_end(j);
    et_json_key(j, "evidence");
    et_json_array(j);
    for (uint32_t k = 0; k < f->nevidence; k++) {
        char *text = evidence_text(f->evidence[k]);
        et_json_cstr(j, text ? text : "");
        free(text);
    }
    et_json_end(j);
    et_json_end(j);
    et_json_end(j);
}

void et_print_sarif(FILE *out, const char *path, const struct et_model *m, const struct et_findings *F,
                    struct et_symbols *symbols)
{
    struct et_json j;
    et_json_init(&j, out);
    et_json_object(&j);
    et_json_key(&j, "$schema");
    et_json_cstr(&j, SARIF_SCHEMA);
    et_json_key(&j, "version");
    et_json_cstr(&j, "2.1.0");
    et_json_key(&j, "runs");
    et_json_array(&j);
    et_json_object(&j);
    et_json_key(&j, "tool");
    et_json_object(&j);
    et_json_key(&j, "driver");
    et_json_object(&j);
    et_json_key(&j, "name");
    et_json_cstr(&j, "exectrace");
    et_json_key(&j, "semanticVersion");
    et_json_cstr(&j, EXECTRACE_VERSION);
    /* Every kind, in catalogue order: a result's ruleIndex is its kind. */
    et_json_key(&j, "rules");
    et_json_array(&j);
    for (unsigned k = 0; k < ET_FK_COUNT; k++)
        json_rule(&j, k);
    et_json_end(&j);
    et_json_end(&j);
    et_json_end(&j);
    et_json_key(&j, "artifacts");
    et_json_array(&j);
    et_json_object(&j);
    et_json_key(&j, "location");
    et_json_object(&j);
    et_json_key(&j, "uri");
    json_uri(&j, path);
    et_json_end(&j);
    static const char description[] = "the exectrace trace file the findings come from";
    json_text_object(&j, "description", description, sizeof(description) - 1);
    et_json_end(&j);
    et_json_end(&j);
    et_json_key(&j, "results");
    et_json_array(&j);
    for (size_t i = 0; i < F->n; i++)
        json_result(&j, m, &F->v[i], symbols);
    et_json_end(&j);
    et_json_end(&j);
    et_json_end(&j);
    et_json_end(&j);
    fputc('\n', out);
}
