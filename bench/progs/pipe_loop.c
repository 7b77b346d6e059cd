/* pipe + close + close, N times (default 200000). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200000;
    for (int i = 0; i < n; i++) {
        int fds[2];
        if (pipe(fds) != 0) {
            perror("pipe");
            return 1;
        }
        close(fds[0]);
        close(fds[1]);
    }
    return 0;
}
