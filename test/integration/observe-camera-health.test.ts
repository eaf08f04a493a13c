import { describe, expect, it } from 'vitest';
import { createCameraSource } from '../../src/ingest/camera-source.js';
import { CameraHealth } from '../../src/observe/camera-health.js';
import { type HealthCheck } from '../../src/contracts/camera-status.js';
import { sharedRoot } from '../../fixtures/shared.js';
import { fixtureVideo } from '../../support/fixture-video.js';

// Without ../shared the generator draws procedural scenes and cannot build `fire` (no procedural flames).
const HAS_CROPS = sharedRoot() !== null;
if (!HAS_CROPS) console.warn('observe-camera-health: ../shared is absent; checking the procedural scenes, skipping fire');

/** Runs the health checks over a fixture as a camera analyzed every 2 s would; returns raise/clear times (s). */
async function alerts(name: string): Promise<Array<{ check: HealthCheck; raised: boolean; atSec: number }>> {
  const url = `file://${fixtureVideo(name)}`;
  const source = createCameraSource({ id: name, url, loop: false, intervalSec: 2, decode: 'keyframe' }, { width: 416, height: 416, pixelFormat: 'bgr24', realtime: false });
  const health = new CameraHealth(name);
  const out: Array<{ check: HealthCheck; raised: boolean; atSec: number }> = [];
  const frames = source.frames();
  source.start();
  for await (const f of frames) for (const c of health.observe(f)) out.push({ check: c.check, raised: c.raised, atSec: Math.round(f.ptsMs / 1000) });
  return out;
}

describe('camera health on the fixture videos (analyzed every 2 s)', () => {
  it('camera_dark (black from 30 to 60 s): dark raised within 3 analyses, cleared within 3 after', async () => {
    const a = await alerts('camera_dark');
    expect(a.map((x) => x.check)).toEqual(['dark', 'dark']);
    expect(a[0]).toMatchObject({ raised: true });
    expect(a[0]!.atSec).toBeGreaterThanOrEqual(30);
    expect(a[0]!.atSec).toBeLessThanOrEqual(36);
    expect(a[1]).toMatchObject({ raised: false });
    expect(a[1]!.atSec).toBeGreaterThanOrEqual(60);
    expect(a[1]!.atSec).toBeLessThanOrEqual(68);
  }, 60_000);

  it('camera_frozen (frozen from 30 to 60 s): frozen raised inside the fault, cleared after it', async () => {
    const a = await alerts('camera_frozen');
    expect(a.map((x) => [x.check, x.raised])).toEqual([
      ['frozen', true],
      ['frozen', false],
    ]);
    expect(a[0]!.atSec).toBeGreaterThan(30);
    expect(a[0]!.atSec).toBeLessThanOrEqual(60);
    expect(a[1]!.atSec).toBeGreaterThan(60);
    expect(a[1]!.atSec).toBeLessThanOrEqual(68);
  }, 60_000);

  it.each(['empty_day', 'empty_night', 'haze_steam', 'stall_setup'])('%s: no camera-health alert (night, haze, smoke, people are not faults)', async (name) => {
    expect(await alerts(name)).toEqual([]);
  }, 60_000);

  it.skipIf(!HAS_CROPS)('fire: no camera-health alert (smoke is not a fault)', async () => {
    expect(await alerts('fire')).toEqual([]);
  }, 60_000);
});
