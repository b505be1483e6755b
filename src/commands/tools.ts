/**
 * `vantage tools`: print the agent tools' schemas — as MCP lists them, or with --openai as OpenAI
 * function-calling definitions in strict mode (every property required, optional ones nullable,
 * additionalProperties false), ready for the `tools` parameter of a chat completion.
 */
import type { Command } from 'commander';
import { mcpToolList, openAiTools } from '../mcp/tools.js';

export interface ToolsCommandOptions {
  openai?: boolean;
  /** Responses API shape ({ type, name, parameters, strict }) instead of Chat Completions ({ type, function }) */
  flat?: boolean;
}

/** The JSON the command prints. */
export function toolsJson(o: ToolsCommandOptions): unknown {
  return o.openai || o.flat ? openAiTools({ flat: o.flat }) : mcpToolList();
}

export function registerToolsCommand(program: Command): void {
  program
    .command('tools')
    .description('print the agent tools (lift_scene, render_view, answer_spatial_question) as JSON schemas')
    .option('--openai', 'as OpenAI function-calling tools with strict: true (Chat Completions shape)')
    .option('--flat', 'as OpenAI tools in the Responses API shape (name and parameters at the top level)')
    .addHelpText(
      'after',
      `
In strict mode every field is sent; optional fields are nullable and null means "not given".
The MCP server accepts those nulls too, so a tool call can be forwarded to \`vantage mcp\` as it is.`,
    )
    .action((opts: ToolsCommandOptions) => {
      process.stdout.write(`${JSON.stringify(toolsJson(opts), null, 2)}\n`);
    });
}
