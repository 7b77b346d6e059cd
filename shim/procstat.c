#include "procstat.h"

#include <errno.h>
#include <fcntl.h>

#include "sys.h"

/* Field numbers as in proc(5). */
enum { F_STATE = 3, F_PPID = 4, F_PGRP = 5, F_SESSION = 6, F_STARTTIME = 22 };

static int parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        uint64_t digit = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return -EINVAL;
        v = v * 10 + digit;
    }
    *out = v;
    return 0;
}

int et_proc_stat_parse(const char *text, size_t len, struct et_proc_stat *out)
{
    /* The command name (field 2) is in parentheses and may itself contain
     * spaces and parentheses: the other fields start after the last ')'. */
    size_t i = len;
    while (i > 0 && text[i - 1] != ')')
        i--;
    if (i == 0)
        return -EINVAL;

    int field = 3;
    int found = 0;
    while (i < len && field <= F_STARTTIME) {
        while (i < len && text[i] == ' ')
            i++;
        size_t begin = i;
        while (i < len && text[i] != ' ' && text[i] != '\n')
            i++;
        const char *tok = text + begin;
        size_t tlen = i - begin;
        uint64_t v;
        switch (field) {
        case F_STATE:
            if (tlen != 1)
                return -EINVAL;
            out->state = tok[0];
            break;
        case F_PPID:
        case F_PGRP:
        case F_SESSION:
        case F_STARTTIME:
            if (parse_u64(tok, tlen, &v) < 0 || (field != F_STARTTIME && v > UINT32_MAX))
                return -EINVAL;
            if (field == F_PPID)
                out->ppid = (uint32_t)v;
            else if (field == F_PGRP)
                out->pgid = (uint32_t)v;
            else if (field == F_SESSION)
                out->sid = (uint32_t)v;
            else
                out->start_time = v;
            found++;
            break;
        default:
            break;
        }
        field++;
    }
    return found == 4 ? 0 : -EINVAL;
}

int et_proc_stat_parse_prefix(const char *text, size_t len, struct et_proc_stat *out)
{
    while (len > 0 && text[len - 1] != ' ')
        len--;
    return et_proc_stat_parse(text, len, out);
}

int et_proc_stat_read(int pid, struct et_proc_stat *out)
{
    char path[32] = "/proc/self/stat";
    if (pid > 0) {
        /* "/proc/" + digits + "/stat" without snprintf (not safe everywhere). */
        char digits[12];
        int n = 0;
        unsigned v = (unsigned)pid;
        do {
            digits[n++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        int p = 6;
        while (n)
            path[p++] = digits[--n];
        const char *tail = "/stat";
        while (*tail)
            path[p++] = *tail++;
        path[p] = 0;
    }

    int fd = et_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return fd;
    /* Fields 1 to 22 take at most about 400 bytes (a 64-byte kernel
     * thread name, 20-digit numbers): the rest of the line is not needed.
     * A short read is the whole line: asking again for the end of file
     * would cost a system call in every new process image. */
    char buf[ET_PROC_STAT_READ_BYTES];
    long got = 0;
    for (;;) {
        long want = (long)sizeof(buf) - got;
        long n = et_read(fd, buf + got, (size_t)want);
        if (n == -EINTR)
            continue;
        if (n <= 0)
            break;
        got += n;
        if (n < want || got == (long)sizeof(buf))
            break;
    }
    et_close(fd);
    if (got <= 0)
        return got < 0 ? (int)got : -EIO;
    if (got == (long)sizeof(buf))
        return et_proc_stat_parse_prefix(buf, (size_t)got, out);
    return et_proc_stat_parse(buf, (size_t)got, out);
}
