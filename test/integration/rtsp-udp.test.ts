import { spawn } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceStatus } from '../../src/contracts/camera-status.js';
import type { Frame } from '../../src/contracts/frame.js';
import { KeyframeDecoderPool } from '../../src/decode/decoder-pool.js';
import { resolveFfmpeg } from '../../src/decode/ffmpeg-path.js';
import { createCameraSource, type CameraSource } from '../../src/ingest/camera-source.js';
import { diagnoseSessionEnd } from '../../src/ingest/rtsp-supervisor.js';
import type { RtspError } from '../../src/ingest/rtsp/errors.js';
import { RtspSession, type AccessUnit, type RtspSessionOptions, type RtspSessionState } from '../../src/ingest/rtsp/session.js';
import { joinNalUnits } from '../../src/decode/annex-b.js';
import { encodeStream, type EncodedStream } from '../../support/encoded-stream.js';
import { packetizeAccessUnit, rtpPacket } from '../../support/rtp-packetizer.js';
import { RtspRequestReader, rtspResponse, streamSdp } from '../../support/rtsp-wire.js';
import { TestRtspServer } from '../../support/rtsp.js';
import { testClip, type TestClip } from '../support/clip.js';

/**
 * RTP over UDP (rtspTransport: udp) in the in-process client, against GStreamer's RTSP server: media from
 * datagrams, keyframes that decode, ports freed by TEARDOWN, datagrams from strangers dropped; UDP that never
 * arrives (a firewall, here a proxy that points the server at ports nobody reads for the client) ends with a
 * reason that says so and reconnects; a server that refuses UDP is a clear, permanent error.
 */

const ffmpeg = resolveFfmpeg().path;
const SIZE = { width: 416, height: 416, pixelFormat: 'bgr24' } as const;

interface Watched {
  session: RtspSession;
  units: AccessUnit[];
  states: RtspSessionState[];
  errors: RtspError[];
}

const sessions: RtspSession[] = [];
const sources: CameraSource[] = [];
const udpSockets: UdpSocket[] = [];
const tcpServers: Server[] = [];

function watch(url: string, opts: Partial<RtspSessionOptions> = {}): Watched {
  const session = new RtspSession({ url, transport: 'udp', ...opts });
  sessions.push(session);
  const w: Watched = { session, units: [], states: [], errors: [] };
  session.on('accessUnit', (au) => void w.units.push(au));
  session.on('state', (s) => void w.states.push(s));
  session.on('error', (e) => void w.errors.push(e));
  session.start();
  return w;
}

async function until(what: string, cond: () => boolean, detail: () => string = () => '', timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} ${detail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sessionDetail = (w: Watched) => (): string => `states ${w.states.join(' → ')}; errors ${w.errors.map((e) => `${e.kind}: ${e.message}`).join('; ')}; stats ${JSON.stringify(w.session.stats)}`;

function bindUdp(port: number, address = '127.0.0.1'): Promise<UdpSocket | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(undefined);
    });
    s.bind(port, address, () => {
      udpSockets.push(s);
      resolve(s);
    });
  });
}

/** Both ports can be bound again: the session left nothing behind. */
async function expectFree(ports: { rtp: number; rtcp: number }): Promise<void> {
  const [a, b] = await Promise.all([bindUdp(ports.rtp, '0.0.0.0'), bindUdp(ports.rtcp, '0.0.0.0')]);
  expect({ rtp: a !== undefined, rtcp: b !== undefined }).toEqual({ rtp: true, rtcp: true });
  a?.close();
  b?.close();
}

/** Decodes one access unit with ffmpeg: proof it is real, self-contained video. */
async function decodeOne(au: AccessUnit): Promise<number> {
  const proc = spawn(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'h264', '-i', 'pipe:0', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { stdio: ['pipe', 'pipe', 'ignore'] });
  let bytes = 0;
  proc.stdout.on('data', (d: Buffer) => (bytes += d.length));
  proc.stdin.end(au.data);
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  expect(code).toBe(0);
  return bytes;
}

/**
 * A TCP proxy in front of the RTSP server that rewrites SETUP's client_port to `ports`: the server then sends
 * the media where the client is not listening, as if a firewall dropped it on the way. Without `ports` it
 * passes everything on. Either way `transports` collects the Transport headers the clients asked for.
 */
async function misdirectingProxy(target: number, ports?: { rtp: number; rtcp: number }, transports: string[] = []): Promise<number> {
  const server = createServer((client: Socket) => {
    const upstream = connect(target, '127.0.0.1');
    client.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      for (const m of text.matchAll(/^Transport: *(.*)$/gim)) transports.push(m[1]!.trim());
      upstream.write(ports ? Buffer.from(text.replace(/client_port=\d+-\d+/gi, `client_port=${ports.rtp}-${ports.rtcp}`), 'latin1') : d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  tcpServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A bare RTSP server whose SETUP answer is `setup` (a refusal, or another transport than asked). */
async function refusingServer(setup: (cseq: string) => string, seen: { setupTransport?: string }): Promise<number> {
  const sdp = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=refuses udp', 't=0 0', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1', 'a=control:track1', ''].join('\r\n');
  const server = createServer((socket) => {
    const reader = new RtspRequestReader();
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      for (const req of reader.push(d)) {
        if (req.method === 'OPTIONS') socket.write(rtspResponse(req.cseq, '200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN']));
        else if (req.method === 'DESCRIBE') socket.write(rtspResponse(req.cseq, '200 OK', [`Content-Base: ${req.uri}/`], sdp));
        else if (req.method === 'SETUP') {
          seen.setupTransport = req.headers.get('transport');
          socket.write(setup(req.cseq));
        } else socket.write(rtspResponse(req.cseq, '200 OK'));
      }
    });
  });
  tcpServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/**
 * A camera that streams `stream` once over UDP, holding back every `every`-th packet until the one after it
 * has gone (reordering, across picture boundaries too), and counts the RTCP that reaches its server port.
 */
async function reorderingCamera(stream: EncodedStream, every: number): Promise<{ port: number; rtcpReceived: () => number; done: Promise<void> }> {
  const rtp = (await bindUdp(0))!;
  const rtcp = (await bindUdp(0))!;
  let rtcpReceived = 0;
  rtcp.on('message', () => rtcpReceived++);
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const server = createServer((socket) => {
    const reader = new RtspRequestReader();
    let client = 0;
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      for (const req of reader.push(d)) {
        if (req.method === 'DESCRIBE') socket.write(rtspResponse(req.cseq, '200 OK', [`Content-Base: ${req.uri}/`], streamSdp(stream, 96, 'reordering camera')));
        else if (req.method === 'SETUP') {
          client = Number(/client_port=(\d+)/.exec(req.headers.get('transport') ?? '')?.[1]);
          const own = `${(rtp.address() as { port: number }).port}-${(rtcp.address() as { port: number }).port}`;
          socket.write(rtspResponse(req.cseq, '200 OK', ['Session: 4242;timeout=60', `Transport: RTP/AVP;unicast;client_port=${client}-${client + 1};server_port=${own}`]));
        } else if (req.method === 'PLAY') {
          socket.write(rtspResponse(req.cseq, '200 OK', ['Session: 4242']));
          let unit = 0;
          let sequence = 1000;
          let count = 0;
          let heldBack: Buffer | undefined;
          const send = (b: Buffer): void => rtp.send(b, client, '127.0.0.1');
          const timer = setInterval(() => {
            if (unit >= stream.units.length || socket.destroyed) {
              clearInterval(timer);
              if (heldBack) send(heldBack);
              return finished();
            }
            const payloads = packetizeAccessUnit(stream.codec, stream.units[unit]!.nals, 1200);
            payloads.forEach((payload, i) => {
              const pkt = rtpPacket({ payloadType: 96, sequence: sequence++, timestamp: unit * 3600, ssrc: 0x5eed, marker: i === payloads.length - 1 }, payload);
              if (heldBack) {
                send(pkt);
                send(heldBack);
                heldBack = undefined;
              } else if (++count % every === 0) heldBack = pkt;
              else send(pkt);
            });
            unit++;
          }, 10);
        } else socket.write(rtspResponse(req.cseq, '200 OK', req.method === 'OPTIONS' ? ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN'] : []));
      }
    });
  });
  tcpServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, rtcpReceived: () => rtcpReceived, done };
}

let clip: TestClip;
let server: TestRtspServer;
const pool = new KeyframeDecoderPool({ ffmpegPath: ffmpeg, ...SIZE });

beforeAll(async () => {
  clip = await testClip();
  server = await TestRtspServer.start({ mounts: ['cam1'], clip: clip.ts });
  // One client held over TCP keeps the shared media prepared, so a DESCRIBE does not wait for the next keyframe
  // (a loaded machine could stretch that past the short timeouts below).
  const warm = new RtspSession({ url: server.url('cam1') });
  sessions.push(warm);
  warm.start();
  await new Promise<void>((resolve) => warm.once('accessUnit', () => resolve()));
});

afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await Promise.all(sources.map((s) => s.stop()));
  await pool.close();
  for (const s of udpSockets) {
    try {
      s.close();
    } catch {
      // already closed
    }
  }
  for (const s of tcpServers) s.close();
  await server?.stop();
});

describe('RTP over UDP against GStreamer', () => {
  it('access units from datagrams on an even/odd port pair; a keyframe decodes; strangers dropped; TEARDOWN frees the ports', async () => {
    const w = watch(server.url('cam1'), { rtcpIntervalMs: 300 });
    await until('two keyframes', () => w.units.filter((u) => u.keyframe).length >= 2, sessionDetail(w));
    expect(w.states.slice(0, 4)).toEqual(['connecting', 'describing', 'setting_up', 'playing']);
    const ports = w.session.udpPorts!;
    expect(ports.rtp % 2).toBe(0);
    expect(ports.rtcp).toBe(ports.rtp + 1);
    for (let i = 1; i < w.units.length; i++) expect(w.units[i]!.timestampMs).toBeGreaterThan(w.units[i - 1]!.timestampMs);
    const key = w.units.find((u) => u.keyframe)!;
    expect(await decodeOne(key)).toBe(clip.width * clip.height);

    // A datagram from another address (127.0.0.2 is loopback too) is not the camera's: counted and dropped.
    const before = w.session.stats;
    const stranger = await bindUdp(0, '127.0.0.2');
    stranger!.send(Buffer.alloc(40, 0x80), ports.rtp, '127.0.0.1');
    stranger!.send(Buffer.alloc(40, 0x80), ports.rtcp, '127.0.0.1');
    await until('the strangers counted', () => w.session.stats.foreignPackets === 2, sessionDetail(w), 5_000);
    await until('a receiver report', () => w.session.stats.receiverReports > before.receiverReports, sessionDetail(w), 5_000);
    expect(w.session.stats).toMatchObject({ garbageBytes: 0, ignoredPackets: 0 });

    await w.session.close();
    expect(w.states.at(-1)).toBe('closed');
    expect(w.errors).toEqual([]);
    expect(w.session.udpPorts).toBeUndefined();
    await expectFree(ports);
  });

  it('a native camera with rtspTransport udp delivers letterboxed frames of the detector size', async () => {
    const statuses: SourceStatus[] = [];
    const frames: Frame[] = [];
    const source = createCameraSource(
      { id: 'udp1', url: server.url('cam1'), loop: false, intervalSec: 1, decode: 'keyframe', transport: 'native', rtspTransport: 'udp' },
      { ...SIZE, decoderPool: pool, socketTimeoutMs: 5_000, backoff: { baseMs: 200, maxMs: 1_000, jitter: 0.2 } },
    );
    sources.push(source);
    source.onFrame((f) => void frames.push(f));
    source.onStatus((s) => void statuses.push(s));
    source.start();
    await until('two frames', () => frames.length >= 2, () => JSON.stringify(statuses), 25_000);
    for (const f of frames) {
      expect(f.data.length).toBe(416 * 416 * 3);
      expect([f.width, f.height, f.contentWidth, f.contentHeight]).toEqual([416, 416, 416, 340]);
      const padRow = (f.height - 1) * f.width * 3;
      expect([...f.data.subarray(padRow, padRow + 30)].every((b) => b === 114)).toBe(true);
      expect(new Set(f.data.subarray(0, f.contentHeight * f.width * 3)).size).toBeGreaterThan(50);
    }
    expect(statuses.map((s) => s.state)).not.toContain('backoff');
    await source.stop();
  });
});

describe('rtspTransport udp on transport ffmpeg', () => {
  it("ffmpeg asks for RTP over UDP and its frames arrive", async () => {
    const transports: string[] = [];
    const proxy = await misdirectingProxy(server.port, undefined, transports);
    const statuses: SourceStatus[] = [];
    const frames: Frame[] = [];
    const source = createCameraSource(
      { id: 'udp-ffmpeg', url: `rtsp://127.0.0.1:${proxy}/cam1`, loop: false, intervalSec: 1, decode: 'keyframe', transport: 'ffmpeg', rtspTransport: 'udp' },
      { ...SIZE, socketTimeoutMs: 10_000, backoff: { baseMs: 200, maxMs: 1_000, jitter: 0.2 } },
    );
    sources.push(source);
    source.onFrame((f) => void frames.push(f));
    source.onStatus((s) => void statuses.push(s));
    source.start();
    await until('a frame from ffmpeg', () => frames.length >= 1, () => JSON.stringify(statuses), 30_000);
    expect([frames[0]!.width, frames[0]!.height, frames[0]!.contentHeight]).toEqual([416, 416, 340]);
    expect(transports.length).toBeGreaterThan(0);
    for (const t of transports) expect(t).toMatch(/^RTP\/AVP(\/UDP)?;unicast;client_port=\d+-\d+/);
    await source.stop();
  });
});

describe('UDP that never arrives', () => {
  it('the session ends on the data timeout with a reason that names UDP and the fix; its ports are freed', async () => {
    const dead = { rtp: 0, rtcp: 0 };
    const deadRtp = await bindUdp(0);
    dead.rtp = (deadRtp!.address() as { port: number }).port;
    const deadRtcp = await bindUdp(0);
    dead.rtcp = (deadRtcp!.address() as { port: number }).port;
    let sentToDead = 0;
    deadRtp!.on('message', () => sentToDead++);
    const proxy = await misdirectingProxy(server.port, dead);
    const w = watch(`rtsp://127.0.0.1:${proxy}/cam1`, { dataTimeoutMs: 1_500 });
    let ports: { rtp: number; rtcp: number } | undefined;
    await until('playing', () => (ports ??= w.states.includes('playing') ? w.session.udpPorts : undefined) !== undefined, sessionDetail(w), 15_000);
    await until('closed', () => w.session.state === 'closed', sessionDetail(w), 15_000);
    // The server did stream over UDP, only not to the client: what a firewall in between looks like.
    expect(sentToDead).toBeGreaterThan(0);
    expect(w.units).toEqual([]);
    expect(w.errors.map((e) => e.kind)).toEqual(['timeout']);
    expect(w.errors[0]!.message).toMatch(/^no media over UDP for \d+ ms: a firewall or NAT may drop UDP; try rtspTransport: tcp/);
    expect(diagnoseSessionEnd(w.errors[0], w.session.url).permanent).toBe(false);
    await w.session.close();
    await expectFree(ports!);
  });

  it('a native camera whose UDP is dropped goes to backoff with that reason and reconnects', async () => {
    const deadRtp = await bindUdp(0);
    const deadRtcp = await bindUdp(0);
    const proxy = await misdirectingProxy(server.port, { rtp: (deadRtp!.address() as { port: number }).port, rtcp: (deadRtcp!.address() as { port: number }).port });
    const statuses: SourceStatus[] = [];
    const source = createCameraSource(
      { id: 'udp-blocked', url: `rtsp://127.0.0.1:${proxy}/cam1`, loop: false, intervalSec: 1, decode: 'keyframe', transport: 'native', rtspTransport: 'udp' },
      { ...SIZE, decoderPool: pool, socketTimeoutMs: 2_500, watchdogMs: 20_000, backoff: { baseMs: 200, maxMs: 500, jitter: 0.2 } },
    );
    sources.push(source);
    source.onStatus((s) => void statuses.push(s));
    source.start();
    await until('a reconnect after the UDP timeout', () => statuses.some((s) => s.state === 'backoff') && statuses.filter((s) => s.state === 'connecting').length >= 2, () => JSON.stringify(statuses), 20_000);
    const downs = statuses.filter((s) => s.state === 'backoff');
    for (const down of downs) expect(down.reason).toMatch(/^timed out: .*no media over UDP for \d+ ms: a firewall or NAT may drop UDP; try rtspTransport: tcp/);
    expect(statuses.filter((s) => s.state === 'live')).toEqual([]);
    await source.stop();
  });
});

describe('a server that refuses UDP', () => {
  it('461 Unsupported Transport: unsupported_transport, permanent, the fix named; no silent fallback; ports freed', async () => {
    const seen: { setupTransport?: string } = {};
    const port = await refusingServer((cseq) => rtspResponse(cseq, '461 Unsupported Transport'), seen);
    const w = watch(`rtsp://127.0.0.1:${port}/cam`);
    await until('closed', () => w.session.state === 'closed', sessionDetail(w), 10_000);
    expect(w.errors.map((e) => [e.kind, e.status])).toEqual([['unsupported_transport', 461]]);
    const d = diagnoseSessionEnd(w.errors[0], w.session.url);
    expect(d.permanent).toBe(true);
    expect(d.reason).toMatch(/RTP over UDP refused.*set rtspTransport: tcp.*461/);
    // One SETUP, for UDP: the client did not try TCP behind the operator's back.
    const asked = /^RTP\/AVP;unicast;client_port=(\d+)-(\d+)$/.exec(seen.setupTransport ?? '');
    expect(asked).not.toBeNull();
    await expectFree({ rtp: Number(asked![1]), rtcp: Number(asked![2]) });
  });

  it('a native camera that asks for UDP from it is failed (not backoff), with the reason and the fix', async () => {
    const port = await refusingServer((cseq) => rtspResponse(cseq, '461 Unsupported Transport'), {});
    const statuses: SourceStatus[] = [];
    const source = createCameraSource(
      { id: 'udp-refused', url: `rtsp://127.0.0.1:${port}/cam`, loop: false, intervalSec: 1, decode: 'keyframe', transport: 'native', rtspTransport: 'udp' },
      { ...SIZE, decoderPool: pool, socketTimeoutMs: 5_000, backoff: { baseMs: 200, maxMs: 60_000, jitter: 0 } },
    );
    sources.push(source);
    source.onStatus((s) => void statuses.push(s));
    source.start();
    await until('failed', () => statuses.some((s) => s.state === 'failed'), () => JSON.stringify(statuses), 10_000);
    expect(statuses.find((s) => s.state === 'failed')!.reason).toMatch(/^RTP over UDP refused: the camera does not stream over UDP, set rtspTransport: tcp — SETUP for RTP over UDP answered 461/);
    expect(statuses.map((s) => s.state)).not.toContain('backoff');
    await source.stop();
  });

  it('answered with TCP interleaved instead: unsupported_transport that quotes the answer', async () => {
    const port = await refusingServer((cseq) => rtspResponse(cseq, '200 OK', ['Session: 12345678;timeout=60', 'Transport: RTP/AVP/TCP;unicast;interleaved=0-1']), {});
    const w = watch(`rtsp://127.0.0.1:${port}/cam`);
    await until('closed', () => w.session.state === 'closed', sessionDetail(w), 10_000);
    expect(w.errors.map((e) => e.kind)).toEqual(['unsupported_transport']);
    expect(w.errors[0]!.message).toContain('RTP/AVP/TCP;unicast;interleaved=0-1');
  });
});

describe('datagrams that overtake each other', () => {
  it('are put back in order: every picture whole, no loss counted; receiver reports reach the server RTCP port', async () => {
    const stream = await encodeStream({ codec: 'h264', width: 320, height: 240, seconds: 2 });
    const camera = await reorderingCamera(stream, 7);
    const w = watch(`rtsp://127.0.0.1:${camera.port}/cam`, { rtcpIntervalMs: 200 });
    await camera.done;
    await until('the last picture', () => w.units.length >= stream.units.length - 1, sessionDetail(w), 10_000);
    await until('a receiver report at the server', () => camera.rtcpReceived() >= 2, sessionDetail(w), 5_000);
    const sent = stream.units.map((u) => joinNalUnits(u.nals).toString('base64'));
    const got = w.units.map((u) => u.data.toString('base64'));
    expect(got).toEqual(sent.slice(0, got.length));
    expect(w.session.stats).toMatchObject({ lostPackets: 0, droppedAccessUnits: 0, foreignPackets: 0 });
    expect(w.session.stats.reorderedPackets).toBeGreaterThan(10);
    expect(w.errors).toEqual([]);
  });
});
