/**
 * BLINK and CV-Bench share the shape: `question` + `choices` + "(A)" answer, and a `prompt` holding
 * the question as their official scripts send it, options included ("Two points are circled on the
 * image, labeled by A and B… Which point is closer to the camera?\nSelect from the following
 * choices.\n(A) …\n(B) …"). BLINK's eval and lmms-eval's `blink_doc_to_text` send `prompt`, so its
 * stem is the question text here (the loop lists the options itself); CV-Bench's is the same.
 */
import { splitEmbeddedOptions } from '../normalize.js';
import { bad, needOptions, optionsOf, textOf, type RawRecord } from './fields.js';

export function choicesQuestion(rec: RawRecord, usePrompt = true): { text: string; options: string[] } {
  let text = textOf(rec.question)?.trim();
  let options = optionsOf(rec.choices ?? rec.options);
  const prompt = textOf(rec.prompt);
  const split = prompt ? splitEmbeddedOptions(prompt) : undefined;
  if (options.length < 2 && split) options = split.options;
  if (usePrompt && split?.stem.trim()) text = split.stem.trim();
  else if (usePrompt && prompt?.trim() && !split) text = prompt.trim();
  if (!text) bad('no question');
  needOptions(options);
  return { text, options };
}
