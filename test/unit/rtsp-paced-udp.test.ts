import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { LIBUV_READS_PER_EVENT, PacedUdpSocket, type UdpHandle } from '../../src/ingest/rtsp/paced-udp.js';
import { ReadPacer } from '../../src/ingest/rtsp/read-pacer.js';
import { UdpPair } from '../../src/ingest/rtsp/udp-pair.js';

const pairs: UdpPair[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  await Promise.all(pairs.splice(0).map((p) => p.close()));
  for (const s of sockets.splice(0)) s.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 2_000): Promise<void> {
  for (let i = 0; i < ms / 10 && !cond(); i++) await sleep(10);
}

/** Sends `n` numbered datagrams to the port and resolves once the kernel took them all. */
async function burst(to: number, n: number, from = 0): Promise<void> {
  const s = createSocket('udp4');
  sockets.push(s);
  await Promise.all(Array.from({ length: n }, (_, i) => new Promise<void>((resolve) => s.send(String(from + i), to, '127.0.0.1', () => resolve()))));
}

describe('paced UDP: datagrams read at the read pacer\'s ticks', () => {
  it('a real dgram socket waits for the tick; a burst past libuv\'s 32 reads a turn arrives whole in that one tick', async () => {
    const received: string[] = [];
    const pair = await UdpPair.open({ family: 4, onMessage: (_ch, msg) => void received.push(msg.toString()), onError: (e) => { throw e; } });
    pairs.push(pair);
    // This Node's dgram can be paused: were its handle gone, UDP cameras would silently cost more CPU again.
    expect(pair.paced).toHaveLength(2);
    let tick: (() => void) | undefined;
    const pacer = new ReadPacer(100, { setInterval: ((fn: () => void) => ((tick = fn), { unref() {} })) as unknown as typeof setInterval, clearInterval: () => undefined, setImmediate });
    pacer.add(pair.paced![0]!);

    const n = LIBUV_READS_PER_EVENT * 3 + 5;
    await burst(pair.ports.rtp, n);
    await sleep(100);
    expect(received).toEqual([]);

    tick!();
    await until(() => received.length === n);
    expect(received).toEqual(Array.from({ length: n }, (_, i) => String(i)));

    // Paused again after the tick: the next datagrams wait for the next one.
    await burst(pair.ports.rtp, 3, n);
    await sleep(100);
    expect(received).toHaveLength(n);
    tick!();
    await until(() => received.length === n + 3);
    expect(received.slice(n)).toEqual([String(n), String(n + 1), String(n + 2)]);

    // Removed from the pacer (a session that ends, a request awaiting its answer): read as they come.
    pacer.remove(pair.paced![0]!);
    await burst(pair.ports.rtp, 2, n + 3);
    await until(() => received.length === n + 5);
    expect(received).toHaveLength(n + 5);
  });

  it('keeps receiving only while a full batch of reads says more may wait; a resume cancels the pending pause; a closed socket is left alone', () => {
    const calls: string[] = [];
    const handle: UdpHandle = { recvStart: () => calls.push('start'), recvStop: () => calls.push('stop') };
    const later: Array<() => void> = [];
    let closed = false;
    const s = new PacedUdpSocket(handle, () => closed, (fn) => later.push(fn));

    s.resume();
    for (let i = 0; i < 5; i++) s.onRead();
    s.pause();
    expect(calls).toEqual(['start', 'stop']);

    calls.length = 0;
    s.resume();
    for (let i = 0; i < LIBUV_READS_PER_EVENT; i++) s.onRead();
    s.pause();
    expect(calls).toEqual(['start']); // another loop turn first
    later.shift()!();
    expect(calls).toEqual(['start', 'stop']); // that turn read nothing more

    calls.length = 0;
    for (let i = 0; i < LIBUV_READS_PER_EVENT; i++) s.onRead();
    s.pause();
    s.resume(); // the next tick came first: no pause from the old one
    later.shift()!();
    expect(calls).toEqual(['start']);

    closed = true;
    s.pause();
    s.resume();
    expect(calls).toEqual(['start']);
    expect(s.destroyed).toBe(true);
  });
});
