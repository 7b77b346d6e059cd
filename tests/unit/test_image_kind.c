/* Who can record a program, from its file alone (shim/image_kind.c): the
 * shim (dynamic) or only the ptrace recorder (static, Go). */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "image_kind.h"

static char dir[] = "/tmp/exectrace-kind-XXXXXX";
static char scratch[ET_IMAGE_KIND_SCRATCH];

static enum et_image_kind kind_of(const char *path)
{
    return et_image_kind_at(AT_FDCWD, path, 0, scratch);
}

static const char *in_dir(const char *name)
{
    static char path[4][PATH_MAX];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, PATH_MAX, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* A minimal x86-64 ELF: header, program headers, and a Go build-id note at
 * note_at (0: none). */
static void write_elf(const char *path, bool interp, size_t note_at, unsigned char elf_class)
{
    static unsigned char image[12288];
    memset(image, 0, sizeof(image));
    Elf64_Ehdr *eh = (Elf64_Ehdr *)image;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = elf_class;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_X86_64;
    eh->e_phoff = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    Elf64_Phdr *ph = (Elf64_Phdr *)(image + eh->e_phoff);
    ph[eh->e_phnum++] = (Elf64_Phdr){.p_type = PT_LOAD, .p_filesz = sizeof(image)};
    if (interp)
        ph[eh->e_phnum++] = (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = 512, .p_filesz = 28};
    if (note_at) {
        /* A GNU note first, as linkers put it, then Go's. */
        unsigned char *n = image + note_at;
        Elf64_Nhdr gnu = {4, 4, NT_GNU_BUILD_ID}, go = {4, 8, 4};
        memcpy(n, &gnu, sizeof(gnu));
        memcpy(n + 12, "GNU", 4);
        memcpy(n + 20, &go, sizeof(go));
        memcpy(n + 32, "Go\0\0", 4);
        memcpy(n + 36, "buildid!", 8);
        ph[eh->e_phnum++] = (Elf64_Phdr){.p_type = PT_NOTE, .p_offset = note_at, .p_filesz = 44};
    }
    write_file(path, image, sizeof(image), 0755);
}

static void dynamic_programs_load_the_shim(void **state)
{
    (void)state;
    assert_int_equal(kind_of("/bin/true"), ET_IMAGE_DYNAMIC);
    write_elf(in_dir("dynamic"), true, 0, ELFCLASS64);
    assert_int_equal(kind_of(in_dir("dynamic")), ET_IMAGE_DYNAMIC);
}

static void static_and_go_programs_make_their_own_calls(void **state)
{
    (void)state;
    assert_int_equal(kind_of(EXECTRACE_BUILD_DIR "/tests/progs/recorder_cases_static"), ET_IMAGE_OWN_CALLS);
    assert_int_equal(kind_of(EXECTRACE_BUILD_DIR "/tests/progs/recorder_cases_static_pie"), ET_IMAGE_OWN_CALLS);
    write_elf(in_dir("static"), false, 0, ELFCLASS64);
    assert_int_equal(kind_of(in_dir("static")), ET_IMAGE_OWN_CALLS);
    /* Go with cgo is dynamic, and still makes its own calls. */
    write_elf(in_dir("cgo"), true, 1024, ELFCLASS64);
    assert_int_equal(kind_of(in_dir("cgo")), ET_IMAGE_OWN_CALLS);
    /* A note past the first page is read where it is. */
    write_elf(in_dir("cgo-far"), true, 8192, ELFCLASS64);
    assert_int_equal(kind_of(in_dir("cgo-far")), ET_IMAGE_OWN_CALLS);
}

static void scripts_are_judged_by_their_interpreter(void **state)
{
    (void)state;
    write_file(in_dir("dyn.sh"), "#!/bin/sh -e\necho\n", 18, 0755);
    assert_int_equal(kind_of(in_dir("dyn.sh")), ET_IMAGE_DYNAMIC);
    char text[PATH_MAX + 16];
    int n = snprintf(text, sizeof(text), "#! %s\n", EXECTRACE_BUILD_DIR "/tests/progs/recorder_cases_static");
    write_file(in_dir("static.sh"), text, (size_t)n, 0755);
    assert_int_equal(kind_of(in_dir("static.sh")), ET_IMAGE_OWN_CALLS);
    /* A script run by a script. */
    n = snprintf(text, sizeof(text), "#!%s\n", in_dir("static.sh"));
    write_file(in_dir("nested.sh"), text, (size_t)n, 0755);
    assert_int_equal(kind_of(in_dir("nested.sh")), ET_IMAGE_OWN_CALLS);
    /* Two scripts naming each other: the kernel gives up, so do we. */
    n = snprintf(text, sizeof(text), "#!%s\n", in_dir("loop-b.sh"));
    write_file(in_dir("loop-a.sh"), text, (size_t)n, 0755);
    n = snprintf(text, sizeof(text), "#!%s\n", in_dir("loop-a.sh"));
    write_file(in_dir("loop-b.sh"), text, (size_t)n, 0755);
    assert_int_equal(kind_of(in_dir("loop-a.sh")), ET_IMAGE_NONE);
}

static void what_does_not_run_is_none(void **state)
{
    (void)state;
    assert_int_equal(kind_of(in_dir("missing")), ET_IMAGE_NONE);
    assert_int_equal(kind_of(dir), ET_IMAGE_NONE);
    write_file(in_dir("text"), "hello\n", 6, 0755);
    assert_int_equal(kind_of(in_dir("text")), ET_IMAGE_NONE);
    write_file(in_dir("empty"), "", 0, 0755);
    assert_int_equal(kind_of(in_dir("empty")), ET_IMAGE_NONE);
    /* A FIFO is not opened (opening it would block). */
    assert_int_equal(mkfifo(in_dir("fifo"), 0755), 0);
    assert_int_equal(kind_of(in_dir("fifo")), ET_IMAGE_NONE);
    /* 32-bit: the recorder's filter lets its calls through anyway. */
    write_elf(in_dir("elf32"), false, 0, ELFCLASS32);
    assert_int_equal(kind_of(in_dir("elf32")), ET_IMAGE_NONE);
}

static void an_fd_is_read_as_fexecve_would_run_it(void **state)
{
    (void)state;
    write_elf(in_dir("static-fd"), false, 0, ELFCLASS64);
    int fd = open(in_dir("static-fd"), O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(et_image_kind_at(fd, "", AT_EMPTY_PATH, scratch), ET_IMAGE_OWN_CALLS);
    close(fd);
    /* An O_PATH fd cannot be read: could be either. */
    fd = open(in_dir("static-fd"), O_PATH | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(et_image_kind_at(fd, "", AT_EMPTY_PATH, scratch), ET_IMAGE_UNREADABLE);
    close(fd);
}

static void the_path_is_searched_as_execvp_does(void **state)
{
    (void)state;
    char candidate[PATH_MAX];
    assert_string_equal(et_image_search_path("./x/y", "/bin", candidate, sizeof(candidate)), "./x/y");
    assert_string_equal(et_image_search_path("true", "/nonexistent:/bin", candidate, sizeof(candidate)), "/bin/true");
    assert_null(et_image_search_path("no-such-program-here", "/bin:/usr/bin", candidate, sizeof(candidate)));
    /* A directory, or a file that may not be run, is passed over. */
    write_file(in_dir("plain"), "x", 1, 0644);
    char dirs[2 * PATH_MAX];
    snprintf(dirs, sizeof(dirs), "%s:/usr/bin", dir);
    assert_null(et_image_search_path("plain", dirs, candidate, sizeof(candidate)));
    write_file(in_dir("sh"), "#!/bin/sh\n", 10, 0755);
    assert_string_equal(et_image_search_path("sh", dirs, candidate, sizeof(candidate)), in_dir("sh"));
    /* An empty entry is the current directory. */
    assert_int_equal(chdir(dir), 0);
    assert_string_equal(et_image_search_path("sh", ":/usr/bin", candidate, sizeof(candidate)), "./sh");
    assert_int_equal(chdir("/"), 0);
}

static int make_dir(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dynamic_programs_load_the_shim),
        cmocka_unit_test(static_and_go_programs_make_their_own_calls),
        cmocka_unit_test(scripts_are_judged_by_their_interpreter),
        cmocka_unit_test(what_does_not_run_is_none),
        cmocka_unit_test(an_fd_is_read_as_fexecve_would_run_it),
        cmocka_unit_test(the_path_is_searched_as_execvp_does),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
