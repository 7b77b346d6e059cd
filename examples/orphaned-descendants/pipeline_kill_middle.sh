#!/bin/sh
# orphaned-descendants in a shell pipeline: its middle stage is killed.
#
# What happens.  The script runs a three-stage pipeline in the background:
#
#     printf 'job 1\n' | sh -c 'sleep 1; cat' | cat
#
# The middle stage is a shell that starts `sleep 1` (it forks: sleep is not
# its last command) before passing its input on.  The script decides the
# middle stage is stuck and kills it with SIGKILL.  The middle shell dies;
# its `sleep` does not: it is reparented and runs its full second.  It
# also still holds the middle stage's stdout, the write end of the pipe into
# the last `cat`, so that `cat`, and the script's `wait`, see end-of-file
# only when `sleep` exits (the report shows this as held-pipe too).
#
# Why.  kill PID signals one process.  A shell's children are processes of
# their own, and outlive it.
#
# The fix (pipeline_kill_middle_fixed.sh): start the middle stage in a
# session (hence a process group) of its own with setsid(1), and kill the
# group: kill -KILL -PID.  The shell and its sleep end together.
#
# Run: sh examples/orphaned-descendants/pipeline_kill_middle.sh

pidfile=$(mktemp)
printf 'job 1\n' | sh -c 'echo $$ >"$1"; sleep 1; cat' middle "$pidfile" | cat &

tries=0
until [ -s "$pidfile" ] || [ $tries -ge 60 ]; do sleep 0.05; tries=$((tries + 1)); done
read middle <"$pidfile"
rm -f "$pidfile"
echo "script=$$ started the pipeline; its middle stage is middle=$middle"

sleep 0.2
kill -KILL "$middle"   # the bug: the middle stage only, not what it started
echo "killed middle=$middle"
wait
echo "the pipeline has finished"
