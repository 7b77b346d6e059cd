/*
 * The benchmark's build of the shim (libexectrace-steps.so) times the steps
 * of each new process image's start (enum et_image_step, shim.h) and appends
 * one line per image to the file named by EXECTRACE_BENCH_STEPS:
 *
 *   steps NS NS ...    the time each step took, in step order
 *
 * The clock comes from the system call: a new image has not mapped the
 * vDSO's pages yet, and reading it from there would add their faults to the
 * first step.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "image_steps.h"
#include "sys.h"

static uint64_t marks[ET_STEP_COUNT];

static void write_line(void)
{
    const char *path = getenv("EXECTRACE_BENCH_STEPS");
    if (!path)
        return;
    char line[32 * ET_STEP_COUNT];
    int n = snprintf(line, sizeof(line), "steps");
    for (int i = 1; i < ET_STEP_COUNT; i++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %llu", (unsigned long long)(marks[i] - marks[i - 1]));
    line[n++] = '\n';
    /* One write with O_APPEND: the lines of concurrent images do not mix. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (write(fd, line, (size_t)n) != n)
        perror("image_steps");
    close(fd);
}

void et_image_step(enum et_image_step step)
{
    marks[step] = et_monotonic_ns();
    if (step == ET_STEP_COUNT - 1)
        write_line();
}
