import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { UdpPair, type UdpChannel } from '../../src/ingest/rtsp/udp-pair.js';

const pairs: UdpPair[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  await Promise.all(pairs.splice(0).map((p) => p.close()));
  for (const s of sockets.splice(0)) s.close();
});

function bindAt(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(undefined);
    });
    s.bind(port, () => {
      sockets.push(s);
      resolve(s);
    });
  });
}

async function open(received: Array<{ channel: UdpChannel; text: string }> = [], candidates?: number[]): Promise<UdpPair> {
  const pair = await UdpPair.open({ family: 4, onMessage: (channel, msg) => void received.push({ channel, text: msg.toString() }), onError: (e) => { throw e; }, candidates });
  pairs.push(pair);
  return pair;
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('UDP port pair for RTP/RTCP', () => {
  it('RTP on an even port, RTCP on the next; each datagram arrives tagged with its channel', async () => {
    const received: Array<{ channel: UdpChannel; text: string }> = [];
    const pair = await open(received);
    expect(pair.ports.rtp % 2).toBe(0);
    expect(pair.ports.rtcp).toBe(pair.ports.rtp + 1);
    const sender = await bindAt(0);
    sender!.send('video', pair.ports.rtp, '127.0.0.1');
    sender!.send('report', pair.ports.rtcp, '127.0.0.1');
    await until(() => received.length === 2);
    expect(received.sort((a, b) => a.channel.localeCompare(b.channel))).toEqual([
      { channel: 'rtcp', text: 'report' },
      { channel: 'rtp', text: 'video' },
    ]);
  });

  it('a taken pair is skipped: a candidate whose RTP or RTCP port is in use, then the kernel chooses', async () => {
    const taken = await open();
    // Both halves of `taken` are bound: as a candidate, neither its RTP port nor (via the RTP port) its pair can be had.
    const pair = await open([], [taken.ports.rtp]);
    expect(pair.ports.rtp).not.toBe(taken.ports.rtp);
    expect(pair.ports.rtp % 2).toBe(0);
    expect(pair.ports.rtcp).toBe(pair.ports.rtp + 1);
    // Only the RTCP half taken: the even port binds, its neighbour does not, so the pair moves on.
    let even = 0;
    for (let tries = 0; tries < 50 && !even; tries++) {
      const probe = await open();
      const rtp = probe.ports.rtp;
      await probe.close();
      if (await bindAt(rtp + 1)) even = rtp;
    }
    expect(even).toBeGreaterThan(0);
    const next = await open([], [even]);
    expect(next.ports.rtp).not.toBe(even);
    expect(next.ports.rtcp).toBe(next.ports.rtp + 1);
  });

  it('a free candidate is used as asked', async () => {
    const probe = await open();
    const { rtp } = probe.ports;
    await probe.close();
    const pair = await open([], [rtp]);
    expect(pair.ports).toEqual({ rtp, rtcp: rtp + 1 });
  });

  it('odd or out-of-range candidates are refused; no pair after the last attempt is an error that says so', async () => {
    await expect(UdpPair.open({ family: 4, onMessage: () => undefined, onError: () => undefined, candidates: [5001] })).rejects.toThrow(/even ports/);
    const taken = await open();
    await expect(UdpPair.open({ family: 4, onMessage: () => undefined, onError: () => undefined, candidates: [taken.ports.rtp], attempts: 1 })).rejects.toThrow(/no free UDP port pair for RTP\/RTCP after 1 tries/);
  });

  it('close() frees both ports and stops delivery', async () => {
    const received: Array<{ channel: UdpChannel; text: string }> = [];
    const pair = await open(received);
    const { rtp, rtcp } = pair.ports;
    await pair.close();
    expect(pair.closed).toBe(true);
    expect(await bindAt(rtp)).toBeDefined();
    expect(await bindAt(rtcp)).toBeDefined();
    pair.sendRtcp(Buffer.from('x'), 9, '127.0.0.1');
    expect(received).toEqual([]);
  });
});
