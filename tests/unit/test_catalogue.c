/*
 * The finding kinds are listed in five places a user reads: the catalogue
 * (findings.c), the report's schema, the README's tables, the examples
 * (one directory per kind) and their README.  These tests fail when one of
 * them lacks a kind, or names one that does not exist.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "files.h"
#include "findings.h"

static char *read_source(const char *relative)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", EXECTRACE_SOURCE_DIR, relative);
    char *text = read_whole_file(path);
    if (!text)
        fail_msg("cannot read %s", path);
    return text;
}

static int kind_of(const char *name, size_t len)
{
    for (unsigned k = 0; k < ET_FK_COUNT; k++)
        if (strlen(et_finding_kind_name(k)) == len && strncmp(et_finding_kind_name(k), name, len) == 0)
            return (int)k;
    return -1;
}

static void every_kind_has_a_name_an_explanation_and_a_fix(void **state)
{
    (void)state;
    for (unsigned k = 0; k < ET_FK_COUNT; k++) {
        const char *name = et_finding_kind_name(k);
        if (!name || strcmp(name, "?") == 0)
            fail_msg("finding kind %u has no name in the catalogue", k);
        if (kind_of(name, strlen(name)) != (int)k)
            fail_msg("two kinds are named %s", name);
        if (strlen(et_finding_explanation(k)) < 40 || strlen(et_finding_fix(k)) < 40)
            fail_msg("%s: its explanation or fix is missing", name);
    }
}

/* The names a text lists in `open name close` form, e.g. | `held-pipe` |,
 * each checked against the catalogue; *seen marks the kinds found. */
static void collect(const char *text, const char *open, const char *close, bool seen[ET_FK_COUNT],
                    const char *where)
{
    size_t olen = strlen(open);
    for (const char *p = text; (p = strstr(p, open)) != NULL;) {
        p += olen;
        const char *end = strstr(p, close);
        if (!end)
            break;
        size_t len = (size_t)(end - p);
        if (len > 0 && len < 40 && strspn(p, "abcdefghijklmnopqrstuvwxyz-") == len) {
            int k = kind_of(p, len);
            if (k < 0)
                fail_msg("%s names a finding kind \"%.*s\" the analyzer does not have", where, (int)len, p);
            seen[k] = true;
        }
        p = end;
    }
}

static void expect_all(const bool seen[ET_FK_COUNT], const char *where)
{
    for (unsigned k = 0; k < ET_FK_COUNT; k++)
        if (!seen[k])
            fail_msg("%s does not list the finding kind %s", where, et_finding_kind_name(k));
}

static void the_report_schema_lists_every_kind(void **state)
{
    (void)state;
    char *schema = read_source("docs/report.schema.json");
    const char *kinds = strstr(schema, "\"kind\": {\"enum\": [");
    assert_non_null(kinds);
    const char *end = strchr(kinds, ']');
    assert_non_null(end);
    char *list = strndup(kinds, (size_t)(end - kinds));
    bool seen[ET_FK_COUNT] = {0};
    collect(list + strlen("\"kind\": {\"enum\": ["), "\"", "\"", seen, "docs/report.schema.json");
    expect_all(seen, "docs/report.schema.json");
    free(list);
    free(schema);
}

static void the_readme_table_lists_every_kind(void **state)
{
    (void)state;
    char *readme = read_source("README.md");
    bool seen[ET_FK_COUNT] = {0};
    collect(readme, "\n| `", "` |", seen, "README.md");
    expect_all(seen, "README.md's tables of kinds");
    free(readme);
}

/* The README's severity column says what the catalogue says (the man page
 * is made from the catalogue): "| `kind` | severity rule | meaning |". */
static void the_readme_states_each_kinds_severity_rule_as_the_catalogue_does(void **state)
{
    (void)state;
    char *readme = read_source("README.md");
    unsigned rows = 0;
    for (const char *p = readme; (p = strstr(p, "\n| `")) != NULL;) {
        p += 4;
        const char *tick = strchr(p, '`');
        if (!tick || strncmp(tick, "` | ", 4) != 0)
            continue;
        int k = kind_of(p, (size_t)(tick - p));
        if (k < 0)
            continue;
        const char *cell = tick + 4;
        const char *bar = strstr(cell, " | ");
        assert_non_null(bar);
        const char *levels = et_finding_levels((unsigned)k);
        if ((size_t)(bar - cell) != strlen(levels) || strncmp(cell, levels, strlen(levels)) != 0)
            fail_msg("README.md says %s is \"%.*s\"; the catalogue: \"%s\"", et_finding_kind_name((unsigned)k),
                     (int)(bar - cell), cell, levels);
        rows++;
    }
    assert_true(rows >= ET_FK_COUNT);
    free(readme);
}

static void every_kind_has_an_example_directory_and_no_directory_is_stray(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof(path), "%s/examples", EXECTRACE_SOURCE_DIR);
    DIR *d = opendir(path);
    assert_non_null(d);
    bool seen[ET_FK_COUNT] = {0};
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096 + 256];
        struct stat st;
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        if (stat(sub, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        int k = kind_of(e->d_name, strlen(e->d_name));
        if (k < 0)
            fail_msg("examples/%s is not named after a finding kind", e->d_name);
        seen[k] = true;
    }
    closedir(d);
    expect_all(seen, "examples/");

    char *readme = read_source("examples/README.md");
    bool listed[ET_FK_COUNT] = {0};
    collect(readme, "\n| [", "](", listed, "examples/README.md");
    expect_all(listed, "examples/README.md");
    free(readme);
}

/* Each kind has its near misses among the rules' tests: the closest correct
 * program, which must not get the finding (or not at its highest severity).
 * They are found by name, near_miss_<kind>_..., and must be registered as
 * tests, not only defined. */
static void every_kind_has_a_registered_near_miss_test(void **state)
{
    (void)state;
    char *rules = read_source("tests/unit/test_rules.c");
    char *snapshot = read_source("tests/unit/test_snapshot.c");
    for (unsigned k = 0; k < ET_FK_COUNT; k++) {
        char name[96];
        int n = snprintf(name, sizeof(name), "near_miss_%s", et_finding_kind_name(k));
        for (int i = 0; i < n; i++)
            if (name[i] == '-')
                name[i] = '_';
        char registered_t[128], registered_sim[128];
        snprintf(registered_t, sizeof(registered_t), "T(%s", name);
        snprintf(registered_sim, sizeof(registered_sim), "SIM_TEST(%s", name);
        if (!strstr(rules, registered_t) && !strstr(snapshot, registered_sim))
            fail_msg("no registered test named %s... in tests/unit/test_rules.c or test_snapshot.c", name);
    }
    free(rules);
    free(snapshot);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_has_a_name_an_explanation_and_a_fix),
        cmocka_unit_test(the_report_schema_lists_every_kind),
        cmocka_unit_test(the_readme_table_lists_every_kind),
        cmocka_unit_test(the_readme_states_each_kinds_severity_rule_as_the_catalogue_does),
        cmocka_unit_test(every_kind_has_an_example_directory_and_no_directory_is_stray),
        cmocka_unit_test(every_kind_has_a_registered_near_miss_test),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
