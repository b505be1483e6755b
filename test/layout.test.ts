/**
 * The layers of docs/design.md, checked on the import graph with type-only imports included (the
 * lint's cycle rule skips those): core ← synth ← loop ← src, fixtures on core and synth, loop never on
 * fixtures, no folder on test/ or bench/, and no import cycle between files.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/built-dist.js';

const LAYERS: Record<string, string[]> = {
  core: ['core'],
  synth: ['core', 'synth'],
  fixtures: ['core', 'synth', 'fixtures'],
  loop: ['core', 'synth', 'loop'],
  src: ['core', 'synth', 'loop', 'fixtures', 'src'],
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sources(p);
    return n.endsWith('.ts') && !n.endsWith('.d.ts') ? [p] : [];
  });
}

/** File → the project files it imports (values and types), as repo-relative paths. */
function importGraph(): Map<string, string[]> {
  const files = Object.keys(LAYERS).flatMap((d) => sources(join(REPO_ROOT, d)));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const info = ts.preProcessFile(readFileSync(f, 'utf8'), true, true);
    const deps = info.importedFiles
      .map((i) => i.fileName)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolve(dirname(f), s).replace(/\.js$/, '.ts'))
      .filter((t) => known.has(t));
    graph.set(relative(REPO_ROOT, f), [...new Set(deps.map((t) => relative(REPO_ROOT, t)))]);
  }
  return graph;
}

const layerOf = (f: string) => f.split('/')[0];

describe('layout', () => {
  const graph = importGraph();

  it('finds the project files', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect([...graph.keys()].some((f) => f.startsWith('core/'))).toBe(true);
  });

  it('imports only point down the layers', () => {
    const upward: string[] = [];
    for (const [f, deps] of graph) {
      for (const t of deps) if (!LAYERS[layerOf(f)].includes(layerOf(t))) upward.push(`${f} -> ${t}`);
    }
    expect(upward).toEqual([]);
  });

  it('has no import cycle, type-only imports included', () => {
    // Tarjan's strongly connected components
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const on = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string) => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      on.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!idx.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
      if (low.get(v) === idx.get(v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          on.delete(w);
          comp.push(w);
        } while (w !== v);
        if (comp.length > 1) cycles.push(comp.sort());
      }
    };
    for (const v of graph.keys()) if (!idx.has(v)) visit(v);
    expect(cycles).toEqual([]);
  });
});
