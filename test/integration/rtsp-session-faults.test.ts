import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { joinNalUnits } from '../../src/decode/annex-b.js';
import type { RtspError } from '../../src/ingest/rtsp/errors.js';
import { RtspSession, type AccessUnit, type RtspSessionOptions } from '../../src/ingest/rtsp/session.js';
import { canEncode, encodeStream, type EncodedStream } from '../../support/encoded-stream.js';
import { MisbehavingRtspServer, type Fault } from '../support/misbehaving-rtsp-server.js';

/**
 * The in-process RTSP client (one session, no supervisor) against the scriptable misbehaving server over real
 * TCP: what it emits is exactly what the camera sent or nothing, it ends with the right error kind, and its
 * buffers stay bounded whatever arrives.
 */

const HEVC = canEncode('h265');
let h264: EncodedStream;
let h265: EncodedStream | undefined;
const servers: MisbehavingRtspServer[] = [];
const sessions: RtspSession[] = [];

beforeAll(async () => {
  [h264, h265] = await Promise.all([encodeStream({ codec: 'h264', width: 320, height: 240 }), HEVC ? encodeStream({ codec: 'h265', width: 320, height: 240 }) : undefined]);
}, 60_000);

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function serve(stream: EncodedStream, fault: Fault = { kind: 'none' }, maxPayload = 1200): Promise<MisbehavingRtspServer> {
  const s = await MisbehavingRtspServer.start({ streams: [stream], maxPayload });
  s.fault = fault;
  servers.push(s);
  return s;
}

interface Run {
  session: RtspSession;
  units: AccessUnit[];
  ended: Promise<RtspError | undefined>;
  /** The largest bufferedBytes seen, sampled on every access unit and every 5 ms. */
  maxBuffered: () => number;
}

function open(url: string, opts: Partial<RtspSessionOptions> = {}): Run {
  const session = new RtspSession({ url, dataTimeoutMs: 2_000, requestTimeoutMs: 2_000, ...opts });
  sessions.push(session);
  const units: AccessUnit[] = [];
  let max = 0;
  const sample = (): void => void (max = Math.max(max, session.bufferedBytes));
  const sampler = setInterval(sample, 5);
  session.on('accessUnit', (au) => {
    sample();
    units.push(au);
  });
  let error: RtspError | undefined;
  session.on('error', (e) => (error = e));
  const ended = new Promise<RtspError | undefined>((resolve) =>
    session.on('state', (s) => {
      if (s !== 'closed') return;
      clearInterval(sampler);
      resolve(error);
    }),
  );
  session.start();
  return { session, units, ended, maxBuffered: () => max };
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every access unit the client emitted is one the camera sent, whole (Annex-B of its NAL units). */
function expectWholeUnits(units: AccessUnit[], stream: EncodedStream): void {
  const sent = new Set(stream.units.map((u) => joinNalUnits(u.nals).toString('base64')));
  const foreign = units.filter((u) => !sent.has(u.data.toString('base64')));
  expect(foreign.map((u) => ({ keyframe: u.keyframe, bytes: u.data.length }))).toEqual([]);
}

describe('RTSP session against the misbehaving server', () => {
  for (const codec of ['h264', 'h265'] as const) {
    it.skipIf(codec === 'h265' && !HEVC)(`${codec}: a healthy stream arrives whole, fragmentation units reassembled, keyframes with their parameter sets`, async () => {
      const stream = codec === 'h264' ? h264 : h265!;
      const server = await serve(stream, { kind: 'none' }, 300);
      const r = open(server.url());
      await until('two keyframes', () => r.units.filter((u) => u.keyframe).length >= 2);
      expect(r.session.state).toBe('playing');
      expectWholeUnits(r.units, stream);
      expect(r.session.stats.droppedAccessUnits).toBe(0);
    });

    it.skipIf(codec === 'h265' && !HEVC)(`${codec}: the camera closing mid-GOP ends the session 'closed'; the half-sent picture is never emitted`, async () => {
      const stream = codec === 'h264' ? h264 : h265!;
      // Small packets: every P-frame spans several, so the cut lands inside one.
      const server = await serve(stream, { kind: 'drop-mid-gop', unit: 5, packets: 2 }, 120);
      const r = open(server.url());
      const err = await r.ended;
      expect(server.stats.midGopDrops).toBe(1);
      expect(err).toMatchObject({ kind: 'closed' });
      expect(err?.message).toMatch(/server closed the connection \(playing\)/);
      expect(r.units.length).toBeGreaterThan(0);
      expectWholeUnits(r.units, stream);
    });
  }

  it('a frame announcing 65535 bytes and then silence: ends with a timeout within dataTimeoutMs, buffer bounded', async () => {
    const server = await serve(h264, { kind: 'absurd-length', then: 'stall' });
    const t0 = Date.now();
    const r = open(server.url(), { dataTimeoutMs: 1_500 });
    const err = await r.ended;
    expect(err).toMatchObject({ kind: 'timeout' });
    expect(err?.message).toMatch(/no media for \d+ ms/);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.maxBuffered()).toBeLessThan(70_000);
  });

  it('a frame announcing 65535 bytes with the stream going on inside it: the lie is skipped, no packet lost, no reconnect', async () => {
    const server = await serve(h264, { kind: 'absurd-length', then: 'stream' });
    const r = open(server.url());
    await until('a keyframe after the swallowed 64 kB', () => r.units.some((u) => u.keyframe) && r.session.stats.bytesReceived > 200_000, 15_000);
    expect(r.session.state).toBe('playing');
    expectWholeUnits(r.units, h264);
    // The lie is skipped and the packets it covered are read: nothing lost.
    expect(r.session.stats.lostPackets).toBe(0);
    expect(r.session.stats.droppedAccessUnits).toBe(0);
    expect(r.maxBuffered()).toBeLessThan(70_000 + 8 * 1024 * 1024);
  });

  it('media on a channel SETUP never named: ends with a timeout that says data came but no usable RTP', async () => {
    const server = await serve(h264, { kind: 'misrouted' });
    const r = open(server.url(), { dataTimeoutMs: 1_500 });
    const err = await r.ended;
    expect(err).toMatchObject({ kind: 'timeout' });
    expect(err?.message).toMatch(/^no usable media for \d+ ms \(\d+ bytes arrived, none of them RTP of the video track\)/);
    expect(r.session.stats.ignoredPackets).toBeGreaterThan(10);
  });

  it('keep-alives unanswered while media flows: the session plays on (counted); media stopping too: a timeout within dataTimeoutMs', async () => {
    const server = await serve(h264, { kind: 'ignore-keepalives', media: 'keep' });
    // Session timeout 2 s → a keep-alive every second, each waiting 1 s for its answer.
    const r = open(server.url(), { requestTimeoutMs: 1_000, dataTimeoutMs: 1_500 });
    await until('two keep-alives left unanswered', () => r.session.stats.unansweredKeepAlives >= 2, 10_000);
    expect(r.session.state).toBe('playing');
    expect(server.stats.ignoredKeepAlives).toBeGreaterThanOrEqual(2);
    server.fault = { kind: 'ignore-keepalives', media: 'stall' };
    const stalledAt = Date.now();
    const err = await r.ended;
    expect(err).toMatchObject({ kind: 'timeout' });
    expect(err?.message).toMatch(/^no media for \d+ ms/);
    expect(Date.now() - stalledAt).toBeLessThan(1_500 + 1_500);
  });

  it('keep-alives answered 454 end the session with session_not_found', async () => {
    const server = await serve(h264, { kind: 'session-not-found', on: 'keepalive' });
    const r = open(server.url());
    const err = await r.ended;
    expect(err).toMatchObject({ kind: 'session_not_found', status: 454 });
    expect(r.units.length).toBeGreaterThan(0);
  });
});

describe('memory bound under garbage (several MB)', () => {
  const spy: unknown[] = [];
  const onUncaught = (e: unknown): void => void spy.push(e);
  beforeAll(() => void process.on('uncaughtException', onUncaught));
  afterAll(() => void process.off('uncaughtException', onUncaught));

  const styles = ['random-rtp', 'random-frames', 'wrong-channel', 'truncated-rtp', 'raw-bytes'] as const;
  for (const style of styles) {
    it(`${style}: no exception escapes, buffers stay bounded; whole pictures again, or an end the supervisor reconnects from`, async () => {
      const server = await serve(h264, { kind: 'garbage', style, bytes: 8_000 });
      const maxAccessUnitBytes = 256 * 1024;
      const r = open(server.url(), { maxAccessUnitBytes });
      const rssBefore = process.memoryUsage().rss;
      await until('4 MB of garbage sent', () => server.stats.garbageBytes > 4_000_000 || r.session.state === 'closed', 30_000);
      const rssGrowth = process.memoryUsage().rss - rssBefore;
      // Parser: one interleaved frame (64 kB) or one header block (16 kB) pending; depacketizer: one access unit.
      expect(r.maxBuffered()).toBeLessThanOrEqual(70_000 + maxAccessUnitBytes);
      expect(rssGrowth).toBeLessThan(100 * 1024 * 1024);
      server.fault = { kind: 'none' };
      // Framed garbage is skipped packet by packet; unframed bytes cost the packets a mis-read `$` length covers,
      // and past the allowances the session ends (the supervisor reconnects). Either way: no exception, whole units.
      const before = r.units.length;
      await until('a clean keyframe after the garbage, or the end', () => r.units.slice(before + 1).some((u) => u.keyframe) || r.session.state === 'closed', 10_000);
      if (r.session.state === 'closed') {
        expect(style).toBe('raw-bytes');
        const err = await r.ended;
        expect(['protocol', 'timeout']).toContain(err?.kind);
        expect(err?.message).toMatch(/bytes that are not RTSP|no usable media/);
      } else expectWholeUnits(r.units.slice(before + 1).filter((u) => u.keyframe), h264);
      expect(spy).toEqual([]);
    }, 60_000);
  }
});
