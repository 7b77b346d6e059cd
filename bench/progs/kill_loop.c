/* kill(getpid(), 0), N times (default 200000). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200000;
    pid_t self = getpid();
    for (int i = 0; i < n; i++)
        if (kill(self, 0) != 0) {
            perror("kill");
            return 1;
        }
    return 0;
}
