/* Small traces made by hand for the pictures' tests (scenarios.c). */
#ifndef EXECTRACE_TEST_SCENARIOS_H
#define EXECTRACE_TEST_SCENARIOS_H

#include <stddef.h>

#include "synth.h"

struct picture_scenario {
    const char *name;
    void (*make)(void);
    unsigned lanes;     /* processes, each a lane */
    unsigned min_flows; /* arrows at least */
};
extern const struct picture_scenario picture_scenarios[];
extern const size_t npicture_scenarios;

const struct picture_scenario *picture_scenario_named(const char *name);
/* The scenario's trace; synth_free it. */
struct synth *picture_scenario_make(const struct picture_scenario *sc);
/* A trace of the launcher's start only. */
struct synth *picture_scenario_launcher_only(void);

#endif
