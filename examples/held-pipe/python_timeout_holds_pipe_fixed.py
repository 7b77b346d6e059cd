#!/usr/bin/env python3
"""The fixed twin of python_timeout_holds_pipe.py.

The command gets its own session (start_new_session=True), so the shell and
everything it starts share one process group; on timeout the whole group is
killed with os.killpg, the last holder of the pipe's write end goes with it,
and communicate() sees EOF at once.
"""
import os
import signal
import subprocess
import sys
import time

start = time.monotonic()
proc = subprocess.Popen(["sh", "-c", "sleep 3; echo late"], stdout=subprocess.PIPE, start_new_session=True)
try:
    out, _ = proc.communicate(timeout=1)
except subprocess.TimeoutExpired:
    os.killpg(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate()
print(f"communicate() returned after {time.monotonic() - start:.1f} s (timeout was 1 s)")
sys.exit(0)
