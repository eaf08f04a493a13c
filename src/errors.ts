/**
 * An error the user can fix: printed as its message plus a hint, never as a stack trace.
 * Everything else is a bug and keeps its stack.
 */
export class PatrolError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'PatrolError';
  }

  /** One paragraph for a terminal: what is wrong, then how to fix it. */
  format(): string {
    return this.hint ? `${this.message}\n  Fix: ${this.hint}` : this.message;
  }
}

export function isPatrolError(err: unknown): err is PatrolError {
  return err instanceof PatrolError;
}
