import { readFileSync, writeFileSync } from 'node:fs';
import { prng } from '../../support/prng.js';

export interface CorruptionReport {
  bytesIn: number;
  bytesOut: number;
  /** Blobs of random bytes inserted (they break the 188-byte TS packet grid; the demuxer must resync). */
  splices: number;
  /** Single bytes overwritten inside packets (bit rot in the H.264 payload). */
  flips: number;
  /** Where the file was cut, as a fraction: mid-GOP, so each loop ends with half a GOP. */
  truncatedAt: number;
}

/**
 * A damaged copy of an MPEG-TS clip, like a camera on a bad link: every `everyBytes` a blob of random bytes
 * is spliced in and a few payload bytes are overwritten, and the file is cut off mid-GOP.
 */
export function corruptTs(src: string, dst: string, opts: { seed?: number; everyBytes?: number; blobBytes?: number; keepFraction?: number } = {}): CorruptionReport {
  const rnd = prng(opts.seed ?? 8);
  const input = readFileSync(src);
  const keep = Math.floor(input.length * (opts.keepFraction ?? 0.73));
  const every = opts.everyBytes ?? 96 * 1024;
  const blob = opts.blobBytes ?? 1500;
  const parts: Buffer[] = [];
  let splices = 0;
  let flips = 0;
  for (let at = 0; at < keep; at += every) {
    const chunk = Buffer.from(input.subarray(at, Math.min(keep, at + every)));
    // A few flipped bytes, away from the TS sync bytes, so the packet survives and its payload is wrong.
    for (let k = 0; k < 6; k++) {
      const i = Math.floor(rnd() * chunk.length);
      if (i % 188 > 4) {
        chunk[i] = Math.floor(rnd() * 256);
        flips++;
      }
    }
    parts.push(chunk);
    if (at + every < keep) {
      parts.push(Buffer.from(Array.from({ length: blob }, () => Math.floor(rnd() * 256))));
      splices++;
    }
  }
  const out = Buffer.concat(parts);
  writeFileSync(dst, out);
  return { bytesIn: input.length, bytesOut: out.length, splices, flips, truncatedAt: keep / input.length };
}
