#!/usr/bin/env python3
"""blocked-on-held-pipe in Python: communicate() after kill() of a shell.

    proc = Popen(["sh", "-c", "sleep 30; echo late"], stdout=PIPE)
    try:
        out, _ = proc.communicate(timeout=0.3)
    except TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()     # hangs

The timeout idiom from the subprocess documentation.  proc.kill() kills the
shell, and only the shell: its child `sleep 30` lives on, and it inherited
the shell's stdout, the write end of the pipe.  The second communicate()
waits for end-of-file, which comes only when `sleep` exits.  (A timeout on
the second communicate() would not end the wait either: the pipe is still
open.)

After the timeout, communicate() waits in poll() rather than read(): the
report says Python is "idle in poll", holding the read end, and names
`sleep` as the holder of the write end.

This example HANGS by design: run it under
    exectrace run --hang-after 1 --kill-after-report -- python3 examples/blocked-on-held-pipe/python_communicate_after_kill.py
Run alone, it is bounded: `sleep 30` exits after 30 s and communicate()
returns.  (examples/held-pipe/python_timeout_holds_pipe.py is the same bug
with a 3 s sleep, seen after the fact.)

The fix (python_communicate_after_kill_fixed.py): start the shell in a
session of its own, Popen(..., start_new_session=True), so that it and
everything it starts form one process group, and on timeout kill the group:
os.killpg(proc.pid, signal.SIGKILL).
"""
import os
import subprocess
import time

proc = subprocess.Popen(["sh", "-c", "sleep 30; echo late"], stdout=subprocess.PIPE)
print(f"main={os.getpid()} started shell={proc.pid}", flush=True)
start = time.monotonic()
try:
    out, _ = proc.communicate(timeout=0.3)
except subprocess.TimeoutExpired:
    proc.kill()  # the bug: the shell only, not its sleep
    print(f"killed shell={proc.pid} after the timeout; reading the rest of its output", flush=True)
    out, _ = proc.communicate()
print(f"communicate() returned after {time.monotonic() - start:.1f} s (timeout was 0.3 s)")
