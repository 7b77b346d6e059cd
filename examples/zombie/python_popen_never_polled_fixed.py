#!/usr/bin/env python3
"""zombie, in Python, fixed: the main loop polls the job.

The same work as python_popen_never_polled.py, but each turn of the main
loop calls job.poll().  poll() asks the kernel, without blocking, whether the
job has ended (waitpid(pid, WNOHANG)); the first call after its end reaps it
and sets job.returncode.  The job is a zombie for at most one turn of the
loop (0.1 s).
"""
import os
import subprocess
import time

job = subprocess.Popen(["sleep", "0.05"])
print(f"main={os.getpid()} started job={job.pid}", flush=True)
for step in range(15):  # main's own work: 1.5 s
    time.sleep(0.1)
    if job.returncode is None and job.poll() is not None:
        print(f"job={job.pid} ended and was reaped, exit status {job.returncode}", flush=True)
job.wait()  # returns at once: already reaped
