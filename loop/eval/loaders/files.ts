/**
 * The data files of a run: `--data` takes files, directories (every .jsonl, .json, .parquet and .tsv
 * under them, sorted) and globs (`*`, `?`, `**`, `[…]`) — so all of BLINK's subtask files, as the
 * Hugging Face release lays them out (BLINK/<Subtask>/val-*.parquet), can be one run.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { VantageError } from '../../../core/errors.js';

const DATA_EXTENSIONS = /\.(jsonl|json|parquet|tsv)$/i;

const isGlob = (p: string) => /[*?[]/.test(p);

/** Files under a directory, recursively, sorted by path (hidden entries skipped). */
async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** A glob as a regular expression over absolute paths ("**" crosses folders, "*" and "?" do not). */
export function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
      if (pattern[i + 1] === '/' || pattern[i + 1] === sep) i++;
    } else if (c === '*') re += '[^/\\\\]*';
    else if (c === '?') re += '[^/\\\\]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The data files `--data` names, absolute, each once, in the order given. */
export async function resolveDataFiles(data: string | readonly string[]): Promise<string[]> {
  const specs = (typeof data === 'string' ? [data] : [...data]).filter((s) => s.trim() !== '');
  if (!specs.length) throw new VantageError('bad-option', 'no --data given', 'pass --data FILE|DIR|GLOB (one or more)');
  const out: string[] = [];
  for (const spec of specs) {
    const abs = resolve(spec);
    let found: string[];
    if (isGlob(spec) && !existsSync(abs)) {
      // walk from the longest folder without a wildcard
      const parts = abs.split(/[/\\]/);
      const fixed =
        parts
          .slice(
            0,
            parts.findIndex((p) => isGlob(p)),
          )
          .join(sep) || sep;
      const re = globRegExp(abs.split(sep).join('/'));
      found = existsSync(fixed)
        ? (await walk(fixed)).filter((f) => re.test(f.split(sep).join('/')) && DATA_EXTENSIONS.test(f))
        : [];
      if (!found.length)
        throw new VantageError('bad-input', `--data ${spec} matches no .jsonl, .json, .parquet or .tsv file`);
    } else {
      let st;
      try {
        st = await stat(abs);
      } catch {
        throw new VantageError(
          'bad-input',
          `data file ${spec} does not exist`,
          'pass --data with the benchmark file(s): JSONL, JSON, parquet or TSV, a folder of them, or a glob',
        );
      }
      if (st.isDirectory()) {
        found = (await walk(abs)).filter((f) => DATA_EXTENSIONS.test(f));
        if (!found.length)
          throw new VantageError(
            'bad-input',
            `--data ${spec} is a folder without .jsonl, .json, .parquet or .tsv files`,
          );
      } else if (st.isFile()) found = [abs];
      else throw new VantageError('bad-input', `--data ${spec} is not a file`);
    }
    for (const f of found) if (!out.includes(f)) out.push(f);
  }
  return out;
}
