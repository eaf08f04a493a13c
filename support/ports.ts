import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

/**
 * Ports for test servers, from a block below Linux's ephemeral range (32768–60999): ports the kernel hands
 * out to other sockets (freePort) can collide with an RTP feeder's port + 1 (RTCP), and did under load.
 * Each process starts at a random place in the block and probes before handing a port out.
 */
const BLOCK_START = 20_000;
const BLOCK_END = 32_000;

let cursor = BLOCK_START + 4 * Math.floor(Math.random() * ((BLOCK_END - BLOCK_START) / 8));

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
  });
}

/** The next port of the block (stepping by 4) free for TCP, or for UDP together with port + 1. */
export async function blockPort(kind: 'tcp' | 'udp-pair'): Promise<number> {
  for (let tries = 0; tries < (BLOCK_END - BLOCK_START) / 4; tries++) {
    const p = cursor;
    cursor += 4;
    if (cursor >= BLOCK_END) cursor = BLOCK_START;
    const ok = kind === 'tcp' ? await tcpFree(p) : (await udpFree(p)) && (await udpFree(p + 1));
    if (ok) return p;
  }
  throw new Error(`no free port in ${BLOCK_START}–${BLOCK_END}`);
}

