#!/usr/bin/env python3
"""Real test suites under exectrace, judged against their triage.

Runs each suite that docs/real-suites.md triages under `exectrace run`,
reads `exectrace report --json`, and holds every error and warning against
the triage tables in that file:

  * a finding a row calls false fails the check (a false alarm came back);
  * a finding no row covers fails it too (it must be triaged first);
  * a finding a row calls true is expected; a true row with no finding this
    time is only mentioned (those findings depend on timing).

A row matches a finding of its suite when the severity and kind are the
same and the row's match text (between backticks, `-` for any) occurs in
the finding's message.  Info findings are counted, not judged.

  check.py --exectrace build/exectrace --build build [--suite NAME]...

A suite whose program is missing (no Python with CPython's test package,
no Go toolchain) is skipped with the reason, and the check still fails if
every suite was skipped.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
TRIAGE = os.path.join(SOURCE, "docs", "real-suites.md")

# The transparency comparison's: the same Python, the same clean environment.
sys.path.insert(0, os.path.join(SOURCE, "tests", "transparency"))
from compare import clean_environment, find_python  # noqa: E402


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------- the triage


def read_triage(path):
    """Rows of every table whose header starts `| suite | finding |`:
    (suite, severity, kind, match or None, verdict, line number)."""
    rows = []
    in_table = False
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else None
            if not cells:
                in_table = False
                continue
            if cells[:2] == ["suite", "finding"]:
                in_table = True
                continue
            if not in_table or set(cells[0]) <= set("-: "):
                continue
            if len(cells) < 4:
                raise SystemExit(f"{path}:{n}: a triage row has suite, finding, match, verdict and why")
            severity, _, kind = cells[1].partition(" ")
            m = re.fullmatch(r"`(.*)`", cells[2])
            match = None if cells[2] == "-" else (m.group(1) if m else None)
            if cells[2] != "-" and match is None:
                raise SystemExit(f"{path}:{n}: the match is `text` between backticks, or -")
            verdict = cells[3].split()[0].lower() if cells[3] else ""
            if severity not in ("error", "warning") or not kind or verdict not in ("true", "false"):
                raise SystemExit(f"{path}:{n}: finding is `error KIND` or `warning KIND`, verdict true or false")
            rows.append((cells[0], severity, kind, match, verdict, n))
    return rows


def judge(suite, findings, rows):
    """Problems with this suite's findings, and the true rows seen."""
    problems, seen = [], set()
    mine = [r for r in rows if r[0] == suite]
    for f in findings:
        if f["severity"] not in ("error", "warning"):
            continue
        matches = [r for r in mine if r[1] == f["severity"] and r[2] == f["kind"]
                   and (r[3] is None or r[3] in f["message"])]
        false = [r for r in matches if r[4] == "false"]
        if false:
            problems.append(f"docs/real-suites.md:{false[0][5]} calls this false: {f['severity']} {f['kind']}: "
                            f"{f['message']}")
        elif not matches:
            problems.append(f"not triaged in docs/real-suites.md: {f['severity']} {f['kind']}: {f['message']}")
        else:
            seen.update(r[5] for r in matches)
    return problems, seen


# ---------------------------------------------------------------- the suites


def python_suite(module):
    def prepare(args, work):
        py = find_python(None)
        if not py:
            return None, ("no Python with CPython's test package (on Debian: apt-get install "
                          "libpython3.11-testsuite; ./make.sh installs it)")
        return ([py, "-m", "test", module], work), None
    return prepare


def go_os_exec(args, work):
    """Go's own os/exec tests: Go 1.23 when Debian's golang-1.23-go is
    there (CommandContext, WaitDelay, pidfds), else the default Go."""
    candidates = [("/usr/lib/go-1.23/bin/go", "go1.23-cache"), (shutil.which("go") or "", "go-cache")]
    for go, cache in candidates:
        if not go or not os.access(go, os.X_OK):
            continue
        env = clean_environment()
        env.update(GOCACHE=os.path.join(os.path.abspath(args.build), cache), GO111MODULE="off", GOFLAGS="",
                   CGO_ENABLED="0", GOTOOLCHAIN="local")
        goroot = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, env=env).stdout.strip()
        src = os.path.join(goroot, "src", "os", "exec")
        if not os.path.isdir(src):
            continue
        binary = os.path.join(os.path.abspath(args.build), "real-suites", "os-exec.test")
        os.makedirs(os.path.dirname(binary), exist_ok=True)
        res = subprocess.run([go, "test", "-c", "-o", binary, "os/exec"], capture_output=True, text=True, env=env)
        if res.returncode != 0:
            return None, f"{go} test -c os/exec failed:\n{res.stdout}{res.stderr}"
        # TestExtraFiles builds a helper from GOROOT with the go tool, which
        # refuses it outside Go's own test runner; it spawns nothing before.
        # (-test.skip is Go 1.20's: a list of the others works with 1.19.)
        listed = subprocess.run([binary, "-test.list", "."], capture_output=True, text=True, cwd=src, env=env)
        names = [n for n in listed.stdout.split() if n.startswith("Test") and n != "TestExtraFiles"]
        if listed.returncode != 0 or not names:
            return None, f"{binary} -test.list failed:\n{listed.stdout}{listed.stderr}"
        # The tests read their own sources: they run in the package's directory.
        return ([binary, "-test.run", "^(" + "|".join(names) + ")$"], src), None
    return None, "no Go toolchain (./make.sh installs Debian's golang-go, and golang-1.23-go from backports)"


SUITES = {
    "test_subprocess": python_suite("test_subprocess"),
    "test_signal": python_suite("test_signal"),
    "go os/exec": go_os_exec,
}


def run_suite(args, name, prepare, rows):
    work = tempfile.mkdtemp(prefix="exectrace-real-suite.")
    try:
        how, skip = prepare(args, work)
        if skip:
            log(f"real-suites: {name}: skipped: {skip}")
            return None
        argv, cwd = how
        trace = os.path.join(work, "suite.trace")
        env = clean_environment()
        env["PWD"] = cwd  # as a shell would say: Go's tests compare it with the real one
        run = subprocess.run([os.path.abspath(args.exectrace), "run", "-q", "--size", "256M", "-o", trace, "--"]
                             + argv, cwd=cwd, capture_output=True, text=True, env=env, timeout=1800)
        if run.returncode != 0:
            return [f"{' '.join(argv)} failed under exectrace (exit {run.returncode}):\n"
                    f"{run.stdout[-3000:]}{run.stderr[-3000:]}"]
        rep = subprocess.run([os.path.abspath(args.exectrace), "report", "--json", "--fail-on", "never", trace],
                             capture_output=True, text=True)
        if rep.returncode != 0:
            return [f"exectrace report --json failed (exit {rep.returncode}): {rep.stderr}"]
        doc = json.loads(rep.stdout)
        findings = doc["findings"]
        problems, seen = judge(name, findings, rows)
        counts = {}
        for f in findings:
            counts[f["severity"]] = counts.get(f["severity"], 0) + 1
        log(f"real-suites: {name}: {len(doc['processes'])} processes, "
            f"{counts.get('error', 0)} errors, {counts.get('warning', 0)} warnings, {counts.get('info', 0)} info; "
            f"{len(problems)} not as triaged")
        for r in rows:
            if r[0] == name and r[4] == "true" and r[5] not in seen:
                log(f"real-suites: {name}: docs/real-suites.md:{r[5]} ({r[1]} {r[2]}) did not come this time")
        return problems
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exectrace", required=True, help="the exectrace command to judge")
    ap.add_argument("--build", required=True, help="the build directory (caches, the Go test binary)")
    ap.add_argument("--suite", action="append", choices=sorted(SUITES), help="only these suites")
    args = ap.parse_args()
    rows = read_triage(TRIAGE)
    problems, ran = [], 0
    for name in args.suite or list(SUITES):
        got = run_suite(args, name, SUITES[name], rows)
        if got is None:
            continue
        ran += 1
        problems += [f"{name}: {p}" for p in got]
    for p in problems:
        log(f"real-suites: {p}")
    if ran == 0:
        log("real-suites: no suite could run")
        return 1
    if problems:
        log(f"real-suites: {len(problems)} finding(s) not as docs/real-suites.md triages them")
        return 1
    log(f"real-suites: {ran} suite(s), every error and warning as triaged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
