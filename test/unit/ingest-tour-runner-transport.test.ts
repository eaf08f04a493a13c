import { describe, expect, it } from 'vitest';
import type { KeyframeDecoderPool } from '../../src/decode/decoder-pool.js';
import type { RtspSessionOptions } from '../../src/ingest/rtsp/session.js';
import { TourRunner } from '../../src/ingest/tour-runner.js';

describe('tour runner: a camera\'s rtspTransport', () => {
  it('reaches the session of every visit (udp where the camera asks, tcp otherwise)', async () => {
    const seen = new Map<string, RtspSessionOptions['transport']>();
    const runner = new TourRunner({
      pool: {} as KeyframeDecoderPool,
      maxVisits: 2,
      visitTimeoutMs: 1_000,
      missTolerance: 0.5,
      createSession: (o) => {
        seen.set(new URL(o.url).pathname.slice(1), o.transport);
        throw new Error('no camera here');
      },
    });
    const sink = { frame: () => undefined, down: () => undefined };
    runner.add({ id: 'u', url: 'rtsp://cam/u', tour: { revisitSec: 60, priority: 1, hours: [] }, rtspTransport: 'udp' }, sink);
    runner.add({ id: 't', url: 'rtsp://cam/t', tour: { revisitSec: 60, priority: 1, hours: [] } }, sink);
    for (let i = 0; i < 100 && seen.size < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await runner.close();
    expect(Object.fromEntries(seen)).toEqual({ u: 'udp', t: 'tcp' });
  });
});
