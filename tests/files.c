#define _GNU_SOURCE
#include "files.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "writer.h"

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

void *map_new_trace(const char *path, uint64_t size, bool ring, uint32_t launcher_pid, uint64_t *mapped)
{
    const char *what = NULL;
    if (et_trace_create(path, size, ring, launcher_pid, 0, false, NULL, &what) != 0)
        return NULL;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return NULL;
    *mapped = (uint64_t)st.st_size;
    return map;
}
