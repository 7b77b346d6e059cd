#!/bin/sh
# blocked-on-held-pipe in sh, fixed: the background job's output goes
# elsewhere.
#
# The same script as shell_background_in_substitution.sh, with the server's
# stdout and stderr redirected to /dev/null.  The start script's exit
# closes the last write end of the substitution's pipe, $(...) returns at
# once with the pid, and the script stops the server when it is done with
# it.
echo "script=$$ starting the server in the background"
pid=$(sh -c 'setsid sleep 30 >/dev/null 2>&1 & echo $!')   # the fix
echo "server=$pid started"
sleep 0.2   # the script's work with the server
kill "$pid"
