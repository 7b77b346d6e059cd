#!/usr/bin/env python3
"""blocked-on-held-pipe in Python, fixed: kill the process group.

The same program as python_communicate_after_kill.py, with the shell
started in a session of its own (start_new_session=True: setsid() in the
child), which makes it the leader of a new process group that `sleep`
joins.  On timeout, os.killpg() kills the whole group: the shell and its
sleep end together, the last write end of the pipe closes, and the second
communicate() returns at once.
"""
import os
import signal
import subprocess
import time

proc = subprocess.Popen(["sh", "-c", "sleep 30; echo late"], stdout=subprocess.PIPE, start_new_session=True)
print(f"main={os.getpid()} started shell={proc.pid}", flush=True)
start = time.monotonic()
try:
    out, _ = proc.communicate(timeout=0.3)
except subprocess.TimeoutExpired:
    os.killpg(proc.pid, signal.SIGKILL)  # the fix: the whole group
    print(f"killed the process group of shell={proc.pid} after the timeout", flush=True)
    out, _ = proc.communicate()
print(f"communicate() returned after {time.monotonic() - start:.1f} s (timeout was 0.3 s)")
