/*
 * Whether this process has a controlling terminal: "controlling terminal:
 * none" when opening /dev/tty fails with ENXIO, "controlling terminal: yes"
 * when it succeeds.  Run as a session leader with no terminal (setsid), under
 * a shim told to trace into a terminal device: nothing the shim does may
 * give the program that terminal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    if (getsid(0) != getpid()) {
        fprintf(stderr, "hard_ctty: not a session leader\n");
        return 99;
    }
    int fd = open("/dev/tty", O_RDONLY | O_NOCTTY);
    if (fd >= 0) {
        printf("controlling terminal: yes\n");
        close(fd);
        return 1;
    }
    printf("controlling terminal: none (%s)\n", strerrorname_np(errno));
    return 0;
}
