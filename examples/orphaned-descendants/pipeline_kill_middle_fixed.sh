#!/bin/sh
# orphaned-descendants in a shell pipeline, fixed: kill the stage's group.
#
# The same pipeline as pipeline_kill_middle.sh, but its middle stage starts
# in a session of its own: `setsid sh -c ...`.  setsid(1) calls setsid()
# and then runs the shell, so the shell's pid is also the id of a new
# process group, and the `sleep` it starts is in that group.  The script
# kills the group, `kill -KILL -PID` (a negative pid means a group): the
# shell and its sleep die together, the last `cat` sees end-of-file at
# once, and nothing outlives the pipeline.
#
# Run: sh examples/orphaned-descendants/pipeline_kill_middle_fixed.sh

pidfile=$(mktemp)
printf 'job 1\n' | setsid sh -c 'echo $$ >"$1"; sleep 1; cat' middle "$pidfile" | cat &

tries=0
until [ -s "$pidfile" ] || [ $tries -ge 60 ]; do sleep 0.05; tries=$((tries + 1)); done
read middle <"$pidfile"
rm -f "$pidfile"
echo "script=$$ started the pipeline; its middle stage is middle=$middle"

sleep 0.2
kill -KILL -"$middle"   # the middle stage's whole process group
echo "killed process group $middle"
wait
echo "the pipeline has finished"
