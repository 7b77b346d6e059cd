#!/bin/sh
# stuck-wait in sh: a script waits for a step that waits for the script's
# own lock.
#
# What happens.  The script takes an exclusive lock on its work directory
# with flock(1), so that two runs never work in one directory at once:
#
#     exec 9<.          # fd 9: the work directory
#     flock 9           # the lock is the script's from now on
#
# then runs a step, a script of its own that takes the same lock so that it
# is safe to run by hand too:
#
#     flock -w 30 . echo "step: working"
#
# The step's flock(1) opens "." again and waits for the lock, which the
# script holds; the script waits for the step to exit.  Nothing moves.  The
# report's stuck-wait findings follow the chain: the script, in wait4() on
# the step's shell, in wait4() on flock, in flock().
#
# This example HANGS by design: run it under
#     exectrace run --hang-after 1 --kill-after-report -- sh examples/stuck-wait/shell_lock_twice.sh
# Run alone, it is bounded: `flock -w 30` gives up after 30 s.
#
# Why.  A flock lock belongs to the open file.  fd 9 is the script's; the
# step's `flock .` opens the directory anew, a different open file, and
# waits like any other process.
#
# The fix (shell_lock_twice_fixed.sh): one owner for the lock.  The script
# tells the step that it holds the lock (LOCK_HELD=1 in the step's
# environment) and the step does not take it again.
step='if [ -n "$LOCK_HELD" ]; then echo "step: working"; else flock -w 30 . echo "step: working"; fi; echo "step: done"'

exec 9<.
flock 9
echo "script=$$ holds the lock on the work directory, running the step"
sh -c "$step"   # the bug: the step takes the lock again
echo "the step has finished"
