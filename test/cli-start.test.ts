/** Fast start: the CLI loads only the command it runs; `--help` lists every command without loading any. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandAsked, registerCommands } from '../src/commands/index.js';

describe('lazy commands', () => {
  it('finds the command the arguments run or ask help for', () => {
    expect(commandAsked(['render', '--ply', 'a.ply'])).toBe('render');
    expect(commandAsked(['--help'])).toBeUndefined();
    expect(commandAsked(['help', 'eval'])).toBe('eval');
  });

  it('lists every command, and loads only the one asked for', async () => {
    const program = new Command();
    await registerCommands(program, ['render', '--help']);
    expect(program.commands.map((c) => c.name())).toEqual(COMMANDS.map((c) => c.usage.split(' ')[0]));
    const withOptions = program.commands.filter((c) => c.options.length > 0).map((c) => c.name());
    expect(withOptions).toEqual(['render']);
  });

  it('loads them all when given no arguments', async () => {
    const program = new Command();
    await registerCommands(program);
    expect(program.commands.every((c) => c.options.length > 0)).toBe(true);
  });
});
