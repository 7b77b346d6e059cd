#!/usr/bin/python3
"""Opens an `exectrace timeline` page in headless Chromium and uses it as a
person would, through the DevTools protocol: the page must load with no
script error and no outside fetch (its Content-Security-Policy is shown to
block one), draw the lanes, arrows and findings it was asked for, zoom to a
finding when it is clicked, zoom and reset from the keyboard, step from
event to event, and light every holder of a pipe under the pointer.

    timeline_check.py PAGE.html [--lanes N] [--findings N] [--min-arrows N]
                      [--screenshot OUT.png] [--measure]

Exit status 0 when all is well, 1 with one line per failure, 77 when
Chromium or python3-websocket is missing (./make.sh installs both).
--measure prints the load and zoom figures `make bench` reports.
"""
import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

try:
    import websocket
except ImportError:
    print("timeline_check: python3-websocket is not installed", file=sys.stderr)
    sys.exit(77)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    """One tab, driven by DevTools protocol commands."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def js(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"script failed: {expression[:80]}: {r['exceptionDetails'].get('text')}")
        return r["result"].get("value")

    def frames(self, n=2):
        """Lets the page draw: n animation frames."""
        self.js("new Promise(r => { let n = %d; const f = () => --n ? requestAnimationFrame(f) : r(); "
                "requestAnimationFrame(f); })" % n)

    def click(self, selector):
        box = self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null; "
                      "e.scrollIntoView({block: 'center'}); const b = e.getBoundingClientRect(); "
                      "return [b.left + b.width / 2, b.top + Math.min(b.height / 2, 8)]; })()")
        if box is None:
            raise RuntimeError(f"nothing to click: {selector}")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)
        self.frames()

    def hover(self, selector):
        box = self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null; "
                      "const b = e.getBoundingClientRect(); return [b.left + b.width / 2, b.top + b.height / 2]; })()")
        if box is None:
            raise RuntimeError(f"nothing to hover: {selector}")
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=box[0], y=box[1])
        self.frames()

    def key(self, key):
        for kind in ("keyDown", "keyUp"):
            params = {"type": kind, "key": key}
            if len(key) == 1:
                params["text"] = key
            elif key.startswith("Arrow"):
                params["windowsVirtualKeyCode"] = {"ArrowLeft": 37, "ArrowRight": 39}[key]
            self.call("Input.dispatchKeyEvent", **params)
        self.frames()


def launch(profile):
    args = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--hide-scrollbars", "--no-first-run", "--remote-debugging-port=0", f"--user-data-dir={profile}",
            "--window-size=1800,1000", "about:blank"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if os.path.exists(port_file):
            with open(port_file) as f:
                lines = f.read().split()
            if lines:
                return proc, int(lines[0])
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("chromium did not start its DevTools server")


def page_target(port):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as r:
            for t in json.load(r):
                if t.get("type") == "page":
                    return t["webSocketDebuggerUrl"]
        time.sleep(0.05)
    raise RuntimeError("no page in chromium")


# Recorded in the page before its own script runs: every blocked load.
WATCH_CSP = ("window.__violations = []; document.addEventListener('securitypolicyviolation', "
             "e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));")


def problems_in(events):
    """Script errors, console errors and blocked loads the protocol reported."""
    out = []
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            out.append("uncaught: " + (d.get("exception", {}).get("description") or d.get("text", "")))
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console." + p["type"] + ": " + " ".join(str(a.get("value")) for a in p.get("args", [])))
        elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
            out.append("log: " + p["entry"].get("text", ""))
    return out


def ready(page):
    """Has the page said it is ready?  False while it is still loading."""
    try:
        return page.js("document.documentElement.getAttribute('data-ready') === '1'")
    except RuntimeError:
        return False


def check(page, url, opts, failures):
    def expect(ok, what):
        if not ok:
            failures.append(what)

    page.call("Page.enable")
    page.call("Runtime.enable")
    page.call("Log.enable")
    page.call("Page.addScriptToEvaluateOnNewDocument", source=WATCH_CSP)
    started = time.monotonic()
    page.call("Page.navigate", url=url)
    deadline = started + opts.timeout
    while not ready(page):
        if time.monotonic() > deadline:
            failures.append(f"the page did not say it was ready within {opts.timeout} s")
            failures.extend(problems_in(page.events))
            return None
        time.sleep(0.02)
    page.frames()
    load_ms = (time.monotonic() - started) * 1000

    expect(page.js("window.__violations.length") == 0,
           f"the page tried to load from outside: {page.js('window.__violations')}")
    # The policy is really in force: an outside load is refused.
    page.js("new Promise(r => { const i = new Image(); i.onerror = i.onload = () => r(); "
            "i.src = 'http://127.0.0.1:9/x.png'; setTimeout(r, 2000); })")
    page.frames()
    blocked = page.js("window.__violations")
    expect(any("img-src" in v for v in blocked), f"an outside image load was not blocked by the page's policy: {blocked}")
    page.js("window.__violations = []")
    page.events = [e for e in page.events
                   if not (e["method"] == "Log.entryAdded" and "127.0.0.1:9" in e["params"]["entry"].get("text", ""))]

    counts = page.js("({lanes: document.querySelectorAll('#plot .zc .lane').length, "
                     "labels: document.querySelectorAll('#labels .label').length, "
                     "arrows: document.querySelectorAll('#plot .zc .flow').length, "
                     "findings: document.querySelectorAll('#findings .finding').length, "
                     "declared: +document.getElementById('plot').getAttribute('data-lanes')})")
    if opts.lanes is not None:
        expect(counts["lanes"] == opts.lanes, f"{counts['lanes']} lanes drawn, expected {opts.lanes}")
    expect(counts["labels"] == counts["lanes"] == counts["declared"], f"lanes, labels and data-lanes differ: {counts}")
    if opts.findings is not None:
        expect(counts["findings"] == opts.findings, f"{counts['findings']} findings listed, expected {opts.findings}")
    expect(counts["arrows"] >= opts.min_arrows, f"{counts['arrows']} arrows drawn, expected at least {opts.min_arrows}")

    # Every arrow leaves no later than it lands.
    backwards = page.js("Array.from(document.querySelectorAll('#plot .zc .flow')).filter(p => { "
                        "const xs = p.getAttribute('d').match(/[ML]([0-9.]+) /g).map(s => parseFloat(s.slice(1))); "
                        "return xs[xs.length - 1] < xs[0]; }).length")
    expect(backwards == 0, f"{backwards} arrows point backwards in time")

    zoom = lambda: float(page.js("document.documentElement.getAttribute('data-zoom')"))
    expect(abs(zoom() - 1) < 1e-9, "the page does not start with the whole trace")

    # Keys: W zooms in around the pointer, 0 shows the whole trace again.
    page.call("Input.dispatchMouseEvent", type="mouseMoved", x=900, y=300)
    page.key("w")
    page.key("w")
    expect(zoom() > 1.5, f"W did not zoom in (zoom {zoom()})")
    page.key("0")
    expect(abs(zoom() - 1) < 1e-9, f"0 did not show the whole trace (zoom {zoom()})")

    # Stepping: the caption tells the first event, the state table fills.
    if page.js("JSON.parse(document.getElementById('data').textContent).steps.length") > 0:
        page.key("ArrowRight")
        cap = page.js("document.getElementById('caption').textContent")
        expect(cap.startswith("+") and "(1 of" in cap, f"stepping did not caption the first event: {cap!r}")
        rows = page.js("document.querySelectorAll('#state-table tbody tr').length")
        expect(rows >= 2, f"the state table at the first event has {rows} rows")

    # The pointer over a lane says what that process was doing then.
    if counts["lanes"] > 1:
        page.js("document.getElementById('scroll').scrollTop = 0")
        page.frames()
        page.hover("#l1 rect.prog")
        page.frames()
        tip = page.js("(() => { const t = document.getElementById('tip'); return [getComputedStyle(t).display, "
                      "t.textContent, JSON.parse(document.getElementById('data').textContent).lanes[1][5]]; })()")
        expect(tip[0] == "block" and tip[1].startswith(tip[2]) and "at +" in tip[1],
               f"hovering lane 1 showed {tip[1]!r} ({tip[0]})")
        page.call("Input.dispatchMouseEvent", type="mouseMoved", x=5, y=5)
        page.frames()

    # A pipe under the pointer lights every holder of that pipe.
    pipe = page.js("(() => { const h = document.querySelector('.hold'); return h && h.getAttribute('data-pipe'); })()")
    if pipe:
        page.js("document.getElementById('scroll').scrollTop = 0")
        page.js("(() => { const h = document.querySelector('.hold'); const s = document.getElementById('scroll'); "
                "s.scrollTop = Math.max(0, h.getBBox().y - 100); })()")
        page.frames()
        widest = page.js("(() => { let best = null, w = -1; document.querySelectorAll('.hold').forEach(h => { "
                         "const b = h.getBoundingClientRect(); if (b.width > w && b.top > 0 && b.bottom < innerHeight) "
                         "{ w = b.width; best = h; } }); if (!best) return null; best.id = 'hover-me'; "
                         "return best.getAttribute('data-pipe'); })()")
        if widest:
            page.hover("#hover-me")
            lit = page.js("document.querySelectorAll('.hold.lit').length")
            holders = page.js(f"document.querySelectorAll('.hold[data-pipe=\"{widest}\"]').length")
            expect(lit == holders and lit > 0, f"hovering pipe {widest} lit {lit} of its {holders} holdings")
            page.call("Input.dispatchMouseEvent", type="mouseMoved", x=5, y=5)
            page.frames()

    # Clicking a finding: zoom to its interval, outline its processes.
    if counts["findings"]:
        page.click("#f0")
        expect(page.js("document.documentElement.getAttribute('data-focus')") == "0",
               "clicking the first finding did not focus it")
        want = page.js("(() => { const D = JSON.parse(document.getElementById('data').textContent); "
                       "const f = D.findings[0], span = D.span; "
                       "const width = Math.max(f[1] - f[0], span / 400, 2000) * 1.6; "
                       "const kmax = Math.max(1, Math.min(1e6, span / 1000)); "
                       "return {k: Math.min(Math.max(span / width, 1), kmax), lanes: new Set(f[3]).size, "
                       "mid: (f[0] + f[1]) / 2 * D.plotW / span, plotW: D.plotW}; })()")
        view = page.js("document.documentElement.getAttribute('data-view')")
        subject = page.js("(() => { const D = JSON.parse(document.getElementById('data').textContent); "
                          "const f = D.findings[0]; return f[2] >= 0 ? f[2] : f[3][0]; })()")
        drawn = page.js(f"(() => {{ const g = document.getElementById('l{subject}').parentNode; "
                        "return g.getAttribute('transform'); })()")
        m = re.match(r"matrix\(([-0-9.e]+) 0 0 1 ([-0-9.e]+) 0\)", drawn or "")
        expect(m is not None and drawn == f"matrix({view.split()[0]} 0 0 1 {view.split()[1]} 0)",
               f"the subject's lanes are drawn at {drawn}, the view is {view}")
        if m:
            k, tx = float(m.group(1)), float(m.group(2))
            expect(abs(k - want["k"]) <= 1e-6 * want["k"], f"finding 0: zoom {k}, expected {want['k']}")
            mid = k * want["mid"] + tx
            expect(0 <= mid <= want["plotW"], f"finding 0's interval is off screen (at x {mid})")
        hit = page.js("document.querySelectorAll('#plot .zc .lane.hit').length")
        expect(hit == want["lanes"], f"finding 0 outlines {hit} lanes, it involves {want['lanes']}")
        marks = page.js("[document.querySelectorAll('.mark.on').length, document.querySelectorAll('.zc').length]")
        expect(marks[0] == marks[1] and marks[0] > 0, f"finding 0's evidence is shown in {marks[0]} of {marks[1]} chunks")
        expect(page.js("document.getElementById('plot').classList.contains('focus')"), "the rest is not dimmed")
        if opts.screenshot:
            page.frames(3)
            shot = page.call("Page.captureScreenshot", format="png")
            with open(opts.screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        page.key("Escape")
        expect(page.js("document.documentElement.getAttribute('data-focus')") is None, "Esc did not clear the focus")
    elif opts.screenshot:
        shot = page.call("Page.captureScreenshot", format="png")
        with open(opts.screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    zoom_ms = None
    if opts.measure:
        # Twenty zoom steps around the middle, each to a drawn frame.
        page.call("Input.dispatchMouseEvent", type="mouseMoved", x=900, y=400)
        zoom_ms = page.js("(async () => { const t0 = performance.now(); for (let i = 0; i < 20; i++) { "
                          "window.dispatchEvent(new KeyboardEvent('keydown', {key: i < 10 ? 'w' : 's'})); "
                          "await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); } "
                          "return (performance.now() - t0) / 20; })()")

    failures.extend(problems_in(page.events))
    return load_ms, zoom_ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("--lanes", type=int)
    ap.add_argument("--findings", type=int)
    ap.add_argument("--min-arrows", type=int, default=0)
    ap.add_argument("--screenshot")
    ap.add_argument("--measure", action="store_true")
    ap.add_argument("--timeout", type=float, default=120)
    opts = ap.parse_args()
    if not CHROMIUM:
        print("timeline_check: chromium is not installed", file=sys.stderr)
        return 77
    url = "file://" + os.path.abspath(opts.page)
    failures = []
    profile = tempfile.mkdtemp(prefix="exectrace-chromium-")
    proc = None
    try:
        proc, port = launch(profile)
        ws = websocket.create_connection(page_target(port), suppress_origin=True, timeout=opts.timeout)
        result = check(Page(ws), url, opts, failures)
        ws.close()
    except Exception as e:  # a protocol failure is a test failure, said in one line
        failures.append(f"{type(e).__name__}: {e}")
        result = None
    finally:
        if proc:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    for f in failures:
        print(f"timeline_check: {opts.page}: {f}", file=sys.stderr)
    if opts.measure and result:
        print(json.dumps({"load_ms": round(result[0], 1), "zoom_frame_ms": round(result[1], 2)}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
