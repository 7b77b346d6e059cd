#!/usr/bin/env python3
"""The timeout idiom from Python's subprocess documentation, hanging.

    proc = Popen(...); try: communicate(timeout=...)
    except TimeoutExpired: proc.kill(); proc.communicate()

The command is a shell that starts a grandchild (sleep).  On timeout,
proc.kill() kills the shell only.  The grandchild inherited the write end of
the stdout pipe and keeps it open, so the second communicate() sees no EOF
until the grandchild exits on its own: here 3 s instead of 1 s, in real
programs possibly never.
"""
import subprocess
import sys
import time

start = time.monotonic()
proc = subprocess.Popen(["sh", "-c", "sleep 3; echo late"], stdout=subprocess.PIPE)
try:
    out, _ = proc.communicate(timeout=1)
except subprocess.TimeoutExpired:
    proc.kill()
    out, _ = proc.communicate()
print(f"communicate() returned after {time.monotonic() - start:.1f} s (timeout was 1 s)")
sys.exit(0)
