#!/usr/bin/env python3
"""pipe-deadlock in Python: Popen(stdout=PIPE), then wait(), then read.

    proc = subprocess.Popen([...], stdout=subprocess.PIPE)
    proc.wait()                 # waits for the child to exit...
    out = proc.stdout.read()    # ...before anyone reads its output

The child prints 200 000 characters.  A pipe holds 64 KiB: the child's
write blocks once the pipe is full, until someone reads.  Python is in
wait() (waitpid underneath), waiting for the child to exit, and reads only
after.  Neither can go on.  The subprocess documentation warns about exactly
this under Popen.wait().

This example HANGS by design: run it under
    exectrace run --hang-after 1 --kill-after-report -- python3 examples/pipe-deadlock/python_wait_before_read.py
Run alone, it is bounded: signal.alarm(30) ends Python after 30 s; the
kernel then closes the read end and the child's next write fails
(BrokenPipeError), so it exits too.

The fix (python_wait_before_read_fixed.py): out, _ = proc.communicate(),
which reads the output to end-of-file and then waits; or subprocess.run(...,
capture_output=True), which calls it.
"""
import os
import signal
import subprocess
import sys

signal.alarm(30)  # the bound: the hang ends after 30 s
proc = subprocess.Popen([sys.executable, "-c", "print('x' * 200000)"], stdout=subprocess.PIPE)
print(f"main={os.getpid()} started child={proc.pid}, waiting for it to exit", flush=True)
proc.wait()  # the bug: wait before reading
out = proc.stdout.read()
print(f"child={proc.pid} exited; read {len(out)} bytes of output")
