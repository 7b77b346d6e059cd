/*
 * Process images as the tracer sees them: who records an image that just
 * started (the shim, or us), the start records of the images we record,
 * and reading a tracee's memory.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "procstat.h"
#include "snapshot.h"
#include "tracee.h"

int et_read_memory(pid_t pid, uint64_t addr, void *buf, size_t len)
{
    struct iovec local = {buf, len};
    struct iovec remote = {(void *)(uintptr_t)addr, len};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    return n == (ssize_t)len ? 0 : (n < 0 ? -errno : -EFAULT);
}

/* A NUL-terminated string, read a page at a time so that a string ending
 * just before an unmapped page is still read. */
int et_read_string(pid_t pid, uint64_t addr, char *buf, size_t len, bool *truncated)
{
    size_t got = 0;
    *truncated = false;
    if (len == 0)
        return -EINVAL;
    while (got + 1 < len) {
        size_t page_left = 4096 - ((addr + got) & 4095);
        size_t want = len - 1 - got < page_left ? len - 1 - got : page_left;
        struct iovec local = {buf + got, want};
        struct iovec remote = {(void *)(uintptr_t)(addr + got), want};
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n <= 0) {
            buf[got] = 0;
            return got ? 0 : -EFAULT;
        }
        void *nul = memchr(buf + got, 0, (size_t)n);
        if (nul)
            return 0;
        got += (size_t)n;
    }
    buf[got] = 0;
    *truncated = true;
    return 0;
}

uint64_t et_tracer_start_time(pid_t pid)
{
    struct et_proc_stat st;
    return et_proc_stat_read(pid, &st) == 0 ? st.start_time : 0;
}

/* The auxiliary vector of the new image: its entry point and AT_SECURE. */
static void read_auxv(pid_t pid, uint64_t *entry, bool *secure)
{
    char path[64];
    uint64_t v[128];
    snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
    ssize_t n = et_read_file(path, (char *)v, sizeof(v));
    for (ssize_t i = 0; i + 1 < n / 8; i += 2) {
        if (v[i] == AT_ENTRY)
            *entry = v[i + 1];
        else if (v[i] == AT_SECURE)
            *secure = v[i + 1] != 0;
    }
}

/* The GNU build id among the notes of a PT_NOTE segment. */
static void note_build_id(int fd, const Elf64_Phdr *ph, struct et_elf_facts *facts)
{
    uint8_t notes[1024];
    size_t size = ph->p_filesz < sizeof(notes) ? ph->p_filesz : sizeof(notes);
    if (pread(fd, notes, size, (off_t)ph->p_offset) != (ssize_t)size)
        return;
    for (size_t off = 0; off + sizeof(Elf64_Nhdr) <= size;) {
        const Elf64_Nhdr *nh = (const Elf64_Nhdr *)(notes + off);
        size_t name = off + sizeof(*nh), desc = name + ((nh->n_namesz + 3u) & ~3u);
        size_t next = desc + ((nh->n_descsz + 3u) & ~3u);
        if (next > size || next <= off)
            return;
        if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(notes + name, "GNU", 4) &&
            nh->n_descsz <= ET_MAX_BUILD_ID) {
            memcpy(facts->build_id, notes + desc, nh->n_descsz);
            facts->build_id_len = (uint16_t)nh->n_descsz;
            return;
        }
        off = next;
    }
}

static bool go_section(int fd, const Elf64_Ehdr *eh)
{
    if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum == 0 || eh->e_shnum > 512 ||
        eh->e_shstrndx >= eh->e_shnum)
        return false;
    Elf64_Shdr sh[512];
    size_t size = (size_t)eh->e_shnum * sizeof(Elf64_Shdr);
    if (pread(fd, sh, size, (off_t)eh->e_shoff) != (ssize_t)size)
        return false;
    const Elf64_Shdr *strtab = &sh[eh->e_shstrndx];
    char names[4096];
    size_t n = strtab->sh_size < sizeof(names) - 1 ? strtab->sh_size : sizeof(names) - 1;
    ssize_t got = pread(fd, names, n, (off_t)strtab->sh_offset);
    if (got <= 0)
        return false;
    names[got] = 0;
    for (unsigned i = 0; i < eh->e_shnum; i++)
        if (sh[i].sh_name < (size_t)got && !strcmp(names + sh[i].sh_name, ".go.buildinfo"))
            return true;
    return false;
}

static struct et_elf_facts read_elf_facts(pid_t pid)
{
    struct et_elf_facts facts;
    memset(&facts, 0, sizeof(facts));
    facts.first_vaddr = UINT64_MAX;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/exe", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return facts;
    Elf64_Ehdr eh;
    if (pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
        eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum < 256) {
        Elf64_Phdr ph[256];
        size_t size = (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
        if (pread(fd, ph, size, (off_t)eh.e_phoff) == (ssize_t)size) {
            for (unsigned i = 0; i < eh.e_phnum; i++) {
                facts.dynamic |= ph[i].p_type == PT_INTERP;
                if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < facts.first_vaddr)
                    facts.first_vaddr = ph[i].p_vaddr & ~4095ull;
                if (ph[i].p_type == PT_NOTE && !facts.build_id_len)
                    note_build_id(fd, &ph[i], &facts);
            }
        }
        facts.go = go_section(fd, &eh);
    }
    close(fd);
    return facts;
}

/* Does the new image's environment preload the shim? */
static bool preloads_shim(pid_t pid, const char *shim_path)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/environ", pid);
    size_t cap = 1 << 16;
    char *buf = malloc(cap + 1);
    if (!buf)
        return false;
    ssize_t n = et_read_file(path, buf, cap + 1);
    bool found = false;
    for (ssize_t i = 0; n > 0 && i < n && !found;) {
        const char *entry = buf + i;
        size_t len = strnlen(entry, (size_t)(n - i));
        if (len > 11 && !strncmp(entry, "LD_PRELOAD=", 11)) {
            char *value = strndup(entry + 11, len - 11);
            found = value && strstr(value, shim_path);
            free(value);
        }
        i += (ssize_t)len + 1;
    }
    free(buf);
    return found;
}

/* The exe range of the main executable, for the number filter. */
static void read_exe_range(pid_t pid, uint64_t entry, struct et_tproc *p)
{
    char path[64], line[512];
    snprintf(path, sizeof(path), "/proc/%d/maps", pid);
    FILE *f = fopen(path, "re");
    p->exe_lo = p->exe_hi = 0;
    if (!f)
        return;
    char exe[PATH_MAX] = "";
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        char name[PATH_MAX];
        name[0] = 0;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %4095s", &lo, &hi, name) < 2)
            continue;
        if (!exe[0] && entry >= lo && entry < hi && name[0] == '/')
            strcpy(exe, name);
        if (exe[0] && !strcmp(name, exe)) {
            if (!p->exe_lo || lo < p->exe_lo)
                p->exe_lo = lo;
            if (hi > p->exe_hi)
                p->exe_hi = hi;
        }
    }
    fclose(f);
}

static uint8_t classify(struct et_tracer *t, struct et_tproc *p, struct et_elf_facts *elf)
{
    /* Set-id programs are not followed, elevated or not: the shim is
     * not put back into their environment either. */
    char path[64];
    struct stat st;
    snprintf(path, sizeof(path), "/proc/%d/exe", p->pid);
    bool known = stat(path, &st) == 0;
    if (known && (st.st_mode & (S_ISUID | S_ISGID)))
        return ET_COVER_NONE;
    struct et_elf_cache_entry *hit = NULL;
    uint64_t mtime = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
    for (unsigned i = 0; known && i < ET_ELF_CACHE && !hit; i++) {
        struct et_elf_cache_entry *e = &t->elf_cache[i];
        if (e->ino == st.st_ino && e->dev == st.st_dev && e->mtime_ns == mtime && e->size == (uint64_t)st.st_size)
            hit = e;
    }
    if (hit) {
        *elf = hit->facts;
    } else {
        *elf = read_elf_facts(p->pid);
        if (known) {
            struct et_elf_cache_entry *e = &t->elf_cache[t->elf_cache_next++ % ET_ELF_CACHE];
            *e = (struct et_elf_cache_entry){st.st_dev, st.st_ino, mtime, (uint64_t)st.st_size, *elf};
        }
    }
    /* The common case, a dynamic program that loads the shim, costs one
     * read of its environment.  (One with file capabilities ignores
     * LD_PRELOAD: it runs without the shim and unrecorded, as set-id ones.) */
    if (elf->dynamic && t->mode != ET_FILTER_NUMBERS && preloads_shim(p->pid, t->cfg.shim_path))
        return ET_COVER_SHIM;
    bool secure = false;
    read_auxv(p->pid, &elf->entry, &secure);
    if (secure)
        return ET_COVER_NONE;
    if (t->mode == ET_FILTER_NUMBERS) {
        read_exe_range(p->pid, elf->entry, p);
        if (elf->dynamic && preloads_shim(p->pid, t->cfg.shim_path))
            return ET_COVER_SHIM;
    }
    /* Every listed call stops under the number filter; under the address
     * filter only those of code in the windows, which a static-pie image or
     * a dynamic one's libc is not. */
    if (t->mode == ET_FILTER_NUMBERS || (!elf->dynamic && et_filter_own_code(t, elf->entry)))
        return ET_COVER_FILTER;
    return ET_COVER_SYSCALLS;
}

static void status_ids(pid_t pid, uint32_t *uid, uint32_t *euid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    if (et_read_file(path, buf, sizeof(buf)) < 0)
        return;
    const char *u = strstr(buf, "\nUid:");
    unsigned long r = 0, e = 0;
    if (u && sscanf(u + 5, "%lu %lu", &r, &e) == 2) {
        *uid = (uint32_t)r;
        *euid = (uint32_t)e;
    }
}

static void write_start(struct et_tracer *t, struct et_tthread *th, uint16_t origin, uint64_t ts, bool with_image,
                        uint16_t start_flags)
{
    struct et_tproc *p = th->proc;
    struct et_proc_stat st = {0};
    if (et_proc_stat_read(p->pid, &st) == 0 && !p->start_time)
        p->start_time = st.start_time;
    struct et_pipe_end pipes[ET_MAX_PIPE_ENDS];
    bool truncated = false;
    int npipes = 0;
    if (p->fds_known) {
        /* A fork child's fds are its parent's, an exec keeps those without
         * close-on-exec: the table followed them. */
        for (uint32_t i = 0; i < p->nfds; i++) {
            if (p->fds[i].pidfd)
                continue;
            if (npipes == (int)ET_MAX_PIPE_ENDS) {
                truncated = true;
                break;
            }
            pipes[npipes++] = (struct et_pipe_end){p->fds[i].fd, p->fds[i].flags, p->fds[i].inode};
        }
    } else {
        /* What /proc lists is the truth: the table starts from it. */
        npipes = et_proc_pipe_ends(p->pid, pipes, ET_MAX_PIPE_ENDS, &truncated);
        for (uint32_t i = 0; i < p->nfds;)
            if (!p->fds[i].pidfd)
                p->fds[i] = p->fds[--p->nfds];
            else
                i++;
        for (int i = 0; i < npipes; i++)
            et_tp_fd_set(p,
                         &(struct et_fd_entry){.fd = pipes[i].fd, .flags = pipes[i].flags, .inode = pipes[i].inode});
        p->fds_known = !truncated;
    }

    struct et_start_info info = {.origin = origin,
                                 .flags = (uint16_t)(start_flags | (truncated ? ET_START_PIPES_TRUNCATED : 0)),
                                 .ppid = st.ppid,
                                 .pgid = st.pgid,
                                 .sid = st.sid,
                                 .pipes = pipes,
                                 .pipe_count = (uint16_t)npipes};
    status_ids(p->pid, &info.uid, &info.euid);
    char exe[PATH_MAX];
    char *argv[ET_MAX_ARGV_STRINGS + 1];
    char *cmdline = NULL;
    if (with_image) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/exe", p->pid);
        ssize_t n = readlink(path, exe, sizeof(exe) - 1);
        exe[n > 0 ? n : 0] = 0;
        info.exe = exe;
        cmdline = malloc(ET_MAX_ARGV_BYTES + 1);
        if (cmdline) {
            snprintf(path, sizeof(path), "/proc/%d/cmdline", p->pid);
            ssize_t len = et_read_file(path, cmdline, ET_MAX_ARGV_BYTES + 1);
            size_t argc = 0;
            for (ssize_t i = 0; i < len && argc < ET_MAX_ARGV_STRINGS; argc++) {
                argv[argc] = cmdline + i;
                i += (ssize_t)strnlen(cmdline + i, (size_t)(len - i)) + 1;
            }
            argv[argc] = NULL;
            info.argv = argv;
        }
        if (!info.argv) {
            argv[0] = NULL;
            info.argv = argv;
        }
    }
    struct et_identity id;
    et_tracer_identity(th, &id);
    uint16_t flags = ET_RF_RECORDER | (origin == ET_ORIGIN_VFORK ? ET_RF_VFORK_CHILD : 0);
    et_write_start(t->cfg.writer, &id, ts, flags, &info);
    t->stats.records++;
    free(cmdline);
}

/* The program's own object, for resolving its call sites offline, as the
 * shim's module records do for what a dynamic image loaded. */
static void write_module(struct et_tracer *t, struct et_tthread *th, const struct et_elf_facts *elf)
{
    struct et_tproc *p = th->proc;
    if (!p->exe_hi || elf->first_vaddr == UINT64_MAX)
        return;
    char exe[ET_MAX_PATH_BYTES], path[64];
    snprintf(path, sizeof(path), "/proc/%d/exe", p->pid);
    ssize_t n = readlink(path, exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = 0;
    bool truncated = false;
    uint32_t path_bytes = et_put_str(NULL, exe, ET_MAX_PATH_BYTES, &truncated);
    struct et_identity id;
    et_tracer_identity(th, &id);
    struct et_record *r = et_record_reserve(t->cfg.writer, ET_REC_MODULE,
                                            (uint32_t)sizeof(struct et_module) + elf->build_id_len + path_bytes, &id,
                                            et_now_ns(), 0);
    if (!r)
        return;
    r->flags = ET_RF_RECORDER;
    struct et_module *b = et_record_body(r);
    memset(b, 0, sizeof(*b));
    b->load_bias = p->exe_lo - elf->first_vaddr;
    b->start = p->exe_lo;
    b->end = p->exe_hi;
    b->build_id_len = elf->build_id_len;
    b->flags = ET_MODULE_MAIN;
    b->stack_depth = (uint16_t)t->stack_depth;
    uint8_t *tail = (uint8_t *)(b + 1);
    memcpy(tail, elf->build_id, elf->build_id_len);
    et_put_str(tail + elf->build_id_len, exe, ET_MAX_PATH_BYTES, &truncated);
    et_commit(t->cfg.writer, r);
    t->stats.records++;
}

void et_image_exec(struct et_tracer *t, struct et_tthread *th, uint64_t ts)
{
    struct et_tproc *p = th->proc;
    /* The exec succeeded: its record was written at its entry. */
    th->in_call = false;
    p->vfork_child = false;
    et_tp_fds_exec(p);
    struct et_elf_facts elf;
    memset(&elf, 0, sizeof(elf));
    p->cover = classify(t, p, &elf);
    /* A Go program with cgo loads the shim: its libc calls are the shim's,
     * its own ones ours, with Go's frame pointers. */
    p->go = elf.go && p->cover != ET_COVER_NONE;
    if (p->go && t->mode != ET_FILTER_NUMBERS) {
        /* A Go program with cgo was classified before its entry was read. */
        bool secure = false;
        if (!elf.entry)
            read_auxv(p->pid, &elf.entry, &secure);
        read_exe_range(p->pid, elf.entry, p); /* its frames are checked against it */
    }
    if (p->cover == ET_COVER_SHIM || p->cover == ET_COVER_NONE) {
        /* The shim lists what the image inherited; we follow only what our
         * own records create. */
        p->nfds = 0;
        p->fds_known = false;
        return;
    }
    t->stats.images++;
    write_start(t, th, ET_ORIGIN_EXEC, ts, true, elf.go ? ET_START_GO : 0);
    if (p->go && t->stack_depth)
        write_module(t, th, &elf);
}

void et_image_fork_child(struct et_tracer *t, struct et_tthread *child, uint16_t origin, uint64_t ts)
{
    write_start(t, child, origin, ts, false, 0);
}
