#!/usr/bin/env python3
"""pipe-deadlock in Python, fixed: communicate() reads, then waits.

The same child as python_wait_before_read.py.  communicate() reads the
output to end-of-file as it comes (the pipe never stays full), then waits
for the child, which has exited by then.  subprocess.run(...,
capture_output=True) does the same.
"""
import os
import subprocess
import sys

proc = subprocess.Popen([sys.executable, "-c", "print('x' * 200000)"], stdout=subprocess.PIPE)
print(f"main={os.getpid()} started child={proc.pid}, reading its output", flush=True)
out, _ = proc.communicate()  # the fix: read to end-of-file, then wait
print(f"child={proc.pid} exited with status {proc.returncode}; read {len(out)} bytes of output")
