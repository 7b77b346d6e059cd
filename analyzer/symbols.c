/*
 * Resolving call-site stacks offline (see symbols.h).
 */
#define _GNU_SOURCE
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "symbols.h"

/* A process image's start, for finding which objects a record's process had:
 * its own since its last exec, or, before any exec, its parent's at the fork. */
struct image {
    uint32_t pid;
    uint64_t start_time;
    uint64_t ts;
    uint32_t ppid;
    bool exec; /* a new program (or the launcher); false for a fork child */
};

struct module {
    uint32_t pid;
    uint64_t start_time;
    uint64_t ts;
    uint64_t start, end, bias;
    const uint8_t *build_id;
    uint16_t build_id_len;
    uint16_t flags;
    char *path;
};

/* An object file opened for symbols, shared by every image that loaded it. */
struct object {
    char *path;
    Dwfl *dwfl;
    Dwfl_Module *mod;
    const unsigned char *build_id;
    int build_id_len;
    bool missing;
};

/* A wait's call site is on its entry: its return points back to it. */
struct wait_entry {
    uint32_t pid, tid;
    uint64_t start_time;
    uint64_t ts;
    const struct et_record *r;
};

struct et_symbols {
    struct wait_entry *waits;
    size_t nwaits, cap_waits;
    struct image *images;
    size_t nimages, cap_images;
    struct module *modules;
    size_t nmodules, cap_modules;
    struct object *objects;
    size_t nobjects, cap_objects;
    char *cwd;
    /* Strings handed out by et_symbols_resolve. */
    char **strings;
    size_t nstrings, cap_strings;
};

static bool grow(void **v, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 64;
    void *p = realloc(*v, c * elem);
    if (!p)
        return false;
    *v = p;
    *cap = c;
    return true;
}

static int collect(const struct et_record *r, uint64_t offset, void *ctx)
{
    (void)offset;
    struct et_symbols *s = ctx;
    if (r->type == ET_REC_IMAGE_START) {
        const struct et_image_start *b = et_body(r);
        if (!grow((void **)&s->images, &s->cap_images, s->nimages, sizeof(struct image)))
            return -ENOMEM;
        s->images[s->nimages++] = (struct image){r->pid, r->start_time, r->ts_ns, b->ppid,
                                                 b->origin == ET_ORIGIN_EXEC || b->origin == ET_ORIGIN_LAUNCHER};
    } else if (r->type == ET_REC_WAIT_ENTER && (r->flags & ET_RF_STACK)) {
        if (!grow((void **)&s->waits, &s->cap_waits, s->nwaits, sizeof(struct wait_entry)))
            return -ENOMEM;
        s->waits[s->nwaits++] = (struct wait_entry){r->pid, r->tid, r->start_time, r->ts_ns, r};
    } else if (r->type == ET_REC_MODULE) {
        const struct et_module *b = et_body(r);
        struct et_tail tail = et_tail_of(r);
        const uint8_t *id = et_tail_array(&tail, b->build_id_len, 1);
        const char *path;
        uint16_t len;
        if (!id || b->build_id_len > ET_MAX_BUILD_ID || !et_tail_str(&tail, &path, &len) || b->end <= b->start)
            return 0;
        char *copy = strndup(path, len);
        if (!copy || !grow((void **)&s->modules, &s->cap_modules, s->nmodules, sizeof(struct module))) {
            free(copy);
            return -ENOMEM;
        }
        s->modules[s->nmodules++] = (struct module){r->pid, r->start_time, r->ts_ns, b->start, b->end, b->load_bias,
                                                    id, b->build_id_len, b->flags, copy};
    }
    return 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b;
}

static int image_order(const void *pa, const void *pb)
{
    const struct image *a = pa, *b = pb;
    int c = cmp_u64(a->pid, b->pid);
    if (!c)
        c = cmp_u64(a->start_time, b->start_time);
    return c ? c : cmp_u64(a->ts, b->ts);
}

static int wait_order(const void *pa, const void *pb)
{
    const struct wait_entry *a = pa, *b = pb;
    int c = cmp_u64(a->pid, b->pid);
    if (!c)
        c = cmp_u64(a->tid, b->tid);
    if (!c)
        c = cmp_u64(a->start_time, b->start_time);
    return c ? c : cmp_u64(a->ts, b->ts);
}

static int module_order(const void *pa, const void *pb)
{
    const struct module *a = pa, *b = pb;
    int c = cmp_u64(a->pid, b->pid);
    if (!c)
        c = cmp_u64(a->start_time, b->start_time);
    return c ? c : cmp_u64(a->ts, b->ts);
}

struct et_symbols *et_symbols_load(struct et_trace *t)
{
    struct et_symbols *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    int ret = et_trace_scan(t, collect, s);
    if (ret < 0) {
        et_symbols_free(s);
        return NULL;
    }
    /* qsort wants an array even for no elements. */
    if (s->nimages)
        qsort(s->images, s->nimages, sizeof(*s->images), image_order);
    if (s->nmodules)
        qsort(s->modules, s->nmodules, sizeof(*s->modules), module_order);
    if (s->nwaits)
        qsort(s->waits, s->nwaits, sizeof(*s->waits), wait_order);
    s->cwd = getcwd(NULL, 0);
    return s;
}

void et_symbols_free(struct et_symbols *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nmodules; i++)
        free(s->modules[i].path);
    for (size_t i = 0; i < s->nobjects; i++) {
        free(s->objects[i].path);
        if (s->objects[i].dwfl)
            dwfl_end(s->objects[i].dwfl);
    }
    for (size_t i = 0; i < s->nstrings; i++)
        free(s->strings[i]);
    free(s->waits);
    free(s->images);
    free(s->modules);
    free(s->objects);
    free(s->strings);
    free(s->cwd);
    free(s);
}

/* The latest image of (pid, start_time) that began at or before ts; NULL
 * when none is in the trace. */
static const struct image *image_at(const struct et_symbols *s, uint32_t pid, uint64_t start_time, uint64_t ts)
{
    size_t lo = 0, hi = s->nimages;
    struct image key = {pid, start_time, ts, 0, false};
    while (lo < hi) { /* first image after key */
        size_t mid = lo + (hi - lo) / 2;
        if (image_order(&s->images[mid], &key) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const struct image *im = &s->images[lo - 1];
    return im->pid == pid && im->start_time == start_time ? im : NULL;
}

/* The latest exec image of the same process at or before `im`, and the
 * time its image ends (the next exec), UINT64_MAX when none. */
static const struct image *exec_image_of(const struct et_symbols *s, const struct image *im, uint64_t *until)
{
    const struct image *first = s->images;
    const struct image *e = im;
    while (e > first && !e->exec && e[-1].pid == im->pid && e[-1].start_time == im->start_time)
        e--;
    *until = UINT64_MAX;
    for (const struct image *n = im + 1; n < s->images + s->nimages; n++) {
        if (n->pid != im->pid || n->start_time != im->start_time)
            break;
        if (n->exec) {
            *until = n->ts;
            break;
        }
    }
    return e;
}

/* A module of (pid, start_time) recorded in [from, until) that covers pc. */
static const struct module *module_covering(const struct et_symbols *s, uint32_t pid, uint64_t start_time,
                                            uint64_t from, uint64_t until, uint64_t pc)
{
    size_t lo = 0, hi = s->nmodules;
    struct module key = {.pid = pid, .start_time = start_time, .ts = from};
    while (lo < hi) { /* first module at or after key */
        size_t mid = lo + (hi - lo) / 2;
        if (module_order(&s->modules[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const struct module *found = NULL;
    for (size_t i = lo; i < s->nmodules; i++) {
        const struct module *m = &s->modules[i];
        if (m->pid != pid || m->start_time != start_time || m->ts >= until)
            break;
        if (pc >= m->start && pc < m->end)
            found = m; /* the latest one wins: an object loaded again */
    }
    return found;
}

static const struct module *find_module(const struct et_symbols *s, const struct et_record *r, uint64_t pc)
{
    uint32_t pid = r->pid;
    uint64_t start_time = r->start_time, ts = r->ts_ns;
    for (int hops = 0; hops < 64; hops++) {
        const struct image *im = image_at(s, pid, start_time, ts);
        if (!im)
            return NULL;
        uint64_t until;
        const struct image *e = exec_image_of(s, im, &until);
        const struct module *m = module_covering(s, pid, start_time, e->exec ? e->ts : 0, until, pc);
        if (m || e->exec)
            return m;
        /* A fork child that has not exec'd: its parent's objects, as they
         * were when it was forked. */
        const struct image *parent = NULL;
        for (size_t i = 0; i < s->nimages; i++) {
            const struct image *p = &s->images[i];
            if (p->pid == e->ppid && p->ts <= e->ts && (!parent || p->ts > parent->ts))
                parent = p;
        }
        if (!parent)
            return NULL;
        pid = parent->pid;
        start_time = parent->start_time;
        ts = e->ts;
    }
    return NULL;
}

static struct object *object_for(struct et_symbols *s, const char *path)
{
    for (size_t i = 0; i < s->nobjects; i++)
        if (strcmp(s->objects[i].path, path) == 0)
            return &s->objects[i];
    if (!grow((void **)&s->objects, &s->cap_objects, s->nobjects, sizeof(struct object)))
        return NULL;
    struct object *o = &s->objects[s->nobjects];
    *o = (struct object){.path = strdup(path), .missing = true};
    if (!o->path)
        return NULL;
    s->nobjects++;

    static char *debuginfo_path = NULL;
    static const Dwfl_Callbacks callbacks = {
        .find_elf = dwfl_build_id_find_elf,
        .find_debuginfo = dwfl_standard_find_debuginfo,
        .section_address = dwfl_offline_section_address,
        .debuginfo_path = &debuginfo_path,
    };
    /* The path comes from the trace: only a regular file is read (a FIFO
     * or a device named there must not block or be read from). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd < 0)
        return o;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return o;
    }
    o->dwfl = dwfl_begin(&callbacks);
    if (!o->dwfl) {
        close(fd);
        return o;
    }
    /* At bias 0, module addresses are the file's own: pc - load bias.
     * libdw owns fd from here. */
    o->mod = dwfl_report_elf(o->dwfl, path, path, fd, 0, false);
    dwfl_report_end(o->dwfl, NULL, NULL);
    if (!o->mod)
        return o;
    GElf_Addr vaddr;
    o->build_id_len = dwfl_module_build_id(o->mod, &o->build_id, &vaddr);
    o->missing = false;
    return o;
}

/* The call site, in the function that holds pc, of the inlined function
 * pc lies in; NULL when pc is not in an inlined function. */
static const char *inlined_call_site(Dwarf_Die *unit, Dwarf_Addr pc, int *lineno)
{
    Dwarf_Die fn, in;
    if (dwarf_child(unit, &fn) != 0)
        return NULL;
    do {
        if (dwarf_tag(&fn) != DW_TAG_subprogram || dwarf_haspc(&fn, pc) != 1 || dwarf_child(&fn, &in) != 0)
            continue;
        do {
            if (dwarf_tag(&in) != DW_TAG_inlined_subroutine || dwarf_haspc(&in, pc) != 1)
                continue;
            Dwarf_Attribute attr;
            Dwarf_Word file = 0, line = 0;
            Dwarf_Files *files;
            size_t nfiles;
            if (dwarf_formudata(dwarf_attr(&in, DW_AT_call_file, &attr), &file) != 0 ||
                dwarf_formudata(dwarf_attr(&in, DW_AT_call_line, &attr), &line) != 0 || line == 0 ||
                line > INT32_MAX || dwarf_getsrcfiles(unit, &files, &nfiles) != 0 || file >= nfiles)
                return NULL;
            *lineno = (int)line;
            return dwarf_filesrc(files, file, NULL, NULL);
        } while (dwarf_siblingof(&in, &in) == 0);
        return NULL;
    } while (dwarf_siblingof(&fn, &fn) == 0);
    return NULL;
}

/* Without .debug_aranges (Go's linker writes none) libdwfl finds no unit
 * for an address: look through the units' own ranges. */
static const char *line_by_unit(struct object *o, Dwarf_Addr addr, int *lineno)
{
    Dwarf_Addr bias;
    Dwarf *dw = dwfl_module_getdwarf(o->mod, &bias);
    if (!dw)
        return NULL;
    Dwarf_Off off = 0, next;
    size_t header;
    for (unsigned units = 0; units < 100000 && dwarf_nextcu(dw, off, &next, &header, NULL, NULL, NULL) == 0;
         units++, off = next) {
        Dwarf_Die unit;
        if (!dwarf_offdie(dw, off + header, &unit) || dwarf_haspc(&unit, addr - bias) != 1)
            continue;
        /* Go inlines small library functions (os.(*Process).Kill) into
         * their callers: the line is that of the call in the function the
         * symbol names, where the outermost inlined scope was called. */
        const char *called_at = inlined_call_site(&unit, addr - bias, lineno);
        if (called_at)
            return called_at;
        Dwarf_Line *line = dwarf_getsrc_die(&unit, addr - bias);
        return line && dwarf_lineno(line, lineno) == 0 ? dwarf_linesrc(line, NULL, NULL) : NULL;
    }
    return NULL;
}

static const char *keep(struct et_symbols *s, const char *str)
{
    if (!str || !grow((void **)&s->strings, &s->cap_strings, s->nstrings, sizeof(char *)))
        return NULL;
    char *copy = strdup(str);
    if (copy)
        s->strings[s->nstrings++] = copy;
    return copy;
}

void et_symbols_resolve(struct et_symbols *s, const struct et_record *r, unsigned index, uint64_t pc,
                        struct et_frame *out)
{
    (void)index;
    *out = (struct et_frame){.pc = pc};
    const struct module *m = find_module(s, r, pc);
    if (!m)
        return;
    out->module = m->path;
    out->offset = pc - m->bias;
    if (m->flags & ET_MODULE_VDSO)
        return;
    struct object *o = object_for(s, m->path);
    if (!o || o->missing) {
        out->missing = true;
        return;
    }
    /* Go's own linker writes no build id: then both have none. */
    if (o->build_id_len != (int)m->build_id_len ||
        (m->build_id_len && memcmp(o->build_id, m->build_id, m->build_id_len) != 0)) {
        out->changed = true;
        return;
    }
    /* Return addresses point after the call: its line is the one before. */
    Dwarf_Addr addr = out->offset ? out->offset - 1 : 0;
    GElf_Off function_offset;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(o->mod, addr, &function_offset, &sym, NULL, NULL, NULL);
    if (name) {
        /* "__libc_start_main@@GLIBC_2.34": the version is noise here. */
        const char *at = strchr(name, '@');
        if (at) {
            char *plain = strndup(name, (size_t)(at - name));
            name = plain ? keep(s, plain) : name;
            free(plain);
        }
        out->function = name;
        out->function_offset = function_offset + 1;
    }
    Dwfl_Line *line = dwfl_module_getsrc(o->mod, addr);
    /* A Go program linked by gcc (cgo) has aranges for its C units only:
     * libdw then answers with a line of some C unit.  A unit that does not
     * cover the address is not the answer. */
    Dwarf_Addr bias = 0;
    Dwarf_Die *unit = line ? dwfl_linecu(line) : NULL;
    if (line && unit && dwfl_module_getdwarf(o->mod, &bias) && dwarf_haspc(unit, addr - bias) == 0)
        line = NULL;
    int lineno = 0;
    const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
    if (!file)
        file = line_by_unit(o, addr, &lineno);
    if (file && lineno > 0) {
        size_t n = s->cwd ? strlen(s->cwd) : 0;
        if (n && strncmp(file, s->cwd, n) == 0 && file[n] == '/')
            file += n + 1;
        out->file = keep(s, file);
        out->line = lineno;
    }
}

/* Names from a trace or a binary, printed without control bytes. */
static void print_name(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
}

void et_frame_print(FILE *out, const struct et_frame *f)
{
    if (f->file) {
        print_name(out, f->file);
        fprintf(out, ":%d", f->line);
        if (f->function) {
            fputs(" in ", out);
            print_name(out, f->function);
            fputs("()", out);
        }
        return;
    }
    if (f->function) {
        print_name(out, f->function);
        fprintf(out, "+0x%" PRIx64 " in ", f->function_offset);
        print_name(out, f->module);
        return;
    }
    if (f->module) {
        print_name(out, f->module);
        fprintf(out, "+0x%" PRIx64, f->offset);
        if (f->changed)
            fputs(" (the file changed since the trace: build id differs)", out);
        else if (f->missing)
            fputs(" (file not readable)", out);
        return;
    }
    fprintf(out, "0x%" PRIx64, f->pc);
}

const char *et_stack_missing_reason(const struct et_record *r)
{
    const uint64_t *pc;
    struct et_stack_trailer trailer;
    if (!et_record_stack(r, &pc, &trailer))
        return "no stack recorded";
    if (trailer.frames)
        return NULL;
    if ((trailer.flags & ET_STACK_SKIP_VFORK) && (trailer.flags & ET_STACK_PARTIAL))
        return "no stack: its first frame needs libunwind, which a vfork child may not load";
    if (trailer.flags & ET_STACK_SKIP_VFORK)
        return "no stack: a vfork child, which runs on its parent's stack";
    if (trailer.flags & ET_STACK_SKIP_CLONE)
        return "no stack: a clone() child, on a stack of unknown size";
    if (trailer.flags & ET_STACK_SKIP_EARLY)
        return "no stack: before the shim had set up its unwinder";
    if (trailer.flags & ET_STACK_SKIP_NESTED)
        return "no stack: a signal handler interrupted another capture";
    if (trailer.flags & ET_STACK_NO_UNWINDER)
        return "no stack: libunwind (libunwind.so.8) could not be loaded";
    if (trailer.flags & ET_STACK_PARTIAL)
        return "no stack: its first frame needs libunwind, which a program with signal handlers does not load";
    return "no stack: the unwinder found no frame";
}

const struct et_record *et_symbols_call_record(const struct et_symbols *s, const struct et_record *r)
{
    if (r->type != ET_REC_WAIT_RETURN)
        return r;
    struct wait_entry key = {r->pid, r->tid, r->start_time, r->ts_ns, NULL};
    size_t lo = 0, hi = s->nwaits;
    while (lo < hi) { /* first entry after key */
        size_t mid = lo + (hi - lo) / 2;
        if (wait_order(&s->waits[mid], &key) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return r;
    const struct wait_entry *w = &s->waits[lo - 1];
    return w->pid == r->pid && w->tid == r->tid && w->start_time == r->start_time ? w->r : r;
}

/* Frames past these are the C runtime starting the program. */
static bool is_program_entry(const struct et_frame *f)
{
    return f->function && strcmp(f->function, "main") == 0;
}

/* Go's standard library between a program and its system call: the
 * runtime's stub, syscall, os, os/exec. */
static bool go_library_function(const char *name)
{
    static const char *const packages[] = {"runtime.", "runtime/", "syscall.", "internal/", "os.", "os/exec.",
                                           "os/signal.", "context.", "time.", "sync."};
    for (size_t k = 0; name && k < sizeof(packages) / sizeof(packages[0]); k++)
        if (!strncmp(name, packages[k], strlen(packages[k])))
            return true;
    return false;
}

/* Where a Go program's call site starts: at the library call the program
 * made (os/exec.(*Cmd).Wait, say), with the program's own line next, rather
 * than ten frames of the runtime's way to the system call.  0 for other
 * programs, and for a stack with no frame of the program's own. */
static unsigned go_library_frames(struct et_symbols *s, const struct et_record *r, const uint64_t *pc, unsigned n,
                                  unsigned shown)
{
    struct et_frame f;
    et_symbols_resolve(s, r, 0, pc[0], &f);
    if (!f.function || (strncmp(f.function, "runtime", 7) && strncmp(f.function, "syscall.", 8)))
        return 0;
    unsigned outermost = 0;
    for (unsigned i = 1; i < n; i++) {
        et_symbols_resolve(s, r, i, pc[i], &f);
        if (!go_library_function(f.function))
            return i - 1;
        if (f.function && strncmp(f.function, "runtime.goexit", 14))
            outermost = i;
    }
    /* A goroutine of the library's own (CommandContext's watcher, say):
     * where it started says most. */
    return outermost + 1 > shown ? outermost + 1 - shown : 0;
}

void et_print_call_site(FILE *out, struct et_symbols *s, const struct et_record *r, unsigned frames)
{
    r = et_symbols_call_record(s, r);
    const uint64_t *pc;
    struct et_stack_trailer trailer;
    if (!et_record_stack(r, &pc, &trailer) || trailer.frames == 0)
        return;
    unsigned first = go_library_frames(s, r, pc, trailer.frames, frames);
    unsigned n = trailer.frames - first < frames ? trailer.frames : first + frames;
    for (unsigned i = first; i < n; i++) {
        struct et_frame f;
        et_symbols_resolve(s, r, i, pc[i], &f);
        fputs(i > first ? "        called from " : "      at ", out);
        et_frame_print(out, &f);
        fputc('\n', out);
        if (is_program_entry(&f))
            break;
    }
}

void et_json_stack(struct et_json *j, struct et_symbols *s, const struct et_record *r)
{
    r = et_symbols_call_record(s, r);
    const uint64_t *pc;
    struct et_stack_trailer trailer;
    et_json_array(j);
    for (unsigned i = 0; et_record_stack(r, &pc, &trailer) && i < trailer.frames; i++) {
        struct et_frame f;
        et_symbols_resolve(s, r, i, pc[i], &f);
        et_json_object(j);
        et_json_key(j, "pc");
        et_json_uint(j, f.pc);
        et_json_key(j, "module");
        et_json_cstr(j, f.module);
        et_json_key(j, "offset");
        et_json_uint(j, f.offset);
        et_json_key(j, "function");
        et_json_cstr(j, f.function);
        et_json_key(j, "file");
        et_json_cstr(j, f.file);
        et_json_key(j, "line");
        et_json_int(j, f.line);
        et_json_key(j, "build_id_changed");
        et_json_bool(j, f.changed);
        et_json_end(j);
    }
    et_json_end(j);
}
