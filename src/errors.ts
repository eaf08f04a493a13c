/**
 * An error caused by the user's input (a config file, a manifest, a missing model): shown as a
 * one-paragraph message plus a fix, never as a stack trace.
 */
export class PatrolError extends Error {
  constructor(
    message: string,
    /** What to do about it, in one or two sentences. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'PatrolError';
  }
}

export function isPatrolError(err: unknown): err is PatrolError {
  return err instanceof PatrolError;
}
