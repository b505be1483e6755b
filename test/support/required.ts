/**
 * Suites that need WebGPU (lavapipe) or a browser (Chromium) skip where those are missing, so a
 * laptop without them still runs the rest. Where CI installed them it sets VANTAGE_REQUIRE_GPU=1 and
 * VANTAGE_REQUIRE_BROWSER=1 (.ci/run): then a missing one fails the suite instead of hiding it.
 */
export type Requirement = 'GPU' | 'BROWSER';

/** Whether VANTAGE_REQUIRE_<what>=1 is set. */
export const required = (what: Requirement): boolean => process.env[`VANTAGE_REQUIRE_${what}`] === '1';

/** Call where the dependency turned out missing: undefined (skip) normally, an error when it is required. */
export function missing(what: Requirement, why: string): undefined {
  if (required(what)) throw new Error(`VANTAGE_REQUIRE_${what}=1, but ${why}`);
  return undefined;
}
