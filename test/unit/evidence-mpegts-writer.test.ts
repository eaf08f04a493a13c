import { describe, expect, it } from 'vitest';
import { crc32Mpeg, spreadRepeats, timestamps90k, writeMpegTs } from '../../src/evidence/mpegts-writer.js';

describe('mpegts-writer', () => {
  it('DTS for B-frames: rising, never after the PTS, from 0', () => {
    // Decoding order I P B B P B B (display 0 3 1 2 6 4 5), 40 ms a frame.
    const t = timestamps90k([0, 120, 40, 80, 240, 160, 200]);
    for (let i = 0; i < t.length; i++) {
      expect(t[i]!.dts).toBeLessThanOrEqual(t[i]!.pts);
      if (i > 0) expect(t[i]!.dts).toBeGreaterThan(t[i - 1]!.dts);
    }
    expect(t[0]!.dts).toBe(0);
    expect(t.map((x) => x.pts - t[0]!.pts)).toEqual([0, 120, 40, 80, 240, 160, 200].map((ms) => ms * 90));
  });

  it('without reordering, DTS = PTS; repeated times still make DTS rise', () => {
    expect(timestamps90k([0, 40, 80])).toEqual([0, 3600, 7200].map((v) => ({ pts: v, dts: v })));
    const t = timestamps90k([0, 0, 40]);
    expect(t[1]!.dts).toBeGreaterThan(t[0]!.dts);
  });

  it('a repeated time is shared out up to the next one; at the end it steps by the usual interval', () => {
    expect(spreadRepeats([0, 40, 80, 80, 80, 200, 240])).toEqual([0, 40, 80, 120, 160, 200, 240]);
    expect(spreadRepeats([0, 40, 80, 80])).toEqual([0, 40, 80, 120]);
    // B-frames step back: only equal neighbours are spread.
    expect(spreadRepeats([0, 120, 40, 80])).toEqual([0, 120, 40, 80]);
    expect(spreadRepeats([5, 5])).toEqual([5, 45]);
    // 1 ms apart is the same instant to a 25 fps time base.
    expect(spreadRepeats([0, 40, 80, 81, 160])).toEqual([0, 40, 80, 120, 160]);
  });

  it('CRC-32/MPEG-2 check value', () => {
    expect(crc32Mpeg([...Buffer.from('123456789')])).toBe(0x0376e6e7);
  });

  it('188-byte packets with sync bytes; a unit spanning packets keeps every byte', () => {
    const data = Buffer.alloc(1000, 7);
    const packets = writeMpegTs('h264', [{ data, keyframe: true, ptsMs: 0 }]);
    for (const p of packets) {
      expect(p.length).toBe(188);
      expect(p[0]).toBe(0x47);
    }
    const video = packets.slice(2);
    let payload = 0;
    for (const p of video) payload += 184 - ((p[3]! & 0x20) !== 0 ? 1 + p[4]! : 0);
    expect(payload).toBe(1000 + 14); // the unit and its PES header (PTS only)
  });
});
