#!/bin/sh
# blocked-on-held-pipe in sh: $(...) waits for a background job.
#
# What happens.  The script starts a server in the background, detached
# with setsid(1), and wants its pid, the usual way:
#
#     pid=$(sh -c 'setsid sleep 30 & echo $!')
#
# (`sleep 30` stands in for the server, `sh -c` for its start script.)  The
# start script prints the pid and exits at once, but $(...) does not
# return: the shell reads the substitution's pipe until end-of-file, and
# the server inherited the start script's stdout, the write end of that
# pipe.  setsid makes a new session, not a new set of files.  End-of-file
# comes when the server exits: here after 30 s, for a real server never.
#
# This example HANGS by design: run it under
#     exectrace run --hang-after 1 --kill-after-report -- sh examples/blocked-on-held-pipe/shell_background_in_substitution.sh
# The report names the script, blocked in read() on the pipe, and `sleep`,
# which holds its write end.  Run alone, the hang is bounded: `sleep 30`
# exits after 30 s.
#
# Why.  A background job (`cmd &`) gets a copy of every fd of the shell
# that starts it, stdout included.  $(...) ends at end-of-file, not when
# the command it ran exits.
#
# The fix (shell_background_in_substitution_fixed.sh): a background job
# that outlives the substitution must not hold its pipe: redirect its
# output, `setsid sleep 30 >/dev/null 2>&1 &` (or to a log file).
echo "script=$$ starting the server in the background"
pid=$(sh -c 'setsid sleep 30 & echo $!')   # the bug: sleep holds $(...)'s pipe
echo "server=$pid started"
sleep 0.2   # the script's work with the server
kill "$pid" 2>/dev/null   # (after the 30 s hang, the server has already exited)
