import { expect } from 'vitest';
import { VantageError, type ErrorCode } from '../../core/errors.js';

/**
 * Awaits a rejection (or calls a function that should throw) and checks it is a VantageError with
 * this code whose message has every part.
 */
export async function expectVantage(
  p: Promise<unknown> | (() => unknown),
  code: ErrorCode,
  ...parts: (string | RegExp)[]
): Promise<VantageError> {
  const e =
    typeof p === 'function'
      ? (() => {
          try {
            p();
            return undefined;
          } catch (err) {
            return err;
          }
        })()
      : await p.then(
          () => undefined,
          (err: unknown) => err,
        );
  expect(e, 'expected a VantageError').toBeInstanceOf(VantageError);
  const ve = e as VantageError;
  expect(ve.code).toBe(code);
  for (const part of parts) expect(ve.message).toMatch(part);
  return ve;
}
