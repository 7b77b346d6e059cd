#!/usr/bin/env python3
"""echild, in Python: SIGCHLD ignored, and a failed command "succeeds".

What happens.  The program sets SIGCHLD to SIG_IGN, a common way to "never
have zombies" (daemons do it; so do some libraries).  Later it runs a
command that fails with status 3 and checks subprocess.run()'s returncode.
It gets 0.  With SIGCHLD ignored, the kernel reaps every child the moment
it exits and discards its status; Python's waitpid(pid) fails with ECHILD,
and subprocess, which has nothing better to report, sets returncode to 0.
The failure is silently turned into a success.

Why.  Ignoring SIGCHLD (or SA_NOCLDWAIT) is not only "I do not want the
signal": it tells the kernel that this process will never wait for its
children, so there is no status to keep.  Every wait then fails with
ECHILD, in every part of the program.

The fix (python_sigchld_ignored_fixed.py): do not ignore SIGCHLD in a
program that waits for its children.  Where some other part set it, restore
SIG_DFL while running commands whose status matters.
"""
import os
import signal
import subprocess

signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # "never any zombies"

r = subprocess.run(["sh", "-c", "exit 3"])  # a command that fails
print(f"main={os.getpid()}: the command exited with status {r.returncode} (it was 3)", flush=True)
