/**
 * The browser viewer's frame time for an orbit drag: the page asks for a frame, the server renders
 * it, encodes JPEG and sends it over 127.0.0.1 — measured here as the full HTTP round trip of
 * /api/frame (what the page waits for), for a sweep of azimuths like a drag, the tabletop fixture at
 * the default frame size (512×384), with the renderer `auto` picks (WebGPU, else the reference). The
 * page asks for points while the camera moves and for the chosen mode (gaussians) once it rests.
 */
import { startView } from '../src/commands/view.js';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

export async function benchViewer(): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  for (const render of ['points', 'gaussians'] as const) {
    const h = await startView({ fixture: 'tabletop', render });
    try {
      const u = new URL(h.url);
      const t = u.searchParams.get('t')!;
      const server = { total: [] as number[], render: [] as number[], encode: [] as number[], bytes: [] as number[] };
      let kind = '';
      for (let i = -1; i < 16; i++) {
        const pose = { mode: 'orbit', azimuth_deg: -i * 3, elevation_deg: 5 + i, distance_scale: 1 };
        const t0 = performance.now();
        const r = await fetch(`${u.origin}/api/frame?t=${t}&pose=${encodeURIComponent(JSON.stringify(pose))}`);
        const body = await r.arrayBuffer();
        const ms = performance.now() - t0;
        if (!r.ok) throw new Error(`frame failed: ${r.status}`);
        if (i < 0) {
          const info = (await (await fetch(`${u.origin}/api/scene?t=${t}`)).json()) as { renderer: string };
          kind = info.renderer;
          continue; // warm-up: shader compile, scene upload
        }
        const timing = r.headers.get('server-timing') ?? '';
        const dur = (name: string) => Number(new RegExp(`${name};dur=([0-9.]+)`).exec(timing)?.[1] ?? NaN);
        server.total.push(ms);
        server.render.push(dur('render'));
        server.encode.push(dur('encode'));
        server.bytes.push(body.byteLength);
      }
      const note = `${kind} renderer, tabletop fixture, ${render}, 512×384 JPEG (~${Math.round(median(server.bytes) / 1024)} kB), median of 16 drag steps`;
      const what =
        render === 'points' ? 'during an orbit drag (points: the draft frames)' : 'once the camera rests (gaussians)';
      figures.push(
        { name: `viewer frame ${what}: render + encode + transfer`, value: median(server.total), unit: 'ms', note },
        { name: `… of which rendering (${render})`, value: median(server.render), unit: 'ms', note },
        { name: `… of which JPEG encoding (${render})`, value: median(server.encode), unit: 'ms', note },
      );
    } finally {
      await h.close();
    }
  }
  return figures;
}
