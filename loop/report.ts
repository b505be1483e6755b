/**
 * The HTML report of a trace: one self-contained `index.html` that reads offline. Inline CSS, inline
 * SVG (posterior bars, the top-down sketch of where each camera stood), images by relative file name
 * (they sit beside index.html), no script at all, and a Content-Security-Policy that forbids loading
 * anything from elsewhere. Every piece of text from the trace is escaped.
 */
import type { Camera, Mat4, Vec3 } from '../core/types.js';
import type { Answer, CallLog, OptionDist, RoundRecord, Trace } from './types.js';
import { letters as optionLetters } from '../core/options.js';
import { topChoice } from './fusion.js';
import { describeStopReason } from './stop.js';

// ---------------------------------------------------------------------------------------- text

/** Escape text for HTML content and quoted attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
const esc = escapeHtml;

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const num = (x: unknown, digits = 2): string => (isNum(x) ? Number(x.toFixed(digits)).toString() : '—');
const pct = (x: unknown, digits = 0): string => (isNum(x) ? `${(x * 100).toFixed(digits)}%` : '—');
const int = (x: unknown): string => (isNum(x) ? Math.round(x).toLocaleString('en-US') : '—');
const ms = (x: unknown): string =>
  isNum(x) ? (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`) : '—';

/** Relative URL of an image beside index.html. */
const imgUrl = (file: string): string => esc(encodeURIComponent(file));

// ---------------------------------------------------------------------------------------- bars

const BAR_COLOURS = { bar: '#4c78a8', best: '#1f4e79', track: '#e8edf3', truth: '#2e7d32' };

/**
 * Horizontal bars for an option distribution, as inline SVG: one row per option, the most probable
 * one darker, the ground truth (if known) ticked.
 */
function distBars(
  d: OptionDist | undefined,
  keys: string[],
  optionText: Map<string, string>,
  truth: string | undefined,
  label: string,
): string {
  const rowH = 18;
  const labelW = 34;
  const barW = 150;
  const width = labelW + barW + 44;
  const height = Math.max(1, keys.length) * rowH + 2;
  const best = d ? topChoice(Object.fromEntries(keys.map((k) => [k, isNum(d[k]) ? d[k] : 0]))).choice : '';
  const rows = keys.map((k, i) => {
    const p = d && isNum(d[k]) ? Math.min(1, Math.max(0, d[k])) : 0;
    const y = i * rowH + 1;
    const tick =
      truth === k
        ? `<text x="${labelW - 4}" y="${y + 13}" text-anchor="end" fill="${BAR_COLOURS.truth}" font-size="11">✓</text>`
        : '';
    const tip = `${k}${optionText.get(k) ? `: ${optionText.get(k)}` : ''} — ${d && isNum(d[k]) ? d[k].toFixed(3) : 'no value'}`;
    return (
      `<g data-option="${esc(k)}"><title>${esc(tip)}</title>` +
      `<text x="2" y="${y + 13}" font-size="12" font-weight="${k === best ? 700 : 400}">${esc(k.length > 3 ? `${k.slice(0, 3)}…` : k)}</text>${tick}` +
      `<rect x="${labelW}" y="${y + 2}" width="${barW}" height="${rowH - 5}" fill="${BAR_COLOURS.track}"/>` +
      `<rect x="${labelW}" y="${y + 2}" width="${(p * barW).toFixed(1)}" height="${rowH - 5}" fill="${k === best ? BAR_COLOURS.best : BAR_COLOURS.bar}"/>` +
      `<text x="${labelW + barW + 4}" y="${y + 13}" font-size="11">${d && isNum(d[k]) ? pct(d[k]) : '—'}</text></g>`
    );
  });
  return `<svg class="bars" role="img" aria-label="${esc(label)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${rows.join('')}</svg>`;
}

// ---------------------------------------------------------------------------------------- sketch

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const len = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);
const unit = (a: Vec3): Vec3 => {
  const n = len(a);
  return [a[0] / n, a[1] / n, a[2] / n];
};
/** `a` with its component along unit `n` removed. */
const flatten = (a: Vec3, n: Vec3): Vec3 => {
  const t = dot(a, n);
  return [a[0] - t * n[0], a[1] - t * n[1], a[2] - t * n[2]];
};

function matOk(m: unknown): m is Mat4 {
  return (
    !!m &&
    typeof m === 'object' &&
    (m as ArrayLike<number>).length === 16 &&
    Array.from(m as ArrayLike<number>).every(isNum)
  );
}

interface SketchCam {
  key: string;
  label: string;
  c2w: Mat4;
  hfovDeg: number;
  colour: string;
}

const ROUND_COLOURS = [
  '#d62728',
  '#1f77b4',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#17becf',
  '#8c564b',
  '#e377c2',
  '#bcbd22',
];

function hfovOf(cam: Camera | undefined): number {
  const k = cam?.intrinsics;
  return k && isNum(k.fx) && k.fx > 0 && isNum(k.width) ? (2 * Math.atan(k.width / 2 / k.fx) * 180) / Math.PI : 60;
}

/** A length near `x` that reads well on a scale bar: 1, 2 or 5 × 10^k. */
function niceLength(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  const m = x / p;
  return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * p;
}

/** Points of a small arrowhead with its tip at (x, y) pointing along angle a. */
function arrowHead(x: number, y: number, a: number): string {
  const b = 7;
  const w = 0.5;
  const p = (ang: number) => `${(x - b * Math.cos(ang)).toFixed(1)},${(y - b * Math.sin(ang)).toFixed(1)}`;
  return `${x.toFixed(1)},${y.toFixed(1)} ${p(a - w)} ${p(a + w)}`;
}

/**
 * Where each camera stood, seen from above: camera centres and viewing directions projected onto the
 * ground plane (perpendicular to trace.up), the reference camera looking up the page, the pivot
 * marked. A camera that looks (nearly) straight down or up is drawn as a circle.
 */
export function topDownSketch(trace: Trace, current?: { c2w: Mat4; hfovDeg: number }): string {
  const W = 380;
  const H = 320;
  const pad = 46;
  const upRaw = (
    Array.isArray(trace.up) && trace.up.every(isNum) && len(trace.up) > 1e-9 ? trace.up : [0, -1, 0]
  ) as Vec3;
  const up = unit(upRaw);
  const pivot = (Array.isArray(trace.pivot) && trace.pivot.every(isNum) ? trace.pivot : [0, 0, 1]) as Vec3;
  const cams: SketchCam[] = [];
  const skipped: string[] = [];
  if (matOk(trace.reference?.c2w)) {
    cams.push({ key: 'ref', label: 'ref', c2w: trace.reference.c2w, hfovDeg: hfovOf(trace.reference), colour: '#333' });
  } else skipped.push('reference');
  let ci = 0;
  for (const r of trace.rounds ?? []) {
    if (!r.view) continue;
    const m = matOk(r.view.c2w) ? r.view.c2w : matOk(r.view.camera?.c2w) ? r.view.camera.c2w : undefined;
    if (!m) {
      skipped.push(`round ${r.round}`);
      continue;
    }
    cams.push({
      key: String(r.round),
      label: `r${r.round}`,
      c2w: m,
      hfovDeg: hfovOf(r.view.camera),
      colour: ROUND_COLOURS[ci++ % ROUND_COLOURS.length],
    });
  }
  if (current && matOk(current.c2w))
    cams.push({ key: 'now', label: 'you', c2w: current.c2w, hfovDeg: current.hfovDeg, colour: '#e6007e' });

  // ground-plane axes: "page up" = the reference camera's forward flattened, "page right" = forward × up
  const refFwd: Vec3 = cams[0]?.key === 'ref' ? [cams[0].c2w[8], cams[0].c2w[9], cams[0].c2w[10]] : [0, 0, 1];
  let ahead = flatten(refFwd, up);
  if (len(ahead) < 1e-6) {
    const refDown: Vec3 = cams[0]?.key === 'ref' ? [cams[0].c2w[4], cams[0].c2w[5], cams[0].c2w[6]] : [0, 1, 0];
    ahead = flatten(refDown, up); // looking straight down: the image's "up" is the way ahead
    if (len(ahead) < 1e-6) ahead = flatten(Math.abs(up[0]) < 0.9 ? [1, 0, 0] : [0, 0, 1], up);
    ahead = [-ahead[0], -ahead[1], -ahead[2]];
  }
  ahead = unit(ahead);
  const right = unit(cross(ahead, up));
  const plane = (p: Vec3): [number, number] => {
    const d = sub(p, pivot);
    return [dot(d, right), -dot(d, ahead)];
  };

  const centres = cams.map((c) => plane([c.c2w[12], c.c2w[13], c.c2w[14]]));
  const foot = footprintPoints(trace, plane);
  const pts = [[0, 0] as [number, number], ...centres, ...foot.extent];
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const minY = Math.min(...ys);
  const maxY = Math.max(...ys);
  const extent = Math.max(maxX - minX, maxY - minY, 1e-6);
  const s = Math.min(
    (W - 2 * pad) / Math.max(maxX - minX, extent * 0.25),
    (H - 2 * pad) / Math.max(maxY - minY, extent * 0.25),
  );
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  const toPx = (p: [number, number]): [number, number] => [W / 2 + (p[0] - cx) * s, H / 2 + (p[1] - cy) * s];
  const units = trace.input?.units === 'metres' ? 'm' : 'depth units';

  const parts: string[] = [];
  // the scene's footprint: its points seen from above, under the cameras
  if (foot.points.length) {
    const dots = foot.points.map(({ p, colour }) => {
      const [x, y] = toPx(p);
      return x < 0 || y < 0 || x > W || y > H
        ? ''
        : `<rect x="${(x - 1.5).toFixed(1)}" y="${(y - 1.5).toFixed(1)}" width="3" height="3" fill="${colour}"/>`;
    });
    parts.push(
      `<g class="footprint" opacity="0.75"><title>the scene's points seen from above</title>${dots.join('')}</g>`,
    );
  }
  // pivot
  const [px, py] = toPx([0, 0]);
  parts.push(
    `<g class="pivot"><title>${esc(`pivot (${pivot.map((v) => num(v)).join(', ')})`)}</title>` +
      `<path d="M${px - 6} ${py - 6}L${px + 6} ${py + 6}M${px - 6} ${py + 6}L${px + 6} ${py - 6}" stroke="#000" stroke-width="2"/>` +
      `<text x="${px + 8}" y="${py - 6}" font-size="11">pivot</text></g>`,
  );
  const L = 34;
  cams.forEach((c, i) => {
    const [x, y] = toPx(centres[i]);
    const centre: Vec3 = [c.c2w[12], c.c2w[13], c.c2w[14]];
    const fwd: Vec3 = [c.c2w[8], c.c2w[9], c.c2w[10]];
    const f2: [number, number] = [dot(fwd, right), -dot(fwd, ahead)];
    const f2n = Math.hypot(f2[0], f2[1]);
    const height = dot(sub(centre, pivot), up);
    const looking =
      f2n < 0.15
        ? dot(fwd, up) < 0
          ? 'straight down'
          : 'straight up'
        : `${num((Math.asin(Math.max(-1, Math.min(1, -dot(fwd, up)))) * 180) / Math.PI, 0)}° below level`;
    const tip =
      `${c.key === 'ref' ? 'reference camera (round 0)' : `round ${c.key}`}: centre (${centre.map((v) => num(v)).join(', ')}), ` +
      `${num(height)} ${units} above the pivot, looking ${looking}`;
    let glyph: string;
    if (f2n < 0.15) {
      glyph =
        `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="9" fill="${c.colour}" fill-opacity="0.25" stroke="${c.colour}" stroke-width="1.5"/>` +
        `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2.5" fill="${c.colour}"/>`;
    } else {
      const a = Math.atan2(f2[1], f2[0]);
      const h = (Math.min(Math.max(c.hfovDeg, 10), 150) * Math.PI) / 360;
      const p1 = [x + L * Math.cos(a - h), y + L * Math.sin(a - h)];
      const p2 = [x + L * Math.cos(a + h), y + L * Math.sin(a + h)];
      const tipPt = [x + L * 1.15 * Math.cos(a), y + L * 1.15 * Math.sin(a)];
      glyph =
        `<polygon points="${x.toFixed(1)},${y.toFixed(1)} ${p1.map((v) => v.toFixed(1)).join(',')} ${p2.map((v) => v.toFixed(1)).join(',')}" fill="${c.colour}" fill-opacity="0.18" stroke="${c.colour}" stroke-width="1.2"/>` +
        `<line x1="${x.toFixed(1)}" y1="${y.toFixed(1)}" x2="${tipPt[0].toFixed(1)}" y2="${tipPt[1].toFixed(1)}" stroke="${c.colour}" stroke-width="2"/>` +
        `<polygon points="${arrowHead(tipPt[0], tipPt[1], a)}" fill="${c.colour}"/>` +
        `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${c.colour}"/>`;
    }
    // label behind the camera, nudged per camera so coincident cameras stay readable
    const back = f2n < 0.15 ? [0, 1] : [-f2[0] / f2n, -f2[1] / f2n];
    const lx = x + back[0] * 16 + (i % 2 ? 8 : -8) * (i > 0 ? 1 : 0);
    const ly = y + back[1] * 16 + 4 + (i > 0 ? ((i % 3) - 1) * 5 : 0);
    parts.push(
      `<g class="cam" data-sketch-round="${esc(c.key === 'ref' ? 'ref' : c.key)}"><title>${esc(tip)}</title>${glyph}` +
        `<text x="${lx.toFixed(1)}" y="${ly.toFixed(1)}" font-size="11" font-weight="700" text-anchor="middle" fill="${c.colour}">${esc(c.label)}</text></g>`,
    );
  });
  // scale bar
  const bar = niceLength(extent / 4);
  const barPx = bar * s;
  parts.push(
    `<g class="scale"><line x1="12" y1="${H - 14}" x2="${(12 + barPx).toFixed(1)}" y2="${H - 14}" stroke="#000" stroke-width="2"/>` +
      `<text x="12" y="${H - 20}" font-size="10">${esc(`${num(bar, 3)} ${units}`)}</text></g>`,
  );
  const note = skipped.length ? `<p class="note">Not drawn (no valid pose): ${esc(skipped.join(', '))}.</p>` : '';
  return (
    `<figure class="sketch"><svg role="img" aria-label="top-down sketch of the camera positions" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg">` +
    `<rect x="0.5" y="0.5" width="${W - 1}" height="${H - 1}" fill="#fbfbf8" stroke="#ccc"/>${parts.join('')}</svg>` +
    `<figcaption>Seen from above (ground plane ⟂ up), over the scene's points. The reference camera looks up the page; wedges show each view's field of view. Hover a camera for its position and height.</figcaption>${note}</figure>`
  );
}

/** The footprint's points on the ground plane with their colours, and the 2nd–98th percentile box they span. */
function footprintPoints(
  trace: Trace,
  plane: (p: Vec3) => [number, number],
): { points: { p: [number, number]; colour: string }[]; extent: [number, number][] } {
  const f = trace.footprint;
  if (!f || !Array.isArray(f.xyz) || !Array.isArray(f.rgb)) return { points: [], extent: [] };
  const points: { p: [number, number]; colour: string }[] = [];
  const hex = (v: unknown) =>
    (isNum(v) ? Math.max(0, Math.min(255, Math.round(v))) : 128).toString(16).padStart(2, '0');
  for (let i = 0; i + 2 < f.xyz.length; i += 3) {
    const q: Vec3 = [f.xyz[i], f.xyz[i + 1], f.xyz[i + 2]];
    if (!q.every(isNum)) continue;
    points.push({ p: plane(q), colour: `#${hex(f.rgb[i])}${hex(f.rgb[i + 1])}${hex(f.rgb[i + 2])}` });
  }
  if (!points.length) return { points, extent: [] };
  const at = (v: number[], q: number) => v[Math.min(v.length - 1, Math.floor(q * v.length))];
  const xs = points.map((x) => x.p[0]).sort((a, b) => a - b);
  const ys = points.map((x) => x.p[1]).sort((a, b) => a - b);
  return {
    points,
    extent: [
      [at(xs, 0.02), at(ys, 0.02)],
      [at(xs, 0.98), at(ys, 0.98)],
    ],
  };
}

// ---------------------------------------------------------------------------------------- rounds

function callTokens(calls: CallLog[] | undefined): { prompt: number; completion: number } {
  let prompt = 0;
  let completion = 0;
  for (const c of calls ?? []) {
    if (isNum(c.promptTokens)) prompt += c.promptTokens;
    if (isNum(c.completionTokens)) completion += c.completionTokens;
  }
  return { prompt, completion };
}

function list(items: string[] | undefined, cls: string, title: string): string {
  if (!items?.length) return '';
  return `<div class="${cls}"><strong>${esc(title)}</strong><ul>${items.map((x) => `<li>${esc(x)}</li>`).join('')}</ul></div>`;
}

function answerBlock(a: Answer | undefined, optionText: Map<string, string>): string {
  if (!a) return '<p class="failed">no answer recorded</p>';
  const choice = a.choice
    ? `${a.choice}${optionText.get(a.choice) ? ` — ${optionText.get(a.choice)}` : ''}`
    : '(no answer)';
  return (
    `<div class="answer"><p><span class="label">Answer</span> <b class="choice">${esc(choice)}</b>` +
    ` <span class="muted">confidence ${esc(num(a.confidence))} · ${esc(a.distSource ?? '')}${a.cannotTell ? ' · cannot tell' : ''}</span></p>` +
    (a.rationale ? `<p class="rationale">${esc(a.rationale)}</p>` : '') +
    '</div>'
  );
}

function callsBlock(calls: CallLog[] | undefined): string {
  if (!calls?.length) return '';
  const rows = calls.map(
    (c) =>
      `<tr><td>${esc(c.role)}</td><td>${esc(c.model)}</td><td>${c.cached ? 'cached' : ''}</td>` +
      `<td>${esc(int(c.attempts))}</td><td>${esc(ms(c.latencyMs))}</td><td>${esc(int(c.promptTokens))} / ${esc(int(c.completionTokens))}</td></tr>` +
      (c.errors?.length
        ? `<tr class="err"><td colspan="6">${c.errors.map((e) => esc(e)).join('<br>')}</td></tr>`
        : '') +
      (c.prompt
        ? `<tr><td colspan="6"><details><summary>prompt</summary><pre>${esc(c.prompt)}</pre></details></td></tr>`
        : '') +
      (c.reply
        ? `<tr><td colspan="6"><details><summary>reply</summary><pre>${esc(c.reply)}</pre></details></td></tr>`
        : ''),
  );
  return (
    `<details class="calls"><summary>${calls.length} model call${calls.length === 1 ? '' : 's'}</summary>` +
    `<table><thead><tr><th>role</th><th>model</th><th></th><th>tries</th><th>latency</th><th>tokens in / out</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`
  );
}

interface RoundCtx {
  keys: string[];
  optionText: Map<string, string>;
  truth?: string;
  images: Set<string>;
  inputImages: string[];
  trace: Trace;
}

function roundCard(r: RoundRecord, ctx: RoundCtx): string {
  const v = r.view;
  let figure: string;
  if (v) {
    const alt = `round ${r.round}: ${v.caption ?? ''}`;
    figure = ctx.images.has(v.file)
      ? `<figure><img src="${imgUrl(v.file)}" alt="${esc(alt)}" loading="eager"><figcaption>${esc(v.caption)}</figcaption></figure>`
      : `<figure><div class="noimg">image ${esc(v.file)} is not in this trace directory</div><figcaption>${esc(v.caption)}</figcaption></figure>`;
  } else if (r.round === 0 && ctx.inputImages.length) {
    figure = ctx.inputImages
      .map(
        (f) =>
          `<figure><img src="${imgUrl(f)}" alt="${esc(`original image ${f}`)}" loading="eager"><figcaption>original image (${esc(f)})</figcaption></figure>`,
      )
      .join('');
  } else {
    const names = (ctx.trace.input?.images ?? []).join(', ');
    figure = `<figure><div class="noimg">${r.round === 0 ? `original image${names ? `: ${esc(names)}` : ''}` : 'no view rendered'}</div></figure>`;
  }
  const tokens = callTokens(r.calls);
  const facts: string[] = [];
  if (v) {
    const c = matOk(v.c2w) ? v.c2w : v.camera?.c2w;
    facts.push(`<dt>pose</dt><dd><code>${esc(JSON.stringify(v.pose))}</code></dd>`);
    if (matOk(c))
      facts.push(`<dt>camera at</dt><dd>(${[c[12], c[13], c[14]].map((x) => esc(num(x))).join(', ')})</dd>`);
    facts.push(
      `<dt>coverage</dt><dd><span class="cov"><span style="width:${isNum(v.coverage) ? Math.round(Math.min(1, Math.max(0, v.coverage)) * 100) : 0}%"></span></span> ${esc(pct(v.coverage, 1))}</dd>`,
    );
    facts.push(`<dt>render</dt><dd>${esc(`${v.mode} · holes ${v.holes} · ${v.renderer} · ${ms(v.renderMs)}`)}</dd>`);
  }
  if (isNum(r.fusionWeight)) facts.push(`<dt>fusion weight</dt><dd>${esc(num(r.fusionWeight, 3))}</dd>`);
  facts.push(`<dt>tokens</dt><dd>${esc(int(tokens.prompt))} in / ${esc(int(tokens.completion))} out</dd>`);
  facts.push(`<dt>latency</dt><dd>${esc(ms(r.ms))}</dd>`);
  const decision = r.decision
    ? `<p class="why"><span class="label">${r.decision.action === 'stop' ? 'Controller stopped' : 'Why this view'}</span> ${esc(r.decision.reason)}</p>`
    : '';
  const fused = `${r.fusedChoice || '—'}${ctx.optionText.get(r.fusedChoice) ? ` — ${ctx.optionText.get(r.fusedChoice)}` : ''}`;
  return (
    `<section class="round${r.failed ? ' has-failure' : ''}" data-round="${esc(r.round)}" id="round-${esc(r.round)}">` +
    `<h3>Round ${esc(r.round)} <span class="tag">${r.round === 0 ? 'prior: original image' : v ? 'new view' : 'no view'}</span></h3>` +
    figure +
    decision +
    `<dl class="facts">${facts.join('')}</dl>` +
    answerBlock(r.answer, ctx.optionText) +
    `<p class="label">This round's option distribution</p>${distBars(r.answer?.dist, ctx.keys, ctx.optionText, ctx.truth, `round ${r.round} answer distribution`)}` +
    `<p class="label">Posterior after round ${esc(r.round)}</p>${distBars(r.posterior, ctx.keys, ctx.optionText, ctx.truth, `posterior after round ${r.round}`)}` +
    `<p class="fused">fused: <b>${esc(fused)}</b> · margin ${esc(num(r.margin))}</p>` +
    (r.failed ? `<div class="failed"><strong>Failed:</strong> ${esc(r.failed)}</div>` : '') +
    list(v?.clamped, 'warn', 'Clamped') +
    list(v?.poseErrors, 'warn', 'Pose problems') +
    callsBlock(r.calls) +
    '</section>'
  );
}

// ---------------------------------------------------------------------------------------- page

function configRows(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [
      `<tr><th>${esc(prefix)}</th><td>${esc(typeof value === 'string' ? value : JSON.stringify(value))}</td></tr>`,
    ];
  }
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    configRows(v, prefix ? `${prefix}.${k}` : k),
  );
}

function posteriorTable(trace: Trace, keys: string[], truth: string | undefined): string {
  const rounds = trace.rounds ?? [];
  if (!rounds.length || !keys.length) return '';
  const head = rounds.map((r) => `<th><a href="#round-${esc(r.round)}">r${esc(r.round)}</a></th>`).join('');
  const body = keys
    .map(
      (k) =>
        `<tr><th>${esc(k)}${truth === k ? ' <span class="truth">✓</span>' : ''}</th>${rounds
          .map((r) => {
            const p = r.posterior?.[k];
            const a = isNum(p) ? Math.min(1, Math.max(0, p)) : 0;
            return `<td style="background:rgba(76,120,168,${(a * 0.85).toFixed(3)});color:${a > 0.55 ? '#fff' : '#000'}">${esc(pct(p))}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('');
  return `<table class="evolution"><caption>Posterior after each round</caption><thead><tr><th></th>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const CSS = `
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d232a;background:#f4f6f8}
header{background:#1d2b3a;color:#fff;padding:14px 22px}
header h1{margin:0 0 4px;font-size:20px}
.model{margin:0;font-size:15px;background:#fff3c4;color:#3a2d00;display:inline-block;padding:3px 8px;border-radius:4px}
.created{margin:4px 0 0;color:#b9c6d3;font-size:12px}
main{padding:16px 22px}
.summary{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
.panel{background:#fff;border:1px solid #d9dee4;border-radius:6px;padding:12px 16px;min-width:300px;flex:1 1 360px}
.panel h2{margin:0 0 8px;font-size:16px}
.question{font-size:16px;font-weight:600}
ol.options{padding-left:0;list-style:none;margin:6px 0}
ol.options li{padding:2px 0}
ol.options b{display:inline-block;min-width:1.6em}
.truth{color:#2e7d32;font-weight:700}
.final{font-size:16px;margin:6px 0}
.correct{color:#2e7d32;font-weight:700}.incorrect{color:#b3261e;font-weight:700}
table{border-collapse:collapse;font-size:12.5px}
th,td{border:1px solid #e0e4e8;padding:2px 6px;text-align:left;vertical-align:top}
table.evolution td{text-align:right;min-width:3.5em}
caption{text-align:left;font-weight:600;padding:4px 0}
.rounds{display:flex;gap:14px;overflow-x:auto;padding:12px 2px 18px;align-items:flex-start}
.round{flex:0 0 320px;background:#fff;border:1px solid #d9dee4;border-radius:6px;padding:10px 12px}
.round.has-failure{border-color:#b3261e}
.round h3{margin:0 0 6px;font-size:15px}
.tag{font-size:11px;font-weight:400;background:#eef2f6;border-radius:3px;padding:1px 5px;color:#4a5866}
figure{margin:0 0 6px}
figure img{width:100%;height:auto;display:block;border:1px solid #ccd;image-rendering:auto}
figcaption{font-size:12px;color:#4a5866}
.noimg{background:#eef0f2;color:#5b6670;font-size:12px;padding:24px 8px;text-align:center;border:1px dashed #b8c0c8}
dl.facts{display:grid;grid-template-columns:auto 1fr;gap:1px 8px;margin:6px 0;font-size:12.5px}
dl.facts dt{color:#5b6670}dl.facts dd{margin:0;overflow-wrap:anywhere}
code{font-size:11.5px}
.cov{display:inline-block;width:70px;height:9px;background:#f3d4f3;vertical-align:middle}
.cov span{display:block;height:100%;background:#4c78a8}
.label{font-size:12px;color:#5b6670;margin:6px 0 2px;font-weight:600}
.answer p{margin:4px 0}.choice{font-size:15px}.muted{color:#5b6670;font-size:12px}
.rationale{font-style:italic;color:#333;font-size:12.5px}
.why{font-size:12.5px;margin:4px 0}
.fused{font-size:13px;margin:4px 0}
.failed,.warn{font-size:12.5px;border-radius:4px;padding:4px 8px;margin:6px 0}
.failed{background:#fde7e6;color:#8c1d18}.warn{background:#fff4d6;color:#5c4300}
.warn ul{margin:2px 0;padding-left:18px}
details{margin:6px 0;font-size:12.5px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;max-height:22em;overflow:auto;background:#f6f8fa;padding:6px;font-size:11.5px}
tr.err td{color:#8c1d18}
.sketch figcaption{max-width:380px}
.note{font-size:12px;color:#5b6670}
`;

/** A link back to the page that lists this trace (an eval run's report). */
export interface ReportLinkOptions {
  backLink?: { href: string; label: string };
}

/**
 * The self-contained HTML report of a trace. `imageFiles` are the image files present beside
 * index.html; a round's view is shown when its file is among them, and images no round refers to
 * (copies of the original input) are shown as round 0's picture. Pass a scrubbed trace (writeTrace
 * does).
 */
export function renderReportHtml(trace: Trace, imageFiles: string[], opts: ReportLinkOptions = {}): string {
  const q = trace.question ?? { text: '', options: [] };
  const options = q.options ?? [];
  const keys = options.length
    ? optionLetters(options.length)
    : [
        ...new Set(
          (trace.rounds ?? []).flatMap((r) => [
            ...Object.keys(r.posterior ?? {}),
            ...Object.keys(r.answer?.dist ?? {}),
          ]),
        ),
      ];
  const optionText = new Map(options.map((t, i) => [keys[i], t]));
  const truth = q.answer || undefined;
  const images = new Set(imageFiles);
  const viewFiles = new Set((trace.rounds ?? []).map((r) => r.view?.file).filter((f): f is string => !!f));
  const inputImages = imageFiles.filter((f) => !viewFiles.has(f));
  const ctx: RoundCtx = { keys, optionText, truth, images, inputImages, trace };

  const optionList = options.length
    ? `<ol class="options">${options.map((t, i) => `<li data-letter="${esc(keys[i])}"><b>${esc(keys[i])}</b> ${esc(t)}${truth === keys[i] ? ' <span class="truth">✓ ground truth</span>' : ''}</li>`).join('')}</ol>`
    : `<p class="muted">free-form question${truth ? ` · ground truth: <span class="truth">${esc(truth)}</span>` : ''}</p>`;

  const f = trace.final;
  const finalText = f
    ? `${f.choice || '(no answer)'}${optionText.get(f.choice) ? ` — ${optionText.get(f.choice)}` : ''}`
    : '(unfinished)';
  const verdict =
    f && truth
      ? f.choice === truth
        ? ' <span class="correct">correct</span>'
        : ' <span class="incorrect">incorrect</span>'
      : '';
  const stop = f?.stopReason ? `${f.stopReason}: ${describeStopReason(f.stopReason, trace.config?.stop)}` : '—';
  const t = trace.totals;
  const input = trace.input;

  const title = `Vantage trace — ${q.text ?? ''}`.slice(0, 140);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Vantage trace</h1>
${opts.backLink ? `<p class="back"><a id="back-link" href="${esc(opts.backLink.href)}">← ${esc(opts.backLink.label)}</a></p>\n` : ''}<p class="model" id="model-label"><strong>Model:</strong> ${esc(trace.modelLabel)}</p>
<p class="created">${esc(trace.createdAt)}${q.id ? ` · question ${esc(q.id)}` : ''}${q.category ? ` · ${esc(q.category)}` : ''}</p>
</header>
<main>
<div class="summary">
<section class="panel" id="question">
<h2>Question</h2>
<p class="question">${esc(q.text)}</p>
${optionList}
<p class="final" id="final">Final answer: <b>${esc(finalText)}</b> (p = ${esc(num(f?.probability))})${verdict}</p>
<p>Stopped after ${esc(int(f?.rounds))} round(s) — ${esc(stop)}.</p>
<p>Totals: ${esc(int(t?.promptTokens))} prompt + ${esc(int(t?.completionTokens))} completion tokens · ${esc(int(t?.calls))} model calls · ${esc(ms(t?.ms))}</p>
${posteriorTable(trace, keys, truth)}
</section>
<section class="panel" id="cameras">
<h2>Where each camera stood</h2>
${topDownSketch(trace)}
</section>
<section class="panel" id="config">
<h2>Configuration</h2>
<table><tbody>${configRows(trace.config ?? {}).join('')}</tbody></table>
<h2 style="margin-top:12px">Input</h2>
<table><tbody>
<tr><th>images</th><td>${esc((input?.images ?? []).join(', ') || '—')}</td></tr>
<tr><th>depth</th><td>${esc(input?.depth ?? '—')}</td></tr>
<tr><th>intrinsics</th><td>${esc(input?.intrinsics ?? '—')}</td></tr>
<tr><th>units</th><td>${esc(input?.units ?? '—')}</td></tr>
</tbody></table>
${list(input?.notes, 'warn', 'Notes')}
</section>
</div>
<h2>Rounds</h2>
<div class="rounds" id="rounds">
${(trace.rounds ?? []).map((r) => roundCard(r, ctx)).join('\n')}
</div>
</main>
</body>
</html>
`;
}
