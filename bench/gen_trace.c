/*
 * Writes a synthetic trace for measuring the analyzer: a root process that
 * forks PROCESSES children, at most 100 alive at a time, and reaps each; every
 * child starts as a new program with its loaded objects, then repeats pipe,
 * close, dup, close, close, kill(self, 0) until it has made its share of
 * EVENTS records, and exits.  Records are laid out the way the shim lays them
 * out: each process appends to its own runs, through the shim's writer, with
 * call-site stacks on the calls that carry them; they are 5 us apart, 200,000
 * a second in all, a busy but plausible rate for a tree of processes.
 * With RING_BYTES, the trace is a ring of that size, which the events go
 * round as many times as they need (a flight recorder's trace).
 *
 *   gen_trace FILE EVENTS PROCESSES [RING_BYTES]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "writer.h"

#define ALIVE_MAX 100
#define STACK_FRAMES 8
#define ROOT_PID 100000u
#define STEP_NS 5000u

struct proc {
    struct et_writer w;
    struct et_identity id;
    uint64_t events_left;
    uint64_t inode;
    unsigned phase;
};

static uint64_t now_ns = 1000000000ull;
static uint64_t written;

static struct et_record *begin(struct proc *p, uint16_t type, uint32_t body, bool stacked)
{
    uint64_t pc[STACK_FRAMES];
    for (unsigned i = 0; i < STACK_FRAMES; i++)
        pc[i] = 0x555555554000ull + 0x1000u * i + type;
    struct et_stack stack = {STACK_FRAMES, 0, pc};
    struct et_record *r = et_record_reserve(&p->w, type, body + (stacked ? et_stack_extra(body, &stack) : 0), &p->id,
                                            now_ns, 0);
    now_ns += STEP_NS;
    if (!r) {
        fprintf(stderr, "gen_trace: the file is full after %llu records\n", (unsigned long long)written);
        exit(1);
    }
    r->flags = 0;
    if (stacked)
        et_stack_put(r, &stack);
    written++;
    return r;
}

static void write_start(struct proc *p, uint32_t ppid)
{
    char *argv[] = {"worker", "--job", "synthetic", NULL};
    struct et_start_info info = {.origin = ET_ORIGIN_EXEC,
                                 .ppid = ppid,
                                 .pgid = ROOT_PID,
                                 .sid = ROOT_PID,
                                 .exe = "/usr/bin/worker",
                                 .argv = argv};
    et_write_start(&p->w, &p->id, now_ns, 0, &info);
    now_ns += STEP_NS;
    written++;
    static const char *const objects[] = {"/usr/bin/worker", "linux-vdso.so.1", "/usr/lib/exectrace/libexectrace.so",
                                          "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"};
    for (unsigned i = 0; i < 5; i++) {
        bool truncated;
        uint32_t path_bytes = et_put_str(NULL, objects[i], ET_MAX_PATH_BYTES, &truncated);
        struct et_record *r = begin(p, ET_REC_MODULE, (uint32_t)sizeof(struct et_module) + 20 + path_bytes, false);
        struct et_module *m = et_record_body(r);
        m->load_bias = 0x7f0000000000ull + 0x100000ull * i;
        m->start = m->load_bias;
        m->end = m->load_bias + 0x80000;
        m->build_id_len = 20;
        m->flags = i == 0 ? ET_MODULE_MAIN : 0;
        m->stack_depth = STACK_FRAMES;
        m->reserved = 0;
        uint8_t *tail = (uint8_t *)(m + 1);
        memset(tail, (int)i + 1, 20);
        et_put_str(tail + 20, objects[i], ET_MAX_PATH_BYTES, &truncated);
        et_commit(&p->w, r);
    }
}

static void pipe_end(struct et_pipe_end *e, int fd, uint32_t flags, uint64_t inode)
{
    e->fd = fd;
    e->flags = flags;
    e->inode = inode;
}

/* One event of a child's repeating body. */
static void child_event(struct proc *p)
{
    switch (p->phase++ % 6) {
    case 0: {
        p->inode++;
        struct et_record *r = begin(p, ET_REC_PIPE, sizeof(struct et_pipe), true);
        struct et_pipe *b = et_record_body(r);
        *b = (struct et_pipe){.kind = ET_PIPE_PIPE, .read_fd = 3, .write_fd = 4, .inode = p->inode};
        et_commit(&p->w, r);
        break;
    }
    case 1:
    case 3:
    case 4: {
        static const int fds[] = {0, 3, 0, 4, 10};
        static const uint32_t ends[] = {0, ET_PIPE_READ, 0, ET_PIPE_WRITE, ET_PIPE_WRITE};
        unsigned k = (p->phase - 1) % 6;
        struct et_record *r = begin(p, ET_REC_CLOSE, sizeof(struct et_close), false);
        struct et_close *b = et_record_body(r);
        b->fd = fds[k];
        b->result = 0;
        pipe_end(&b->pipe, fds[k], ends[k], p->inode);
        et_commit(&p->w, r);
        break;
    }
    case 2: {
        struct et_record *r = begin(p, ET_REC_DUP, sizeof(struct et_dup), false);
        struct et_dup *b = et_record_body(r);
        *b = (struct et_dup){.kind = ET_DUP_FCNTL_DUPFD, .oldfd = 4, .newfd = 10, .result = 10};
        pipe_end(&b->source, 4, ET_PIPE_WRITE, p->inode);
        pipe_end(&b->replaced, -1, 0, 0);
        et_commit(&p->w, r);
        break;
    }
    default: {
        struct et_record *r = begin(p, ET_REC_SIGNAL, sizeof(struct et_signal), true);
        struct et_signal *b = et_record_body(r);
        *b = (struct et_signal){.kind = ET_SIGNAL_KILL, .target = (int32_t)p->id.pid, .pidfd = -1, .pidfd_pid = -1};
        et_commit(&p->w, r);
        break;
    }
    }
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: gen_trace FILE EVENTS PROCESSES [RING_BYTES]\n");
        return 2;
    }
    const char *path = argv[1];
    uint64_t events = strtoull(argv[2], NULL, 10);
    uint32_t procs = (uint32_t)strtoul(argv[3], NULL, 10);
    if (procs == 0 || events < 20ull * procs) {
        fprintf(stderr, "gen_trace: at least 20 events per process\n");
        return 2;
    }
    /* About 100 bytes a record on average, and room for the runs' ends. */
    uint64_t size = ET_HEADER_SIZE + events * 128 + (uint64_t)procs * 16 * ET_CHUNK_SIZE;
    size = (size + ET_CHUNK_SIZE - 1) / ET_CHUNK_SIZE * ET_CHUNK_SIZE;
    bool ring = argc == 5;
    if (ring)
        size = strtoull(argv[4], NULL, 10);
    const char *what;
    int ret = et_trace_create(path, size, ring, ROOT_PID, 1, true, NULL, &what);
    if (ret < 0) {
        fprintf(stderr, "gen_trace: %s: %s: %s\n", path, what, strerror(-ret));
        return 1;
    }
    int fd = open(path, O_RDWR | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0)
        size = (uint64_t)st.st_size; /* a ring's is what its slots take */
    void *base = fd < 0 ? MAP_FAILED : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        perror(path);
        return 1;
    }
    close(fd);

    struct proc *p = calloc((size_t)procs + 1, sizeof(*p));
    if (!p)
        return 1;
    struct proc *root = &p[procs];
    root->id = (struct et_identity){ROOT_PID, ROOT_PID, 1};
    et_writer_attach(&root->w, base, size, ROOT_PID);
    write_start(root, 1);
    /* What the root writes per child: fork, wait entry, wait return. */
    uint64_t per_child = (events - written - 1) / procs - 3;

    uint32_t next = 0, alive[ALIVE_MAX], nalive = 0;
    for (;;) {
        while (nalive < ALIVE_MAX && next < procs) {
            struct proc *c = &p[next];
            c->id = (struct et_identity){ROOT_PID + 1 + next, ROOT_PID + 1 + next, 2 + next};
            et_writer_attach(&c->w, base, size, c->id.pid);
            struct et_record *r = begin(root, ET_REC_FORK, sizeof(struct et_fork), true);
            struct et_fork *b = et_record_body(r);
            *b = (struct et_fork){.kind = ET_FORK_FORK, .result = (int32_t)c->id.pid};
            et_commit(&root->w, r);
            write_start(c, ROOT_PID);
            c->events_left = per_child - 6 - 2; /* its start, objects and exit */
            c->inode = (uint64_t)next * 1000000u;
            alive[nalive++] = next++;
        }
        if (nalive == 0)
            break;
        for (uint32_t i = 0; i < nalive;) {
            struct proc *c = &p[alive[i]];
            if (c->events_left) {
                child_event(c);
                c->events_left--;
                i++;
                continue;
            }
            struct et_record *r = begin(c, ET_REC_IMAGE_EXIT, sizeof(struct et_image_exit), false);
            *(struct et_image_exit *)et_record_body(r) = (struct et_image_exit){.how = ET_EXIT_EXIT};
            et_commit(&c->w, r);
            r = begin(root, ET_REC_WAIT_ENTER, sizeof(struct et_wait_enter), true);
            *(struct et_wait_enter *)et_record_body(r) =
                (struct et_wait_enter){.kind = ET_WAIT_WAITPID, .id = (int64_t)c->id.pid};
            et_commit(&root->w, r);
            r = begin(root, ET_REC_WAIT_RETURN, sizeof(struct et_wait_return), false);
            *(struct et_wait_return *)et_record_body(r) =
                (struct et_wait_return){.kind = ET_WAIT_WAITPID, .result = (int32_t)c->id.pid};
            et_commit(&root->w, r);
            alive[i] = alive[--nalive];
        }
    }
    struct et_record *r = begin(root, ET_REC_IMAGE_EXIT, sizeof(struct et_image_exit), false);
    *(struct et_image_exit *)et_record_body(r) = (struct et_image_exit){.how = ET_EXIT_EXIT};
    et_commit(&root->w, r);
    ((struct et_file_header *)base)->records_written = written;
    printf("%llu\n", (unsigned long long)written);
    munmap(base, size);
    free(p);
    return 0;
}
