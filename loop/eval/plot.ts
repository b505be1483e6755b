/**
 * Accuracy against rounds, one line per grid cell, as a self-contained SVG (axes, grid, 95%
 * interval whiskers, legend); the PNG is the same SVG rasterised by sharp.
 */
import sharp from 'sharp';
import type { CellSummary } from './types.js';

/** Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), then Tableau. */
const COLOURS = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#D55E00',
  '#CC79A7',
  '#56B4E9',
  '#F0E442',
  '#000000',
  '#4E79A7',
  '#F28E2B',
  '#59A14F',
  '#E15759',
  '#B07AA1',
  '#9C755F',
];
const DASHES = ['', '6 3', '2 3', '8 3 2 3'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface PlotOptions {
  title?: string;
  width?: number;
}

/** The SVG text of the plot. Cells with no items are left out (there is nothing to draw). */
export function accuracyPlotSvg(cells: CellSummary[], opts: PlotOptions = {}): string {
  const shown = cells.filter((c) => c.items > 0);
  const W = opts.width ?? 760;
  const legendRowH = 18;
  const legendH = Math.max(1, shown.length) * legendRowH + 12;
  const plotH = 340;
  const m = { left: 62, right: 24, top: 44, bottom: 52 };
  const H = m.top + plotH + m.bottom + legendH;
  const pw = W - m.left - m.right;
  const maxK = Math.max(1, ...shown.map((c) => c.byRound.length - 1));
  const pad = 18; // keeps the first and last whiskers off the frame
  const x = (k: number) => m.left + pad + (k / maxK) * (pw - 2 * pad);
  const y = (a: number) => m.top + (1 - a) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="24" font-size="16" text-anchor="middle" fill="#222">${esc(opts.title ?? 'Accuracy after k rounds')}</text>`,
  ];
  // grid and axes
  for (let t = 0; t <= 10; t++) {
    const a = t / 10;
    parts.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${y(a)}" y2="${y(a)}" stroke="${t % 5 ? '#eee' : '#ccc'}" stroke-width="1"/>`,
    );
    if (t % 2 === 0)
      parts.push(
        `<text x="${m.left - 8}" y="${y(a) + 4}" font-size="12" text-anchor="end" fill="#444">${t * 10}%</text>`,
      );
  }
  for (let k = 0; k <= maxK; k++) {
    parts.push(
      `<line x1="${x(k)}" x2="${x(k)}" y1="${m.top}" y2="${m.top + plotH}" stroke="#f2f2f2" stroke-width="1"/>`,
    );
    parts.push(
      `<text x="${x(k)}" y="${m.top + plotH + 18}" font-size="12" text-anchor="middle" fill="#444">${k}</text>`,
    );
  }
  parts.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${plotH}" fill="none" stroke="#888" stroke-width="1"/>`,
  );
  parts.push(
    `<text x="${m.left + pw / 2}" y="${m.top + plotH + 40}" font-size="13" text-anchor="middle" fill="#222">rounds (views after the original image)</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${m.top + plotH / 2}) rotate(-90)" font-size="13" text-anchor="middle" fill="#222">accuracy (95% Wilson interval)</text>`,
  );

  // one line per cell, whiskers nudged sideways so that cells do not hide each other
  const nudge = (i: number) =>
    shown.length > 1 ? ((i - (shown.length - 1) / 2) / shown.length) * Math.min(14, (pw - 2 * pad) / maxK / 4) : 0;
  shown.forEach((c, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const dash = DASHES[Math.floor(i / COLOURS.length) % DASHES.length];
    const pts = c.byRound.map((a, k) => [x(k) + nudge(i), y(a.accuracy)] as const);
    parts.push(`<g data-cell="${esc(c.key)}">`);
    for (const [k, a] of c.byRound.entries()) {
      const px = pts[k][0];
      parts.push(
        `<line x1="${px}" x2="${px}" y1="${y(a.high)}" y2="${y(a.low)}" stroke="${colour}" stroke-width="1.2" opacity="0.6"/>`,
      );
    }
    if (pts.length > 1) {
      parts.push(
        `<polyline points="${pts.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="2.2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      );
    }
    for (const [px, py] of pts)
      parts.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3.5" fill="${colour}"/>`);
    parts.push('</g>');
    const ly = m.top + plotH + m.bottom + 6 + i * legendRowH;
    const last = c.byRound[c.byRound.length - 1];
    parts.push(
      `<line x1="${m.left}" x2="${m.left + 26}" y1="${ly + 6}" y2="${ly + 6}" stroke="${colour}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
    );
    parts.push(
      `<text x="${m.left + 34}" y="${ly + 10}" font-size="12" fill="#222">${esc(c.label)} — ${(100 * last.accuracy).toFixed(1)}% after ${c.byRound.length - 1} (n=${c.items})</text>`,
    );
  });
  if (!shown.length)
    parts.push(
      `<text x="${W / 2}" y="${m.top + plotH / 2}" font-size="14" text-anchor="middle" fill="#888">no finished items yet</text>`,
    );
  parts.push('</svg>');
  return parts.join('\n');
}

/** The plot as PNG (the SVG rasterised by sharp). */
export async function accuracyPlotPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 96 }).png().toBuffer();
}
