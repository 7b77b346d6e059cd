#!/usr/bin/env python3
"""zombie, in Python: a Popen nobody polls until the end.

What happens.  The program starts a short job with subprocess.Popen (it
ends after 50 ms) and goes on with its own work for 1.5 s, calling
job.wait() only at the end.  Popen does not reap a child by itself: until
wait() or poll() is called, the finished job is a zombie, holding its pid
and exit status ("<defunct>" in ps).  A service that starts a job per
request this way fills the process table.

Why.  Only a wait call reaps a child, and Popen makes one only when asked
(wait, poll, communicate, or when the object is garbage-collected and a
later Popen cleans up after it).

The fix (python_popen_never_polled_fixed.py): poll the job from the main
loop, job.poll(), which reaps it as soon as it has ended (waitpid with
WNOHANG underneath), or use subprocess.run() when the result is needed
before going on.
"""
import os
import subprocess
import time

job = subprocess.Popen(["sleep", "0.05"])
print(f"main={os.getpid()} started job={job.pid}", flush=True)
for step in range(15):  # main's own work: 1.5 s
    time.sleep(0.1)
job.wait()  # the bug: the first wait call, 1.45 s after the job ended
print(f"reaped job={job.pid} at last, exit status {job.returncode}", flush=True)
