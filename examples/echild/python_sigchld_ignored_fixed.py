#!/usr/bin/env python3
"""echild, in Python, fixed: SIGCHLD is at SIG_DFL while a command runs.

The same program as python_sigchld_ignored.py: something has set SIGCHLD to
SIG_IGN.  The code that runs a command and needs its status puts SIGCHLD
back to SIG_DFL for the time the command runs, and restores the old
disposition after.  With SIG_DFL, an exited child stays a zombie until
subprocess's waitpid collects it, and returncode is the real status, 3.

Simpler still, when you own the whole program: do not set SIG_IGN at all,
and reap every child you start.
"""
import os
import signal
import subprocess

signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # set elsewhere in the program

old = signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the fix
try:
    r = subprocess.run(["sh", "-c", "exit 3"])  # a command that fails
finally:
    signal.signal(signal.SIGCHLD, old)
print(f"main={os.getpid()}: the command exited with status {r.returncode} (it was 3)", flush=True)
