import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY, resolveRetry } from '../../src/dispatch/backoff.js';
import { fromBullJobId, toBullJobId } from '../../src/dispatch/job-id.js';
import type { Log } from '../../src/log/log.js';
import { checkMessage } from '../../src/dispatch/message.js';
import { supersedes } from '../../src/dispatch/order.js';
import { isConnectionError, OutageLog } from '../../src/dispatch/outage.js';
import { jobIdFor } from '../../src/dispatch/queue.js';
import { type DispatchMessage } from '../../src/contracts/dispatch-message.js';
import { redactRedisUrl, scrubSecret } from '../../src/log/redact.js';
import type { PatrolEvent } from '../../src/contracts/event.js';

function event(over: Partial<PatrolEvent> = {}): PatrolEvent {
  return {
    id: 'cam1:z1:stall:1700000000000',
    cameraId: 'cam1',
    zoneId: 'z1',
    type: 'stall',
    startedAt: 1_700_000_000_000,
    confirmedAt: 1_700_000_005_000,
    lastSeenAt: 1_700_000_010_000,
    endedAt: null,
    peakScore: 0.8,
    bestBoxes: [],
    model: 'yolox_nano',
    evidence: { sha256: {} },
    ...over,
  };
}

describe('backoffDelay', () => {
  const p = { backoffMs: 1000, maxBackoffMs: 60_000 };
  it('doubles from backoffMs like BullMQ exponential', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, p))).toEqual([1000, 2000, 4000, 8000, 16000]);
  });
  it('is capped, also where 2^n overflows', () => {
    expect(backoffDelay(7, p)).toBe(60_000);
    expect(backoffDelay(5000, p)).toBe(60_000);
  });
  it('is 0 before the first retry and for nonsense input', () => {
    expect(backoffDelay(0, p)).toBe(0);
    expect(backoffDelay(Number.NaN, p)).toBe(0);
  });
  it('is monotone and within [backoffMs, max] for every retry', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 1e7 }), (a, base, extra) => {
        const q = { backoffMs: base, maxBackoffMs: base + extra };
        const d = backoffDelay(a, q);
        expect(d).toBeGreaterThanOrEqual(base);
        expect(d).toBeLessThanOrEqual(q.maxBackoffMs);
        expect(backoffDelay(a + 1, q)).toBeGreaterThanOrEqual(d);
      }),
    );
  });
  it('default policy: 12 deliveries, about 34 minutes of retries', () => {
    const total = Array.from({ length: DEFAULT_RETRY.attempts - 1 }, (_, i) => backoffDelay(i + 1, DEFAULT_RETRY)).reduce((a, b) => a + b, 0);
    expect(total).toBe(2047_000);
  });
  it('rejects a retry policy that cannot work', () => {
    expect(() => resolveRetry({ attempts: 0 })).toThrow(/attempts/);
    expect(() => resolveRetry({ backoffMs: 10, maxBackoffMs: 5 })).toThrow(/backoffMs/);
    expect(resolveRetry({ attempts: 3 })).toEqual({ ...DEFAULT_RETRY, attempts: 3 });
  });
});

describe('redactRedisUrl', () => {
  it.each([
    ['redis://user:s3cret@redis.internal:6379/0', 'redis://user:***@redis.internal:6379/0'],
    ['redis://:s3cret@10.0.0.5:6380', 'redis://:***@10.0.0.5:6380'],
    ['rediss://default:p%40ss%3Aword@cache.example.com', 'rediss://default:***@cache.example.com'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['redis://user@host:6379', 'redis://user@host:6379'],
  ])('%s → %s', (url, want) => {
    expect(redactRedisUrl(url)).toBe(want);
  });
  it('blanks credentials of something that does not parse as a URL', () => {
    expect(redactRedisUrl('redis://us er:pw@ho st')).not.toContain('pw');
  });
  it('never leaks the password', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{3,20}$/), fc.stringMatching(/^[A-Za-z0-9]{6,20}$/), (user, pw) => {
        fc.pre(!`redis.example.com:6379${user}`.includes(pw));
        expect(redactRedisUrl(`redis://${user}:${pw}@redis.example.com:6379`)).not.toContain(pw);
      }),
    );
  });
  it('scrubSecret removes the password from driver messages', () => {
    expect(scrubSecret('WRONGPASS for s3cret', 'redis://:s3cret@h:1')).toBe('WRONGPASS for ***');
    expect(scrubSecret('connect ECONNREFUSED', 'not a url')).toBe('connect ECONNREFUSED');
  });
});

describe('toBullJobId', () => {
  it('passes ordinary ids through unchanged', () => {
    expect(toBullJobId('evt-7f3a.ended')).toBe('evt-7f3a.ended');
    expect(toBullJobId(jobIdFor('updated', 'evt-1', 3))).toBe('evt-1.u3');
  });
  it('encodes ":" (BullMQ key separator) and integer-looking ids', () => {
    expect(toBullJobId('cam1:z1:stall:17')).toBe('cam1%3Az1%3Astall%3A17');
    expect(toBullJobId('12345')).toBe('%N12345');
    expect(toBullJobId('-3')).toBe('%N-3');
    expect(toBullJobId('50%')).toBe('50%25');
  });
  it('rejects an empty id (BullMQ would assign a random one and dedupe would be lost)', () => {
    expect(() => toBullJobId('')).toThrow(/empty/);
  });
  it('is injective, round-trips, and yields ids BullMQ accepts', () => {
    const idChars = fc.string({ unit: fc.constantFrom('a', '1', '0', ':', '%', 'N', '3', 'A', '2', '5', '.', '-', 'é'), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(idChars, idChars, (a, b) => {
        const ea = toBullJobId(a);
        expect(ea).not.toContain(':');
        expect(`${Number.parseInt(ea, 10)}`).not.toBe(ea);
        expect(fromBullJobId(ea)).toBe(a);
        if (a !== b) expect(toBullJobId(b)).not.toBe(ea);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('checkMessage', () => {
  const ok: DispatchMessage = { jobId: 'e1', kind: 'opened', event: event({ id: 'e1' }), publishedAt: 1 };
  it('accepts a valid message', () => {
    expect(checkMessage(ok)).toEqual(ok);
  });
  it('names the bad field', () => {
    expect(() => checkMessage({ ...ok, event: { ...ok.event, peakScore: 'high' } } as unknown as DispatchMessage)).toThrow(/event\.peakScore/);
    expect(() => checkMessage({ ...ok, jobId: '' })).toThrow(/jobId/);
  });
});

describe('supersedes (consumer tolerance of out-of-order delivery)', () => {
  const opened = event({ lastSeenAt: 10 });
  const updated = event({ lastSeenAt: 20 });
  const ended = event({ lastSeenAt: 20, endedAt: 50 });
  it('ended beats open in either arrival order', () => {
    expect(supersedes(ended, opened)).toBe(true);
    expect(supersedes(opened, ended)).toBe(false);
    expect(supersedes(updated, ended)).toBe(false);
  });
  it('later lastSeenAt wins; a redelivery rewrites harmlessly', () => {
    expect(supersedes(updated, opened)).toBe(true);
    expect(supersedes(opened, updated)).toBe(false);
    expect(supersedes(opened, opened)).toBe(true);
    expect(supersedes(opened, undefined)).toBe(true);
  });
  it('any arrival order of opened/updated/ended converges to the ended record', () => {
    const msgs = [event({ lastSeenAt: 10 }), event({ lastSeenAt: 15 }), event({ lastSeenAt: 20 }), event({ lastSeenAt: 20, endedAt: 40 })];
    fc.assert(
      fc.property(fc.shuffledSubarray(msgs, { minLength: msgs.length, maxLength: msgs.length }), fc.array(fc.nat(3), { maxLength: 4 }), (order, dups) => {
        let stored: PatrolEvent | undefined;
        for (const m of [...order, ...dups.map((i) => msgs[i]!)]) if (supersedes(m, stored)) stored = m;
        expect(stored?.endedAt).toBe(40);
      }),
    );
  });
});

describe('OutageLog', () => {
  function recorder(): Log & { lines: { level: string; obj: object; msg?: string }[] } {
    const lines: { level: string; obj: object; msg?: string }[] = [];
    const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
    return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  }
  it('logs one line when an outage starts and one when it ends, with the URL redacted', () => {
    const log = recorder();
    let now = 1000;
    const o = new OutageLog(log, 'redis://:hunter22@redis:6379', () => now);
    for (let i = 0; i < 50; i++) o.failed(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6379'), { code: 'ECONNREFUSED' }), 'producer');
    expect(o.down).toBe(true);
    now = 6000;
    o.recovered('producer');
    o.recovered('producer');
    expect(log.lines.map((l) => l.level)).toEqual(['warn', 'info']);
    expect(JSON.stringify(log.lines)).not.toContain('hunter22');
    expect(log.lines[1]!.obj).toMatchObject({ downMs: 5000, errors: 50, redis: 'redis://:***@redis:6379' });
    o.failed(new Error('Connection is closed.'), 'worker');
    expect(log.lines).toHaveLength(3);
  });
  it('tells connection failures from bugs', () => {
    expect(isConnectionError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isConnectionError(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(true);
    expect(isConnectionError(new Error('BullMQ add timed out after 2000 ms'))).toBe(true);
    expect(isConnectionError(new TypeError('Cannot read properties of undefined'))).toBe(false);
    expect(isConnectionError('ECONNREFUSED')).toBe(false);
  });
});
