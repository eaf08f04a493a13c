import { describe, expect, it } from 'vitest';
import { livePicture, mountPhaseMs } from '../../support/camera-farm/live-clock.js';

describe('camera farm live clock', () => {
  it('follows the wall clock: one picture per 1/fps, shifted by the mount phase', () => {
    expect(livePicture(0, 0, 25)).toBe(0);
    expect(livePicture(1000, 0, 25)).toBe(25);
    expect(livePicture(1039, 0, 25)).toBe(25);
    expect(livePicture(1040, 0, 25)).toBe(26);
    expect(livePicture(1000, 400, 25)).toBe(35);
  });

  it('spreads the mounts over the loop: phases in range, distinct, about evenly over the GOP', () => {
    const loopMs = 20_000;
    const phases = Array.from({ length: 1000 }, (_, k) => mountPhaseMs(k + 1, loopMs));
    expect(phases.every((p) => p >= 0 && p < loopMs)).toBe(true);
    expect(new Set(phases).size).toBe(1000);
    // Where each mount is in a 2 s GOP at one instant: every tenth of the GOP holds about a tenth of them.
    const bins = new Array(10).fill(0);
    for (const p of phases) bins[Math.floor(((livePicture(123_456, p, 25) % 50) / 50) * 10)]++;
    for (const b of bins) expect(b).toBeGreaterThan(70);
    for (const b of bins) expect(b).toBeLessThan(130);
  });
});
