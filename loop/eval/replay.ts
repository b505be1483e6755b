/**
 * Replaying fusion and stop policies on recorded rounds (how the loop defaults were chosen,
 * bench/demo.ts): the same answers and views of a fixed-round run, re-fused and stopped where a
 * policy would have stopped. The perceiver's poses and answers do not depend on the fusion, so this
 * is exact for it; for an MLLM it is an approximation (its later poses saw the fused answer).
 */
import { join } from 'node:path';
import { letters } from '../../core/options.js';
import type { FusionPolicy, LoopConfig, OptionDist, RoundRecord, Trace } from '../types.js';
import { fusePosterior, roundWeight, topChoice } from '../fusion.js';
import { stopDecision } from '../stop.js';
import { readTrace } from '../trace.js';
import { readResults } from './results.js';

export interface PolicyVariant {
  fusion: FusionPolicy;
  stop: LoopConfig['stop'];
  maxRounds: number;
}

export interface PolicyOutcome {
  accuracy: number;
  /** mean number of view rounds used */
  meanViews: number;
}

/**
 * Accuracy and mean views of a fusion + stop policy, replayed on fixed-round demo traces: the same
 * answers and views (the perceiver's poses and answers do not depend on the fusion), re-fused, and
 * stopped where the policy would have stopped. The controller's own "stop" is taken where it said
 * so (fixed runs record it in the decision reason).
 */
export function replayStopPolicy(traces: { trace: Trace; answer: string }[], v: PolicyVariant): PolicyOutcome {
  let correct = 0;
  let views = 0;
  for (const t of traces) {
    const keys = letters(t.trace.question.options.length);
    const rs: RoundRecord[] = t.trace.rounds;
    const fused: string[] = [];
    const margins: number[] = [];
    let final = '';
    for (let r = 0; r < rs.length; r++) {
      const posterior: OptionDist = fusePosterior(
        v.fusion,
        rs.slice(0, r + 1).map((x) => ({ dist: x.answer.dist, weight: roundWeight(x) })),
        keys,
      );
      const top = topChoice(posterior);
      fused.push(top.choice);
      margins.push(top.margin);
      final = top.choice;
      const modelSaidStop = /^the model said stop/.test(rs[r + 1]?.decision?.reason ?? '');
      const reason = stopDecision(v.stop, {
        round: r,
        maxRounds: v.maxRounds,
        fusedChoices: fused,
        margins,
        modelSaidStop,
        tokensUsed: 0,
        msUsed: 0,
      });
      if (reason || r === rs.length - 1) {
        views += r;
        break;
      }
    }
    if (final === t.answer) correct++;
  }
  return {
    accuracy: traces.length ? correct / traces.length : 0,
    meanViews: traces.length ? views / traces.length : 0,
  };
}

/** The traces of a run's finished pairs with their truth (runs that logged samples), for replaying. */
export async function readRunTraces(out: string): Promise<{ trace: Trace; answer: string }[]> {
  const { lines } = await readResults(join(out, 'results.jsonl'));
  const traces: { trace: Trace; answer: string }[] = [];
  for (const l of lines) if (l.trace) traces.push({ trace: await readTrace(join(out, l.trace)), answer: l.truth });
  return traces;
}
