/* exectrace timeline: zoom, pan, the time cursor and its state table,
 * stepping from event to event, a finding's focus, a pipe's holders.
 * The picture is already drawn; this only moves it.  Zoom transforms one
 * group; what must keep its shape (text, arrowheads) is moved lane by lane,
 * only where it can be seen. */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('data').textContent);
  var plot = document.getElementById('plot');
  /* The zoomed groups: [element, first lane, last lane]. */
  var chunks = Array.prototype.map.call(document.querySelectorAll('.zc'), function (g) {
    return [g, +g.getAttribute('data-a'), +g.getAttribute('data-b'), 0,
            document.getElementById('h' + g.getAttribute('data-c'))];
  });
  var FAR = 12; /* arrows reach this many lanes beyond their group */
  var scroller = document.getElementById('scroll');
  var axis = document.getElementById('axis');
  var ticks = document.getElementById('ticks');
  var axisCursor = document.getElementById('axis-cursor');
  var cursorLine = document.getElementById('cursor');
  var caption = document.getElementById('caption');
  var stateTime = document.getElementById('state-time');
  var stateBody = document.querySelector('#state-table tbody');
  var SVGNS = 'http://www.w3.org/2000/svg';
  var W = D.plotW, LW = D.labelW, SPAN = D.span;
  var lanes = D.lanes, nlanes = lanes.length;
  var KMAX = Math.max(1, Math.min(1e6, SPAN / 1000));

  var k = 1, tx = 0, stamp = 1;
  var laneStamp = new Uint32Array(nlanes);
  var laneItems = new Array(nlanes);
  var cursorNs = -1, stepAt = -1, focused = -1, frame = 0;

  function clamp(v, lo, hi) { return v < lo ? lo : v > hi ? hi : v; }
  function xOf(ns) { return ns * W / SPAN; }
  function nsOfScreen(px) { return clamp((px - tx) / k, 0, W) * SPAN / W; }

  /* Seconds from the trace's start, to the microsecond as `report` says
   * them, or with as many decimals as a tick step needs. */
  function seconds(ns, step) {
    var digits = step ? clamp(Math.ceil(-Math.log10(step / 1e9) - 1e-9), 0, 9) : 6;
    return '+' + (ns / 1e9).toFixed(digits) + ' s';
  }

  /* ---- the view ---------------------------------------------------------- */

  function setView(nk, ntx) {
    k = clamp(nk, 1, KMAX);
    tx = clamp(ntx, W - W * k, 0);
    stamp++;
    schedule();
  }

  function schedule() {
    if (!frame)
      frame = requestAnimationFrame(draw);
  }

  /* The lanes on screen: the first whose bottom is below the top, to the
   * last whose top is above the bottom. */
  function firstLaneAt(y) {
    var lo = 0, hi = nlanes - 1;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (lanes[mid][0] + lanes[mid][1] <= y) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function moveOverlay(lane) {
    if (laneStamp[lane] === stamp) return;
    laneStamp[lane] = stamp;
    var items = laneItems[lane];
    if (!items) {
      var g = document.getElementById('o' + lane);
      items = laneItems[lane] = g ? Array.prototype.slice.call(g.children) : [];
    }
    for (var i = 0; i < items.length; i++) {
      var it = items[i];
      var x = (k * parseFloat(it.getAttribute('data-x')) + tx).toFixed(2);
      if (it.tagName === 'text')
        it.setAttribute('x', x);
      else
        it.setAttribute('transform', 'translate(' + x + ' 0)');
      if (it.hasAttribute('data-w')) {
        var fits = k * parseFloat(it.getAttribute('data-w')) >= parseFloat(it.getAttribute('data-len'));
        it.setAttribute('visibility', fits ? 'visible' : 'hidden');
      }
    }
  }

  function drawTicks() {
    while (ticks.firstChild) ticks.removeChild(ticks.firstChild);
    var from = nsOfScreen(0), to = nsOfScreen(W);
    var want = (to - from) / 8, step = 1;
    while (step * 10 <= want) step *= 10;
    if (step * 5 <= want) step *= 5; else if (step * 2 <= want) step *= 2;
    for (var t = Math.ceil(from / step) * step; t <= to; t += step) {
      var x = k * xOf(t) + tx;
      var l = document.createElementNS(SVGNS, 'line');
      l.setAttribute('x1', x); l.setAttribute('x2', x); l.setAttribute('y1', 22); l.setAttribute('y2', 30);
      var tx_ = document.createElementNS(SVGNS, 'text');
      tx_.setAttribute('x', x); tx_.setAttribute('y', 17);
      tx_.textContent = seconds(t, step);
      ticks.appendChild(l); ticks.appendChild(tx_);
    }
  }

  function drawCursor() {
    while (axisCursor.firstChild) axisCursor.removeChild(axisCursor.firstChild);
    if (cursorNs < 0) { cursorLine.style.display = 'none'; return; }
    var x = k * xOf(cursorNs) + tx;
    var on = x >= 0 && x <= W;
    cursorLine.style.display = on ? 'block' : 'none';
    cursorLine.style.left = (LW + x) + 'px';
    if (!on) return;
    var t = document.createElementNS(SVGNS, 'text');
    t.setAttribute('x', LW + x); t.setAttribute('y', 28);
    t.textContent = seconds(cursorNs);
    axisCursor.appendChild(t);
  }

  function draw() {
    frame = 0;
    var matrix = 'matrix(' + k + ' 0 0 1 ' + tx + ' 0)';
    /* The zombies' hatching keeps its angle at any zoom. */
    var hatching = 'scale(' + (1 / k) + ' 1) rotate(45)';
    var top = scroller.scrollTop, bottom = top + scroller.clientHeight;
    if (nlanes) {
      var first = firstLaneAt(top), last = first;
      for (var i = first; i < nlanes && lanes[i][0] < bottom; i++) {
        moveOverlay(i);
        last = i;
      }
      /* Only the groups on screen move; the others when they come into view. */
      chunks.forEach(function (c) {
        if (c[3] !== stamp && c[2] >= first - FAR && c[1] <= last + FAR) {
          c[0].setAttribute('transform', matrix);
          if (c[4]) c[4].setAttribute('patternTransform', hatching);
          c[3] = stamp;
        }
      });
    }
    drawTicks();
    drawCursor();
    document.documentElement.setAttribute('data-zoom', k.toFixed(4));
    document.documentElement.setAttribute('data-view', k + ' ' + tx);
  }

  function zoomAround(px, factor) {
    var x = (px - tx) / k;
    var nk = clamp(k * factor, 1, KMAX);
    setView(nk, px - nk * x);
  }

  function pan(px) { setView(k, tx + px); }

  function showInterval(from, to) {
    var width = Math.max(to - from, SPAN / 400, 2000) * 1.6;
    var nk = clamp(SPAN / width, 1, KMAX);
    var centre = xOf((from + to) / 2);
    setView(nk, W / 2 - nk * centre);
  }

  function plotX(ev) {
    return ev.clientX - plot.getBoundingClientRect().left - LW;
  }

  function scrollToLane(lane) {
    if (lane < 0 || lane >= nlanes) return;
    var y = lanes[lane][0];
    if (y < scroller.scrollTop || y + lanes[lane][1] > scroller.scrollTop + scroller.clientHeight)
      scroller.scrollTop = Math.max(0, y - scroller.clientHeight / 3);
  }

  /* ---- the state at a moment ---------------------------------------------- */

  function cell(tr, text, cls) {
    var td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }

  function showState(ns) {
    cursorNs = ns;
    stateTime.textContent = seconds(ns);
    var held = {}, waiting = {};
    D.holds.forEach(function (h) {
      if (h[4] <= ns && ns < h[5])
        (held[h[0]] = held[h[0]] || []).push('pipe:[' + h[1] + '] ' + (h[3] === 'w' ? 'write' : h[3] === 'r' ? 'read' : 'both') + ' fd ' + h[2]);
    });
    D.waits.forEach(function (w) { if (w[1] <= ns && ns < w[2]) waiting[w[0]] = true; });
    while (stateBody.firstChild) stateBody.removeChild(stateBody.firstChild);
    var shown = 0, more = 0, alive = 0, zombies = 0;
    for (var i = 0; i < nlanes; i++) {
      var l = lanes[i];
      if (ns < l[2] || ns >= l[3]) continue;
      var zombie = l[4] >= 0 && ns >= l[4];
      if (zombie) zombies++; else alive++;
      if (shown >= 300) { more++; continue; }
      shown++;
      var tr = document.createElement('tr');
      if (zombie) tr.className = 'zombie-row';
      cell(tr, l[5]);
      cell(tr, zombie ? 'zombie' : waiting[i] ? 'blocked in wait' : 'running');
      cell(tr, (held[i] || []).join(', '));
      stateBody.appendChild(tr);
    }
    var sum = document.createElement('tr');
    cell(sum, alive + ' alive, ' + zombies + ' zombie' + (zombies === 1 ? '' : 's') + (more ? ' (' + more + ' more not listed)' : ''));
    sum.firstChild.colSpan = 3;
    stateBody.insertBefore(sum, stateBody.firstChild);
    schedule();
  }

  /* ---- stepping ------------------------------------------------------------- */

  /* A step's caption, with its lanes' labels put in. */
  function told(s) {
    return s[3].replace(/\{[ab]\}/g, function (m) {
      var lane = m === '{a}' ? s[1] : s[2];
      return lane >= 0 ? lanes[lane][5] : '?';
    });
  }

  var stepLanes = [];
  function step(by) {
    if (!D.steps.length) return;
    stepAt = clamp(stepAt + by, 0, D.steps.length - 1);
    var s = D.steps[stepAt];
    stepLanes.forEach(function (g) { g.classList.remove('step'); });
    stepLanes = [];
    [s[1], s[2]].forEach(function (lane) {
      var g = lane >= 0 && document.getElementById('l' + lane);
      if (g) { g.classList.add('step'); stepLanes.push(g); }
    });
    caption.textContent = seconds(s[0]) + '  (' + (stepAt + 1) + ' of ' + D.steps.length + ')  ' + told(s);
    var x = k * xOf(s[0]) + tx;
    if (x < W * 0.05 || x > W * 0.95) setView(k, W / 2 - k * xOf(s[0]));
    scrollToLane(s[1]);
    showState(s[0]);
  }

  /* ---- a finding's focus ------------------------------------------------------ */

  function clearFocus() {
    if (focused < 0) return;
    plot.classList.remove('focus');
    Array.prototype.forEach.call(plot.querySelectorAll('.hit'), function (e) { e.classList.remove('hit'); });
    Array.prototype.forEach.call(document.querySelectorAll('.mark.on'), function (m) { m.classList.remove('on'); });
    var li = document.getElementById('f' + focused);
    if (li) li.classList.remove('chosen');
    focused = -1;
    document.documentElement.removeAttribute('data-focus');
  }

  function focus(i) {
    clearFocus();
    var f = D.findings[i];
    if (!f) return;
    focused = i;
    var set = {};
    f[3].forEach(function (lane) {
      set[lane] = true;
      ['l', 'o', 't'].forEach(function (p) {
        var e = document.getElementById(p + lane);
        if (e) e.classList.add('hit');
      });
    });
    Array.prototype.forEach.call(plot.querySelectorAll('.flow'), function (e) {
      if (set[e.getAttribute('data-from')] && set[e.getAttribute('data-to')]) e.classList.add('hit');
    });
    plot.classList.add('focus');
    Array.prototype.forEach.call(document.querySelectorAll('.mark[data-f="' + i + '"]'), function (m) { m.classList.add('on'); });
    document.getElementById('f' + i).classList.add('chosen');
    showInterval(f[0], f[1]);
    scrollToLane(f[2] >= 0 ? f[2] : f[3][0]);
    document.documentElement.setAttribute('data-focus', String(i));
  }

  Array.prototype.forEach.call(document.querySelectorAll('.finding'), function (li) {
    var i = parseInt(li.id.slice(1), 10);
    li.addEventListener('click', function () { if (focused === i) clearFocus(); else focus(i); });
    li.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') focus(i); });
  });

  /* ---- a pipe's holders ---------------------------------------------------------- */

  var lit = [];
  plot.addEventListener('mouseover', function (ev) {
    var pipe = ev.target.getAttribute && ev.target.getAttribute('data-pipe');
    if (!pipe) return;
    lit = Array.prototype.slice.call(plot.querySelectorAll('[data-pipe="' + pipe + '"]'));
    lit.forEach(function (e) { e.classList.add('lit'); });
    plot.classList.add('piping');
  });
  plot.addEventListener('mouseout', function (ev) {
    if (!ev.target.getAttribute || !ev.target.getAttribute('data-pipe')) return;
    lit.forEach(function (e) { e.classList.remove('lit'); });
    lit = [];
    plot.classList.remove('piping');
  });

  /* ---- the tooltip: a lane at the moment under the pointer ------------------ */

  var programsOf = new Array(nlanes), holdsOf = new Array(nlanes), waitsOf = new Array(nlanes);
  D.programs.forEach(function (p) { (programsOf[p[0]] = programsOf[p[0]] || []).push(p); });
  D.holds.forEach(function (h) { (holdsOf[h[0]] = holdsOf[h[0]] || []).push(h); });
  D.waits.forEach(function (w) { (waitsOf[w[0]] = waitsOf[w[0]] || []).push(w); });
  var arrowsAt = new Array(nlanes); /* each lane's arrow ends: [at, arrow] */
  D.arrows.forEach(function (a) {
    (arrowsAt[a[0]] = arrowsAt[a[0]] || []).push([a[2], a]);
    (arrowsAt[a[1]] = arrowsAt[a[1]] || []).push([a[3], a]);
  });
  var tip = document.createElement('div');
  tip.id = 'tip';
  document.body.appendChild(tip);

  function describe(lane, ns) {
    var l = lanes[lane], out = [l[5], seconds(l[2]) + ' .. ' + seconds(l[3]) + ': ' + l[6]];
    if (ns < 0) return out;
    out.push('at ' + seconds(ns) + ':');
    if (ns < l[2] || ns >= l[3]) { out.push('  not alive'); return out; }
    if (l[4] >= 0 && ns >= l[4]) {
      out.push('  a zombie: exited, not yet reaped');
    } else {
      (programsOf[lane] || []).forEach(function (p, i) {
        if (p[1] <= ns && (ns < p[2] || p[1] === p[2]))
          out.push('  running ' + D.strings[p[3]] + (i === 0 && programsOf[lane].length > 1 && lanes[lane][2] < p[2] ? ' (before its exec)' : ''));
      });
      (waitsOf[lane] || []).forEach(function (w) { if (w[1] <= ns && ns < w[2]) out.push('  blocked in a wait'); });
    }
    (holdsOf[lane] || []).forEach(function (h) {
      if (h[4] <= ns && ns < h[5])
        out.push('  holds ' + (h[3] === 'w' ? 'the write end' : h[3] === 'r' ? 'the read end' : 'both ends') + ' of pipe:[' + h[1] + '] as fd ' + h[2]);
    });
    /* Arrows that leave or land within a few pixels of the pointer. */
    var near = 5 * SPAN / W / k;
    (arrowsAt[lane] || []).forEach(function (e) {
      if (Math.abs(e[0] - ns) <= near) {
        var a = e[1];
        out.push(seconds(a[2]) + ' ' + a[4].replace(/\{[ab]\}/g, function (m) { return lanes[m === '{a}' ? a[0] : a[1]][5]; }));
      }
    });
    return out;
  }

  var tipAt = null;
  function showTip() {
    var ev = tipAt;
    tipAt = null;
    if (!ev || drag) { tip.style.display = 'none'; return; }
    var box = plot.getBoundingClientRect();
    var y = ev.clientY - box.top, x = ev.clientX - box.left - LW;
    if (!nlanes || y < 0 || y >= lanes[nlanes - 1][0] + lanes[nlanes - 1][1]) { tip.style.display = 'none'; return; }
    var lane = firstLaneAt(y);
    tip.textContent = describe(lane, x >= 0 && x <= W ? nsOfScreen(x) : -1).join('\n');
    tip.style.display = 'block';
    tip.style.left = Math.min(ev.clientX + 14, innerWidth - tip.offsetWidth - 4) + 'px';
    tip.style.top = Math.min(ev.clientY + 14, innerHeight - tip.offsetHeight - 4) + 'px';
  }
  scroller.addEventListener('mousemove', function (ev) {
    if (!tipAt) requestAnimationFrame(showTip);
    tipAt = ev;
  });
  scroller.addEventListener('mouseleave', function () { tipAt = null; tip.style.display = 'none'; });

  /* ---- mouse and keys ---------------------------------------------------------------- */

  var drag = null, pointerX = W / 2;
  scroller.addEventListener('mousedown', function (ev) {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, tx: tx, top: scroller.scrollTop, moved: false };
    ev.preventDefault();
  });
  window.addEventListener('mousemove', function (ev) {
    pointerX = plotX(ev);
    if (!drag) return;
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    scroller.classList.add('dragging');
    setView(k, drag.tx + dx);
    scroller.scrollTop = drag.top - dy;
  });
  window.addEventListener('mouseup', function (ev) {
    if (!drag) return;
    var moved = drag.moved;
    drag = null;
    scroller.classList.remove('dragging');
    var x = plotX(ev);
    if (!moved && x >= 0 && x <= W) showState(nsOfScreen(x));
  });
  function wheelZoom(ev) {
    ev.preventDefault();
    zoomAround(clamp(plotX(ev), 0, W), Math.exp(-ev.deltaY * (ev.deltaMode ? 0.05 : 0.002)));
  }
  axis.addEventListener('wheel', wheelZoom, { passive: false });
  scroller.addEventListener('wheel', function (ev) {
    if (ev.ctrlKey || ev.metaKey) { wheelZoom(ev); return; }
    if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
      ev.preventDefault();
      pan(-(ev.deltaX || ev.deltaY));
    }
  }, { passive: false });
  scroller.addEventListener('scroll', schedule);
  window.addEventListener('resize', schedule);
  window.addEventListener('keydown', function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var at = clamp(pointerX, 0, W);
    switch (ev.key) {
      case 'w': case 'W': zoomAround(at, 1.25); break;
      case 's': case 'S': zoomAround(at, 0.8); break;
      case 'a': case 'A': pan(W * 0.1); break;
      case 'd': case 'D': pan(-W * 0.1); break;
      case '0': case 'r': case 'R': setView(1, 0); break;
      case 'ArrowRight': case '.': step(1); break;
      case 'ArrowLeft': case ',': step(-1); break;
      case 'Escape': clearFocus(); break;
      default: return;
    }
    ev.preventDefault();
  });
  document.getElementById('reset').addEventListener('click', function () { setView(1, 0); });
  document.getElementById('next').addEventListener('click', function () { step(1); });
  document.getElementById('prev').addEventListener('click', function () { step(-1); });

  draw();
  document.documentElement.setAttribute('data-ready', '1');
})();
