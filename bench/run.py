#!/usr/bin/env python3
"""exectrace's benchmarks: `make bench` runs this and it writes bench/RESULTS.md.

Every workload runs untraced, under exectrace (stacks off, and with the
default 8-frame call-site stacks), under `strace -f` and under `strace -f
--seccomp-bpf`, both limited to the calls exectrace records.  The variants of
a workload run interleaved (A B C D E, A B C D E, ...), so that a slow moment
of a shared machine falls on all of them alike; each figure is a median with
its min-max spread.  Then the analyzer reads synthetic traces of 1 and 10
million events.  Standard library only.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The calls exectrace records, as strace names them.
STRACE_CALLS = ("fork,vfork,clone,clone3,execve,execveat,kill,tkill,tgkill,rt_sigqueueinfo,pidfd_open,"
                "pidfd_send_signal,wait4,waitid,pipe,pipe2,close,close_range,dup,dup2,dup3,fcntl,setpgid,"
                "setsid,prctl,rt_sigaction")

# What a user pays, in percent over untraced: each workload under
# `exectrace run` with its defaults (8-frame stacks, a 64 MiB trace, the
# launcher included).
TARGET_RUN_PCT = {"fork+exec": 8.0, "fork+exec, env={}": 8.0, "posix_spawn": 8.0, "bash pipelines": 5.0,
                  "make -j2": 5.0, "python subprocess": 5.0, "pipe+close": 15.0, "kill": 20.0}
# A recorded call in the loops, the shim alone: stacks off, and with the
# default 8 frames.
TARGET_EVENT_NS = 50.0
TARGET_EVENT_STACKS_NS = 120.0
# What `exectrace run -- true` adds to `true`, and what it adds after a
# command that wrote 600,002 records: the same, nothing proportional.
TARGET_RUN_FIXED_MS = 2.0
TARGET_VS_STRACE = 10.0
# `exectrace report` on the 10M-event trace; peak RSS of `report` and
# `events` growing at most this much from 1M to 10M events.
TARGET_EVENTS_PER_S = 15e6
TARGET_MEMORY_GROWTH = 0.20
# The ptrace recorder: a Go spawner at most this many times its untraced
# time, with this many times less overhead than `strace -f`; the dynamic
# workloads' overhead under `exectrace run` at most this many points above
# `exectrace run --no-ptrace`.
TARGET_GO_RATIO = 1.5
TARGET_GO_VS_STRACE = 5.0
TARGET_RECORDER_POINTS = 2.0
# `exectrace timeline` of a 10,000-process trace, opened in headless
# Chromium: ready within this long, and a zoom step drawn within this long
# (two frames of 16.7 ms are the floor of the measurement).
TIMELINE_PROCESSES = 10000
TARGET_TIMELINE_LOAD_S = 10.0
TARGET_TIMELINE_ZOOM_MS = 100.0


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def run_out(cmd, **kw):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
                              **kw).stdout.strip()
    except OSError as e:
        return f"({e.strerror})"


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {
        "CPU": f"{model}, {os.cpu_count()} logical CPUs",
        "Memory": mem,
        "Kernel": platform.release(),
        "C compiler": run_out(["cc", "--version"]).splitlines()[0],
        "strace": (run_out(["strace", "-V"]).splitlines() or ["none"])[0] if shutil.which("strace") else "not installed",
        "Python": platform.python_version(),
    }


class Workload:
    def __init__(self, name, argv, kind, what, prepare=None, env=None, floor=False, pin=False):
        self.name, self.argv, self.kind, self.what = name, argv, kind, what
        self.floor = floor    # also run with an empty preload library
        self.pin = pin        # every variant on one CPU
        self.prepare = prepare  # run untimed before each timed run
        self.env = env or {}


def variants(build, scratch, strace_ok, seccomp_ok):
    shim = os.path.join(build, "libexectrace.so")
    trace = os.path.join(scratch, "bench.trace")

    # The shim preloaded into the workload, writing to a trace file made
    # beforehand (untimed) the way `exectrace run` makes it: what a traced
    # program pays.  What the launcher adds once is measured apart.
    def exectrace(depth):
        return lambda argv: (argv, {"LD_PRELOAD": shim, "EXECTRACE_FILE": trace,
                                    "EXECTRACE_STACK_DEPTH": str(depth)})

    # What a user pays: `exectrace run` with its defaults (8-frame stacks, a
    # 64 MiB trace, the summary line), the launcher included.
    et = os.path.join(build, "exectrace")
    v = [("untraced", lambda argv: (argv, {})),
         ("exectrace", exectrace(0)),
         ("exectrace+stacks", exectrace(8)),
         ("exectrace run", lambda argv: ([et, "run", "-q", "-o", trace, "--"] + argv, {})),
         # The flight recorder, at the same size: what keeping the newest
         # history rather than the first costs.
         ("exectrace run --ring", lambda argv: ([et, "run", "-q", "--ring", "64M", "-o", trace, "--"] + argv, {}))]
    if strace_ok:
        v.append(("strace -f", lambda argv: (["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=" + STRACE_CALLS]
                                             + argv, {})))
    if seccomp_ok:
        v.append(("strace -f --seccomp-bpf",
                  lambda argv: (["strace", "-f", "--seccomp-bpf", "-qq", "-o", "/dev/null", "-e",
                                 "trace=" + STRACE_CALLS] + argv, {})))
    return v


REPORT_HEAD = re.compile(r"(\d+) process(?:es)?, (\d+) events?")


def new_trace(build, trace):
    """A fresh 1 GiB trace, made by `exectrace run` around /bin/true; the
    numbers of processes and records it starts with."""
    if os.path.exists(trace):
        os.unlink(trace)
    subprocess.run([os.path.join(build, "exectrace"), "run", "-q", "--size", "1G", "-o", trace, "--", "true"],
                   stdout=subprocess.DEVNULL, check=True)
    return count_trace(build, trace)


def count_trace(build, trace):
    """The processes and the records in a trace."""
    out = run_out([os.path.join(build, "exectrace"), "report", trace])
    m = REPORT_HEAD.search(out)
    if not m:
        raise SystemExit(f"bench: cannot count the records of {trace}:\n{out}")
    return int(m.group(1)), int(m.group(2))


def pinned_cpu():
    """The CPU the pinned workloads run on: the last one this process may use."""
    return max(os.sched_getaffinity(0))


def timed(argv, env, cwd, pin=False):
    """Runs argv; its wall time, its standard error, and the resource usage
    of it and the children it reaped (CPU times, page faults)."""
    full_env = dict(os.environ)
    full_env.update(env)
    cpu = pinned_cpu() if pin else None
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=full_env,
                             cwd=cwd, preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if pin else None)
        _, status, usage = os.wait4(p.pid, 0)
        took = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    if p.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)} exited {p.returncode}:\n{text}")
    return took, text, usage


def make_project(where, files):
    """A project of `files` small C files and a Makefile that builds them."""
    os.makedirs(where, exist_ok=True)
    objs = []
    for i in range(files):
        with open(os.path.join(where, f"f{i}.c"), "w") as f:
            f.write(f"int f{i}(int x);\nint f{i}(int x)\n{{\n    int s = 0;\n    for (int k = 0; k < x; k++)\n"
                    f"        s += k * {i + 1};\n    return s;\n}}\n")
        objs.append(f"f{i}.o")
    with open(os.path.join(where, "main.c"), "w") as f:
        f.write("int main(void) { return 0; }\n")
    with open(os.path.join(where, "Makefile"), "w") as f:
        f.write(f"OBJS := {' '.join(objs)} main.o\nprog: $(OBJS)\n\tcc -o $@ $(OBJS)\n"
                "%.o: %.c\n\tcc -O1 -c -o $@ $<\nclean:\n\trm -f prog *.o\n")


def workloads(build, scratch, quick):
    progs = os.path.join(build, "bench")
    n_spawn = 50 if quick else 500
    n_loop = 20000 if quick else 200000
    n_pipelines = 30 if quick else 300
    n_files = 20 if quick else 200
    n_python = 20 if quick else 200
    project = os.path.join(scratch, "project")
    make_project(project, n_files)
    python = sys.executable
    return [
        Workload("fork+exec", [os.path.join(progs, "fork_exec"), str(n_spawn)], "spawn",
                 f"fork + execve(/bin/true) + waitpid, {n_spawn} times", floor=True),
        Workload("fork+exec, env={}", [os.path.join(progs, "fork_exec"), str(n_spawn), "empty"], "spawn",
                 f"the same with an empty environment, which exectrace's exec hook refills, {n_spawn} times"),
        Workload("posix_spawn", [os.path.join(progs, "spawn"), str(n_spawn)], "spawn",
                 f"posix_spawn(/bin/true) + waitpid, {n_spawn} times", floor=True),
        Workload("pipe+close", [os.path.join(progs, "pipe_loop"), str(n_loop)], "loop",
                 f"pipe + close + close, {n_loop} times", pin=True),
        Workload("kill", [os.path.join(progs, "kill_loop"), str(n_loop)], "loop",
                 f"kill(getpid(), 0), {n_loop} times", pin=True),
        Workload("bash pipelines", ["bash", "-c", f"for i in $(seq {n_pipelines}); do echo x | cat >/dev/null; done"],
                 "spawn", f"bash running {n_pipelines} pipelines `echo x | cat >/dev/null`"),
        Workload("make -j2", ["make", "-s", "-j2", "-C", project], "spawn",
                 f"make -j2 on a generated project of {n_files} small C files (cleaned before each run)",
                 prepare=["make", "-s", "-C", project, "clean"]),
        Workload("python subprocess", [python, "-c",
                                       "import subprocess\n"
                                       f"for i in range({n_python}):\n"
                                       "    subprocess.run(['/bin/echo', str(i)], capture_output=True, check=True)"],
                 "spawn", f"python3 running {n_python} `subprocess.run(['/bin/echo', i], capture_output=True)`"),
    ]


def spread(xs):
    return statistics.median(xs), min(xs), max(xs)


def fmt_s(x):
    return f"{x * 1000:.1f} ms" if x < 10 else f"{x:.2f} s"


def perf_ok(scratch):
    """Whether perf can sample here: with the cpu-clock software event, which
    works in virtual machines that give no hardware counters."""
    if not shutil.which("perf"):
        return False
    p = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-o", os.path.join(scratch, "probe.data"), "--",
                        "true"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return p.returncode == 0


def profile(argv, env, scratch, lines=18):
    """The top of a perf profile of argv, as text; None when perf cannot."""
    if not perf_ok(scratch):
        return None
    data = os.path.join(scratch, "perf.data")
    full_env = dict(os.environ)
    full_env.update(env)
    subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "4000", "-g", "-o", data, "--"] + argv,
                   stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=full_env, check=False)
    out = run_out(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "dso,symbol", "-g", "none",
                   "--percent-limit", "1.5"])
    keep = [line for line in out.splitlines() if line.strip() and not line.startswith("#")]
    return "\n".join(keep[:lines])


def measure_workloads(args, scratch, phases):
    build = os.path.abspath(args.build)
    strace_ok = shutil.which("strace") is not None
    seccomp_ok = strace_ok and subprocess.run(
        ["strace", "-f", "--seccomp-bpf", "-qq", "-o", "/dev/null", "-e", "trace=kill", "true"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode == 0
    skipped = []
    if not strace_ok:
        skipped.append("strace is not installed (Debian package strace): its columns are left out")
    elif not seccomp_ok:
        skipped.append("this strace or kernel has no --seccomp-bpf: that column is left out")
    all_vs = variants(build, scratch, strace_ok, seccomp_ok)
    empty = os.path.join(build, "bench", "libempty_preload.so")
    results = []
    for w in workloads(build, scratch, args.quick):
        vs = list(all_vs)
        if w.floor:
            vs.insert(1, ("empty preload", lambda argv: (argv, {"LD_PRELOAD": empty})))
        times = {name: [] for name, _ in vs}
        usage = {name: [] for name, _ in vs}
        events = {}
        processes = {}
        dropped = 0
        started = time.perf_counter()
        trace = os.path.join(scratch, "bench.trace")
        for rnd in range(args.rounds):
            for name, make in vs:
                argv, env = make(w.argv)
                env = dict(env, **w.env)
                if w.prepare:
                    subprocess.run(w.prepare, stdout=subprocess.DEVNULL, check=True)
                traced = name.startswith("exectrace")
                if name.startswith("exectrace run"):
                    # It makes its own trace, replacing the last one as a
                    # user's next run would.
                    before = (0, 0)
                else:
                    before = new_trace(build, trace) if traced else (0, 0)
                took, err, ru = timed(argv, env, scratch, w.pin)
                times[name].append(took)
                usage[name].append(ru)
                if traced:
                    procs, records = count_trace(build, trace)
                    events[name] = records - before[1]
                    processes[name] = procs - before[0]
                    with open(trace, "rb") as f:
                        header = f.read(216)
                    dropped += int.from_bytes(header[192:200], "little")
            log(f"{w.name}: round {rnd + 1}/{args.rounds}: " +
                ", ".join(f"{n} {fmt_s(t[-1])}" for n, t in times.items()))
        phases[f"workload: {w.name}"] = time.perf_counter() - started
        results.append({"w": w, "times": times, "usage": usage, "events": events, "processes": processes,
                        "dropped": dropped, "variants": [n for n, _ in vs], "make": dict(vs)})
    return results, skipped


def measure_launcher(args, scratch):
    """What `exectrace run` adds once: creating the trace file (its blocks
    reserved, the previous one replaced), starting the command, reaping,
    its summary; and what it adds around a command that writes 600,002
    records, against the shim with the same settings and no launcher."""
    build = os.path.abspath(args.build)
    et = os.path.join(build, "exectrace")
    shim = os.path.join(build, "libexectrace.so")
    trace = os.path.join(scratch, "launcher.trace")
    loop = [os.path.join(build, "bench", "pipe_loop"), "20000" if args.quick else "200000"]

    def fresh():
        if os.path.exists(trace):
            os.unlink(trace)

    def full():
        fresh()
        subprocess.run([et, "run", "-q", "-o", trace, "--"] + loop, stdout=subprocess.DEVNULL, check=True)

    def made():
        fresh()
        subprocess.run([et, "run", "-q", "-o", trace, "--", "true"], stdout=subprocess.DEVNULL, check=True)

    run = [et, "run", "-q", "-o", trace, "--"]
    vs = [("true", ["true"], {}, fresh, False),
          (LAUNCHER_FRESH, run + ["true"], {}, fresh, False),
          (LAUNCHER_REPLACING, run + ["true"], {}, full, False),
          ("exectrace run --size 1G -- true", [et, "run", "-q", "--size", "1G", "-o", trace, "--", "true"], {},
           fresh, False),
          (LAUNCHER_SHIM_LOOP, loop, {"LD_PRELOAD": shim, "EXECTRACE_FILE": trace}, made, True),
          (LAUNCHER_RUN_LOOP, run + loop, {}, fresh, True)]
    times = {n: [] for n, *_ in vs}
    for _ in range(args.rounds):
        for name, argv, env, prepare, pin in vs:
            prepare()
            times[name].append(timed(argv, env, scratch, pin)[0])
    # The summary of the last run's trace, read as `exectrace run` reads it
    # and as it used to (every record).
    full()
    summary = {"tally_ms": [], "scan_ms": []}
    for _ in range(args.rounds):
        p = subprocess.run([os.path.join(build, "bench", "summary_cost"), trace], stdout=subprocess.PIPE, text=True,
                           check=True)
        got = dict(line.split() for line in p.stdout.splitlines())
        for k in summary:
            summary[k].append(float(got[k]))
    summary["runs"] = int(got["runs"])
    fresh()
    log("launcher: " + ", ".join(f"{n} {fmt_s(statistics.median(t))}" for n, t in times.items()))
    return {"times": times, "records": 3 * int(loop[1]) + 2, "summary": summary}


RECORD_COST_FIELDS = ("clock_ns", "warm_write_ns", "warm_record_ns", "cold_record_ns", "record_bytes", "pipe_fstat_ns",
                      "walk_ns", "walk_frames", "cold_stacked_record_ns", "stacked_record_bytes",
                      "ring_warm_record_ns", "ring_record_ns", "image_record_ns", "ring_image_record_ns")


def measure_record_cost(args, scratch):
    """bench/record_cost, once a round: the cost of one record taken apart."""
    prog = os.path.join(os.path.abspath(args.build), "bench", "record_cost")
    n = 200000 if args.quick else 1000000
    rounds = {k: [] for k in RECORD_COST_FIELDS}
    for _ in range(args.rounds):
        p = subprocess.run([prog, scratch, str(n)], stdout=subprocess.PIPE, text=True, check=True)
        got = dict(line.split() for line in p.stdout.splitlines())
        for k in RECORD_COST_FIELDS:
            rounds[k].append(float(got[k]))
    log("record cost: " + ", ".join(f"{k} {statistics.median(v):.1f}" for k, v in rounds.items()))
    return {"records": n, "rounds": rounds}


# enum et_image_step (shim/shim.h), after ET_STEP_BEGIN.
IMAGE_STEPS = (("resolving the wrapped functions (`dlsym`)", "dlsym"),
               ("its identity: pid, tid, `/proc/self/stat`", "identity"),
               ("the trace: open, map, the header's page", "trace file"),
               ("the library's and the program's paths (`dladdr`, `/proc/self/exe`)", "paths"),
               ("the pipe ends it inherited: `/proc/self/fd`, each fd's kind", "inherited fds"),
               ("its start record: a run claimed and mapped, the record written", "start record"))


def measure_image_steps(args, scratch):
    """The steps of a new image's start, timed by the benchmark's build of
    the shim around posix_spawn(/bin/true)."""
    build = os.path.abspath(args.build)
    lib = os.path.join(build, "bench", "libexectrace-steps.so")
    out = os.path.join(scratch, "steps.txt")
    trace = os.path.join(scratch, "steps.trace")
    n = 50 if args.quick else 500
    argv = [os.path.join(build, "bench", "spawn"), str(n)]
    for _ in range(args.rounds):
        new_trace(build, trace)
        timed(argv, {"LD_PRELOAD": lib, "EXECTRACE_FILE": trace, "EXECTRACE_STACK_DEPTH": "0",
                     "EXECTRACE_BENCH_STEPS": out}, scratch)
    with open(out) as f:
        rows = [[int(x) for x in line.split()[1:]] for line in f if line.startswith("steps ")]
    os.unlink(trace)
    if not rows or any(len(r) != len(IMAGE_STEPS) for r in rows):
        raise SystemExit(f"bench: {lib} wrote no usable step times to {out}")
    log(f"image steps: {len(rows)} images")
    return {"images": len(rows), "argv": argv, "rounds": args.rounds,
            "median": [statistics.median(r[i] for r in rows) for i in range(len(IMAGE_STEPS))],
            "total": statistics.median(sum(r) for r in rows)}


# What reads the synthetic traces: the report (model and rules), and the
# events printer (decoder and emitters), which streams as the report does.
ANALYZER_COMMANDS = [["report"], ["events"], ["events", "--json"]]


def measure_analyzer(args, scratch):
    build = os.path.abspath(args.build)
    gen = os.path.join(build, "bench", "gen_trace")
    et = os.path.join(build, "exectrace")
    # The same shape at both sizes, 1,000 events per process: what changes
    # is only how long the trace goes on.
    sizes = [(100000, 100), (1000000, 1000)] if args.quick else [(1000000, 1000), (10000000, 10000)]
    # And the larger run into a 64 MiB ring (16 MiB for --quick), which it
    # goes round many times: what `report` reads of a flight recorder.
    ring = (16 << 20) if args.quick else (64 << 20)
    out = []
    for events, procs, ring_bytes in [(e, p, 0) for e, p in sizes] + [sizes[-1] + (ring,)]:
        trace = os.path.join(scratch, f"synthetic-{events}{'-ring' if ring_bytes else ''}.trace")
        log(f"analyzer: writing a synthetic trace of {events} events over {procs} processes"
            + (f" into a {ring_bytes >> 20} MiB ring" if ring_bytes else ""))
        written = int(run_out([gen, trace, str(events), str(procs)] + ([str(ring_bytes)] if ring_bytes else []))
                      .splitlines()[-1])
        size = os.path.getsize(trace)
        # The trace's pages go to the disk first: writing back 1.4 GiB while
        # the analyzer reads it moved `report` between 610 and 820 ms.
        os.sync()
        for command in ANALYZER_COMMANDS:
            argv = [et] + command + [trace]
            runs = []
            for rnd in range(args.rounds):
                start = time.perf_counter()
                p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                peak_anon = 0
                while True:
                    pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                    if pid:
                        break
                    try:
                        with open(f"/proc/{p.pid}/status") as f:
                            for line in f:
                                if line.startswith("RssAnon:"):
                                    peak_anon = max(peak_anon, int(line.split()[1]))
                    except OSError:
                        pass
                    time.sleep(0.002)
                took = time.perf_counter() - start
                code = os.waitstatus_to_exitcode(status)
                if code not in (0, 1):
                    raise SystemExit(f"bench: {shown(argv)} exited {code}")
                runs.append((took, ru.ru_maxrss, peak_anon))
                log(f"analyzer: {' '.join(command)}, {events} events: round {rnd + 1}/{args.rounds}: "
                    f"{fmt_s(took)}, peak RSS {ru.ru_maxrss // 1024} MiB")
            out.append({"command": " ".join(command), "events": written, "procs": procs, "runs": runs,
                        "size": size, "argv": argv, "ring": ring_bytes})
        os.unlink(trace)
    return out


def measure_timeline(args, scratch):
    """The HTML timeline of 10,000 processes: how long `exectrace timeline`
    takes, how large the page is, and how a browser copes (tests/browser/
    timeline_check.py --measure: load to ready, then one zoom step drawn)."""
    build = os.path.abspath(args.build)
    gen = os.path.join(build, "bench", "gen_trace")
    et = os.path.join(build, "exectrace")
    check = os.path.join(ROOT, "tests", "browser", "timeline_check.py")
    procs = 1000 if args.quick else TIMELINE_PROCESSES
    trace = os.path.join(scratch, "timeline.trace")
    page = trace + ".html"
    events = procs * 20
    log(f"timeline: a synthetic trace of {procs} processes, {events} events")
    run_out([gen, trace, str(events), str(procs)])
    if not (shutil.which("chromium") and os.path.exists("/usr/lib/python3/dist-packages/websocket/__init__.py")):
        log("timeline: no chromium or python3-websocket (./make.sh installs them): the browser figures are skipped")
        browser = False
    else:
        browser = True
    out = {"procs": procs, "events": events, "write": [], "load": [], "zoom": [], "browser": browser}
    for rnd in range(args.rounds if not args.quick else 1):
        start = time.perf_counter()
        subprocess.run([et, "timeline", "-o", page, trace], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        out["write"].append(time.perf_counter() - start)
        out["size"] = os.path.getsize(page)
        if browser:
            r = subprocess.run(["/usr/bin/python3", check, page, "--measure"], capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit(f"bench: the timeline failed in the browser: {r.stderr}")
            figures = json.loads(r.stdout.strip().splitlines()[-1])
            out["load"].append(figures["load_ms"] / 1000)
            out["zoom"].append(figures["zoom_frame_ms"])
        log(f"timeline: round {rnd + 1}: written in {fmt_s(out['write'][-1])}"
            + (f", ready in the browser in {fmt_s(out['load'][-1])}, a zoom step {out['zoom'][-1]:.0f} ms"
               if browser else ""))
    os.unlink(trace)
    os.unlink(page)
    return out


def write_timeline(add, tl, misses):
    add("## The HTML timeline\n")
    add(f"`bench/gen_trace` writes a trace of {tl['procs']:,} processes ({tl['events']:,} events, each child "
        "holding pipe ends); `exectrace timeline` draws it, and `tests/browser/timeline_check.py --measure` opens "
        "the page in headless Chromium: the time from navigation to the page saying it is ready, then the mean "
        "time of 20 zoom steps (keys W and S) each waited for until drawn, two animation frames, so 33 ms is the "
        "floor. The page draws lanes in chunks of 64, each its own SVG, and a zoom moves only the chunks on "
        "screen.\n")
    w = spread(tl["write"])
    add("| figure | median [min-max] |")
    add("|---|---|")
    add(f"| `exectrace timeline` | {fmt_s(w[0])} [{fmt_s(w[1])}-{fmt_s(w[2])}] |")
    add(f"| page size | {tl['size'] / 2**20:.1f} MiB |")
    if tl["browser"]:
        load, zoom = spread(tl["load"]), spread(tl["zoom"])
        add(f"| ready in Chromium | {fmt_s(load[0])} [{fmt_s(load[1])}-{fmt_s(load[2])}] |")
        add(f"| one zoom step, drawn | {zoom[0]:.0f} ms [{zoom[1]:.0f}-{zoom[2]:.0f}] |")
        if load[0] > TARGET_TIMELINE_LOAD_S:
            misses.append((None, f"the {tl['procs']:,}-process timeline is ready in {fmt_s(load[0])} (target "
                                 f"{TARGET_TIMELINE_LOAD_S:.0f} s)", None))
        if zoom[0] > TARGET_TIMELINE_ZOOM_MS:
            misses.append((None, f"a zoom step of the {tl['procs']:,}-process timeline takes {zoom[0]:.0f} ms "
                                 f"(target {TARGET_TIMELINE_ZOOM_MS:.0f} ms)", None))
    else:
        add("| ready in Chromium | not measured: no chromium or python3-websocket |")
    add("")


def shown(argv):
    """A command line for Markdown, on one line."""
    return shlex.join(argv).replace("\n", "\\n")


def pct(x, base):
    return (x / base - 1.0) * 100.0


def ru_median(usages, field):
    return statistics.median(getattr(u, field) for u in usages)


def run_variants(build, scratch):
    """`exectrace run` itself, with its recorder and without: what a user
    pays, launcher included.  Stacks off in both, so that the difference is
    the recorder's."""
    et = os.path.join(build, "exectrace")
    trace = os.path.join(scratch, "run.trace")

    def run(*opts):
        return lambda argv: ([et, "run", "-q", "--size", "256M", "-o", trace] + list(opts) + ["--"] + argv,
                             {"EXECTRACE_STACK_DEPTH": "0"})
    return [("exectrace run --no-ptrace", run("--no-ptrace")), ("exectrace run", run())]


def measure_recorder(args, scratch, results):
    """The recorder's cost: on a Go program (whose calls only it sees), and
    on the dynamic workloads, against the shim alone."""
    build = os.path.abspath(args.build)
    out = {"go": None, "dynamic": []}
    go = os.path.join(build, "bench", "go_spawn")
    n_go = 50 if args.quick else 300
    strace_ok = shutil.which("strace") is not None
    if os.access(go, os.X_OK):
        vs = [("untraced", lambda argv: (argv, {}))] + run_variants(build, scratch)
        if strace_ok:
            vs.append(("strace -f", lambda argv: (["strace", "-f", "-qq", "-o", "/dev/null", "-e",
                                                   "trace=" + STRACE_CALLS] + argv, {})))
            vs.append(("strace -f --seccomp-bpf", lambda argv: (["strace", "-f", "--seccomp-bpf", "-qq", "-o",
                                                                 "/dev/null", "-e", "trace=" + STRACE_CALLS] + argv,
                                                                {})))
        argv = [go, str(n_go)]
        times = {n: [] for n, _ in vs}
        # Twice the rounds: on a virtual machine a traced run's time varies
        # by a third from one run to the next.
        rounds = 2 * args.rounds
        for rnd in range(rounds):
            for name, make in vs:
                a, env = make(argv)
                times[name].append(timed(a, env, scratch)[0])
            log(f"recorder, Go: round {rnd + 1}/{rounds}: " +
                ", ".join(f"{n} {fmt_s(t[-1])}" for n, t in times.items()))
        trace = os.path.join(scratch, "run.trace")
        subprocess.run([os.path.join(build, "exectrace"), "run", "-q", "--size", "256M", "-o", trace, "--"] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        procs, records = count_trace(build, trace)
        out["go"] = {"argv": argv, "times": times, "procs": procs, "records": records, "n": n_go}
    for r in results:
        w = r["w"]
        vs = run_variants(build, scratch)
        base = r["times"]["untraced"]
        times = {n: [] for n, _ in vs}
        # Twice the rounds: the difference sought is a point or two.
        for rnd in range(2 * args.rounds):
            for name, make in vs:
                a, env = make(w.argv)
                if w.prepare:
                    subprocess.run(w.prepare, stdout=subprocess.DEVNULL, check=True)
                times[name].append(timed(a, dict(env, **w.env), scratch, w.pin)[0])
        log(f"recorder, {w.name}: " + ", ".join(f"{n} {fmt_s(statistics.median(t))}" for n, t in times.items()))
        out["dynamic"].append({"w": w, "times": times, "untraced": base})
    return out


def write_recorder(add, rec, misses):
    add("## The ptrace recorder\n")
    add("`exectrace run` follows with ptrace only the programs that make their own system calls (a Go program, "
        "a static binary) and what they start, under a seccomp filter that stops only calls from a program's "
        "own code; a tree of dynamic programs is never traced (the shim asks for the recorder before it execs "
        "or spawns such a program). Here `exectrace run` (the recorder on, the default) against `exectrace run "
        "--no-ptrace` (the shim alone), both with stacks off, launcher included, interleaved as above, in twice "
        "as many rounds.\n")
    g = rec["go"]
    if g is None:
        add("No Go workload: Go is not installed (`./make.sh` installs Debian's `golang-go`).\n")
    else:
        base = statistics.median(g["times"]["untraced"])
        add(f"A Go program running `/bin/true` {g['n']} times with `exec.Command(...).Output()` "
            f"(`bench/progs/go_spawn.go`; the trace of one run has {g['records']:,} records of "
            f"{g['procs']} processes):\n")
        add("| variant | time (median [min-max]) | vs untraced |")
        add("|---|---|---|")
        for name, t in g["times"].items():
            med, lo, hi = spread(t)
            add(f"| `{name}` | {fmt_s(med)} [{fmt_s(lo)}-{fmt_s(hi)}] | {med / base:.2f}x |")
        run_med = statistics.median(g["times"]["exectrace run"])
        ratio = run_med / base
        line = f"\nUnder `exectrace run` the Go program takes {ratio:.2f}x its untraced time (target " \
               f"{TARGET_GO_RATIO}x)"
        if ratio > TARGET_GO_RATIO:
            misses.append((None, f"the Go spawner takes {ratio:.2f}x its untraced time under `exectrace run` "
                                 f"(target {TARGET_GO_RATIO}x)", None))
        if "strace -f" in g["times"]:
            so = statistics.median(g["times"]["strace -f"]) - base
            eo = run_med - base
            vs = so / eo if eo > 0 else float("inf")
            line += f"; its overhead is {vs:.1f}x less than `strace -f`'s (target {TARGET_GO_VS_STRACE:.0f}x)"
            if vs < TARGET_GO_VS_STRACE:
                misses.append((None, f"the Go spawner's overhead is only {vs:.1f}x below `strace -f`'s "
                                     f"(target {TARGET_GO_VS_STRACE:.0f}x)", None))
        add(line + ". `--no-ptrace` sees none of the Go program's own calls; it is there to show what the "
            "launcher and the shim in `/bin/true` cost by themselves.\n")
    add("The dynamic workloads of the first table, as a user runs them (overhead over their untraced median "
        "above). Nothing in them is traced: what the recorder costs here is its start (the self-test of the "
        "filter, the socket) and, in each exec or spawn, the shim reading the first page of the program it "
        "runs:\n")
    add("| workload | `exectrace run --no-ptrace` | `exectrace run` | the recorder's points | target |")
    add("|---|---|---|---|---|")
    for d in rec["dynamic"]:
        base = statistics.median(d["untraced"])
        shim = statistics.median(d["times"]["exectrace run --no-ptrace"])
        full = statistics.median(d["times"]["exectrace run"])
        points = pct(full, base) - pct(shim, base)
        met = points <= TARGET_RECORDER_POINTS
        if not met:
            misses.append((None, f"{d['w'].name}: the recorder adds {points:.1f} points over the shim alone "
                                 f"(target {TARGET_RECORDER_POINTS:.0f})", None))
        add(f"| {d['w'].name} | {fmt_s(shim)} **{pct(shim, base):+.1f}%** | {fmt_s(full)} "
            f"**{pct(full, base):+.1f}%** | {points:+.1f} | {'met' if met else 'missed'} |")
    add("")


def write_cost_breakdown(add, results, rc, steps, misses):
    """Where exectrace's overhead goes, measured: the CPU time and page faults
    it adds to each workload, and one record taken apart."""
    add("## Where the overhead goes\n")
    add("CPU time (user and system) and minor page faults of each workload's whole process tree (`wait4`'s "
        "resource usage, which counts the children it reaped; medians of the rounds), `exectrace` (stacks off) "
        "minus `untraced`. *Processes* are those the trace shows; for the spawn-heavy workloads the cost is "
        "counted per process, since most of it is paid once per process image.\n")
    add("| workload | processes | extra wall | extra CPU | extra page faults | per process: wall, CPU, page faults |")
    add("|---|---|---|---|---|---|")
    for r in results:
        u, e = r["usage"]["untraced"], r["usage"]["exectrace"]
        wall = statistics.median(r["times"]["exectrace"]) - statistics.median(r["times"]["untraced"])
        user = ru_median(e, "ru_utime") - ru_median(u, "ru_utime")
        system = ru_median(e, "ru_stime") - ru_median(u, "ru_stime")
        faults = ru_median(e, "ru_minflt") - ru_median(u, "ru_minflt")
        procs = max(r["processes"].get("exectrace", 1), 1)
        r["breakdown"] = {"wall": wall, "user": user, "system": system, "faults": faults, "procs": procs}
        each = (f"{wall / procs * 1e6:.0f} us, {(user + system) / procs * 1e6:.0f} us, {faults / procs:.1f}"
                if r["w"].kind == "spawn" else "-")
        add(f"| {r['w'].name} | {procs} | {fmt_s(wall)} | {fmt_s(user + system)} | {faults:.0f} | {each} |")
    add("")
    add("### A new process image's start, step by step\n")
    add(f"The shim built with its steps timed (`bench/image_steps.c`, `build/bench/libexectrace-steps.so`), "
        f"preloaded into `{shown(steps['argv'])}` for {steps['rounds']} rounds: the constructor of each of "
        f"its {steps['images']:,} process images (the spawning program and every `/bin/true` it starts), median "
        f"of each step in microseconds:\n")
    add("| step | us |")
    add("|---|---|")
    for (what, _), us in zip(IMAGE_STEPS, steps["median"]):
        add(f"| {what} | {us / 1000:.1f} |")
    add(f"| all of them (median of the sums) | {steps['total'] / 1000:.1f} |")
    add("")
    add("What a traced process costs beyond these steps is loading one more library (the `empty preload` "
        "column), the records of the calls it makes and of its exit, and the parent's records of the spawn "
        "and the wait.\n")
    med = {k: statistics.median(v) for k, v in rc["rounds"].items()}
    per_page = 4096 // int(med["record_bytes"])
    # What a record costs more in a new trace than once its page is in: its
    # share of claiming the run and mapping its fresh pages.
    page_share = max(med["cold_record_ns"] - med["warm_record_ns"], 0.0)
    add("### One record, taken apart\n")
    add(f"`bench/record_cost` writes {rc['records']:,} records of a `kill`'s size ({med['record_bytes']:.0f} bytes) "
        "through the shim's writer into trace files it makes in the scratch directory (same file system as the "
        "workloads' trace), medians of the rounds:\n")
    add("| what | ns |")
    add("|---|---|")
    add(f"| reading the clock (`CLOCK_MONOTONIC`, vDSO) | {med['clock_ns']:.1f} |")
    add(f"| reserving, filling and committing a record, its page already mapped | {med['warm_write_ns']:.1f} |")
    add(f"| both: a record once its page is mapped | {med['warm_record_ns']:.1f} |")
    add(f"| a record as the shim writes it into a new trace: the above, and its share of claiming runs and mapping "
        f"their fresh pages (`MADV_POPULATE_WRITE`) | {med['cold_record_ns']:.1f} |")
    add(f"| so one fresh 4 KiB page of the trace, {per_page} records' worth, costs | {page_share * per_page:.0f} |")
    add(f"| the shim's stack walker, its rules learnt, from three frames of its own to the program's "
        f"`main` and the {med['walk_frames'] - 1:.0f} frames that start it ({med['walk_frames']:.0f} stored, "
        f"as the loops below have) | {med['walk_ns']:.1f} |")
    add(f"| a record carrying those frames ({med['stacked_record_bytes']:.0f} bytes) into a new trace, as the "
        f"shim writes it | {med['cold_stacked_record_ns']:.1f} |")
    add("")
    write_ring_costs(add, results, med)
    for r in results:
        if r["w"].kind != "loop" or not r["events"].get("exectrace"):
            continue
        per = r["breakdown"]["wall"] / r["events"]["exectrace"] * 1e9
        rest = per - med["cold_record_ns"]
        what = "the hook around the call"
        if r["w"].name.startswith("pipe"):
            what += " (for `pipe`, also the `fstat` that learns the pipe's inode, and the fd table's bookkeeping)"
        line = (f"{per:.0f} ns per event in the workload; the record itself measures "
                f"{med['cold_record_ns']:.0f} ns apart (the clock alone {med['clock_ns']:.0f}, the record alone "
                f"{med['warm_write_ns']:.0f}, its share of fresh pages {page_share:.0f})")
        line += f"; the other {rest:.0f} ns are {what}" if rest > 0 else ", no more than that in the workload"
        r["why"] = line
        add(f"- {r['w'].name}: {line}.")
    for r in results:
        if r["w"].kind == "spawn":
            b = r["breakdown"]
            r["why"] = (f"per traced process {b['wall'] / b['procs'] * 1e6:.0f} us more wall time, "
                        f"{(b['user'] + b['system']) / b['procs'] * 1e6:.0f} us more CPU and "
                        f"{b['faults'] / b['procs']:.1f} more page faults")
            r["why"] += (f"; a new image's own start (step by step above) takes {steps['total'] / 1000:.0f} us, "
                         + ", ".join(f"{short} {us / 1000:.0f}" for (_, short), us in zip(IMAGE_STEPS, steps["median"])))
            if "empty preload" in r["times"]:
                floor = statistics.median(r["times"]["empty preload"]) - statistics.median(r["times"]["untraced"])
                r["why"] += (f"; preloading a library that does nothing already costs {floor / b['procs'] * 1e6:.0f} us "
                             "of wall time per process" if floor > 0 else
                             "; preloading a library that does nothing costs no measurable time here")
    add("")


def write_ring_costs(add, results, med):
    """Ring mode against the fixed-size trace: per record, per process
    image, and per workload under `exectrace run`."""
    add("### Ring mode (`run --ring`) against the fixed-size trace\n")
    add("The same writer in a ring trace: a record reserves with a compare-and-swap on its run's slot word and "
        "commits with its generation; a run is claimed slot by slot, each a lap old walked first (every record "
        "there complete) and counted as overwritten. From `bench/record_cost`, medians of the rounds:\n")
    add("| what | fixed size, ns | ring, ns |")
    add("|---|---|---|")
    add(f"| a record once its page is mapped | {med['warm_record_ns']:.1f} | {med['ring_warm_record_ns']:.1f} |")
    add(f"| a record as the shim writes it: into a new trace; into a 16 MiB ring that has gone round "
        f"(claims of slots a lap old included) | {med['cold_record_ns']:.1f} | {med['ring_record_ns']:.1f} |")
    add(f"| a process image's first record (a start record's size, in a run of its own): in a new trace; in the "
        f"ring gone round | {med['image_record_ns']:.1f} | {med['ring_image_record_ns']:.1f} |")
    add("")
    rows = [r for r in results if "exectrace run --ring" in r["times"]]
    if not rows:
        return
    add("The workloads under `exectrace run -o FILE` (64 MiB, fixed) and `exectrace run --ring 64M` (none of "
        "them fills it: this is the ring's own cost, not that of going round):\n")
    add("| workload | run | run --ring | ring - run, per event | per process |")
    add("|---|---|---|---|---|")
    for r in rows:
        base = statistics.median(r["times"]["untraced"])
        fixed = statistics.median(r["times"]["exectrace run"])
        ring = statistics.median(r["times"]["exectrace run --ring"])
        n = r["events"].get("exectrace run --ring") or r["events"].get("exectrace run", 0)
        procs = r["processes"].get("exectrace run --ring") or r["processes"].get("exectrace run", 0)
        per = f"{(ring - fixed) / n * 1e9:+.0f} ns" if n else "-"
        per_proc = f"{(ring - fixed) / procs * 1e6:+.1f} us" if procs > 2 else "-"
        add(f"| {r['w'].name} | {pct(fixed, base):+.1f}% | {pct(ring, base):+.1f}% | {per} | {per_proc} |")
    add("")


LAUNCHER_FRESH = "exectrace run -- true"
LAUNCHER_REPLACING = "exectrace run -- true, replacing the trace of a pipe_loop run"
LAUNCHER_SHIM_LOOP = "pipe_loop, the shim alone with run's settings"
LAUNCHER_RUN_LOOP = "exectrace run -- pipe_loop"


def launcher_costs(launcher):
    """What the launcher adds, in seconds: to `true` (its fixed cost), when
    it replaces a full trace, and around a command writing 600,002 records."""
    med = {k: statistics.median(v) for k, v in launcher["times"].items()}
    summary = launcher["summary"]
    return {"fixed": med[LAUNCHER_FRESH] - med["true"],
            "replacing": med[LAUNCHER_REPLACING] - med[LAUNCHER_FRESH],
            "with_records": med[LAUNCHER_RUN_LOOP] - med[LAUNCHER_SHIM_LOOP],
            "tally_ms": statistics.median(summary["tally_ms"]), "scan_ms": statistics.median(summary["scan_ms"]),
            "runs": summary["runs"]}


def more_or_less(seconds):
    """"2.8 ms more" or "1.1 ms less"."""
    return f"{abs(seconds) * 1000:.1f} ms {'more' if seconds >= 0 else 'less'}"


def write_launcher(add, launcher):
    add("## Launcher\n")
    add("What `exectrace run` adds once, whatever the command: creating the trace file with its blocks reserved "
        "(replacing the previous one), starting the command under the shim, reaping and the summary (`true` as the "
        f"command, defaults otherwise); and around a command that writes {launcher['records']:,} records "
        "(`pipe_loop`, pinned to one CPU), against the shim preloaded with the same settings (8-frame stacks, a 64 MiB trace made "
        "beforehand, untimed):\n")
    add("| command | time (median [min-max]) |")
    add("|---|---|")
    for name, t in launcher["times"].items():
        med, lo, hi = spread(t)
        add(f"| `{name}` | {fmt_s(med)} [{fmt_s(lo)}-{fmt_s(hi)}] |")
    add("")
    c = launcher_costs(launcher)
    widths = [max(launcher["times"][k]) - min(launcher["times"][k]) for k in (LAUNCHER_RUN_LOOP, LAUNCHER_SHIM_LOOP)]
    within = (f", within the {max(widths) * 1000:.1f} ms between the fastest and slowest of their rounds"
              if abs(c["with_records"]) < max(widths) else "")
    add(f"`exectrace run` adds {c['fixed'] * 1000:.1f} ms to `true`. Replacing the trace of that `pipe_loop` run "
        f"costs {more_or_less(c['replacing'])} than replacing none: the kernel freeing that file's pages and "
        "blocks, which the launcher leaves until the command has started, so that it overlaps the command. Around "
        f"a command that wrote {launcher['records']:,} records, `exectrace run` took {more_or_less(c['with_records'])} "
        f"than the shim alone with the same settings{within}. Its summary comes from the count each run of the "
        "trace keeps, not from reading the records back. `bench/summary_cost` "
        f"reads that trace both ways, each in a fresh mapping as the launcher's is: the runs' counts "
        f"({c['runs']} runs, a page each) in {c['tally_ms']:.2f} ms, every record in {c['scan_ms']:.1f} ms.\n")


def image_floor_of(results, steps):
    """The floor of a spawning workload: what any trace of this design pays
    there, measured apart, per process image: loading one more library (the
    empty preload) and the steps it cannot skip (its identity from /proc,
    the trace mapped, the pipe ends it inherited).  Returns a function of a
    workload's results giving (floor %, preload us, steps us), or None."""
    def preload_cost_us(r):
        t = r["times"]
        if "empty preload" not in t or not r["processes"].get("exectrace"):
            return None
        return max(statistics.median(t["empty preload"]) - statistics.median(t["untraced"]), 0.0) \
            / r["processes"]["exectrace"] * 1e6

    # A workload measured with the empty preload uses its own figure; the
    # others the mean of those measured.
    measured = [c for c in map(preload_cost_us, results) if c is not None]
    preload_mean_us = statistics.mean(measured) if measured else None
    mandated_us = sum(us for (_, short), us in zip(IMAGE_STEPS, steps["median"])
                      if short in ("identity", "trace file", "inherited fds")) / 1000

    def floor(r):
        if r["w"].kind != "spawn":
            return None
        preload_us = preload_cost_us(r)
        if preload_us is None:
            preload_us = preload_mean_us
        if preload_us is None:
            return None
        procs = max(r["processes"].get("exectrace", 1), 1)
        base = statistics.median(r["times"]["untraced"])
        return procs * (preload_us + mandated_us) / 1e6 / base * 100, preload_us, mandated_us
    return floor


def target_rows(results, launcher, analyzer, rc, steps):
    """Each target of the round-2 table: what, the goal, the measurement,
    whether it is met, by how much it is missed, and what was measured of
    the cause."""
    rows = []
    med = {k: statistics.median(v) for k, v in rc["rounds"].items()}
    page_share = max(med["cold_record_ns"] - med["warm_record_ns"], 0.0)
    record = (f"one record measured apart costs {med['cold_record_ns']:.0f} ns: the clock {med['clock_ns']:.0f}, "
              f"writing it {med['warm_write_ns']:.0f}, its share of fresh pages {page_share:.0f}")
    image_floor = image_floor_of(results, steps)

    def verdict(floor, goal, unit):
        return (f"**out of reach**: the floor is {floor - goal:.1f}{unit} above the goal" if floor > goal
                else "within reach")

    for r in results:
        w, t = r["w"], r["times"]
        base = statistics.median(t["untraced"])
        shim = pct(statistics.median(t["exectrace"]), base)
        stacks = pct(statistics.median(t["exectrace+stacks"]), base)
        run = r["run_pct"]
        goal = TARGET_RUN_PCT[w.name]
        cause = (f"the shim alone {shim:+.1f}%, its stacks {stacks - shim:+.1f} points, the launcher and its "
                 f"64 MiB trace {run - stacks:+.1f} points")
        floor = "-"
        if w.kind == "spawn":
            procs = max(r["processes"].get("exectrace", 1), 1)
            start = steps["total"] / 1e9 * procs / base * 100
            found = image_floor(r)
            if found:
                f, preload_us, mandated_us = found
                floor = (f"+{f:.1f}%: {procs} images each loading one more library ({preload_us:.0f} us) and "
                         f"learning its identity, mapping the trace, listing its inherited pipe ends "
                         f"({mandated_us:.0f} us); {verdict(f, goal, ' points')}")
            cause += (f"; of the shim's, each traced image's start ({steps['total'] / 1000:.0f} us: "
                      + ", ".join(f"{short} {us / 1000:.0f}" for (_, short), us in zip(IMAGE_STEPS, steps["median"]))
                      + f") makes {start:.1f} points over {procs} processes")
            if "empty preload" in t:
                cause += f", and loading any library (the empty preload) {pct(statistics.median(t['empty preload']), base):+.1f}%"
        else:
            cause += f"; {r['per_event_ns']:.0f} ns a recorded call, of which {record}"
            events = r["events"].get("exectrace")
            if events:
                pipes = events / 3 if w.name.startswith("pipe") else 0
                f = (events * med["cold_record_ns"] + pipes * med["pipe_fstat_ns"]) / 1e9 / base * 100
                floor = (f"+{f:.1f}%: {events:,} records at {med['cold_record_ns']:.0f} ns"
                         + (f", and an `fstat` of {med['pipe_fstat_ns']:.0f} ns per pipe" if pipes else "")
                         + f"; {verdict(f, goal, ' points')}")
        rows.append((f"{w.name} under `exectrace run`", f"<= +{goal:.0f}%", f"{run:+.1f}%", run <= goal,
                     f"{run - goal:+.1f} points", floor, cause, (w, r)))
    loops = [r for r in results if r["w"].kind == "loop" and r["events"].get("exectrace")]
    if loops:
        worst = max(r["per_event_ns"] for r in loops)
        rest = ", ".join(f"{r['w'].name} {r['per_event_ns'] - med['cold_record_ns']:.0f} ns" for r in loops)
        rows.append(("a recorded call, the shim alone, stacks off", f"<= {TARGET_EVENT_NS:.0f} ns",
                     ", ".join(f"{r['w'].name} {r['per_event_ns']:.0f} ns" for r in loops),
                     worst <= TARGET_EVENT_NS, f"{worst - TARGET_EVENT_NS:+.0f} ns",
                     f"{med['cold_record_ns']:.0f} ns, the record alone; "
                     + verdict(med["cold_record_ns"], TARGET_EVENT_NS, " ns"),
                     f"{record}, the floor of any recorded call here; the hooks around the calls add {rest} (for "
                     "`pipe`, the `fstat` that learns the pipe's inode)", None))
        with_stacks = [r for r in loops if "per_event_stacks_ns" in r]
        if with_stacks:
            worst = max(r["per_event_stacks_ns"] for r in with_stacks)
            # A stacked record into fresh pages and the walk, each measured
            # apart over the stack these loops have.
            stacked_floor = med["cold_stacked_record_ns"] + med["walk_ns"]
            extra_bytes = med["stacked_record_bytes"] - med["record_bytes"]
            rows.append(("a recorded call with the default 8-frame stacks", f"<= {TARGET_EVENT_STACKS_NS:.0f} ns",
                         ", ".join(f"{r['w'].name} {r['per_event_stacks_ns']:.0f} ns" for r in with_stacks),
                         worst <= TARGET_EVENT_STACKS_NS, f"{worst - TARGET_EVENT_STACKS_NS:+.0f} ns",
                         f"{stacked_floor:.0f} ns: a record carrying {med['walk_frames']:.0f} frames "
                         f"({med['stacked_record_bytes']:.0f} bytes) {med['cold_stacked_record_ns']:.0f} ns, the "
                         f"walk to them {med['walk_ns']:.0f} ns; "
                         + verdict(stacked_floor, TARGET_EVENT_STACKS_NS, " ns")
                         + (f", leaving {TARGET_EVENT_STACKS_NS - stacked_floor:.0f} ns for the hook's own code"
                            if stacked_floor < TARGET_EVENT_STACKS_NS else ""),
                         "the stack adds " + ", ".join(
                             f"{r['per_event_stacks_ns'] - r['per_event_ns']:.0f} ns to {r['w'].name}"
                             for r in with_stacks)
                         + f" (walking the frames, and a record {extra_bytes:.0f} bytes longer); beyond the floor, "
                         + ", ".join(f"{r['w'].name} {r['per_event_stacks_ns'] - stacked_floor:.0f} ns"
                                     for r in with_stacks)
                         + " for the hook's own code around the call and the walk (its own frames skipped), and "
                         "for what a system call between records costs them (caches, fresh pages)", None))
    c = launcher_costs(launcher)
    rows.append(("`exectrace run`'s own cost", f"<= {TARGET_RUN_FIXED_MS:.0f} ms", f"{c['fixed'] * 1000:.1f} ms",
                 c["fixed"] * 1000 <= TARGET_RUN_FIXED_MS, f"{c['fixed'] * 1000 - TARGET_RUN_FIXED_MS:+.1f} ms", "-",
                 f"`run -- true` against `true`; replacing a full previous trace adds {c['replacing'] * 1000:.1f} ms, "
                 "the kernel freeing its pages, overlapped with the command", None))
    rows.append(("nothing of `exectrace run` proportional to the trace", "none",
                 f"its summary of {launcher['records']:,} records: {c['tally_ms']:.2f} ms", False,
                 f"{c['tally_ms']:.2f} ms", "-", f"the summary reads one page per run of the trace (runs of up to 64 KiB): "
                 f"{c['runs']} pages here, where reading the records back took {c['scan_ms']:.1f} ms", None))
    fixed = [a for a in analyzer if not a.get("ring")]
    big = {a["command"]: a for a in fixed if a["events"] == max(x["events"] for x in fixed)}
    if "report" in big:
        rate = big["report"]["rate"]
        rows.append((f"`exectrace report` on {big['report']['events']:,} events", f">= {TARGET_EVENTS_PER_S / 1e6:.0f} M "
                     "events/s", f"{rate / 1e6:.1f} M events/s", rate >= TARGET_EVENTS_PER_S,
                     f"{(rate - TARGET_EVENTS_PER_S) / 1e6:+.1f} M events/s", "-",
                     "`events` prints " + ", ".join(f"{a['rate'] / 1e6:.1f} M events/s ({name})"
                                                  for name, a in big.items() if name != "report"),
                     (None, big["report"])))
    flat = [(name, a["growth_rss"]) for name, a in big.items() if "growth_rss" in a]
    if flat:
        worst = max(g for _, g in flat)
        smallest = min(a["events"] for a in fixed)
        rows.append((f"memory from {smallest:,} to {max(a['events'] for a in fixed):,} events", f"peak RSS +{TARGET_MEMORY_GROWTH * 100:.0f}% at most",
                     ", ".join(f"`{name}` {g * 100:+.0f}%" for name, g in flat), worst <= TARGET_MEMORY_GROWTH,
                     f"{(worst - TARGET_MEMORY_GROWTH) * 100:+.0f} points", "-", "the readers let the mapped trace go "
                     "as they read", None))
    return rows


def write_targets(add, results, launcher, analyzer, rc, steps, misses):
    add("## Targets\n")
    add("Each target, whether this run met it, by how much it missed, the floor it hits, and what was measured "
        "of the cause: the overhead of a workload under `exectrace run` split into the shim alone, its stacks, and "
        "the launcher (each the difference between two columns of the first table); the shim's share split further "
        "with the steps of an image's start and the cost of one record, measured apart above. The *floor* is what "
        "any trace of this design pays on this machine, from those measurements: per process image, loading one "
        "more library (the empty preload) and the steps no image can skip (its identity from `/proc/self/stat`, "
        "the trace mapped, the pipe ends it inherited, listed from `/proc/self/fd`); per call, its record, and for "
        "a pipe the `fstat` that learns its inode. A goal below its floor is out of reach here.\n")
    add("| target | goal | measured | met | missed by | floor on this machine | what was measured of the cause |")
    add("|---|---|---|---|---|---|---|")
    to_profile = []
    for what, goal, got, met, by, floor, cause, prof in target_rows(results, launcher, analyzer, rc, steps):
        add(f"| {what} | {goal} | {got} | {'yes' if met else '**no**'} | {'-' if met else by} | {floor} | {cause} |")
        if not met and prof:
            to_profile.append((prof[0], what, prof[1]))
    add("")
    if misses:
        add("Other targets missed:\n")
        for w, what, _ in misses:
            add(f"- {w.name + ': ' if w else ''}{what}.")
        add("")
    return to_profile + [m for m in misses if m[2] is not None]


def write_results(args, started, results, skipped, launcher, analyzer, record_cost, steps, phases, scratch, t0,
                  recorder, timeline):
    lines = []
    add = lines.append
    add("# exectrace benchmarks\n")
    add(f"Written by `make bench` (`bench/run.py`) on {started:%Y-%m-%d %H:%M} UTC; every figure below comes from "
        "that run. Rerun it to measure your own machine.\n")
    if args.quick:
        add("**A quick run (`--quick`): smaller workloads, not the figures the targets are about.**\n")
    add("## Machine\n")
    for k, v in machine().items():
        add(f"- {k}: {v}")
    add("")
    add("## Method\n")
    columns = []
    for r in results:
        for v in r["variants"]:
            if v not in columns:
                columns.append(v)
    add(f"- Each workload runs in its variants, interleaved, {args.rounds} rounds: "
        + ", ".join(f"`{v}`" for v in columns) + ". A figure is the median wall time of its "
        "rounds, with the fastest and slowest round in brackets.")
    add("- `empty preload` (fork+exec and posix_spawn only) preloads a library that does nothing "
        "(`bench/empty_preload.c`): the floor any preload library pays for being loaded into every process image "
        "here, before it does anything.")
    add("- pipe+close and kill run pinned to one CPU in every variant (`sched_setaffinity` in the child before it "
        "execs): one process's calls, measured without migrations between CPUs. It is also strace's fastest "
        "setting: with tracer and tracee on one CPU, each stop is a switch between them rather than a wake-up "
        "sent to the other CPU, so the ratios to strace on these two loops lean in strace's favour.")
    add("- `exectrace` is the shim preloaded into the workload (`LD_PRELOAD=build/libexectrace.so "
        "EXECTRACE_FILE=FILE`) with `EXECTRACE_STACK_DEPTH=0` (no call sites), writing to a 1 GiB trace that "
        "`exectrace run` made just before, untimed; `exectrace+stacks` the same with the default depth of 8 "
        "frames. That is what a traced program pays. `exectrace run` is what a user pays: `exectrace run -q -o FILE "
        "-- COMMAND` with its defaults (8-frame stacks, a 64 MiB trace, the summary line), the launcher "
        "included, replacing the previous run's trace as a user's next run would; what it adds once per run is "
        "also under Launcher.")
    add(f"- `strace` variants: `strace -f -qq -o /dev/null -e trace=CALLS` (with `--seccomp-bpf` for the last), "
        f"CALLS being the calls exectrace records: `{STRACE_CALLS}`.")
    add("- Overhead is the median over the untraced median, minus one. *Per event* is (traced median - untraced "
        "median) / records in the trace. *vs strace* is strace's overhead divided by exectrace's (stacks off).")
    for s in skipped:
        add(f"- Skipped: {s}.")
    add("")
    add("## Workloads\n")
    header = ["workload"] + columns
    add("| " + " | ".join(header) + " |")
    add("|" + "---|" * len(header))
    for r in results:
        base = statistics.median(r["times"]["untraced"])
        cells = [r["w"].name]
        for v in columns:
            if v not in r["times"]:
                cells.append("-")
                continue
            med, lo, hi = spread(r["times"][v])
            cell = f"{fmt_s(med)} [{fmt_s(lo)}-{fmt_s(hi)}]"
            if v != "untraced":
                cell += f" **{pct(med, base):+.1f}%**"
            cells.append(cell)
        add("| " + " | ".join(cells) + " |")
    add("")
    add("| workload | what | records (exectrace) | per event, no stacks | per event, stacks | "
        "target under `exectrace run` | met | vs `strace -f` | vs `--seccomp-bpf` |")
    add("|---|---|---|---|---|---|---|---|---|")
    misses = []
    image_floor = image_floor_of(results, steps)
    for r in results:
        w = r["w"]
        base = statistics.median(r["times"]["untraced"])
        et = statistics.median(r["times"]["exectrace"])
        n = r["events"].get("exectrace", 0)
        per = (et - base) / n * 1e9 if n else float("nan")
        r["per_event_ns"] = per
        if "exectrace+stacks" in r["times"] and n:
            ets = statistics.median(r["times"]["exectrace+stacks"])
            r["per_event_stacks_ns"] = (ets - base) / r["events"].get("exectrace+stacks", n) * 1e9
            per_s = f"{r['per_event_stacks_ns']:.0f} ns"
        else:
            per_s = "-"
        target = TARGET_RUN_PCT[w.name]
        over = pct(statistics.median(r["times"]["exectrace run"]), base)
        r["run_pct"] = over
        met = over <= target
        ratios = []
        for v in ("strace -f", "strace -f --seccomp-bpf"):
            if v in r["times"]:
                so = statistics.median(r["times"][v]) - base
                eo = et - base
                ratio = so / eo if eo > 0 else float("inf")
                ratios.append("no measurable exectrace overhead" if eo <= 0 else f"{ratio:.1f}x")
                if v == "strace -f" and eo > 0 and ratio < TARGET_VS_STRACE:
                    what = f"overhead only {ratio:.1f}x below `strace -f`'s (target {TARGET_VS_STRACE:.0f}x)"
                    found = image_floor(r)
                    if found and found[0] > 0:
                        best = pct(statistics.median(r["times"][v]), base) / found[0]
                        if best < TARGET_VS_STRACE:
                            what += (f"; out of reach: at its floor (+{found[0]:.1f}%, see Targets) it would be "
                                     f"{best:.1f}x")
                    misses.append((w, what, r))
            else:
                ratios.append("-")
        add(f"| {w.name} | {w.what} | {n} | {per:.0f} ns | {per_s} | {target:.0f}% | "
            f"{'yes' if met else f'no ({over:+.1f}%)'} | {ratios[0]} | {ratios[1]} |")
    if any(r["dropped"] for r in results):
        add("\nSome traced runs dropped records (the file was full): "
            + ", ".join(f"{r['w'].name}: {r['dropped']}" for r in results if r["dropped"]))
    add("")
    add("Per event is the cost the program pays per recorded call; for the spawn-heavy workloads most of the "
        "difference is the work done once per process image (mapping the trace, the start record, the loaded "
        "objects), spread over few records.\n")
    write_cost_breakdown(add, results, record_cost, steps, misses)
    write_recorder(add, recorder, misses)

    write_launcher(add, launcher)
    add("## Analyzer\n")
    add("`bench/gen_trace` writes a synthetic trace through the shim's own writer: a root process forking its "
        "children (1,000 for the smaller trace, 10,000 for the larger: 1,000 events each), at most 100 alive at once, "
        "200,000 events a second in all, each recording its start and loaded objects, then pipe, close, "
        "dup, close, close, kill(self, 0) (pipe, kill and the root's fork and wait with 8-frame stacks), and its "
        "exit. The larger run is also written into a ring (`run --ring`), which it goes round many times: the "
        "commands then read what the ring kept. `exectrace report FILE` reads it; peak RSS is `ru_maxrss` (it counts the pages of the mapped "
        "trace that were read), peak anonymous memory is the highest `RssAnon` seen in `/proc` every 2 ms (the "
        "analyzer's own memory: the model, the stream's buffers).\n")
    add("`exectrace events` and `events --json` (output to /dev/null) read the same traces: every record decoded "
        "and printed.\n")
    add("| command | events | processes | trace file | time (median [min-max]) | events/s | peak RSS | "
        "peak anonymous |")
    add("|---|---|---|---|---|---|---|---|")
    for a in analyzer:
        t = spread([x[0] for x in a["runs"]])
        rss = statistics.median(x[1] for x in a["runs"])
        anon = statistics.median(x[2] for x in a["runs"])
        a["rate"] = a["events"] / t[0]
        a["rss"], a["anon"] = rss, anon
        if a.get("ring"):
            # Most of what was written went round: the time is that of
            # reading the ring, whatever was written.
            add(f"| `{a['command']}`, a {a['ring'] >> 20} MiB ring gone round | {a['events']:,} written | "
                f"{a['procs']:,} | {a['size'] / 2**20:.0f} MiB | {fmt_s(t[0])} [{fmt_s(t[1])}-{fmt_s(t[2])}] | - | "
                f"{rss / 1024:.0f} MiB | {anon / 1024:.1f} MiB |")
            continue
        add(f"| `{a['command']}` | {a['events']:,} | {a['procs']:,} | {a['size'] / 2**20:.0f} MiB | {fmt_s(t[0])} "
            f"[{fmt_s(t[1])}-{fmt_s(t[2])}] | {a['rate'] / 1e6:.1f} M | {rss / 1024:.0f} MiB | "
            f"{anon / 1024:.1f} MiB |")
    add("")
    for command in ANALYZER_COMMANDS:
        name = " ".join(command)
        runs = [a for a in analyzer if a["command"] == name and not a.get("ring")]
        small, big = runs[0], runs[-1]
        growth_rss = big["rss"] / small["rss"] - 1
        growth_anon = big["anon"] / small["anon"] - 1 if small["anon"] else float("inf")
        add(f"`{name}`: from {small['events']:,} to {big['events']:,} events, peak RSS grows "
            f"{growth_rss * 100:+.0f}% and peak anonymous memory {growth_anon * 100:+.0f}%.")
        big["growth_rss"] = growth_rss

    add("")
    add("The anonymous part of the report's memory is the process model, which keeps what it knows of every "
        "process; what the trace's length costs is the mapped file, which the readers let go of as they read.")
    add("")

    write_timeline(add, timeline, misses)

    misses = write_targets(add, results, launcher, analyzer, record_cost, steps, misses)
    profiling = time.perf_counter()
    if misses and not args.no_profile:
        add("## Profiles of the misses\n")
        add("`perf record -g` of the workload under `exectrace run` (or of the analyzer), launcher and children "
            "included, `perf report --no-children --sort dso,symbol`, entries above 1.5%:\n")
        add("The workloads are profiled at the smaller sizes of `--quick` (the same work, fewer times over), "
            "sampled at 4 kHz.\n")
        small = {w.name: w for w in workloads(os.path.abspath(args.build), os.path.join(scratch, "profile"), True)}
        seen = set()
        for w, what, r in misses:
            if r is None:
                continue  # measured apart above, nothing to profile
            key = w.name if w else f"analyzer ({r['command']})"
            if key in seen:
                continue
            seen.add(key)
            build = os.path.abspath(args.build)
            if w:
                pw = small.get(w.name, w)
                argv, env = r["make"]["exectrace run"](pw.argv)
                if pw.prepare:
                    subprocess.run(pw.prepare, stdout=subprocess.DEVNULL, check=True)
                new_trace(build, os.path.join(scratch, "bench.trace"))
            else:
                trace = os.path.join(scratch, "profile.trace")
                subprocess.run([os.path.join(build, "bench", "gen_trace"), trace, str(r["events"]), str(r["procs"])],
                               stdout=subprocess.DEVNULL, check=True)
                argv = [os.path.join(build, "exectrace")] + r["command"].split() + [trace]
                env = {}
            log(f"profiling {key}")
            prof = profile(argv, env, scratch)
            add(f"### {key}\n")
            add(f"`{' '.join(f'{k}={v}' for k, v in env.items())}{' ' if env else ''}{shown(argv)}`\n")
            add("```\n" + (prof or "perf cannot sample here (`perf record -e cpu-clock true` fails): no profile") + "\n```\n")
        phases["profiles of the misses"] = time.perf_counter() - profiling
    add("## Commands\n")
    for r in results:
        pin = f"pinned to CPU {pinned_cpu()}: " if r["w"].pin else ""
        add(f"- {r['w'].name}: {pin}`{shown(r['w'].argv)}`")
    add("")
    add("## Where `make bench`'s time goes\n")
    add("| part | seconds |")
    add("|---|---|")
    for name, took in phases.items():
        add(f"| {name} | {took:.0f} |")
    add(f"| all of `bench/run.py` | {time.perf_counter() - t0:.0f} |")
    add("")
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    log(f"wrote {args.out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "RESULTS.md"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="small workloads, to check the suite itself")
    ap.add_argument("--no-profile", action="store_true")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    # Under `make -jN bench` these hold make's jobserver, whose fds the
    # workloads do not get: the make -j2 workload would fall back to -j1.
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
        os.environ.pop(name, None)
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.perf_counter()
    phases = {}

    def phase(name, fn, *a):
        start = time.perf_counter()
        out = fn(*a)
        phases[name] = time.perf_counter() - start
        return out

    with tempfile.TemporaryDirectory(prefix="exectrace-bench-") as scratch:
        results, skipped = measure_workloads(args, scratch, phases)
        launcher = phase("launcher", measure_launcher, args, scratch)
        record_cost = phase("one record taken apart", measure_record_cost, args, scratch)
        steps = phase("a new image's start, step by step", measure_image_steps, args, scratch)
        analyzer = phase("analyzer (writing the synthetic traces, reading them)", measure_analyzer, args, scratch)
        recorder = phase("the ptrace recorder", measure_recorder, args, scratch, results)
        timeline = phase("the HTML timeline of 10,000 processes", measure_timeline, args, scratch)
        write_results(args, started, results, skipped, launcher, analyzer, record_cost, steps, phases, scratch, t0,
                      recorder, timeline)
    log(f"done in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
