#include "procmap.h"

#include <stdbool.h>
#include <stdlib.h>

static size_t hash(uint32_t pid, uint64_t start_time)
{
    uint64_t h = ((uint64_t)pid << 32) ^ start_time;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (size_t)h;
}

void et_procmap_init(struct et_procmap *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
}

void et_procmap_free(struct et_procmap *m)
{
    free(m->slots);
    et_procmap_init(m);
}

static struct et_procmap_slot *find(const struct et_procmap *m, uint32_t pid, uint64_t start_time)
{
    size_t mask = m->cap - 1;
    for (size_t i = hash(pid, start_time) & mask;; i = (i + 1) & mask) {
        struct et_procmap_slot *s = &m->slots[i];
        if (!s->value || (s->pid == pid && s->start_time == start_time))
            return s;
    }
}

static int grow(struct et_procmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct et_procmap_slot *old = m->slots;
    size_t old_cap = m->cap;
    m->slots = calloc(cap, sizeof(*m->slots));
    if (!m->slots) {
        m->slots = old;
        return -1;
    }
    m->cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].value)
            *find(m, old[i].pid, old[i].start_time) = old[i];
    free(old);
    return 0;
}

long et_procmap_get_or_put(struct et_procmap *m, uint32_t pid, uint64_t start_time, uint32_t value, int *inserted)
{
    *inserted = 0;
    if ((m->count + 1) * 2 > m->cap && grow(m) < 0)
        return -1;
    struct et_procmap_slot *s = find(m, pid, start_time);
    if (!s->value) {
        s->pid = pid;
        s->start_time = start_time;
        s->value = value + 1;
        m->count++;
        *inserted = 1;
    }
    return (long)s->value - 1;
}

long et_procmap_get(const struct et_procmap *m, uint32_t pid, uint64_t start_time)
{
    if (!m->cap)
        return -1;
    const struct et_procmap_slot *s = find(m, pid, start_time);
    return s->value ? (long)s->value - 1 : -1;
}

void et_procmap_set(struct et_procmap *m, uint32_t pid, uint64_t start_time, uint32_t value)
{
    if (!m->cap)
        return;
    struct et_procmap_slot *s = find(m, pid, start_time);
    if (s->value)
        s->value = value + 1;
}

void et_procmap_remove(struct et_procmap *m, uint32_t pid, uint64_t start_time)
{
    if (!m->cap)
        return;
    size_t mask = m->cap - 1;
    struct et_procmap_slot *s = find(m, pid, start_time);
    if (!s->value)
        return;
    /* Backward-shift deletion: later entries of the same probe run move up,
     * so that lookups never stop at the hole. */
    size_t i = (size_t)(s - m->slots);
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        struct et_procmap_slot *t = &m->slots[j];
        if (!t->value)
            break;
        size_t home = hash(t->pid, t->start_time) & mask;
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            m->slots[i] = *t;
            i = j;
        }
    }
    m->slots[i].value = 0;
    m->count--;
}
