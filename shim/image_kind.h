/*
 * What a file would run if exec'd, as far as who can record it: the shim
 * (a dynamic program: it loads libc and the shim with it) or only the ptrace
 * recorder (a static program, or a Go program, which makes its system calls
 * itself even when dynamically linked); and which file an exec of a name
 * would run.  Raw system calls only: this runs in the shim before an exec,
 * possibly in a vfork child, and in the launcher.
 */
#ifndef EXECTRACE_IMAGE_KIND_H
#define EXECTRACE_IMAGE_KIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum et_image_kind {
    ET_IMAGE_DYNAMIC = 0,    /* the shim will be in it */
    ET_IMAGE_OWN_CALLS = 1,  /* static or Go: only the recorder sees its calls */
    ET_IMAGE_UNREADABLE = 2, /* execute-only, or unreadable: could be either */
    ET_IMAGE_NONE = 3,       /* missing, or not a program the kernel runs */
};

/* Scratch the classification needs, from the caller (exec may run on a
 * small stack). */
#define ET_IMAGE_KIND_SCRATCH 8192u

/* dirfd/path/at_flags as execveat takes them (AT_EMPTY_PATH with an empty
 * path reads dirfd itself).  A script is classified by its interpreter. */
enum et_image_kind et_image_kind_at(int dirfd, const char *path, int at_flags, char *scratch);

/* The file execvp would run for name: name itself if it has a slash, else
 * the first executable regular file found along dirs (PATH's value; NULL:
 * "/bin:/usr/bin"), built in candidate (room bytes).  NULL if none. */
const char *et_image_search_path(const char *name, const char *dirs, char *candidate, size_t room);

/* Do these ELF notes (a PT_NOTE segment's bytes) include Go's build ID? */
bool et_notes_name_go(const uint8_t *notes, size_t len);

#endif
