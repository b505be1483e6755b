/** BLINK and CV-Bench share the shape: question + choices + "(A)" answer; options may sit in `prompt`. */
import { splitEmbeddedOptions } from '../normalize.js';
import { bad, needOptions, optionsOf, textOf, type RawRecord } from './fields.js';

export function choicesQuestion(rec: RawRecord): { text: string; options: string[] } {
  const text = textOf(rec.question)?.trim();
  let options = optionsOf(rec.choices ?? rec.options);
  if (options.length < 2) {
    const prompt = textOf(rec.prompt);
    const split = prompt ? splitEmbeddedOptions(prompt) : undefined;
    if (split) options = split.options;
  }
  if (!text) bad('no question');
  needOptions(options);
  return { text, options };
}
