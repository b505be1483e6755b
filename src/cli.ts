#!/usr/bin/env node
/** The `vantage` command line: one sub-command per job; errors print as one clear line, no stack. */
import { Command, CommanderError } from 'commander';
import { describeError, EXIT_CODES, exitCodeOf, isVantageError } from '../core/errors.js';
import { registerCommands } from './commands/index.js';
import { packageVersion } from '../core/package.js';

/**
 * The program with every command; given the arguments, only the command they run is loaded in
 * full (src/commands/index.ts), which keeps `--version` and `--help` fast.
 */
export async function buildProgram(args?: readonly string[]): Promise<Command> {
  const program = new Command();
  program
    .name('vantage')
    .description(
      'Let a multimodal LLM look again from somewhere else: lift an image to 3D, render novel views, fuse the answers.',
    )
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 done; 1 unexpected error (a bug: VANTAGE_DEBUG=1 shows the stack); 2 bad input or usage\n' +
        '(the message says how to fix it); 3 no answer (the model or endpoint failed; for eval: pairs left, run it\n' +
        'again to resume); 4 interrupted (Ctrl-C, --deadline).',
    )
    // usage errors end like other bad input (exit 2); commander has already printed them
    .exitOverride();
  await registerCommands(program, args);
  return program;
}

function fail(e: unknown): never {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.badInput);
  process.stderr.write(`vantage: ${describeError(e)}\n`);
  if (!isVantageError(e)) {
    if (process.env.VANTAGE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    else process.stderr.write('  (unexpected error; set VANTAGE_DEBUG=1 to see the stack, and please report it)\n');
  }
  process.exit(exitCodeOf(e));
}

process.on('unhandledRejection', fail);
buildProgram(process.argv.slice(2))
  .then((program) => program.parseAsync(process.argv))
  .catch(fail);
