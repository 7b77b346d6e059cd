#!/usr/bin/env bash
# A bash-heavy workload for tests/transparency/compare.py: the process
# lifecycle features of bash that exectrace's shim sits under (pipelines,
# subshells, command and process substitution, background jobs and wait,
# traps, job control in a script, coproc, xargs -P, here-documents, exec
# redirections, make -j2).
#
# Every check prints one line, NAME=ok or NAME=FAIL got=[...] want=[...],
# and the same lines must come out with and without exectrace.  Anything a
# step writes to stderr is printed too, as NAME.stderr: ..., so an unexpected
# message (from the loader, say) is a difference as well.
#
#   bash_workload.sh              every step, in a temporary directory
#   bash_workload.sh STEP...      only these steps
#   bash_workload.sh --list       the step names
#
# Exit status: 0 when every check passed, 1 otherwise.  Each step runs in a
# bash of its own under `timeout 60`: a step that hangs prints
# STEP=FAIL timeout, and the others still run.
set -u

STEP_TIMEOUT=${BASH_WORKLOAD_STEP_TIMEOUT:-60}

check() { # NAME GOT WANT
    if [[ $2 == "$3" ]]; then
        echo "$1=ok"
    else
        echo "$1=FAIL got=[$2] want=[$3]"
    fi
}

# Sorted numbers of the fds open in the calling process's children.
# (ls's own directory fd is among them)
child_fds() { ls /proc/self/fd | sort -n | tr '\n' ' '; }

step_pipeline() {
    check pipeline.count "$(seq 1 10000 | grep 7 | wc -l)" 3439
    check pipeline.sort "$(printf '%s\n' c a b | sort | tr -d '\n')" abc
    check pipeline.long "$(seq 1 200 | cat | cat | cat | cat | cat | cat | cat | awk '{s+=$1} END {print s}')" 20100
    (exit 3) | (exit 4) | true
    check pipeline.pipestatus "${PIPESTATUS[*]}" "3 4 0"
    check pipeline.pipefail "$(set -o pipefail; false | true; echo $?)" 1
    check pipeline.not "$(! false | false; echo $?)" 0
    yes | head -n 5 >/dev/null
    check pipeline.sigpipe "${PIPESTATUS[*]}" "141 0"
    check pipeline.lastpipe "$(shopt -s lastpipe; set +m; n=0; seq 3 | while read -r x; do n=$((n + x)); done; echo $n)" 6
    check pipeline.stderr "$( { echo out; echo err >&2; } 2>&1 >/dev/null | cat)" err
    check pipeline.bigdata "$(head -c 3000000 /dev/zero | tr '\0' x | wc -c)" 3000000
}

step_subshell() {
    (cd / && exit 7)
    check subshell.exit $? 7
    ( (exit 9))
    check subshell.nested $? 9
    x=outer
    (x=inner)
    check subshell.scope "$x" outer
    check subshell.pid "$(bash -c 'echo $$ $BASHPID' | awk '{print ($1 == $2)}')" 1
    check subshell.bashpid "$( (echo $BASHPID) | awk -v p=$$ '{print ($1 != p)}')" 1
    check subshell.errexit "$(bash -c 'set -e; (false; echo notreached); echo after' 2>&1; echo rc=$?)" rc=1
    check subshell.group "$({ echo a; echo b; } | wc -l)" 2
    check subshell.signal "$(bash -c 'kill -TERM $BASHPID'; echo $?)" 143
    check subshell.exit255 "$(bash -c 'exit 300'; echo $?)" 44
}

step_cmdsubst() {
    check cmdsubst.simple "$(echo a; echo b)" $'a\nb'
    check cmdsubst.nested "$(echo $(echo $(echo $(echo deep))))" deep
    x=$(exit 5)
    check cmdsubst.status $? 5
    check cmdsubst.large "$(seq 1 100000 | wc -c)" 588895
    check cmdsubst.trailing "$(printf 'x\n\n\n')" x
    check cmdsubst.backtick "$(echo `echo tick`)" tick
    check cmdsubst.stderr "$({ echo visible; echo hidden >&2; } 2>/dev/null)" visible
    check cmdsubst.builtin "$(printf %s "$(type -t cd)")" builtin
    check cmdsubst.readfile "$(printf 'line\n' >f; echo "$(<f)")" line
    check cmdsubst.many "$(for i in $(seq 1 200); do x=$(echo $i); done; echo $x)" 200
}

step_procsubst() {
    diff <(seq 5) <(seq 5) >/dev/null
    check procsubst.diff_same $? 0
    diff <(seq 5) <(seq 6) >/dev/null
    check procsubst.diff_differ $? 1
    check procsubst.paste "$(paste -d, <(seq 3) <(seq 4 6) | tr '\n' ' ')" "1,4 2,5 3,6 "
    echo hello > >(tr a-z A-Z >out.txt)
    wait $!
    check procsubst.write "$(cat out.txt)" HELLO
    check procsubst.wait_status "$(: > >(exit 6); wait $!; echo $?)" 6
    check procsubst.read_loop "$(n=0; while read -r l; do n=$((n + l)); done < <(seq 10); echo $n)" 55
    check procsubst.devfd "$(cat <(echo via-devfd))" via-devfd
    # (not `seq 3 | tee >(...)`: there tee runs in a subshell of the
    # pipeline, and $! is not the process substitution's)
    check procsubst.tee "$(seq 3 >in.txt; tee >(wc -l >count.txt) <in.txt >/dev/null; wait $!; cat count.txt)" 3
}

step_bgjobs() {
    local pids=() i
    for i in 1 2 3 4 5; do
        (sleep "0.0$i"; exit "$i") &
        pids+=($!)
    done
    local got=
    for i in "${pids[@]}"; do
        wait "$i"
        got+="$? "
    done
    check bgjobs.wait_each "$got" "1 2 3 4 5 "
    (exit 3) &
    (sleep 1; exit 4) &
    wait -n
    check bgjobs.wait_n $? 3
    wait
    check bgjobs.wait_all $? 0
    sleep 30 &
    local p=$!
    kill -TERM "$p"
    wait "$p" 2>/dev/null
    check bgjobs.killed $? 143
    sleep 30 &
    p=$!
    kill -KILL "$p"
    # (bash reports a job killed by a signal, with its pid, on stderr)
    wait "$p" 2>/dev/null
    check bgjobs.sigkill $? 137
    wait 999999 2>/dev/null
    check bgjobs.wait_unknown $? 127
    check bgjobs.jobs "$(sleep 5 & sleep 5 & jobs -p | wc -l; kill $(jobs -p); wait)" 2
    check bgjobs.bang "$(true & echo $(( $! > 0 )); wait)" 1
    check bgjobs.many "$(ps=(); for i in $(seq 1 40); do (exit $((i % 7))) & ps+=($!); done; s=0; for j in "${ps[@]}"; do wait $j; s=$((s + $?)); done; echo $s)" 120
    local out
    out=$(for i in 1 2 3; do (sleep "0.$i"; echo "$i") & done; wait)
    check bgjobs.output "$(sort <<<"$out" | tr '\n' ' ')" "1 2 3 "
}

step_traps() {
    check traps.exit "$(bash -c 'trap "echo bye" EXIT; exit 3'; echo rc=$?)" $'bye\nrc=3'
    check traps.exit_subshell "$( (trap 'echo sub-bye' EXIT; true); echo after)" $'sub-bye\nafter'
    check traps.exit_on_signal "$(bash -c 'trap "echo cleanup" EXIT; kill -TERM $$; sleep 5'; echo rc=$?)" $'cleanup\nrc=143'
    check traps.term_handler "$(bash -c 'trap "echo got-term; exit 12" TERM; kill -TERM $$; sleep 5'; echo rc=$?)" $'got-term\nrc=12'
    check traps.err "$(bash -c 'trap "echo err-trap" ERR; false; echo after')" $'err-trap\nafter'
    check traps.usr1_wait "$(bash -c 'trap "echo usr1" USR1; (sleep 0.2; kill -USR1 $$) & sleep 10 & wait $!; echo wait=$?; kill $!; wait')" $'usr1\nwait=138'
    check traps.ignored_inherited "$(bash -c 'trap "" INT; bash -c "kill -INT \$\$; echo survived"')" survived
    # SIGCHLD: with job control on, bash runs the trap once for every child
    # that exits.
    check traps.chld_monitor "$(bash -c 'set -m; n=0; trap "n=\$((n + 1))" CHLD; for i in 1 2 3 4 5; do (exit 0) & wait $!; done; echo $n' 2>/dev/null)" 5
    check traps.chld_async "$(bash -c 'set -m; n=0; trap "n=\$((n + 1))" CHLD; for i in 1 2 3; do sleep 0.0$i & done; wait; echo $n' 2>/dev/null)" 3
    check traps.chld_ignore_then_wait "$(bash -c 'trap "" CHLD; (exit 4) & wait $!; echo $?')" 4
    check traps.return "$(bash -c 'f() { trap "echo ret" RETURN; return 2; }; f; echo rc=$?')" $'ret\nrc=2'
}

# Waits up to 10 s for `jobs -l` to show a job in STATE.
poll_jobs() {
    local i
    for ((i = 0; i < 100; i++)); do
        jobs -l | grep -q "$1" && return
        sleep 0.1
    done
}

step_jobcontrol() {
    # Job notifications ("[1]+ Terminated ...") go to stderr, at times that
    # depend on scheduling: not compared.
    exec 2>/dev/null
    set -m
    sleep 30 &
    local p=$!
    check jobcontrol.own_group "$(ps -o pgid= -p "$p" | tr -d ' ')" "$p"
    kill -STOP "$p"
    poll_jobs Stopped
    check jobcontrol.stopped "$(jobs -l | grep -c Stopped)" 1
    bg %1 >/dev/null
    poll_jobs Running
    check jobcontrol.resumed "$(jobs -l | grep -c Running)" 1
    kill %1
    wait "$p"
    check jobcontrol.kill_job $? 143
    sleep 30 &
    p=$!
    kill -TERM -- "-$p"
    wait "$p"
    check jobcontrol.killpg $? 143
    (sleep 0.2; exit 5) &
    fg %1 >/dev/null
    check jobcontrol.fg $? 5
    sleep 0.1 &
    disown
    check jobcontrol.disown "$(jobs | wc -l)" 0
    check jobcontrol.pipeline_job "$(bash -c 'set -m; (exit 2) | (exit 3) & wait %1; echo $?')" 3
    check jobcontrol.nested "$(bash -c 'set -m; (sleep 0.1; exit 8) & wait %1; echo $?')" 8
    set +m
}

step_coproc() {
    coproc DOUBLE { while read -r l; do echo $((l * 2)); done; }
    echo 21 >&"${DOUBLE[1]}"
    read -r r <&"${DOUBLE[0]}"
    check coproc.roundtrip "$r" 42
    echo 50 >&"${DOUBLE[1]}"
    read -r r <&"${DOUBLE[0]}"
    check coproc.second "$r" 100
    local p=$DOUBLE_PID
    exec {DOUBLE[1]}>&-
    wait "$p"
    check coproc.eof_exit $? 0
    coproc EXIT7 { read -r _; exit 7; }
    p=$EXIT7_PID
    echo go >&"${EXIT7[1]}"
    wait "$p"
    check coproc.status $? 7
    coproc CAT { cat; }
    p=$CAT_PID
    local rfd=${CAT[0]} got= l
    printf 'a\nb\nc\n' >&"${CAT[1]}"
    exec {CAT[1]}>&-
    # (a coproc's fds are not passed to subshells: read it here)
    while read -r -u "$rfd" l; do got+=$l; done
    check coproc.cat "$got" abc
    wait "$p"
    check coproc.cat_status $? 0
}

step_xargs() {
    check xargs.parallel "$(seq 1 20 | xargs -P 2 -n 1 sh -c 'echo $(($1 * $1))' _ | sort -n | tail -n 1)" 400
    check xargs.sum "$(seq 1 100 | xargs -P 2 -n 7 echo | tr ' ' '\n' | awk '{s+=$1} END {print s}')" 5050
    printf '1\n0\n2\n' | xargs -P 2 -n 1 sh -c 'exit $1' _
    check xargs.failed_cmd $? 123
    printf '0\n255\n' | xargs -P 1 -n 1 sh -c 'exit $1' _ 2>/dev/null
    check xargs.exit255 $? 124
    echo x | xargs -n 1 sh -c 'kill -TERM $$' _ 2>/dev/null
    check xargs.signaled $? 125
    echo x | xargs /nonexistent/cmd 2>/dev/null
    check xargs.notfound $? 127
    check xargs.many "$(seq 1 300 | xargs -P 2 -n 3 true; echo $?)" 0
    check xargs.null "$(printf 'a b\0c\0' | xargs -0 -P 2 -n 1 printf '[%s]\n' | sort | tr -d '\n')" "[a b][c]"
}

step_heredoc() {
    local name=world
    check heredoc.expand "$(cat <<EOF
hello $name $((6 * 7))
EOF
)" "hello world 42"
    check heredoc.literal "$(cat <<'EOF'
$name $(no)
EOF
)" '$name $(no)'
    check heredoc.tabs "$(cat <<-EOF
		indented
	EOF
)" indented
    check heredoc.herestring "$(tr a-z A-Z <<<"here string")" "HERE STRING"
    # Bigger than a pipe's buffer: bash falls back to a temporary file.
    local big
    big=$(seq 1 30000)
    check heredoc.large "$(wc -l <<EOF
$big
EOF
)" 30000
    check heredoc.to_child "$(bash <<'EOF'
x=$(( 3 + 4 ))
echo "child $x"
exit 0
EOF
)" "child 7"
    check heredoc.loop "$(for i in 1 2 3; do cat <<EOF
$i
EOF
done | tr -d '\n')" 123
    check heredoc.fd3 "$(cat 3<<EOF <&3
on three
EOF
)" "on three"
}

step_redirections() {
    exec 3>out3.txt
    echo x >&3
    echo y >&3
    exec 3>&-
    check redir.write_fd3 "$(tr -d '\n' <out3.txt)" xy
    check redir.closed_fd3 "$(echo z 2>&1 >&3)" "${BASH_SOURCE[0]}: line $LINENO: 3: Bad file descriptor"
    exec {fd}<out3.txt
    read -r -u "$fd" line
    check redir.varfd_read "$line" x
    exec {fd}<&-
    exec 4<&0 5>&1
    check redir.dup_in_child "$(child_fds)" "0 1 2 3 4 5 "
    exec 4<&- 5>&-
    check redir.child_fds "$(child_fds)" "0 1 2 3 "
    # stdout saved on 6, sent to a file, then moved back (6 closed).
    exec 6>&1 1>dup.txt
    echo dup
    exec 1>&6-
    check redir.swap_stdout "$(cat dup.txt)" dup
    check redir.moved_back "$(child_fds)" "0 1 2 3 "
    exec 7</dev/null
    check redir.inherited_cloexec "$(bash -c 'ls /proc/$$/fd | grep -cx 7')" 1
    exec 7<&-
    exec 8>out8.txt 2>&8
    echo to-stderr >&2
    exec 2>&1 8>&-
    check redir.stderr_swap "$(cat out8.txt)" to-stderr
    check redir.open_missing "$( { exec 3</nonexistent/file; } 2>&1)" \
        "${BASH_SOURCE[0]}: line $LINENO: /nonexistent/file: No such file or directory"
    check redir.noclobber "$(set -C; { echo a >out8.txt; } 2>/dev/null; echo $?)" 1
    check redir.append "$(echo 1 >app.txt; echo 2 >>app.txt; tr -d '\n' <app.txt)" 12
    check redir.readwrite "$(echo data >rw.txt; exec 9<>rw.txt; read -r -u 9 v; echo $v)" data
}

step_exitcodes() {
    /nonexistent/command 2>/dev/null
    check exitcodes.not_found $? 127
    nosuchcommand_exectrace 2>/dev/null
    check exitcodes.not_in_path $? 127
    printf 'echo hi\n' >noexec.sh
    chmod 644 noexec.sh
    ./noexec.sh 2>/dev/null
    check exitcodes.not_executable $? 126
    check exitcodes.message "$(./noexec.sh 2>&1)" "${BASH_SOURCE[0]}: line $LINENO: ./noexec.sh: Permission denied"
    mkdir -p adir
    ./adir 2>/dev/null
    check exitcodes.is_dir $? 126
    printf '#!/nonexistent/interp\n' >badinterp.sh
    chmod 755 badinterp.sh
    check exitcodes.bad_interp "$(./badinterp.sh 2>&1; echo rc=$?)" \
        "${BASH_SOURCE[0]}: line $LINENO: ./badinterp.sh: cannot execute: required file not found
rc=127"
    printf '#!/bin/sh\nexit 42\n' >ok.sh
    chmod 755 ok.sh
    ./ok.sh
    check exitcodes.script $? 42
    exec_exit=$(bash -c 'exec sh -c "exit 11"'; echo $?)
    check exitcodes.exec $exec_exit 11
    timeout 0.2 sleep 5
    check exitcodes.timeout $? 124
    { timeout -s KILL 0.2 sleep 5; } 2>/dev/null
    check exitcodes.timeout_kill $? 137
    check exitcodes.sh_c "$(sh -c 'exit 3'; echo $?)" 3
    check exitcodes.abort "$(bash -c 'kill -ABRT $$' 2>/dev/null; echo $?)" 134
    check exitcodes.env "$(env true; echo $?)" 0
    check exitcodes.env_missing "$(env /nonexistent 2>/dev/null; echo $?)" 127
}

step_make() {
    mkdir -p proj
    cd proj || return
    local i
    for i in 1 2 3 4 5 6; do
        printf 'int f%d(void) { return %d; }\n' "$i" "$i" >"f$i.c"
    done
    {
        echo '#include <stdio.h>'
        for i in 1 2 3 4 5 6; do echo "int f$i(void);"; done
        echo 'int main(void) { printf("%d\n", f1() + f2() + f3() + f4() + f5() + f6()); return 0; }'
    } >main.c
    cat >Makefile <<'EOF'
OBJS := main.o f1.o f2.o f3.o f4.o f5.o f6.o
prog: $(OBJS)
	$(CC) -o $@ $(OBJS)
%.o: %.c
	$(CC) -c -o $@ $<
gen.h: ; echo '#define GEN 1' > $@
sub:
	$(MAKE) -C sub
fail: prog
	false
keep:
	-false
	echo kept
clean:
	rm -f prog *.o
.PHONY: sub fail keep clean
EOF
    mkdir -p sub
    printf 'all:\n\t@echo sub-ok\n' >sub/Makefile
    make -j2 -s prog >/dev/null 2>&1
    check make.build $? 0
    check make.run "$(./prog)" 21
    make -j2 -s prog >/dev/null 2>&1
    check make.uptodate "$(make -j2 -q prog; echo $?)" 0
    touch f3.c
    check make.rebuild_one "$(make -j2 prog | grep -c '^cc -c')" 1
    check make.recursive "$(make -j2 -s --no-print-directory sub)" sub-ok
    make -j2 -s fail >/dev/null 2>&1
    check make.fail $? 2
    check make.keep "$(make -s keep 2>/dev/null)" kept
    make -s clean
    check make.parallel_k "$(make -j2 -k -s prog fail >/dev/null 2>&1; echo $?; ./prog)" $'2\n21'
    cd ..
}

step_misc() {
    check misc.kill0 "$(kill -0 $$; echo $?)" 0
    check misc.kill_dead "$(sh -c 'exit 0' & p=$!; wait $p; kill -0 $p 2>/dev/null; echo $?)" 1
    check misc.ulimit "$(ulimit -n)" "$(bash -c 'ulimit -n')"
    check misc.umask "$(umask 027; bash -c umask)" 0027
    check misc.cwd "$(cd /tmp && bash -c pwd)" /tmp
    check misc.source "$(printf 'echo sourced $1\n' >s.sh; . ./s.sh arg)" "sourced arg"
    check misc.eval "$(eval 'echo $((1 + 1))')" 2
    check misc.setsid "$(setsid -w sh -c 'exit 6'; echo $?)" 6
    check misc.flock "$(flock lock.file sh -c 'echo locked')" locked
    check misc.nohup "$(nohup sh -c 'echo nohup-ok' 2>/dev/null)" nohup-ok
    check misc.nice "$(nice -n 5 sh -c 'exit 9'; echo $?)" 9
    check misc.python_subprocess "$(python3 -c 'import subprocess,sys; r = subprocess.run(["sh", "-c", "echo out; exit 4"], capture_output=True, text=True); print(r.stdout.strip(), r.returncode)' 2>&1)" "out 4"
    check misc.env_keeps_vars "$(FOO=bar bash -c 'echo $FOO')" bar
    check misc.env_i_foo "$(env -i FOO=1 /bin/sh -c 'echo ${FOO:-unset} ${HOME:-nohome}')" "1 nohome"
    # Which variables a program run with an emptied environment sees.
    check misc.env_i_names "$(env -i /usr/bin/env | cut -d= -f1 | sort | tr '\n' ' ')" ""
}

STEPS=(pipeline subshell cmdsubst procsubst bgjobs traps jobcontrol coproc xargs heredoc redirections exitcodes make misc)

if [[ ${1:-} == --list ]]; then
    printf '%s\n' "${STEPS[@]}"
    exit 0
fi

if [[ ${1:-} == --step ]]; then
    # One step, in the current directory (the runner gives it its own).
    "step_$2"
    exit 0
fi

selected=("$@")
((${#selected[@]})) || selected=("${STEPS[@]}")

workdir=$(mktemp -d "${TMPDIR:-/tmp}/bash_workload.XXXXXX") || exit 1
trap 'rm -rf "$workdir"' EXIT
self=$(readlink -f "${BASH_SOURCE[0]}")
failed=0
for step in "${selected[@]}"; do
    mkdir "$workdir/$step"
    # stdin from /dev/null: no step may read the runner's input.
    out=$(cd "$workdir/$step" && timeout -k 5 "$STEP_TIMEOUT" bash "$self" --step "$step" </dev/null 2>"$workdir/$step.err")
    rc=$?
    [[ -n $out ]] && printf '%s\n' "$out"
    while IFS= read -r line; do
        printf '%s.stderr: %s\n' "$step" "$line"
    done <"$workdir/$step.err"
    if ((rc == 124 || rc == 137)); then
        echo "$step=FAIL timeout"
    elif ((rc != 0)); then
        echo "$step=FAIL exit=$rc"
    fi
    if ((rc != 0)) || grep -q '=FAIL' <<<"$out" || [[ -s $workdir/$step.err ]]; then
        failed=1
    fi
done
exit $failed
