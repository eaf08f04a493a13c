/**
 * Rejects after `ms` if `work` has not settled. The work itself is not cancelled; its late result is ignored
 * (safe here: every write is idempotent by jobId, so a late success after a spool just dedupes on replay).
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  work.catch(() => {}); // the loser of the race must not become an unhandled rejection
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
