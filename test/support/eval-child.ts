/**
 * Runs `runEval` in a child process so that a test can kill it with SIGKILL mid-run (started with
 * vite-node, which runs the TypeScript sources directly). Options come as JSON in argv[2]; a line
 * "started" is printed once the run is under way.
 */
import { runEval, type EvalOptions } from '../../loop/eval/run.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as EvalOptions;
process.stdout.write('started\n');
runEval({ ...opts, progress: 'none', log: () => {} }).then(
  () => process.stdout.write('finished\n'),
  (e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  },
);
