/**
 * The viewer page: HTML, CSS and script served by the local server itself (no CDN, nothing from the
 * network). The script is plain browser JavaScript without WebGPU or WebGL: frames are JPEGs the
 * server renders, so the page works in any browser, headless ones without a GPU included. One page
 * serves both `vantage view` (look around, copy the pose) and `--model human-web` (answer the loop's
 * questions; each "Look from here" is a round).
 */
import { escapeHtml } from '../report.js';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'";

/** frame-ancestors only works as a header (a <meta> CSP ignores it, with a console error) */
export const PAGE_HEADERS = { 'Content-Security-Policy': `${CSP}; frame-ancestors 'none'` };

/** The page's HTML; `token` goes into the URLs of the script and style (every request carries it). */
export function pageHtml(token: string, title: string): string {
  const t = encodeURIComponent(token);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css?t=${t}">
</head><body>
<header><h1>${escapeHtml(title)}</h1><span id="status" role="status">loading…</span></header>
<main>
<section id="human" hidden>
  <h2 id="q-head">Question</h2>
  <p id="q-text"></p>
  <div id="q-images"></div>
  <div id="answer-panel" hidden>
    <div id="options" role="group" aria-label="options"></div>
    <div id="free-wrap" hidden><label>Answer <input id="free" type="text"></label></div>
    <label class="conf">Confidence <input id="confidence" type="range" min="0" max="100" value="80"> <output id="conf-out">80%</output></label>
    <button id="submit-answer" disabled>Answer</button>
  </div>
  <div id="pose-panel" hidden>
    <p>Move the camera in the view below, then <strong>Look from here</strong> (a new round), or stop looking.</p>
    <p id="feedback" class="warn" hidden></p>
    <button id="look">Look from here</button> <button id="stop">Stop looking</button>
  </div>
  <p id="done" hidden>All questions are answered. You can close this page.</p>
</section>
<section id="viewer">
  <div id="stage" tabindex="0" aria-label="rendered view: drag to move the camera, wheel to zoom, arrow keys / WASD to step">
    <img id="frame" alt="rendered view" draggable="false">
    <div id="marks"></div>
  </div>
  <div id="side">
    <div class="row"><label>Controls <select id="ctl"><option value="orbit">orbit</option><option value="ego">ego</option></select></label>
    <button id="reset">Reset</button></div>
    <p id="caption"></p>
    <div class="row"><strong>Pose</strong> <button id="copy">Copy</button></div>
    <pre id="pose"></pre>
    <div id="rounds"></div>
    <div id="map"></div>
    <p class="help">Drag: orbit (or turn, in ego). Wheel or +/−: distance (ego: forward). Arrow keys or WASD: step; Q/E: down/up (ego). Numbers are the pose JSON a model would write.</p>
  </div>
</section>
</main>
<script src="/app.js?t=${t}"></script>
</body></html>`;
}

export const APP_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #f6f6f3; }
header { display: flex; gap: 1em; align-items: baseline; padding: .5em 1em; background: #1f4e79; color: #fff; }
header h1 { font-size: 1.1em; margin: 0; }
main { padding: 1em; }
#viewer { display: flex; gap: 1em; flex-wrap: wrap; align-items: flex-start; }
#stage { position: relative; background: #000; cursor: grab; user-select: none; touch-action: none; outline: none; }
#stage:focus { box-shadow: 0 0 0 3px #4c78a8; }
#frame { display: block; max-width: 100%; }
#marks { position: absolute; inset: 0; pointer-events: none; }
#marks button { position: absolute; transform: translate(-50%, -50%); pointer-events: auto; font: 700 11px system-ui;
  border: 2px solid #fff; border-radius: 10px; background: #d62728; color: #fff; padding: 1px 5px; cursor: pointer; }
#side { flex: 1; min-width: 300px; max-width: 440px; }
#pose { background: #fff; border: 1px solid #ccc; padding: .5em; white-space: pre-wrap; }
.row { display: flex; gap: .5em; align-items: center; margin: .3em 0; }
#rounds button { margin: 2px; }
#map svg { max-width: 100%; height: auto; }
#map g.cam { cursor: pointer; }
#human { background: #fff; border: 1px solid #ccc; padding: .5em 1em; margin-bottom: 1em; }
#q-images { display: flex; gap: .5em; flex-wrap: wrap; }
#q-images figure { margin: 0; max-width: 360px; }
#q-images img { max-width: 100%; }
#q-images figcaption { font-size: 12px; color: #555; }
#options button { margin: 3px; padding: .4em .8em; }
#options button[aria-pressed="true"] { background: #1f4e79; color: #fff; }
.warn { color: #a40000; }
.help { color: #555; font-size: 12px; }
`;

/** The page's script: plain JavaScript, no template literals (it lives inside one). */
export const APP_JS = `'use strict';
(function () {
  var token = new URLSearchParams(location.search).get('t') || '';
  var $ = function (id) { return document.getElementById(id); };
  var api = function (path, params) {
    var q = new URLSearchParams(params || {});
    q.set('t', token);
    return path + '?' + q.toString();
  };
  var info = null;
  var ctl = 'orbit';
  var orbit = { mode: 'orbit', azimuth_deg: 0, elevation_deg: 0, distance_scale: 1 };
  var ego = { mode: 'ego', yaw_deg: 0, pitch_deg: 0, forward_m: 0, right_m: 0, up_m: 0 };
  var shown = null; // the pose of the frame on screen (as the server clamped it)
  var jumped = null; // a round's pose that is neither orbit nor ego, shown as-is until the next move
  var inFlight = false, dirty = false, frameUrl = null;
  var state = window.__vantage = { frames: 0, lastFrameMs: 0, lastPose: null, draft: false, errors: [] };
  var clamp = function (v, r) { return Math.min(r[1], Math.max(r[0], v)); };
  var wrap = function (d) { d = ((d + 180) % 360 + 360) % 360 - 180; return d === -180 ? 180 : d; };
  var round2 = function (v) { return Math.round(v * 100) / 100; };

  function current() {
    if (jumped) return jumped;
    return ctl === 'orbit' ? orbit : ego;
  }
  function setStatus(s) { $('status').textContent = s; }
  function showPose(p) { $('pose').textContent = JSON.stringify(p, null, 1).replace(/\\n\\s*/g, ' '); }

  // while the camera moves, frames are drafts (points: fast); once it rests, one frame in the chosen mode
  var draft = false, settleTimer = null;
  function moved() {
    draft = true;
    clearTimeout(settleTimer);
    settleTimer = setTimeout(function () { draft = false; requestFrame(); }, 300);
    requestFrame();
  }
  function requestFrame() {
    if (inFlight) { dirty = true; return; }
    inFlight = true; dirty = false;
    var pose = current();
    var t0 = performance.now();
    var params = { pose: JSON.stringify(pose) };
    if (draft) params.draft = '1';
    fetch(api('/api/frame', params)).then(function (r) {
      if (!r.ok) return r.text().then(function (t) { throw new Error(t); });
      var p = JSON.parse(r.headers.get('X-Vantage-Pose') || 'null');
      var marks = JSON.parse(r.headers.get('X-Vantage-Marks') || '[]');
      $('caption').textContent = decodeURIComponent(r.headers.get('X-Vantage-Caption') || '') + ' · coverage ' +
        Math.round(100 * Number(r.headers.get('X-Vantage-Coverage') || 0)) + '%';
      return r.blob().then(function (b) {
        if (frameUrl) URL.revokeObjectURL(frameUrl);
        frameUrl = URL.createObjectURL(b);
        $('frame').src = frameUrl;
        shown = p; showPose(p); drawMarks(marks);
        state.frames++; state.lastFrameMs = performance.now() - t0; state.lastPose = p; state.draft = !!params.draft;
        setStatus('frame ' + Math.round(state.lastFrameMs) + ' ms (' + (info ? info.renderer : '') + ')');
        refreshMap(p);
      });
    }).catch(function (e) { state.errors.push(String(e.message || e)); setStatus('frame failed: ' + (e.message || e)); })
      .then(function () { inFlight = false; if (dirty) requestFrame(); });
  }

  var mapBusy = false;
  function refreshMap(p) {
    if (mapBusy) return; mapBusy = true;
    fetch(api('/api/map', { pose: JSON.stringify(p) })).then(function (r) { return r.ok ? r.text() : ''; })
      .then(function (svg) {
        if (!svg) return;
        var doc = new DOMParser().parseFromString(svg, 'text/html');
        var fig = doc.querySelector('figure');
        var box = $('map'); box.textContent = '';
        if (fig) box.appendChild(document.importNode(fig, true));
        box.querySelectorAll('g.cam').forEach(function (g) {
          g.addEventListener('click', function () { jumpTo(g.getAttribute('data-sketch-round')); });
        });
      }).catch(function () {}).then(function () { mapBusy = false; });
  }

  function drawMarks(marks) {
    var box = $('marks'); box.textContent = '';
    var img = $('frame');
    var sx = (img.clientWidth || info.width) / info.width, sy = (img.clientHeight || info.height) / info.height;
    marks.forEach(function (m) {
      var b = document.createElement('button');
      b.textContent = m.label; b.title = 'jump to ' + (m.key === 'ref' ? 'the reference camera' : 'round ' + m.key);
      b.style.left = (m.x * sx) + 'px'; b.style.top = (m.y * sy) + 'px';
      b.setAttribute('data-mark', m.key);
      b.addEventListener('click', function (ev) { ev.stopPropagation(); jumpTo(m.key); });
      box.appendChild(b);
    });
  }

  function jumpTo(key) {
    if (key === 'now') return;
    if (key === 'ref') { jumped = null; ctl = 'orbit'; $('ctl').value = 'orbit';
      orbit = { mode: 'orbit', azimuth_deg: 0, elevation_deg: 0, distance_scale: 1 }; requestFrame(); return; }
    var r = (info.rounds || []).filter(function (x) { return String(x.round) === String(key); })[0];
    if (!r) return;
    var p = r.pose;
    if (p.mode === 'orbit') { jumped = null; ctl = 'orbit'; $('ctl').value = 'orbit'; orbit = Object.assign({ mode: 'orbit', azimuth_deg: 0, elevation_deg: 0, distance_scale: 1 }, p); }
    else if (p.mode === 'ego') { jumped = null; ctl = 'ego'; $('ctl').value = 'ego'; ego = Object.assign({ mode: 'ego', yaw_deg: 0, pitch_deg: 0, forward_m: 0, right_m: 0, up_m: 0 }, p); }
    else jumped = p;
    requestFrame();
  }

  function move(dAz, dEl, dDist, dRight, dUp) {
    jumped = null;
    var L = info.limits;
    if (ctl === 'orbit') {
      orbit.azimuth_deg = round2(wrap(orbit.azimuth_deg + dAz));
      orbit.elevation_deg = round2(clamp(orbit.elevation_deg + dEl, L.elevationDeg));
      orbit.distance_scale = round2(clamp(orbit.distance_scale * Math.pow(1.1, dDist), L.distanceScale));
    } else {
      var step = 0.05 * (info.pivotDistance || 1);
      ego.yaw_deg = round2(wrap(ego.yaw_deg + dAz));
      ego.pitch_deg = round2(clamp(ego.pitch_deg + dEl, L.pitchDeg));
      ego.forward_m = round2(clamp(ego.forward_m - dDist * step, L.egoMoveM));
      ego.right_m = round2(clamp(ego.right_m + dRight * step, L.egoMoveM));
      ego.up_m = round2(clamp(ego.up_m + dUp * step, L.egoMoveM));
    }
    moved();
  }

  function setupControls() {
    var stage = $('stage'), drag = null;
    stage.addEventListener('pointerdown', function (e) { drag = { x: e.clientX, y: e.clientY }; stage.setPointerCapture(e.pointerId); stage.focus(); });
    stage.addEventListener('pointermove', function (e) {
      if (!drag) return;
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      drag = { x: e.clientX, y: e.clientY };
      // grab the scene: dragging right turns it right (the camera swings left); dragging down shows its top
      if (ctl === 'orbit') move(-dx * 0.4, dy * 0.3, 0, 0, 0);
      else move(-dx * 0.2, dy * 0.2, 0, 0, 0);
    });
    var end = function () { drag = null; };
    stage.addEventListener('pointerup', end); stage.addEventListener('pointercancel', end);
    stage.addEventListener('wheel', function (e) { e.preventDefault(); move(0, 0, e.deltaY > 0 ? 1 : -1, 0, 0); }, { passive: false });
    stage.addEventListener('keydown', function (e) {
      var k = e.key, o = ctl === 'orbit';
      var acts = {
        ArrowLeft: [5, 0, 0, 0, 0], ArrowRight: [-5, 0, 0, 0, 0], ArrowUp: [0, -5, 0, 0, 0], ArrowDown: [0, 5, 0, 0, 0],
        a: o ? [5, 0, 0, 0, 0] : [0, 0, 0, -1, 0], d: o ? [-5, 0, 0, 0, 0] : [0, 0, 0, 1, 0],
        w: o ? [0, 0, -1, 0, 0] : [0, 0, -1, 0, 0], s: o ? [0, 0, 1, 0, 0] : [0, 0, 1, 0, 0],
        q: [0, 0, 0, 0, -1], e: [0, 0, 0, 0, 1], '+': [0, 0, -1, 0, 0], '=': [0, 0, -1, 0, 0], '-': [0, 0, 1, 0, 0]
      };
      var a = acts[k.length === 1 ? k.toLowerCase() : k];
      if (!a) return;
      e.preventDefault(); move(a[0], a[1], a[2], a[3], a[4]);
    });
    $('ctl').addEventListener('change', function () { ctl = $('ctl').value; jumped = null; requestFrame(); });
    $('reset').addEventListener('click', function () {
      orbit = { mode: 'orbit', azimuth_deg: 0, elevation_deg: 0, distance_scale: 1 };
      ego = { mode: 'ego', yaw_deg: 0, pitch_deg: 0, forward_m: 0, right_m: 0, up_m: 0 };
      jumped = null; requestFrame();
    });
    $('copy').addEventListener('click', function () {
      var text = JSON.stringify(shown || current());
      var done = function () { setStatus('pose copied'); };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, function () { selectPose(); });
      else selectPose();
    });
    window.addEventListener('resize', function () { requestFrame(); });
  }
  function selectPose() {
    var r = document.createRange(); r.selectNodeContents($('pose'));
    var s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
    setStatus('pose selected: press Ctrl+C');
  }

  function showRounds() {
    var box = $('rounds'); box.textContent = '';
    (info.rounds || []).forEach(function (r) {
      var b = document.createElement('button');
      b.textContent = 'r' + r.round; b.title = r.caption; b.setAttribute('data-round', String(r.round));
      b.addEventListener('click', function () { jumpTo(String(r.round)); });
      box.appendChild(b);
    });
  }

  // ------------------------------------------------------------------ human-web: the loop's questions
  var task = null, picked = null;
  function post(path, body) {
    return fetch(api(path), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (r) { if (!r.ok) return r.text().then(function (t) { throw new Error(t); }); return r.json(); });
  }
  function poll(after) {
    fetch(api('/api/task', { after: String(after) })).then(function (r) { return r.json(); }).then(function (t) {
      if (t.id !== (task && task.id)) showTask(t);
      if (t.kind !== 'finished') poll(t.id);
    }).catch(function () { setTimeout(function () { poll(after); }, 1000); });
  }
  function figure(im) {
    var f = document.createElement('figure');
    var i = document.createElement('img'); i.src = api('/api/image', { task: String(task.id), file: im.file }); i.alt = im.caption;
    var c = document.createElement('figcaption'); c.textContent = im.file + ': ' + im.caption;
    f.appendChild(i); f.appendChild(c); return f;
  }
  function showTask(t) {
    task = t; picked = null;
    $('human').hidden = false;
    $('answer-panel').hidden = t.kind !== 'answer';
    $('pose-panel').hidden = t.kind !== 'pose';
    $('done').hidden = t.kind !== 'finished';
    $('human').setAttribute('data-task', t.kind);
    $('human').setAttribute('data-task-id', String(t.id));
    if (t.kind === 'finished' || t.kind === 'waiting') {
      $('q-head').textContent = t.kind === 'finished' ? 'Done' : 'Waiting for the next question…';
      $('q-text').textContent = ''; $('q-images').textContent = '';
      return;
    }
    $('q-head').textContent = 'Question ' + t.questionNumber + (t.kind === 'answer' ? ', round ' + t.round + ': answer' : ', round ' + t.round + ': where to look next?');
    $('q-text').textContent = t.question.text;
    var imgs = $('q-images'); imgs.textContent = '';
    t.images.forEach(function (im) { imgs.appendChild(figure(im)); });
    var opts = $('options'); opts.textContent = '';
    $('free-wrap').hidden = t.question.options.length > 0;
    $('submit-answer').disabled = t.question.options.length > 0;
    t.question.options.forEach(function (o) {
      var b = document.createElement('button');
      b.textContent = o.letter + ') ' + o.text; b.setAttribute('data-letter', o.letter); b.setAttribute('aria-pressed', 'false');
      b.addEventListener('click', function () {
        picked = o.letter;
        opts.querySelectorAll('button').forEach(function (x) { x.setAttribute('aria-pressed', String(x === b)); });
        $('submit-answer').disabled = false;
      });
      opts.appendChild(b);
    });
    $('feedback').hidden = !(t.feedback && t.feedback.length);
    $('feedback').textContent = t.feedback ? 'The previous pose could not be used: ' + t.feedback.join('; ') : '';
    if (t.sceneVersion !== (info && info.sceneVersion)) loadInfo(t.format);
    else if (t.kind === 'pose' && t.format) { ctl = t.format === 'ego' ? 'ego' : 'orbit'; $('ctl').value = ctl; }
    setStatus(t.kind === 'answer' ? 'answer the question' : 'move the camera, then Look from here');
  }
  function setupHuman() {
    $('confidence').addEventListener('input', function () { $('conf-out').textContent = $('confidence').value + '%'; });
    $('submit-answer').addEventListener('click', function () {
      var choice = task.question.options.length ? picked : $('free').value;
      if (!choice) return;
      $('submit-answer').disabled = true;
      post('/api/answer', { task: task.id, choice: choice, confidence: Number($('confidence').value) / 100 })
        .catch(function (e) { setStatus('not accepted: ' + e.message); $('submit-answer').disabled = false; });
    });
    $('look').addEventListener('click', function () {
      post('/api/pose', { task: task.id, pose: shown || current() }).catch(function (e) { setStatus('not accepted: ' + e.message); });
    });
    $('stop').addEventListener('click', function () {
      post('/api/pose', { task: task.id, stop: true }).catch(function (e) { setStatus('not accepted: ' + e.message); });
    });
  }

  function loadInfo(format) {
    return fetch(api('/api/scene')).then(function (r) { return r.json(); }).then(function (i) {
      info = i;
      if (format) ctl = format === 'ego' ? 'ego' : 'orbit';
      $('ctl').value = ctl;
      orbit = { mode: 'orbit', azimuth_deg: 0, elevation_deg: 0, distance_scale: 1 };
      ego = { mode: 'ego', yaw_deg: 0, pitch_deg: 0, forward_m: 0, right_m: 0, up_m: 0 };
      jumped = null;
      showRounds();
      $('viewer').hidden = !i.hasScene;
      if (i.hasScene) requestFrame();
      return i;
    });
  }

  setupControls();
  loadInfo().then(function (i) {
    if (i.human) { setupHuman(); poll(-1); }
  }).catch(function (e) { setStatus('could not load: ' + e.message); });
})();
`;
