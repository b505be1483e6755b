/** Every sub-command, registered in the order `vantage --help` lists them. */
import type { Command } from 'commander';
import { registerDemoCommand } from './demo.js';
import { registerAskCommand } from './ask.js';
import { registerRenderCommand } from './render.js';
import { registerNvsEvalCommand } from './nvs-eval.js';
import { registerDepthCommand } from './depth.js';
import { registerEvalCommand } from './eval.js';
import { registerQuestionsCommand } from './questions.js';
import { registerMcpCommand } from './mcp.js';
import { registerToolsCommand } from './tools.js';

export function registerCommands(program: Command): void {
  registerDemoCommand(program);
  registerAskCommand(program);
  registerRenderCommand(program);
  registerEvalCommand(program);
  registerQuestionsCommand(program);
  registerDepthCommand(program);
  registerMcpCommand(program);
  registerToolsCommand(program);
  registerNvsEvalCommand(program);
}
