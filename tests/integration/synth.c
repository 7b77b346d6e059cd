#define _GNU_SOURCE
#include "synth.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "writer.h"

#define SYNTH_SIZE (1u << 20)
#define SYNTH_WRITERS 64

struct synth {
    char dir[64];
    char path[128];
    uint8_t *map;
    uint64_t size;
    struct {
        uint32_t pid;
        uint64_t start;
        struct et_writer w;
    } writers[SYNTH_WRITERS];
    unsigned nwriters;
    bool seen[ET_REC_TYPE_COUNT];
};

void synth_tail_bytes(struct synth_tail *t, const void *p, size_t n)
{
    assert_true(t->n + n <= sizeof(t->b));
    memcpy(t->b + t->n, p, n);
    t->n += (uint32_t)n;
}

void synth_tail_str(struct synth_tail *t, const char *s)
{
    uint16_t len = (uint16_t)strlen(s);
    synth_tail_bytes(t, &len, sizeof(len));
    synth_tail_bytes(t, s, len);
}

struct synth *synth_new(uint32_t launcher_pid, uint64_t launcher_start)
{
    struct synth *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    snprintf(s->dir, sizeof(s->dir), "/tmp/exectrace-synth-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(s->path, sizeof(s->path), "%s/made.trace", s->dir);
    const char *what = NULL;
    assert_int_equal(et_trace_create(s->path, SYNTH_SIZE, false, launcher_pid, launcher_start, false, NULL, &what), 0);
    int fd = open(s->path, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    s->size = (uint64_t)st.st_size;
    s->map = mmap(NULL, (size_t)s->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    assert_true(s->map != MAP_FAILED);
    /* Fixed times, so that what is printed from it is too. */
    struct et_file_header *h = (struct et_file_header *)s->map;
    h->anchor_monotonic_ns = 0;
    h->anchor_realtime_ns = 0;
    return s;
}

const char *synth_path(const struct synth *s)
{
    return s->path;
}

void synth_free(struct synth *s)
{
    if (!s)
        return;
    munmap(s->map, (size_t)s->size);
    unlink(s->path);
    rmdir(s->dir);
    free(s);
}

static struct et_writer *writer_for(struct synth *s, uint32_t pid, uint64_t start)
{
    for (unsigned i = 0; i < s->nwriters; i++)
        if (s->writers[i].pid == pid && s->writers[i].start == start)
            return &s->writers[i].w;
    assert_true(s->nwriters < SYNTH_WRITERS);
    unsigned i = s->nwriters++;
    s->writers[i].pid = pid;
    s->writers[i].start = start;
    assert_int_equal(et_writer_attach(&s->writers[i].w, s->map, s->size, pid), 0);
    return &s->writers[i].w;
}

void synth_put(struct synth *s, uint32_t pid, uint64_t start, uint32_t tid, uint64_t ts, uint16_t type, int err,
               uint16_t flags, const void *body, size_t body_len, const struct synth_tail *tail)
{
    struct et_identity id = {pid, tid ? tid : pid, start};
    uint32_t tlen = tail ? tail->n : 0;
    struct et_record *r = et_record_reserve(writer_for(s, pid, start), type, (uint32_t)body_len + tlen, &id, ts, err);
    assert_non_null(r);
    r->flags |= flags;
    memcpy(et_record_body(r), body, body_len);
    if (tlen)
        memcpy((uint8_t *)et_record_body(r) + body_len, tail->b, tlen);
    et_commit(writer_for(s, pid, start), r);
    if (type < ET_REC_TYPE_COUNT)
        s->seen[type] = true;
}

bool synth_has(const struct synth *s, uint16_t type)
{
    return type < ET_REC_TYPE_COUNT && s->seen[type];
}
