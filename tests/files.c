#define _GNU_SOURCE
#include "files.h"

#include <stdio.h>

char *read_whole_file_len(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&buf, &n);
    if (!mem) {
        fclose(f);
        return NULL;
    }
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, got, mem);
    fclose(f);
    fclose(mem);
    if (len)
        *len = n;
    return buf;
}

char *read_whole_file(const char *path)
{
    return read_whole_file_len(path, NULL);
}
