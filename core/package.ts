/**
 * The package this code belongs to: its folder (the nearest package.json named "vantage" above this
 * module, from the sources or from dist/) and its version, for --version, the MCP handshake and run.json.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let found: { root: string; version: string } | null | undefined;

function find(): { root: string; version: string } | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vantage-nvs') return { root: dir, version: pkg.version ?? '0.0.0' };
    } catch {
      /* not here: look further up */
    }
  }
  return null;
}

/** The package's folder, or undefined when this module runs outside it. */
export function packageRoot(): string | undefined {
  if (found === undefined) found = find();
  return found?.root;
}

/** The package's version ("0.0.0" when it cannot be found). */
export function packageVersion(): string {
  if (found === undefined) found = find();
  return found?.version ?? '0.0.0';
}
