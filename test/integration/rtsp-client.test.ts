import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import type { RtspError } from '../../src/ingest/rtsp/errors.js';
import { RtspSession, type AccessUnit, type RtspSessionState } from '../../src/ingest/rtsp/session.js';
import { TestRtspServer } from '../../support/rtsp.js';
import { testClip, type TestClip } from '../support/clip.js';

const run = promisify(execFile);
const ffmpeg = resolveFfmpeg().path;

/** A session with everything it emitted recorded. */
interface Watched {
  session: RtspSession;
  units: AccessUnit[];
  states: RtspSessionState[];
  errors: RtspError[];
}

const sessions: RtspSession[] = [];
function watch(url: string, opts: { dataTimeoutMs?: number } = {}): Watched {
  const session = new RtspSession({ url, ...opts });
  sessions.push(session);
  const w: Watched = { session, units: [], states: [], errors: [] };
  session.on('accessUnit', (au) => void w.units.push(au));
  session.on('state', (s) => void w.states.push(s));
  session.on('error', (e) => void w.errors.push(e));
  session.start();
  return w;
}

async function until(what: string, cond: () => boolean, w: Watched, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; states ${w.states.join(' → ')}; errors ${w.errors.map((e) => `${e.kind}: ${e.message}`).join('; ')}; stats ${JSON.stringify(w.session.stats)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** NAL unit types in an Annex-B buffer (4-byte start codes, as the depacketizer writes them). */
function nalTypes(data: Buffer, codec: 'h264' | 'h265'): number[] {
  const types: number[] = [];
  for (let i = 0; i + 4 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 0 && data[i + 3] === 1) {
      const b = data[i + 4]!;
      types.push(codec === 'h264' ? b & 0x1f : (b >> 1) & 0x3f);
      i += 3;
    }
  }
  return types;
}

/** Decodes one access unit with ffmpeg into one gray frame: proof it is real, self-contained video. */
async function decodeOne(au: AccessUnit): Promise<Buffer> {
  const proc = spawn(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', au.codec === 'h264' ? 'h264' : 'hevc', '-i', 'pipe:0', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => out.push(d));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdin.end(au.data);
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  if (code !== 0) throw new Error(`ffmpeg could not decode the access unit (${code}): ${stderr}`);
  return Buffer.concat(out);
}

function expectIncreasing(units: AccessUnit[]): void {
  for (let i = 1; i < units.length; i++) expect(units[i]!.timestampMs).toBeGreaterThan(units[i - 1]!.timestampMs);
}

let clip: TestClip;
let server: TestRtspServer;

beforeAll(async () => {
  clip = await testClip();
  server = await TestRtspServer.start({ mounts: ['cam1'], clip: clip.ts });
});

afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await server?.stop();
});

describe('RTSP client against GStreamer: H.264', () => {
  it('receives access units with increasing RTP timestamps, a keyframe with SPS/PPS that ffmpeg decodes', async () => {
    const w = watch(server.url('cam1'));
    await until('two keyframes', () => w.units.filter((u) => u.keyframe).length >= 2, w);
    expect(w.states.slice(0, 4)).toEqual(['connecting', 'describing', 'setting_up', 'playing']);
    expect(w.session.track).toMatchObject({ codec: 'h264', clockRate: 90_000 });
    expectIncreasing(w.units);
    // 25 fps: 40 ms a frame on average (GStreamer restamps from the feeder's arrival times, so single steps jitter).
    const mean = (w.units.at(-1)!.timestampMs - w.units[0]!.timestampMs) / (w.units.length - 1);
    expect(mean).toBeGreaterThan(36);
    expect(mean).toBeLessThan(44);
    const key = w.units.find((u) => u.keyframe)!;
    expect(nalTypes(key.data, 'h264')).toEqual(expect.arrayContaining([7, 8, 5]));
    expect(key.parameterSets.sps.length).toBeGreaterThan(0);
    expect(key.parameterSets.pps.length).toBeGreaterThan(0);
    const frame = await decodeOne(key);
    expect(frame.length).toBe(clip.width * clip.height);
    expect(w.session.stats).toMatchObject({ lostPackets: 0, droppedAccessUnits: 0, garbageBytes: 0 });
    await w.session.close();
    expect(w.states.at(-1)).toBe('closed');
    expect(w.errors).toEqual([]);
  });

  it('a mount that does not exist ends with not_found', async () => {
    const w = watch(`rtsp://127.0.0.1:${server.port}/no-such-mount`);
    await until('closed', () => w.session.state === 'closed', w);
    expect(w.errors.map((e) => [e.kind, e.status])).toEqual([['not_found', 404]]);
  });

  it('the server killed mid-stream ends the session with a closed error, no crash', async () => {
    const doomed = await TestRtspServer.start({ mounts: ['cam1'], clip: clip.ts });
    try {
      const w = watch(doomed.url('cam1'));
      await until('access units', () => w.units.length >= 10, w);
      await doomed.kill();
      await until('closed', () => w.session.state === 'closed', w);
      expect(w.errors.map((e) => e.kind)).toEqual(['closed']);
      // Refused on reconnect: closed as well, from the connect path.
      const again = watch(doomed.url('cam1'));
      await until('closed', () => again.session.state === 'closed', again);
      expect(again.errors.map((e) => e.kind)).toEqual(['closed']);
    } finally {
      await doomed.stop();
    }
  });
});

describe('RTSP client against GStreamer: auth', () => {
  for (const authMethod of ['basic', 'digest'] as const) {
    it(`${authMethod}: right credentials play, a wrong password is unauthorized, none is unauthorized`, async () => {
      const secured = await TestRtspServer.start({ mounts: ['cam'], clip: clip.ts, auth: 'viewer:s3cr%t pass', authMethod });
      try {
        // The password holds '%' and a space: percent-encoded in the URL, decoded before use.
        const good = watch(secured.url('cam', `viewer:${encodeURIComponent('s3cr%t pass')}`));
        const bad = watch(secured.url('cam', 'viewer:wrong'));
        const none = watch(secured.url('cam'));
        await until('an access unit with the right password', () => good.units.length > 0, good);
        await until('the wrong password refused', () => bad.session.state === 'closed', bad);
        await until('no credentials refused', () => none.session.state === 'closed', none);
        expect(bad.errors.map((e) => [e.kind, e.status])).toEqual([['unauthorized', 401]]);
        expect(none.errors.map((e) => e.kind)).toEqual(['unauthorized']);
        expect(good.errors).toEqual([]);
        expect(good.session.url).not.toContain('viewer');
      } finally {
        await secured.stop();
      }
    });
  }
});

/** libx265 is optional in Debian's ffmpeg builds; the H.265 case needs it to make its fixture. */
async function hasLibx265(): Promise<boolean> {
  const { stdout } = await run(ffmpeg, ['-hide_banner', '-encoders']);
  return stdout.includes('libx265');
}

describe('RTSP client against GStreamer: H.265', async () => {
  const x265 = await hasLibx265();
  it.skipIf(!x265)('receives H.265 access units; an IRAP keyframe with VPS/SPS/PPS decodes in ffmpeg', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patrol-hevc-'));
    let hevcServer: TestRtspServer | undefined;
    try {
      const ts = join(dir, 'clip-hevc.ts');
      // Same patrol profile as the H.264 clip: 704×576, 25 fps, a keyframe every 2 s, no B-frames.
      await run(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${clip.width}x${clip.height}:rate=${clip.fps}`, '-t', '6', '-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-x265-params', 'keyint=50:min-keyint=50:scenecut=0:bframes=0:log-level=error', '-b:v', '512k', '-f', 'mpegts', ts]);
      hevcServer = await TestRtspServer.start({ mounts: ['cam'], clip: ts, codec: 'h265' });
      const w = watch(hevcServer.url('cam'));
      await until('two keyframes', () => w.units.filter((u) => u.keyframe).length >= 2, w);
      expect(w.session.track?.codec).toBe('h265');
      expectIncreasing(w.units);
      const key = w.units.find((u) => u.keyframe)!;
      expect(key.codec).toBe('h265');
      const types = nalTypes(key.data, 'h265');
      expect(types).toEqual(expect.arrayContaining([32, 33, 34]));
      expect(types.some((t) => t >= 16 && t <= 21)).toBe(true);
      expect(key.parameterSets.vps?.length).toBeGreaterThan(0);
      const frame = await decodeOne(key);
      expect(frame.length).toBe(clip.width * clip.height);
      await w.session.close();
    } finally {
      await hevcServer?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
