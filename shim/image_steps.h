/*
 * Probe points in a new process image's start, timed only by the
 * benchmark's build of the shim (bench/image_steps.c, ET_BENCH_IMAGE_STEPS):
 * nothing in the real one.
 */
#ifndef EXECTRACE_SHIM_IMAGE_STEPS_H
#define EXECTRACE_SHIM_IMAGE_STEPS_H

enum et_image_step {
    ET_STEP_BEGIN,
    ET_STEP_REAL_FUNCTIONS, /* dlsym of every wrapped function */
    ET_STEP_IDENTITY,       /* pid, tid, /proc/self/stat */
    ET_STEP_TRACE_FILE,     /* open, map, the header's page */
    ET_STEP_NAMES,          /* the library's and the program's paths */
    ET_STEP_INHERITED_FDS,  /* /proc/self/fd, and each fd's kind */
    ET_STEP_START_RECORD,   /* its first run claimed and mapped, the record */
    ET_STEP_COUNT
};
#ifdef ET_BENCH_IMAGE_STEPS
void et_image_step(enum et_image_step step);
#else
#define et_image_step(step) ((void)0)
#endif

#endif
