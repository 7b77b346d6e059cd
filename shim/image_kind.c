/*
 * Telling a program that loads the shim from one that makes its own system
 * calls, from the file alone: a static ELF has no PT_INTERP; a Go program,
 * static or not, carries the Go build-id note in a PT_NOTE segment.  Only
 * the file's first page is read, and the notes if they lie further in.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "image_kind.h"
#include "sys.h"

#define HEAD_BYTES 4096u
#define PATH_ROOM 2048u
/* The kernel follows at most this many interpreters of interpreters. */
#define MAX_SCRIPT_DEPTH 4
/* Go's linker names its note "Go" with type 4 (the build ID). */
#define GO_NOTE_BUILDID 4u

static long pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    return et_sys4(SYS_pread64, fd, (long)buf, (long)len, (long)off);
}

bool et_notes_name_go(const uint8_t *p, size_t len)
{
    size_t at = 0;
    while (at + sizeof(Elf64_Nhdr) <= len) {
        const Elf64_Nhdr *n = (const Elf64_Nhdr *)(p + at);
        size_t name_at = at + sizeof(*n);
        size_t name_len = (n->n_namesz + 3u) & ~3u, desc_len = (n->n_descsz + 3u) & ~3u;
        if (n->n_namesz == 4 && name_at + 4 <= len && memcmp(p + name_at, "Go\0\0", 4) == 0 &&
            n->n_type == GO_NOTE_BUILDID)
            return true;
        if (name_len > len || desc_len > len)
            return false;
        at = name_at + name_len + desc_len;
    }
    return false;
}

/* An ELF file's kind from its first bytes; other files are ET_IMAGE_NONE. */
static enum et_image_kind elf_kind(int fd, const uint8_t *head, size_t got, uint8_t *room)
{
    if (got < sizeof(Elf64_Ehdr) || memcmp(head, ELFMAG, SELFMAG) != 0)
        return ET_IMAGE_NONE;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)head;
    /* The recorder's filter lets other architectures' calls through. */
    if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
        eh->e_phentsize != sizeof(Elf64_Phdr))
        return ET_IMAGE_NONE;
    bool dynamic = false, go = false;
    for (unsigned i = 0; i < eh->e_phnum && i < 256; i++) {
        uint64_t at = eh->e_phoff + (uint64_t)i * sizeof(Elf64_Phdr);
        Elf64_Phdr ph;
        if (at + sizeof(ph) <= got)
            memcpy(&ph, head + at, sizeof(ph));
        else if (pread_all(fd, &ph, sizeof(ph), at) != (long)sizeof(ph))
            return ET_IMAGE_UNREADABLE;
        if (ph.p_type == PT_INTERP) {
            dynamic = true;
        } else if (ph.p_type == PT_NOTE && !go) {
            size_t len = ph.p_filesz < PATH_ROOM ? (size_t)ph.p_filesz : PATH_ROOM;
            if (ph.p_offset + len <= got) {
                go = et_notes_name_go(head + ph.p_offset, len);
            } else {
                long n = pread_all(fd, room, len, ph.p_offset);
                go = n > 0 && et_notes_name_go(room, (size_t)n);
            }
        }
    }
    return dynamic && !go ? ET_IMAGE_DYNAMIC : ET_IMAGE_OWN_CALLS;
}

/* "#!interpreter [arg]": copies the interpreter's path into out. */
static bool script_interpreter(const uint8_t *head, size_t got, char *out)
{
    if (got < 3 || head[0] != '#' || head[1] != '!')
        return false;
    size_t i = 2, end = got < 256 ? got : 256;
    while (i < end && (head[i] == ' ' || head[i] == '\t'))
        i++;
    size_t n = 0;
    while (i < end && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && head[i] != 0 && n + 1 < PATH_ROOM)
        out[n++] = (char)head[i++];
    out[n] = 0;
    return n > 0;
}

enum et_image_kind et_image_kind_at(int dirfd, const char *path, int at_flags, char *scratch)
{
    uint8_t *head = (uint8_t *)scratch;
    char *paths[2] = {scratch + HEAD_BYTES, scratch + HEAD_BYTES + PATH_ROOM};
    _Static_assert(HEAD_BYTES + 2 * PATH_ROOM <= ET_IMAGE_KIND_SCRATCH, "image kind scratch");
    for (int depth = 0; depth <= MAX_SCRIPT_DEPTH; depth++) {
        /* Only a regular file runs; nothing else is opened (a device or a
         * FIFO could block or change state on open). */
        struct stat st;
        int stat_flags = at_flags & (AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
        int err = et_fstatat(dirfd, path, &st, stat_flags);
        if (err == -EACCES || err == -EPERM)
            return ET_IMAGE_UNREADABLE;
        if (err < 0 || !S_ISREG(st.st_mode))
            return ET_IMAGE_NONE;
        int fd;
        bool own_fd = true;
        if ((at_flags & AT_EMPTY_PATH) && path[0] == 0) {
            fd = dirfd;
            own_fd = false;
        } else {
            fd = et_openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
                                            ((at_flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0), 0);
            if (fd == -EACCES || fd == -EPERM)
                return ET_IMAGE_UNREADABLE;
            if (fd < 0)
                return ET_IMAGE_NONE;
        }
        long got = pread_all(fd, head, HEAD_BYTES, 0);
        enum et_image_kind kind = ET_IMAGE_NONE;
        bool script = false;
        if (got < 0) {
            kind = ET_IMAGE_UNREADABLE; /* an O_PATH fd, for one */
        } else if (script_interpreter(head, (size_t)got, paths[depth & 1])) {
            script = true;
        } else {
            kind = elf_kind(fd, head, (size_t)got, (uint8_t *)paths[depth & 1]);
        }
        if (own_fd)
            et_close(fd);
        if (!script)
            return kind;
        path = paths[depth & 1];
        dirfd = AT_FDCWD;
        at_flags = 0;
    }
    return ET_IMAGE_NONE; /* the kernel refuses deeper nesting (ELOOP) */
}

const char *et_image_search_path(const char *name, const char *dirs, char *candidate, size_t room)
{
    if (strchr(name, '/'))
        return name;
    if (!dirs)
        dirs = "/bin:/usr/bin";
    size_t len = strlen(name);
    struct stat st;
    for (;;) {
        size_t n = strcspn(dirs, ":");
        size_t at = n ? n : 1; /* an empty entry is the current directory */
        if (at + 1 + len < room) {
            memcpy(candidate, n ? dirs : ".", at);
            candidate[at] = '/';
            memcpy(candidate + at + 1, name, len + 1);
            if (et_fstatat(AT_FDCWD, candidate, &st, 0) == 0 && S_ISREG(st.st_mode) &&
                et_sys3(SYS_access, (long)candidate, X_OK, 0) == 0)
                return candidate;
        }
        if (!dirs[n])
            return NULL;
        dirs += n + 1;
    }
}
