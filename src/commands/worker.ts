/**
 * `vantage worker`: runs evaluation items from a job queue in Redis (`vantage eval --queue`), on as
 * many machines as you like; the coordinator writes the results.
 */
import type { Command } from 'commander';
import { VantageError } from '../../core/errors.js';
import { QUEUE_DEFAULTS } from '../../loop/queue/config.js';
import { runWorker } from '../../loop/queue/worker.js';
import { RENDERER_CHOICE_HELP, parseRendererChoice } from '../../synth/renderer.js';
import { RENDER_PARALLEL } from '../../synth/config.js';

const int =
  (name: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new VantageError('bad-option', `${name} must be a whole number, got "${v}"`);
    return n;
  };

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('take evaluation items from a job queue in Redis (vantage eval --queue) and run them')
    .requiredOption(
      '--queue <redis-url>',
      'the queue: redis://[:PASSWORD@]HOST:PORT[/DB], as given to vantage eval --queue',
    )
    .option('--concurrency <c>', 'items in flight in this worker (default 2)', int('--concurrency'))
    .option(
      '--image-root <dir>',
      "where the data's images are on this machine (default: the coordinator's path, e.g. a shared mount)",
    )
    .option(
      '--base-url <url>',
      "the MLLM endpoint as this machine reaches it (default: the run's, else $OPENAI_BASE_URL)",
    )
    .option('--timeout <s>', "seconds per MLLM request attempt (default: the run's)", (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0)
        throw new VantageError('bad-option', `--timeout must be a number > 0, got "${v}"`);
      return n;
    })
    .option('--queue-name <name>', `the queue's name (default ${QUEUE_DEFAULTS.name})`)
    .option('--renderer <which>', RENDERER_CHOICE_HELP, (v: string) => parseRendererChoice(v), 'auto')
    .option(
      '--renders <n>',
      `renders in flight at once, on one GPU device (default ${RENDER_PARALLEL}: half the cores, 1..4)`,
      int('--renders'),
    )
    .option(
      '--lock-duration <ms>',
      `a killed worker's items run again on another worker after this long (default ${QUEUE_DEFAULTS.lockDurationMs})`,
      int('--lock-duration'),
    )
    .addHelpText(
      'after',
      `
Each item runs through the same code as a local vantage eval and its results line goes back to the
coordinator. MLLM responses are cached in the same Redis (a rerun anywhere is free), and the run's
--concurrency limits requests toward the endpoint over all workers together. The API key comes from
$OPENAI_API_KEY on each worker; it is never put in the queue.
Example:
  vantage worker --queue redis://10.0.0.5:6379 --concurrency 4 --image-root /data/mindcube
Ctrl-C (or SIGTERM) stops taking items; items in flight finish first (Ctrl-C again to quit now: they
run again on another worker).`,
    )
    .action(async (opts) => {
      const controller = new AbortController();
      let interrupts = 0;
      const onSignal = () => {
        interrupts++;
        if (interrupts === 1) {
          process.stderr.write('\nvantage worker: finishing the items in flight (Ctrl-C again to quit now)\n');
          controller.abort();
        } else process.exit(130);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const s = await runWorker({
          queue: opts.queue,
          queueName: opts.queueName,
          concurrency: opts.concurrency,
          imageRoot: opts.imageRoot,
          baseUrl: opts.baseUrl,
          timeout: opts.timeout,
          renderer: opts.renderer,
          renders: opts.renders,
          lockDurationMs: opts.lockDuration,
          signal: controller.signal,
        });
        process.stderr.write(
          `vantage worker: stopped after ${s.jobs} item(s)${s.errors ? `, ${s.errors} ended in an error` : ''}${s.failed ? `, ${s.failed} malformed job(s)` : ''}\n`,
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
