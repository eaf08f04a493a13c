import { PatrolError } from '../../src/errors.js';

/** The PatrolError `fn` throws (its message and hint are what a user reads); anything else fails the test. */
export function errorOf(fn: () => unknown): PatrolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PatrolError) return err;
    throw err;
  }
  throw new Error('expected a PatrolError');
}
