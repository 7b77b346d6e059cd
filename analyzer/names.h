/* Names for the numbers a trace holds: signals, errno values, flag sets. */
#ifndef EXECTRACE_NAMES_H
#define EXECTRACE_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct et_flag_name {
    uint64_t value;
    const char *name;
};

/* "SIGKILL", or "signal 77" in buf. */
const char *et_signal_name(int sig, char *buf, size_t len);
/* "ENOENT", or "errno 4095" in buf. */
const char *et_errno_name(int err, char *buf, size_t len);
/* "A|B|0x40" for the set bits of value, "0" for none. */
const char *et_flags_string(uint64_t value, const struct et_flag_name *names, char *buf, size_t len);
/* "WIFEXITED 0", "WIFSIGNALED SIGKILL core dumped", ... */
const char *et_wait_status_string(int status, char *buf, size_t len);

extern const struct et_flag_name et_clone_flag_names[];
extern const struct et_flag_name et_open_flag_names[];
extern const struct et_flag_name et_wait_option_names[];
extern const struct et_flag_name et_spawn_flag_names[];
extern const struct et_flag_name et_sa_flag_names[];
extern const struct et_flag_name et_close_range_flag_names[];

const char *et_fork_kind_name(unsigned kind);
const char *et_exec_kind_name(unsigned kind);
const char *et_spawn_kind_name(unsigned kind);
const char *et_signal_kind_name(unsigned kind);
const char *et_wait_kind_name(unsigned kind);
const char *et_dup_kind_name(unsigned kind);
const char *et_origin_name(unsigned origin);
const char *et_exit_how_name(unsigned how);
const char *et_record_type_name(unsigned type);
const char *et_recorder_state_name(unsigned state);
const char *et_recorder_filter_name(unsigned filter);
const char *et_idtype_name(int idtype);
const char *et_cld_code_name(int code);
const char *et_disposition_name(unsigned disposition);
const char *et_sigchld_call_name(unsigned call);
const char *et_prctl_option_name(int option);
/* "read", "wait4", ... or NULL for a call these names do not cover. */
const char *et_syscall_name(int nr);
/* Is the call's first argument a number (fd, pid) rather than an address? */
bool et_syscall_first_arg_is_int(int nr);

#endif
