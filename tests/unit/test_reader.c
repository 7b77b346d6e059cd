/* The reader on damaged traces: a real trace is written with the writer, a
 * copy is damaged in one precise way, and the test checks both the one-line
 * diagnosis (kind and offset) and which records still come back. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "reader.h"
#include "writer.h"

#define NREC 100
#define MAX_RUNS 16

/* A trace of NREC signal records, record i carrying i in its target field,
 * and where everything landed. */
struct built {
    uint8_t *buf;
    size_t len;
    uint64_t off[NREC];
    uint32_t size; /* of every record */
    unsigned nruns;
    uint64_t run_off[MAX_RUNS];
    unsigned run_chunks[MAX_RUNS];
    unsigned run_first[MAX_RUNS]; /* first record of each run */
    unsigned run_count[MAX_RUNS];
    uint64_t claimed_end; /* end of the claimed chunks */
};

static struct built B;

/* The file header comes from et_trace_create, as in real use. */
static uint8_t *fresh_trace(size_t *len)
{
    char dir[] = "/tmp/exectrace-reader-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof(path), "%s/t.trace", dir);
    const char *what = NULL;
    assert_int_equal(et_trace_create(path, ET_MIN_FILE_SIZE, false, 77, 0, false, NULL, &what), 0);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    uint8_t *buf = aligned_alloc(4096, ET_MIN_FILE_SIZE);
    assert_non_null(buf);
    assert_int_equal(read(fd, buf, ET_MIN_FILE_SIZE), ET_MIN_FILE_SIZE);
    close(fd);
    unlink(path);
    rmdir(dir);
    *len = ET_MIN_FILE_SIZE;
    return buf;
}

static int note_offset(const struct et_record *r, uint64_t offset, void *ctx)
{
    struct built *b = ctx;
    int32_t seq = ((const struct et_signal *)et_body(r))->target;
    assert_true(seq >= 0 && seq < NREC);
    b->off[seq] = offset;
    return 0;
}

static int build(void **state)
{
    (void)state;
    struct built *b = &B;
    memset(b, 0, sizeof(*b));
    b->buf = fresh_trace(&b->len);
    struct et_writer w;
    assert_int_equal(et_writer_attach(&w, b->buf, b->len, 1234), 0);
    struct et_identity id = {1234, 1234, 555};
    for (int32_t i = 0; i < NREC; i++) {
        struct et_record *r = et_record_reserve(&w, ET_REC_SIGNAL, sizeof(struct et_signal), &id, 1000 + (uint64_t)i, 0);
        assert_non_null(r);
        struct et_signal *s = et_record_body(r);
        memset(s, 0, sizeof(*s));
        s->kind = ET_SIGNAL_KILL;
        s->target = i;
        s->sig = 0;
        s->pidfd = -1;
        s->pidfd_pid = -1;
        et_commit(&w, r);
    }
    b->size = et_align8(sizeof(struct et_record) + sizeof(struct et_signal));

    struct et_trace t;
    assert_int_equal(et_trace_from_buffer(&t, b->buf, b->len), 0);
    assert_int_equal(et_trace_scan(&t, note_offset, b), 0);
    assert_int_equal(t.records, NREC);
    assert_int_equal(t.problems, 0);

    /* The runs, walked from their tags. */
    const struct et_file_header *h = (const void *)b->buf;
    uint64_t chunk = 0;
    while (chunk < h->next_chunk && chunk < h->chunk_count) {
        const struct et_run_header *run = (const void *)(b->buf + ET_HEADER_SIZE + chunk * ET_CHUNK_SIZE);
        assert_true(ET_RUN_TAG_VALID(run->tag));
        assert_true(b->nruns < MAX_RUNS);
        b->run_off[b->nruns] = ET_HEADER_SIZE + chunk * ET_CHUNK_SIZE;
        b->run_chunks[b->nruns] = ET_RUN_TAG_CHUNKS(run->tag);
        b->nruns++;
        chunk += ET_RUN_TAG_CHUNKS(run->tag);
    }
    b->claimed_end = ET_HEADER_SIZE + chunk * ET_CHUNK_SIZE;
    for (unsigned i = 0; i < NREC; i++) {
        unsigned k = 0;
        while (k + 1 < b->nruns && b->off[i] >= b->run_off[k + 1])
            k++;
        if (b->run_count[k]++ == 0)
            b->run_first[k] = i;
    }
    /* The tests below need records in several runs. */
    assert_true(b->nruns >= 3);
    for (unsigned k = 0; k < b->nruns; k++)
        assert_true(b->run_count[k] >= 2);
    return 0;
}

static int unbuild(void **state)
{
    (void)state;
    free(B.buf);
    return 0;
}

/* A damaged copy of the trace, len bytes long. */
static uint8_t *copy_of(size_t len)
{
    uint8_t *c = aligned_alloc(4096, len ? (len + 4095) / 4096 * 4096 : 4096);
    assert_non_null(c);
    memcpy(c, B.buf, len < B.len ? len : B.len);
    return c;
}

static struct et_record *rec_in(uint8_t *copy, unsigned seq)
{
    return (struct et_record *)(copy + B.off[seq]);
}

struct result {
    int ret;
    struct et_trace t;
    bool seen[NREC];
    unsigned nseen;
    unsigned foreign;
};

static int see(const struct et_record *r, uint64_t offset, void *ctx)
{
    (void)offset;
    struct result *res = ctx;
    int32_t seq = r->type == ET_REC_SIGNAL ? ((const struct et_signal *)et_body(r))->target : -1;
    if (seq < 0 || seq >= NREC || res->seen[seq]) {
        res->foreign++;
        return 0;
    }
    res->seen[seq] = true;
    res->nseen++;
    return 0;
}

static void read_copy(const uint8_t *data, size_t len, struct result *res)
{
    memset(res, 0, sizeof(*res));
    res->ret = et_trace_from_buffer(&res->t, data, len);
    assert_int_equal(et_trace_scan(&res->t, see, res), 0);
    assert_int_equal(res->foreign, 0);
    assert_int_equal(res->t.records, res->nseen);
}

/* The diagnosis starts with "offset N: " and names the kind of damage. */
static void assert_diag(const struct et_trace *t, uint64_t offset, const char *kind)
{
    char prefix[40];
    snprintf(prefix, sizeof(prefix), "offset %llu: ", (unsigned long long)offset);
    if (strncmp(t->diag, prefix, strlen(prefix)) != 0 || !strstr(t->diag, kind))
        fail_msg("diagnosis \"%s\": expected \"%s...%s...\"", t->diag, prefix, kind);
}

static void assert_unreadable(const uint8_t *data, size_t len, uint64_t offset, const char *kind)
{
    struct result res;
    read_copy(data, len, &res);
    assert_int_equal(res.ret, -1);
    assert_true(res.t.unreadable);
    assert_null(res.t.hdr);
    assert_int_equal(res.t.problems, 1);
    assert_int_equal(res.nseen, 0);
    assert_diag(&res.t, offset, kind);
}

/* ---- the baseline ---------------------------------------------------------- */

static void intact_trace_reads_every_record_without_a_diagnosis(void **state)
{
    (void)state;
    struct result res;
    read_copy(B.buf, B.len, &res);
    assert_int_equal(res.ret, 0);
    assert_int_equal(res.t.problems, 0);
    assert_int_equal(res.t.incomplete, 0);
    assert_string_equal(res.t.diag, "");
    assert_int_equal(res.nseen, NREC);
}

static void newer_minor_version_is_read_in_full(void **state)
{
    (void)state;
    uint8_t *c = copy_of(B.len);
    ((struct et_file_header *)c)->version_minor = ET_VERSION_MINOR + 7;
    struct result res;
    read_copy(c, B.len, &res);
    assert_int_equal(res.ret, 0);
    assert_int_equal(res.t.problems, 0);
    assert_int_equal(res.nseen, NREC);
    free(c);
}

static void trace_cut_after_the_claimed_chunks_loses_no_record(void **state)
{
    (void)state;
    uint8_t *c = copy_of(B.claimed_end);
    struct result res;
    read_copy(c, B.claimed_end, &res);
    assert_int_equal(res.ret, 0);
    assert_int_equal(res.nseen, NREC);
    assert_int_equal(res.t.incomplete, 0);
    free(c);
}

/* ---- header damage ----------------------------------------------------------- */

static void wrong_magic_is_unreadable_at_offset_0(void **state)
{
    (void)state;
    uint8_t *c = copy_of(B.len);
    c[1] ^= 0x20;
    assert_unreadable(c, B.len, 0, "not an exectrace trace file");
    free(c);
}

static void empty_file_is_unreadable_at_offset_0(void **state)
{
    (void)state;
    uint8_t *c = copy_of(0);
    assert_unreadable(c, 0, 0, "empty file, not an exectrace trace");
    assert_unreadable(NULL, 0, 0, "empty file, not an exectrace trace");
    free(c);
}

static void file_shorter_than_the_magic_is_unreadable(void **state)
{
    (void)state;
    uint8_t *c = copy_of(5);
    assert_unreadable(c, 5, 0, "not an exectrace trace file");
    free(c);
}

static void file_cut_inside_the_header_names_where_it_ends(void **state)
{
    (void)state;
    uint8_t *c = copy_of(ET_HEADER_SIZE - 96);
    assert_unreadable(c, ET_HEADER_SIZE - 96, ET_HEADER_SIZE - 96, "truncated inside the 4096-byte file header");
    free(c);
    /* The magic alone. */
    c = copy_of(ET_MAGIC_LEN);
    assert_unreadable(c, ET_MAGIC_LEN, ET_MAGIC_LEN, "truncated inside the 4096-byte file header");
    free(c);
}

static void newer_major_version_says_the_file_is_newer(void **state)
{
    (void)state;
    uint8_t *c = copy_of(B.len);
    ((struct et_file_header *)c)->version_major = ET_VERSION_MAJOR_RING + 1;
    ((struct et_file_header *)c)->version_minor = 0;
    assert_unreadable(c, B.len, 8, "trace format 3.0, this exectrace reads 1.x and 2.x");
    assert_unreadable(c, B.len, 8, "newer");
    free(c);
}

/* Major version 2 is a ring: a header that says so without a ring's
 * geometry is not read as one. */
static void a_ring_version_without_a_ring_is_refused(void **state)
{
    (void)state;
    uint8_t *c = copy_of(B.len);
    ((struct et_file_header *)c)->version_major = ET_VERSION_MAJOR_RING;
    assert_unreadable(c, B.len, 248, "ring trace with an inconsistent geometry");
    free(c);
}

static void older_major_version_is_refused_without_claiming_it_is_newer(void **state)
{
    (void)state;
    uint8_t *c = copy_of(B.len);
    ((struct et_file_header *)c)->version_major = ET_VERSION_MAJOR - 1;
    ((struct et_file_header *)c)->version_minor = 0;
    assert_unreadable(c, B.len, 8, "trace format 0.0");
    struct et_trace t;
    et_trace_from_buffer(&t, c, B.len);
    assert_null(strstr(t.diag, "newer"));
    free(c);
}

static void other_byte_order_is_named(void **state)
{
    (void)state;
    uint8_t *c = copy_of(B.len);
    struct et_file_header *h = (struct et_file_header *)c;
    h->endian_marker = __builtin_bswap32(ET_ENDIAN_MARKER);
    /* As a big-endian writer would also have stored the version. */
    h->version_major = __builtin_bswap16(h->version_major);
    assert_unreadable(c, B.len, 12, "other byte order");
    free(c);
}

static void garbled_byte_order_marker_is_named(void **state)
{
    (void)state;
    uint8_t *c = copy_of(B.len);
    ((struct et_file_header *)c)->endian_marker = 0xdeadbeef;
    assert_unreadable(c, B.len, 12, "byte-order marker is garbled");
    free(c);
}

static void inconsistent_header_size_is_reported_and_records_still_read(void **state)
{
    (void)state;
    uint8_t *c = copy_of(B.len);
    ((struct et_file_header *)c)->file_size += ET_CHUNK_SIZE;
    struct result res;
    read_copy(c, B.len, &res);
    assert_int_equal(res.ret, 0);
    assert_true(res.t.problems >= 1);
    assert_diag(&res.t, 24, "header is inconsistent");
    assert_int_equal(res.nseen, NREC);
    free(c);
}

/* ---- truncation ----------------------------------------------------------------- */

static void truncation_mid_run_keeps_the_records_before_the_cut(void **state)
{
    (void)state;
    /* Inside a record in the middle of the second run, not on a chunk
     * boundary. */
    unsigned cut_seq = B.run_first[1] + B.run_count[1] / 2;
    size_t cut = B.off[cut_seq] + 20;
    assert_true((cut - ET_HEADER_SIZE) % ET_CHUNK_SIZE != 0);
    uint8_t *c = copy_of(cut);
    struct result res;
    read_copy(c, cut, &res);
    assert_int_equal(res.ret, 0);
    assert_true(res.t.problems >= 1);
    assert_diag(&res.t, cut, "truncated");
    assert_int_equal(res.nseen, cut_seq);
    for (unsigned i = 0; i < cut_seq; i++)
        assert_true(res.seen[i]);
    free(c);
}

static void truncation_at_a_chunk_boundary_inside_a_run_keeps_whole_records(void **state)
{
    (void)state;
    /* One chunk into the second run: the record across the boundary is lost,
     * those before it are not. */
    size_t cut = B.run_off[1] + ET_CHUNK_SIZE;
    unsigned expected = 0;
    for (unsigned i = 0; i < NREC; i++)
        if (B.off[i] + B.size <= cut)
            expected++;
    assert_true(expected > B.run_count[0]);
    uint8_t *c = copy_of(cut);
    struct result res;
    read_copy(c, cut, &res);
    assert_int_equal(res.ret, 0);
    assert_diag(&res.t, cut, "truncated");
    assert_int_equal(res.nseen, expected);
    for (unsigned i = 0; i < expected; i++)
        assert_true(res.seen[i]);
    free(c);
}

/* ---- damaged records ---------------------------------------------------------------- */

static void garbled_commit_word_skips_only_that_record(void **state)
{
    (void)state;
    unsigned bad = B.run_first[1] + 3;
    uint8_t *c = copy_of(B.len);
    ((uint8_t *)&rec_in(c, bad)->commit)[2] ^= 0x10;
    struct result res;
    read_copy(c, B.len, &res);
    assert_int_equal(res.ret, 0);
    assert_int_equal(res.t.problems, 1);
    assert_diag(&res.t, B.off[bad], "record is corrupt");
    assert_int_equal(res.nseen, NREC - 1);
    assert_false(res.seen[bad]);
    free(c);
}

static void impossible_record_size_skips_only_that_record(void **state)
{
    (void)state;
    /* Too small, unaligned, past the run, and absurd. */
    const uint32_t sizes[] = {8, 44, 72 + 4, 4096, 0x7ffffff8u};
    unsigned bad = B.run_first[1] + 5;
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        uint8_t *c = copy_of(B.len);
        rec_in(c, bad)->size = sizes[k];
        struct result res;
        read_copy(c, B.len, &res);
        assert_int_equal(res.ret, 0);
        assert_true(res.t.problems >= 1);
        char kind[64];
        snprintf(kind, sizeof(kind), "record with impossible size %u", sizes[k]);
        assert_diag(&res.t, B.off[bad], kind);
        assert_int_equal(res.nseen, NREC - 1);
        assert_false(res.seen[bad]);
        free(c);
    }
}

/* The type changes and the commit word is recomputed to match, so only the
 * type check can catch it. */
static void retype(uint8_t *c, unsigned seq, uint16_t type)
{
    struct et_record *r = rec_in(c, seq);
    r->type = type;
    r->commit = et_commit_word(type, r->size);
}

static void record_too_short_for_its_type_is_skipped(void **state)
{
    (void)state;
    assert_true(B.size < sizeof(struct et_record) + sizeof(struct et_dup));
    unsigned bad = B.run_first[2];
    uint8_t *c = copy_of(B.len);
    retype(c, bad, ET_REC_DUP);
    struct result res;
    read_copy(c, B.len, &res);
    assert_int_equal(res.t.problems, 1);
    char kind[80];
    snprintf(kind, sizeof(kind), "record of type %u is %u bytes, too short for its fields", ET_REC_DUP, B.size);
    assert_diag(&res.t, B.off[bad], kind);
    assert_int_equal(res.nseen, NREC - 1);
    assert_false(res.seen[bad]);
    free(c);
}

static void record_of_reserved_type_0_is_skipped(void **state)
{
    (void)state;
    unsigned bad = 0;
    uint8_t *c = copy_of(B.len);
    retype(c, bad, 0);
    struct result res;
    read_copy(c, B.len, &res);
    assert_int_equal(res.t.problems, 1);
    assert_diag(&res.t, B.off[bad], "record of reserved type 0");
    assert_int_equal(res.nseen, NREC - 1);
    free(c);
}

static int count_type(const struct et_record *r, uint64_t offset, void *ctx)
{
    (void)offset;
    if (r->type == 200)
        ++*(unsigned *)ctx;
    return 0;
}

static void record_of_a_type_added_later_is_returned(void **state)
{
    (void)state;
    /* Minor versions add types: an older reader passes them on. */
    uint8_t *c = copy_of(B.len);
    retype(c, 7, 200);
    struct et_trace t;
    unsigned n200 = 0;
    assert_int_equal(et_trace_from_buffer(&t, c, B.len), 0);
    et_trace_scan(&t, count_type, &n200);
    assert_int_equal(t.problems, 0);
    assert_int_equal(t.records, NREC);
    assert_int_equal(n200, 1);
    free(c);
}

/* ---- damaged runs ------------------------------------------------------------------- */

static void last_run_claiming_more_chunks_than_exist_is_reported_and_read(void **state)
{
    (void)state;
    unsigned last = B.nruns - 1;
    uint64_t chunk = (B.run_off[last] - ET_HEADER_SIZE) / ET_CHUNK_SIZE;
    uint32_t too_many = (uint32_t)(ET_MIN_FILE_SIZE - ET_HEADER_SIZE) / ET_CHUNK_SIZE - (uint32_t)chunk + 1;
    uint8_t *c = copy_of(B.len);
    ((struct et_run_header *)(c + B.run_off[last]))->tag = ET_RUN_TAG(too_many);
    struct result res;
    read_copy(c, B.len, &res);
    assert_int_equal(res.t.problems, 1);
    char kind[64];
    snprintf(kind, sizeof(kind), "run of %u chunks goes past the end of the trace", too_many);
    assert_diag(&res.t, B.run_off[last], kind);
    assert_int_equal(res.nseen, NREC);
    free(c);
}

static void first_run_claiming_more_chunks_than_exist_does_not_hide_later_runs(void **state)
{
    (void)state;
    /* The tag is provably wrong and the run's `used` still says where its
     * records end: the records of the runs after it prove themselves
     * complete, and reader.h promises every such record. */
    uint8_t *c = copy_of(B.len);
    ((struct et_run_header *)(c + B.run_off[0]))->tag = ET_RUN_TAG(ET_RUN_MAX_CHUNKS);
    struct result res;
    read_copy(c, B.len, &res);
    free(c);
    assert_true(res.t.problems >= 1);
    assert_diag(&res.t, B.run_off[0], "run of 65535 chunks goes past the end of the trace");
    for (unsigned i = 0; i < B.run_count[0]; i++)
        assert_true(res.seen[i]);
    assert_int_equal(res.nseen, NREC);
}

static void garbled_run_tag_loses_only_that_run(void **state)
{
    (void)state;
    uint8_t *c = copy_of(B.len);
    ((struct et_run_header *)(c + B.run_off[1]))->tag = 0x12345678;
    struct result res;
    read_copy(c, B.len, &res);
    assert_int_equal(res.ret, 0);
    assert_true(res.t.problems >= 1);
    assert_diag(&res.t, B.run_off[1], "chunk 2 does not start a run (0x12345678)");
    assert_int_equal(res.nseen, NREC - B.run_count[1]);
    for (unsigned k = 0; k < B.nruns; k++)
        for (unsigned i = B.run_first[k]; i < B.run_first[k] + B.run_count[k]; i++)
            assert_int_equal(res.seen[i], k != 1);
    free(c);
}

/* ---- scanning ------------------------------------------------------------------------- */

static int stop_at_ten(const struct et_record *r, uint64_t offset, void *ctx)
{
    (void)r;
    (void)offset;
    return ++*(int *)ctx == 10 ? 42 : 0;
}

static void scan_stops_when_the_callback_asks_and_passes_its_value_on(void **state)
{
    (void)state;
    struct et_trace t;
    int calls = 0;
    assert_int_equal(et_trace_from_buffer(&t, B.buf, B.len), 0);
    assert_int_equal(et_trace_scan(&t, stop_at_ten, &calls), 42);
    assert_int_equal(calls, 10);
}

static void open_reports_missing_and_non_regular_files(void **state)
{
    (void)state;
    struct et_trace t;
    assert_int_equal(et_trace_open(&t, "/nonexistent/exectrace.trace"), -1);
    assert_true(t.unreadable);
    assert_non_null(strstr(t.diag, strerror(ENOENT)));
    et_trace_close(&t);
    assert_int_equal(et_trace_open(&t, "/tmp"), -1);
    assert_true(t.unreadable);
    assert_non_null(strstr(t.diag, "not a regular file"));
    et_trace_close(&t);
}

/* ---- tails ------------------------------------------------------------------------------- */

struct tail_fixture {
    uint8_t *buf;
    size_t len;
    const struct et_record *exec;
    const struct et_record *start;
};

static int find_tailed(const struct et_record *r, uint64_t offset, void *ctx)
{
    (void)offset;
    struct tail_fixture *f = ctx;
    if (r->type == ET_REC_EXEC)
        f->exec = r;
    if (r->type == ET_REC_IMAGE_START)
        f->start = r;
    return 0;
}

static void tail_fixture_make(struct tail_fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->buf = fresh_trace(&f->len);
    struct et_writer w;
    assert_int_equal(et_writer_attach(&w, f->buf, f->len, 1), 0);
    struct et_identity id = {1, 1, 0};
    char *argv[] = {(char *)"true", (char *)"x", NULL};
    struct et_exec_info ei = {.kind = ET_EXEC_EXECVE, .fd = -1, .path = "/bin/true", .argv = argv};
    et_write_exec(&w, &id, 1, 0, &ei);
    struct et_pipe_end ends[2] = {{3, ET_PIPE_READ, 11}, {4, ET_PIPE_WRITE, 11}};
    struct et_start_info si = {.origin = ET_ORIGIN_EXEC, .exe = "/usr/bin/true", .argv = argv, .pipes = ends,
                               .pipe_count = 2};
    et_write_start(&w, &id, 2, 0, &si);
    struct et_trace t;
    assert_int_equal(et_trace_from_buffer(&t, f->buf, f->len), 0);
    et_trace_scan(&t, find_tailed, f);
    assert_int_equal(t.problems, 0);
    assert_non_null(f->exec);
    assert_non_null(f->start);
}

static bool tail_str_is(struct et_tail *t, const char *want)
{
    const char *s;
    uint16_t len;
    return et_tail_str(t, &s, &len) && len == strlen(want) && memcmp(s, want, len) == 0;
}

static void tail_strings_of_a_sound_record_decode(void **state)
{
    (void)state;
    struct tail_fixture f;
    tail_fixture_make(&f);
    struct et_tail t = et_tail_of(f.exec);
    assert_true(tail_str_is(&t, "/bin/true"));
    assert_true(tail_str_is(&t, "true"));
    assert_true(tail_str_is(&t, "x"));
    assert_false(t.bad);

    t = et_tail_of(f.start);
    const struct et_pipe_end *ends = et_tail_array(&t, 2, sizeof(*ends));
    assert_non_null(ends);
    assert_int_equal(ends[1].fd, 4);
    assert_int_equal(ends[1].inode, 11);
    assert_true(tail_str_is(&t, "/usr/bin/true"));
    assert_true(tail_str_is(&t, "true"));
    free(f.buf);
}

static void tail_str_rejects_a_length_past_the_record(void **state)
{
    (void)state;
    struct tail_fixture f;
    tail_fixture_make(&f);
    struct et_record *r = (struct et_record *)f.exec;
    uint8_t *lenp = (uint8_t *)(r + 1) + sizeof(struct et_exec);
    uint16_t room = (uint16_t)((uint8_t *)r + r->size - lenp - 2);

    /* Exactly to the end of the record is fine. */
    memcpy(lenp, &room, 2);
    struct et_tail t = et_tail_of(r);
    const char *s;
    uint16_t len;
    assert_true(et_tail_str(&t, &s, &len));
    assert_int_equal(len, room);
    assert_false(t.bad);

    /* One byte more is not, and the tail stays bad afterwards. */
    uint16_t over = room + 1;
    memcpy(lenp, &over, 2);
    t = et_tail_of(r);
    assert_false(et_tail_str(&t, &s, &len));
    assert_true(t.bad);
    assert_int_equal(len, 0);
    assert_string_equal(s, "");
    assert_false(et_tail_str(&t, &s, &len));
    assert_null(et_tail_array(&t, 0, 1));

    over = 0xffff;
    memcpy(lenp, &over, 2);
    t = et_tail_of(r);
    assert_false(et_tail_str(&t, &s, &len));
    assert_true(t.bad);
    free(f.buf);
}

static void tail_str_rejects_a_length_prefix_cut_by_the_record_end(void **state)
{
    (void)state;
    struct tail_fixture f;
    tail_fixture_make(&f);
    struct et_tail t = et_tail_of(f.exec);
    t.end = t.p + 1; /* one byte left: not even the length fits */
    const char *s;
    uint16_t len;
    assert_false(et_tail_str(&t, &s, &len));
    assert_true(t.bad);
    free(f.buf);
}

static void tail_array_rejects_a_count_past_the_record(void **state)
{
    (void)state;
    struct tail_fixture f;
    tail_fixture_make(&f);
    struct et_tail t = et_tail_of(f.start);
    size_t room = (size_t)(t.end - t.p);

    struct et_tail ok = t;
    assert_non_null(et_tail_array(&ok, room / sizeof(struct et_pipe_end), sizeof(struct et_pipe_end)));
    assert_false(ok.bad);

    struct et_tail over = t;
    assert_null(et_tail_array(&over, room / sizeof(struct et_pipe_end) + 1, sizeof(struct et_pipe_end)));
    assert_true(over.bad);

    /* A count whose byte size wraps around must not pass for a small one. */
    struct et_tail wrap = t;
    assert_null(et_tail_array(&wrap, SIZE_MAX / sizeof(struct et_pipe_end) + 2, sizeof(struct et_pipe_end)));
    assert_true(wrap.bad);

    struct et_tail big = t;
    assert_null(et_tail_array(&big, 0xffff, sizeof(int32_t)));
    assert_true(big.bad);
    free(f.buf);
}

static void tail_of_a_record_shorter_than_its_body_is_bad(void **state)
{
    (void)state;
    struct tail_fixture f;
    tail_fixture_make(&f);
    /* As a caller holding a record the reader did not check would see it. */
    struct et_record *r = (struct et_record *)f.start;
    r->size = sizeof(struct et_record) + 8;
    struct et_tail t = et_tail_of(r);
    assert_true(t.bad);
    assert_null(et_tail_array(&t, 0, sizeof(struct et_pipe_end)));
    const char *s;
    uint16_t len;
    assert_false(et_tail_str(&t, &s, &len));
    free(f.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(intact_trace_reads_every_record_without_a_diagnosis),
        cmocka_unit_test(newer_minor_version_is_read_in_full),
        cmocka_unit_test(trace_cut_after_the_claimed_chunks_loses_no_record),
        cmocka_unit_test(wrong_magic_is_unreadable_at_offset_0),
        cmocka_unit_test(empty_file_is_unreadable_at_offset_0),
        cmocka_unit_test(file_shorter_than_the_magic_is_unreadable),
        cmocka_unit_test(file_cut_inside_the_header_names_where_it_ends),
        cmocka_unit_test(newer_major_version_says_the_file_is_newer),
        cmocka_unit_test(a_ring_version_without_a_ring_is_refused),
        cmocka_unit_test(older_major_version_is_refused_without_claiming_it_is_newer),
        cmocka_unit_test(other_byte_order_is_named),
        cmocka_unit_test(garbled_byte_order_marker_is_named),
        cmocka_unit_test(inconsistent_header_size_is_reported_and_records_still_read),
        cmocka_unit_test(truncation_mid_run_keeps_the_records_before_the_cut),
        cmocka_unit_test(truncation_at_a_chunk_boundary_inside_a_run_keeps_whole_records),
        cmocka_unit_test(garbled_commit_word_skips_only_that_record),
        cmocka_unit_test(impossible_record_size_skips_only_that_record),
        cmocka_unit_test(record_too_short_for_its_type_is_skipped),
        cmocka_unit_test(record_of_reserved_type_0_is_skipped),
        cmocka_unit_test(record_of_a_type_added_later_is_returned),
        cmocka_unit_test(last_run_claiming_more_chunks_than_exist_is_reported_and_read),
        cmocka_unit_test(first_run_claiming_more_chunks_than_exist_does_not_hide_later_runs),
        cmocka_unit_test(garbled_run_tag_loses_only_that_run),
        cmocka_unit_test(scan_stops_when_the_callback_asks_and_passes_its_value_on),
        cmocka_unit_test(open_reports_missing_and_non_regular_files),
        cmocka_unit_test(tail_strings_of_a_sound_record_decode),
        cmocka_unit_test(tail_str_rejects_a_length_past_the_record),
        cmocka_unit_test(tail_str_rejects_a_length_prefix_cut_by_the_record_end),
        cmocka_unit_test(tail_array_rejects_a_count_past_the_record),
        cmocka_unit_test(tail_of_a_record_shorter_than_its_body_is_bad),
    };
    return cmocka_run_group_tests_name("reader", tests, build, unbuild);
}
