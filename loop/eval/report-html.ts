/**
 * The report of an evaluation run, `OUT/index.html`: one self-contained page (inline CSS, SVG and a
 * small inline script; a Content-Security-Policy that loads nothing from elsewhere) over results.jsonl:
 * the official number and the micro average per cell, accuracy against rounds for every cell with
 * Wilson intervals and the chance rate, the per-category tables side by side, and the list of items —
 * filterable (wrong only, changed by the loop, by category) — each with a thumbnail and a link to its
 * trace page under traces/ (which links back here, to the item's row).
 */
import { PROTOCOLS } from './protocol.js';
import { escapeHtml as esc } from '../report.js';
import { originalFile } from '../run.js';
import { writeFileAtomic } from '../../core/io/files.js';
import type { AccuracyCell, CellSummary, EvalLine, EvalSummary } from './types.js';

const pct = (x: number | null | undefined, d = 1) =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(d)}%`;
const COLOURS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d'];

/** Chance rate of the run's items: 1/k per presentation, all presentations of an item right (circular). */
export function chanceRate(lines: EvalLine[]): number | null {
  const units = new Map<string, { k: number; n: number }>();
  for (const l of lines) {
    const id = l.base ?? l.item;
    const u = units.get(id) ?? { k: l.options, n: 0 };
    u.n++;
    units.set(id, u);
  }
  if (!units.size) return null;
  let sum = 0;
  for (const u of units.values()) sum += u.k > 0 ? Math.pow(1 / u.k, u.n) : 0;
  return sum / units.size;
}

/** Accuracy against rounds, one line per cell with its 95% intervals, and the chance rate dashed. */
export function roundsPlotSvg(cells: CellSummary[], chance: number | null): string {
  const W = 520;
  const H = 300;
  const m = { l: 48, r: 16, t: 14, b: 40 };
  const maxK = Math.max(1, ...cells.map((c) => c.byRound.length - 1));
  const x = (k: number) => m.l + ((W - m.l - m.r) * k) / maxK;
  const y = (p: number) => m.t + (H - m.t - m.b) * (1 - p);
  const parts: string[] = [];
  for (let t = 0; t <= 10; t += 2) {
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${y(t / 10)}" y2="${y(t / 10)}" stroke="#e5e9ef"/><text x="${m.l - 6}" y="${y(t / 10) + 4}" text-anchor="end">${t * 10}%</text>`,
    );
  }
  for (let k = 0; k <= maxK; k++) parts.push(`<text x="${x(k)}" y="${H - m.b + 16}" text-anchor="middle">${k}</text>`);
  parts.push(
    `<text x="${(W + m.l) / 2}" y="${H - 6}" text-anchor="middle">rounds (0 = the original image alone)</text>`,
  );
  if (chance !== null)
    parts.push(
      `<line id="chance-line" x1="${m.l}" x2="${W - m.r}" y1="${y(chance)}" y2="${y(chance)}" stroke="#888" stroke-dasharray="5 4"/><text x="${W - m.r}" y="${y(chance) - 4}" text-anchor="end" fill="#666">chance ${pct(chance, 0)}</text>`,
    );
  cells.forEach((c, i) => {
    const col = COLOURS[i % COLOURS.length];
    const pts = c.byRound.map((a, k) => `${x(k)},${y(a.accuracy)}`).join(' ');
    const bars = c.byRound
      .map(
        (a: AccuracyCell, k) =>
          `<line x1="${x(k)}" x2="${x(k)}" y1="${y(a.low)}" y2="${y(a.high)}" stroke="${col}" stroke-width="2" opacity="0.5"><title>${esc(c.label)}, after ${k}: ${pct(a.accuracy)} [${pct(a.low)}, ${pct(a.high)}], n=${a.n}</title></line><circle cx="${x(k)}" cy="${y(a.accuracy)}" r="3.5" fill="${col}"/>`,
      )
      .join('');
    parts.push(
      `<g class="cell-line"><polyline points="${pts}" fill="none" stroke="${col}" stroke-width="2"/>${bars}</g>`,
    );
  });
  const legend = cells
    .map((c, i) => `<span><i style="background:${COLOURS[i % COLOURS.length]}"></i>${esc(c.label)}</span>`)
    .join('');
  return `<svg class="plot" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="accuracy against rounds">${parts.join('')}</svg><div class="legend">${legend}</div>`;
}

function categoryTable(c: CellSummary): string {
  const ks = c.byRound.map((_, k) => k);
  const row = (name: string, a: AccuracyCell[]) =>
    `<tr><td>${esc(name)}</td><td>${a[0]?.n ?? 0}</td>${a.map((v) => `<td title="[${pct(v.low)}, ${pct(v.high)}]">${v.n ? pct(v.accuracy) : '—'}</td>`).join('')}</tr>`;
  return `<section class="panel cell"><h3>${esc(c.label)}</h3>
<p class="muted"><code>${esc(c.key)}</code></p>
<p><b>${esc(c.official.label)}:</b> ${pct(c.official.byRound[c.official.byRound.length - 1])} · <b>micro average:</b> ${pct(c.byRound[c.byRound.length - 1]?.accuracy)} (n=${c.items}${c.presentations !== c.items ? `, ${c.presentations} presentations` : ''})</p>
<table><thead><tr><th>category</th><th>n</th>${ks.map((k) => `<th>after ${k}</th>`).join('')}</tr></thead><tbody>
${row('all', c.byRound)}
${Object.entries(c.byCategory)
  .map(([cat, a]) => row(cat, a))
  .join('\n')}
</tbody></table>
<p class="muted">errors ${c.errors} · unparsed replies ${c.unparsed} · calls ${c.calls} (${c.cachedCalls} cached) · views ${c.views} · ${c.seconds.toFixed(1)} s</p>
</section>`;
}

/** The report's HTML (pure: the caller writes it). `lines`: this run's results lines. */
export function renderEvalReport(s: EvalSummary, lines: EvalLine[]): string {
  const p = PROTOCOLS[s.format];
  const byItem = new Map<string, Map<string, EvalLine>>();
  for (const l of lines) {
    const m = byItem.get(l.item) ?? new Map<string, EvalLine>();
    m.set(l.cell, l);
    byItem.set(l.item, m);
  }
  const categories = [...new Set(lines.map((l) => l.category))].sort();
  const rows = [...byItem].map(([id, perCell]) => {
    const any = [...perCell.values()][0];
    const trace = [...perCell.values()].find((l) => l.trace)?.trace;
    const wrong = [...perCell.values()].some((l) => !l.correct);
    const changed = [...perCell.values()].some((l) => (l.rounds[0]?.fused ?? '') !== l.final);
    const thumb = trace ? `${trace}/${originalFile(0)}` : (any.images?.[0] ?? '');
    const cellsHtml = s.cells
      .map((c) => {
        const l = perCell.get(c.key);
        if (!l) return '<td class="muted">—</td>';
        const r0 = l.rounds[0]?.fused ?? '';
        const mark = l.status === 'error' ? 'error' : l.correct ? '✓' : '✗';
        const link = l.trace ? `<a class="trace" href="${esc(encodeURI(l.trace))}/index.html">trace</a>` : '';
        return `<td class="${l.correct ? 'ok' : 'bad'}" title="${esc(l.error ?? '')}">${esc(r0 || '·')} → <b>${esc(l.final || '·')}</b> ${mark} ${link}</td>`;
      })
      .join('');
    const q = any.question ?? '';
    return `<tr id="item-${esc(id)}" data-category="${esc(any.category)}" data-wrong="${wrong ? 1 : 0}" data-changed="${changed ? 1 : 0}">
<td>${thumb ? `<img class="thumb" loading="lazy" src="${esc(encodeURI(thumb))}" alt="">` : ''}</td>
<td><code>${esc(id)}</code><div class="q" title="${esc(q)}">${esc(q.slice(0, 160))}</div>${any.choices ? `<div class="muted">${any.choices.map((o, i) => `${String.fromCharCode(65 + i)}. ${esc(o)}`).join(' · ')}</div>` : ''}</td>
<td>${esc(any.category)}</td><td><b>${esc(any.truth || '?')}</b></td>${cellsHtml}</tr>`;
  });
  const chance = chanceRate(lines.filter((l) => l.cell === s.cells[0]?.key));
  const notes = [
    s.limited
      ? `<p class="warn">Limited run: ${s.limited.items}${s.limited.of !== undefined ? ` of ${s.limited.of}` : ''} item(s) — not the benchmark's metric, which needs the whole set.</p>`
      : '',
    s.predictOnly
      ? `<p class="warn">Predictions only: the answers are hidden in this split; see ${esc(s.files.submission ?? '')}.</p>`
      : '',
    s.pending
      ? `<p class="warn">Incomplete: ${s.pending} (cell, item) pair(s) not run yet; rerun the same command to continue.</p>`
      : '',
  ].join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<title>Vantage eval — ${esc(p.title)} — ${esc(s.model)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2733;background:#f6f8fa}
header,main{padding:12px 20px}header{background:#fff;border-bottom:1px solid #dde3ea}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:18px 0 8px}h3{font-size:14px;margin:0 0 6px}
.muted{color:#68778a;font-size:12px}.warn{background:#fff4d6;border:1px solid #f0d68a;padding:6px 10px;border-radius:4px}
.panel{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:10px 12px}
.cells{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}.cell{flex:1 1 320px}
table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #eef1f4;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f1f4f7}.ok b{color:#2e7d32}.bad b{color:#c62828}
.thumb{width:72px;height:54px;object-fit:cover;border-radius:3px;background:#eee}.q{max-width:520px}
.legend span{margin-right:12px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
svg.plot text{font-size:11px;fill:#445}.filters{margin:8px 0;display:flex;gap:14px;align-items:center;flex-wrap:wrap}
tr.hidden{display:none}:target{outline:2px solid #f58518}
</style>
</head>
<body>
<header>
<h1>${esc(p.title)} — ${esc(s.model)}</h1>
<p class="muted">${esc(s.dataFiles.join(', '))} · format ${esc(s.format)} · ${s.items} item(s) × ${s.cells.length} cell(s) · options ${esc(s.optionOrder)}${s.optionOrder === 'shuffle' ? ` (seed ${s.seed})` : ''} · ${s.skipped.length} record(s) skipped</p>
<p class="muted">Official metric: ${esc(p.headline.label)} — ${esc(p.headline.reference)}. Categories: ${esc(p.categories)}. Intervals: Wilson 95%.</p>
${notes}
</header>
<main>
<h2>Accuracy after k rounds</h2>
<div class="panel" id="plot">${roundsPlotSvg(s.cells, chance)}</div>
<h2>Cells</h2>
<div class="cells" id="cells">
${s.cells.map(categoryTable).join('\n')}
</div>
<h2>Items</h2>
<div class="filters panel">
<label><input type="checkbox" id="f-wrong"> wrong only</label>
<label><input type="checkbox" id="f-changed"> changed by the loop</label>
<label>category <select id="f-category"><option value="">all</option>${categories.map((c) => `<option>${esc(c)}</option>`).join('')}</select></label>
<span class="muted" id="f-count"></span>
</div>
<table id="items"><thead><tr><th></th><th>item</th><th>category</th><th>truth</th>${s.cells.map((c) => `<th>${esc(c.label)}<div class="muted">round 0 → final</div></th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
</main>
<script>
(function () {
  var wrong = document.getElementById('f-wrong'), changed = document.getElementById('f-changed'), cat = document.getElementById('f-category');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#items tbody tr'));
  function apply() {
    var shown = 0;
    rows.forEach(function (r) {
      var ok = (!wrong.checked || r.dataset.wrong === '1') && (!changed.checked || r.dataset.changed === '1') && (!cat.value || r.dataset.category === cat.value);
      r.classList.toggle('hidden', !ok);
      if (ok) shown++;
    });
    document.getElementById('f-count').textContent = shown + ' of ' + rows.length + ' shown';
  }
  [wrong, changed, cat].forEach(function (e) { e.addEventListener('change', apply); });
  apply();
})();
</script>
</body>
</html>
`;
}

/** Write the report atomically. */
export async function writeEvalReport(path: string, s: EvalSummary, lines: EvalLine[]): Promise<void> {
  await writeFileAtomic(path, renderEvalReport(s, lines));
}
