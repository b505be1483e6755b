/**
 * Every sub-command, in the order `vantage --help` lists them. A command's module (and all it
 * imports: sharp, onnxruntime, the MCP SDK, …) loads only when that command runs or shows its help,
 * so `vantage --version` and `vantage --help` start in a fraction of the time.
 */
import type { Command } from 'commander';

interface CommandEntry {
  /** the name and arguments as the command declares them */
  usage: string;
  /** its line in `vantage --help` (the command's own help has the full description) */
  summary: string;
  load: () => Promise<(program: Command) => void>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    usage: 'demo',
    summary: 'answer a procedural question set with the built-in perceiver; accuracy by round',
    load: async () => (await import('./demo.js')).registerDemoCommand,
  },
  {
    usage: 'ask',
    summary: 'answer a spatial question about an image by moving a virtual camera',
    load: async () => (await import('./ask.js')).registerAskCommand,
  },
  {
    usage: 'render',
    summary: 'render novel views of an RGB-D frame, a photo, a 3DGS PLY or a procedural scene',
    load: async () => (await import('./render.js')).registerRenderCommand,
  },
  {
    usage: 'register',
    summary: 'estimate the camera poses of several photos without poses; write them as a trajectory',
    load: async () => (await import('./register.js')).registerRegisterCommand,
  },
  {
    usage: 'eval',
    summary: 'run a benchmark through the loop: accuracy after every round, by category',
    load: async () => (await import('./eval.js')).registerEvalCommand,
  },
  {
    usage: 'worker',
    summary: 'take eval items from a job queue in Redis (vantage eval --queue) and run them',
    load: async () => (await import('./worker.js')).registerWorkerCommand,
  },
  {
    usage: 'questions',
    summary: 'write a procedural spatial question set with ground truth (native JSONL)',
    load: async () => (await import('./questions.js')).registerQuestionsCommand,
  },
  {
    usage: 'depth [image]',
    summary: 'estimate a depth map from one photo with a monocular depth model (ONNX)',
    load: async () => (await import('./depth.js')).registerDepthCommand,
  },
  {
    usage: 'mcp',
    summary: 'serve lift_scene, render_view and answer_spatial_question over MCP',
    load: async () => (await import('./mcp.js')).registerMcpCommand,
  },
  {
    usage: 'tools',
    summary: 'print the agent tools as JSON schemas',
    load: async () => (await import('./tools.js')).registerToolsCommand,
  },
  {
    usage: 'nvs-eval',
    summary: 'measure novel-view fidelity (PSNR, coverage) of points vs gaussians',
    load: async () => (await import('./nvs-eval.js')).registerNvsEvalCommand,
  },
  {
    usage: 'view [trace]',
    summary: 'look around a lifted scene or a trace in your browser (local server, live pose JSON)',
    load: async () => (await import('./view.js')).registerViewCommand,
  },
];

const nameOf = (e: CommandEntry) => e.usage.split(' ')[0];

/** The sub-command `args` (argv after node and the script) runs or asks help for, if any. */
export function commandAsked(args: readonly string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * Register every command: the one `args` asks for in full (its module loaded), the others as
 * entries of the help listing only. `args` undefined loads them all.
 */
export async function registerCommands(program: Command, args?: readonly string[]): Promise<void> {
  const asked = args && commandAsked(args);
  for (const entry of COMMANDS) {
    if (!args || nameOf(entry) === asked) (await entry.load())(program);
    else program.command(entry.usage).summary(entry.summary);
  }
}
