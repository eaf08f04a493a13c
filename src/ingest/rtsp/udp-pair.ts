import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { PortPair } from './transport-header.js';
import { PacedUdpSocket, udpHandle } from './paced-udp.js';

export type UdpChannel = 'rtp' | 'rtcp';

export interface UdpPairOptions {
  /** The camera's address family (the RTSP connection's). */
  family: 4 | 6;
  /** Every datagram, as its own Buffer (it may be kept). */
  onMessage: (channel: UdpChannel, msg: Buffer, from: RemoteInfo) => void;
  /** A socket failed after binding. */
  onError: (err: Error) => void;
  /** Even RTP ports to try first (tests); then the kernel chooses. */
  candidates?: readonly number[];
  /** Pairs tried before giving up. Default 32. */
  attempts?: number;
  /** Asked of the kernel for each socket (it caps at net.core.rmem_max). Default 1 MiB. */
  receiveBufferBytes?: number;
}

const DEFAULT_ATTEMPTS = 32;
const DEFAULT_RECEIVE_BUFFER = 1024 * 1024;

/**
 * Two bound UDP sockets, RTP on an even port and RTCP on the next one (RFC 3550 §11), for RTP over UDP. The
 * pair is bound before SETUP names it. A kernel-chosen port is as likely odd as even: an odd one becomes the
 * RTCP half when the even port below it is free, so few tries are wasted.
 */
export class UdpPair {
  private open = true;
  /** Both sockets for the read pacer (paced-udp.ts); undefined where this Node's dgram cannot be paused. */
  readonly paced: readonly PacedUdpSocket[] | undefined;

  private constructor(
    private readonly rtp: Socket,
    private readonly rtcp: Socket,
    readonly ports: PortPair,
  ) {
    const [a, b] = [udpHandle(rtp), udpHandle(rtcp)];
    this.paced = a && b ? [a, b].map((h) => new PacedUdpSocket(h, () => !this.open)) : undefined;
  }

  static async open(opts: UdpPairOptions): Promise<UdpPair> {
    const attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
    const candidates = opts.candidates ?? [];
    for (const c of candidates) if (!Number.isInteger(c) || c <= 0 || c % 2 !== 0 || c >= 65_535) throw new RangeError(`RTP port candidates must be even ports, got ${c}`);
    const type = opts.family === 6 ? 'udp6' : 'udp4';
    let lastError = 'no attempt';
    for (let i = 0; i < attempts; i++) {
      const first = await bind(type, candidates[i] ?? 0);
      if (first instanceof Error) {
        lastError = first.message;
        continue;
      }
      const p = first.address().port;
      const second = await bind(type, p % 2 === 0 ? p + 1 : p - 1);
      if (second instanceof Error) {
        lastError = `${p % 2 === 0 ? p + 1 : p - 1}: ${second.message}`;
        await closeSocket(first);
        continue;
      }
      const [rtp, rtcp] = p % 2 === 0 ? [first, second] : [second, first];
      const pair = new UdpPair(rtp, rtcp, { rtp: rtp.address().port, rtcp: rtcp.address().port });
      pair.listen(opts);
      return pair;
    }
    throw new Error(`no free UDP port pair for RTP/RTCP after ${attempts} tries (last: ${lastError})`);
  }

  get closed(): boolean {
    return !this.open;
  }

  /** An RTCP packet (receiver report) to the server's RTCP port; best effort, as RTCP is (a failed send is no socket error). */
  sendRtcp(packet: Buffer, port: number, address: string): void {
    if (this.open) this.rtcp.send(packet, port, address, () => undefined);
  }

  /** Unbinds both ports; resolves once they are free again. */
  close(): Promise<void> {
    if (!this.open) return Promise.resolve();
    this.open = false;
    return Promise.all([closeSocket(this.rtp), closeSocket(this.rtcp)]).then(() => undefined);
  }

  private listen(opts: UdpPairOptions): void {
    for (const [i, [channel, socket]] of ([['rtp', this.rtp], ['rtcp', this.rtcp]] as const).entries()) {
      const paced = this.paced?.[i];
      try {
        socket.setRecvBufferSize(opts.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER);
      } catch {
        // A smaller buffer only loses more packets under a burst; not a reason to fail.
      }
      socket.on('message', (msg, from) => {
        paced?.onRead();
        if (this.open) opts.onMessage(channel, msg, from);
      });
      socket.on('error', (err) => {
        if (this.open) opts.onError(err);
      });
    }
  }
}

function bind(type: 'udp4' | 'udp6', port: number): Promise<Socket | Error> {
  return new Promise((resolve) => {
    const socket = createSocket({ type, reuseAddr: false });
    const onError = (err: Error): void => {
      try {
        socket.close();
      } catch {
        // Never bound: nothing to release.
      }
      resolve(err);
    };
    socket.once('error', onError);
    socket.bind(port, () => {
      socket.off('error', onError);
      // Until listen() takes over: an error between binding and use must not be uncaught.
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
