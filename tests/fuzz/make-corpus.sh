#!/usr/bin/env bash
# Regenerates the seed corpus of tests/fuzz/fuzz_trace.c: real traces
# recorded with exectrace itself at the smallest file size, cut down to the
# chunks their writers claimed, plus copies damaged the ways a trace gets
# damaged (a writer killed mid-record, a file cut short, a header from
# another machine).  Nothing but exectrace and coreutils writes these files.
#
#   tests/fuzz/make-corpus.sh [BUILD [OUT]]     (defaults: build tests/fuzz/corpus)
#
# BUILD must hold exectrace, the shim, the examples and the test programs:
#   make BUILD=... all examples $(ls tests/progs/*.c | sed 's#tests/progs/\(.*\)\.c#BUILD/tests/progs/\1#')
# Pids, times and inodes differ from one run to the next: the corpus is
# regenerated as a whole, never file by file.
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD=${1:-build}
OUT=${2:-tests/fuzz/corpus}
ET="$BUILD/exectrace"
EX="$BUILD/examples"
PROGS="$BUILD/tests/progs"
# The interpreter itself, not a wrapper script (pyenv's shims are shell
# scripts that would fill the trace with their own processes).
PY=$(python3 -c 'import sys; print(sys.executable)')
[[ -x $ET ]] || { echo "make-corpus: no $ET" >&2; exit 1; }
mkdir -p "$OUT"
SCRATCH=$(mktemp -d /tmp/exectrace-corpus-XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT

u64() { od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }
u32() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
# Little-endian bytes of an integer, for printf.
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
le64() { le32 $(($1 & 0xffffffff)); le32 $((($1 >> 32) & 0xffffffff)); }
poke() { # FILE OFFSET PRINTF-BYTES
    printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# The header's claim: 4096 + min(next_chunk, chunk_count) * 1024 bytes.
claimed_size() {
    local next count
    next=$(u64 "$1" 128)
    count=$(u32 "$1" 32)
    ((next < count)) || next=$count
    echo $((4096 + next * 1024))
}

# record NAME SIZE-OPTIONS... -- [RUN OPTIONS] -- COMMAND...: the trace of
# the run, in $SCRATCH; false when there is none.
record() {
    local name=$1 size=() opts=()
    shift
    while [[ $1 != -- ]]; do size+=("$1"); shift; done
    shift
    while [[ $1 != -- ]]; do opts+=("$1"); shift; done
    shift
    local f="$SCRATCH/$name"
    timeout -k 5 60 "$ET" run -q -o "$f" "${size[@]}" "${opts[@]}" -- "$@" >/dev/null 2>&1 </dev/null || true
    if [[ ! -s $f ]]; then
        echo "make-corpus: $name: no trace" >&2
        return 1
    fi
}

# rec NAME [RUN OPTIONS] -- COMMAND...: a trace cut down to its claimed chunks.
rec() {
    local name=$1
    shift
    record "$name" --size 68K -- "$@" || return 0
    truncate -s "$(claimed_size "$SCRATCH/$name")" "$SCRATCH/$name"
    cp "$SCRATCH/$name" "$OUT/$name"
}

# ---- real runs ------------------------------------------------------------------

rec shell-sleep-pipe-cat -- bash -c 'sleep 0.1 | cat'
# Call-site stacks and module records (format 1.2), and the same with a
# depth of 2.
rec stacks-sites -- "$PROGS/stack_sites" "$PROGS/libsites_dl.so"
EXECTRACE_STACK_DEPTH=2 rec stacks-depth-2 -- "$PROGS/stack_sites" "$PROGS/libsites_dl.so"
rec python-subprocess-pipe -- "$PY" -c 'import subprocess; subprocess.run(["echo", "hi"], stdout=subprocess.PIPE, check=True)'
rec python-subprocess-communicate -- "$PY" -c '
import subprocess
p = subprocess.Popen(["sh", "-c", "cat; echo done >&2"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
p.communicate(b"data")'
rec python-fork-kill -- "$PY" -c '
import os, signal, time
pid = os.fork()
if pid == 0:
    time.sleep(5)
    os._exit(0)
time.sleep(0.05)
os.kill(pid, signal.SIGTERM)
os.waitpid(pid, 0)'
rec shell-fork-kill -- bash -c 'sleep 5 & kill -TERM $!; wait; exit 0'
rec env-i -- env -i /bin/sh -c 'ls / >/dev/null; echo done'
rec orphan-reaped -- bash -c '(sleep 0.2 &); exit 0'
rec orphan-left-running --no-wait-orphans -- bash -c '(sleep 0.5 &); exit 0'
rec exec-not-found -- bash -c 'nonexistent-command-xyz; exit 3'
rec command-killed -- bash -c 'kill -KILL $$'
rec timeout-kill -- timeout -s KILL 0.2 sleep 5
rec setsid-sh -- setsid -w sh -c 'true'
rec xargs-echo -- sh -c 'printf "a\nb\nc\n" | xargs -n1 echo'
rec not-found -- /nonexistent/program
# The ptrace recorder's records: a static and a static-pie program, Go's
# pidfd calls copied in C, and the recorder turned off.
rec recorder-static-signals -- "$PROGS/recorder_cases_static" signals
rec recorder-static-pie-vfork -- "$PROGS/recorder_cases_static_pie" vfork
rec recorder-pidfd -- "$PROGS/go_patterns_static" pidfd-kill
rec recorder-off --no-ptrace -- "$EX/untraced/untraced"
# More records than a 68K trace holds: the last chunks are full, and the
# header counts the records dropped.
rec full-records-dropped -- bash -c 'for i in $(seq 300); do /bin/true; done'

# Hangs: after --hang-after the launcher snapshots the live tree (snapshot
# records, format 1.1), then kills it.
HANG=(--hang-after 1 --kill-after-report)
rec hang-shell-sleep-pipe "${HANG[@]}" -- bash -c 'sleep 30 | cat'
rec hang-pipe-deadlock "${HANG[@]}" -- "$PY" -c '
import subprocess, sys
p = subprocess.Popen([sys.executable, "-c", "print(\"x\" * 200000)"], stdout=subprocess.PIPE)
p.wait()'
rec hang-blocked-on-held-pipe "${HANG[@]}" -- "$PY" -c '
import subprocess
subprocess.run(["sh", "-c", "sleep 30 & echo hi"], stdout=subprocess.PIPE)'
rec hang-self-held-pipe "${HANG[@]}" -- "$PY" -c '
import os
r, w = os.pipe()
os.read(r, 1)'
rec hang-stuck-wait --hang-after 2 --kill-after-report -- bash -c '(sleep 30 | cat); exit 0'
# Ctrl-C on the launcher: a snapshot taken as the tree goes down.
f="$SCRATCH/interrupted-snapshot"
timeout -s INT 1 "$ET" run -q -o "$f" --size 68K -- bash -c 'sleep 30 | cat' >/dev/null 2>&1 </dev/null || true
if [[ -s $f ]]; then
    truncate -s "$(claimed_size "$f")" "$f"
    cp "$f" "$OUT/interrupted-snapshot"
fi

# The examples (those that hang are snapshotted and killed after 5 s).
for f in "$EX"/*/*; do
    [[ -x $f ]] || continue
    rec "example-$(basename "$(dirname "$f")")-$(basename "$f")" --hang-after 5 --kill-after-report -- "$f"
done
for f in examples/*/*.py; do
    rec "example-$(basename "$(dirname "$f")")-$(basename "$f" .py)" --hang-after 5 --kill-after-report -- "$PY" "$f"
done
for f in examples/*/*.sh; do
    rec "example-$(basename "$(dirname "$f")")-$(basename "$f" .sh)" --hang-after 5 --kill-after-report -- /bin/sh "$f"
done

# The test programs, every mode of each in one trace.
hooks() {
    local prog=$1
    shift
    rec "hooks-$prog" -- /bin/sh -c 'p=$1; shift; for m in "$@"; do "$p" "$m"; done; exit 0' sh "$PROGS/$prog" "$@"
}
hooks hooks_create fork _Fork clone vfork_exit vfork_exec vfork_exec_fail vfork_fds clone_vm_exec
hooks hooks_exec execve_enoent execve_eacces execvp_missing execve execv execl execle execlp execvp execvpe fexecve execveat
hooks hooks_exit exit return _exit _Exit thread
hooks hooks_fd pipe pipe2 close dup dup2 dup3 dupfd dupfd_cloexec dup_error dup2_file_over_pipe setfd close_range \
    closefrom close_range_cloexec close_range_above_int_max close_range_error reuse
hooks hooks_group setpgid setpgrp setsid prctl signal_ign sigaction_nocldwait sigset other_signals
hooks hooks_signal kill killpg sigqueue tgkill pidfd pidfd_dup signal0 esrch einval
hooks hooks_wait wait waitpid wait3 wait4 waitid_pid waitid_all wnohang wnowait echild
hooks hooks_spawn spawn spawnp spawnp_missing
[[ -x $PROGS/hooks_group_posix ]] && rec hooks-hooks_group_posix -- "$PROGS/hooks_group_posix"

# ---- damaged copies ---------------------------------------------------------------

BASE="$OUT/shell-sleep-pipe-cat"
damage() { # NAME: a copy of BASE to damage
    cp "$BASE" "$OUT/$1"
    echo "$OUT/$1"
}
first=$((4096 + 16))                     # the first record of the first run
size1=$(u32 "$BASE" $first)              # its size
second=$((first + size1))
len=$(stat -c %s "$BASE")

: >"$OUT/damaged-empty-file"
head -c 8 "$BASE" >"$OUT/damaged-magic-only"
head -c 100 "$BASE" >"$OUT/damaged-cut-in-header"
head -c 4096 "$BASE" >"$OUT/damaged-header-only"
head -c $((4096 + 1024 + 333)) "$BASE" >"$OUT/damaged-cut-mid-chunk"
head -c $((second + 20)) "$BASE" >"$OUT/damaged-cut-mid-record"
f=$(damage damaged-other-byte-order); poke "$f" 12 '\x01\x02\x03\x04'
f=$(damage damaged-garbled-endian-marker); poke "$f" 12 '\xde\xad\xbe\xef'
f=$(damage damaged-newer-major-version); poke "$f" 8 '\x03\x00'
f=$(damage damaged-ring-major-fixed-file); poke "$f" 8 '\x02\x00'
f=$(damage damaged-chunk-size-512); poke "$f" 20 '\x00\x02\x00\x00'
f=$(damage damaged-file-size-inconsistent); poke "$f" 24 "$(le64 12345)"
f=$(damage damaged-chunk-count-huge); poke "$f" 32 '\xff\xff\xff\xff'
f=$(damage damaged-next-chunk-huge); poke "$f" 128 '\xff\xff\xff\xff\xff\xff\xff\x7f'
f=$(damage damaged-next-chunk-zero); poke "$f" 128 "$(le64 0)"
# The header made to match the cut file: a trace with no damage at all.
f=$(damage clean-header-fits-file)
n=$(((len - 4096) / 1024))
poke "$f" 24 "$(le64 $((4096 + n * 1024)))"; poke "$f" 32 "$(le32 $n)"; poke "$f" 128 "$(le64 $n)"
f=$(damage damaged-records-dropped-counted); poke "$f" 192 "$(le64 77)"; poke "$f" 200 "$(le64 9000)"
f=$(damage damaged-finished-flag); poke "$f" 64 '\x01\x00\x00\x00'; poke "$f" 72 "$(le64 3)"
f=$(damage damaged-run-tag-garbage); poke "$f" 4096 '\x41\x41\x41\x41'
f=$(damage damaged-run-tag-zero); poke "$f" 4096 '\x00\x00\x00\x00'
f=$(damage damaged-run-tag-past-end); poke "$f" 4096 '\xff\xff\x7a\x5e'
f=$(damage damaged-run-used-huge); poke "$f" 4100 '\xff\xff\xff\xff'
f=$(damage damaged-run-used-zero); poke "$f" 4100 '\x00\x00\x00\x00'
f=$(damage damaged-record-commit-zero); poke "$f" $((second + 4)) '\x00\x00\x00\x00'
f=$(damage damaged-record-commit-wrong); poke "$f" $((second + 4)) '\x12\x34\x56\x78'
f=$(damage damaged-record-size-zero); poke "$f" $second '\x00\x00\x00\x00\x00\x00\x00\x00'
f=$(damage damaged-record-size-odd); poke "$f" $second "$(le32 $((size1 + 3)))"
f=$(damage damaged-record-size-huge); poke "$f" $second '\x00\x00\x01\x00'
f=$(damage damaged-record-type-reserved); poke "$f" $((second + 8)) '\x00\x00'
f=$(damage damaged-record-type-unknown); poke "$f" $((second + 8)) '\x99\x00'
# The start record's counts, lying: more pipe ends and argv strings than
# its tail holds, and a string length running past the record.
f=$(damage damaged-start-counts-lie); poke "$f" $((first + 40 + 28)) '\xff\xff\xff\xff'
f=$(damage damaged-start-exe-length-lies); poke "$f" $((first + 40 + 32)) '\xff\xff'
# A writer killed mid-run: the rest of the run zeroed after the second record.
f=$(damage damaged-run-zeroed-tail)
dd if=/dev/zero of="$f" bs=1 seek=$second count=$((4096 + 2048 - second)) conv=notrunc status=none
# Every chunk's first word garbled but the first.
f=$(damage damaged-all-tags-but-first)
for ((c = 1; 4096 + c * 1024 < len; c++)); do poke "$f" $((4096 + c * 1024)) '\x01\x00\x7a\x5e'; done
# ---- ring traces (format 2) --------------------------------------------------------

# ring NAME [RUN OPTIONS] -- COMMAND...: a trace of the smallest ring, whole
# (a ring is written everywhere: nothing to cut).
ring() {
    local name=$1
    shift
    record "$name" --ring 56K -- "$@" || return 0
    cp "$SCRATCH/$name" "$OUT/$name"
}
ring ring-not-round -- bash -c 'sleep 0.1 | cat'
# 200 programs go round the 48 KiB ring several times, with checkpoints.
ring ring-gone-round -- bash -c 'for i in $(seq 200); do /bin/true; done; sleep 0.1 | cat'
ring ring-hang-held-pipe --hang-after 1 --kill-after-report -- bash -c 'for i in $(seq 100); do /bin/true; done; out=$(sleep 30 & echo hi)'
RING="$OUT/ring-gone-round"
if [[ -s $RING ]]; then
    slots=$(u32 "$RING" 248)
    data=$(u32 "$RING" 252)
    rdamage() { cp "$RING" "$OUT/$1"; echo "$OUT/$1"; }
    f=$(rdamage damaged-ring-slot-seq); poke "$f" $((4096 + 8)) "$(le64 999999)"
    f=$(rdamage damaged-ring-slot-state); poke "$f" 4096 '\xff\xff\xff\xff\xff\xff\xff\xff'
    f=$(rdamage damaged-ring-slots-huge); for ((s = 0; s < slots; s++)); do poke "$f" $((4096 + s * 64 + 28)) '\xff\xff'; done
    f=$(rdamage damaged-ring-next-chunk-huge); poke "$f" 128 '\xff\xff\xff\xff\xff\xff\xff\x7f'
    f=$(rdamage damaged-ring-geometry); poke "$f" 248 "$(le32 $((slots + 1)))"
    f=$(rdamage damaged-ring-data-zeroed); dd if=/dev/zero of="$f" bs=1 seek=$((data + 2048)) count=4096 conv=notrunc status=none
    head -c $((data + 5000)) "$RING" >"$OUT/damaged-ring-cut"
    head -c 6000 "$RING" >"$OUT/damaged-ring-cut-in-table"
fi

echo "make-corpus: $(ls "$OUT" | wc -l) files, $(du -sk "$OUT" | cut -f1) KiB in $OUT"
