/**
 * Failed logins per account, beside the per-IP limit: a password guesser spreading over many addresses is
 * stopped at the account, and one typo-prone colleague behind the command center's NAT no longer locks
 * out everyone there (the per-IP limit can stay generous). After `failures` wrong passwords within
 * `windowMs` the account is locked for `lockMs`; the lock expires by itself, and a right password while
 * locked is refused too (otherwise the lock would not slow a guesser down). Names that do not exist are
 * counted the same way, so the answers do not tell which names exist. In memory: a restart forgets, which
 * only errs towards letting people in.
 */
export interface ThrottlePolicy {
  failures: number;
  windowMs: number;
  lockMs: number;
}

interface Entry {
  /** Times of recent failures, oldest first. */
  failures: number[];
  lockedUntil: number;
}

const MAX_TRACKED = 10_000;

export class AccountThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly policy: ThrottlePolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /** Epoch ms until which the account is locked, or undefined when a login may be tried. */
  lockedUntil(account: string): number | undefined {
    const e = this.entries.get(account);
    return e && e.lockedUntil > this.now() ? e.lockedUntil : undefined;
  }

  /** Records a wrong password; returns the lock's end when this failure locked the account. */
  fail(account: string): number | undefined {
    const t = this.now();
    const e = this.entries.get(account) ?? { failures: [], lockedUntil: 0 };
    e.failures = e.failures.filter((at) => at > t - this.policy.windowMs);
    e.failures.push(t);
    if (e.failures.length >= this.policy.failures) {
      e.lockedUntil = t + this.policy.lockMs;
      e.failures = [];
    }
    this.entries.delete(account);
    this.entries.set(account, e);
    if (this.entries.size > MAX_TRACKED) this.prune();
    return e.lockedUntil > t ? e.lockedUntil : undefined;
  }

  succeed(account: string): void {
    this.entries.delete(account);
  }

  private prune(): void {
    const t = this.now();
    for (const [k, e] of this.entries) if (e.lockedUntil <= t && e.failures.every((at) => at <= t - this.policy.windowMs)) this.entries.delete(k);
    // Still full (a flood of distinct names): drop the oldest-touched first.
    for (const k of this.entries.keys()) {
      if (this.entries.size <= MAX_TRACKED) break;
      this.entries.delete(k);
    }
  }
}
