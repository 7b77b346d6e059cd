#!/bin/sh
# stuck-wait in sh, fixed: the step does not take the lock its caller
# holds.
#
# The same script as shell_lock_twice.sh.  The script runs the step with
# LOCK_HELD=1 in its environment; the step sees that its caller holds the
# lock and works without taking it again.  One lock, one owner.
step='if [ -n "$LOCK_HELD" ]; then echo "step: working"; else flock -w 30 . echo "step: working"; fi; echo "step: done"'

exec 9<.
flock 9
echo "script=$$ holds the lock on the work directory, running the step"
LOCK_HELD=1 sh -c "$step"   # the fix
echo "the step has finished"
