/** Every sub-command, registered in the order `vantage --help` lists them. */
import type { Command } from 'commander';
import { registerRenderCommand } from './render.js';
import { registerNvsEvalCommand } from './nvs-eval.js';
import { registerDepthCommand } from './depth.js';

export function registerCommands(program: Command): void {
  registerRenderCommand(program);
  registerDepthCommand(program);
  registerNvsEvalCommand(program);
}
