import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { TourVisitReport } from '../../src/contracts/camera-status.js';
import type { KeyframeDecoderPool } from '../../src/decode/decoder-pool.js';
import type { SessionLike } from '../../src/ingest/rtsp-supervisor.js';
import { RtspError } from '../../src/ingest/rtsp/errors.js';
import type { AccessUnit, RtspSessionOptions } from '../../src/ingest/rtsp/session.js';
import { TourRunner, type TourFrame } from '../../src/ingest/tour-runner.js';

const keyframe = (withSps = true): AccessUnit => ({
  codec: 'h264',
  timestampMs: 0,
  rtpTimestamp: 0,
  keyframe: true,
  data: Buffer.from([0, 0, 0, 1, 0x65]),
  parameterSets: withSps ? { sps: [Buffer.from([0x67])], pps: [Buffer.from([0x68])] } : { sps: [], pps: [] },
});

/** What each fake camera does on a visit: send a keyframe after `ms`, fail with an error, or send nothing. */
type Behaviour = { keyframeAfterMs: number; parameterSets?: boolean } | { error: RtspError } | { silent: true } | { throws: true };

class FakeSession extends EventEmitter implements SessionLike {
  closed = false;
  constructor(private readonly b: Behaviour) {
    super();
  }
  start(): void {
    const b = this.b;
    if ('keyframeAfterMs' in b) setTimeout(() => !this.closed && this.emit('accessUnit', keyframe(b.parameterSets !== false)), b.keyframeAfterMs);
    if ('error' in b)
      setTimeout(() => {
        this.emit('error', b.error);
        this.end();
      }, 5);
  }
  async close(): Promise<void> {
    this.end();
  }
  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('state', 'closed');
  }
}

const pool = { width: 4, height: 4, pixelFormat: 'bgr24', decode: async () => ({ data: Buffer.alloc(48), contentWidth: 4, contentHeight: 3, sourceWidth: 8, sourceHeight: 6, complete: true }) } as unknown as KeyframeDecoderPool;

function setup(behaviours: Record<string, Behaviour>, maxVisits = 1) {
  const open = { now: 0, max: 0 };
  const visits: TourVisitReport[] = [];
  const frames = new Map<string, TourFrame[]>();
  const downs = new Map<string, Array<{ permanent: boolean; reason: string }>>();
  const runner = new TourRunner({
    pool,
    maxVisits,
    visitTimeoutMs: 150,
    missTolerance: 0.5,
    backoff: { baseMs: 50, maxMs: 400, jitter: 0 },
    onVisit: (v) => visits.push(v),
    createSession: (o: RtspSessionOptions): SessionLike => {
      const b = behaviours[new URL(o.url).pathname.slice(1)]!;
      if ('throws' in b) throw new Error('bad url');
      const s = new FakeSession(b);
      open.now++;
      open.max = Math.max(open.max, open.now);
      s.on('state', () => open.now--);
      return s;
    },
  });
  for (const id of Object.keys(behaviours)) {
    frames.set(id, []);
    downs.set(id, []);
    runner.add({ id, url: `rtsp://cam/${id}`, tour: { revisitSec: 0.3, priority: 1, hours: [] } }, { frame: (f) => frames.get(id)!.push(f), down: (d) => downs.get(id)!.push(d) });
  }
  return { runner, open, visits, frames, downs };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tour runner (fake sessions)', () => {
  it('visits every camera in turn with at most maxVisits sessions open, each closed after its keyframe', async () => {
    const t = setup({ a: { keyframeAfterMs: 20 }, b: { keyframeAfterMs: 20 }, c: { keyframeAfterMs: 20 } }, 2);
    await sleep(1_000);
    await t.runner.close();
    for (const id of ['a', 'b', 'c']) expect(t.frames.get(id)!.length, id).toBeGreaterThanOrEqual(2);
    expect(t.open.max).toBeLessThanOrEqual(2);
    expect(t.open.now).toBe(0);
    expect(t.visits.every((v) => v.ok)).toBe(true);
  });

  it('gives each failure its reason and backoff and keeps visiting the others: 401 and 404 permanent, 454, timeouts and bad URLs', async () => {
    const t = setup({
      good: { keyframeAfterMs: 10 },
      auth: { error: new RtspError('unauthorized', '401 Unauthorized', 401) },
      missing: { error: new RtspError('not_found', '404 Not Found', 404) },
      dropped: { error: new RtspError('session_not_found', '454 Session Not Found', 454) },
      silent: { silent: true },
      noSps: { keyframeAfterMs: 10, parameterSets: false },
      broken: { throws: true },
    }, 2);
    await sleep(1_500);
    await t.runner.close();
    expect(t.frames.get('good')!.length).toBeGreaterThanOrEqual(3);
    const first = (id: string) => t.downs.get(id)![0]!;
    expect(first('auth')).toMatchObject({ permanent: true, reason: expect.stringMatching(/^authentication failed \(401\)/) });
    expect(first('missing')).toMatchObject({ permanent: true, reason: expect.stringMatching(/^stream not found \(404\)/) });
    expect(first('dropped')).toMatchObject({ permanent: false, reason: expect.stringMatching(/454/) });
    expect(first('silent')).toMatchObject({ permanent: false, reason: expect.stringMatching(/^no keyframe within 0.15 s of the visit: no video/) });
    expect(first('noSps').reason).toMatch(/without their parameter sets/);
    expect(first('broken')).toMatchObject({ permanent: true, reason: expect.stringMatching(/cannot open the camera URL/) });
    // Permanent failures wait the longest backoff (400 ms): at most ~4 tries in 1.5 s, the good camera more.
    expect(t.downs.get('auth')!.length).toBeLessThanOrEqual(4);
    for (const id of ['auth', 'missing', 'silent', 'broken']) expect(t.frames.get(id)).toHaveLength(0);
    expect(t.open.now).toBe(0);
  });

  it('a held camera is not visited until released; info says so', async () => {
    const t = setup({ a: { keyframeAfterMs: 10 }, b: { keyframeAfterMs: 10 } });
    await sleep(100);
    t.runner.hold('a');
    const atHold = t.frames.get('a')!.length;
    await sleep(700);
    expect(t.frames.get('a')!.length).toBeLessThanOrEqual(atHold + 1); // one visit may have been under way
    expect(t.runner.info('a')).toMatchObject({ held: true, nextDueAt: undefined });
    expect(t.runner.held).toBe(1);
    const atRelease = t.frames.get('a')!.length;
    t.runner.release('a');
    // Watched until the release: due one revisit (300 ms) later, not at once.
    expect(t.runner.info('a')!.nextDueAt).toBeGreaterThan(Date.now() + 200);
    await sleep(500);
    await t.runner.close();
    expect(t.frames.get('a')!.length).toBeGreaterThan(atRelease);
  });

  it('a removed camera is cut short mid-visit and brings nothing', async () => {
    const t = setup({ slow: { keyframeAfterMs: 100 } });
    await sleep(20);
    t.runner.remove('slow');
    await sleep(200);
    expect(t.frames.get('slow')).toHaveLength(0);
    expect(t.open.now).toBe(0);
    await t.runner.close();
  });
});
